package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dop251/goja"
)

// bounded fails the test if fn has not returned after d.
func bounded(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
	}
}

func loops(t *testing.T, vm *goja.Runtime, n int) []goja.Callable {
	t.Helper()
	var fns []goja.Callable
	for range n {
		v, err := vm.RunString("(function () { while (true) {} })")
		if err != nil {
			t.Fatal(err)
		}
		fn, _ := goja.AssertFunction(v)
		fns = append(fns, fn)
	}
	return fns
}

// goja forgets an interrupt once the interrupted callable has unwound, so
// the watchdog must stop a second callable of the same phase by itself.
func TestSecondCallableOfAStoppedPhaseIsStopped(t *testing.T) {
	r := realm(t)
	var errs []error
	bounded(t, 3*time.Second, "two endless callables in one run", func() {
		_ = r.Run(context.Background(), 100*time.Millisecond, func(vm *goja.Runtime) error {
			for _, fn := range loops(t, vm, 2) {
				_, err := fn(goja.Undefined())
				errs = append(errs, err)
			}
			return nil
		})
	})
	for i, err := range errs {
		var ie *goja.InterruptedError
		if !errors.As(err, &ie) {
			t.Errorf("callable %d: %v, want interrupted", i, err)
		}
	}
}

// Rebudget begins a phase with a budget of its own, even after the phase
// before it was stopped.
func TestRebudgetGivesEachPhaseItsOwnBound(t *testing.T) {
	r := realm(t)
	bounded(t, 3*time.Second, "three phases", func() {
		_ = r.Run(context.Background(), 100*time.Millisecond, func(vm *goja.Runtime) error {
			for i, fn := range loops(t, vm, 3) {
				r.Rebudget(100 * time.Millisecond)
				if r.PhaseStopped() {
					t.Errorf("phase %d starts stopped", i)
				}
				start := time.Now()
				if _, err := fn(goja.Undefined()); err == nil {
					t.Errorf("phase %d: an endless callable returned", i)
				}
				if d := time.Since(start); d < 100*time.Millisecond {
					t.Errorf("phase %d stopped after %v, before its budget", i, d)
				}
				if !r.PhaseStopped() {
					t.Errorf("phase %d not marked stopped", i)
				}
			}
			// JavaScript that does not loop runs normally in a fresh phase.
			r.Rebudget(100 * time.Millisecond)
			v, err := vm.RunString("1 + 1")
			if err != nil || v.ToInteger() != 2 {
				t.Errorf("after the stops: %v, %v", v, err)
			}
			return nil
		})
	})
}

// A context that ends stops the run for good: a new phase does not undo it.
func TestCancelledRunStaysStoppedAcrossPhases(t *testing.T) {
	r := realm(t)
	ctx, cancel := context.WithCancel(context.Background())
	bounded(t, 3*time.Second, "a cancelled run", func() {
		_ = r.Run(ctx, time.Hour, func(vm *goja.Runtime) error {
			fns := loops(t, vm, 2)
			time.AfterFunc(50*time.Millisecond, cancel)
			if _, err := fns[0](goja.Undefined()); err == nil {
				t.Error("first callable returned")
			}
			r.Rebudget(time.Hour)
			if _, err := fns[1](goja.Undefined()); err == nil {
				t.Error("second callable returned")
			}
			return nil
		})
	})
}

// Close stops a holder whatever its phases did before.
func TestCloseStopsAHolderWhosePhaseWasStopped(t *testing.T) {
	r := New(Options{})
	started := make(chan struct{})
	go func() {
		_ = r.Run(context.Background(), 50*time.Millisecond, func(vm *goja.Runtime) error {
			fns := loops(t, vm, 3)
			_, _ = fns[0](goja.Undefined())
			r.Rebudget(time.Hour)
			close(started)
			_, _ = fns[1](goja.Undefined())
			r.Rebudget(time.Hour)
			_, _ = fns[2](goja.Undefined())
			return nil
		})
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the first endless callable was not stopped at its 50ms limit")
	}
	time.Sleep(20 * time.Millisecond) // let the second callable start: Close must stop a running one
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := r.Close(ctx, 0, nil); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// Nested work has a budget of its own, and the time it takes does not
// count against the work it is nested in.
func TestNestedPhaseHasItsOwnBudget(t *testing.T) {
	r := realm(t)
	bounded(t, 5*time.Second, "nested phases", func() {
		err := r.Run(context.Background(), 300*time.Millisecond, func(vm *goja.Runtime) error {
			busy, err := vm.RunString("(function (ms) { const end = Date.now() + ms; while (Date.now() < end) {} })")
			if err != nil {
				return err
			}
			fn, _ := goja.AssertFunction(busy)
			// Three nested pieces of 200 ms each: 600 ms in all, twice
			// the outer budget, none past its own.
			for range 3 {
				resume := r.Nest(300 * time.Millisecond)
				_, err := fn(goja.Undefined(), vm.ToValue(200))
				resume()
				if err != nil {
					return err
				}
			}
			// The outer phase still has its own 300 ms.
			_, err = fn(goja.Undefined(), vm.ToValue(100))
			return err
		})
		if err != nil {
			t.Errorf("nested work within its own budgets was stopped: %v", err)
		}
	})
	// A nested endless loop is stopped at its own budget.
	bounded(t, 5*time.Second, "an endless nested phase", func() {
		start := time.Now()
		err := r.Run(context.Background(), time.Hour, func(vm *goja.Runtime) error {
			resume := r.Nest(100 * time.Millisecond)
			defer resume()
			_, err := vm.RunString("while (true) {}")
			return err
		})
		var te *TimeoutError
		if !errors.As(err, &te) || te.Limit != 100*time.Millisecond {
			t.Errorf("an endless nested phase: %v after %v", err, time.Since(start))
		}
	})
}
