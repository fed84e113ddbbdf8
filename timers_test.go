package hotmod_test

import (
	"errors"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

func TestTimers(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/t.js": `
export function run() {
	return new Promise(resolve => {
		const log = []
		const cancelled = setTimeout(() => log.push('cancelled'), 1)
		clearTimeout(cancelled)
		setTimeout((a, b) => log.push('timeout ' + a + b), 2, 'x', 'y')
		setImmediate(() => log.push('immediate'))
		let n = 0
		const iv = setInterval(() => {
			log.push('tick ' + (++n))
			if (n === 3) {
				clearInterval(iv)
				setTimeout(() => resolve(log), 5)
			}
		}, 1)
	})
}
export function badCallback() { setTimeout('not a function', 1) }
`})
	m := e.create("t", "/m/t.js")
	got := e.call(m, "run").([]any)
	has := func(s string) bool {
		for _, g := range got {
			if g == s {
				return true
			}
		}
		return false
	}
	if !has("timeout xy") || !has("immediate") || has("cancelled") {
		t.Errorf("log = %v", got)
	}
	var ticks []any
	for _, g := range got {
		if s := g.(string); len(s) > 4 && s[:4] == "tick" {
			ticks = append(ticks, g)
		}
	}
	if !reflect.DeepEqual(ticks, []any{"tick 1", "tick 2", "tick 3"}) {
		t.Errorf("interval ran %v; clearInterval must stop it at 3", ticks)
	}
	if _, err := m.Call(e.ctx, "badCallback"); err == nil {
		t.Error("setTimeout with a non-function must throw")
	}
	if st := e.rt.Stats().Modules[0]; st.PendingTimers != 0 {
		t.Errorf("%d timers left pending", st.PendingTimers)
	}
}

// manyTimers starts n intervals of 1 ms: the load of issue 19, where each
// timer once held a goroutine and the realm's callers queued behind them.
const manyTimers = `
export function start(n) { for (let i = 0; i < n; i++) setInterval(() => {}, 1) }
`

func oneRealm(o *hotmod.Options) { o.Realms = 1 } // the timers and the calls share it

// Timers share one scheduler per realm: 5,000 intervals do not hold 5,000
// goroutines (they did: each firing waited for the realm on its own).
func TestManyIntervalsUseOneGoroutine(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/many.js": manyTimers}, oneRealm)
	m := e.create("many", "/m/many.js")
	baseline := runtime.NumGoroutine()
	e.call(m, "start", 5000)
	peak := 0
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; time.Sleep(5 * time.Millisecond) {
		peak = max(peak, runtime.NumGoroutine())
	}
	t.Logf("goroutines: %d before the intervals, at most %d while they ran", baseline, peak)
	if peak > baseline+20 {
		t.Errorf("5,000 intervals held %d goroutines more than before them (want at most 20)", peak-baseline)
	}
	if n := m.Stats().PendingTimers; n != 5000 {
		t.Errorf("PendingTimers = %d, want 5000", n)
	}
}

// With 5,000 intervals due every millisecond, another module's calls still
// get the realm promptly: the scheduler lets waiting callers in between
// callbacks. The bound is a liveness one (issue 19 measured 104 ms a call).
func TestTimersDoNotStarveCalls(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/many.js":  manyTimers,
		"/m/quiet.js": "export function f(x) { return x + 1 }",
	}, oneRealm)
	busy := e.create("many", "/m/many.js")
	quiet := e.create("quiet", "/m/quiet.js")
	e.call(busy, "start", 5000)
	time.Sleep(20 * time.Millisecond) // the intervals are due and running
	var took []time.Duration
	within(t, 20*time.Second, "50 calls beside 5,000 intervals", func() {
		for i := range 50 {
			start := time.Now()
			_, err := quiet.Call(e.ctx, "f", i)
			took = append(took, time.Since(start))
			if err != nil {
				t.Errorf("call %d: %v", i, err)
				return
			}
			time.Sleep(time.Millisecond) // arrive while the scheduler holds the realm
		}
	})
	slices.Sort(took)
	p90, worst := took[len(took)*9/10], took[len(took)-1]
	t.Logf("call latency beside 5,000 intervals: p50 %v, p90 %v, max %v", took[len(took)/2], p90, worst)
	// Liveness bounds, loose for a shared machine (an unscheduled process
	// has made one wait in a few hundred last 150 ms); before the scheduler
	// the p90 was 212 ms, 821 ms under the race detector.
	if p90 > 100*time.Millisecond || worst > time.Second {
		t.Errorf("calls took p90 %v, at most %v (want within 100 ms and 1 s)", p90, worst)
	}
}

// A version may have Options.MaxTimers timers pending (default 10,000);
// one more throws a RangeError naming the limit, which reaches Go as an
// error matching ErrTooManyTimers. Clearing one makes room, and a new
// version starts from zero.
func TestMaxTimersIsEnforced(t *testing.T) {
	src := `
const ids = []
export function fill(n) { for (let i = 0; i < n; i++) ids.push(setTimeout(() => {}, 60000)) }
export function one(kind) {
	if (kind === 'interval') return setInterval(() => {}, 60000)
	if (kind === 'immediate') return setImmediate(() => {})
	return setTimeout(() => {}, 60000)
}
export function caught() {
	try { setTimeout(() => {}, 1) } catch (e) { return [e instanceof RangeError, e.message] }
	return 'no throw'
}
export function clearOne() { clearTimeout(ids.pop()) }
`
	e := newEnv(t, map[string]string{"/m/t.js": src}, oneRealm)
	m := e.create("t", "/m/t.js")
	e.call(m, "fill", 10000)
	if n := m.Stats().PendingTimers; n != 10000 {
		t.Fatalf("PendingTimers = %d after 10,000 timers, want 10000", n)
	}
	for _, kind := range []string{"timeout", "interval", "immediate"} {
		_, err := m.Call(e.ctx, "one", kind)
		var je *hotmod.JSError
		var le *hotmod.LimitError
		if !errors.Is(err, hotmod.ErrTooManyTimers) || !errors.Is(err, hotmod.ErrLimit) || !errors.As(err, &le) || le.Limit != "timers" ||
			!errors.As(err, &je) || je.Name != "RangeError" ||
			!strings.Contains(je.Message, "10000 timers pending") || !strings.Contains(je.Message, "Options.MaxTimers") {
			t.Errorf("the 10,001st timer (%s): %v, want a RangeError naming the limit and matching ErrTooManyTimers", kind, err)
		}
	}
	got := e.call(m, "caught").([]any)
	if got[0] != true || got[1] != "setTimeout: 10000 timers pending in this module (Options.MaxTimers)" {
		t.Errorf("caught in JavaScript: %v", got)
	}
	e.call(m, "clearOne")
	if _, err := m.Call(e.ctx, "one", "timeout"); err != nil {
		t.Errorf("a timer after clearing one: %v", err)
	}
	if _, err := m.Call(e.ctx, "one", "timeout"); !errors.Is(err, hotmod.ErrTooManyTimers) {
		t.Errorf("the limit again once the cleared one's place is taken: %v", err)
	}
	e.write("/m/t.js", src+"\n// v2")
	e.reload("t")
	if n := m.Stats().PendingTimers; n != 0 {
		t.Errorf("PendingTimers = %d after a reload, want 0", n)
	}
	e.call(m, "fill", 10000)
	if _, err := m.Call(e.ctx, "one", "timeout"); !errors.Is(err, hotmod.ErrTooManyTimers) {
		t.Errorf("the new version's 10,001st timer: %v", err)
	}

	// The option reaches the realm.
	e2 := newEnv(t, map[string]string{"/m/t.js": src}, oneRealm, func(o *hotmod.Options) { o.MaxTimers = 3 })
	m2 := e2.create("t", "/m/t.js")
	e2.call(m2, "fill", 3)
	if _, err := m2.Call(e2.ctx, "one", "interval"); err == nil || !strings.Contains(err.Error(), "setInterval: 3 timers pending") {
		t.Errorf("the 4th timer under MaxTimers 3: %v", err)
	}
}
