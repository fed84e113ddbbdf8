package engine

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/js"
)

// DefaultMaxTimers is how many timers one owner (a module version) may have
// pending unless Options.MaxTimers says otherwise. A pending timer costs
// the realm little (its callback, a heap slot, two map entries), so the cap
// is not about the common case: it stops a loop that starts timers without
// end before it fills the heap and every scheduler round with them, while
// leaving room for a server module that keeps a timeout per request in
// flight (see RATIONALE.md, "Timers").
const DefaultMaxTimers = 10_000

// timerSlice is the longest the scheduler holds the realm for timers
// before it lets go, even when nobody is seen waiting: a caller that is
// still spinning for the lock, not yet counted as a waiter, then gets in.
const timerSlice = time.Millisecond

// Timers is the set of timers one owner (a module version, or the realm)
// started. Stop cancels all of them at once: that is how a disposed or failed
// module version leaves no timer behind. Timer ids are unique in the realm,
// so any clearTimeout clears a timer whoever started it.
type Timers struct {
	r       *Realm
	owner   string
	ctx     context.Context // ends at Stop: a callback running then is interrupted
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
	when     time.Time // r.tmu
	seq      uint64    // r.tmu; breaks ties of when, so equal deadlines run in the order they were set
	index    int       // r.tmu; the timer's place in r.queue, -1 while it runs or once it is cleared
}

// timerQueue is the realm's pending timers, earliest first (container/heap).
type timerQueue []*timer

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if !q[i].when.Equal(q[j].when) {
		return q[i].when.Before(q[j].when)
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *timerQueue) Push(x any) {
	tm := x.(*timer)
	tm.index = len(*q)
	*q = append(*q, tm)
}
func (q *timerQueue) Pop() any {
	old := *q
	tm := old[len(old)-1]
	old[len(old)-1] = nil // the slot would keep a cleared timer's callback alive
	tm.index = -1
	*q = old[:len(old)-1]
	return tm
}

// NewTimers returns an empty timer set; owner names it in logs.
func (r *Realm) NewTimers(owner string) *Timers {
	ctx, cancel := context.WithCancel(context.Background())
	return &Timers{r: r, owner: owner, ctx: ctx, cancel: cancel, active: make(map[int64]*timer)}
}

// Done is closed when the timers are stopped.
func (t *Timers) Done() <-chan struct{} { return t.ctx.Done() }

// TimerOwner names the owner of the timer whose callback holds the realm
// now (what NewTimers was given), if one does; read without the realm, so
// a runaway callback can be named while it runs.
func (r *Realm) TimerOwner() (string, bool) {
	if t := r.timerRun.Load(); t != nil {
		return t.owner, true
	}
	return "", false
}

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

// limitKey marks the exceptions the realm throws for a limit, so that
// FromValue can tell them from the same error thrown by a module. One
// symbol serves every realm: a goja Symbol is never changed once made.
var limitKey = goja.NewSymbol("hotmod.limit")

func (r *Realm) timerFunctions(owner func() *Timers) map[string]goja.Value {
	vm := r.vm
	set := func(name string, repeat, immediate bool) goja.Value {
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
			id, ok := owner().add(fn, args, delay, repeat)
			if !ok {
				panic(r.tooManyTimers(name))
			}
			return vm.ToValue(id)
		})
	}
	clear := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		r.clearTimer(call.Argument(0).ToInteger())
		return goja.Undefined()
	})
	return map[string]goja.Value{
		"setTimeout": set("setTimeout", false, false), "setInterval": set("setInterval", true, false), "setImmediate": set("setImmediate", false, true),
		"clearTimeout": clear, "clearInterval": clear, "clearImmediate": clear,
	}
}

// tooManyTimers is the RangeError a timer function throws at the cap: a
// RangeError because JavaScript code that guards against the cap can test
// for it, marked so that Go sees js.ErrTooManyTimers behind it.
func (r *Realm) tooManyTimers(fn string) *goja.Object {
	msg := fmt.Sprintf("%s: %d timers pending in this module (Options.MaxTimers)", fn, r.opts.MaxTimers)
	e, err := r.vm.New(r.rangeError, r.vm.ToValue(msg))
	if err != nil {
		panic(err) // the constructor captured at start: cannot throw
	}
	_ = e.DefineDataPropertySymbol(limitKey, r.vm.ToValue("timers"), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	return e
}

// add schedules a timer and returns its id; false when t already has
// MaxTimers pending.
func (t *Timers) add(fn goja.Callable, args []goja.Value, d time.Duration, repeat bool) (int64, bool) {
	r := t.r
	r.tmu.Lock()
	defer r.tmu.Unlock()
	if t.stopped {
		r.tseq++
		return r.tseq, true // a disposed owner's timers never run
	}
	if len(t.active) >= r.opts.MaxTimers {
		return 0, false
	}
	r.tseq++
	tm := &timer{id: r.tseq, owner: t, fn: fn, args: args, interval: d, repeat: repeat, index: -1}
	t.active[tm.id] = tm
	r.tindex[tm.id] = tm
	r.queueLocked(tm, time.Now().Add(d))
	return tm.id, true
}

// queueLocked puts tm in the queue to run at when, and wakes the scheduler
// if tm is now the earliest (starting it the first time).
func (r *Realm) queueLocked(tm *timer, when time.Time) {
	r.qseq++
	tm.when, tm.seq = when, r.qseq
	heap.Push(&r.queue, tm)
	if tm.index != 0 {
		return
	}
	if !r.scheduling {
		r.scheduling = true
		go r.schedule()
		return
	}
	select {
	case r.kick <- struct{}{}:
	default: // a kick is pending already: the scheduler will look again
	}
}

func (r *Realm) unqueueLocked(tm *timer) {
	if tm.index >= 0 {
		heap.Remove(&r.queue, tm.index)
	}
}

func (r *Realm) clearTimer(id int64) {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	if tm, ok := r.tindex[id]; ok {
		r.unqueueLocked(tm)
		delete(tm.owner.active, id)
		delete(r.tindex, id)
	}
}

// schedule is the realm's one timer goroutine, started with its first
// timer: it sleeps until the earliest deadline, then takes the realm like
// any caller and runs what is due. Waiting for the realm has no time limit
// of its own (a busy realm delays timers, as a busy event loop does); a
// timer cleared or stopped meanwhile has left the queue and does not run.
// The goroutine ends when the realm closes.
func (r *Realm) schedule() {
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	behind := false // the last round let go of the realm for waiting callers
	for {
		r.tmu.Lock()
		var next time.Time
		pending := len(r.queue) > 0
		if pending {
			next = r.queue[0].when
		}
		r.tmu.Unlock()
		var due <-chan time.Time // nil: nothing to wait for but a kick
		if pending {
			d := time.Until(next)
			if d > 0 {
				wake.Reset(d)
				due = wake.C
			}
		}
		if !pending || due != nil {
			select {
			case <-due:
			case <-r.kick:
				continue // an earlier timer came
			case <-r.closed:
				return
			}
		}
		if err := r.lockForTimers(behind); err != nil {
			r.dropDue()
			return
		}
		behind = r.runDue()
		r.Unlock()
	}
}

// lockForTimers takes the realm for the scheduler. After a round that let
// go for waiting callers, it takes it behind them, not back before they
// wake (see realmLock.lockBehind).
func (r *Realm) lockForTimers(behind bool) error {
	if !behind {
		return r.Lock(context.Background())
	}
	if err := r.lk.lockBehind(r.closed); err != nil {
		return err
	}
	return r.lockedOpen()
}

// runDue runs, holding the realm, the timers due when it starts, earliest
// first; timers that come due meanwhile wait for the next round. It stops
// early, reporting true, once a caller waits for the realm or it has held
// the realm for timerSlice: a call then waits for at most one callback,
// however many timers are due. A timeout stops being pending as it starts
// to run, as in browsers; an interval is queued again after each run,
// whether the callback succeeded or not.
func (r *Realm) runDue() bool {
	start := time.Now()
	for {
		select {
		case <-r.closed:
			return false
		default:
		}
		r.tmu.Lock()
		if len(r.queue) == 0 || r.queue[0].when.After(start) {
			r.tmu.Unlock()
			return false
		}
		tm := heap.Pop(&r.queue).(*timer)
		t := tm.owner
		if !tm.repeat {
			delete(t.active, tm.id)
			delete(r.tindex, tm.id)
		}
		r.tmu.Unlock()

		prev := r.SwapOwner(t)
		r.timerRun.Store(t) // for TimerOwner
		err := r.RunLocked(t.ctx, r.opts.TimerTimeout, func(*goja.Runtime) error {
			_, err := tm.fn(goja.Undefined(), tm.args...)
			return err
		})
		r.timerRun.Store(nil)
		r.SwapOwner(prev)
		if err != nil {
			r.log.Error("timer callback failed", "module", t.owner, "timer", tm.id, "err", Err(err))
		}
		now := time.Now()
		if tm.repeat {
			r.tmu.Lock()
			if !t.stopped && t.active[tm.id] == tm { // not cleared by its own callback
				r.queueLocked(tm, now.Add(tm.interval))
			}
			r.tmu.Unlock()
		}
		if r.lk.waiters.Load() > 0 || now.Sub(start) >= timerSlice {
			return true
		}
	}
}

// dropDue logs the timers that were due when the realm closed under them.
func (r *Realm) dropDue() {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	now, n := time.Now(), 0
	for _, tm := range r.queue {
		if !tm.when.After(now) {
			n++
		}
	}
	if n > 0 {
		r.log.Info("timers dropped: the realm closed before they could run", "timers", n)
	}
}

// Len is the number of timers waiting to fire.
func (t *Timers) Len() int {
	t.r.tmu.Lock()
	defer t.r.tmu.Unlock()
	return len(t.active)
}

// Stop cancels every timer and makes later ones no-ops; a callback of t
// running now is interrupted. It does not need the realm lock.
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
		t.r.unqueueLocked(tm)
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

// limitOf is the error Go should see behind an exception the realm threw
// for a limit, or nil for any other.
func limitOf(obj *goja.Object) error {
	if v := obj.GetSymbol(limitKey); v != nil && v.String() == "timers" {
		return js.ErrTooManyTimers
	}
	return nil
}
