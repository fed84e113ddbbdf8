// Package hotmod hot-reloads JavaScript and TypeScript modules inside a Go
// program. Modules are loaded from a vfs.Store into a goja realm (or N of
// them, Options.Realms, for calls on N cores) and used through stable
// handles (*Module) that always reach the current version. A reload is a
// transaction: the new version is compiled and evaluated next to the
// running one, its __acceptHotReload(old) hook may carry state over, it may
// be verified (__verifyHotReload, Options.Verify, sibling tests), and only
// then is it swapped in; if any step fails, the running version serves on
// untouched. The Runtime watches its store and reloads modules whose source
// changed; with a Probation it rolls a regressing version back by itself.
// A canary serves a share of keyed calls before it is promoted.
//
// The realm is for code its owner trusts (goja has no memory limit and
// cannot interrupt a backtracking regular expression); untrusted snippets
// belong in a sandbox.
//
// Every realm has the platform real JavaScript assumes (internal/platform):
// process (its env is Options.Env), Buffer, URL, TextEncoder, atob, crypto,
// structuredClone, queueMicrotask, AbortController, EventTarget,
// performance, with Node 20's semantics; and Intl (internal/intl): Node's
// answers for en, de, fr, es, ja and zh, a RangeError for what it does not
// support. Known gaps of the goja engine: no WeakRef or
// FinalizationRegistry. Async generators and for-await work because esbuild
// lowers them. README: "What runs".
package hotmod

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/engine"
	"github.com/hotmod/hotmod/internal/transform"
	"github.com/hotmod/hotmod/vfs"
)

// Options configure a Runtime. Only Store is required.
type Options struct {
	// Store holds the module sources. The Runtime watches it for changes
	// but does not close it.
	Store vfs.Store
	// Logger receives console output (with the module id) and reload
	// reports. Default: slog.Default().
	Logger *slog.Logger
	// KeepVersions is how many versions of each module are kept for an
	// instant rollback, the current one included. Default 3.
	KeepVersions int
	// MaxCallStackSize bounds JavaScript recursion. Default 1000 frames,
	// at most 1500: a runaway recursing through native functions (getters,
	// sort comparators) takes time quadratic in its depth to unwind once
	// stopped, and this keeps every stop within 100 ms of its deadline
	// (see RATIONALE.md).
	MaxCallStackSize int
	// LoadTimeout bounds the JavaScript of evaluating one version of a
	// module: its own top level (a module it imports, loaded on the way,
	// has a LoadTimeout of its own, and the time it takes does not count
	// against its importer's: a package of thousands of files loads however
	// long the whole graph takes), its __acceptHotReload hook (awaited),
	// and the dispose callbacks of the version it replaces, together; also
	// a patch's factory. Default 5s; negative means no bound.
	LoadTimeout time.Duration
	// FirstPassBudget is how long LoadAll and LoadPaths let each module's
	// top level run in their first pass, so that modules that load
	// quickly serve before one that is slow or endless holds the realm for
	// its whole LoadTimeout; those that run out load in a second pass.
	// Default 100ms; negative: one pass, each module with LoadTimeout.
	FirstPassBudget time.Duration
	// CallTimeout bounds a Call, Get, Set or Exports whose context has no
	// earlier deadline, including the wait for a returned promise.
	// Default 10s; negative means no bound.
	CallTimeout time.Duration
	// TimerTimeout bounds one timer callback. Default 5s.
	TimerTimeout time.Duration
	// MaxTimers is how many timers one version of a module may have
	// pending (intervals count until cleared, timeouts until they run);
	// past it setTimeout, setInterval and setImmediate throw a RangeError
	// naming the limit, which reaches Go as an error matching
	// ErrTooManyTimers if the module does not catch it. Each version
	// starts from zero. Default 10,000: far above what modules keep
	// (a few polls and debounces, or a timeout per request in flight),
	// low enough to stop a loop that starts timers without end before it
	// slows the realm (RATIONALE.md, "Timers"). Zero or less takes the
	// default.
	MaxTimers int
	// ReloadTimeout bounds a reload the Runtime starts by itself (on a
	// store change, or hot.invalidate()), reading and compiling included.
	// Default 30s.
	ReloadTimeout time.Duration
	// DisableAutoReload stops the Runtime from watching the store.
	DisableAutoReload bool
	// ModuleID names the modules an import or LoadAll loads implicitly,
	// from their source path. Default: DefaultModuleID ("/lib/tax.ts" is
	// "lib/tax"), the ids `hotmod serve` uses.
	ModuleID func(sourcePath string) string
	// CompileCacheDir, if set, keeps the JavaScript that esbuild makes of
	// each source in this folder, by content, for every Runtime and
	// process that uses it: a package's files are transpiled once per
	// machine, not once per start (esbuild is about 1 ms a file, most of a
	// cold load of a many-file package). Default: none. `hotmod serve`
	// uses the user's cache folder.
	CompileCacheDir string
	// Verify, if set, checks every new version of a module before it
	// serves: after its __acceptHotReload and __verifyHotReload hooks, with
	// the old version still serving, Verify gets the candidate, which it
	// can call like a module. An error (or a panic) refuses the version at
	// step "verify". Bounded by LoadTimeout.
	Verify func(ctx context.Context, c *Candidate) error
	// TestSiblings makes a reload of x.js run the test file next to it,
	// x.test.js (x.test.ts for x.ts), against the candidate: importing
	// ./x.js there gives the candidate, and every function it exports is
	// called, promises awaited; the first that throws refuses the version
	// at step "verify". No test file, no check. Bounded by LoadTimeout.
	TestSiblings bool
	// Probation, if its Calls or Duration is set, watches every reloaded
	// version for that window: if its error rate or p99 regresses against
	// the version it replaced, the module rolls back by itself (an
	// EventAutoRolledBack says why). Module.SetProbation sets it per
	// module. While on, every call of the module is timed, as a profile
	// times it.
	Probation Probation
	// FrozenIntrinsics freezes the realm's built-ins before any module
	// runs (SES's "lockdown"): no module can change Array.prototype.map,
	// JSON.parse or Object.prototype for the others, by mistake or on
	// purpose; such an assignment throws a TypeError in strict code (ES
	// modules) and does nothing in sloppy code. The global names the realm
	// starts with (JSON, Math, setTimeout, console, ...) become read-only;
	// modules may still add globals, but not change the global object's
	// prototype. A module that assigns toString, constructor, name or
	// message on its own objects works as before.
	// Polyfills, which patch built-ins on purpose, fail to load
	// (README: "Frozen intrinsics").
	FrozenIntrinsics bool
	// Env is what modules see as process.env: exactly these entries. The
	// host's environment is never read, so that a module sees only what
	// the program chose to give it (no secrets by accident) and runs the
	// same on every machine. nil is an empty environment, as a Node
	// process started with none: process.env.NODE_ENV is then undefined,
	// and packages that test it (React, immer, ...) take their development
	// paths; set NODE_ENV to "production" for their production ones, as
	// `hotmod serve` does unless --env says otherwise. The map is copied
	// into each realm when the Runtime starts. README: "What runs".
	Env map[string]string
	// Realms is how many goja realms run the modules (default 1). Every
	// module is evaluated in each realm and a call runs in any free one, so
	// calls use that many cores; but module state is per realm (as in
	// Node's cluster workers): a counter a module keeps counts the calls
	// its realm served, a timer it starts runs once per realm (use
	// import.meta.hot.realm to run it in one). A reload, rollback, patch or
	// removal changes every realm or none. At most 64.
	Realms int
	// OnCall, if set, is told of every Module.Call when it ends (for
	// metrics). It runs on the caller's goroutine, outside the realm.
	OnCall func(module, function string, d time.Duration, err error)
	// MaxResultSize bounds every value copied out of JavaScript into Go: a
	// call's result, a host function's arguments, hot.send data, what
	// crosses into an isolated module. A larger value is refused with a
	// *LimitError (Limit "result") before it is copied, so a module cannot
	// make the process allocate what it chooses (an array whose length is
	// 2^32-1 exports to 64 GB of Go values). Zero fields take the
	// defaults: 1,000,000 elements and 64 MiB.
	MaxResultSize ResultSize
	// MaxMemory bounds how many bytes the Go heap may grow while one load,
	// call, hook or timer callback runs: past it, the JavaScript is
	// stopped with a *LimitError (Limit "memory") and the realm serves
	// on. goja has no heap of its own, so this is the process's heap,
	// sampled every few milliseconds while JavaScript runs: growth, not
	// size, so a module that holds memory does not stop the others' calls
	// (a module that leaks a little per call is not caught; watch
	// Stats and the process's memory for that). Default 1 GiB; negative
	// means no bound. README: "Bounds".
	MaxMemory int64
}

// ResultSize bounds one value copied out of JavaScript (see
// Options.MaxResultSize). A negative field means no bound.
type ResultSize struct {
	// Elements counts array elements, object properties, Map entries and
	// Set members, at every level of the value together.
	Elements int
	// Bytes counts strings (those longer than 64 bytes), Uint8Arrays,
	// ArrayBuffers and property names, at every level together.
	Bytes int
}

// Runtime loads modules and keeps them hot. All methods are safe for
// concurrent use.
type Runtime struct {
	opts   Options
	store  vfs.Store
	log    *slog.Logger
	realms []*realm
	// recent is the realm each P called in last (see runAny): per P, so
	// reading and writing it shares no memory between cores.
	recent sync.Pool
	// inTurn makes every call take the realms in turn, without recent:
	// tests that must reach each realm from one goroutine set it (see
	// export_test.go); nothing else does.
	inTurn atomic.Bool
	// turn spreads the calls that find their recent realm held; it has a
	// cache line of its own, away from realms and handleGen, which every
	// call reads.
	_    [64]byte
	turn atomic.Uint64
	_    [56]byte
	// Counts changes that the realms' plain handles must catch up with at
	// their next run (see syncHandles).
	handleGen atomic.Uint64
	compiler  *transform.Compiler
	events    eventBus
	bg        context.Context
	stopBg    context.CancelFunc
	work      sync.WaitGroup // reloads the Runtime started by itself

	sandboxRuns, sandboxBreaches atomic.Int64

	// probes are the loads running in a probe's private realm now, by
	// when they began (RealmHolders lists them).
	probeMu sync.Mutex
	probes  map[*probeRun]struct{}

	mu         sync.Mutex
	modules    map[string]*Module
	byPath     map[string][]*Module // the same modules by source path
	hosts      map[string]*hostModule
	callbacks  map[string]map[uint64]func(Update)
	cbSeq      uint64
	patches    map[string]*Patch // active patches by id
	patchSeq   uint64
	profiles   map[string]*Profile // running profiles by id
	profileSeq uint64
	closed     bool
	isolated   []*Runtime          // the private Runtimes of isolated modules
	hostDefs   map[string]*hostDef // every host module registered, for them
	slow       map[string]bool     // sources whose load ran out of a first pass (see LoadPaths)
	watchStop  context.CancelFunc
	watchDone  chan struct{}

	holdMu   sync.Mutex
	holdN    int           // HoldReloads in force
	holdFree chan struct{} // closed when holdN falls to 0, then replaced
}

// Update tells an OnModuleUpdate callback that a module changed version.
type Update struct {
	Module   *Module
	ID       string
	Old, New int  // versions before and after
	Rollback bool // true when RollbackModule made the change
}

// New starts a Runtime on opts.Store. The values of ctx are kept for the
// Runtime's own work; its cancellation is not (Close ends the Runtime).
func New(ctx context.Context, opts Options) (*Runtime, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("hotmod: Options.Store is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ModuleID == nil {
		opts.ModuleID = DefaultModuleID
	}
	if opts.KeepVersions <= 0 {
		opts.KeepVersions = 3
	}
	if opts.ReloadTimeout <= 0 {
		opts.ReloadTimeout = 30 * time.Second
	}
	opts.LoadTimeout = bound(opts.LoadTimeout, 5*time.Second)
	opts.CallTimeout = bound(opts.CallTimeout, 10*time.Second)
	opts.FirstPassBudget = bound(opts.FirstPassBudget, DefaultFirstPassBudget)
	if opts.MaxCallStackSize > engine.MaxCallStackSizeLimit {
		return nil, fmt.Errorf("hotmod: Options.MaxCallStackSize %d is above %d: deeper runaways could not be stopped within 100 ms of their deadline", opts.MaxCallStackSize, engine.MaxCallStackSizeLimit)
	}
	switch {
	case opts.Realms == 0:
		opts.Realms = 1
	case opts.Realms < 0 || opts.Realms > maxRealms:
		return nil, fmt.Errorf("hotmod: Options.Realms is %d: 1 to %d", opts.Realms, maxRealms)
	}
	compiler, err := transform.NewCompiler(1024, opts.CompileCacheDir)
	if err != nil {
		return nil, fmt.Errorf("hotmod: Options.CompileCacheDir: %w", err)
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	rt := &Runtime{
		opts:      opts,
		store:     opts.Store,
		log:       opts.Logger,
		compiler:  compiler,
		bg:        bg,
		stopBg:    stop,
		modules:   make(map[string]*Module),
		byPath:    make(map[string][]*Module),
		hosts:     make(map[string]*hostModule),
		hostDefs:  make(map[string]*hostDef),
		holdFree:  make(chan struct{}),
		callbacks: make(map[string]map[uint64]func(Update)),
		patches:   make(map[string]*Patch),
		profiles:  make(map[string]*Profile),
	}
	rt.realms = rt.newRealms(opts)
	if err := rt.ensureWatching(); err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	return rt, nil
}

// maxRealms bounds Options.Realms: each realm holds a copy of every module.
const maxRealms = 64

// bound turns an Options duration into a realm limit: 0 takes the
// default, a negative value means none (0 for the realm).
func bound(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Realms is how many realms run every module (Options.Realms).
func (rt *Runtime) Realms() int { return len(rt.realms) }

// spawn runs fn on a goroutine that Close waits for, unless the Runtime
// is closed: the count is raised under the lock Close takes to mark it
// closed, so it never rises while Close waits.
func (rt *Runtime) spawn(fn func()) {
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return
	}
	rt.work.Add(1)
	rt.mu.Unlock()
	go func() {
		defer rt.work.Done()
		fn()
	}()
}

// closing is closed when the Runtime closes.
func (rt *Runtime) closing() <-chan struct{} { return rt.realms[0].Done() }

// Events streams every lifecycle event until ctx ends or the Runtime
// closes. A subscriber more than 1024 events behind loses events; the next
// event it receives counts them in Dropped.
func (rt *Runtime) Events(ctx context.Context) <-chan Event {
	return rt.events.subscribe(ctx)
}

// OnModuleUpdate calls fn after every successful reload or rollback of the
// module id (which need not exist yet). The returned function unsubscribes.
// fn runs on the goroutine that made the change, outside the realm, so it
// may call the module.
func (rt *Runtime) OnModuleUpdate(id string, fn func(Update)) (unsubscribe func()) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.cbSeq++
	seq := rt.cbSeq
	if rt.callbacks[id] == nil {
		rt.callbacks[id] = make(map[uint64]func(Update))
	}
	rt.callbacks[id][seq] = fn
	return func() {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		delete(rt.callbacks[id], seq)
		if len(rt.callbacks[id]) == 0 {
			delete(rt.callbacks, id)
		}
	}
}

func (rt *Runtime) notify(u Update) {
	rt.mu.Lock()
	fns := make([]func(Update), 0, len(rt.callbacks[u.ID]))
	for _, fn := range rt.callbacks[u.ID] {
		fns = append(fns, fn)
	}
	rt.mu.Unlock()
	for _, fn := range fns {
		func() {
			defer func() {
				if p := recover(); p != nil {
					rt.log.Error("module update callback panicked", "module", u.ID, "panic", p)
				}
			}()
			fn(u)
		}()
	}
}

// Module returns the handle of a module: loaded, failed, or still on its
// first load (its calls then fail with ErrNotLoaded until it is loaded).
func (rt *Runtime) Module(id string) (*Module, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return nil, ErrClosed
	}
	m, ok := rt.modules[id]
	if !ok || !m.listed() {
		return nil, fmt.Errorf("%w: module %q", ErrNotFound, id)
	}
	return m, nil
}

// Modules returns the handles of all modules that are not removed: loaded,
// failed, or still on their first load (see State), sorted by id.
func (rt *Runtime) Modules() []*Module {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]*Module, 0, len(rt.modules))
	for _, m := range rt.modules {
		if m.listed() {
			out = append(out, m)
		}
	}
	sortModules(out)
	return out
}

// registered is every registered module of rt's own realms, listed or
// not (see listed), sorted by id: isolated modules live in other realms.
func (rt *Runtime) registered() []*Module {
	rt.mu.Lock()
	mods := rt.ownLocked()
	rt.mu.Unlock()
	sortModules(mods)
	return mods
}

// ownLocked is every registered module of rt's own realms. Call with
// rt.mu held.
func (rt *Runtime) ownLocked() []*Module {
	mods := slices.Collect(maps.Values(rt.modules))
	return slices.DeleteFunc(mods, func(m *Module) bool { return m.rt != rt })
}

// Cleanup disposes every module (their dispose callbacks run, their timers
// stop), stops watching the store and clears every registry and callback.
// The Runtime stays usable: a later CreateModule starts afresh.
func (rt *Runtime) Cleanup(ctx context.Context) error {
	rt.stopWatching()
	rt.mu.Lock()
	mods := slices.Collect(maps.Values(rt.modules))
	rt.callbacks = make(map[string]map[uint64]func(Update))
	rt.mu.Unlock()
	var first error
	for _, m := range mods {
		if err := rt.removeModule(ctx, m, false); err != nil && first == nil {
			first = err
		}
	}
	rt.events.emit(Event{Type: EventCleanup})
	return first
}

// Close ends the Runtime: every call, load or reload in flight ends with
// an error matching ErrClosed (JavaScript running now is interrupted, a call
// waiting for a promise stops waiting), every module is disposed (its
// dispose callbacks run, bounded by LoadTimeout) and every timer stops.
// Close waits for this until ctx ends, and never longer. It does not close
// the store. Calling it again waits the same way and returns nil.
func (rt *Runtime) Close(ctx context.Context) error {
	rt.mu.Lock()
	already := rt.closed
	rt.closed = true
	mods := rt.ownLocked() // isolated ones go with their Runtimes, below
	rt.mu.Unlock()
	if !already {
		rt.stopWatching()
		rt.stopBg()
	}
	rt.mu.Lock()
	children := slices.Clone(rt.isolated)
	rt.mu.Unlock()
	for _, c := range children {
		_ = c.Close(ctx)
	}
	// Every realm at once: each interrupts what runs in it now.
	errs := make([]error, len(rt.realms))
	var closing sync.WaitGroup
	for _, s := range rt.realms {
		closing.Go(func() {
			errs[s.index] = s.Close(ctx, rt.opts.LoadTimeout, func(*goja.Runtime) {
				for _, m := range mods {
					rt.retireLocked(s, m, StateRemoved)
				}
			})
		})
	}
	closing.Wait()
	err := errors.Join(errs...)
	if already {
		return nil
	}
	work := make(chan struct{})
	go func() { rt.work.Wait(); close(work) }()
	select {
	case <-work:
	case <-ctx.Done():
		if err == nil {
			err = fmt.Errorf("hotmod: close: reloads still running: %w", ctx.Err())
		}
	}
	rt.events.close()
	rt.compiler.Drop() // a closed Runtime the program still references holds no programs
	return err
}

// ensureWatching starts the store watch that drives auto reload.
func (rt *Runtime) ensureWatching() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.opts.DisableAutoReload || rt.watchStop != nil || rt.closed {
		return nil
	}
	ctx, cancel := context.WithCancel(rt.bg)
	ch, err := rt.store.Watch(ctx, "/")
	if err != nil {
		cancel()
		return fmt.Errorf("hotmod: watching the store: %w", err)
	}
	done := make(chan struct{})
	rt.watchStop, rt.watchDone = cancel, done
	go func() {
		defer close(done)
		for burst := range rt.bursts(ch) {
			rt.onStoreEvents(burst)
		}
	}()
	return nil
}

func (rt *Runtime) stopWatching() {
	rt.mu.Lock()
	stop, done := rt.watchStop, rt.watchDone
	rt.watchStop, rt.watchDone = nil, nil
	rt.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// Changes that arrive within burstQuiet of each other (one editor save
// touching several files) are one burst, up to burstMax from its first
// change; changes made under HoldReloads are one burst however long they
// take, and burstSettle after the release lets the store's last events
// arrive (the Dir store coalesces for 25 ms).
const (
	burstQuiet  = 5 * time.Millisecond
	burstMax    = 100 * time.Millisecond
	burstSettle = 50 * time.Millisecond
)

// HoldReloads makes the store watcher gather every change from now until
// release (or until ctx ends) into one burst, reloaded as one transaction.
// A program that writes several files as one change calls it around the
// writes: hotmod's server does so for POST /api/files (`hotmod put DIR`),
// however many files and however slow the store. release may be called
// more than once. A burst lasts at most Options.ReloadTimeout, hold or no
// hold: one never released delays reloads, it does not stop them.
func (rt *Runtime) HoldReloads(ctx context.Context) (release func()) {
	rt.holdMu.Lock()
	rt.holdN++
	rt.holdMu.Unlock()
	var once sync.Once
	end := func() {
		once.Do(func() {
			rt.holdMu.Lock()
			defer rt.holdMu.Unlock()
			if rt.holdN--; rt.holdN == 0 {
				close(rt.holdFree)
				rt.holdFree = make(chan struct{})
			}
		})
	}
	stop := context.AfterFunc(ctx, end)
	return func() {
		stop()
		end()
	}
}

// holding reports whether a HoldReloads is in force, and a channel closed
// when the last one ends.
func (rt *Runtime) holding() (bool, <-chan struct{}) {
	rt.holdMu.Lock()
	defer rt.holdMu.Unlock()
	return rt.holdN > 0, rt.holdFree
}

// bursts groups the store's events into bursts; the channel closes when ch
// does.
func (rt *Runtime) bursts(ch <-chan vfs.Event) <-chan []vfs.Event {
	out := make(chan []vfs.Event)
	go func() {
		defer close(out)
		for ev := range ch {
			burst := []vfs.Event{ev}
			quiet := time.NewTimer(burstQuiet)
			limit := time.NewTimer(burstMax)
			// A hold that is never released must not stop reloads for good.
			bound := time.NewTimer(rt.opts.ReloadTimeout)
			sawHold, settled := false, false
			for open := true; open; {
				held, free := rt.holding()
				switch {
				case held:
					sawHold = true
				case sawHold && !settled:
					// The hold ended during this burst: its last writes'
					// events may still be on their way.
					quiet.Reset(burstSettle)
					settled = true
					free = nil
				default:
					free = nil
				}
				select {
				case ev, ok := <-ch:
					if !ok {
						open = false
						break
					}
					burst = append(burst, ev)
					quiet.Reset(burstQuiet)
				case <-quiet.C:
					open = held
				case <-limit.C:
					open = held
				case <-free: // the loop's top settles
				case <-bound.C:
					open = false
				}
			}
			quiet.Stop()
			limit.Stop()
			bound.Stop()
			out <- burst
		}
	}()
	return out
}

// onStoreEvents reloads every module whose source changed in a burst, as
// one transaction, so that an edit of several files (an export renamed
// with its uses) never serves half of itself. A module's imports are
// modules of their own, so a change to an imported file reloads that
// module and its importers see it through its handle. A module without a
// version (failed, or on its first load, which may have read the source
// before this change) gets a reload of its own: it waits for the load under
// way, then loads or reloads from the source as it is now. A failed module
// is also tried again when a file its load tried changes, and a serving
// module reloads when a tsconfig.json that governs it changes.
func (rt *Runtime) onStoreEvents(burst []vfs.Event) {
	last := map[string]vfs.Event{}
	for _, ev := range burst {
		last[ev.Path] = ev
	}
	var together, deleted []*Module
	for _, p := range slices.Sorted(maps.Keys(last)) {
		ev := last[p]
		rt.mu.Lock()
		mods := slices.Clone(rt.byPath[p])
		rt.mu.Unlock()
		for _, m := range mods {
			if m.rt != rt {
				continue // isolated: its own Runtime watches the store
			}
			if ev.Op == vfs.Deleted {
				m.gone.Store(true)
				if m.cur.Load() != nil {
					m.mu.Lock()
					m.sourceDeleted = true
					m.mu.Unlock()
					rt.events.emit(Event{Type: EventSourceDeleted, Module: m.id, Path: ev.Path, Version: m.Version()})
				}
				deleted = append(deleted, m)
				continue
			}
			m.gone.Store(false) // written again: a removal under way leaves it
			rt.events.emit(Event{Type: EventSourceChanged, Module: m.id, Path: ev.Path, Version: m.Version()})
			if m.cur.Load() == nil {
				m.scheduleReload()
			} else {
				together = append(together, m)
			}
		}
	}
	// A tsconfig.json that a serving module's compile read or looked for
	// (transform.Result.Config) governs it: its change reloads the module.
	for _, m := range rt.registered() {
		v := m.cur.Load()
		if m.rt != rt || v == nil || slices.Contains(together, m) {
			continue
		}
		for _, c := range v.res.Config {
			if _, ok := last[c]; ok {
				rt.events.emit(Event{Type: EventSourceChanged, Module: m.id, Path: c, Version: m.Version()})
				together = append(together, m)
				break
			}
		}
	}
	if len(deleted) > 0 {
		rt.spawn(func() { rt.removeDeleted(deleted) })
	}
	for _, m := range rt.registered() {
		m.retryIfTried(last)
	}
	if len(together) > 0 {
		// Modules whose change was refused for another's sake go along.
		for _, m := range rt.registered() {
			if m.stale.Load() && m.cur.Load() != nil && !slices.Contains(together, m) {
				together = append(together, m)
			}
		}
	}
	switch len(together) {
	case 0:
	case 1:
		together[0].scheduleReload()
	default:
		rt.spawn(func() {
			ctx, cancel := context.WithTimeout(rt.bg, rt.opts.ReloadTimeout)
			defer cancel()
			if err := rt.reloadTogether(ctx, together, true); err != nil && rt.bg.Err() == nil {
				rt.log.Warn("auto reload of several modules failed; none of them changed", "err", err)
			}
		})
	}
}
