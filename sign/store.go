package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hotmod/hotmod/vfs"
)

// Store wraps a vfs.Store whose values may be signed envelopes (see Seal).
// Read and ReadRevision return the content without its envelope, so that
// nodes with and without trusted keys read the same sources; with trusted
// keys they also refuse, with an *Error naming the path and key id, a
// content whose signature is missing or wrong. The runtime treats that
// like any failed read: the version that serves keeps serving.
//
// Write stores data as given: a sealed value (a client signed it) is kept
// sealed, so the store's history keeps each revision's signature beside
// its content. Every method is safe for concurrent use.
type Store struct {
	vfs.Store
	trusted []PublicKey
}

// NewStore wraps s. With no trusted keys it only unwraps envelopes.
func NewStore(s vfs.Store, trusted []PublicKey) *Store {
	return &Store{Store: s, trusted: slices.Clone(trusted)}
}

// Unwrap is the wrapped store: code that looks for a store's optional
// interfaces (natskv's Lost, Keep) finds them through the wrapper.
func (s *Store) Unwrap() vfs.Store { return s.Store }

// Trusted reports whether the store verifies signatures.
func (s *Store) Trusted() bool { return len(s.trusted) > 0 }

// verify unwraps a value read from path and, when the store trusts keys,
// checks its signature; it returns the content.
func (s *Store) verify(path string, value []byte) ([]byte, error) {
	content, sig, err := Open(value)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	if len(s.trusted) > 0 {
		if err := Verify(s.trusted, path, content, sig); err != nil {
			return nil, err
		}
	}
	return content, nil
}

// Read returns path's content, verified when the store trusts keys.
func (s *Store) Read(ctx context.Context, path string) ([]byte, error) {
	b, err := s.Store.Read(ctx, path)
	if err != nil {
		return nil, err
	}
	return s.verify(path, b)
}

// Write stores data. A sealed value must parse, and verify when the store
// trusts keys: refusing a bad one here tells the writer at once, instead
// of every node later.
func (s *Store) Write(ctx context.Context, path string, data []byte) error {
	if IsSealed(data) {
		if _, err := s.verify(path, data); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return s.Store.Write(ctx, path, data)
}

// History is the wrapped store's, when it keeps history.
func (s *Store) History(ctx context.Context, path string) ([]vfs.Revision, error) {
	h, ok := s.Store.(vfs.Historian)
	if !ok {
		return nil, fmt.Errorf("%w: this store keeps no history of %s", vfs.ErrNotFound, path)
	}
	return h.History(ctx, path)
}

// ReadRevision returns path's content at rev, verified as Read's is.
func (s *Store) ReadRevision(ctx context.Context, path string, rev uint64) ([]byte, error) {
	h, ok := s.Store.(vfs.Historian)
	if !ok {
		return nil, fmt.Errorf("%w: this store keeps no history of %s", vfs.ErrNotFound, path)
	}
	b, err := h.ReadRevision(ctx, path, rev)
	if err != nil {
		return nil, err
	}
	return s.verify(path, b)
}

// Wrap wraps s as NewStore does, keeping the optional interfaces of s
// that the wrapper can honour (vfs.RealPather, vfs.Historian): code that
// looks for them sees the same store as before.
func Wrap(s vfs.Store, trusted []PublicKey) vfs.Store {
	w := NewStore(s, trusted)
	_, hist := s.(vfs.Historian)
	rp, real := s.(vfs.RealPather)
	switch {
	case hist && real:
		return struct {
			*Store
			vfs.RealPather
		}{w, rp}
	case real:
		return struct {
			plain
			vfs.RealPather
		}{plain{w}, rp}
	case hist:
		return w
	default:
		return plain{w}
	}
}

// plain hides Store's Historian methods from a store that keeps no
// history.
type plain struct{ w *Store }

func (p plain) Read(ctx context.Context, path string) ([]byte, error) { return p.w.Read(ctx, path) }
func (p plain) Write(ctx context.Context, path string, data []byte) error {
	return p.w.Write(ctx, path, data)
}
func (p plain) Delete(ctx context.Context, path string) error { return p.w.Delete(ctx, path) }
func (p plain) List(ctx context.Context, prefix string) ([]string, error) {
	return p.w.List(ctx, prefix)
}
func (p plain) Watch(ctx context.Context, prefix string) (<-chan vfs.Event, error) {
	return p.w.Watch(ctx, prefix)
}
func (p plain) Close() error { return p.w.Close() }

// ReadUnverified returns path's content without its envelope and without
// checking a signature: for a file whose parts carry signatures of their
// own, as a snapshot's modules do (each is verified as its path's release
// before it is restored).
func (s *Store) ReadUnverified(ctx context.Context, path string) ([]byte, error) {
	b, err := s.Store.Read(ctx, path)
	if err != nil {
		return nil, err
	}
	content, _, err := Open(b)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	return content, nil
}

// VerifyRelease checks sig as a trusted key's signature of content as the
// release of path (see Verify); with no trusted keys every release passes.
func (s *Store) VerifyRelease(path string, content []byte, sig string) error {
	if len(s.trusted) == 0 {
		return nil
	}
	return Verify(s.trusted, path, content, sig)
}

// ReleaseSignature is the signature the store keeps with content as path's
// release: that of the current value, or else of the newest kept revision
// holding that content; "" when none of them is signed.
func (s *Store) ReleaseSignature(ctx context.Context, path string, content []byte) (string, error) {
	b, err := s.Store.Read(ctx, path)
	if err != nil && !errors.Is(err, vfs.ErrNotFound) {
		return "", err
	}
	if c, sig, err := Open(b); err == nil && bytes.Equal(c, content) {
		return sig, nil
	}
	h, ok := s.Store.(vfs.Historian)
	if !ok {
		return "", nil
	}
	revs, err := h.History(ctx, path)
	if err != nil {
		return "", nil // no history of it: nothing signed to find
	}
	for _, rev := range revs {
		if rev.Op == vfs.Deleted {
			continue
		}
		if b, err := h.ReadRevision(ctx, path, rev.Rev); err == nil {
			if c, sig, err := Open(b); err == nil && bytes.Equal(c, content) {
				return sig, nil
			}
		}
	}
	return "", nil
}

func (p plain) ReadUnverified(ctx context.Context, path string) ([]byte, error) {
	return p.w.ReadUnverified(ctx, path)
}
func (p plain) VerifyRelease(path string, content []byte, sig string) error {
	return p.w.VerifyRelease(path, content, sig)
}
func (p plain) ReleaseSignature(ctx context.Context, path string, content []byte) (string, error) {
	return p.w.ReleaseSignature(ctx, path, content)
}
func (p plain) Unwrap() vfs.Store { return p.w.Store }
