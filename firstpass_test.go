package hotmod_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// LoadAll's two passes: good modules serve before an endless one has used
// its LoadTimeout; the endless one ends failed with its position, having
// held the serving realm only for the first pass's budget.
func TestLoadAllServesGoodModulesBeforeAnEndlessOne(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/a-loop.js": "export const a = 1\nlet n = 0\nwhile (true) { n++ }",
		"/b-good.js": "export const ping = () => 'pong'",
	}, func(o *hotmod.Options) { o.LoadTimeout = 2 * time.Second })
	bound, callBound := time.Second, 500*time.Millisecond
	if raceEnabled {
		bound, callBound = 5*time.Second, 2*time.Second // goja runs 5-10 times slower
	}
	done := loadAllUntilGoodServes(t, e, bound, "LoadTimeout 2s")
	// While the endless module's second pass runs, calls are not held up
	// by it: it runs in a private realm.
	m, _ := e.rt.Module("b-good")
	for range 20 {
		callStart := time.Now()
		if _, err := m.Call(context.Background(), "ping"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(callStart); d > callBound {
			t.Errorf("a call during the second pass took %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var rep hotmod.LoadReport
	within(t, 10*time.Second, "LoadAll", func() { rep = <-done })
	err := rep.Failed["a-loop"]
	var te *hotmod.TimeoutError
	if !errors.As(err, &te) || te.Limit != 2*time.Second {
		t.Fatalf("a-loop: %v, want a timeout at the 2s LoadTimeout", err)
	}
	if pos, ok := hotmod.PositionOf(err); !ok || pos.File != "/a-loop.js" || pos.Line != 3 {
		t.Errorf("a-loop's position: %+v", pos)
	}
	if len(rep.Loaded) != 1 || rep.Loaded[0] != "b-good" {
		t.Errorf("loaded: %v", rep.Loaded)
	}
	if m, err := e.rt.Module("a-loop"); err != nil || m.State() != hotmod.StateFailed {
		t.Errorf("a-loop is not listed failed: %v", err)
	}
}

// loadAllUntilGoodServes starts LoadAll of e's store and fails unless
// b-good answers its ping within bound of the start; LoadAll's report
// arrives on the channel it returns.
func loadAllUntilGoodServes(t *testing.T, e *env, bound time.Duration, why string) <-chan hotmod.LoadReport {
	t.Helper()
	done := make(chan hotmod.LoadReport, 1)
	start := time.Now()
	go func() {
		rep, err := e.rt.LoadAll(context.Background(), "/")
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	for {
		m, err := e.rt.Module("b-good")
		if err == nil {
			if v, err := m.Call(context.Background(), "ping"); err == nil && v == "pong" {
				return done
			}
		}
		if time.Since(start) > bound {
			t.Fatalf("b-good did not serve within %v of LoadAll (%s): %v", bound, why, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A LoadAll that meets a module whose second pass another call is running
// (the store watcher's, a rescan's) waits for that outcome after its own
// first pass, not before the next module's: it waited a whole probe.
func TestLoadAllDoesNotWaitForAnotherCallsSecondPass(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/a-loop.js": "import { tick } from 'host:counter'\ntick()\nwhile (true) {}\nexport const a = 1",
		"/b-good.js": "export const ping = () => 'pong'",
	}, func(o *hotmod.Options) { o.LoadTimeout = 2 * time.Second })
	var runs atomic.Int64
	if err := e.rt.NewHostModuleBuilder("counter").Func("tick", func() { runs.Add(1) }).Register(e.ctx); err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := e.rt.LoadPaths(context.Background(), "/a-loop.js")
		first <- err
	}()
	// Its second run is the probe of the second pass.
	within(t, 10*time.Second, "the probe of a-loop", func() {
		for runs.Load() < 2 {
			time.Sleep(time.Millisecond)
		}
	})
	bound := time.Second
	if raceEnabled {
		bound = 1900 * time.Millisecond // still less than the probe's 2s
	}
	done := loadAllUntilGoodServes(t, e, bound, "while another call probed a-loop")
	var rep hotmod.LoadReport
	within(t, 10*time.Second, "LoadAll", func() { rep = <-done })
	var te *hotmod.TimeoutError
	if !errors.As(rep.Failed["a-loop"], &te) || len(rep.Loaded) != 1 || rep.Loaded[0] != "b-good" {
		t.Errorf("LoadAll's report: %+v, want b-good loaded and a-loop timed out", rep)
	}
	within(t, 10*time.Second, "the first LoadPaths", func() {
		if err := <-first; err != nil {
			t.Error(err)
		}
	})
}

// A module whose honest top level takes longer than the first pass's
// budget still loads; its top level runs three times (the first pass, cut
// short; the probe; the load), and a second LoadAll of the same Runtime
// runs it only twice more (no first pass).
func TestSlowButHonestModuleLoadsAfterItsProbe(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/slow.js": "import { tick } from 'host:counter'\ntick()\nconst end = Date.now() + 300; while (Date.now() < end) {}\nexport const ok = () => 'ok'",
	}, func(o *hotmod.Options) { o.LoadTimeout = 3 * time.Second })
	var runs atomic.Int64
	if err := e.rt.NewHostModuleBuilder("counter").Func("tick", func() { runs.Add(1) }).Register(e.ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := e.rt.LoadAll(e.ctx, "/")
	if err != nil || len(rep.Loaded) != 1 {
		t.Fatalf("LoadAll: %+v, %v", rep, err)
	}
	m, _ := e.rt.Module("slow")
	if got := e.call(m, "ok"); got != "ok" {
		t.Errorf("ok() = %v", got)
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("its top level ran %d times, want 3 (first pass, probe, load)", n)
	}
	if err := e.rt.RemoveModule(e.ctx, "slow"); err != nil {
		t.Fatal(err)
	}
	runs.Store(0)
	if rep, err := e.rt.LoadAll(e.ctx, "/"); err != nil || len(rep.Loaded) != 1 {
		t.Fatalf("second LoadAll: %+v, %v", rep, err)
	}
	if n := runs.Load(); n != 2 {
		t.Errorf("in a second LoadAll its top level ran %d times, want 2 (probe, load)", n)
	}
}

// A module whose load failed on a bound is tried again (its source or an
// import changed) in a probe first: an edit that is still endless fails
// again without holding the serving realm for LoadTimeout.
func TestEndlessRetryRunsInAProbe(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/spin.js":  "let n = 0\nwhile (true) { n++ }",
		"/m/other.js": "export const hi = () => 'hi'",
	}, func(o *hotmod.Options) { o.LoadTimeout = 2 * time.Second }, autoReload)
	other := e.create("other", "/m/other.js")
	if _, err := e.rt.CreateModule(e.ctx, "spin", "/m/spin.js"); err == nil {
		t.Fatal("the endless module loaded")
	}
	events := e.events()
	e.write("/m/spin.js", "let m = 0\nwhile (true) { m++ }")
	callBound := 500 * time.Millisecond
	if raceEnabled {
		callBound = 1500 * time.Millisecond
	}
	var slowest time.Duration
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); {
		start := time.Now()
		if got := e.call(other, "hi"); got != "hi" {
			t.Fatalf("other: %v", got)
		}
		slowest = max(slowest, time.Since(start))
		time.Sleep(20 * time.Millisecond)
	}
	if slowest > callBound {
		t.Errorf("a call during the endless retry took %v: the retry held the serving realm", slowest)
	}
	ev := waitFor(t, events, typ(hotmod.EventReloadFailed, "spin"))
	if !strings.Contains(ev.Error, "/m/spin.js:2:") {
		t.Errorf("the retry's failure has no position: %s", ev.Error)
	}
}
