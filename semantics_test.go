package hotmod_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

// ES modules are strict, as in every engine (esbuild's CommonJS output had
// dropped the implied "use strict"); CommonJS and scripts stay sloppy.
func TestESModulesAreStrict(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/esm.js": `
export function frozenWrite() { const o = Object.freeze({ a: 1 }); o.a = 2; return o.a }
export function thisInPlainCall() { return (function () { return this })() === undefined }
export function implicitGlobal() { undeclaredName = 1; return 'created a global' }
`,
		"/m/cjs.js": `
exports.frozenWrite = function () { const o = Object.freeze({ a: 1 }); o.a = 2; return o.a }
exports.thisInPlainCall = function () { return (function () { return this })() === undefined }
`,
	})
	esm := e.create("esm", "/m/esm.js")
	if _, err := esm.Call(e.ctx, "frozenWrite"); err == nil || !strings.Contains(err.Error(), "TypeError") {
		t.Errorf("writing a frozen object in an ES module: %v, want a TypeError", err)
	}
	if got := e.call(esm, "thisInPlainCall"); got != true {
		t.Errorf("this in a plain call of an ES module: %v, want undefined", got)
	}
	var je *hotmod.JSError
	if _, err := esm.Call(e.ctx, "implicitGlobal"); !errors.As(err, &je) || je.Name != "ReferenceError" || je.Line != 4 {
		t.Errorf("assigning an undeclared name in an ES module: %v, want a ReferenceError at line 4", err)
	}
	cjs := e.create("cjs", "/m/cjs.js")
	if got := e.call(cjs, "frozenWrite"); got != int64(1) {
		t.Errorf("CommonJS stays sloppy: frozen write gave %v", got)
	}
	if got := e.call(cjs, "thisInPlainCall"); got != false {
		t.Errorf("CommonJS stays sloppy: this = %v", got)
	}
}

// A TypeScript importer may name util.ts as ./util.js (Node ESM, tsc,
// esbuild, Vite and tsx all allow it; zod's own sources do it).
func TestTypeScriptImportsNameTheirJavaScriptOutput(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/util.ts":   "export const twice = (n: number): number => n * 2",
		"/m/esm.mts":   "export const three: number = 3",
		"/m/main.ts":   "import { twice } from './util.js'\nimport { three } from './esm.mjs'\nexport const run = (): number => twice(three)",
		"/m/plain.js":  "import { twice } from './util.js'\nexport const run = () => twice(1)",
		"/m/both.js":   "export const which = 'js'",
		"/m/both.ts":   "export const which: string = 'ts'",
		"/m/prefer.ts": "export { which } from './both.js'",
	})
	if got := e.call(e.create("main", "/m/main.ts"), "run"); got != int64(6) {
		t.Errorf("main.run() = %v", got)
	}
	if _, err := e.rt.CreateModule(e.ctx, "plain", "/m/plain.js"); err == nil || !strings.Contains(err.Error(), "no file for ./util.js") {
		t.Errorf("a JavaScript importer does not get the TypeScript counterpart: %v", err)
	}
	if got, _ := e.create("prefer", "/m/prefer.ts").Get(e.ctx, "which"); got != "js" {
		t.Errorf("an existing .js file comes first: %v", got)
	}
}

// A class reached through an import is a live handle: new and instanceof
// work on it as on the class itself (semver was unusable without this).
func TestClassesThroughAHandle(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/shapes.js":   "export class Point { constructor(x) { this.x = x } get double() { return this.x * 2 } }\nexport default class Base {}",
		"/m/cjsclass.js": "class Range { constructor(r) { this.r = r } }\nmodule.exports = Range",
		"/m/use.js": `
import { Point } from './shapes.js'
import * as shapes from './shapes.js'
import Range from './cjsclass.js'
export function check() {
	const p = new Point(2)
	const r = new Range('1.x')
	return [p instanceof Point, p instanceof shapes.Point, p.double, r instanceof Range, r.r, Object.getPrototypeOf(p) === Point.prototype]
}`,
	})
	e.create("shapes", "/m/shapes.js")
	use := e.create("use", "/m/use.js")
	got, err := use.Call(e.ctx, "check")
	if err != nil {
		t.Fatal(err)
	}
	want := []any{true, true, int64(4), true, "1.x", true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("check() = %v, want %v", got, want)
	}
}

// Bare specifiers resolve as Node resolves them: node_modules up the
// importer's folders, package.json "exports" with conditions, subpath
// patterns and exclusions, else "module" for ES importers or "main".
func TestBareSpecifiersFollowNode(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/node_modules/@scope/pkg/package.json": `{"name": "@scope/pkg", "exports": {
			".": {"import": {"node": "./esm/index.mjs", "default": "./nope.js"}, "require": "./cjs/index.js"},
			"./feature/*": "./features/*.js",
			"./feature/secret": null,
			"./package.json": "./package.json"}}`,
		"/node_modules/@scope/pkg/esm/index.mjs":      "export const flavor = 'esm'",
		"/node_modules/@scope/pkg/cjs/index.js":       "exports.flavor = 'cjs'",
		"/node_modules/@scope/pkg/features/a.js":      "export const feature = 'a'",
		"/node_modules/@scope/pkg/features/secret.js": "export const feature = 'secret'",
		"/m/node_modules/dual/package.json":           `{"main": "cjs.js", "module": "esm"}`,
		"/m/node_modules/dual/cjs.js":                 "exports.flavor = 'main'",
		"/m/node_modules/dual/esm/index.js":           "export const flavor = 'module'",
		"/m/node_modules/bare/package.json":           `{}`,
		"/m/node_modules/bare/index.js":               "module.exports = function bare() { return 'index' }",
		"/m/app/esm.js": `
import { flavor } from '@scope/pkg'
import { feature } from '@scope/pkg/feature/a'
import pkg from '@scope/pkg/package.json'
import { flavor as dual } from 'dual'
import bare from 'bare'
export const all = () => [flavor, feature, pkg.name, dual, bare()]`,
		"/m/app/cjs.js":     "const { flavor } = require('@scope/pkg'); const dual = require('dual'); exports.all = () => [flavor, dual.flavor]",
		"/m/app/secret.js":  "import { feature } from '@scope/pkg/feature/secret'\nexport const f = feature",
		"/m/app/missing.js": "import 'left-pad'",
	})
	if got := e.call(e.create("esm", "/m/app/esm.js"), "all"); !reflect.DeepEqual(got, []any{"esm", "a", "@scope/pkg", "module", "index"}) {
		t.Errorf("from an ES module: %v", got)
	}
	if got := e.call(e.create("cjs", "/m/app/cjs.js"), "all"); !reflect.DeepEqual(got, []any{"cjs", "main"}) {
		t.Errorf("from CommonJS: %v", got)
	}
	if _, err := e.rt.CreateModule(e.ctx, "secret", "/m/app/secret.js"); err == nil || !strings.Contains(err.Error(), `does not export "./feature/secret"`) {
		t.Errorf("an excluded subpath: %v", err)
	}
	_, err := e.rt.CreateModule(e.ctx, "missing", "/m/app/missing.js")
	if err == nil || !strings.Contains(err.Error(), `"left-pad" is not installed`) || !strings.Contains(err.Error(), "/m/app/node_modules/left-pad") || !strings.Contains(err.Error(), "/m/app/missing.js:1") {
		t.Errorf("a package that is not there: %v", err)
	}
}

// Vite's import.meta.hot, beyond data and dispose: accept(dep, cb) and
// accept([deps], cb) (the importer is not evaluated again), prune,
// invalidate (evaluates again though the source is unchanged), on/off for
// the lifecycle events and for events from Go, and send.
func TestViteHotAPI(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/dep.js":   "export const n = 1",
		"/m/other.js": "export const o = 1",
		"/m/app.js": `
import { n } from './dep.js'
export const seen = []
export let evaluated = (globalThis.appEvaluations = (globalThis.appEvaluations || 0) + 1)
import.meta.hot.accept('./dep.js', (dep) => { seen.push('single ' + dep.n) })
import.meta.hot.accept(['./other.js', './dep.js'], ([other, dep]) => { seen.push('list ' + (other === undefined) + ' ' + dep.n) })
const onGo = (d) => seen.push('go ' + d.x)
import.meta.hot.on('from-go', onGo)
import.meta.hot.on('other', (d) => seen.push('other ' + d))
import.meta.hot.on('hotmod:beforeUpdate', (d) => seen.push('before ' + d.version))
import.meta.hot.on('hotmod:error', (d) => seen.push('error ' + d.version))
export function stopListening() { import.meta.hot.off('from-go', onGo) }
export function shout() { import.meta.hot.send('shout', { loud: true }) }
export function invalidate() { import.meta.hot.invalidate('because') }
import.meta.hot.prune(() => { globalThis.pruned = true })
`,
		"/m/ctl.js": "export const pruned = () => globalThis.pruned === true\nexport const evaluations = () => globalThis.appEvaluations",
	}, autoReload)
	events := e.events()
	e.create("dep", "/m/dep.js")
	app := e.create("app", "/m/app.js")
	ctl := e.create("ctl", "/m/ctl.js")

	e.write("/m/dep.js", "export const n = 2")
	waitFor(t, events, typ(hotmod.EventReloaded, "dep"))
	if err := e.rt.Send(e.ctx, "from-go", map[string]any{"x": 7}); err != nil {
		t.Fatal(err)
	}
	e.call(app, "stopListening")
	if err := e.rt.Send(e.ctx, "from-go", map[string]any{"x": 8}); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Send(e.ctx, "hotmod:afterUpdate", nil); err == nil {
		t.Error("Send of a hotmod: event must be refused")
	}
	got, _ := app.Get(e.ctx, "seen")
	want := []any{"single 2", "list true 2", "go 7"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("seen = %v, want %v", got, want)
	}
	if app.Version() != 1 || e.call(ctl, "evaluations") != int64(1) {
		t.Errorf("an accepted dependency update must not evaluate the importer again (version %d)", app.Version())
	}

	e.call(app, "shout")
	ev := waitFor(t, events, typ(hotmod.EventCustom, "app"))
	if ev.Name != "shout" || !reflect.DeepEqual(ev.Data, map[string]any{"loud": true}) {
		t.Errorf("hot.send: %+v", ev)
	}

	e.call(app, "invalidate")
	waitFor(t, events, typ(hotmod.EventReloaded, "app"))
	if app.Version() != 2 || e.call(ctl, "evaluations") != int64(2) {
		t.Errorf("invalidate() must evaluate the module again: version %d", app.Version())
	}
	if err := e.rt.RemoveModule(e.ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if e.call(ctl, "pruned") != true {
		t.Error("hot.prune callback did not run at removal")
	}
}

// The lifecycle events reach hot.on listeners: beforeUpdate on the serving
// version, error when its reload fails.
func TestHotLifecycleEvents(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": `
export const log = globalThis.log = globalThis.log || []
import.meta.hot.on('hotmod:beforeUpdate', (d) => log.push('before ' + d.id + ' ' + d.version + '->' + d.next))
import.meta.hot.on('hotmod:error', (d) => log.push('error ' + d.version))
`})
	m := e.create("a", "/m/a.js")
	e.write("/m/a.js", "throw new Error('broken')")
	if err := e.rt.ReloadModule(e.ctx, "a"); err == nil {
		t.Fatal("the broken version loaded")
	}
	got, _ := m.Get(e.ctx, "log")
	if !reflect.DeepEqual(got, []any{"before a 1->2", "error 1"}) {
		t.Errorf("log = %v", got)
	}
}

// A default import respects __esModule whatever the importer's extension:
// esbuild's Node mode, which .mjs and .mts file names turned on, gave an
// .mjs importer the whole module object (lodash-es's _() failed from one).
func TestDefaultImportInteropForEveryExtension(t *testing.T) {
	files := map[string]string{
		"/m/esm.js":     "export default function f() { return 'esm default' }\nexport const named = 1",
		"/m/cjs.js":     "module.exports = function () { return 'cjs whole' }\nmodule.exports.named = 2",
		"/m/flagged.js": "exports.__esModule = true\nexports.default = () => 'flagged default'",
	}
	body := "import a from './esm.js'\nimport b from './cjs.js'\nimport c from './flagged.js'\nexport const r = [a(), b(), c()]\n"
	exts := []string{".js", ".mjs", ".ts", ".mts", ".jsx", ".tsx"}
	for _, ext := range exts {
		files["/m/app"+ext] = body
	}
	files["/m/plain.mjs"] = "globalThis.plainRan = (function () { return this })() === undefined"
	e := newEnv(t, files)
	for _, ext := range exts {
		m := e.create("app"+ext, "/m/app"+ext)
		got, err := m.Get(e.ctx, "r")
		want := []any{"esm default", "cjs whole", "flagged default"}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("default imports from an %s importer = %v (%v), want %v", ext, got, err, want)
		}
	}
	// An .mjs file without import or export is still an ES module: strict,
	// and its top-level names are not exports.
	plain := e.create("plain", "/m/plain.mjs")
	if names, _ := plain.Exports(e.ctx); len(names) != 0 {
		t.Errorf("an .mjs without exports exports %v", names)
	}
	e.write("/m/probe.js", "exports.ran = () => globalThis.plainRan")
	if got := e.call(e.create("probe", "/m/probe.js"), "ran"); got != true {
		t.Errorf("an .mjs without import or export ran sloppy: this in a plain call was not undefined (%v)", got)
	}
}
