package fleet

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/sign"
	"github.com/hotmod/hotmod/vfs"
	"github.com/nats-io/nats.go/jetstream"
)

// keeper is a module store that makes the buckets beside it again when
// the NATS server loses its data (natskv.Store).
type keeper interface {
	Keep(ctx context.Context, kv jetstream.KeyValue) error
}

// loser is a module store that says when it lost its sources
// (natskv.Store.Lost).
type loser interface{ Lost() error }

// as finds the interface T on s, or on a store s wraps (one with an
// Unwrap method, as sign.Store): a node's store is a verifying wrapper
// around the bucket.
func as[T any](s vfs.Store) (T, bool) {
	for s != nil {
		if t, ok := s.(T); ok {
			return t, true
		}
		u, ok := s.(interface{ Unwrap() vfs.Store })
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	var zero T
	return zero, false
}

// pathState is what a report knows of one source path while Run watches
// the store: the store's latest revision of it, from the watch (or from
// one history read when the path was first reported), and the serving
// revision last found for a source digest at that latest revision. A
// report reads the store only when either changed: reading every
// module's history every tick cost nats-server a fifth of a core at 200
// modules (issue 21).
type pathState struct {
	latest  uint64 // 0: not known; read the history, unless none
	none    bool   // the history read found no revision of the path
	deleted bool   // the latest revision deletes the path
	gen     uint64 // counts what the watch told, so a slower history read does not undo it

	found   bool // sum, at and serving hold an answer
	sum     [32]byte
	at      uint64
	serving uint64
}

func (r *Reporter) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// Follow learns the store's revisions from its watch, until ctx ends, so
// that a report reads the store only for the modules whose source or
// revision changed (Run calls it). It returns once the watch is in place;
// a store that cannot be watched leaves each report reading every
// module's history.
func (r *Reporter) Follow(ctx context.Context) {
	if _, ok := r.Store.(vfs.Historian); !ok {
		return
	}
	ch, err := r.Store.Watch(ctx, "/")
	if err != nil {
		r.log().Warn("fleet status reads every module's history each report: the store cannot be watched", "err", err)
		return
	}
	r.mu.Lock()
	r.watching, r.paths = true, map[string]*pathState{}
	r.mu.Unlock()
	go func() {
		// The channel closes when ctx ends or the store closes.
		for ev := range ch {
			r.learn(ev)
		}
		r.mu.Lock()
		r.watching, r.paths = false, nil
		r.mu.Unlock()
	}()
}

func (r *Reporter) isWatching() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.watching
}

// learn records a change the watch reported.
func (r *Reporter) learn(ev vfs.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.paths == nil {
		return
	}
	ps := r.paths[ev.Path]
	if ps == nil {
		ps = &pathState{}
		r.paths[ev.Path] = ps
	}
	// A store without revisions in its events (0) leaves the path to a
	// history read.
	ps.latest, ps.deleted, ps.none = ev.Revision, ev.Op == vfs.Deleted, false
	ps.gen++
}

// lostNow records whether the store is lost; when it becomes lost, what
// the watch told is dropped: the new stream has none of those revisions,
// and numbers its own from 1.
func (r *Reporter) lostNow(lost bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lost && !r.lost && r.paths != nil {
		r.paths = map[string]*pathState{}
	}
	r.lost = lost
}

// learned fills out's revisions from what the watch told of the module's
// source path, reading the store only when the latest revision or the
// serving source changed since the last report.
func (r *Reporter) learned(ctx context.Context, h vfs.Historian, m *hotmod.Module, ms hotmod.ModuleStats, out ModuleStatus) ModuleStatus {
	src, srcErr := m.Source(ms.Version)
	sum := sha256.Sum256([]byte(src))
	r.mu.Lock()
	ps := r.paths[ms.SourcePath]
	if ps == nil {
		ps = &pathState{}
		if r.paths != nil {
			r.paths[ms.SourcePath] = ps
		}
	}
	st := *ps
	r.mu.Unlock()

	if st.latest == 0 && !st.none {
		// First sight of the path (or a store event without a revision):
		// one history read, as a report without a watch does each time.
		revs, err := h.History(ctx, ms.SourcePath)
		if ctx.Err() != nil {
			// A history cut short by the report's deadline may look
			// empty: not an answer, the next report reads again.
			return out
		}
		if errors.Is(err, vfs.ErrNotFound) || err == nil && len(revs) == 0 {
			// Not in the store (it lost its data): nothing to read until
			// the watch tells of a write.
			st.none = true
			r.keep(ms.SourcePath, ps, st)
			return out
		}
		if err != nil {
			return out
		}
		st.latest, st.deleted = revs[0].Rev, revs[0].Op == vfs.Deleted
		st.found = false
		if srcErr == nil {
			if rev, err := scan(ctx, h, ms.SourcePath, sum, revs); err == nil {
				st.serving, st.found, st.sum, st.at = rev, true, sum, st.latest
			}
		}
	} else if st.latest != 0 && srcErr == nil && (!st.found || st.sum != sum || st.at != st.latest) {
		// A failed read (a report's deadline, NATS away) is not an
		// answer: the next report tries again.
		if rev, err := serving(ctx, h, ms.SourcePath, sum, st); err == nil {
			st.serving, st.found, st.sum, st.at = rev, true, sum, st.latest
		} else {
			st.found = false
		}
	}

	r.keep(ms.SourcePath, ps, st)
	out.Tried, out.Deleted = st.latest, st.deleted
	if srcErr != nil || !st.found {
		return out
	}
	out.Serving = st.serving
	if !out.Behind() && !out.Deleted {
		out.Error, out.Position = "", nil // an earlier failure the store has since fixed
	}
	return out
}

// keep stores st, what a report found of path from ps, unless the watch
// told something new meanwhile.
func (r *Reporter) keep(path string, ps *pathState, st pathState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.paths[path]; cur != nil && cur == ps && cur.gen == st.gen {
		*cur = st
	}
}

// serving is the revision that holds the source with digest sum, now that
// the path's latest revision or the source changed since st's answer: the
// latest revision when it holds that source (the usual reload), else the
// revision found before for the same source (a broken push the node
// refused), else the one a history read finds (a rollback, a pin), or 0.
func serving(ctx context.Context, h vfs.Historian, path string, sum [32]byte, st pathState) (uint64, error) {
	if !st.deleted {
		b, err := h.ReadRevision(ctx, path, st.latest)
		if err == nil && sha256.Sum256(b) == sum {
			return st.latest, nil
		} else if err != nil && !notThere(err) {
			return 0, err
		}
	}
	if st.found && st.sum == sum && st.serving != 0 {
		return st.serving, nil
	}
	revs, err := h.History(ctx, path)
	if ctx.Err() != nil {
		return 0, ctx.Err()
	} else if errors.Is(err, vfs.ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	return scan(ctx, h, path, sum, revs)
}

// scan finds the revision among revs (newest first) whose content has the
// digest sum; 0 if none has.
func scan(ctx context.Context, h vfs.Historian, path string, sum [32]byte, revs []vfs.Revision) (uint64, error) {
	for _, rev := range revs {
		if rev.Op == vfs.Deleted {
			continue
		}
		b, err := h.ReadRevision(ctx, path, rev.Rev)
		if err != nil && !notThere(err) {
			return 0, err
		}
		if err == nil && sha256.Sum256(b) == sum {
			return rev.Rev, nil
		}
	}
	return 0, nil
}

// notThere reports whether a revision's read failed for good, not for a
// while: the revision is gone, or a trusting node refuses its signature
// (it cannot be the source the node serves).
func notThere(err error) bool {
	var se *sign.Error
	return errors.Is(err, vfs.ErrNotFound) || errors.As(err, &se)
}
