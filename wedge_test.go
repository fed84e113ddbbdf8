package hotmod_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// goja clears an interrupt once the interrupted code has unwound to an
// empty stack, so a second callable run in the same hold of the realm used
// to run with no bound at all. Each test here runs several callables in one
// hold, every one of them endless.

func TestTwoLoopingDisposersAreEachBounded(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/w.js": `export const v = () => 1
import.meta.hot.dispose(() => { while (true) {} })
import.meta.hot.dispose(() => { while (true) {} })`,
		"/m/other.js": "export const hi = () => 'hi'",
	}, short)
	w := e.create("w", "/m/w.js")
	other := e.create("other", "/m/other.js")
	e.write("/m/w.js", "export const v = () => 2")
	within(t, 3*time.Second, "a reload past two endless dispose callbacks", func() {
		_ = e.rt.ReloadModule(context.Background(), "w")
	})
	if got := e.call(w, "v"); got != int64(2) {
		t.Errorf("w after its endless disposers: v() = %v, want the good version's 2", got)
	}
	if got := e.call(other, "hi"); got != "hi" {
		t.Errorf("another module: %v", got)
	}
	within(t, 3*time.Second, "Close after endless disposers", func() {
		if err := e.rt.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

func TestLoopingDisposerOfAVersionThatLoopsIsBounded(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/w.js":     "export const v = () => 1",
		"/m/other.js": "export const hi = () => 'hi'",
	}, short)
	w := e.create("w", "/m/w.js")
	other := e.create("other", "/m/other.js")
	e.write("/m/w.js", `export const v = () => 2
import.meta.hot.dispose(() => { while (true) {} })
let n = 0; while (true) { n++ }`)
	var err error
	within(t, 3*time.Second, "a reload to a looping version with a looping disposer", func() {
		err = e.rt.ReloadModule(context.Background(), "w")
	})
	var te *hotmod.TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("reload = %v, want a TimeoutError", err)
	}
	if pos, ok := hotmod.PositionOf(err); !ok || pos.File != "/m/w.js" || pos.Line != 3 {
		t.Errorf("position of the runaway: %+v (%v)", pos, err)
	}
	if got := e.call(w, "v"); got != int64(1) {
		t.Errorf("w keeps serving version 1: v() = %v", got)
	}
	if got := e.call(other, "hi"); got != "hi" {
		t.Errorf("another module: %v", got)
	}
}

func TestLoopingListenersAndPrunersAreEachBounded(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/w.js": `export const v = () => 1
import.meta.hot.on('hotmod:beforeUpdate', () => { while (true) {} })
import.meta.hot.on('hotmod:beforeUpdate', () => { while (true) {} })
import.meta.hot.prune(() => { while (true) {} })
import.meta.hot.prune(() => { while (true) {} })
import.meta.hot.dispose(() => { while (true) {} })`,
		"/m/other.js": "export const hi = () => 'hi'",
	}, short)
	e.create("w", "/m/w.js")
	other := e.create("other", "/m/other.js")
	e.write("/m/w.js", "export const v = () => 2")
	within(t, 5*time.Second, "a reload past endless listeners", func() {
		_ = e.rt.ReloadModule(context.Background(), "w")
	})
	within(t, 5*time.Second, "removing a module with endless pruners", func() {
		_ = e.rt.RemoveModule(context.Background(), "w")
	})
	if got := e.call(other, "hi"); got != "hi" {
		t.Errorf("another module: %v", got)
	}
}
