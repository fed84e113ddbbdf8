package natskv

import (
	"context"
	"errors"
	"fmt"

	"github.com/hotmod/hotmod/vfs"
	"github.com/nats-io/nats.go/jetstream"
)

// Revision is the bucket's revision of p's current content, or 0 when p
// has none (it never existed, or its last revision deletes it). With
// WriteIf it makes a compare-and-set: a fleet rollout records the revision
// it started from and promotes only onto it, so a put made meanwhile is
// never overwritten unseen.
func (s *Store) Revision(ctx context.Context, p string) (uint64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if err := vfs.ValidatePath(p); err != nil {
		return 0, err
	}
	e, err := s.kv.Get(ctx, encode(p))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return 0, nil
	}
	if err != nil {
		return 0, s.fail("read", p, err)
	}
	return e.Revision(), nil
}

// WriteIf replaces p's content only while p is still at revision rev (as
// Revision gives it; 0: only while p has no content), and returns the new
// revision. Otherwise nothing is written and the error is vfs.ErrConflict.
// The bucket checks the revision as it appends (a JetStream expected last
// sequence per subject), so two writers cannot both pass.
func (s *Store) WriteIf(ctx context.Context, p string, data []byte, rev uint64) (uint64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if err := vfs.ValidatePath(p); err != nil {
		return 0, err
	}
	if err := s.fileFits(ctx, p); err != nil {
		return 0, err
	}
	value, err := s.stored(ctx, data)
	if err != nil {
		return 0, s.fail("write", p, err)
	}
	var n uint64
	if rev == 0 {
		// Create also takes a key whose last revision deletes it.
		n, err = s.kv.Create(ctx, encode(p), value)
		if errors.Is(err, jetstream.ErrKeyExists) {
			return 0, fmt.Errorf("%w: %s was written since (it had no content)", vfs.ErrConflict, p)
		}
	} else {
		n, err = s.kv.Update(ctx, encode(p), value, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, fmt.Errorf("%w: %s is no longer at revision %d", vfs.ErrConflict, p, rev)
		}
	}
	if err != nil {
		return 0, s.fail("write", p, err)
	}
	return n, nil
}

// Path is the vfs path of a bucket key, the inverse of Key: other buckets
// keyed by path list their keys with it.
func Path(k string) (string, error) { return decode(k) }
