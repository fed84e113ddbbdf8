// Package engine owns the goja realm every module of a hotmod Runtime lives
// in: who may run JavaScript when, timers, value conversion between Go and
// JavaScript, errors with original source positions, live proxies, console.
//
// The realm is owned by one party at a time through a context-aware lock
// rather than by an event-loop goroutine: an uncontended call then costs a
// channel send and receive instead of two goroutine hand-overs. Promise jobs
// run when the outermost JavaScript call returns (goja does this itself);
// timers are run by one scheduler goroutine per realm, which takes the lock
// like any caller and lets it go whenever a caller waits.
package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/hotmod/hotmod/internal/platform"
	"github.com/hotmod/hotmod/js"
	"log/slog"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/intl"
)

// ErrClosed is returned once the realm is closed.
var ErrClosed = errors.New("runtime is closed")

// Call stack bounds. A runaway that recurses through native engine
// functions (getters, sort comparators, JSON.stringify replacers) unwinds
// in time quadratic in its depth once it is stopped: each level re-panics
// with the whole stack still below it. Measured on the 2-core machine:
// 1,000 frames unwind in 35-40 ms, 1,500 in 75-80 ms, 2,000 in 130-220 ms,
// 10,000 in 6 s. The limit keeps every stop within 100 ms of its deadline;
// plain JavaScript recursion, which does not nest Go frames, is cheap at
// any depth but is held to the same count.
const (
	DefaultMaxCallStackSize = 1000
	MaxCallStackSizeLimit   = 1500
)

// Options configure a realm.
type Options struct {
	Logger *slog.Logger
	// MaxCallStackSize bounds JavaScript recursion (goja's default is
	// unbounded, which ends in a Go stack overflow). Default
	// DefaultMaxCallStackSize, at most MaxCallStackSizeLimit.
	MaxCallStackSize int
	// TimerTimeout bounds one timer callback; a runaway callback is
	// interrupted so it cannot hold the realm forever.
	TimerTimeout time.Duration
	// FrozenIntrinsics freezes the built-ins once the realm is made (see
	// lockdown.go).
	FrozenIntrinsics bool
	// MaxMemory bounds how much the Go heap may grow while one run holds
	// the realm (see DefaultMaxMemory); 0 takes the default, a negative
	// value means no bound.
	MaxMemory int64
	// MaxResultElements and MaxResultBytes bound a value FromJS copies out
	// (see DefaultMaxResultElements); 0 takes the default, a negative value
	// means no bound.
	MaxResultElements, MaxResultBytes int
	// MaxTimers bounds the timers one owner (a module version) may have
	// pending; setTimeout and its kin throw a RangeError past it. Default
	// DefaultMaxTimers.
	MaxTimers int
	// Env is process.env (see internal/platform): exactly these entries,
	// never the host's environment.
	Env map[string]string
}

// Realm is one goja runtime and the lock that guards it.
type Realm struct {
	vm     *goja.Runtime
	lk     realmLock
	closed chan struct{}
	once   sync.Once
	log    *slog.Logger
	opts   Options

	// Captured at start, so modules that replace these globals cannot
	// change how the loader and the conversions behave.
	date, uint8Array, arrayBuffer *goja.Object
	rangeError                    *goja.Object
	jsonParse, jsonStringify      goja.Callable
	defineAll                     goja.Callable
	getOwnDesc, reflectHas        goja.Callable
	then                          goja.Callable
	mapCtor, setCtor              *goja.Object
	buffer                        goja.Value // the platform's Buffer (see Buffer)
	newTarget, construct          goja.Callable
	instanceOf                    goja.Callable
	objectProto, functionProto    *goja.Object
	protoNames                    map[string]bool // own names of the two prototypes

	rejections map[*goja.Promise]struct{}
	beforeRun  func()                        // see SetBeforeRun; lock
	fromJS     func(goja.Value) (any, error) // FromJS, bound once (see Settle)
	watch      *watchdog
	released   chan struct{}          // closed once Close has taken the lock for good
	depth      int                    // nested RunLocked calls; lock
	owner      *Timers                // whose code runs now: global timers go to it; lock
	timerRun   atomic.Pointer[Timers] // the timer set whose callback runs now (see TimerOwner)
	ctx        context.Context        // of the run in progress; lock
	// The methods every console shares, and the key of a console's module
	// id (see Console); lock.
	consoleProto *goja.Object
	consoleKey   *goja.Symbol

	tmu        sync.Mutex // guards every timer of the realm
	tseq       int64
	tindex     map[int64]*timer // pending timers of every owner, by id
	global     *Timers
	queue      timerQueue    // the pending timers by deadline, but those running
	qseq       uint64        // counts queueings, for timerQueue's ties
	scheduling bool          // the scheduler goroutine is started
	kick       chan struct{} // one slot: "the earliest deadline changed"
}

// New starts a realm.
func New(opts Options) *Realm {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxCallStackSize <= 0 {
		opts.MaxCallStackSize = DefaultMaxCallStackSize
	}
	if opts.TimerTimeout <= 0 {
		opts.TimerTimeout = 5 * time.Second
	}
	if opts.MaxMemory == 0 {
		opts.MaxMemory = DefaultMaxMemory
	}
	if opts.MaxResultElements == 0 {
		opts.MaxResultElements = DefaultMaxResultElements
	}
	if opts.MaxResultBytes == 0 {
		opts.MaxResultBytes = DefaultMaxResultBytes
	}
	if opts.MaxTimers <= 0 {
		opts.MaxTimers = DefaultMaxTimers
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(opts.MaxCallStackSize)
	watch := newWatchdog(vm, opts.MaxMemory)
	r := &Realm{
		vm:         vm,
		lk:         newRealmLock(&watch.state),
		closed:     make(chan struct{}),
		log:        opts.Logger,
		opts:       opts,
		rejections: make(map[*goja.Promise]struct{}),
		watch:      watch,
		released:   make(chan struct{}),
		tindex:     make(map[int64]*timer),
		kick:       make(chan struct{}, 1),
	}
	r.fromJS = r.FromJS
	vm.SetPromiseRejectionTracker(func(p *goja.Promise, op goja.PromiseRejectionOperation) {
		if op == goja.PromiseRejectionReject {
			r.rejections[p] = struct{}{}
		} else {
			delete(r.rejections, p)
		}
	})
	r.date = vm.Get("Date").ToObject(vm)
	r.uint8Array = vm.Get("Uint8Array").ToObject(vm)
	r.arrayBuffer = vm.Get("ArrayBuffer").ToObject(vm)
	r.rangeError = vm.Get("RangeError").ToObject(vm)
	json := vm.Get("JSON").ToObject(vm)
	r.jsonParse, _ = goja.AssertFunction(json.Get("parse"))
	r.jsonStringify, _ = goja.AssertFunction(json.Get("stringify"))
	def, err := vm.RunString(`(function (defineProperties, descriptors) {
		return function (target, source) { defineProperties(target, descriptors(source)); };
	})(Object.defineProperties, Object.getOwnPropertyDescriptors)`)
	if err != nil {
		panic(err) // a fixed program: cannot fail
	}
	r.defineAll, _ = goja.AssertFunction(def)
	r.mapCtor = vm.Get("Map").ToObject(vm)
	r.setCtor = vm.Get("Set").ToObject(vm)
	nt, err := vm.RunString(`(function () { return function () {}.bind(null); })`)
	if err != nil {
		panic(err)
	}
	r.newTarget, _ = goja.AssertFunction(nt)
	io, err := vm.RunString(`(function (v, c) { return v instanceof c })`)
	if err != nil {
		panic(err)
	}
	r.instanceOf, _ = goja.AssertFunction(io)
	promiseProto := vm.Get("Promise").ToObject(vm).Get("prototype").ToObject(vm)
	r.then, _ = goja.AssertFunction(promiseProto.Get("then"))
	reflect := vm.Get("Reflect").ToObject(vm)

	r.getOwnDesc, _ = goja.AssertFunction(reflect.Get("getOwnPropertyDescriptor"))
	r.reflectHas, _ = goja.AssertFunction(reflect.Get("has"))
	r.construct, _ = goja.AssertFunction(reflect.Get("construct"))
	r.objectProto = vm.Get("Object").ToObject(vm).Get("prototype").ToObject(vm)
	r.functionProto = vm.Get("Function").ToObject(vm).Get("prototype").ToObject(vm)
	r.protoNames = make(map[string]bool)
	for _, p := range []*goja.Object{r.objectProto, r.functionProto} {
		for _, name := range p.GetOwnPropertyNames() {
			r.protoNames[name] = true
		}
	}
	// Symbol.dispose and Symbol.asyncDispose, which goja lacks and Node
	// 20 has: objects implement `using` with them, and esbuild's lowered
	// `using` (transform's supported) looks them up at each disposal.
	if _, err := vm.RunString(`(function () {
		for (const n of ["dispose", "asyncDispose"]) {
			if (typeof Symbol[n] !== "symbol") {
				Object.defineProperty(Symbol, n, { value: Symbol("Symbol." + n) });
			}
		}
	})()`); err != nil {
		panic(err)
	}
	r.global = r.NewTimers("realm")
	global := vm.GlobalObject()
	r.installGlobalTimers(global)
	_ = global.Set("console", r.Console("(global)"))
	// The platform's globals go in before the freeze, so that they are
	// frozen with the intrinsics.
	if err := platform.Install(vm, platform.Options{Env: opts.Env}); err != nil {
		panic(err) // fixed code over the engine's own built-ins
	}
	r.buffer = vm.Get("Buffer") // before any module can replace the global
	if err := intl.Install(vm); err != nil {
		panic(err) // a fixed program
	}
	if opts.FrozenIntrinsics {
		if err := r.lockdown(); err != nil {
			panic(err) // a fixed program over the engine's own built-ins
		}
	}
	return r
}

// Buffer is the realm's Buffer class as the platform made it, whatever a
// module did to the global since: what require('buffer').Buffer is too.
func (r *Realm) Buffer() goja.Value { return r.buffer }

// VM is the goja runtime. Use it only while holding the lock.
func (r *Realm) VM() *goja.Runtime { return r.vm }

// Lock takes the realm, waiting until ctx ends or the realm closes.
func (r *Realm) Lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.lk.lock(ctx, r.closed); err != nil {
		return err
	}
	return r.lockedOpen()
}

// lockedOpen gives back the lock just taken if the realm closed meanwhile:
// a closed realm is never taken.
func (r *Realm) lockedOpen() error {
	select {
	case <-r.closed:
		r.lk.unlock()
		return ErrClosed
	default:
		return nil
	}
}

// TryLock takes the realm if it is free now, without waiting; a closed
// realm is never free.
func (r *Realm) TryLock() bool {
	if r.lk.starving.Load() != 0 || !r.lk.tryLock() {
		return false
	}
	select {
	case <-r.closed:
		r.lk.unlock()
		return false
	default:
		return true
	}
}

// Unlock gives the realm back, first reporting promise rejections that no
// handler took up while it was held.
func (r *Realm) Unlock() {
	if len(r.rejections) == 0 {
		r.lk.unlock()
		return
	}
	for p := range r.rejections {
		r.log.Warn("unhandled promise rejection", "reason", describe(p.Result()))
		delete(r.rejections, p)
	}
	r.lk.unlock()
}

// Done is closed when the realm closes.
func (r *Realm) Done() <-chan struct{} { return r.closed }

// Run takes the realm and runs fn, with the JavaScript it runs bounded:
// it is interrupted when ctx ends, when limit (if > 0) has passed since the
// realm was taken, or when the realm closes. Run then returns a
// *TimeoutError matching ctx's error, context.DeadlineExceeded or
// ErrClosed, and the realm stays usable. Waiting for the realm counts
// against ctx, not against limit.
func (r *Realm) Run(ctx context.Context, limit time.Duration, fn func(vm *goja.Runtime) error) error {
	if err := r.Lock(ctx); err != nil {
		return err
	}
	defer r.Unlock()
	return r.RunLocked(ctx, limit, fn)
}

// RunLocked is Run for a caller that already holds the lock. A RunLocked
// inside another (JavaScript calling Go calling JavaScript) runs under the
// outer one's bounds.
func (r *Realm) RunLocked(ctx context.Context, limit time.Duration, fn func(vm *goja.Runtime) error) (err error) {
	if r.depth > 0 {
		return fn(r.vm)
	}
	run := r.watch.arm(limit)
	done := false
	defer func() {
		if !done {
			r.unwound() // a panic that is not goja's goes through
		}
	}()
	err, fired := r.runArmed(ctx, run, fn)
	done = true
	if r.watch.disarm() || fired {
		r.vm.ClearInterrupt()
	}
	return runError(err)
}

// Call is Lock, RunLocked and Unlock, for a caller that holds the realm
// for one run. The lock is a bit of the watchdog's state, so when the
// realm is free, nothing was stopped, the timer ticks and nobody starves,
// one compare-and-swap takes the realm and arms the run, and one ends
// both: in a call's profile the lock's and the watchdog's atomic
// operations, two each, were 11% of the time.
func (r *Realm) Call(ctx context.Context, limit time.Duration, fn func(vm *goja.Runtime) error) error {
	if done, err := r.callFast(ctx, limit, fn); done {
		return err
	}
	if err := r.Lock(ctx); err != nil {
		return err
	}
	defer r.Unlock()
	return r.RunLocked(ctx, limit, fn)
}

// TryCall is Call for a realm that is free: it reports done after running
// fn (or failing as Call fails), or not done at once, without running fn,
// when the realm is held. A Runtime of several realms calls in the first
// one it finds free, with the one compare-and-swap of Call's fast way
// rather than TryLock's and then RunLocked's.
func (r *Realm) TryCall(ctx context.Context, limit time.Duration, fn func(vm *goja.Runtime) error) (done bool, err error) {
	if done, err := r.callFast(ctx, limit, fn); done {
		return true, err
	}
	if err := ctx.Err(); err != nil {
		return true, err // as Lock: an ended context never takes a realm
	}
	if !r.TryLock() {
		return false, nil
	}
	defer r.Unlock()
	return true, r.RunLocked(ctx, limit, fn)
}

// callFast is Call's one compare-and-swap way, when it applies (done).
func (r *Realm) callFast(ctx context.Context, limit time.Duration, fn func(vm *goja.Runtime) error) (done bool, err error) {
	w := r.watch
	st := w.state.Load()
	if st&(stateHeld|stateSlow|stateActive|stateTicking) != stateTicking || r.lk.starving.Load() != 0 ||
		ctx.Err() != nil || !w.state.CompareAndSwap(st, st+stateRun|stateActive|stateHeld) {
		return false, nil
	}
	run := st/stateRun + 1
	if w.limit != limit {
		w.mu.Lock() // the ticks read it
		w.limit = limit
		w.mu.Unlock()
	}
	ran := false
	defer func() {
		if !ran { // a panic that is not goja's goes through
			r.unwound()
			r.watch.disarm()
			r.Unlock()
		}
	}()
	select {
	case <-r.closed:
		ran, err = true, ErrClosed
	default:
		var fired bool
		err, fired = r.runArmed(ctx, run, fn)
		ran = true
		if !fired && len(r.rejections) == 0 {
			if st := w.state.Load(); st&(stateSlow|stateActive|stateHeld) == stateActive|stateHeld &&
				w.state.CompareAndSwap(st, st&^(stateActive|stateHeld)) {
				r.lk.wakeOne()
				return true, runError(err)
			}
		}
		if fired {
			r.vm.ClearInterrupt()
		}
	}
	if r.watch.disarm() {
		r.vm.ClearInterrupt()
	}
	r.Unlock()
	return true, runError(err)
}

// unwound restores what a run changed, for a panic that goes through it.
func (r *Realm) unwound() {
	r.depth, r.ctx, r.owner = 0, nil, nil
}

// runArmed runs fn in run, armed already. fired reports an interrupt the
// disarm cannot know of (none yet: the watchdog reports its own).
func (r *Realm) runArmed(ctx context.Context, run uint64, fn func(vm *goja.Runtime) error) (err error, fired bool) {
	r.depth++
	// Context() reads a nil ctx as Background: not writing it saves two
	// pointer writes a call, which cost write barriers while the collector
	// marks (most of the time, at a call's rate of allocation).
	bg := ctx == context.Background()
	if !bg {
		r.ctx = ctx
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { r.watch.interrupt(run, ctx) })
	}
	if r.beforeRun != nil {
		r.beforeRun()
	}
	err = r.call(fn)
	if r.owner != nil {
		r.owner = nil // whatever a recovered panic skipped, the next run starts with no owner
	}
	if stop != nil {
		stop()
	}
	r.depth--
	if !bg {
		r.ctx = nil
	}
	// goja keeps an interrupt pending until it is cleared, so every
	// JavaScript frame that runs after it (a native that swallowed the
	// first exception, a promise job) is stopped again; the caller clears
	// it once nothing of this run is left on the stack.
	return err, false
}

// runError is the error a run returns for err: an interrupt becomes the
// *TimeoutError or *js.LimitError that says why.
func runError(err error) error {
	if err == nil {
		return nil // before errors.As, whose target would escape: an allocation per call
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if cause, ok := ie.Value().(*interrupted); ok {
			var le *js.LimitError
			if errors.As(cause.err, &le) {
				out := *le // one per run: the detail gains this run's position
				if f, l, c := firstPosition(ie); f != "" {
					out.Detail += fmt.Sprintf(" (at %s:%d:%d)", f, l, c)
				}
				return &out
			}
			te := &TimeoutError{Err: cause.err, Limit: cause.limit}
			te.File, te.Line, te.Column = firstPosition(ie)
			return te
		}
	}
	return err
}

// call runs fn, turning into errors the panics goja raises where Go code
// reads a JavaScript property outside a call (goja.Object.Get running a
// getter, a proxy trap): an interrupt, a stack overflow or a thrown
// exception there must end this run, not the process.
func (r *Realm) call(fn func(*goja.Runtime) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			switch e := p.(type) {
			case *goja.InterruptedError:
				err = e
			case *goja.StackOverflowError:
				err = e
			case *goja.Exception:
				err = e
			default:
				panic(p)
			}
		}
	}()
	return fn(r.vm)
}

// SetBeforeRun makes fn run at the start of every outermost run, holding
// the realm and under the run's bounds: the owner's chance to bring what
// JavaScript reads up to date with changes made while it did not hold the
// realm. fn must not panic: it runs before the run's recovery is in place.
// Call before the realm is used.
func (r *Realm) SetBeforeRun(fn func()) { r.beforeRun = fn }

// Descriptor is Object.getOwnPropertyDescriptor(obj, name), or nil. Call
// with the lock held.
func (r *Realm) Descriptor(obj *goja.Object, name string) *goja.Object {
	return r.ownDescriptor(obj, r.vm.ToValue(name))
}

// Context is the context of the run in progress: what Go code that
// JavaScript calls (a host function) should honour. Call with the lock held.
func (r *Realm) Context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// Get reads obj[name] and returns what a getter or proxy trap throws there
// as an error instead of a panic. An interrupt or a stack overflow still
// ends the run (see call). Call with the lock held.
func (r *Realm) Get(obj *goja.Object, name string) (v goja.Value, err error) {
	defer func() {
		if p := recover(); p != nil {
			e, ok := p.(*goja.Exception)
			if !ok {
				panic(p)
			}
			err = Err(e)
		}
	}()
	return obj.Get(name), nil
}

// watchdog interrupts the holder of the realm when its time is up. It
// samples instead of timing each run: while runs happen, one timer ticks
// every tickFor(limit) and notes which phase it sees; a phase it keeps
// seeing for its whole limit is stopped. A run then pays for two
// uncontended mutex operations: no clock read, no timer started or stopped
// (in a call's CPU profile, the clock reads alone were 7.5 %). A phase is
// never stopped before its limit, and at most two ticks after it.
//
// A run that begins and ends with nothing stopped, while the timer ticks
// and with the last run's limit, pays one compare-and-swap each way instead
// (state): the mutex pairs were 9% of a call's profile. Everything else
// (the ticks, a context's interrupt, Close, Rebudget, Nest) takes the
// mutex; whatever would interrupt the run first sets stateSlow on it with a
// compare-and-swap that checks the run is still the one it means, so a run
// that was interrupted cannot end without the mutex, and one that ended
// cannot be interrupted.
//
// goja forgets an interrupt once the interrupted code has unwound to an
// empty stack, but the Go code holding the realm may go on to call more
// JavaScript in the same run (a second dispose callback, the next change of
// a transaction). So a stop is the watchdog's to remember, not goja's:
// while a run whose phase was stopped is still active, every tick
// interrupts the engine again, so anything started later in that phase is
// stopped within a tick. Rebudget begins a new phase with a budget of its
// own; a run stopped for good (its context ended, the realm closes) stays
// stopped whatever phase begins.
type watchdog struct {
	vm *goja.Runtime
	// state is the run in progress (or the last), times stateRun, and
	// the bits below. Written with mu held, but for the fast arm and
	// disarm of the run's own goroutine.
	state   atomic.Uint64
	mu      sync.Mutex
	phase   uint64       // a phase of the run: Rebudget and Nest begin one
	fired   *interrupted // why the current phase was stopped
	stopped *interrupted // why the whole run was stopped: no new phase clears it
	anyFire bool         // something of this run was interrupted
	closing bool
	// The limit of the current phase; written by the runs themselves
	// with mu held, read by the fast arm without it.
	limit   time.Duration
	timer   *time.Timer
	seen    uint64    // the phase the ticks are watching
	seenRun uint64    // and its run
	seenAt  time.Time // when a tick first saw it

	// The run a tick last saw first, and when: when that run began, to
	// within a tick (see HeldSince). Read from the ticks, so that a run
	// pays no clock read for it.
	sinceRun uint64
	sinceAt  time.Time

	maxMemory int64  // bound on the heap's growth during one run; 0: none
	heapRun   uint64 // the run heapAt was read for
	heapAt    uint64 // the heap when a tick first saw that run
}

const (
	stateSlow    = 1 << iota // the run was interrupted, or the realm closes: arm and disarm take mu
	stateActive              // a run holds the realm
	stateTicking             // the timer is set
	stateHeld                // the realm's lock is taken (see realmLock)
	stateRun                 // the run's number counts in these
)

// DefaultMaxMemory is how much the Go heap may grow while one run holds a
// realm before the run is stopped. goja has no heap of its own to bound:
// JavaScript allocates on the Go heap like any Go code, so the watchdog
// samples the heap as it samples the clock. Growth, not size, so that one
// module holding memory does not stop the calls of all the others; 1 GiB
// is far above what a call or a load needs (a 300-line module's load grows
// the heap by under 1 MB) and far below what takes a server down.
const DefaultMaxMemory = 1 << 30

// heapSample reads the bytes of live and not yet swept objects on the Go
// heap: about a microsecond, read once a tick.
func heapSample() uint64 {
	s := [1]metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s[:])
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// tickFor is the sampling period for runs of limit: fine enough to stop
// a run within 20 ms of its limit, coarse enough to cost nothing.
func tickFor(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 10 * time.Millisecond
	}
	return min(max(limit/50, time.Millisecond), 10*time.Millisecond)
}

func newWatchdog(vm *goja.Runtime, maxMemory int64) *watchdog {
	w := &watchdog{vm: vm, maxMemory: max(maxMemory, 0)}
	w.timer = time.AfterFunc(time.Hour, w.tick)
	w.timer.Stop()
	return w
}

// arm starts a run and its first phase; the returned number names the run.
func (w *watchdog) arm(limit time.Duration) uint64 {
	if st := w.state.Load(); st&(stateSlow|stateActive|stateTicking) == stateTicking && limit == w.limit &&
		w.state.CompareAndSwap(st, st+stateRun|stateActive) {
		return st/stateRun + 1
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	run := w.state.Load()/stateRun + 1
	w.phase++
	w.fired, w.stopped, w.anyFire, w.limit = nil, nil, false, limit
	st := run*stateRun | stateActive | w.state.Load()&(stateTicking|stateHeld)
	if w.closing {
		st |= stateSlow
	}
	// The other writers hold mu, the lock's bit is this run's holder's,
	// and no tick touches a run not yet on; a waiter's tryLock sets the
	// lock's bit, which is set.
	w.state.Store(st)
	if w.closing {
		w.stop(&interrupted{err: ErrClosed}, run)
		return run
	}
	if limit > 0 || w.maxMemory > 0 {
		w.startTicking()
	}
	return run
}

// update changes the state's bits with a compare-and-swap loop. Call with
// mu held.
func (w *watchdog) update(set, clear uint64) {
	for {
		st := w.state.Load()
		if w.state.CompareAndSwap(st, st&^clear|set) {
			return
		}
	}
}

// claim marks run slow if it is still in progress, so that it cannot end
// without mu, and reports whether it was. Call with mu held.
func (w *watchdog) claim(run uint64) bool {
	for {
		st := w.state.Load()
		if st&stateActive == 0 || st/stateRun != run {
			return false
		}
		if st&stateSlow != 0 || w.state.CompareAndSwap(st, st|stateSlow) {
			return true
		}
	}
}

func (w *watchdog) startTicking() {
	if w.state.Load()&stateTicking == 0 {
		w.update(stateTicking, 0)
		w.timer.Reset(tickFor(w.limit))
	}
}

// disarm ends the run and reports whether anything in it was interrupted.
func (w *watchdog) disarm() bool {
	if st := w.state.Load(); st&(stateSlow|stateActive) == stateActive && w.state.CompareAndSwap(st, st&^stateActive) {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.update(0, stateActive)
	return w.anyFire
}

// tick is the timer's callback. It stops ticking when it finds no run to
// watch; the next run starts it again.
func (w *watchdog) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.state.Load()
	for st&stateActive == 0 {
		if w.state.CompareAndSwap(st, st&^stateTicking) {
			return
		}
		st = w.state.Load() // a run began meanwhile, the fast way
	}
	run := st / stateRun
	if w.sinceRun != run {
		w.sinceRun, w.sinceAt = run, time.Now()
	}
	if w.stopped == nil && w.maxMemory > 0 {
		heap := heapSample()
		if w.heapRun != run {
			w.heapRun, w.heapAt = run, heap
		} else if heap > w.heapAt && int64(heap-w.heapAt) > w.maxMemory {
			w.stop(&interrupted{err: &js.LimitError{Limit: "memory", InModule: true, Detail: fmt.Sprintf(
				"the heap grew by %d MiB while this code ran, more than the %d MiB allowed (Options.MaxMemory)",
				(heap-w.heapAt)>>20, w.maxMemory>>20)}}, run)
		}
	}
	switch {
	case w.stopped != nil:
		// The run cannot have ended: it is slow, and would need mu.
		w.vm.Interrupt(w.stopped) // again: goja may have forgotten it
	case w.fired != nil:
		w.vm.Interrupt(w.fired)
	case w.limit <= 0:
		if w.maxMemory <= 0 {
			w.update(0, stateTicking)
			return
		}
	default:
		now := time.Now()
		if w.seen != w.phase || w.seenRun != run {
			w.seen, w.seenRun, w.seenAt = w.phase, run, now
		} else if now.Sub(w.seenAt) >= w.limit {
			w.fire(&interrupted{err: context.DeadlineExceeded, limit: w.limit}, run)
		}
	}
	w.timer.Reset(tickFor(w.limit))
}

// HeldSince reports whether a run holds the realm now and since when: the
// first watchdog tick that saw the run, so at most a tick (10 ms) late; a
// run no tick has seen yet began just now. It takes the watchdog's mutex,
// never the realm: it answers while a runaway holds the realm, which is
// when it is asked.
func (r *Realm) HeldSince() (since time.Time, held bool) {
	w := r.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.state.Load()
	if st&stateActive == 0 {
		return time.Time{}, false
	}
	if w.sinceRun == st/stateRun {
		return w.sinceAt, true
	}
	return time.Now(), true
}

// interrupt stops run because its context ended.
func (w *watchdog) interrupt(run uint64, ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped == nil {
		w.stop(&interrupted{err: context.Cause(ctx)}, run)
	}
}

// setClosing(true) stops the current run, and every later one, with
// ErrClosed; setClosing(false) lets the closer run its clean-up.
func (w *watchdog) setClosing(closing bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closing = closing
	if closing {
		w.update(stateSlow, 0) // no run begins the fast way any more
		if w.stopped == nil {
			w.stop(&interrupted{err: ErrClosed}, w.state.Load()/stateRun)
		}
	}
}

// Rebudget begins a new phase of the current run (the dispose callbacks
// after an evaluation, the next change of a transaction) with limit from
// now, even if the phase before it was stopped; a run stopped for good
// (its context ended, the realm closes) stays stopped. Call with the lock
// held, from Go code between two calls into JavaScript.
func (r *Realm) Rebudget(limit time.Duration) {
	w := r.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.state.Load()
	if st&stateActive == 0 || w.stopped != nil || limit <= 0 {
		return
	}
	if w.fired != nil {
		w.fired = nil
		r.vm.ClearInterrupt()
	}
	w.phase++
	w.limit = limit
	w.seen, w.seenRun, w.seenAt = w.phase, st/stateRun, time.Now()
	w.startTicking()
}

// Nest begins a phase for work nested in the current one (a module that
// an importer's evaluation requires) with limit of its own, and returns
// the function that ends it: the phase it interrupted then resumes with
// the time it had left, so that time spent in nested work counts against
// the nested work only. A nested phase that was stopped leaves the outer
// one stopped too (the stop unwinds through it). Call with the lock held;
// a run stopped for good stays stopped.
func (r *Realm) Nest(limit time.Duration) (resume func()) {
	w := r.watch
	w.mu.Lock()
	st := w.state.Load()
	if st&stateActive == 0 || w.stopped != nil || w.fired != nil || limit <= 0 {
		w.mu.Unlock()
		return func() {}
	}
	run := st / stateRun
	now := time.Now()
	outerLimit, used := w.limit, time.Duration(0)
	if w.seen == w.phase && w.seenRun == run {
		used = now.Sub(w.seenAt)
	}
	w.phase++
	w.limit = limit
	w.seen, w.seenRun, w.seenAt = w.phase, run, now
	w.startTicking()
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.state.Load()&stateActive == 0 || w.stopped != nil || w.fired != nil {
			return
		}
		w.phase++
		w.limit = outerLimit
		w.seen, w.seenRun, w.seenAt = w.phase, run, time.Now().Add(-used)
	}
}

// PhaseStopped reports whether the current phase of the run was stopped:
// JavaScript started now would be interrupted at once, so a caller with
// more callables to run in this phase may as well skip them. Call with the
// lock held.
func (r *Realm) PhaseStopped() bool {
	w := r.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired != nil || w.stopped != nil
}

// stopped is the *TimeoutError of the current phase if it was stopped, for
// Go code that works for the run (a conversion) to give up as JavaScript
// would. Call with the lock held.
func (r *Realm) stopped() error {
	w := r.watch
	w.mu.Lock()
	why := w.stopped
	if why == nil {
		why = w.fired
	}
	w.mu.Unlock()
	if why == nil {
		return nil
	}
	var le *js.LimitError
	if errors.As(why.err, &le) {
		return le
	}
	return &TimeoutError{Err: why.err, Limit: why.limit}
}

// fire stops the current phase of run, if it is still in progress.
func (w *watchdog) fire(why *interrupted, run uint64) {
	if !w.claim(run) {
		return
	}
	w.fired, w.anyFire = why, true
	w.vm.Interrupt(why)
	w.startTicking()
}

// stop stops the whole of run, if it is still in progress.
func (w *watchdog) stop(why *interrupted, run uint64) {
	if !w.claim(run) {
		return
	}
	w.stopped, w.anyFire = why, true
	w.vm.Interrupt(why)
	w.startTicking()
}

type interrupted struct {
	err   error
	limit time.Duration
}

func (i *interrupted) String() string { return "interrupted: " + i.err.Error() }

// TimeoutError is js.TimeoutError: the engine makes them.
type TimeoutError = js.TimeoutError

func firstPosition(ie *goja.InterruptedError) (string, int, int) {
	for _, f := range ie.Stack() {
		if p := f.Position(); p.Filename != "" {
			return p.Filename, p.Line, p.Column + 1
		}
	}
	return "", 0, 0
}

// Close ends the realm: Lock callers, waiting or to come, get ErrClosed,
// and the JavaScript running now is interrupted (its caller gets an error
// matching ErrClosed). Once the holder lets go, last (if not nil) runs
// holding the realm, its JavaScript bounded by limit, for the owner's final
// clean-up; then every timer stops and the realm stays taken for good.
// Close waits for all this until ctx ends; the clean-up still happens
// after that, whenever the holder lets go. A second Close only waits.
func (r *Realm) Close(ctx context.Context, limit time.Duration, last func(vm *goja.Runtime)) error {
	r.once.Do(func() {
		r.watch.setClosing(true)
		close(r.closed)
		go func() {
			_ = r.lk.lock(context.Background(), nil) // taken for good: nobody gets it after
			r.watch.setClosing(false)
			if last != nil {
				_ = r.RunLocked(context.Background(), limit, func(vm *goja.Runtime) error {
					last(vm)
					return nil
				})
			}
			r.watch.setClosing(true)
			r.stopAllTimers()
			close(r.released)
		}()
	})
	select {
	case <-r.released:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("closing the realm: its holder did not let go: %w", ctx.Err())
	}
}

// Inherited reports whether obj has name only through Object.prototype or
// Function.prototype ("constructor", "hasOwnProperty", "call", ...): such
// a property is the engine's, not something a module exports. A name the
// prototypes lack costs one map lookup. Call with the lock held.
func (r *Realm) Inherited(obj *goja.Object, name string) bool {
	if !r.protoNames[name] {
		return false
	}
	key := r.vm.ToValue(name)
	for o := obj; o != nil; o = o.Prototype() {
		if o.SameAs(r.objectProto) || o.SameAs(r.functionProto) {
			return true
		}
		if r.ownDescriptor(o, key) != nil {
			return false
		}
	}
	return false
}

// DefineAll copies every own property descriptor of source onto target.
func (r *Realm) DefineAll(target, source goja.Value) error {
	_, err := r.defineAll(goja.Undefined(), target, source)
	return err
}
