package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/js"
)

// run runs src in r and returns its value exported, failing the test on
// an error.
func run(t *testing.T, r *Realm, src string) any {
	t.Helper()
	var out any
	err := r.Run(context.Background(), time.Second, func(vm *goja.Runtime) error {
		v, err := vm.RunString(src)
		if err == nil {
			out = v.Export()
		}
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", src, Err(err))
	}
	return out
}

// signal defines done() in r: JavaScript calls it to wake the test.
func signal(t *testing.T, r *Realm) <-chan struct{} {
	t.Helper()
	ch := make(chan struct{}, 1)
	_ = r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		return vm.Set("done", func() {
			select {
			case ch <- struct{}{}:
			default:
			}
		})
	})
	return ch
}

func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not within 10 s", what)
	}
}

// discard is a logger for tests whose callbacks fail on purpose.
func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func queued(r *Realm) int {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	return len(r.queue)
}

// Timers run in deadline order, and timers due at the same time in the
// order they were set (setImmediate and setTimeout(0) alike), which
// goroutines racing for the realm did not promise.
func TestTimersRunInDeadlineOrder(t *testing.T) {
	r := realm(t)
	done := signal(t, r)
	for range 20 {
		run(t, r, `globalThis.log = []
			setTimeout(() => { log.push('t30'); done() }, 30)
			setTimeout(() => log.push('t10a'), 10)
			setTimeout(() => log.push('t20'), 20)
			setImmediate(() => log.push('i1'))
			setTimeout(() => log.push('t0'), 0)
			setImmediate(() => log.push('i2'))
			setTimeout(() => log.push('t10b'), 10)`)
		await(t, done, "the last timeout")
		got := run(t, r, `log.join(' ')`)
		if want := "i1 t0 i2 t10a t10b t20 t30"; got != want {
			t.Fatalf("order %q, want %q", got, want)
		}
	}
	if n := queued(r); n != 0 {
		t.Errorf("%d timers left in the queue", n)
	}
}

// A cleared timer leaves the queue at once (its callback is not kept
// until its deadline), whoever clears it: ids are unique in the realm.
func TestClearTimeoutLeavesTheQueue(t *testing.T) {
	r := realm(t)
	done := signal(t, r)
	a, b := r.NewTimers("a"), r.NewTimers("b")
	err := r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		_ = vm.Set("setTimeoutA", a.Functions()["setTimeout"])
		_ = vm.Set("clearTimeoutB", b.Functions()["clearTimeout"])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		_, err := vm.RunString(`globalThis.ran = []
			globalThis.ids = []
			for (let i = 0; i < 100; i++) ids.push(setTimeoutA(() => ran.push(i), 5))
			for (let i = 0; i < 100; i += 2) clearTimeoutB(ids[i])
			setTimeoutA(done, 20)`)
		// Checked holding the realm, so that none of them can have run.
		if n, l := queued(r), a.Len(); n != 51 || l != 51 {
			t.Errorf("after clearing half: %d queued, %d pending, want 51 and 51", n, l)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	await(t, done, "the timeouts")
	if got := run(t, r, `ran.every(i => i % 2 === 1) && ran.length`); got != int64(50) {
		t.Errorf("ran: %v, want the 50 odd ones", run(t, r, `JSON.stringify(ran)`))
	}
	if n := queued(r); n != 0 || a.Len() != 0 {
		t.Errorf("%d queued, %d pending after they ran", n, a.Len())
	}
}

// An interval is queued again after each run, whether its callback threw,
// ran past TimerTimeout, or succeeded; clearing it from its own callback
// ends it.
func TestIntervalRunsAgainAfterFailing(t *testing.T) {
	r := New(Options{TimerTimeout: 20 * time.Millisecond, Logger: discard()})
	t.Cleanup(func() { _ = r.Close(context.Background(), 0, nil) })
	done := signal(t, r)
	run(t, r, `globalThis.n = 0
		const iv = setInterval(() => {
			n++
			if (n === 1) throw new Error('first run fails')
			if (n === 2) for (;;) {} // stopped at TimerTimeout
			if (n === 4) { clearInterval(iv); done() }
		}, 1)`)
	await(t, done, "the fourth run")
	time.Sleep(20 * time.Millisecond)
	if got := run(t, r, `n`); got != int64(4) {
		t.Errorf("n = %v after clearInterval at 4", got)
	}
	if n := queued(r); n != 0 || r.global.Len() != 0 {
		t.Errorf("%d queued, %d pending after clearInterval", n, r.global.Len())
	}
}

// Stop takes every timer of its owner out of the queue, leaves the others
// alone, and makes the owner's later timers no-ops.
func TestStopEmptiesTheOwnersTimers(t *testing.T) {
	r := realm(t)
	done := signal(t, r)
	m, other := r.NewTimers("m"), r.NewTimers("other")
	err := r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		_ = vm.Set("m", m.Functions())
		_ = vm.Set("other", other.Functions())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		_, err := vm.RunString(`globalThis.ran = 0
			for (let i = 0; i < 10; i++) m.setTimeout(() => ran++, 10)
			m.setInterval(() => ran++, 1)
			other.setTimeout(done, 30)`)
		m.Stop() // holding the realm, so that none of them can have run
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := queued(r); n != 1 || m.Len() != 0 {
		t.Errorf("after Stop: %d queued (want other's 1), %d pending", n, m.Len())
	}
	select {
	case <-m.Done():
	default:
		t.Error("Done is not closed after Stop")
	}
	run(t, r, `m.setTimeout(() => ran++, 1)`)
	if n := queued(r); n != 1 || m.Len() != 0 {
		t.Errorf("a timer after Stop was queued: %d queued, %d pending", n, m.Len())
	}
	await(t, done, "the other owner's timeout")
	if got := run(t, r, `ran`); got != int64(0) {
		t.Errorf("%v callbacks of the stopped owner ran", got)
	}
}

// One goroutine runs every timer of the realm, and it ends when the realm
// closes.
func TestSchedulerIsOneGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	r := New(Options{})
	run(t, r, `globalThis.ticks = 0; for (let i = 0; i < 2000; i++) setInterval(() => ticks++, 1)`)
	peak := 0
	for deadline := time.Now().Add(10 * time.Second); run(t, r, `ticks`).(int64) < 3*2000; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("2,000 intervals ticked %v times in 10 s", run(t, r, `ticks`))
		}
		peak = max(peak, runtime.NumGoroutine())
	}
	if peak > before+5 {
		t.Errorf("2,000 intervals: %d goroutines, %d before", peak, before)
	}
	if err := r.Close(context.Background(), time.Second, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before the realm", n, before)
	}
}

// While timers are due without end, a caller waiting for the realm gets it
// after at most about one callback: the scheduler lets go when it sees a
// waiter and takes the realm back behind it, not before it wakes.
func TestSchedulerLetsCallersIn(t *testing.T) {
	r := New(Options{Logger: discard()}) // a callback running at Close fails
	t.Cleanup(func() { _ = r.Close(context.Background(), 0, nil) })
	run(t, r, `for (let i = 0; i < 2000; i++) setInterval(() => { for (let j = 0; j < 100; j++) {} }, 1)`)
	time.Sleep(10 * time.Millisecond)
	var waits []time.Duration
	for i := range 100 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		start := time.Now()
		err := r.Lock(ctx)
		waits = append(waits, time.Since(start))
		cancel()
		if err != nil {
			t.Fatalf("caller %d did not get the realm within 2 s: %v", i, err)
		}
		r.Unlock()
		time.Sleep(200 * time.Microsecond)
	}
	slices.Sort(waits)
	t.Logf("waits for the realm beside 2,000 intervals: p50 %v, p90 %v, max %v", waits[50], waits[90], waits[99])
	// Liveness bounds: the machine this runs on is shared, and one wait in
	// a few hundred has been seen to last 150 ms when the process was not
	// scheduled.
	if waits[90] > 100*time.Millisecond || waits[99] > time.Second {
		t.Errorf("callers waited p90 %v, at most %v (want within 100 ms and 1 s)", waits[90], waits[99])
	}
}

// The cap counts one owner's pending timers; past it, each timer function
// throws a RangeError that Err turns into a *JSError matching
// js.ErrTooManyTimers. The same error thrown by JavaScript does not match.
func TestMaxTimersPerOwner(t *testing.T) {
	r := New(Options{MaxTimers: 2})
	t.Cleanup(func() { _ = r.Close(context.Background(), 0, nil) })
	a, b := r.NewTimers("a"), r.NewTimers("b")
	err := r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		_ = vm.Set("a", a.Functions())
		_ = vm.Set("b", b.Functions())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, r, `globalThis.first = a.setInterval(() => {}, 60000); a.setTimeout(() => {}, 60000); b.setTimeout(() => {}, 60000)`)
	for _, fn := range []string{"setTimeout", "setInterval", "setImmediate"} {
		err := r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
			_, err := vm.RunString(`a.` + fn + `(() => {}, 1)`)
			return Err(err)
		})
		var je *JSError
		if !errors.As(err, &je) || je.Name != "RangeError" || !errors.Is(err, js.ErrTooManyTimers) ||
			je.Message != fn+": 2 timers pending in this module (Options.MaxTimers)" {
			t.Errorf("a's third timer by %s: %v", fn, err)
		}
	}
	run(t, r, `a.clearInterval(first); a.setTimeout(() => {}, 60000)`)
	err = r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		_, err := vm.RunString(`throw new RangeError('setTimeout: 2 timers pending in this module (Options.MaxTimers)')`)
		return Err(err)
	})
	if errors.Is(err, js.ErrTooManyTimers) || !strings.Contains(err.Error(), "RangeError") {
		t.Errorf("a RangeError thrown by JavaScript: %v", err)
	}
}

// Stopping an owner, clearing and Close race with a scheduler that runs
// callbacks (for the race detector).
func TestTimersRaceWithStopAndClose(t *testing.T) {
	r := New(Options{Logger: discard()})
	var wg sync.WaitGroup
	for i := range 4 {
		ts := r.NewTimers("m")
		_ = r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
			_ = vm.Set("m", ts.Functions())
			_, err := vm.RunString(`for (let i = 0; i < 200; i++) { m.setInterval(() => {}, 1); m.setTimeout(() => {}, i % 7) }`)
			return err
		})
		wg.Go(func() {
			time.Sleep(time.Duration(i*5) * time.Millisecond)
			ts.Stop()
		})
	}
	wg.Wait()
	run(t, r, `for (let i = 0; i < 200; i++) setInterval(() => {}, 1)`)
	time.Sleep(10 * time.Millisecond)
	if err := r.Close(context.Background(), time.Second, nil); err != nil {
		t.Fatal(err)
	}
	if n := queued(r); n != 0 {
		t.Errorf("%d timers queued after Close", n)
	}
}

// BenchmarkManyIntervals reports what n intervals of 1 ms cost a realm:
// the heap each pending one holds, its callback included, and how long one
// round of them takes, which is how often each really runs (the figures
// behind DefaultMaxTimers).
func BenchmarkManyIntervals(b *testing.B) {
	for _, n := range []int{5000, DefaultMaxTimers} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := New(Options{Logger: discard()})
			defer func() { _ = r.Close(context.Background(), 0, nil) }()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ticks := func() int64 {
				var n int64
				_ = r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
					n = vm.Get("ticks").ToInteger()
					return nil
				})
				return n
			}
			_ = r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
				_, err := vm.RunString(fmt.Sprintf(`globalThis.ticks = 0; for (let i = 0; i < %d; i++) setInterval(() => ticks++, 1)`, n))
				return err
			})
			runtime.GC()
			runtime.ReadMemStats(&after)
			time.Sleep(50 * time.Millisecond)
			start, t0 := time.Now(), ticks()
			for b.Loop() {
				time.Sleep(10 * time.Millisecond)
			}
			rate := float64(ticks()-t0) / time.Since(start).Seconds()
			b.ReportMetric(float64(n)/rate*1000, "ms/round")
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/timer")
		})
	}
}
