package hotmod_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

var (
	depTotal = "export function total(a, b) { return a + b }\n"
	depSum   = "export function sum(a, b) { return a + b }\n"
	appTotal = "import { total } from './dep.js'\nexport const run = () => total(1, 2)\n"
	appSum   = "import { sum } from './dep.js'\nexport const run = () => sum(1, 2)\n"
)

// Renaming an export that a loaded module imports is refused, naming the
// importer, the import's place and the missing name; before, the reload
// went through and the importer failed at call time with "Value is not an
// object: undefined".
func TestRenamedExportIsRefused(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/dep.js": depTotal, "/m/app.js": "\n" + appTotal})
	dep := e.create("dep", "/m/dep.js")
	app := e.create("app", "/m/app.js")
	e.write("/m/dep.js", depSum)
	err := e.rt.ReloadModule(e.ctx, "dep")
	var re *hotmod.ReloadError
	var ie *hotmod.ImportError
	if !errors.As(err, &re) || re.Module != "dep" || re.Step != "imports" || !errors.As(err, &ie) {
		t.Fatalf("reload of a renamed export: %v, want a *ReloadError of dep at imports wrapping an *ImportError", err)
	}
	want := hotmod.ImportError{Importer: "app", File: "/m/app.js", Line: 2, Column: 23, Module: "dep", Specifier: "./dep.js", Missing: []string{"total"}}
	if !reflect.DeepEqual(*ie, want) {
		t.Errorf("ImportError = %+v\nwant %+v", *ie, want)
	}
	if p, ok := hotmod.PositionOf(err); !ok || p.File != "/m/app.js" || p.Line != 2 {
		t.Errorf("PositionOf = %+v, %v", p, ok)
	}
	if dep.Version() != 1 || e.call(app, "run") != int64(3) {
		t.Errorf("after the refused reload: dep version %d, want 1 still serving", dep.Version())
	}
	// A CommonJS dependency's exports are dynamic: not checked.
	e.write("/m/dep.js", "exports.sum = (a, b) => a + b")
	if err := e.rt.ReloadModule(e.ctx, "dep"); err != nil {
		t.Errorf("CommonJS exports are not a contract: %v", err)
	}
}

// An edit of two files (an export renamed with its use) is one
// transaction: ReloadModules swaps both or neither.
func TestReloadModulesIsAllOrNone(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/dep.js": depTotal, "/m/app.js": appTotal})
	dep := e.create("dep", "/m/dep.js")
	app := e.create("app", "/m/app.js")

	e.write("/m/dep.js", depSum)
	e.write("/m/app.js", appSum+"throw new Error('app is broken')\n")
	err := e.rt.ReloadModules(e.ctx, "dep", "app")
	var re *hotmod.ReloadError
	if !errors.As(err, &re) || re.Module != "app" || re.Step != "evaluate" {
		t.Fatalf("ReloadModules with a broken importer: %v, want app's *ReloadError at evaluate", err)
	}
	if dep.Version() != 1 || app.Version() != 1 || e.call(app, "run") != int64(3) {
		t.Fatalf("a failed transaction swapped something: dep %d, app %d", dep.Version(), app.Version())
	}

	e.write("/m/app.js", appSum)
	if err := e.rt.ReloadModules(e.ctx, "dep", "app"); err != nil {
		t.Fatal(err)
	}
	if dep.Version() != 2 || app.Version() != 2 || e.call(app, "run") != int64(3) {
		t.Errorf("after the transaction: dep %d, app %d", dep.Version(), app.Version())
	}
	if err := e.rt.ReloadModules(e.ctx, "dep", "nope"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("ReloadModules of an unknown id: %v", err)
	}
}

// One save touching two files reaches the store watcher as a burst, which
// reloads both in one transaction: no reload fails on the way and calls
// never see one file's new version with the other's old one.
func TestStoreBurstIsOneTransaction(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/dep.js": depTotal, "/m/app.js": appTotal}, autoReload)
	events := e.events()
	e.create("dep", "/m/dep.js")
	app := e.create("app", "/m/app.js")
	e.write("/m/dep.js", depSum)
	e.write("/m/app.js", appSum)
	seen := map[string]bool{}
	for len(seen) < 2 {
		ev := waitFor(t, events, func(ev hotmod.Event) bool {
			return ev.Type == hotmod.EventReloaded || ev.Type == hotmod.EventReloadFailed
		})
		if ev.Type == hotmod.EventReloadFailed {
			t.Fatalf("a reload failed on the way: %s", ev.Error)
		}
		seen[ev.Module] = true
	}
	if got := e.call(app, "run"); got != int64(3) {
		t.Errorf("run() = %v", got)
	}
}

// Vite's idiom `let n = hot.data.n ?? 0; hot.dispose(d => { d.n = n })`
// cannot carry n in hotmod, which evaluates the new version before
// disposing the old: the write comes too late, and is logged naming the
// key. Writing hot.data while running carries it.
func TestHotDataWrittenTooLateIsWarned(t *testing.T) {
	late := "let n = import.meta.hot.data.n ?? 0\nexport const inc = () => ++n\nimport.meta.hot.dispose((d) => { d.n = n })\n"
	e := newEnv(t, map[string]string{"/m/late.js": late,
		"/m/live.js": "const d = import.meta.hot.data\nd.n ??= 0\nexport const inc = () => ++d.n\n"})
	lateM := e.create("late", "/m/late.js")
	live := e.create("live", "/m/live.js")
	for range 2 {
		e.call(lateM, "inc")
		e.call(live, "inc")
	}
	e.reload("late")
	e.reload("live")
	if got := e.call(lateM, "inc"); got != int64(1) {
		t.Errorf("late idiom: inc() = %v after the reload; hotmod's order gives 1", got)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "hot.data.n") || !strings.Contains(logs, "module=late") {
		t.Errorf("no warning naming hot.data.n for module late:\n%s", logs)
	}
	if got := e.call(live, "inc"); got != int64(3) {
		t.Errorf("hot.data written while running: inc() = %v after the reload, want 3", got)
	}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "module=live") {
			t.Errorf("the working idiom was warned about:\n%s", line)
		}
	}
}

// hot.invalidate() evaluates the module again and propagates to the
// importers that do not accept it; one that accepts it with
// hot.accept(dep, cb) gets its callback, and the propagation stops after
// a module that accepts itself.
func TestInvalidatePropagatesToImporters(t *testing.T) {
	count := func(name string) string {
		return "globalThis.evals = globalThis.evals || {}\nglobalThis.evals." + name + " = (globalThis.evals." + name + " || 0) + 1\n"
	}
	e := newEnv(t, map[string]string{
		"/m/dep.js":  count("dep") + "export const n = 1\nexport function invalidate() { import.meta.hot.invalidate('cannot apply') }\n",
		"/m/app.js":  count("app") + "import { n } from './dep.js'\nexport const seen = n\n",
		"/m/top.js":  count("top") + "import { seen } from './app.js'\nexport const s = seen\n",
		"/m/acc.js":  count("acc") + "import { n } from './dep.js'\nexport const got = []\nimport.meta.hot.accept('./dep.js', (d) => got.push(d.n))\n",
		"/m/self.js": count("self") + "import { n } from './dep.js'\nimport.meta.hot.accept()\nexport const x = n\n",
		"/m/up.js":   count("up") + "import { x } from './self.js'\nexport const y = x\n",
		"/m/ctl.js":  "export const evals = () => globalThis.evals",
	}, autoReload)
	events := e.events()
	dep := e.create("dep", "/m/dep.js")
	for _, id := range []string{"app", "top", "acc", "self", "up", "ctl"} {
		e.create(id, "/m/"+id+".js")
	}
	e.call(dep, "invalidate")
	got := map[string]bool{}
	for len(got) < 4 {
		got[waitFor(t, events, func(ev hotmod.Event) bool { return ev.Type == hotmod.EventReloaded }).Module] = true
	}
	ctl, _ := e.rt.Module("ctl")
	want := map[string]any{"dep": int64(2), "app": int64(2), "top": int64(2), "acc": int64(1), "self": int64(2), "up": int64(1)}
	if evals := e.call(ctl, "evals"); !reflect.DeepEqual(evals, want) {
		t.Errorf("evaluations after invalidate = %v, want %v", evals, want)
	}
	acc, _ := e.rt.Module("acc")
	if g, _ := acc.Get(e.ctx, "got"); !reflect.DeepEqual(g, []any{int64(1)}) {
		t.Errorf("acc's hot.accept callback got %v", g)
	}
}
