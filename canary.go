package hotmod

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hotmod/hotmod/internal/transform"
)

// A/B versions: a canary is a new version evaluated beside the serving one
// (the same transaction as a reload, without the swap) that serves a
// percentage of keyed calls. CallKey picks the version by a stable hash of
// the key, so a key stays on its version while the percentage grows;
// plain Call, Get and importers stay on the serving version. Promote swaps
// the canary in; Abort drops it. With a Probation, a canary whose error
// rate or p99 regresses against the serving version's calls meanwhile is
// aborted by itself.

var (
	// ErrNoCanary: Promote, Abort or a percentage change of a module that
	// has no canary.
	ErrNoCanary = errors.New("no canary")
	// ErrInvalidCanary: a percentage outside 0-100, or a canary of the
	// source that serves already.
	ErrInvalidCanary = errors.New("invalid canary")
)

// canary is a module's candidate serving a share of keyed calls.
type canary struct {
	c       *change
	percent atomic.Int32
	started time.Time
	source  []byte // given to CanarySource: Promote writes it to the store
}

// CanaryStatus describes a module's canary in Stats.
type CanaryStatus struct {
	Version int       `json:"version"`
	Percent int       `json:"percent"`
	Since   time.Time `json:"since"`
	// The canary's calls from Go (CallKey) and their errors and p99,
	// always counted; P99 is p99Ms in JSON.
	Calls  int64         `json:"calls"`
	Errors int64         `json:"errors"`
	P99    time.Duration `json:"-"`
	// Serving is the serving version's figures beside it, so that the two
	// can be judged side by side (each since it was first loaded).
	Serving VersionFigures `json:"serving"`
}

// Canary loads the module's source as it is now in the store as a canary
// serving percent% of CallKey's keys (0 to 100); if a canary runs already,
// it sets its percentage. While a canary runs, a change of the module's
// source in the store (auto reload) makes a new canary of it, at the same
// percentage, instead of reloading the module.
func (m *Module) Canary(ctx context.Context, percent int) error {
	return m.canary(ctx, nil, percent)
}

// CanarySource is Canary of source rather than of the store's content;
// Promote then writes source to the store, so what serves is what the
// store holds.
func (m *Module) CanarySource(ctx context.Context, source []byte, percent int) error {
	if source == nil {
		source = []byte{}
	}
	return m.canary(ctx, source, percent)
}

func (m *Module) canary(ctx context.Context, source []byte, percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("%w: %d%% (0 to 100)", ErrInvalidCanary, percent)
	}
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	defer m.unlockReload()
	if cn := m.canaryNow.Load(); cn != nil && source == nil {
		cn.percent.Store(int32(percent))
		m.rt.events.emit(Event{Type: EventCanaryStarted, Module: m.id, Version: cn.c.n, OldVersion: m.Version(), Percent: percent})
		return nil
	}
	return m.startCanaryLocked(ctx, source, percent)
}

// startCanaryLocked evaluates a new canary (replacing one that runs).
// Call with the reload lock held.
func (m *Module) startCanaryLocked(ctx context.Context, source []byte, percent int) error {
	rt := m.rt
	old, err := m.current()
	if err != nil {
		return err
	}
	start := time.Now()
	var (
		res  = old.res
		st   *reads
		step string
	)
	if source == nil {
		if res, st, step, err = rt.readAndCompile(ctx, m.path); err == nil {
			m.readStore(res)
		}
	} else {
		st = newReads()
		if res, err = rt.compileFile(ctx, st, m.path, source); err != nil {
			step = "compile"
		} else {
			rt.prefetch(ctx, st, m.path, res)
		}
	}
	if err != nil {
		return m.fail(ctx, old, step, err)
	}
	if res.Hash == old.res.Hash {
		return fmt.Errorf("%w: %s serves that source already (version %d)", ErrInvalidCanary, m.id, old.n)
	}
	m.abortCanaryLocked(ctx, "replaced by a new canary")
	c, err := m.nextChange(ctx, old, res, st, start)
	if err != nil {
		return err
	}
	n := c.n
	if failed, err := rt.applyInRealms(ctx, []*change{c}, canarySteps); err != nil {
		if failed == nil || failed.step == "" {
			c.step = "evaluate"
		}
		return m.fail(ctx, old, c.step, err)
	}
	cn := &canary{c: c, started: time.Now(), source: source}
	cn.percent.Store(int32(percent))
	m.canaryNow.Store(cn)
	m.healthState().canaryStarted(n, old.n)
	rt.events.emit(Event{Type: EventCanaryStarted, Module: m.id, Version: n, OldVersion: old.n, Percent: percent})
	rt.log.Info("canary started", "module", m.id, "version", n, "serving", old.n, "percent", percent)
	return nil
}

// keyBucket places a key in one of 100 buckets, the same one every time:
// a canary at p% serves the keys in buckets below p, so a key that went to
// the canary stays there as p grows.
func keyBucket(key string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % 100)
}

// CallKey is Call for the caller (user, tenant, request) named key: while
// a canary runs, the keys in its percentage are served by the canary, the
// others by the serving version. Without a canary, or with an empty key,
// it is Call.
func (m *Module) CallKey(ctx context.Context, key, name string, args ...any) (v any, err error) {
	cn := m.canaryNow.Load()
	if cn == nil || key == "" || keyBucket(key) >= int(cn.percent.Load()) {
		return m.Call(ctx, name, args...)
	}
	if observe := m.rt.opts.OnCall; observe != nil {
		start := time.Now()
		defer func() { observe(m.id, name, time.Since(start), err) }()
	}
	return m.callOn(ctx, name, args, func(s *realm) (*version, error) {
		if m.canaryNow.Load() != cn {
			return m.at(s) // promoted or aborted meanwhile
		}
		return cn.c.in[s.index].nv, nil
	}, true)
}

// VersionForKey is the version CallKey serves key with now: the canary's
// if a canary runs and key is in its share, else the serving version.
func (m *Module) VersionForKey(key string) int {
	if cn := m.canaryNow.Load(); cn != nil && key != "" && keyBucket(key) < int(cn.percent.Load()) {
		return cn.c.n
	}
	return m.Version()
}

// Promote makes the canary the serving version: its __acceptHotReload runs
// again on the version serving now (to carry the state it has now), and it
// swaps in every realm, as a reload does. A promote that fails drops the
// canary, and the serving version serves on.
func (m *Module) Promote(ctx context.Context) error {
	rt := m.rt
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	defer m.unlockReload()
	cn := m.canaryNow.Load()
	if cn == nil {
		return fmt.Errorf("promote %s: %w", m.id, ErrNoCanary)
	}
	old, err := m.current()
	if err != nil {
		return err
	}
	c := cn.c
	c.old, c.start = old, time.Now()
	m.canaryNow.Store(nil)
	m.healthState().canaryEnded()
	if _, err := rt.applyInRealms(ctx, []*change{c}, promoteSteps); err != nil {
		if c.step == "" {
			c.step = "accept"
		}
		rt.events.emit(Event{Type: EventCanaryAborted, Module: m.id, Version: c.n, Reason: "its promotion failed"})
		return m.fail(ctx, old, c.step, err)
	}
	m.applied(c)
	rt.events.emit(Event{Type: EventCanaryPromoted, Module: m.id, Version: c.n, OldVersion: old.n})
	if cn.source != nil {
		// The store gets the promoted source; its event finds it serving.
		release := rt.HoldReloads(ctx)
		defer release()
		if err := rt.store.Write(ctx, m.path, cn.source); err != nil {
			return fmt.Errorf("promote %s: version %d serves, but writing its source to the store failed: %w", m.id, c.n, err)
		}
	}
	return nil
}

// Abort drops the canary: CallKey serves every key from the serving
// version again.
func (m *Module) Abort(ctx context.Context) error {
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	defer m.unlockReload()
	if !m.abortCanaryLocked(ctx, "aborted") {
		return fmt.Errorf("abort %s: %w", m.id, ErrNoCanary)
	}
	return nil
}

// abortCanaryLocked drops the canary, if there is one, saying why. Call
// with the reload lock held.
func (m *Module) abortCanaryLocked(ctx context.Context, reason string) bool {
	cn := m.canaryNow.Swap(nil)
	if cn == nil {
		return false
	}
	rt := m.rt
	m.healthState().canaryEnded()
	// Calls running in the canary finish first: its versions go once every
	// realm is free of them.
	if unlock, err := rt.lockAll(context.WithoutCancel(ctx)); err == nil {
		rt.discardEverywhere(ctx, []*change{cn.c})
		unlock()
	}
	rt.events.emit(Event{Type: EventCanaryAborted, Module: m.id, Version: cn.c.n, Reason: reason})
	rt.log.Info("canary dropped", "module", m.id, "version", cn.c.n, "reason", reason)
	return true
}

// canaryStatus is the canary, for Stats.
func (m *Module) canaryStatus() *CanaryStatus {
	cn := m.canaryNow.Load()
	if cn == nil {
		return nil
	}
	f := m.figures(cn.c.n)
	return &CanaryStatus{Version: cn.c.n, Percent: int(cn.percent.Load()), Since: cn.started,
		Calls: f.Calls, Errors: f.Errors, P99: f.P99, Serving: m.figures(m.Version())}
}

// autoAbort drops canary n after its figures regressed.
func (m *Module) autoAbort(n int, reason string) {
	rt := m.rt
	ctx, cancel := context.WithTimeout(rt.bg, rt.opts.ReloadTimeout)
	defer cancel()
	if err := m.lockReload(ctx); err != nil {
		return
	}
	defer m.unlockReload()
	if cn := m.canaryNow.Load(); cn == nil || cn.c.n != n {
		return // promoted, aborted or replaced meanwhile
	}
	h := m.healthState()
	h.mu.Lock()
	h.lastReason = fmt.Sprintf("canary version %d aborted: %s", n, reason)
	h.mu.Unlock()
	m.abortCanaryLocked(ctx, "regressed: "+reason)
}

// Pin makes source the module's serving version, as a reload does (hooks
// and verification included), without writing the store, and keeps it
// while the store changes: a node of a fleet rollout runs the rollout's
// source this way. Unpin goes back to the store's source. A Pin that fails
// leaves the module as it was.
func (m *Module) Pin(ctx context.Context, source []byte) error {
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	defer m.unlockReload()
	prev := m.pinned.Load()
	src := slices.Clone(source)
	m.pinned.Store(&src)
	if err := m.reloadLocked(ctx, false); err != nil {
		m.pinned.Store(prev)
		return err
	}
	return nil
}

// Unpin ends a Pin: the module serves the store's source again (nothing
// changes if that is the pinned source).
func (m *Module) Unpin(ctx context.Context) error {
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	defer m.unlockReload()
	if m.pinned.Swap(nil) == nil {
		return nil
	}
	return m.reloadLocked(ctx, true)
}

// Pinned reports whether a Pin holds the module's source.
func (m *Module) Pinned() bool { return m.pinned.Load() != nil }

// readStore records res as the store's source of m (see storeHash).
func (m *Module) readStore(res *transform.Result) {
	m.mu.Lock()
	m.storeHash = res.Hash
	m.mu.Unlock()
}

// readSource reads and compiles the module's source: the pinned one, or
// the store's. Call with the reload lock held.
func (m *Module) readSource(ctx context.Context) (*transform.Result, *reads, string, error) {
	p := m.pinned.Load()
	var res *transform.Result
	var st *reads
	if p == nil {
		var step string
		var err error
		if res, st, step, err = m.rt.readAndCompile(ctx, m.path); err != nil {
			return nil, nil, step, err
		}
		m.readStore(res)
	} else {
		var err error
		st = newReads()
		if res, err = m.rt.compileFile(ctx, st, m.path, *p); err != nil {
			return nil, nil, "compile", err
		}
		m.rt.prefetch(ctx, st, m.path, res)
	}
	if err := m.rt.preloadAsync(ctx, m.path, res, st, 0); err != nil {
		return nil, nil, "evaluate", err
	}
	return res, st, "", nil
}
