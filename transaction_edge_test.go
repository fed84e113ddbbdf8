package hotmod_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// ticking is a module prefix whose interval counts in globalThis.ticks[name]
// while the version runs.
func ticking(name string) string {
	return "globalThis.ticks = globalThis.ticks || {}\nsetInterval(() => { globalThis.ticks['" + name + "'] = (globalThis.ticks['" + name + "'] || 0) + 1 }, 2)\n"
}

// stillTicks reports whether any interval counted during 50 ms.
func stillTicks(t *testing.T, e *env, ctl *hotmod.Module) bool {
	t.Helper()
	before := e.call(ctl, "ticks")
	time.Sleep(50 * time.Millisecond) // 25 intervals' worth: a live one would count
	return e.call(ctl, "ticks") != before
}

const tickCtl = "export const ticks = () => JSON.stringify(globalThis.ticks || {})\n"

// An update callback may reload a module of the transaction that called
// it: the transaction releases every lock before any callback runs.
func TestUpdateCallbackMayReloadAPeerOfItsTransaction(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": "export const v = 1\n", "/m/b.js": "export const v = 1\n"})
	e.create("a", "/m/a.js")
	e.create("b", "/m/b.js")
	var once sync.Once
	e.rt.OnModuleUpdate("b", func(hotmod.Update) {
		once.Do(func() {
			if err := e.rt.ReloadModule(e.ctx, "a"); err != nil {
				t.Errorf("reload from the callback: %v", err)
			}
		})
	})
	within(t, wait, "ReloadModules", func() {
		if err := e.rt.ReloadModules(e.ctx, "a", "b"); err != nil {
			t.Error(err)
		}
	})
}

// A getter that throws where hotmod looks for __acceptHotReload (a strict
// Proxy as default export, a throwing accessor) fails that module's new
// version, and every new version of the transaction is discarded: their
// timers stop.
func TestThrowingHookLookupDiscardsEveryNewVersion(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": "export const v = 1\n", "/m/b.js": "exports.v = 1\n", "/m/ctl.js": tickCtl})
	a := e.create("a", "/m/a.js")
	b := e.create("b", "/m/b.js")
	ctl := e.create("ctl", "/m/ctl.js")
	e.write("/m/a.js", ticking("a")+"export const v = 2\n")
	e.write("/m/b.js", ticking("b")+"exports.v = 2\nObject.defineProperty(exports, '__acceptHotReload', { get() { throw new Error('getter boom') } })\n")
	err := e.rt.ReloadModules(e.ctx, "a", "b")
	var re *hotmod.ReloadError
	if !errors.As(err, &re) || re.Module != "b" || re.Step != "accept" || !strings.Contains(err.Error(), "getter boom") {
		t.Errorf("ReloadModules: %v, want b's *ReloadError at accept", err)
	}
	if a.Version() != 1 || b.Version() != 1 || stillTicks(t, e, ctl) {
		t.Errorf("after the failed transaction: a v%d, b v%d, new versions' timers still run: %v", a.Version(), b.Version(), e.call(ctl, "ticks"))
	}

	strict := "export default new Proxy({ port: 1 }, { get(t, k) { if (!(k in t)) throw new Error('unknown key ' + String(k)); return t[k] } })\n"
	e.write("/m/a.js", ticking("a2")+strict)
	if err := e.rt.ReloadModule(e.ctx, "a"); err == nil || !strings.Contains(err.Error(), "unknown key __acceptHotReload") {
		t.Errorf("a strict Proxy default export: %v", err)
	}
	if a.Version() != 1 || stillTicks(t, e, ctl) {
		t.Errorf("the refused version still runs: a v%d, %v", a.Version(), e.call(ctl, "ticks"))
	}
}

// hot.invalidate() from a version that does not serve (one still being
// evaluated, here one that then fails) is ignored: it used to start a
// reload that failed and invalidated again, without end.
func TestInvalidateOfAVersionNotServingIsIgnored(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": "export const a = 1\n", "/m/ctl.js": "export const n = () => globalThis.na\n"}, autoReload)
	events := e.events()
	a := e.create("a", "/m/a.js")
	ctl := e.create("ctl", "/m/ctl.js")
	e.write("/m/a.js", "globalThis.na = (globalThis.na || 0) + 1\nimport.meta.hot.invalidate()\nthrow new Error('broken')\n")
	waitFor(t, events, typ(hotmod.EventReloadFailed, "a"))
	time.Sleep(100 * time.Millisecond) // a loop would evaluate it dozens of times meanwhile
	if n := e.call(ctl, "n"); n != int64(1) || a.Version() != 1 {
		t.Errorf("the failing version was evaluated %v times (a v%d)", n, a.Version())
	}
	if !strings.Contains(e.logs.String(), "not serving is ignored") {
		t.Errorf("no warning:\n%s", e.logs.String())
	}
}

// Changes made under HoldReloads are one transaction however long the
// writes take: here longer than a burst may last on its own.
func TestHeldChangesAreOneTransaction(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/dep.js": depTotal, "/m/app.js": appTotal}, autoReload)
	events := e.events()
	dep := e.create("dep", "/m/dep.js")
	app := e.create("app", "/m/app.js")
	release := e.rt.HoldReloads(e.ctx)
	e.write("/m/dep.js", depSum)
	time.Sleep(150 * time.Millisecond) // past the 100 ms a burst lasts without a hold
	e.write("/m/app.js", appSum)
	release()
	for seen := map[string]bool{}; len(seen) < 2; {
		ev := waitFor(t, events, func(ev hotmod.Event) bool {
			return ev.Type == hotmod.EventReloaded || ev.Type == hotmod.EventReloadFailed
		})
		if ev.Type == hotmod.EventReloadFailed {
			t.Fatalf("a reload failed on the way: %s", ev.Error)
		}
		seen[ev.Module] = true
	}
	if dep.Version() != 2 || app.Version() != 2 || e.call(app, "run") != int64(3) {
		t.Errorf("dep v%d, app v%d", dep.Version(), app.Version())
	}
}

// A burst refused because of one broken file leaves the others' changes
// pending: fixing the broken file alone applies them all, together.
func TestRefusedBurstIsAppliedWithTheFix(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/dep.js": depTotal, "/m/app.js": appTotal, "/m/x.js": "export const x = 1\n"}, autoReload)
	events := e.events()
	dep := e.create("dep", "/m/dep.js")
	app := e.create("app", "/m/app.js")
	x := e.create("x", "/m/x.js")
	release := e.rt.HoldReloads(e.ctx) // one burst, however the writes are scheduled
	e.write("/m/dep.js", depSum)
	e.write("/m/x.js", "export const x = 2\n")
	e.write("/m/app.js", appSum+"throw new Error('broken')\n")
	release()
	waitFor(t, events, func(ev hotmod.Event) bool { return ev.Type == hotmod.EventReloadFailed && ev.Module == "app" })
	if dep.Version() != 1 || x.Version() != 1 {
		t.Fatalf("a refused burst swapped something: dep v%d, x v%d", dep.Version(), x.Version())
	}
	e.write("/m/app.js", appSum)
	for seen := map[string]bool{}; len(seen) < 3; {
		ev := waitFor(t, events, func(ev hotmod.Event) bool { return ev.Type == hotmod.EventReloaded })
		seen[ev.Module] = true
	}
	if dep.Version() != 2 || app.Version() != 2 || x.Version() != 2 || e.call(app, "run") != int64(3) {
		t.Errorf("after the fix: dep v%d, app v%d, x v%d", dep.Version(), app.Version(), x.Version())
	}
}

// The contract holds through `export * from`: a name an importer takes from
// a module that re-exports it must still exist in the module it comes from.
func TestImportContractThroughExportStar(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/x.js":   "export const a = 1\nexport default 'x'\n",
		"/m/re.js":  "export * from './x.js'\nexport const own = 2\n",
		"/m/app.js": "import { a, own } from './re.js'\nexport const run = () => a + own\n",
	})
	x := e.create("x", "/m/x.js")
	app := e.create("app", "/m/app.js")
	e.write("/m/x.js", "export const b = 1\n")
	err := e.rt.ReloadModule(e.ctx, "x")
	var ie *hotmod.ImportError
	if !errors.As(err, &ie) || ie.Importer != "app" || ie.Module != "m/re" || ie.Missing[0] != "a" {
		t.Fatalf("removing a re-exported name: %v", err)
	}
	if x.Version() != 1 || e.call(app, "run") != int64(3) {
		t.Errorf("x v%d after the refusal", x.Version())
	}
	e.write("/m/x.js", "export const a = 5\n") // default gone: re's export * never carried it
	if err := e.rt.ReloadModule(e.ctx, "x"); err != nil {
		t.Errorf("a change the importer does not see: %v", err)
	}
	if got := e.call(app, "run"); got != int64(7) {
		t.Errorf("run() = %v", got)
	}
}

// A burst refused because one file does not compile leaves the others'
// changes pending too: fixing that file applies the whole edit.
func TestBurstWithACompileErrorIsAppliedWithTheFix(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/dep.js": depTotal, "/m/app.js": appTotal}, autoReload)
	events := e.events()
	dep := e.create("dep", "/m/dep.js")
	app := e.create("app", "/m/app.js")
	release := e.rt.HoldReloads(e.ctx) // one burst, however the writes are scheduled
	e.write("/m/dep.js", depSum)
	e.write("/m/app.js", appSum+"const = \n")
	release()
	waitFor(t, events, func(ev hotmod.Event) bool { return ev.Type == hotmod.EventReloadFailed && ev.Module == "app" })
	e.write("/m/app.js", appSum)
	for seen := map[string]bool{}; len(seen) < 2; {
		ev := waitFor(t, events, func(ev hotmod.Event) bool {
			return ev.Type == hotmod.EventReloaded || ev.Type == hotmod.EventReloadFailed && ev.Module == "app"
		})
		if ev.Type == hotmod.EventReloadFailed {
			t.Fatalf("the fix was refused: %s", ev.Error)
		}
		seen[ev.Module] = true
	}
	if dep.Version() != 2 || app.Version() != 2 {
		t.Errorf("dep v%d, app v%d", dep.Version(), app.Version())
	}
}

// A hold that is never released delays reloads by at most ReloadTimeout.
func TestForgottenHoldOnlyDelaysReloads(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": "export const v = 1\n"}, autoReload,
		func(o *hotmod.Options) { o.ReloadTimeout = 300 * time.Millisecond })
	events := e.events()
	a := e.create("a", "/m/a.js")
	_ = e.rt.HoldReloads(context.Background()) // never released
	e.write("/m/a.js", "export const v = 2\n")
	waitFor(t, events, typ(hotmod.EventReloaded, "a"))
	if a.Version() != 2 {
		t.Errorf("a v%d", a.Version())
	}
}
