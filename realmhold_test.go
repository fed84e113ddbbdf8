package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// Issue 23 item 1: a canary's calls are counted without a probation or a
// profile, and the serving version's beside them.
func TestCanaryFiguresAlwaysCounted(t *testing.T) {
	src := func(v string) string {
		return fmt.Sprintf("export const version = () => %q\nexport function boom() { throw new Error('no') }\n", v)
	}
	for _, realms := range []int{1, 2} {
		t.Run(fmt.Sprintf("realms=%d", realms), func(t *testing.T) {
			e := newEnv(t, map[string]string{"/m/p.js": src("v1")}, func(o *hotmod.Options) { o.Realms = realms })
			m := e.create("p", "/m/p.js")
			e.write("/m/p.js", src("v2"))
			if err := m.Canary(e.ctx, 40); err != nil {
				t.Fatal(err)
			}
			onCanary, boomKey := 0, ""
			for i := range 20 {
				k := fmt.Sprintf("user-%d", i)
				v, err := m.CallKey(e.ctx, k, "version")
				if err != nil {
					t.Fatal(err)
				}
				if v == "v2" {
					onCanary++
					boomKey = k
				}
			}
			if onCanary == 0 || onCanary == 20 {
				t.Fatalf("%d of 20 keys on a 40%% canary: the test needs both sides", onCanary)
			}
			if _, err := m.CallKey(e.ctx, boomKey, "boom"); err == nil {
				t.Fatal("boom did not throw")
			}
			st := m.Stats()
			c := st.Canary
			if c == nil {
				t.Fatal("no canary in Stats")
			}
			if c.Calls != int64(onCanary)+1 || c.Errors != 1 {
				t.Errorf("canary: %d calls, %d errors; want %d, 1", c.Calls, c.Errors, onCanary+1)
			}
			if c.Serving.Version != 1 || c.Serving.Calls != int64(20-onCanary) || c.Serving.Errors != 0 {
				t.Errorf("serving beside the canary: %+v; want version 1, %d calls, 0 errors", c.Serving, 20-onCanary)
			}
			if c.P99 <= 0 || c.Serving.P99 <= 0 {
				t.Errorf("p99: canary %v, serving %v; want both > 0", c.P99, c.Serving.P99)
			}
			var served hotmod.VersionInfo
			for _, v := range st.Versions {
				if v.Serving {
					served = v
				}
			}
			if served.Version != 1 || served.Calls != int64(20-onCanary) {
				t.Errorf("Versions' serving entry: %+v", served)
			}
		})
	}
}

// Issue 23 item 7: calls from another module count, through the plain
// handle and through the getters a profile puts on it.
func TestModuleCallsCounted(t *testing.T) {
	for _, realms := range []int{1, 2} {
		t.Run(fmt.Sprintf("realms=%d", realms), func(t *testing.T) {
			e := newEnv(t, map[string]string{
				"/m/counter.js":  "let n = 0\nexport function inc() { return ++n }\nexport const label = 'c'\n",
				"/m/checkout.js": "import { inc } from './counter.js'\nexport function run(k) { let r = 0; for (let i = 0; i < k; i++) r = inc(); return r }\n",
			}, func(o *hotmod.Options) { o.Realms = realms })
			counter := e.create("counter", "/m/counter.js")
			checkout := e.create("checkout", "/m/checkout.js")
			e.call(checkout, "run", 10)
			if got := counter.Stats().ModuleCalls; got != 10 {
				t.Errorf("counter's ModuleCalls = %d after checkout called inc 10 times", got)
			}
			prof, err := counter.Profile()
			if err != nil {
				t.Fatal(err)
			}
			e.call(checkout, "run", 5)
			prof.Stop()
			e.call(checkout, "run", 1)
			st := counter.Stats()
			if st.ModuleCalls != 16 {
				t.Errorf("counter's ModuleCalls = %d, want 16 (10, 5 under a profile, 1)", st.ModuleCalls)
			}
			if len(st.Versions) != 1 || st.Versions[0].ModuleCalls != 16 || st.Versions[0].Calls != 0 {
				t.Errorf("counter's version: %+v", st.Versions)
			}
			if cs := checkout.Stats(); cs.ModuleCalls != 0 || cs.Versions[0].Calls != 3 {
				t.Errorf("checkout: %d module calls, version %+v; want 0 and 3 calls", cs.ModuleCalls, cs.Versions[0])
			}
			// A reload keeps the count: the module's total never goes back.
			e.write("/m/counter.js", "export function inc() { return 0 }\n")
			e.reload("counter")
			e.call(checkout, "run", 2)
			if got := counter.Stats().ModuleCalls; got != 18 {
				t.Errorf("ModuleCalls = %d after a reload and 2 more calls, want 18", got)
			}
		})
	}
}

// holderWhere polls RealmHolders until ok holds, failing after wait.
func holderWhere(t *testing.T, rt *hotmod.Runtime, wait time.Duration, ok func(hotmod.RealmStatus) bool) hotmod.RealmStatus {
	t.Helper()
	deadline := time.Now().Add(wait)
	var last []hotmod.RealmStatus
	for time.Now().Before(deadline) {
		last = rt.RealmHolders()
		for _, st := range last {
			if ok(st) {
				return st
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no realm as wanted within %v; last: %+v", wait, last)
	return hotmod.RealmStatus{}
}

// Issue 23 item 2: what holds a realm, and for how long, while a runaway
// call runs; nothing once it is stopped.
func TestRealmHolderNamesRunawayCall(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/thrower.js": "export function forever() { for (;;) {} }\nexport const ok = () => 1\n",
	}, func(o *hotmod.Options) { o.Realms, o.CallTimeout = 1, time.Minute })
	m := e.create("thrower", "/m/thrower.js")
	if hs := e.rt.RealmHolders(); len(hs) != 1 || hs[0].Busy {
		t.Fatalf("idle runtime: %+v", hs)
	}
	// The watchdog: the call's context ends it whatever happens.
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := m.Call(ctx, "forever")
		done <- err
	}()
	st := holderWhere(t, e.rt, 10*time.Second, func(s hotmod.RealmStatus) bool {
		return s.Busy && s.Held >= 300*time.Millisecond
	})
	if st.Index != 0 || st.Module != "thrower" || st.Function != "forever" || st.Loading || st.Holder() != "thrower.forever" {
		t.Errorf("holder: %+v (%q)", st, st.Holder())
	}
	if age := time.Since(st.Since); age < 300*time.Millisecond || age > 10*time.Second {
		t.Errorf("since %v ago", age)
	}
	if s := e.rt.Stats().RealmHolders; len(s) != 1 || s[0].Function != "forever" {
		t.Errorf("Stats().RealmHolders = %+v", s)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the runaway ended with %v", err)
	}
	holderWhere(t, e.rt, 5*time.Second, func(s hotmod.RealmStatus) bool { return !s.Busy && s.Module == "" && s.Since.IsZero() })
	if e.call(m, "ok") != int64(1) {
		t.Error("the realm is not usable after the runaway")
	}
	if hs := e.rt.RealmHolders(); hs[0].Busy {
		t.Errorf("after a quick call: %+v", hs)
	}
}

// A load that loops holds the realm as "loading <module>".
func TestRealmHolderNamesLoopingLoad(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/spin.js": "export const x = 1\nwhile (true) {}\n"},
		func(o *hotmod.Options) { o.Realms, o.LoadTimeout = 1, 30*time.Second })
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second) // the watchdog
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.rt.CreateModule(ctx, "spin", "/m/spin.js")
		done <- err
	}()
	st := holderWhere(t, e.rt, 10*time.Second, func(s hotmod.RealmStatus) bool { return s.Busy && s.Loading })
	if st.Module != "spin" || st.Holder() != "loading spin" {
		t.Errorf("holder: %+v (%q)", st, st.Holder())
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("the looping load succeeded")
	}
	holderWhere(t, e.rt, 5*time.Second, func(s hotmod.RealmStatus) bool { return !s.Busy })
}

// A timer callback that loops holds the realm as "a timer of <module>",
// not as the last call made.
func TestRealmHolderNamesTimer(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/ticker.js": "export function arm() { setTimeout(() => { for (;;) {} }, 0); return 1 }\n",
	}, func(o *hotmod.Options) { o.Realms, o.TimerTimeout = 1, 2*time.Second }) // the watchdog: TimerTimeout
	m := e.create("ticker", "/m/ticker.js")
	e.call(m, "arm")
	st := holderWhere(t, e.rt, 5*time.Second, func(s hotmod.RealmStatus) bool { return s.Busy && s.Held >= 100*time.Millisecond })
	if !st.Timer || st.Module != "ticker" || st.Function != "" || st.Holder() != "a timer of ticker" {
		t.Errorf("holder: %+v (%q)", st, st.Holder())
	}
	holderWhere(t, e.rt, 5*time.Second, func(s hotmod.RealmStatus) bool { return !s.Busy })
}

// A load that ran out of its first pass goes on in a probe's realm: it is
// listed after the serving realms, as a probe, and the serving realm is
// free meanwhile.
func TestRealmHoldersListAProbe(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/spin.js": "export const x = 1\nwhile (true) {}\n",
		"/m/ok.js":   "export const y = 2\n",
	}, func(o *hotmod.Options) {
		o.Realms, o.LoadTimeout, o.FirstPassBudget = 1, 3*time.Second, 50*time.Millisecond
	})
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second) // the watchdog
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.rt.LoadAll(ctx, "/m")
		done <- err
	}()
	st := holderWhere(t, e.rt, 10*time.Second, func(s hotmod.RealmStatus) bool {
		return s.Probe && s.Held >= 200*time.Millisecond
	})
	if st.Index != -1 || st.Module != "m/spin" || !st.Loading || !st.Busy || st.Holder() != "loading m/spin in a probe" {
		t.Errorf("probe: %+v (%q)", st, st.Holder())
	}
	if hs := e.rt.RealmHolders(); len(hs) < 1 || hs[0].Probe || hs[0].Index != 0 || hs[0].Busy && hs[0].Module == "m/spin" {
		t.Errorf("the serving realm while the probe runs: %+v", hs)
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("LoadAll did not end")
	}
	if hs := e.rt.RealmHolders(); len(hs) != 1 || hs[0].Probe {
		t.Errorf("after the probe: %+v", hs)
	}
}
