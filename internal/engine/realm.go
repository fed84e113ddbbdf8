// Package engine owns the goja realm every module of a hotmod Runtime lives
// in: who may run JavaScript when, timers, value conversion between Go and
// JavaScript, errors with original source positions, live proxies, console.
//
// The realm is owned by one party at a time through a context-aware lock
// rather than by an event-loop goroutine: an uncontended call then costs a
// channel send and receive instead of two goroutine hand-overs. Promise jobs
// run when the outermost JavaScript call returns (goja does this itself);
// timers fire on their own goroutines and take the lock like any caller.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// ErrClosed is returned once the realm is closed.
var ErrClosed = errors.New("hotmod: runtime is closed")

// Options configure a realm.
type Options struct {
	Logger *slog.Logger
	// MaxCallStackSize bounds JavaScript recursion (goja's default is
	// unbounded, which ends in a Go stack overflow).
	MaxCallStackSize int
	// TimerTimeout bounds one timer callback; a runaway callback is
	// interrupted so it cannot hold the realm forever.
	TimerTimeout time.Duration
}

// Realm is one goja runtime and the lock that guards it.
type Realm struct {
	vm     *goja.Runtime
	sem    chan struct{}
	closed chan struct{}
	once   sync.Once
	log    *slog.Logger
	opts   Options

	// Captured at start, so modules that replace these globals cannot
	// change how the loader and the conversions behave.
	date, uint8Array, arrayBuffer *goja.Object
	jsonParse, jsonStringify      goja.Callable
	defineAll                     goja.Callable
	getOwnDesc, reflectHas        goja.Callable
	then                          goja.Callable
	mapCtor, setCtor              *goja.Object
	newTarget, construct          goja.Callable

	rejections map[*goja.Promise]struct{}
	global     *Timers
}

// New starts a realm.
func New(opts Options) *Realm {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxCallStackSize <= 0 {
		opts.MaxCallStackSize = 10000
	}
	if opts.TimerTimeout <= 0 {
		opts.TimerTimeout = 5 * time.Second
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(opts.MaxCallStackSize)
	r := &Realm{
		vm:         vm,
		sem:        make(chan struct{}, 1),
		closed:     make(chan struct{}),
		log:        opts.Logger,
		opts:       opts,
		rejections: make(map[*goja.Promise]struct{}),
	}
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
	promiseProto := vm.Get("Promise").ToObject(vm).Get("prototype").ToObject(vm)
	r.then, _ = goja.AssertFunction(promiseProto.Get("then"))
	reflect := vm.Get("Reflect").ToObject(vm)

	r.getOwnDesc, _ = goja.AssertFunction(reflect.Get("getOwnPropertyDescriptor"))
	r.reflectHas, _ = goja.AssertFunction(reflect.Get("has"))
	r.construct, _ = goja.AssertFunction(reflect.Get("construct"))
	r.global = r.NewTimers("realm")
	global := vm.GlobalObject()
	r.global.Install(global)
	_ = global.Set("console", r.Console(slog.String("module", "(global)")))
	return r
}

// VM is the goja runtime. Use it only while holding the lock.
func (r *Realm) VM() *goja.Runtime { return r.vm }

// Lock takes the realm, waiting until ctx ends.
func (r *Realm) Lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case r.sem <- struct{}{}:
	default:
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.closed:
			return ErrClosed
		}
	}
	select {
	case <-r.closed:
		<-r.sem
		return ErrClosed
	default:
		return nil
	}
}

// Unlock gives the realm back, first reporting promise rejections that no
// handler took up while it was held.
func (r *Realm) Unlock() {
	for p := range r.rejections {
		r.log.Warn("unhandled promise rejection", "reason", describe(p.Result()))
		delete(r.rejections, p)
	}
	<-r.sem
}

// Run takes the realm and runs fn. If ctx ends while fn runs JavaScript, the
// JavaScript is interrupted and Run returns an error matching ctx.Err(); the
// realm stays usable.
func (r *Realm) Run(ctx context.Context, fn func(vm *goja.Runtime) error) error {
	if err := r.Lock(ctx); err != nil {
		return err
	}
	defer r.Unlock()
	return r.RunLocked(ctx, fn)
}

// RunLocked is Run for a caller that already holds the lock.
func (r *Realm) RunLocked(ctx context.Context, fn func(vm *goja.Runtime) error) error {
	if ctx.Done() == nil {
		return fn(r.vm)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		r.vm.Interrupt(interrupted{ctx})
	})
	err := fn(r.vm)
	if !stop() {
		// The interrupt was requested; if it came after fn returned it is
		// still pending and would hit the next caller.
		<-fired
		r.vm.ClearInterrupt()
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if cause, ok := ie.Value().(interrupted); ok {
			return &TimeoutError{Err: context.Cause(cause.ctx), Stack: stackString(ie)}
		}
	}
	return err
}

type interrupted struct{ ctx context.Context }

func (i interrupted) String() string { return "interrupted: " + i.ctx.Err().Error() }

// TimeoutError is returned when JavaScript ran past its context's end. It
// matches the context's error (context.DeadlineExceeded or Canceled).
type TimeoutError struct {
	Err   error
	Stack string
}

func (e *TimeoutError) Error() string {
	msg := "javascript interrupted: " + e.Err.Error()
	if e.Stack != "" {
		msg += " (at " + e.Stack + ")"
	}
	return msg
}

func (e *TimeoutError) Unwrap() error { return e.Err }

func stackString(ie *goja.InterruptedError) string {
	for _, f := range ie.Stack() {
		if p := f.Position(); p.Filename != "" {
			return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column+1)
		}
	}
	return ""
}

// Close stops the realm's own timers; later Lock calls fail with ErrClosed.
// It waits for the current holder of the lock to finish.
func (r *Realm) Close() {
	r.once.Do(func() {
		r.global.Stop()
		close(r.closed)
		r.sem <- struct{}{} // wait for the holder; nobody gets it after
	})
}

// DefineAll copies every own property descriptor of source onto target.
func (r *Realm) DefineAll(target, source goja.Value) error {
	_, err := r.defineAll(goja.Undefined(), target, source)
	return err
}
