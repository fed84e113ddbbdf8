package fleet

import (
	"errors"
	"fmt"
)

// ErrConflict: a rollout's promote or abort found what it writes onto
// changed since it read it. A *ConflictError says what changed.
var ErrConflict = errors.New("conflict")

// ConflictError is a promote or abort that wrote nothing because of a
// newer write. errors.Is(err, ErrConflict) holds for it.
type ConflictError struct {
	Path string
	// Entry: the rollout's own entry changed (another promote or abort
	// came first), and State is what it is now ("" if unknown).
	// Otherwise the store's source of Path did: Started is the revision
	// the rollout started from, Newer the store's revision now (0: the
	// source was deleted).
	Entry          bool
	State          string
	Started, Newer uint64
}

func (e *ConflictError) Error() string {
	switch {
	case e.Entry && e.State != "":
		return fmt.Sprintf("fleet: the rollout of %s changed meanwhile: it is %s now", e.Path, e.State)
	case e.Entry:
		return fmt.Sprintf("fleet: the rollout of %s changed meanwhile", e.Path)
	case e.Newer == 0:
		return fmt.Sprintf("fleet: %s was deleted from the store after the rollout started from revision %d; promoting would bring it back (force it with --force)",
			e.Path, e.Started)
	}
	return fmt.Sprintf("fleet: the store has a newer %s, revision %d, than revision %d the rollout started from; promoting would overwrite it (force it with --force)",
		e.Path, e.Newer, e.Started)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
