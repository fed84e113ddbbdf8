package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

// Each test here reproduces a way a module, a call or an edit could once
// wedge the Runtime, and proves it is bounded now.

// within runs fn and fails the test if it has not returned after d: the
// watchdog of every test here that could block.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
	}
}

func short(o *hotmod.Options) {
	o.LoadTimeout = 200 * time.Millisecond
	o.CallTimeout = 200 * time.Millisecond
}

func TestEndlessTopLevelFailsAtLoadTimeoutAndLoadsWhenFixed(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/spin.js": "while (true) {}",
		"/m/ok.js":   "export const ok = () => 'ok'",
	}, short, autoReload)
	events := e.events()
	ok := e.create("ok", "/m/ok.js")
	var err error
	within(t, 5*time.Second, "CreateModule of an endless top level", func() {
		_, err = e.rt.CreateModule(context.Background(), "spin", "/m/spin.js")
	})
	var te *hotmod.TimeoutError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) || te.Limit != 200*time.Millisecond {
		t.Fatalf("CreateModule = %v, want a TimeoutError of the 200ms LoadTimeout", err)
	}
	if pos, ok := hotmod.PositionOf(err); !ok || pos.File != "/m/spin.js" || pos.Line != 1 {
		t.Errorf("the runaway's position: %+v %v", pos, ok)
	}
	if got := e.call(ok, "ok"); got != "ok" {
		t.Errorf("another module after the runaway: %v", got)
	}
	m, err := e.rt.Module("spin")
	if err != nil || m.State() != hotmod.StateFailed {
		t.Fatalf("Module(spin) = %v, %v; want it listed as failed", m, err)
	}
	if _, err := m.Call(e.ctx, "x"); !errors.Is(err, hotmod.ErrNotLoaded) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("call of a failed module = %v, want ErrNotLoaded carrying the load error", err)
	}
	var listed bool
	for _, ms := range e.rt.Stats().Modules {
		if ms.ID == "spin" {
			listed = ms.State == hotmod.StateFailed && strings.Contains(ms.LastError, "200ms")
		}
	}
	if !listed {
		t.Errorf("Stats does not list spin as failed with its error: %+v", e.rt.Stats().Modules)
	}
	e.write("/m/spin.js", "export const x = () => 'fixed'")
	waitFor(t, events, typ(hotmod.EventCreated, "spin"))
	if got := e.call(m, "x"); got != "fixed" || m.State() != hotmod.StateServing {
		t.Errorf("after the fix: %v, state %s", got, m.State())
	}
}

func TestCallWithoutDeadlineStopsAtCallTimeout(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": "export function spin() { for (;;) {} }\nexport const one = () => 1"}, short)
	m := e.create("a", "/m/a.js")
	var err error
	within(t, 5*time.Second, "an endless call under a Background context", func() {
		_, err = m.Call(context.Background(), "spin")
	})
	var te *hotmod.TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || te.Limit != 200*time.Millisecond || !strings.Contains(err.Error(), "/m/a.js:1") {
		t.Fatalf("Call = %v, want a TimeoutError at /m/a.js:1 of the 200ms CallTimeout", err)
	}
	if got := e.call(m, "one"); got != int64(1) {
		t.Errorf("the realm after the runaway: %v", got)
	}
	// The wait for a promise is bounded too.
	e.write("/m/a.js", "export const never = () => new Promise(() => {})")
	e.reload("a")
	within(t, 5*time.Second, "a call awaiting a promise that never settles", func() {
		_, err = m.Call(context.Background(), "never")
	})
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("awaiting forever = %v, want a TimeoutError", err)
	}
}

func TestCloseEndsRunningAndWaitingCalls(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": `
export function spin() { for (;;) {} }
export const never = () => new Promise(() => {})
export const soon = () => new Promise(r => setTimeout(r, 60000))
export const one = () => 1
`}, func(o *hotmod.Options) { o.CallTimeout = -1 })
	m := e.create("a", "/m/a.js")
	errs := make(chan error, 3)
	for _, fn := range []string{"never", "soon"} {
		go func() { _, err := m.Call(context.Background(), fn); errs <- err }()
	}
	// soon waits on its promise once its timer is pending; never has then
	// run too, or runs before spin (the realm is taken in order of arrival).
	eventually(t, "soon to wait on its timer", func() bool { return m.Stats().PendingTimers == 1 })
	e.call(m, "one")
	go func() { _, err := m.Call(context.Background(), "spin"); errs <- err }()
	time.Sleep(50 * time.Millisecond) // let spin take the realm; Close must work either way
	within(t, 5*time.Second, "Close with an endless call and two waiting calls", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		if err := e.rt.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	for range 3 {
		select {
		case err := <-errs:
			if !errors.Is(err, hotmod.ErrClosed) {
				t.Errorf("a call in flight at Close ended with %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a call in flight at Close never returned")
		}
	}
	if _, err := m.Call(context.Background(), "never"); !errors.Is(err, hotmod.ErrClosed) {
		t.Errorf("a call after Close: %v", err)
	}
}

func TestLoopingReloadHoldsTheRealmOnlyForLoadTimeout(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/a.js":     "export const v = () => 1",
		"/m/other.js": "export const hi = () => 'hi'",
	}, short)
	a := e.create("a", "/m/a.js")
	other := e.create("other", "/m/other.js")
	e.write("/m/a.js", "while (true) {}\nexport const v = () => 2")
	var err error
	within(t, 5*time.Second, "a reload to an endless version", func() {
		err = e.rt.ReloadModule(context.Background(), "a")
	})
	var re *hotmod.ReloadError
	if !errors.As(err, &re) || re.Step != "evaluate" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("reload = %v, want an evaluate failure at LoadTimeout", err)
	}
	if got := e.call(a, "v"); got != int64(1) || a.Version() != 1 {
		t.Errorf("the kept version: v() = %v, version %d", got, a.Version())
	}
	if got := e.call(other, "hi"); got != "hi" {
		t.Errorf("another module: %v", got)
	}
	// Endless accept hooks and dispose callbacks are bounded as well.
	e.write("/m/a.js", "export const v = () => 3\nexport function __acceptHotReload() { for (;;) {} }")
	if err := e.rt.ReloadModule(context.Background(), "a"); !errors.As(err, &re) || re.Step != "accept" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("endless accept hook: %v", err)
	}
	e.write("/m/a.js", "export const v = () => 4\nexport function __acceptHotReload() { return new Promise(() => {}) }")
	if err := e.rt.ReloadModule(context.Background(), "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("an accept hook that never settles: %v", err)
	}
	e.write("/m/a.js", "export const v = () => 5\nimport.meta.hot.dispose(() => { for (;;) {} })")
	e.reload("a")
	e.write("/m/a.js", "export const v = () => 6")
	within(t, 5*time.Second, "a reload past an endless dispose callback", func() { e.reload("a") })
	if got := e.call(a, "v"); got != int64(6) {
		t.Errorf("after an endless dispose callback: v() = %v", got)
	}
	if !strings.Contains(e.logs.String(), "hot.dispose callback failed") {
		t.Error("the endless dispose callback was not reported")
	}
}

// Runaway code that re-enters JavaScript from native functions: the stop
// still comes within the bound, and the realm serves right after.
func TestRunawayReentryStopsNearItsDeadline(t *testing.T) {
	cases := map[string]string{
		"recursive getter":  "const o = { get x() { try { return this.x } catch (e) { return this.x } } }; o.x",
		"sort comparator":   "function f() { [3, 1, 2].sort((a, b) => { try { f() } catch (e) { f() } return a - b }) } f()",
		"JSON replacer":     "function g() { return JSON.stringify({ a: 1 }, (k, v) => { try { g() } catch (e) { g() } return v }) } g()",
		"Array.from mapper": "function h() { return Array.from({ length: 2 }, () => { try { h() } catch (e) { h() } }) } h()",
		"promise job":       "Promise.resolve().then(() => { for (;;) {} })",
		// Stopped at the deepest the stack allows: the slowest unwinding.
		"deep sort, then spin":   "function f(n) { if (n > 320) for (;;) {} ; [2, 1].sort(() => f(n + 1)) } f(0)",
		"deep getter, then spin": "const o = { n: 0, get x() { if (++this.n > 480) for (;;) {} ; return this.x } }; o.x",
		"catch and carry on":     "for (;;) { try { for (;;) {} } catch (e) {} }",
		"finally carries on":     "for (;;) { try { for (;;) {} } finally { for (;;) {} } }",
		"toString conversion":    "const o = { toString() { return String(o) } }; for (;;) { try { String(o) } catch (e) {} }",
	}
	files := map[string]string{"/m/ok.js": "export const ok = () => 'ok'"}
	for name, body := range cases {
		files["/m/"+strings.ReplaceAll(name, " ", "-")+".js"] = "export function run() { " + body + " }"
	}
	const deadline = 300 * time.Millisecond
	// Two ways to a deadline: the caller's context (its AfterFunc
	// interrupts), and CallTimeout (the realm's sampling watchdog).
	for _, viaContext := range []bool{true, false} {
		e := newEnv(t, files, func(o *hotmod.Options) {
			o.CallTimeout = deadline
			if viaContext {
				o.CallTimeout = -1
			}
		})
		ok := e.create("ok", "/m/ok.js")
		var worst time.Duration
		for name := range cases {
			m := e.create(name, "/m/"+strings.ReplaceAll(name, " ", "-")+".js")
			ctx, cancel := context.Background(), func() {}
			if viaContext {
				ctx, cancel = context.WithTimeout(ctx, deadline)
			}
			start := time.Now()
			var err error
			within(t, 10*time.Second, name, func() { _, err = m.Call(ctx, "run") })
			over := time.Since(start) - deadline
			cancel()
			worst = max(worst, over)
			t.Logf("context %-5v %-22s stopped %v past its deadline: %v", viaContext, name, over.Round(time.Millisecond), err)
			if err == nil {
				t.Errorf("%s: no error", name)
			}
			// Generous for a race-detector build on a machine shared with
			// other test runs (once 1.6 s there, for a promise job, when
			// both cores were busy elsewhere); it still fails the runaways
			// of before, which ran for seconds to minutes. The figures
			// logged above (and RATIONALE.md) are the real measurement.
			if over > 2500*time.Millisecond {
				t.Errorf("%s: stopped %v past its deadline", name, over)
			}
			if got := e.call(ok, "ok"); got != "ok" {
				t.Errorf("after %s the realm answers %v", name, got)
			}
		}
		t.Logf("context %v: worst %v past the deadline", viaContext, worst)
	}
}

func TestMaxCallStackSizeAboveTheBoundIsRefused(t *testing.T) {
	_, err := hotmod.New(context.Background(), hotmod.Options{Store: newEnv(t, nil).store, MaxCallStackSize: 100000})
	if err == nil || !strings.Contains(err.Error(), "MaxCallStackSize") {
		t.Errorf("New with MaxCallStackSize 100000: %v", err)
	}
}

func TestUpdateCallbackMayRollBack(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": "export const v = () => 1"})
	m := e.create("a", "/m/a.js")
	rolled := make(chan error, 1)
	stop := e.rt.OnModuleUpdate("a", func(u hotmod.Update) {
		if !u.Rollback && u.New == 2 {
			rolled <- e.rt.RollbackModule(context.Background(), "a", 1) // a health check that fails
		}
	})
	defer stop()
	e.write("/m/a.js", "export const v = () => 2")
	within(t, 5*time.Second, "a reload whose callback rolls back", func() { e.reload("a") })
	select {
	case err := <-rolled:
		if err != nil {
			t.Fatalf("rollback from the callback: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("the callback never ran")
	}
	if got := e.call(m, "v"); got != int64(1) {
		t.Errorf("after the callback's rollback v() = %v", got)
	}
}

func TestImporterNeverSeesAHalfMadeModule(t *testing.T) {
	bs := &gateStore{Store: vfs.NewMem(), path: "/m/dep.js", reading: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, map[string]string{
		"/m/dep.js":      "export const answer = () => 42",
		"/m/importer.js": "import { answer } from './dep.js'\nexport const ask = () => answer()",
	}, func(o *hotmod.Options) { o.Store = bs })
	created := make(chan *hotmod.Module, 1)
	go func() {
		m, err := e.rt.CreateModule(context.Background(), "dep", "/m/dep.js")
		if err != nil {
			t.Errorf("CreateModule(dep): %v", err)
		}
		created <- m
	}()
	select {
	case <-bs.reading:
	case <-time.After(wait):
		t.Fatal("CreateModule never read its source")
	}
	// dep is registered but has no version: the importer loads it itself.
	imp := e.create("importer", "/m/importer.js")
	if got := e.call(imp, "ask"); got != int64(42) {
		t.Errorf("the importer got %v", got)
	}
	close(bs.release)
	var dep *hotmod.Module
	select {
	case dep = <-created:
	case <-time.After(wait):
		t.Fatal("CreateModule never returned")
	}
	if dep == nil || dep.Version() != 1 || e.call(dep, "answer") != int64(42) {
		t.Fatalf("dep after both loads: %v", dep)
	}
	if n := len(e.rt.Modules()); n != 2 {
		t.Errorf("%d modules, want 2 (one copy of dep)", n)
	}
}

func TestMergedReloadGivesEachCallerItsOwnOutcome(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/ctl.js": "export const held = () => typeof globalThis.release === 'function'\nexport function release() { globalThis.hold = false; globalThis.release() }\nexport function hold() { globalThis.hold = true }",
		"/m/a.js":   "export const v = 1",
	})
	ctl := e.create("ctl", "/m/ctl.js")
	a := e.create("a", "/m/a.js")
	e.call(ctl, "hold")
	e.write("/m/a.js", `
const t = Date.now(); while (Date.now() - t < 400) {}
export const v = 2
export function __acceptHotReload() {
	if (!globalThis.hold) return
	return new Promise(r => { globalThis.release = r })
}`)
	first := make(chan error, 1)
	go func() { first <- e.rt.ReloadModule(context.Background(), "a") }()
	eventually(t, "the first reload waits in its accept hook", func() bool { return e.call(ctl, "held") == true })
	short := make(chan error, 1)
	long := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		short <- e.rt.ReloadModule(ctx, "a")
	}()
	time.Sleep(20 * time.Millisecond) // queue the short one first: it then runs the merged reload
	go func() { long <- e.rt.ReloadModule(context.Background(), "a") }()
	time.Sleep(20 * time.Millisecond)
	e.call(ctl, "release")
	for name, ch := range map[string]chan error{"first": first, "short": short, "long": long} {
		select {
		case err := <-ch:
			switch {
			case name == "short" && err != nil && !errors.Is(err, context.DeadlineExceeded):
				t.Errorf("the short-deadline reload: %v", err)
			case name != "short" && err != nil:
				t.Errorf("the %s reload (Background context) failed: %v", name, err)
			}
		case <-time.After(wait):
			t.Fatalf("the %s reload never returned", name)
		}
	}
	if got, _ := a.Get(e.ctx, "v"); got != int64(2) {
		t.Errorf("v = %v", got)
	}
}

func TestIntervalThatWaitedPastTimerTimeoutFiresAgain(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": `
export let ticks = 0
setInterval(() => { ticks++ }, 5)
export function busy(ms) { const t = Date.now(); while (Date.now() - t < ms) {} }
`}, func(o *hotmod.Options) { o.TimerTimeout = 50 * time.Millisecond })
	m := e.create("a", "/m/a.js")
	eventually(t, "the interval ticks", func() bool { v, _ := m.Get(e.ctx, "ticks"); return v.(int64) > 0 })
	e.call(m, "busy", 300) // the interval waits for the realm 6 times its TimerTimeout
	v, _ := m.Get(e.ctx, "ticks")
	before := v.(int64)
	eventually(t, "the interval ticks again after waiting", func() bool { v, _ := m.Get(e.ctx, "ticks"); return v.(int64) > before+2 })
	if st := m.Stats(); st.PendingTimers != 1 {
		t.Errorf("PendingTimers = %d, want the one interval", st.PendingTimers)
	}
}

func TestGlobalTimersOfAFailedVersionStop(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/a.js":   "export const v = 1",
		"/m/ctl.js": "export const ticks = () => globalThis.ticks || 0",
	})
	m := e.create("a", "/m/a.js")
	ctl := e.create("ctl", "/m/ctl.js")
	e.write("/m/a.js", "globalThis.ticks = 0\nglobalThis.setInterval(() => { globalThis.ticks++ }, 1)\nthrow new Error('broken')")
	if err := e.rt.ReloadModule(e.ctx, "a"); err == nil {
		t.Fatal("the broken version loaded")
	}
	a := e.call(ctl, "ticks")
	time.Sleep(30 * time.Millisecond) // an interval of 1 ms would tick about 30 times here
	if b := e.call(ctl, "ticks"); a != b {
		t.Errorf("the failed version's global interval still runs: ticks %v then %v", a, b)
	}
	// A served version's global timers stop when it is replaced, and a
	// timer started by a call belongs to the version that was called.
	e.write("/m/a.js", "export function start() { setTimeout(() => {}, 60000); globalThis.setInterval(() => {}, 60000) }")
	e.reload("a")
	e.call(m, "start")
	if n := m.Stats().PendingTimers; n != 2 {
		t.Errorf("PendingTimers = %d after start(), want 2", n)
	}
	e.write("/m/a.js", "export const v = 3")
	e.reload("a")
	if n := m.Stats().PendingTimers; n != 0 {
		t.Errorf("PendingTimers = %d after the reload, want 0", n)
	}
}

func TestStatsWhilePatchingHasNoRace(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": "export function f(n) { return n }"})
	m := e.create("a", "/m/a.js")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				p, err := e.rt.PatchFunction(ctx, "a", "f", "(o) => (n) => o(n) + 1")
				if err != nil {
					continue
				}
				if err := p.RollbackContext(context.Background()); err != nil {
					t.Errorf("rollback: %v", err)
				}
			}
		})
	}
	wg.Go(func() {
		for ctx.Err() == nil {
			for _, ms := range e.rt.Stats().Modules {
				for _, p := range ms.Patches {
					if p.Function != "f" {
						t.Errorf("a patch of %q", p.Function)
					}
				}
			}
			_, _ = m.Call(ctx, "f", 1)
		}
	})
	wg.Wait()
	if got := e.call(m, "f", 1); got != int64(1) {
		t.Errorf("after every patch was rolled back f(1) = %v", got)
	}
}

func TestOnlyTheModulesOwnExportsAreCallable(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/a.js": "export const f = () => 1",
		"/m/b.js": "class Svc { hello() { return 'hi' } toString() { return 'svc' } }\nmodule.exports = new Svc()",
	})
	a := e.create("a", "/m/a.js")
	for _, name := range []string{"constructor", "hasOwnProperty", "toString", "valueOf", "__defineGetter__", "isPrototypeOf"} {
		if _, err := a.Call(e.ctx, name); !errors.Is(err, hotmod.ErrNotFunction) {
			t.Errorf("Call(%q) = %v, want ErrNotFunction", name, err)
		}
	}
	b := e.create("b", "/m/b.js")
	if got := e.call(b, "hello"); got != "hi" {
		t.Errorf("a method of the exported instance: %v", got)
	}
	if got := e.call(b, "toString"); got != "svc" {
		t.Errorf("a method the module defines over Object's: %v", got)
	}
}

func TestReloadAfterCloseFailsFast(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": "export const v = 1"})
	e.create("a", "/m/a.js")
	if err := e.rt.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, "calls after Close", func() {
		for _, err := range []error{
			e.rt.ReloadModule(context.Background(), "a"),
			func() error { _, err := e.rt.CreateModule(context.Background(), "b", "/m/a.js"); return err }(),
		} {
			if !errors.Is(err, hotmod.ErrClosed) {
				t.Errorf("after Close: %v, want ErrClosed", err)
			}
		}
	})
	if err := e.rt.Close(context.Background()); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

func ExampleRuntime_Close() {
	ctx := context.Background()
	store := vfs.NewMem()
	if err := store.Write(ctx, "/m/spin.js", []byte("export function spin() { for (;;) {} }")); err != nil {
		panic(err)
	}
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, CallTimeout: -1})
	if err != nil {
		panic(err)
	}
	m, err := rt.CreateModule(ctx, "spin", "/m/spin.js")
	if err != nil {
		panic(err)
	}
	done := make(chan error)
	go func() { _, err := m.Call(ctx, "spin"); done <- err }()
	time.Sleep(10 * time.Millisecond)
	closeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rt.Close(closeCtx); err != nil {
		panic(err)
	}
	fmt.Println(errors.Is(<-done, hotmod.ErrClosed))
	// Output: true
}

// readCounter counts store reads by path.
type readCounter struct {
	vfs.Store
	mu sync.Mutex
	n  map[string]int
}

func (c *readCounter) Read(ctx context.Context, p string) ([]byte, error) {
	c.mu.Lock()
	c.n[p]++
	c.mu.Unlock()
	return c.Store.Read(ctx, p)
}

// A store may be a network hop away: a load reads its imports before it
// takes the realm, and require uses those reads instead of the store.
func TestImportsAreReadOnceBeforeTheRealmIsTaken(t *testing.T) {
	rc := &readCounter{Store: vfs.NewMem(), n: map[string]int{}}
	e := newEnv(t, map[string]string{
		"/m/app.js":     "import { b } from './lib/b'\nexport const v = () => b",
		"/m/lib/b.ts":   "import { c } from './c.js'\nexport const b: number = c + 1",
		"/m/lib/c.js":   "export const c = 41",
		"/m/lib/unused": "not read",
	}, func(o *hotmod.Options) { o.Store = rc })
	app := e.create("app", "/m/app.js")
	if got := e.call(app, "v"); got != int64(42) {
		t.Fatalf("v() = %v", got)
	}
	for _, p := range []string{"/m/app.js", "/m/lib/b.ts", "/m/lib/c.js"} {
		if n := rc.n[p]; n != 1 {
			t.Errorf("%s read %d times, want once", p, n)
		}
	}
}

// A change that arrives while a module's first load spins is seen once the
// load fails; when the source is the same one, it is not evaluated again
// (each attempt would hold the realm for all of LoadTimeout).
func TestFailedSourceIsNotEvaluatedAgainForTheSameContent(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/spin.js": "while (true) {}"}, short, autoReload)
	events := e.events()
	go func() {
		time.Sleep(50 * time.Millisecond) // during the load's 200 ms
		e.write("/m/spin.js", "while (true) {}")
	}()
	if _, err := e.rt.CreateModule(e.ctx, "spin", "/m/spin.js"); err == nil {
		t.Fatal("the endless module loaded")
	}
	failures := 0
	quiet := time.After(800 * time.Millisecond) // four LoadTimeouts: room for a second attempt
	for done := false; !done; {
		select {
		case ev := <-events:
			if ev.Type == hotmod.EventReloadFailed && ev.Module == "spin" {
				failures++
			}
		case <-quiet:
			done = true
		}
	}
	if failures != 1 {
		t.Errorf("%d failed loads of one endless source, want 1", failures)
	}
}

// LoadTimeout bounds each module's own evaluation, not its whole import
// graph: a graph of modules that each take a while loads though their sum
// is past LoadTimeout, and an endless module deep in it is stopped at its
// own bound with its own position.
func TestLoadTimeoutBoundsEachModuleNotItsGraph(t *testing.T) {
	files := map[string]string{"/m/app.js": "import './d0.js'\nimport './d1.js'\nimport './d2.js'\nimport './d3.js'\nexport const ok = () => 'ok'"}
	for i := range 4 {
		files[fmt.Sprintf("/m/d%d.js", i)] = "const end = Date.now() + 120; while (Date.now() < end) {}\nexport const x = 1"
	}
	files["/m/bad.js"] = "import './d0.js'\nimport './deep.js'\nexport const ok = () => 'ok'"
	files["/m/deep.js"] = "export const y = 1\nlet n = 0\nwhile (true) { n++ }"
	e := newEnv(t, files, func(o *hotmod.Options) { o.LoadTimeout = 300 * time.Millisecond })
	app := e.create("app", "/m/app.js")
	if got := e.call(app, "ok"); got != "ok" {
		t.Errorf("app: %v", got)
	}
	var err error
	within(t, 5*time.Second, "a graph with an endless module", func() {
		_, err = e.rt.CreateModule(e.ctx, "bad", "/m/bad.js")
	})
	var te *hotmod.TimeoutError
	if !errors.As(err, &te) || te.Limit != 300*time.Millisecond {
		t.Fatalf("bad: %v, want the endless dependency's timeout", err)
	}
	if pos, ok := hotmod.PositionOf(err); !ok || pos.File != "/m/deep.js" || pos.Line != 3 {
		t.Errorf("the position is not the endless dependency's: %+v (%v)", pos, err)
	}
}
