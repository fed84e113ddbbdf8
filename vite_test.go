package hotmod_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

// Vite's semantics as hotmod has them (RATIONALE.md, "Vite's semantics, as
// a server can have them"). The Vite sources cited are vitejs/vite at
// a98c8d95d552c6fa98ab66fb810f5b39ad5abf49.

// trace is a module that the others log into, and that a test reads.
const trace = "export const log = globalThis.log = globalThis.log || []\nexport const read = () => globalThis.log\n"

// A module loaded only because another imports it is pruned once no loaded
// module imports it: its dispose callbacks run, then its prune callbacks
// (packages/vite/src/shared/hmr.ts, HMRClient.prunePaths: every disposer,
// then every pruner; packages/vite/src/node/server/moduleGraph.ts,
// updateModuleInfo: a dependency whose importers become empty is "no longer
// imported"), and it is removed. A module the program created keeps
// serving though nothing imports it, and a module still imported keeps
// serving after its file is deleted, until its last importer drops it.
func TestPruneRunsAfterDisposeWhenNoLongerImported(t *testing.T) {
	dep := func(name string) string {
		return "import { log } from './trace.js'\nexport const v = '" + name + "'\n" +
			"import.meta.hot.dispose(() => log.push('dispose " + name + "'))\n" +
			"import.meta.hot.prune(() => log.push('prune " + name + "'))\n"
	}
	e := newEnv(t, map[string]string{
		"/m/trace.js": trace,
		"/m/b.js":     dep("b"),
		"/m/c.js":     dep("c") + "import './d.js'\n", // c's own import goes with it
		"/m/d.js":     dep("d"),
		"/m/kept.js":  dep("kept"),
		"/m/app.js":   "import { v } from './b.js'\nimport { v as c } from './c.js'\nimport { v as k } from './kept.js'\nexport const x = v + c + k\n",
	}, autoReload)
	events := e.events()
	tr := e.create("trace", "/m/trace.js")
	kept := e.create("kept", "/m/kept.js") // the program's own
	e.create("app", "/m/app.js")
	for _, id := range []string{"b", "c", "d"} {
		if _, err := e.rt.Module("m/" + id); err != nil {
			t.Fatalf("m/%s was not loaded by the import: %v", id, err)
		}
	}

	// b's file is deleted while app still imports it: b keeps serving.
	if err := e.store.Delete(e.ctx, "/m/b.js"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, typ(hotmod.EventSourceDeleted, "m/b"))
	if got := e.call(tr, "read"); !reflect.DeepEqual(got, []any{}) {
		t.Fatalf("a deleted file still imported was pruned: %v", got)
	}
	// app drops every import: b (deleted), c and what c imports, d, are
	// pruned; kept, which the program created, stays.
	e.write("/m/app.js", "export const x = 1\n")
	waitFor(t, events, typ(hotmod.EventReloaded, "app"))
	for _, id := range []string{"m/b", "m/c", "m/d"} {
		waitFor(t, events, typ(hotmod.EventRemoved, id))
	}
	got := e.call(tr, "read").([]any)
	want := []any{"dispose b", "dispose c", "dispose d", "prune b", "prune c", "prune d"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log = %v, want %v (every dispose, then every prune)", got, want)
	}
	for _, id := range []string{"m/b", "m/c", "m/d"} {
		if _, err := e.rt.Module(id); !errors.Is(err, hotmod.ErrNotFound) {
			t.Errorf("pruned module %s: %v, want ErrNotFound", id, err)
		}
	}
	if kept.State() != hotmod.StateServing {
		t.Errorf("a module the program created was pruned: %s", kept.State())
	}

	// RemoveModule: dispose, then prune (it ran prune first).
	globalReset := "globalThis.log.length = 0\n"
	e.write("/m/reset.js", "export const reset = () => { "+globalReset+" }\n")
	e.call(e.create("reset", "/m/reset.js"), "reset")
	if err := kept.Remove(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.call(tr, "read"); !reflect.DeepEqual(got, []any{"dispose kept", "prune kept"}) {
		t.Errorf("RemoveModule: log = %v, want dispose then prune", got)
	}
}

// hot.invalidate() inside a hot.accept callback (the idiom of Vite's
// docs/guide/api-hmr.md, "hot.invalidate(message?: string)") propagates the
// update to the module's importers, as if it did not accept itself
// (packages/vite/src/node/server/environment.ts, invalidateModule:
// updateModules over mod.importers).
func TestInvalidateInAcceptCallbackReloadsImporters(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/trace.js": trace,
		"/m/dep.js":   "export const v = 1\nimport.meta.hot.accept((mod) => { if (mod.v > 1) import.meta.hot.invalidate('cannot take ' + mod.v) })\n",
		"/m/app.js":   "import { log } from './trace.js'\nimport { v } from './dep.js'\nlog.push('app evaluated')\nexport const x = () => v\n",
	})
	events := e.events()
	tr := e.create("trace", "/m/trace.js")
	e.create("dep", "/m/dep.js")
	app := e.create("app", "/m/app.js")
	e.write("/m/dep.js", "export const v = 2\nimport.meta.hot.accept((mod) => { if (mod.v > 2) import.meta.hot.invalidate() })\n")
	e.reload("dep")
	waitFor(t, events, typ(hotmod.EventReloaded, "app"))
	if got := e.call(tr, "read"); !reflect.DeepEqual(got, []any{"app evaluated", "app evaluated"}) || app.Version() != 2 {
		t.Errorf("importer after invalidate in an accept callback: log %v, version %d", got, app.Version())
	}
	if !strings.Contains(e.logs.String(), "cannot take 2") {
		t.Errorf("the invalidation's message is not logged:\n%s", e.logs.String())
	}
}

// hot.decline(): Vite documented it, before it became a no-op
// (vitejs/vite e257e3b7, docs/guide/api-hmr.md), as "the browser should
// perform a full reload if this module is encountered while propagating HMR
// updates". A server's full reload is evaluating the module and every
// module that imports it again, in one transaction, whatever they accept.
func TestDeclineReloadsImportersInOneTransaction(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/trace.js": trace,
		"/m/d.js":     "import.meta.hot.decline()\nexport const v = 1\n",
		"/m/app.js":   "import { log } from './trace.js'\nimport { v } from './d.js'\nlog.push('app')\nimport.meta.hot.accept()\nexport const x = () => v\n",
		"/m/top.js":   "import { log } from './trace.js'\nimport { x } from './app.js'\nlog.push('top')\nexport const y = () => x()\n",
	})
	tr := e.create("trace", "/m/trace.js")
	d := e.create("d", "/m/d.js")
	app := e.create("app", "/m/app.js")
	top := e.create("top", "/m/top.js")
	e.write("/m/d.js", "import.meta.hot.decline()\nexport const v = 2\n")
	if err := e.rt.ReloadModule(e.ctx, "d"); err != nil {
		t.Fatalf("reload of a declining module: %v", err)
	}
	if d.Version() != 2 || app.Version() != 2 || top.Version() != 2 {
		t.Errorf("versions d %d, app %d, top %d; want every importer evaluated again with it", d.Version(), app.Version(), top.Version())
	}
	if got := e.call(tr, "read"); !reflect.DeepEqual(got, []any{"app", "top", "app", "top"}) {
		t.Errorf("log = %v", got)
	}
	if got := e.call(top, "y"); got != int64(2) {
		t.Errorf("y() = %v", got)
	}
	// One transaction: an importer that fails leaves the declining module
	// on its version too.
	e.write("/m/top.js", "throw new Error('top is broken')\n")
	e.write("/m/d.js", "import.meta.hot.decline()\nexport const v = 3\n")
	if err := e.rt.ReloadModule(e.ctx, "d"); err == nil || !strings.Contains(err.Error(), "top is broken") {
		t.Errorf("reload with a broken importer: %v", err)
	}
	if d.Version() != 2 || top.Version() != 2 {
		t.Errorf("after a failed transaction: d %d, top %d", d.Version(), top.Version())
	}
}

// A hot.dispose callback that writes a hot.data key the new version already
// read comes too late for it, and must not reach the version after it
// either: v3 starts from what v2 left, not from v1's late write.
func TestLateHotDataWriteNeverReachesALaterVersion(t *testing.T) {
	src := "let n = import.meta.hot.data.n ?? 0\nexport const inc = () => ++n\nimport.meta.hot.dispose((d) => { d.n = n })\n"
	e := newEnv(t, map[string]string{"/m/late.js": src})
	m := e.create("late", "/m/late.js")
	for range 5 {
		e.call(m, "inc") // v1: n = 5
	}
	e.reload("late")
	e.call(m, "inc") // v2: n = 1
	e.reload("late")
	if got := e.call(m, "inc"); got != int64(1) {
		t.Errorf("v3 inc() = %v: v1's late write (5) reached v3; want 1", got)
	}
}

// vite:beforeUpdate, vite:afterUpdate, vite:beforePrune, vite:invalidate
// and vite:error reach every module listening, with Vite's payloads
// (packages/vite/types/hmrPayload.d.ts: UpdatePayload, Update,
// PrunePayload, ErrorPayload; types/customEvent.d.ts: InvalidatePayload;
// client.ts handleMessage: beforeUpdate before the update, afterUpdate
// after, beforePrune before prunePaths, error).
func TestViteEventsHaveVitePayloads(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/listen.js": `
export const seen = []
for (const ev of ['vite:beforeUpdate', 'vite:afterUpdate', 'vite:beforePrune', 'vite:invalidate', 'vite:error']) {
	import.meta.hot.on(ev, (p) => seen.push(ev + ' ' + JSON.stringify(p)))
}
export const take = () => seen.splice(0)
`,
		"/m/dep.js":  "export const v = 1\nexport const inv = () => import.meta.hot.invalidate('because')\n",
		"/m/app.js":  "import { v } from './dep.js'\nimport './gone.js'\nexport const x = () => v\nimport.meta.hot.accept('./dep.js', () => {})\n",
		"/m/gone.js": "export const g = 1\n",
	})
	events := e.events()
	l := e.create("listen", "/m/listen.js")
	dep := e.create("dep", "/m/dep.js")
	e.create("app", "/m/app.js")
	take := func() []map[string]any {
		t.Helper()
		var out []map[string]any
		for _, s := range e.call(l, "take").([]any) {
			name, js, _ := strings.Cut(s.(string), " ")
			var p map[string]any
			if err := json.Unmarshal([]byte(js), &p); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			p["event"] = name
			out = append(out, p)
		}
		return out
	}

	e.write("/m/dep.js", "export const v = 2\nexport const inv = () => import.meta.hot.invalidate('because')\n")
	e.reload("dep")
	got := take()
	if len(got) != 2 || got[0]["event"] != "vite:beforeUpdate" || got[1]["event"] != "vite:afterUpdate" {
		t.Fatalf("events of a reload: %v", got)
	}
	for _, p := range got {
		ups, _ := p["updates"].([]any)
		if p["type"] != "update" || len(ups) != 2 {
			t.Fatalf("%s payload %v", p["event"], p)
		}
		self, via := ups[0].(map[string]any), ups[1].(map[string]any)
		if self["type"] != "js-update" || self["path"] != "/m/dep.js" || self["acceptedPath"] != "/m/dep.js" {
			t.Errorf("update of dep: %v", self)
		}
		if via["path"] != "/m/app.js" || via["acceptedPath"] != "/m/dep.js" {
			t.Errorf("update through app's hot.accept('./dep.js'): %v", via)
		}
		if ts, ok := self["timestamp"].(float64); !ok || ts <= 0 {
			t.Errorf("timestamp %v", self["timestamp"])
		}
	}

	e.call(dep, "inv")
	got = take()
	if len(got) < 1 || got[0]["event"] != "vite:invalidate" ||
		got[0]["path"] != "/m/dep.js" || got[0]["message"] != "because" || got[0]["firstInvalidatedBy"] != "/m/dep.js" {
		t.Errorf("vite:invalidate: %v", got)
	}
	waitFor(t, events, typ(hotmod.EventReloaded, "dep")) // the reload it asked for
	// Its vite:afterUpdate may reach the listener after the event does:
	// drain until it has.
	afterUpdate := func(p map[string]any) bool { return p["event"] == "vite:afterUpdate" }
	for deadline, seen := time.Now().Add(5*time.Second), got; ; seen = take() {
		if slices.ContainsFunc(seen, afterUpdate) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the invalidate's reload sent no vite:afterUpdate")
		}
		time.Sleep(5 * time.Millisecond)
	}

	e.write("/m/dep.js", "export const v = (\n")
	if err := e.rt.ReloadModule(e.ctx, "dep"); err == nil {
		t.Fatal("the broken version loaded")
	}
	got = take()
	if len(got) != 1 || got[0]["event"] != "vite:error" || got[0]["type"] != "error" {
		t.Fatalf("events of a failed reload: %v", got)
	}
	errp, _ := got[0]["err"].(map[string]any)
	loc, _ := errp["loc"].(map[string]any)
	if msg, _ := errp["message"].(string); msg == "" || errp["id"] != "/m/dep.js" || loc["file"] != "/m/dep.js" || loc["line"] == nil {
		t.Errorf("vite:error payload %v", got[0])
	}

	e.write("/m/app.js", "import { v } from './dep.js'\nexport const x = () => v\n")
	e.reload("app")
	got = take()
	var prune map[string]any
	for _, p := range got {
		if p["event"] == "vite:beforePrune" {
			prune = p
		}
	}
	if prune == nil || prune["type"] != "prune" || !reflect.DeepEqual(prune["paths"], []any{"/m/gone.js"}) {
		t.Errorf("vite:beforePrune: %v", got)
	}
}

// A node_modules entry that is a symbolic link inside the store's folder
// (pnpm's layout: node_modules/foo -> .pnpm/foo@1.0.0/node_modules/foo,
// whose own dependencies are its siblings there; a workspace package
// linked from packages/) loads from a vfs.Dir as Node loads it, from its
// real path; a link leading outside the folder is refused, naming it.
func TestSymlinkedPackagesLoadFromDir(t *testing.T) {
	root := t.TempDir()
	write := func(p, src string) {
		t.Helper()
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		t.Helper()
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	pnpm := "node_modules/.pnpm/"
	write(pnpm+"foo@1.0.0/node_modules/foo/package.json", `{"name":"foo","main":"index.js"}`)
	write(pnpm+"foo@1.0.0/node_modules/foo/index.js", "const bar = require('bar')\nexports.greet = (n) => bar.hello(n)\n")
	write(pnpm+"bar@2.0.0/node_modules/bar/package.json", `{"name":"bar","exports":{".":{"require":"./lib.js"}}}`)
	write(pnpm+"bar@2.0.0/node_modules/bar/lib.js", "exports.hello = (n) => 'hello ' + n\n")
	link("../../bar@2.0.0/node_modules/bar", pnpm+"foo@1.0.0/node_modules/bar")
	link(".pnpm/foo@1.0.0/node_modules/foo", "node_modules/foo")
	write("packages/lib/package.json", `{"name":"@ws/lib","module":"index.mjs"}`)
	write("packages/lib/index.mjs", "import { greet } from 'foo'\nexport const welcome = (n) => greet(n) + '!'\n")
	link("../../packages/lib", "node_modules/@ws/lib")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "package.json"), []byte(`{"name":"evil"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	link(outside, "node_modules/evil")
	write("app.mjs", "import { welcome } from '@ws/lib'\nimport { greet } from 'foo'\nexport const run = () => [welcome('ada'), greet('bob')]\n")
	write("bad.mjs", "import 'evil'\nexport const x = 1\n")

	dir, err := vfs.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	e := newEnv(t, nil, func(o *hotmod.Options) { o.Store = dir })
	app := e.create("app", "/app.mjs")
	if got := e.call(app, "run"); !reflect.DeepEqual(got, []any{"hello ada!", "hello bob"}) {
		t.Errorf("run() = %v", got)
	}
	// foo, reached through two links, is one module, at its real path.
	n := 0
	for _, m := range e.rt.Modules() {
		if strings.HasSuffix(m.SourcePath(), "/foo/index.js") {
			n++
			if !strings.HasPrefix(m.SourcePath(), "/node_modules/.pnpm/foo@1.0.0/") {
				t.Errorf("foo loaded from %s, not its real path", m.SourcePath())
			}
		}
	}
	if n != 1 {
		t.Errorf("foo loaded %d times", n)
	}
	_, err = e.rt.CreateModule(e.ctx, "bad", "/bad.mjs")
	// A failed require carries its text only (engine.NewError): the text
	// is vfs.ErrOutsideRoot's, with the path.
	if err == nil || !strings.Contains(err.Error(), "outside the store's root") || !strings.Contains(err.Error(), "/node_modules/evil/") {
		t.Errorf("a package linked outside the folder: %v, want the store's refusal naming /node_modules/evil", err)
	}
}
