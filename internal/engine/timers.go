package engine

import (
	"context"
	"math"
	"time"

	"github.com/dop251/goja"
)

// Timers is the set of timers one owner (a module version, or the realm)
// started. Stop cancels all of them at once: that is how a disposed or failed
// module version leaves no timer behind. Timer ids are unique in the realm,
// so any clearTimeout clears a timer whoever started it.
type Timers struct {
	r       *Realm
	owner   string
	ctx     context.Context // ends at Stop: a timer waiting for the realm gives up
	cancel  context.CancelFunc
	active  map[int64]*timer // r.tmu
	stopped bool             // r.tmu
}

type timer struct {
	id       int64
	owner    *Timers
	fn       goja.Callable
	args     []goja.Value
	interval time.Duration
	repeat   bool
	t        *time.Timer
}

// NewTimers returns an empty timer set; owner names it in logs.
func (r *Realm) NewTimers(owner string) *Timers {
	ctx, cancel := context.WithCancel(context.Background())
	return &Timers{r: r, owner: owner, ctx: ctx, cancel: cancel, active: make(map[int64]*timer)}
}

// Done is closed when the timers are stopped.
func (t *Timers) Done() <-chan struct{} { return t.ctx.Done() }

// SwapOwner makes t the owner of timers that code running now starts
// through the global setTimeout family, and returns the previous owner to
// restore. Call with the lock held.
func (r *Realm) SwapOwner(t *Timers) *Timers {
	prev := r.owner
	r.owner = t
	return prev
}

// installGlobalTimers defines the global timer functions: they give each
// timer to the owner whose code is running, so a module version's timers
// stop with it however they were started.
func (r *Realm) installGlobalTimers(global *goja.Object) {
	for name, fn := range r.timerFunctions(func() *Timers {
		if r.owner != nil {
			return r.owner
		}
		return r.global
	}) {
		_ = global.Set(name, fn)
	}
}

// Functions returns the timer functions of t by name. Call with the lock
// held.
func (t *Timers) Functions() map[string]goja.Value {
	return t.r.timerFunctions(func() *Timers { return t })
}

func (r *Realm) timerFunctions(owner func() *Timers) map[string]goja.Value {
	vm := r.vm
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
			return vm.ToValue(owner().add(fn, args, delay, repeat))
		})
	}
	clear := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		r.clearTimer(call.Argument(0).ToInteger())
		return goja.Undefined()
	})
	return map[string]goja.Value{
		"setTimeout": set(false, false), "setInterval": set(true, false), "setImmediate": set(false, true),
		"clearTimeout": clear, "clearInterval": clear, "clearImmediate": clear,
	}
}

func (t *Timers) add(fn goja.Callable, args []goja.Value, d time.Duration, repeat bool) int64 {
	r := t.r
	r.tmu.Lock()
	defer r.tmu.Unlock()
	r.tseq++
	if t.stopped {
		return r.tseq // a disposed owner's timers never run
	}
	tm := &timer{id: r.tseq, owner: t, fn: fn, args: args, interval: d, repeat: repeat}
	t.active[tm.id] = tm
	r.tindex[tm.id] = tm
	tm.t = time.AfterFunc(d, func() { t.fire(tm) })
	return tm.id
}

func (r *Realm) clearTimer(id int64) {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	if tm, ok := r.tindex[id]; ok {
		tm.t.Stop()
		delete(tm.owner.active, id)
		delete(r.tindex, id)
	}
}

// claim reports whether tm may run now; a timeout stops being pending as it
// starts to run, as in browsers, while an interval stays.
func (t *Timers) claim(tm *timer) bool {
	r := t.r
	r.tmu.Lock()
	defer r.tmu.Unlock()
	if t.stopped || t.active[tm.id] != tm {
		return false
	}
	if !tm.repeat {
		delete(t.active, tm.id)
		delete(r.tindex, tm.id)
	}
	return true
}

// fire runs a due timer. Waiting for the realm has no time limit of its
// own (a busy realm delays timers, as a busy event loop does) but ends
// when the owner stops or the realm closes; the callback itself is bounded
// by TimerTimeout. An interval is scheduled again after each run, whether
// the callback succeeded or not.
func (t *Timers) fire(tm *timer) {
	r := t.r
	if err := r.Lock(t.ctx); err != nil {
		r.tmu.Lock()
		due := t.active[tm.id] == tm && !t.stopped
		r.tmu.Unlock()
		if due {
			r.log.Info("timer dropped: the realm closed before it could run", "module", t.owner, "timer", tm.id)
		}
		return
	}
	defer r.Unlock()
	if !t.claim(tm) { // cleared or stopped while waiting for the lock
		return
	}
	prev := r.SwapOwner(t)
	err := r.RunLocked(t.ctx, r.opts.TimerTimeout, func(*goja.Runtime) error {
		_, err := tm.fn(goja.Undefined(), tm.args...)
		return err
	})
	r.SwapOwner(prev)
	if err != nil {
		r.log.Error("timer callback failed", "module", t.owner, "timer", tm.id, "err", Err(err))
	}
	r.tmu.Lock()
	defer r.tmu.Unlock()
	if tm.repeat && !t.stopped && t.active[tm.id] == tm {
		tm.t.Reset(tm.interval)
	}
}

// Len is the number of timers waiting to fire.
func (t *Timers) Len() int {
	t.r.tmu.Lock()
	defer t.r.tmu.Unlock()
	return len(t.active)
}

// Stop cancels every timer and makes later ones no-ops; a timer waiting for
// the realm gives up. It does not need the realm lock.
func (t *Timers) Stop() {
	r := t.r
	r.tmu.Lock()
	defer r.tmu.Unlock()
	t.stopTimersLocked()
}

func (t *Timers) stopTimersLocked() {
	t.stopped = true
	t.cancel()
	for id, tm := range t.active {
		tm.t.Stop()
		delete(t.active, id)
		delete(t.r.tindex, id)
	}
}

// stopAllTimers stops every pending timer of every owner (Close).
func (r *Realm) stopAllTimers() {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	owners := map[*Timers]bool{r.global: true}
	for _, tm := range r.tindex {
		owners[tm.owner] = true
	}
	for t := range owners {
		t.stopTimersLocked()
	}
}
