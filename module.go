package hotmod

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/engine"
	"github.com/hotmod/hotmod/internal/transform"
	"github.com/hotmod/hotmod/vfs"
)

// Module is a stable handle to a hot module: every method reaches the
// version that is current at the time of the call. Safe for concurrent use.
type Module struct {
	rt   *Runtime
	id   string
	path string

	// cur is the serving version, as Go sees it: its number, source and
	// export names (in realm 0, or the realm that loaded it first). Each
	// realm's own copy of it is in[realm].cur.
	cur atomic.Pointer[version]
	in  []*inRealm // by realm index
	// implicit: an import loaded it, not the program (CreateModule,
	// LoadAll): it is pruned once no loaded module imports it.
	implicit atomic.Bool
	// gone: the store's last event for the source deleted it; the module
	// is removed once no loaded module imports it (see deleted.go).
	gone atomic.Bool
	// deferred: the first pass of LoadPaths ran out and its second pass
	// is to come; a store change waits for it (see LoadPaths).
	deferred atomic.Bool

	hooks   atomic.Pointer[hooks] // patches and profiles; nil when none
	hooksMu sync.Mutex            // serializes edits of hooks

	health    atomic.Pointer[health] // see healthState
	canaryNow atomic.Pointer[canary] // see canary.go
	pinned    atomic.Pointer[[]byte] // see Pin

	// Each version number's call figures (see figures.go), and the module
	// calls of the versions forgotten since.
	figMu              sync.Mutex
	figs               map[int]*callFigures
	retiredModuleCalls int64

	reloadSem     chan struct{}
	reqSeq        atomic.Uint64
	autoQueued    atomic.Bool
	forceNext     atomic.Bool // hot.invalidate(): the next scheduled reload runs though the source is unchanged
	invalidQueued atomic.Bool // a hot.invalidate() transaction over its importers is scheduled, not started
	// The version whose update a hot.invalidate() in a hot.accept callback
	// sent on to the importers: once, however many realms ask.
	passedOn atomic.Int64
	// stale: the module's source changed and is fine, but its reload was
	// refused for another module's sake (a transaction another module
	// failed, or importers that still use an export it removed); the next
	// burst of store changes takes it along.
	stale atomic.Bool
	// Guarded by reloadSem:
	doneSeq     uint64
	lastResult  error
	lastCallers bool     // lastResult is its caller's context ending, not the module's outcome
	pending     []func() // user callbacks to run once the reload lock is released
	failedHash  [32]byte // the source whose first load failed at evaluation
	retryQueued atomic.Bool

	mu            sync.Mutex
	state         State
	kept          []*version // newest last, the current one included
	maxVersion    int
	reloads       int
	failures      int
	rollbacks     int
	lastReload    time.Time
	lastErr       error
	sourceDeleted bool
	// storeHash is the hash of the source the module last read from the
	// store and compiled (zero before the first read): a serving version
	// with another hash runs code the store no longer holds (a rollback,
	// a reload that failed at evaluation), which Stats says as StoreNewer.
	storeHash [32]byte
	// tried are the store paths, other than its own, that the module's
	// failed first load read or looked for, and changed those written since
	// that a queued retry has still to look at (see retryIfTried); nil once
	// it has a version.
	tried, changed map[string]bool
}

// version is one evaluated copy of a module's source, in one realm.
type version struct {
	n        int
	res      *transform.Result
	module   *goja.Object // realm lock
	hot      *hotState    // realm lock
	scope    scope
	deps     map[string]*Module // what each specifier it required reached; realm lock
	inflight atomic.Int64       // Go calls still waiting on this version's promises
	// The functions Call has called, asserted callable (see callable);
	// realm lock.
	callables map[*goja.Object]goja.Callable
	// The functions among an ES module's constant exports (see
	// transform.constExports) that Call has read: their value cannot
	// change, so a call skips the export's getters, two entries into
	// JavaScript (esbuild's getter and __copyProps' around it). Realm lock.
	fast map[string]goja.Callable
	// The last of them called, before a map lookup. Realm lock.
	lastName string
	lastFn   goja.Callable
	lastSite *holdSite
	// fig counts the calls of version n in every realm (see figures.go).
	fig *callFigures
	// sites are what a realm's holder says while a call of each function
	// runs (see realmhold.go); realm lock.
	sites    map[string]*holdSite
	disposed atomic.Bool
	// ready is the promise of the end of an ES module's top-level await,
	// which sets its exports (nil for a module without one); realm lock.
	ready *goja.Object
	// An ES module's export names and the functions among them, as its
	// evaluation left them (nil for other kinds, whose exports may change).
	names, fns []string
	// With several realms, every name the version exported when its
	// evaluation ended, and whether it was a function: each realm's copy
	// of a version must agree (see sameExports).
	kinds map[string]bool
	// Set when it starts serving, under m.mu: when, and how long its load
	// or reload took from the first read of its source to the swap.
	served time.Time
	took   time.Duration
}

type hotState struct {
	data          *goja.Object
	disposers     []goja.Callable
	acceptors     []goja.Callable
	depAcceptors  []depAcceptor
	pruners       []goja.Callable
	listeners     map[string][]listener
	declined      atomic.Bool     // hot.decline(): its updates reload its importers with it (see declinedSet)
	selfAccepting bool            // hot.accept() or hot.accept(cb): invalidate's propagation stops here
	accepting     bool            // its hot.accept callbacks run, on the version that replaces it
	read          map[string]bool // hot.data keys this version read (see nextData)
	warned        map[string]bool // keys whose late write was dropped and warned of
	disposing     bool            // the previous version's dispose callbacks are running
}

func newModule(rt *Runtime, id, p string) *Module {
	m := &Module{rt: rt, id: id, path: p, reloadSem: make(chan struct{}, 1), state: StateLoading}
	m.in = make([]*inRealm, len(rt.realms))
	for i := range m.in {
		m.in[i] = &inRealm{}
	}
	return m
}

// ID is the module's id.
func (m *Module) ID() string { return m.id }

// SourcePath is the store path the module is loaded from.
func (m *Module) SourcePath() string { return m.path }

// Version is the current version number (0 once the module is removed).
// Versions count up from 1 with each reload; a rollback makes an older
// number current again.
func (m *Module) Version() int {
	if v := m.cur.Load(); v != nil {
		return v.n
	}
	return 0
}

// exportsOf is the version's module.exports as an object, or nil when the
// module exported a primitive. Call with the lock held.
func (m *Module) exportsOf(v *version) *goja.Object {
	e, ok := v.module.Get("exports").(*goja.Object)
	if !ok {
		return nil
	}
	return e
}

// resolve is what the JavaScript handle in realm s stands for at this
// moment. Call with s's lock held.
func (m *Module) resolve(s *realm) *goja.Object {
	in := m.in[s.index]
	v := in.cur.Load()
	if v == nil {
		v = in.loading
	}
	if v == nil {
		var err error
		if v, err = m.at(s); err != nil {
			return nil
		}
	}
	return m.exportsOf(v)
}

// ensureProxy makes the JavaScript handle, callable if the module exports a
// function. A module required while it is still loading (a cycle) gets a
// plain one. Call with s's lock held.
func (m *Module) ensureProxy(s *realm) {
	in := m.in[s.index]
	if in.proxy == nil && m.plainHandle(s) {
		in.proxy, in.plain = s.VM().NewObject(), true
	}
	if in.plain {
		if !in.listed {
			in.listed = true
			s.handles = append(s.handles, m)
		}
		m.syncHandle(s)
		return
	}
	if in.proxy != nil {
		return
	}
	callable := false
	if exp := m.resolve(s); exp != nil {
		_, callable = goja.AssertFunction(exp)
	}
	in.proxy = s.LiveProxy(func() *goja.Object { return m.resolve(s) },
		func(exp *goja.Object, name string) goja.Value { return m.lookup(s, exp, name) }, callable)
}

// current returns the serving version, or why there is none.
func (m *Module) current() (*version, error) {
	if v := m.cur.Load(); v != nil {
		return v, nil
	}
	m.mu.Lock()
	st, lastErr := m.state, m.lastErr
	m.mu.Unlock()
	switch st {
	case StateFailed:
		return nil, fmt.Errorf("%w: %q failed to load: %w", ErrNotLoaded, m.id, lastErr)
	case StateLoading:
		return nil, fmt.Errorf("%w: %q is still loading", ErrNotLoaded, m.id)
	}
	return nil, fmt.Errorf("%w: %q", ErrRemoved, m.id)
}

// Call calls the exported function name of the current version with args
// converted to JavaScript, and returns its result converted to Go. A
// returned promise is awaited. If ctx ends while the function runs, it is
// interrupted and the error matches ctx.Err(); if it ends while a promise is
// pending, Call returns and the promise settles on its own. A JavaScript
// throw or rejection is a *JSError.
//
// The result is Go data (see the package function Call for its types). NaN,
// Infinity and -Infinity, at any depth, are the float64 values
// math.NaN(), math.Inf(1) and math.Inf(-1): Go can hold them, JSON cannot,
// so encoding/json refuses such a result, and the HTTP API answers the call
// 422 unrepresentable_result naming the value and where it is.
func (m *Module) Call(ctx context.Context, name string, args ...any) (v any, err error) {
	if observe := m.rt.opts.OnCall; observe != nil {
		start := time.Now()
		defer func() { observe(m.id, name, time.Since(start), err) }()
	}
	return m.call(ctx, name, args)
}

func (m *Module) call(ctx context.Context, name string, args []any) (any, error) {
	return m.callOn(ctx, name, args, m.at, false)
}

// callOn calls name on the version which, in the realm the call takes,
// pick returns: the current one, a canary, or a candidate being verified.
// Patches are the serving version's only; profiles and probation count a
// canary's calls too (measured) but not a verification's.
func (m *Module) callOn(ctx context.Context, name string, args []any, pick func(*realm) (*version, error), measured bool) (any, error) {
	// Every call made is counted, with its error, and a timed one's
	// duration sampled, to settlement for a promise. Not in a defer: in
	// callMade, whose conditional defers rule out open-coded ones, a defer
	// on every call cost 10-20 ns (deferreturn's panic record).
	var c callCount
	res, err := m.callMade(ctx, name, args, pick, measured, &c)
	if c.fig != nil {
		if err != nil {
			c.fig.realms[c.realm].errors.Add(1)
		}
		if !c.start.IsZero() {
			c.fig.sample(time.Since(c.start))
		}
	}
	return res, err
}

// callCount is what callOn counts of a call callMade made.
type callCount struct {
	fig   *callFigures // the version's, once the call is made
	realm int          // the realm's index
	start time.Time    // of a timed call (see callFigures.begin)
}

func (m *Module) callMade(ctx context.Context, name string, args []any, pick func(*realm) (*version, error), measured bool, c *callCount) (any, error) {
	rt := m.rt
	var (
		v    *version
		out  engine.Outcome
		wait <-chan engine.Outcome
		r    *realm
	)
	err := rt.runAny(ctx, rt.opts.CallTimeout, func(s *realm) error {
		r = s
		var err error
		if v, err = pick(s); err != nil {
			return err
		}
		h := m.hooks.Load() // the only atomic load a plain call pays for hooks
		if h != nil && v != m.in[s.index].cur.Load() {
			h = h.unpatched(measured)
		}
		var fn goja.Callable
		var site *holdSite
		ok := false
		if v.lastFn != nil && name == v.lastName {
			fn, site, ok = v.lastFn, v.lastSite, true // a string compare: the same name is the same pointer
		} else if fn, ok = v.fast[name]; ok {
			site = v.site(m, name)
			v.lastName, v.lastFn, v.lastSite = name, fn, site
		}
		if !ok || h != nil {
			exp := m.exportsOf(v)
			var fv goja.Value = goja.Undefined()
			if exp != nil && !r.Inherited(exp, name) {
				fv = exp.Get(name)
			}
			c := h.chain(name)
			if c != nil {
				fv = c.top(s.index)
			}
			if fn, ok = v.callable(fv); !ok {
				return m.notFunction(s, name, exp, fv)
			}
			if c == nil {
				v.remember(name, fn)
			}
			site = v.site(m, name)
		}
		// The realm's argument buffer: goja copies the arguments onto its
		// own stack, so the buffer is free again once the call has begun.
		jsArgs := s.args[:0]
		scalars := true // numbers and booleans only: nothing worth clearing
		for i, a := range args {
			jv, err := r.ToJS(a)
			if err != nil {
				return fmt.Errorf("argument %d: %w", i+1, err)
			}
			switch a.(type) {
			case int, int64, float64, bool:
			default:
				scalars = false
			}
			jsArgs = append(jsArgs, jv)
		}
		if cap(jsArgs) > cap(s.args) {
			s.args = jsArgs[:0] // grown: a pointer write only then
		}
		prev := r.SwapOwner(v.scope.timers) // not rt.enter: no closure on the hot path
		if c.fig, c.realm = v.fig, s.index; c.fig.begin(s) {
			c.start = time.Now()
		}
		s.hold(site) // for RealmHolders
		ret, err := m.invoke(s, h, v, name, fn, m.in[s.index].proxy, jsArgs)
		if !scalars {
			// Nothing of this call stays reachable from the buffer. Not
			// for numbers: with the collector running, clear's write
			// barriers were 4% of a call.
			clear(jsArgs)
		}
		r.SwapOwner(prev)
		if err != nil {
			return engine.Err(err)
		}
		if _, isObject := ret.(*goja.Object); !isObject {
			out.Value, out.Err = r.FromJS(ret) // no promise to look for
			return nil
		}
		var done bool
		if out, wait, done = r.Settle(ret, nil); !done {
			v.inflight.Add(1)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("call %s.%s: %w", m.id, name, err)
	}
	if wait != nil {
		defer v.callDone()
		var expired <-chan time.Time
		if d := rt.opts.CallTimeout; d > 0 {
			// The wait has a CallTimeout of its own: timing the whole call
			// would cost every call a clock read.
			t := time.NewTimer(d)
			defer t.Stop()
			expired = t.C
		}
		select {
		case out = <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("call %s.%s: waiting for its promise: %w", m.id, name, context.Cause(ctx))
		case <-expired:
			return nil, fmt.Errorf("call %s.%s: its promise did not settle within CallTimeout: %w", m.id, name,
				&TimeoutError{Err: context.DeadlineExceeded, Limit: rt.opts.CallTimeout})
		case <-r.Done():
			return nil, fmt.Errorf("call %s.%s: waiting for its promise: %w", m.id, name, ErrClosed)
		case <-v.scope.done():
			return nil, fmt.Errorf("call %s.%s: waiting for its promise: version %d ended: %w", m.id, name, v.n, ErrRemoved)
		}
	}
	if out.Err != nil {
		return nil, fmt.Errorf("call %s.%s: %w", m.id, name, out.Err)
	}
	return out.Value, nil
}

// callable is goja.AssertFunction of fv, remembered for the version: the
// assertion allocates a closure, and a call of the same export would make
// it again on every call. Up to maxCallables functions are remembered (an
// export whose getter makes a new function each time is not).
func (v *version) callable(fv goja.Value) (goja.Callable, bool) {
	obj, ok := fv.(*goja.Object)
	if !ok {
		return nil, false
	}
	if fn, ok := v.callables[obj]; ok {
		return fn, true
	}
	fn, ok := goja.AssertFunction(obj)
	if ok && len(v.callables) < maxCallables {
		if v.callables == nil {
			v.callables = make(map[*goja.Object]goja.Callable)
		}
		v.callables[obj] = fn
	}
	return fn, ok
}

const maxCallables = 64

// remember keeps fn as the function name calls in v from now on, if name is
// one of v's constant exports. Call with the realm's lock held.
func (v *version) remember(name string, fn goja.Callable) {
	if v.ready != nil || len(v.fast) >= maxCallables {
		return // top-level await: no constant exports (see transform)
	}
	if _, ok := slices.BinarySearch(v.res.ConstExports, name); !ok {
		return
	}
	if v.fast == nil {
		v.fast = make(map[string]goja.Callable)
	}
	v.fast[name] = fn
}

// callDone ends a call that waited on the version; the last one out of a
// disposed version stops its timers.
func (v *version) callDone() {
	if v.inflight.Add(-1) == 0 && v.disposed.Load() {
		v.scope.end()
	}
}

func typeOf(v goja.Value) string {
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	}
	if o, ok := v.(*goja.Object); ok {
		return "an " + o.ClassName()
	}
	switch v.Export().(type) {
	case int64, float64:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a " + v.ExportType().String()
}

// notFunction says why name cannot be called, and what can be: the
// caller's wrapper already names module.name. Call in the realm.
func (m *Module) notFunction(s *realm, name string, exp *goja.Object, fv goja.Value) error {
	id := m.id
	if fv != nil && !goja.IsUndefined(fv) {
		return fmt.Errorf("%w: it is %s", ErrNotFunction, typeOf(fv))
	}
	var fns []string
	if exp != nil {
		_, fns = m.listExports(s, exp)
		if len(fns) > 20 {
			fns = append(fns[:20], "...")
		}
	}
	if len(fns) == 0 {
		return &noExportToCall{fmt.Sprintf("%s has no export %q, and exports no functions", id, name)}
	}
	return &noExportToCall{fmt.Sprintf("%s has no export %q (its functions: %s)", id, name, strings.Join(fns, ", "))}
}

// withExports runs fn in a realm with the current version's exports there
// (nil when the module exports a primitive).
func (m *Module) withExports(ctx context.Context, fn func(s *realm, exp *goja.Object) error) error {
	return m.rt.runAny(ctx, m.rt.opts.CallTimeout, func(s *realm) error {
		s.hold(nil) // not a call: the last call's site is not this run's
		v, err := m.at(s)
		if err != nil {
			return err
		}
		return fn(s, m.exportsOf(v))
	})
}

// Get returns the current value of an export, converted to Go as Call's
// results are. An export the module does not have is ErrNoExport (one
// that is undefined is nil).
func (m *Module) Get(ctx context.Context, name string) (any, error) {
	var out any
	err := m.withExports(ctx, func(s *realm, exp *goja.Object) (err error) {
		if exp == nil || s.Inherited(exp, name) {
			return fmt.Errorf("%w: %s has no export %q", ErrNoExport, m.id, name)
		}
		v, err := s.Get(exp, name)
		if err != nil {
			return err
		}
		if v == nil {
			return fmt.Errorf("%w: %s has no export %q", ErrNoExport, m.id, name)
		}
		out, err = s.FromJS(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get %s.%s: %w", m.id, name, err)
	}
	return out, nil
}

// Set assigns an export of the current version. An export the module does
// not let others change (an ES module's export, a const, a frozen object)
// gives ErrReadOnly; nothing fails silently. With several realms it is set
// in every one of them, or in none.
func (m *Module) Set(ctx context.Context, name string, value any) error {
	err := m.rt.runAll(ctx, m.rt.opts.CallTimeout, func(s *realm) error {
		v, err := m.at(s)
		if err != nil {
			return err
		}
		exp := m.exportsOf(v)
		if exp == nil {
			return fmt.Errorf("%w: the module exports a primitive", ErrReadOnly)
		}
		jv, err := s.ToJS(value)
		if err != nil {
			return err
		}
		if err := exp.Set(name, jv); err != nil {
			return fmt.Errorf("%w: %v", ErrReadOnly, engine.Err(err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set %s.%s: %w", m.id, name, err)
	}
	return nil
}

// Functions lists the exports of the current version that Call can call:
// those whose value is a function (patched ones included), read in the
// realm without converting anything to Go. An export whose getter throws
// is not listed.
func (m *Module) Functions(ctx context.Context) ([]string, error) {
	v, err := m.current()
	if err != nil {
		// Still loading, failed or removed: a listing says so without
		// waiting for the realm, which its load may be holding.
		return nil, err
	}
	if v.fns != nil {
		return slices.Clone(v.fns), nil // patches replace functions with functions
	}
	out := []string{}
	err = m.withExports(ctx, func(s *realm, exp *goja.Object) error {
		if exp != nil {
			_, out = m.listExports(s, exp)
		}
		return nil
	})
	return out, err
}

// listExports reads exp's names and which of them are functions (patched
// ones included). An export whose getter throws is not a function. Call in
// realm s.
func (m *Module) listExports(s *realm, exp *goja.Object) (names, fns []string) {
	names, fns = exp.Keys(), []string{}
	for _, k := range names {
		v, err := s.Get(exp, k)
		if err != nil {
			continue // a getter threw (an interrupt ends the run instead)
		}
		if c := m.hooks.Load().chain(k); c != nil {
			v = c.top(s.index)
		}
		if _, ok := goja.AssertFunction(v); ok {
			fns = append(fns, k)
		}
	}
	return names, fns
}

// Exports lists the names the current version exports (its own enumerable
// properties, in definition order).
func (m *Module) Exports(ctx context.Context) ([]string, error) {
	v, err := m.current()
	if err != nil {
		return nil, err // as Functions: no wait for the realm
	}
	if v.names != nil {
		return slices.Clone(v.names), nil
	}
	var out []string
	err = m.withExports(ctx, func(_ *realm, exp *goja.Object) error {
		if exp != nil {
			out = exp.Keys()
		}
		return nil
	})
	return out, err
}

// lockReload serializes loads, reloads, rollbacks and removal of the module.
func (m *Module) lockReload(ctx context.Context) error {
	select {
	case m.reloadSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-m.rt.closing():
		return ErrClosed
	}
}

// unlockReload releases the reload lock, then runs the user callbacks the
// work under it queued: a callback may reload or roll back the module.
func (m *Module) unlockReload() {
	for _, fn := range m.release() {
		fn()
	}
}

// release releases the reload lock and returns the callbacks to run now.
func (m *Module) release() []func() {
	later := m.pending
	m.pending = nil
	<-m.reloadSem
	return later
}

// afterUnlock queues fn to run once the reload lock is released. Call with
// the reload lock held.
func (m *Module) afterUnlock(fn func()) { m.pending = append(m.pending, fn) }

// keep records v as a kept version. Call with m.mu held.
func (m *Module) keep(v *version) {
	m.kept = slices.DeleteFunc(m.kept, func(k *version) bool { return k.n == v.n })
	m.kept = append(m.kept, v)
	if over := len(m.kept) - m.rt.opts.KeepVersions; over > 0 {
		m.kept = slices.Delete(m.kept, 0, over)
	}
}

// scheduleReload reloads the module in the background, once for any number
// of requests that arrive before the reload reads the source.
func (m *Module) scheduleReload() {
	if !m.autoQueued.CompareAndSwap(false, true) {
		return
	}
	rt := m.rt
	rt.spawn(func() {
		ctx, cancel := context.WithTimeout(rt.bg, rt.opts.ReloadTimeout)
		defer cancel()
		m.autoQueued.Store(false)
		if err := m.reload(ctx, !m.forceNext.Swap(false)); err != nil && rt.bg.Err() == nil {
			rt.log.Warn("auto reload failed; the running version keeps serving", "module", m.id, "err", err)
		}
	})
}

// retryIfTried retries, in the background, the first load of a failed
// module that read or looked for one of paths: the import it missed may
// have appeared, or the import that broke been fixed, so the same source
// may load now. Its own source changing is the store watcher's other rule.
// A module still on its first load may have looked before the write: which
// paths it tried is known once it fails, so it is decided after that load.
func (m *Module) retryIfTried(paths map[string]vfs.Event) {
	if m.cur.Load() != nil {
		return
	}
	m.mu.Lock()
	if m.state != StateLoading && !(m.state == StateFailed && triedAny(m.tried, paths)) {
		m.mu.Unlock()
		return
	}
	if m.changed == nil {
		m.changed = make(map[string]bool)
	}
	for p := range paths {
		m.changed[p] = true
	}
	m.mu.Unlock()
	if !m.retryQueued.CompareAndSwap(false, true) {
		return // the queued retry takes these paths too
	}
	rt := m.rt
	rt.spawn(func() {
		ctx, cancel := context.WithTimeout(rt.bg, rt.opts.ReloadTimeout)
		defer cancel()
		err := m.lockReload(ctx)
		m.retryQueued.Store(false)
		if err != nil {
			return // the paths stay, for the next change to retry
		}
		m.mu.Lock()
		hit := m.state == StateFailed && triedAny(m.tried, m.changed)
		m.changed = nil
		m.mu.Unlock()
		if hit && m.cur.Load() == nil {
			// Not auto: an auto load skips the source that already failed.
			err = m.firstLoadLocked(ctx, false, 0)
		}
		m.unlockReload()
		if err != nil && rt.bg.Err() == nil {
			rt.log.Warn("a failed module's retry failed", "module", m.id, "err", err)
		}
	})
}

func triedAny[V any](tried map[string]bool, paths map[string]V) bool {
	for p := range paths {
		if tried[p] {
			return true
		}
	}
	return false
}

// ReloadModule reloads the module from its source: see the package
// documentation for the transaction. Concurrent requests for one module
// coalesce: a request that arrives while a reload waits to start is served
// by that reload, which reads the latest source.
func (rt *Runtime) ReloadModule(ctx context.Context, id string) error {
	m, err := rt.Module(id)
	if err != nil {
		return err
	}
	return m.reload(ctx, false)
}

// Reload is ReloadModule of this module.
func (m *Module) Reload(ctx context.Context) error { return m.reload(ctx, false) }

// Remove is RemoveModule of this module.
func (m *Module) Remove(ctx context.Context) error { return m.rt.remove(ctx, m) }

// OnUpdate is OnModuleUpdate for this module's id.
func (m *Module) OnUpdate(fn func(Update)) (unsubscribe func()) { return m.rt.OnModuleUpdate(m.id, fn) }

// Patch makes a patch: it is PatchFunction of this module. To find an
// existing patch by id, use Runtime.LookupPatch.
func (m *Module) Patch(ctx context.Context, function, source string) (*Patch, error) {
	return m.rt.PatchFunction(ctx, m.id, function, source)
}

// Profile starts a profile: it is ProfileModule of this module. To find a
// running profile by id, use Runtime.LookupProfile.
func (m *Module) Profile() (*Profile, error) { return m.rt.ProfileModule(m.id) }

// reload reloads m; auto reloads skip a source whose content the current
// version already runs (a store event for a write that changed nothing, or
// one a manual reload already picked up).
func (m *Module) reload(ctx context.Context, auto bool) error {
	if v := m.cur.Load(); v != nil && v.hot.declined.Load() {
		return m.rt.reloadTogether(ctx, []*Module{m}, auto) // with its importers
	}
	return m.reloadOne(ctx, auto)
}

// reloadOne is reload of m alone.
func (m *Module) reloadOne(ctx context.Context, auto bool) error {
	req := m.reqSeq.Add(1)
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	defer m.unlockReload()
	if m.doneSeq >= req && !m.lastCallers {
		return m.lastResult // a reload that started after this request covered it
	}
	start := m.reqSeq.Load()
	err := m.reloadLocked(ctx, auto)
	m.doneSeq, m.lastResult = start, err
	// A reload cut short by its caller's context says nothing of the
	// source: the requests it covered run again under their own contexts.
	m.lastCallers = err != nil && ctx.Err() != nil
	return err
}

func (m *Module) reloadLocked(ctx context.Context, auto bool) error {
	old := m.cur.Load()
	if old == nil {
		if m.State() == StateRemoved {
			return fmt.Errorf("%w: %q", ErrRemoved, m.id)
		}
		if auto && m.deferred.Load() {
			return nil // the second pass reads the newest source anyway
		}
		return m.firstLoadLocked(ctx, auto, 0)
	}
	if handled, err := m.divertLocked(ctx, auto); handled {
		return err
	}
	m.beginReload()
	defer m.endReload()
	start := time.Now()
	res, st, step, err := m.readSource(ctx)
	if err != nil {
		return m.fail(ctx, old, step, err)
	}
	if auto && res.Hash == old.res.Hash {
		// The file is what serves again (a broken save undone): an error
		// from a reload in between no longer describes it.
		m.sourceServes()
		return nil
	}
	c, err := m.nextChange(ctx, old, res, st, start)
	if err != nil {
		return err
	}
	return m.rt.apply(ctx, []*change{c})
}

// divertLocked handles a reload that a pin or a canary takes instead of
// the serving version, and reports whether it did: a store change
// (auto) waits for Unpin while the module is pinned, and becomes the next
// canary while a canary runs; any other reload drops the canary and goes
// on. Call with the reload lock held.
func (m *Module) divertLocked(ctx context.Context, auto bool) (handled bool, err error) {
	if m.pinned.Load() != nil && auto {
		return true, nil
	}
	cn := m.canaryNow.Load()
	if cn == nil {
		return false, nil
	}
	if !auto {
		m.abortCanaryLocked(ctx, "the module was reloaded")
		return false, nil
	}
	if err := m.startCanaryLocked(ctx, nil, int(cn.percent.Load())); err != nil && !errors.Is(err, ErrInvalidCanary) {
		return true, err
	}
	return true, nil
}

// RollbackModule makes a kept version current again, without reading or
// compiling: it is evaluated afresh from its kept program and takes over
// through __acceptHotReload like any reload. to is a version number, or 0
// for the newest kept version before the current one (as in the HTTP API
// and `hotmod rollback`); a version that is not kept, or 0 when no earlier
// version is, is ErrVersionNotKept. Rolling back to the current version
// does nothing.
func (rt *Runtime) RollbackModule(ctx context.Context, id string, to int) error {
	m, err := rt.Module(id)
	if err != nil {
		return err
	}
	return m.Rollback(ctx, to)
}

// Rollback is RollbackModule of this module: to is a kept version, or 0
// for the newest kept version before the current one.
func (m *Module) Rollback(ctx context.Context, to int) error {
	rt, id := m.rt, m.id
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	defer m.unlockReload()
	old, err := m.current()
	if err != nil {
		return err
	}
	m.mu.Lock()
	var target *version
	var have []int
	for _, k := range m.kept {
		have = append(have, k.n)
		if k.n == to {
			target = k
		}
	}
	previous := to == 0
	if previous {
		// kept is newest last: the first one before the current, from the end.
		for _, k := range slices.Backward(m.kept) {
			if k.n < old.n {
				target, to = k, k.n
				break
			}
		}
	}
	m.mu.Unlock()
	if target == nil && previous {
		return fmt.Errorf("%w: %s has no version before %d (kept: %v)", ErrVersionNotKept, id, old.n, have)
	}
	if target == nil {
		return fmt.Errorf("%w: %s version %d (kept: %v)", ErrVersionNotKept, id, to, have)
	}
	m.abortCanaryLocked(ctx, "the module was rolled back")
	if to == old.n {
		return nil
	}
	return rt.apply(ctx, []*change{rt.newChange(m, old, target.res, nil, to, true, time.Now())})
}

// exportedHook finds the hook name (__acceptHotReload, __verifyHotReload)
// wherever the version exports it: on its exports, or on its default
// export. A getter that throws there (a strict Proxy as default export) is
// the version's error. Call with s's lock held.
func (m *Module) exportedHook(s *realm, v *version, name string) (goja.Callable, error) {
	exp := m.exportsOf(v)
	if exp == nil {
		return nil, nil
	}
	hook, err := s.Get(exp, name)
	if err != nil {
		return nil, err
	}
	if fn, ok := goja.AssertFunction(hook); ok {
		return fn, nil
	}
	def, err := s.Get(exp, "default")
	if err != nil {
		return nil, err
	}
	if def, ok := def.(*goja.Object); ok {
		hook, err := s.Get(def, name)
		if err != nil {
			return nil, err
		}
		if fn, ok := goja.AssertFunction(hook); ok {
			return fn, nil
		}
	}
	return nil, nil
}

// swapLocked makes nv current in realm s and retires old (nil if the
// module never ran in s). Call with s's lock held, and every other realm's:
// the Go-side record changes once, in realm 0.
func (m *Module) swapLocked(s *realm, old, nv *version) {
	rt := m.rt
	m.dropPatchesLocked(s)
	m.in[s.index].cur.Store(nv)
	if s.index == 0 {
		m.cur.Store(nv)
	}
	m.ensureProxy(s)
	if old == nil {
		return
	}
	if exp := m.exportsOf(nv); exp != nil && len(old.hot.acceptors) > 0 {
		old.hot.accepting = true // hot.invalidate() now passes the update on (see hotObject)
		rt.callEach(s, nv, "hot.accept callback", old.hot.acceptors, []goja.Value{exp}, "module", m.id)
		old.hot.accepting = false
	}
	nv.hot.disposing = true
	rt.disposeLocked(s, m, old, nv.hot.data)
	nv.hot.disposing = false
	rt.acceptDepLocked(s, m)
	rt.lifecycleLocked(s, m, nv, HotAfterUpdate, "version", nv.n, "previous", old.n)
}

func (m *Module) fail(ctx context.Context, old *version, step string, err error) error {
	err = &ReloadError{Module: m.id, Path: m.path, Version: old.n, Step: step, Err: err}
	m.mu.Lock()
	m.failures++
	m.lastErr = err
	m.mu.Unlock()
	m.rt.events.emit(Event{Type: EventReloadFailed, Module: m.id, Path: m.path, Version: old.n, Error: err.Error(), Position: position(err)})
	if step != "transaction" && ctx.Err() == nil {
		// Vite's vite:error, to every module listening; not for the
		// modules a failed transaction left out: the failed one says it.
		rt := m.rt
		payload := sync.OnceValue(func() any { return viteErrorPayload(m, err) })
		_ = rt.runAll(ctx, rt.opts.LoadTimeout, func(s *realm) error {
			rt.viteLocked(s, ViteError, payload)
			return nil
		})
	}
	if len(old.hot.listeners[HotError]) > 0 && ctx.Err() == nil {
		// Under the reload's context: a reload its caller gave up on tells
		// no listener. Each realm's serving version hears it.
		rt := m.rt
		msg := err.Error()
		_ = rt.runAll(ctx, rt.opts.LoadTimeout, func(s *realm) error {
			if v := m.in[s.index].cur.Load(); v != nil {
				rt.lifecycleLocked(s, m, v, HotError, "version", v.n, "error", msg)
			}
			return nil
		})
	}
	return err
}
