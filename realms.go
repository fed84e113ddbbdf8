package hotmod

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/builtins"
	"github.com/hotmod/hotmod/internal/engine"
)

// A Runtime has Options.Realms goja realms. Every module is evaluated in
// each of them, and a call runs in whichever realm is free, so calls use
// every core; module state is therefore per realm. Everything that changes
// which version serves (a load, a reload, a rollback, a patch, a removal)
// takes every realm, in index order, evaluates in all of them at once, and
// then changes all of them or none: a call, which holds one realm, sees
// either the old versions everywhere or the new ones.

// realm is one of the Runtime's goja realms and what hotmod keeps in it.
type realm struct {
	*engine.Realm
	index int

	// Guarded by the realm's lock:
	staged  *reads       // the reads of the load evaluating now
	helpers []goja.Value // esbuild's runtime helpers, shared by every module of the realm
	args    []goja.Value // a call's converted arguments; reused, see Module.call
	// While a sibling test file runs: the candidate its imports of the
	// module under test get (see runTests).
	candidates map[*Module]*version
	bridges    map[*Module]goja.Value // the handles of isolated modules (see bridgeLocked)
	// While a transaction swaps: the path of the module whose
	// hot.invalidate() started it, if one did (Vite's firstInvalidatedBy).
	invalidatedBy string
	builtins      *builtins.Set // the Node built-ins, each evaluated once (see builtinLocked)
	// browserDepth counts the "browser" file mappings being followed
	// (requireValue), so that files mapped to each other end.
	browserDepth int
	// The modules whose handle here is a plain object (see handle.go), and
	// the Runtime's handleGen they were last brought up to date at.
	handles   []*Module
	handleGen uint64

	// holder is what runs in the realm now (see realmhold.go): set by a
	// call or a load while it holds the realm, read by anyone.
	holder atomic.Pointer[holdSite]
	// dirty are the call figures with counts of this realm not yet
	// published (see figures.go); realm lock.
	dirty []*callFigures
}

// inRealm is what a module has in one realm; guarded by that realm's lock.
type inRealm struct {
	cur      atomic.Pointer[version]   // the version serving in this realm
	loading  *version                  // the version being evaluated on first load (cycles)
	proxy    *goja.Object              // the JavaScript handle other modules of the realm get
	plain    bool                      // proxy is a plain object (see handle.go)
	listed   bool                      // in the realm's handles
	synced   handleKey                 // what the plain handle was made from
	wrappers map[wrapperKey]goja.Value // timing wrappers while profiling
}

func (rt *Runtime) newRealms(opts Options) []*realm {
	out := make([]*realm, opts.Realms)
	for i := range out {
		out[i] = &realm{index: i, Realm: engine.New(engine.Options{
			Logger:            opts.Logger,
			MaxCallStackSize:  opts.MaxCallStackSize,
			TimerTimeout:      opts.TimerTimeout,
			FrozenIntrinsics:  opts.FrozenIntrinsics,
			MaxResultElements: opts.MaxResultSize.Elements,
			MaxResultBytes:    opts.MaxResultSize.Bytes,
			MaxMemory:         opts.MaxMemory,
			MaxTimers:         opts.MaxTimers,
			Env:               opts.Env,
		})}
		s := out[i]
		s.SetBeforeRun(func() { rt.syncHandles(s) })
	}
	return out
}

// runAny runs fn in a free realm (the first one when there is only one),
// bounded as engine.Realm.Run bounds it.
//
// With several realms it first tries the realm that the processor (Go's
// P) it runs on used last, kept in rt.recent: a goroutine that keeps
// calling keeps to one realm, whose memory (goja's stack and objects, the
// lock word) stays in its core's cache, and the choice writes nothing that
// another core reads. Taking realms in turn (an atomic counter every call
// shared by every caller) moved each realm from core to core: see
// RATIONALE.md, "Calls on every core".
func (rt *Runtime) runAny(ctx context.Context, limit time.Duration, fn func(s *realm) error) error {
	if len(rt.realms) == 1 {
		s := rt.realms[0]
		return s.Call(ctx, limit, func(*goja.Runtime) error { return fn(s) })
	}
	var first *realm
	if !rt.inTurn.Load() {
		first, _ = rt.recent.Get().(*realm)
	}
	if first != nil {
		if done, err := first.TryCall(ctx, limit, func(*goja.Runtime) error { return fn(first) }); done {
			rt.recent.Put(first)
			return err
		}
	}
	n := uint64(len(rt.realms))
	start := rt.turn.Add(1)
	for i := range n {
		s := rt.realms[(start+i)%n]
		if s == first {
			continue
		}
		if done, err := s.TryCall(ctx, limit, func(*goja.Runtime) error { return fn(s) }); done {
			rt.recent.Put(s)
			return err
		}
	}
	s := rt.realms[start%n]
	err := s.Call(ctx, limit, func(*goja.Runtime) error { return fn(s) })
	rt.recent.Put(s)
	return err
}

// lockAll takes every realm, in index order (so that two takers never wait
// on each other), and returns the function that gives them back.
func (rt *Runtime) lockAll(ctx context.Context) (unlock func(), err error) {
	for i, s := range rt.realms {
		if err := s.Lock(ctx); err != nil {
			for _, t := range rt.realms[:i] {
				t.Unlock()
			}
			return nil, err
		}
		s.hold(nil) // a transaction, not the last call (see realmhold.go)
		s.flushDirty()
	}
	return func() {
		for _, s := range rt.realms {
			s.Unlock()
		}
	}, nil
}

// eachLocked runs fn in every realm at once (one realm: on this
// goroutine), each bounded as engine.Realm.RunLocked bounds it, and
// returns each realm's error. Call with every realm taken (lockAll).
func (rt *Runtime) eachLocked(ctx context.Context, limit time.Duration, fn func(s *realm) error) []error {
	errs := make([]error, len(rt.realms))
	run := func(s *realm) {
		errs[s.index] = s.RunLocked(ctx, limit, func(*goja.Runtime) error { return fn(s) })
	}
	if len(rt.realms) == 1 {
		run(rt.realms[0])
		return errs
	}
	var wg sync.WaitGroup
	for _, s := range rt.realms {
		wg.Go(func() { run(s) })
	}
	wg.Wait()
	return errs
}

// firstErr is the error of the first realm that failed, naming the realm
// when there are several.
func firstErr(errs []error) (int, error) {
	for i, err := range errs {
		if err != nil {
			if len(errs) > 1 {
				return i, &RealmError{Realm: i, Err: err}
			}
			return i, err
		}
	}
	return -1, nil
}

// runAll takes every realm and runs fn in all of them at once; the error is
// the first realm's that failed.
func (rt *Runtime) runAll(ctx context.Context, limit time.Duration, fn func(s *realm) error) error {
	unlock, err := rt.lockAll(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	_, err = firstErr(rt.eachLocked(ctx, limit, fn))
	return err
}

// RealmError is the error of one realm of a Runtime with several
// (Options.Realms): the realm whose evaluation, hook or patch failed. The
// other realms did the same work; none of it took effect.
type RealmError struct {
	Realm int // 0-based
	Err   error
}

func (e *RealmError) Error() string { return fmt.Sprintf("in realm %d: %v", e.Realm, e.Err) }
func (e *RealmError) Unwrap() error { return e.Err }

// ErrRealmsDisagree: a version exported other names in one realm than in
// another, or a name as a function in one and not in another (code that
// looks at import.meta.hot.realm, Math.random, the clock): a call's outcome
// would depend on which realm served it, so the version is refused.
var ErrRealmsDisagree = errors.New("the realms disagree on what the version exports")

// sameExports checks that the versions of(0..n-1) (nil: skip that realm)
// export the same names with the same kinds, naming the first difference.
func sameExports(of func(i int) *version, n int) error {
	first := -1
	var want map[string]bool
	for i := range n {
		v := of(i)
		if v == nil || v.kinds == nil {
			continue
		}
		if first < 0 {
			first, want = i, v.kinds
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(want)) {
			fn, ok := v.kinds[k]
			switch {
			case !ok:
				return fmt.Errorf("%w: %q is exported in realm %d, not in realm %d", ErrRealmsDisagree, k, first, i)
			case fn != want[k]:
				return fmt.Errorf("%w: %q is %s in realm %d but %s in realm %d", ErrRealmsDisagree, k, kindName(want[k]), first, kindName(fn), i)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(v.kinds)) {
			if _, ok := want[k]; !ok {
				return fmt.Errorf("%w: %q is exported in realm %d, not in realm %d", ErrRealmsDisagree, k, i, first)
			}
		}
	}
	return nil
}

func kindName(fn bool) string {
	if fn {
		return "a function"
	}
	return "not a function"
}

// realmsAgree checks that each change's new version exports the same in
// every realm (see sameExports), returning the first change that does not.
func realmsAgree(cs []*change) (*change, error) {
	for _, c := range cs {
		if err := sameExports(func(i int) *version { return c.in[i].nv }, len(c.in)); err != nil {
			return c, err
		}
	}
	return nil, nil
}

// at is the version of m serving in realm s. A module that serves, but
// was never evaluated in s (loaded by a require that ran in another realm
// only, at call time), is evaluated there now from its current source. Call
// with s's lock held.
func (m *Module) at(s *realm) (*version, error) {
	if v := m.in[s.index].cur.Load(); v != nil {
		return v, nil
	}
	rec, err := m.current()
	if err != nil {
		return nil, err
	}
	v, err := m.rt.evalLocked(s, m, rec.res, rec.n, nil)
	if err == nil {
		err = sameExports(func(i int) *version {
			if i == 0 {
				return rec
			}
			return v
		}, 2)
		if err != nil {
			m.rt.discardLocked(s, m, v)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("evaluating %s in realm %d: %w", m.id, s.index, err)
	}
	m.in[s.index].cur.Store(v)
	m.ensureProxy(s)
	return v, nil
}

// realmInfo is import.meta.hot.realm: which realm this copy of the module
// runs in, so that one of them can do what must happen once (a timer that
// writes to a database).
func (rt *Runtime) realmInfo(s *realm) map[string]any {
	return map[string]any{"index": s.index, "count": len(rt.realms)}
}
