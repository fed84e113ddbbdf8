package engine

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// Timers is the set of timers one owner (a module version, or the realm)
// started. Stop cancels all of them at once: that is how a disposed or failed
// module version leaves no timer behind.
type Timers struct {
	r       *Realm
	owner   string
	mu      sync.Mutex
	next    int64
	active  map[int64]*timer
	stopped bool
}

type timer struct {
	id       int64
	fn       goja.Callable
	args     []goja.Value
	interval time.Duration
	repeat   bool
	t        *time.Timer
}

// NewTimers returns an empty timer set; owner names it in logs.
func (r *Realm) NewTimers(owner string) *Timers {
	return &Timers{r: r, owner: owner, active: make(map[int64]*timer)}
}

// Install defines setTimeout, clearTimeout, setInterval, clearInterval,
// setImmediate and clearImmediate on obj. Call with the lock held.
func (t *Timers) Install(obj *goja.Object) {
	for name, fn := range t.Functions() {
		_ = obj.Set(name, fn)
	}
}

// Functions returns the timer functions by name. Call with the lock held.
func (t *Timers) Functions() map[string]goja.Value {
	vm := t.r.vm
	set := func(repeat, immediate bool) goja.Value {
		return vm.ToValue(func(call goja.FunctionCall) goja.Value {
			fn, ok := goja.AssertFunction(call.Argument(0))
			if !ok {
				panic(vm.NewTypeError("the callback must be a function"))
			}
			var delay time.Duration
			rest := 2
			if immediate {
				rest = 1
			} else if d := call.Argument(1).ToFloat(); d > 0 && !math.IsNaN(d) {
				delay = time.Duration(math.Min(d, math.MaxInt32) * float64(time.Millisecond))
			}
			if repeat {
				delay = max(delay, time.Millisecond) // an interval of 0 would spin
			}
			var args []goja.Value
			if len(call.Arguments) > rest {
				args = append(args, call.Arguments[rest:]...)
			}
			return vm.ToValue(t.add(fn, args, delay, repeat))
		})
	}
	clear := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		t.clear(call.Argument(0).ToInteger())
		return goja.Undefined()
	})
	return map[string]goja.Value{
		"setTimeout": set(false, false), "setInterval": set(true, false), "setImmediate": set(false, true),
		"clearTimeout": clear, "clearInterval": clear, "clearImmediate": clear,
	}
}

func (t *Timers) add(fn goja.Callable, args []goja.Value, d time.Duration, repeat bool) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	if t.stopped {
		return t.next // a disposed owner's timers never run
	}
	tm := &timer{id: t.next, fn: fn, args: args, interval: d, repeat: repeat}
	t.active[tm.id] = tm
	tm.t = time.AfterFunc(d, func() { t.fire(tm) })
	return tm.id
}

func (t *Timers) clear(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tm, ok := t.active[id]; ok {
		tm.t.Stop()
		delete(t.active, id)
	}
}

// claim reports whether tm may run now; a timeout stops being pending as it
// starts to run, as in browsers, while an interval stays.
func (t *Timers) claim(tm *timer) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped || t.active[tm.id] != tm {
		return false
	}
	if !tm.repeat {
		delete(t.active, tm.id)
	}
	return true
}

func (t *Timers) fire(tm *timer) {
	ctx, cancel := context.WithTimeout(context.Background(), t.r.opts.TimerTimeout)
	defer cancel()
	if err := t.r.Lock(ctx); err != nil {
		return
	}
	defer t.r.Unlock()
	if !t.claim(tm) { // cleared or stopped while waiting for the lock
		return
	}
	err := t.r.RunLocked(ctx, func(*goja.Runtime) error {
		_, err := tm.fn(goja.Undefined(), tm.args...)
		return err
	})
	if err != nil {
		t.r.log.Error("timer callback failed", "module", t.owner, "err", Err(err))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tm.repeat && !t.stopped && t.active[tm.id] == tm {
		tm.t.Reset(tm.interval)
	}
}

// Len is the number of timers waiting to fire.
func (t *Timers) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.active)
}

// Stop cancels every timer and makes later ones no-ops. It does not need
// the realm lock.
func (t *Timers) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	for id, tm := range t.active {
		tm.t.Stop()
		delete(t.active, id)
	}
}
