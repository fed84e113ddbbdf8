package fleet

import (
	"fmt"

	"github.com/hotmod/hotmod/sign"
)

// stored is what Promote writes to the store: the source, sealed with its
// signature when it has one, so that nodes with trusted keys load it.
func (r Rollout) stored() []byte {
	if r.Signature == "" {
		return []byte(r.Source)
	}
	return sign.Seal([]byte(r.Source), r.Signature)
}

// sameSource reports whether a value read from the store holds source,
// sealed or not.
func sameSource(value []byte, source string) bool {
	content, _, err := sign.Open(value)
	return err == nil && string(content) == source
}

// Verify checks that the rollout's source carries a signature of one of
// trusted as its path's release. A rollout that ended needs none: ending
// it only takes nodes back to the store's source, which the store
// verifies.
func (r Rollout) Verify(trusted []sign.PublicKey) error {
	if r.State != Running {
		return nil
	}
	if err := sign.Verify(trusted, r.Path, []byte(r.Source), r.Signature); err != nil {
		return fmt.Errorf("rollout of %s: %w", r.Path, err)
	}
	return nil
}

// refuse records whether the node refuses rollout r for module id: under
// Trust, a running rollout that selects the node must be signed. The
// refusal is reported in the node's status until a later rollout entry
// of the path replaces it.
func (f *Follower) refuse(id string, r Rollout) error {
	var err error
	if len(f.Trust) > 0 && r.State == Running && r.Selects(f.Node) {
		err = r.Verify(f.Trust)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.refused, id)
		return nil
	}
	if f.refused == nil {
		f.refused = map[string]string{}
	}
	f.refused[id] = err.Error()
	return err
}

// refusal is why the node refused module id's rollout, or "".
func (f *Follower) refusal(id string) string {
	if f == nil {
		return ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused[id]
}
