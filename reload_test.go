package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

func TestHandleAndImportersFollowReloads(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/dep.js":      "export function version() { return 0 }",
		"/m/importer.js": "import { version } from './dep.js'\nimport * as ns from './dep.js'\nexport function both() { return [version(), ns.version()] }",
	})
	dep := e.create("dep", "/m/dep.js")
	importer := e.create("importer", "/m/importer.js")
	for i := 1; i <= 100; i++ {
		e.write("/m/dep.js", fmt.Sprintf("export function version() { return %d }", i))
		e.reload("dep")
	}
	if got := e.call(dep, "version"); got != int64(100) {
		t.Errorf("a handle from before 100 reloads calls version %v", got)
	}
	if dep.Version() != 101 {
		t.Errorf("Version() = %d, want 101", dep.Version())
	}
	if got := e.call(importer, "both"); !reflect.DeepEqual(got, []any{int64(100), int64(100)}) {
		t.Errorf("importer sees %v, want the newest version", got)
	}
	if importer.Version() != 1 {
		t.Errorf("the importer was reloaded (version %d); it must not need to be", importer.Version())
	}
}

const counterV1 = `
export let count = 0
export const seen = new Map()
export function increment(who) { count++; seen.set(who, (seen.get(who) || 0) + 1); return count }
export function __acceptHotReload(old) { count = old.count; for (const [k, v] of old.seen) seen.set(k, v) }
`

func TestStateSurvivesReload(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/counter.js": counterV1})
	m := e.create("counter", "/m/counter.js")
	for range 41 {
		e.call(m, "increment", "go")
	}
	e.write("/m/counter.js", strings.Replace(counterV1, "count++", "count += 1 /* v2 */", 1)+"\nexport const v = 2")
	e.reload("counter")
	if got := e.call(m, "increment", "go"); got != int64(42) {
		t.Errorf("after the reload increment = %v, want 42", got)
	}
	if v, _ := m.Get(e.ctx, "v"); v != int64(2) {
		t.Errorf("the new version is not serving: v = %v", v)
	}
}

// Seed review, "Reload": the hook must be found where the module exports
// it, on the exports or on a default export.
func TestAcceptHookOnDefaultExport(t *testing.T) {
	src := "let n = 0\nexport function bump() { return ++n }\nexport default { get n() { return n }, __acceptHotReload(old) { n = old.default.n + 100 } }\n"
	e := newEnv(t, map[string]string{"/m/d.js": src})
	m := e.create("d", "/m/d.js")
	e.call(m, "bump")
	e.write("/m/d.js", src+"// v2")
	e.reload("d")
	if got := e.call(m, "bump"); got != int64(102) {
		t.Errorf("bump() = %v: the hook on the default export did not run", got)
	}
}

func TestFailedReloadsLeaveNoTrace(t *testing.T) {
	// Every broken version starts an interval and a timeout that would
	// count in globalThis.leaks before it fails.
	const leaky = "setInterval(() => { globalThis.leaks = (globalThis.leaks || 0) + 1 }, 1)\nsetTimeout(() => { globalThis.leaks = (globalThis.leaks || 0) + 1 }, 1)\n"
	cases := []struct {
		name, src, step string
		line, col       int
	}{
		{"syntax error", "export function f() {\n  return (\n}\n", "compile", 3, 1},
		{"throws at load", leaky + "export function f() { return 'new' }\nthrow new Error('load failed')\n", "evaluate", 4, 7},
		{"accept hook throws", leaky + "export function f() { return 'new' }\nexport function __acceptHotReload(old) {\n  throw new Error('cannot migrate')\n}\n", "accept", 5, 9},
		{"accept hook rejects", leaky + "export function f() { return 'new' }\nexport async function __acceptHotReload(old) {\n  await new Promise(r => setTimeout(r, 5))\n  throw new Error('async migrate failed')\n}\n", "accept", 6, 9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, map[string]string{"/m/mod.js": "export function f() { return 'old' }\nexport function leaks() { return globalThis.leaks || 0 }\nexport function sleep(ms) { return new Promise(r => setTimeout(r, ms)) }\n"})
			m := e.create("mod", "/m/mod.js")
			e.write("/m/mod.js", tc.src)
			err := e.rt.ReloadModule(e.ctx, "mod")
			var re *hotmod.ReloadError
			if !errors.As(err, &re) || re.Step != tc.step || re.Version != 1 {
				t.Fatalf("ReloadModule = %v, want a ReloadError at %s keeping version 1", err, tc.step)
			}
			pos, ok := hotmod.PositionOf(err)
			if !ok || pos.File != "/m/mod.js" || pos.Line != tc.line || pos.Column != tc.col {
				t.Errorf("error %q at %+v, want /m/mod.js:%d:%d", err, pos, tc.line, tc.col)
			}
			if want := fmt.Sprintf("/m/mod.js:%d:%d", tc.line, tc.col); !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not say %s", err, want)
			}
			if got := e.call(m, "f"); got != "old" || m.Version() != 1 {
				t.Errorf("after the failure f() = %v at version %d, want old at 1", got, m.Version())
			}
			// The old version's own timer is the clock: if anything of the
			// new version still ran, 30 ms of 1 ms intervals would count.
			// (An async hook's version is alive while the hook runs.)
			before := e.call(m, "leaks")
			e.call(m, "sleep", 30)
			if after := e.call(m, "leaks"); after != before {
				t.Errorf("timers of the failed version still run: %v ticks, then %v", before, after)
			}
			st := e.rt.Stats().Modules[0]
			if st.FailedReloads != 1 || st.Version != 1 || st.LastError == "" || st.LastErrorPosition == nil || st.PendingTimers != 0 {
				t.Errorf("stats after the failure: %+v", st)
			}
		})
	}
}

func TestDisposeHotDataAndTimers(t *testing.T) {
	v1 := `
globalThis.ticks = 0
setInterval(() => { globalThis.ticks++ }, 1)
import.meta.hot.dispose(data => { data.saved = 'from v1'; globalThis.disposedV1 = true })
export function saved() { return import.meta.hot.data.saved ?? null }
`
	v2 := `
export function saved() { return import.meta.hot.data.saved ?? null }
export function state() { return [globalThis.disposedV1, globalThis.ticks] }
export function sleep(ms) { return new Promise(r => setTimeout(r, ms)) }
`
	e := newEnv(t, map[string]string{"/m/h.js": v1})
	m := e.create("h", "/m/h.js")
	if st := e.rt.Stats().Modules[0]; st.PendingTimers != 1 {
		t.Errorf("v1 has %d pending timers, want its interval", st.PendingTimers)
	}
	e.write("/m/h.js", v2)
	e.reload("h")
	if got := e.call(m, "saved"); got != "from v1" {
		t.Errorf("v2 reads hot.data.saved = %v, want what v1's dispose stored", got)
	}
	before := e.call(m, "state").([]any)
	e.call(m, "sleep", 20)
	after := e.call(m, "state").([]any)
	if before[0] != true || after[1] != before[1] {
		t.Errorf("dispose ran: %v; ticks %v then %v: v1's interval must stop at dispose", before[0], before[1], after[1])
	}
}

func TestRunningCallsFinishOnTheirVersion(t *testing.T) {
	src := func(v int) string {
		return fmt.Sprintf("export async function slow() { await new Promise(r => setTimeout(r, 50)); return %d }\nexport function fast() { return %d }", v, v)
	}
	e := newEnv(t, map[string]string{"/m/s.js": src(1)})
	m := e.create("s", "/m/s.js")
	started := make(chan struct{})
	result := make(chan any, 1)
	go func() {
		close(started)
		v, err := m.Call(e.ctx, "slow")
		if err != nil {
			result <- err
		}
		result <- v
	}()
	<-started
	// Wait until the slow call holds a timer of version 1.
	eventually(t, "the slow call to start its timer", func() bool { return e.rt.Stats().Modules[0].PendingTimers > 0 })
	e.write("/m/s.js", src(2))
	e.reload("s")
	if got := e.call(m, "fast"); got != int64(2) {
		t.Errorf("after the swap fast() = %v, want 2", got)
	}
	if got := <-result; got != int64(1) {
		t.Errorf("the call that started on version 1 returned %v, want 1", got)
	}
}

// eventually polls cond until it holds, failing after wait. For states that
// no event announces (a goroutine's progress, a counter).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Under load: every result comes from exactly one version.
func TestCallsDuringReloads(t *testing.T) {
	src := func(v int) string {
		return fmt.Sprintf("const mine = %d\nfunction helper() { return mine }\nexport function id() { return [mine, helper()] }", v)
	}
	e := newEnv(t, map[string]string{"/m/v.js": src(1)})
	m := e.create("v", "/m/v.js")
	const callers, reloads = 8, 200
	var stop atomic.Bool
	var calls atomic.Int64
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				v, err := m.Call(e.ctx, "id")
				if err != nil {
					errs <- err
					return
				}
				pair := v.([]any)
				if pair[0] != pair[1] || pair[0].(int64) < 1 || pair[0].(int64) > reloads+1 {
					errs <- fmt.Errorf("mixed or unknown versions: %v", pair)
					return
				}
				calls.Add(1)
			}
		}()
	}
	for i := 2; i <= reloads+1; i++ {
		e.write("/m/v.js", src(i))
		e.reload("v")
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m.Version() != reloads+1 || calls.Load() == 0 {
		t.Errorf("version %d after %d reloads, %d calls", m.Version(), reloads, calls.Load())
	}
}

func TestConcurrentReloadsAreSerializedAndCoalesced(t *testing.T) {
	// The hook fails if two transitions ever overlap.
	src := func(v int) string {
		return fmt.Sprintf(`export const v = %d
export async function __acceptHotReload(old) {
	if (globalThis.inHook) throw new Error('two reloads at once')
	globalThis.inHook = true
	await new Promise(r => setTimeout(r, 2))
	globalThis.inHook = false
}`, v)
	}
	e := newEnv(t, map[string]string{"/m/c.js": src(0)})
	m := e.create("c", "/m/c.js")
	var wg sync.WaitGroup
	for i := 1; i <= 20; i++ {
		e.write("/m/c.js", src(i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.rt.ReloadModule(e.ctx, "c"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if v, _ := m.Get(e.ctx, "v"); v != int64(20) {
		t.Errorf("after the burst v = %v, want the latest source (20)", v)
	}
	if r := e.rt.Stats().Modules[0].Reloads; r >= 20 || r < 1 {
		t.Errorf("%d reloads for 20 requests: bursts must coalesce", r)
	}
}

func TestRollback(t *testing.T) {
	src := func(v int) string {
		return fmt.Sprintf("export let hits = 0\nexport function hit() { return ++hits }\nexport const v = %d\nexport function __acceptHotReload(old) { hits = old.hits }", v)
	}
	e := newEnv(t, map[string]string{"/m/r.js": src(1)})
	m := e.create("r", "/m/r.js")
	for v := 2; v <= 4; v++ {
		e.write("/m/r.js", src(v))
		e.reload("r")
	}
	e.call(m, "hit")
	if err := e.rt.RollbackModule(e.ctx, "r", 1); !errors.Is(err, hotmod.ErrVersionNotKept) {
		t.Errorf("rollback to a version not kept: %v", err)
	}
	e.write("/m/r.js", "this does not even parse (")
	if err := e.rt.RollbackModule(e.ctx, "r", 2); err != nil {
		t.Fatalf("rollback reads nothing, so a broken source does not matter: %v", err)
	}
	if v, _ := m.Get(e.ctx, "v"); v != int64(2) || m.Version() != 2 {
		t.Errorf("after rollback v = %v, Version() = %d; want 2", v, m.Version())
	}
	if got := e.call(m, "hit"); got != int64(2) {
		t.Errorf("state across the rollback: hit() = %v, want 2", got)
	}
	e.write("/m/r.js", src(5))
	e.reload("r")
	if m.Version() != 5 {
		t.Errorf("the reload after a rollback got version %d; numbers must not repeat (want 5)", m.Version())
	}
	st := e.rt.Stats().Modules[0]
	if st.Rollbacks != 1 || !reflect.DeepEqual(st.KeptVersions, []int{4, 2, 5}) {
		t.Errorf("stats: rollbacks %d, kept %v", st.Rollbacks, st.KeptVersions)
	}
}

func TestUpdateCallbacksAndEvents(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/u.js": "export const v = 1"})
	events := e.events()
	var mu sync.Mutex
	var got []hotmod.Update
	unsubscribe := e.rt.OnModuleUpdate("u", func(u hotmod.Update) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, u)
		// Callbacks may use the module: they run outside the realm.
		if v, err := u.Module.Get(context.Background(), "v"); err != nil || v != int64(u.New) {
			t.Errorf("callback sees v = %v, %v", v, err)
		}
	})
	m := e.create("u", "/m/u.js")
	waitFor(t, events, typ(hotmod.EventCreated, "u"))
	if st := e.rt.Stats().Modules[0]; st.UpdateCallbacks != 1 {
		t.Errorf("UpdateCallbacks = %d", st.UpdateCallbacks)
	}
	e.write("/m/u.js", "export const v = 2")
	e.reload("u")
	ev := waitFor(t, events, typ(hotmod.EventReloaded, "u"))
	if ev.Version != 2 || ev.OldVersion != 1 || ev.Path != "/m/u.js" {
		t.Errorf("reloaded event %+v", ev)
	}
	unsubscribe()
	e.write("/m/u.js", "export const v = 3")
	e.reload("u")
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Old != 1 || got[0].New != 2 || got[0].Module != m || got[0].Rollback {
		t.Errorf("callbacks got %+v, want exactly the 1→2 update", got)
	}
	if st := e.rt.Stats().Modules[0]; st.UpdateCallbacks != 0 {
		t.Errorf("UpdateCallbacks after unsubscribe = %d", st.UpdateCallbacks)
	}
	e.write("/m/u.js", "syntax error here (")
	_ = e.rt.ReloadModule(e.ctx, "u")
	fail := waitFor(t, events, typ(hotmod.EventReloadFailed, "u"))
	if fail.Position == nil || fail.Position.File != "/m/u.js" || fail.Error == "" {
		t.Errorf("reload-failed event %+v", fail)
	}
}

func TestRemoveAndCleanup(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/a.js":   "setInterval(() => {}, 1000)\nimport.meta.hot.dispose(() => { globalThis.disposedA = true })\nexport const a = 1",
		"/m/b.js":   "export const b = 1",
		"/m/use.js": "const a = require('./a.js')\nexport function probe() { return [a.a ?? null, globalThis.disposedA ?? false] }",
	})
	a := e.create("a", "/m/a.js")
	use := e.create("use", "/m/use.js")
	if err := e.rt.RemoveModule(e.ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Call(e.ctx, "x"); !errors.Is(err, hotmod.ErrRemoved) {
		t.Errorf("call on a removed module: %v, want ErrRemoved", err)
	}
	if got := e.call(use, "probe"); !reflect.DeepEqual(got, []any{nil, true}) {
		t.Errorf("importer of a removed module sees %v", got)
	}
	if err := e.rt.RemoveModule(e.ctx, "a"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
	e.create("b", "/m/b.js")
	e.rt.OnModuleUpdate("b", func(hotmod.Update) {})
	if err := e.rt.Cleanup(e.ctx); err != nil {
		t.Fatal(err)
	}
	if st := e.rt.Stats(); st.TotalModules != 0 || len(st.Modules) != 0 {
		t.Errorf("after Cleanup: %+v", st)
	}
	// Usable afresh; the callback registry was cleared too.
	e.create("b", "/m/b.js")
	if st := e.rt.Stats().Modules[0]; st.UpdateCallbacks != 0 || st.Version != 1 {
		t.Errorf("after Cleanup and create: %+v", st)
	}
}

func TestTimeoutsAndRecursion(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/bad.js": `
export function spin() { while (true) {} }
export function recurse(n) { return recurse(n + 1) + 1 }
export function ok() { return 'ok' }
`})
	m := e.create("bad", "/m/bad.js")
	ctx, cancel := context.WithTimeout(e.ctx, 50*time.Millisecond)
	defer cancel()
	_, err := m.Call(ctx, "spin")
	var te *hotmod.TimeoutError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) || !strings.Contains(err.Error(), "/m/bad.js:2:") {
		t.Errorf("spin: %v, want DeadlineExceeded naming where it was interrupted", err)
	}
	if got := e.call(m, "ok"); got != "ok" {
		t.Errorf("after an interrupt: %v", got)
	}
	if _, err := m.Call(e.ctx, "recurse", 0); !errors.Is(err, hotmod.ErrStackOverflow) {
		t.Errorf("recursion: %v, want ErrStackOverflow", err)
	}
	if got := e.call(m, "ok"); got != "ok" {
		t.Errorf("after a stack overflow: %v", got)
	}
	// A context that ends before the realm is free: the call never starts.
	done, cancel2 := context.WithCancel(e.ctx)
	cancel2()
	if _, err := m.Call(done, "ok"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
