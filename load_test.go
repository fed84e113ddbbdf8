package hotmod_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

func TestModuleKinds(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/esm.js":    "export const kind = 'esm'; export function twice(n) { return n * 2 }",
		"/m/cjs.js":    "module.exports = { kind: 'cjs', twice: n => n * 2 }",
		"/m/script.js": "const kind = 'script'\nfunction twice(n) { return n * 2 }",
		"/m/ts.ts":     "export const kind: string = 'ts'\nexport function twice(n: number): number { return n * 2 }",
		"/m/tsx.ts":    "const kind: string = 'ts-script'\nfunction twice(n: number): number { return n * 2 }",
		"/m/data.json": `{"kind": "json", "list": [1, 2]}`,
	})
	for _, tc := range []struct{ path, kind string }{
		{"/m/esm.js", "esm"}, {"/m/cjs.js", "cjs"}, {"/m/script.js", "script"}, {"/m/ts.ts", "ts"}, {"/m/tsx.ts", "ts-script"},
	} {
		m := e.create(tc.kind, tc.path)
		if got, _ := m.Get(e.ctx, "kind"); got != tc.kind {
			t.Errorf("%s: kind = %v", tc.path, got)
		}
		if got := e.call(m, "twice", 21); got != int64(42) {
			t.Errorf("%s: twice(21) = %v (%T)", tc.path, got, got)
		}
	}
	j := e.create("json", "/m/data.json")
	if got, _ := j.Get(e.ctx, "list"); !reflect.DeepEqual(got, []any{int64(1), int64(2)}) {
		t.Errorf("json list = %#v", got)
	}
}

func TestCreateErrors(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.js": "export const a = 1", "/m/empty.js": ""})
	e.create("a", "/m/a.js")
	if _, err := e.rt.CreateModule(e.ctx, "a", "/m/a.js"); !errors.Is(err, hotmod.ErrExists) {
		t.Errorf("second CreateModule with the same id: %v, want ErrExists", err)
	}
	if got, _ := e.rt.Module("a"); got == nil || got.Version() != 1 {
		t.Error("a failed duplicate create disturbed the existing module")
	}
	_, err := e.rt.CreateModule(e.ctx, "missing", "/m/missing.js")
	if !errors.Is(err, hotmod.ErrNotFound) || !errors.Is(err, vfs.ErrNotFound) {
		t.Errorf("missing source: %v, want ErrNotFound (both hotmod's and vfs's)", err)
	}
	if _, err := e.rt.Module("missing"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("a failed create left the id registered: %v", err)
	}
	// Empty is a valid, empty module, not "not found".
	empty := e.create("empty", "/m/empty.js")
	if names, err := empty.Exports(e.ctx); err != nil || len(names) != 0 {
		t.Errorf("empty module exports %v, %v", names, err)
	}
	for _, id := range []string{"", strings.Repeat("x", 300), "a\nb"} {
		if _, err := e.rt.CreateModule(e.ctx, id, "/m/a.js"); !errors.Is(err, hotmod.ErrInvalidID) {
			t.Errorf("CreateModule(%q): %v, want ErrInvalidID", id, err)
		}
	}
	if _, err := e.rt.CreateModule(e.ctx, "bad", "relative.js"); !errors.Is(err, vfs.ErrInvalidPath) {
		t.Errorf("relative source path: %v, want ErrInvalidPath", err)
	}
}

// Seed review, "Loading and export detection": a real parser decides.
func TestScriptExportsByParsing(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/s.js": `
// export const fromComment = 1 -- the word "export " in a comment keeps this a script
// function inComment() {}
const s = "function inString() {} var inStr = 1"
function outer() { var nested = 1; function nestedFn() {} return nested }
for (let i = 0; i < 2; i++) { }
function* gen() { yield 1 }
async function later() { return 'later' }
const ns = { Base: class { hello() { return 'base' } } }
class Derived extends ns.Base {}
const {a, b: [c, d = 4]} = {a: 1, b: [3]}
let x;
var __module = 'mine', __moduleId = 'mine too'
`})
	m := e.create("s", "/m/s.js")
	names, _ := m.Exports(e.ctx)
	want := []string{"s", "outer", "gen", "later", "ns", "Derived", "a", "c", "d", "x", "__module", "__moduleId"}
	if !slices.Equal(names, want) {
		t.Errorf("exports = %q\nwant      %q", names, want)
	}
	if got := e.call(m, "later"); got != "later" {
		t.Errorf("async function export: %v", got)
	}
	if got, _ := m.Get(e.ctx, "__module"); got != "mine" {
		t.Errorf("a module's own __module = %v: the loader's names must not collide", got)
	}
}

func TestLoaderNamesFreeForModules(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/script.js": "let require = 'mine'; let module = 1; let exports = 2; let console = 3; function get() { return [require, module, exports, console] }",
		"/m/esm.js":    "const setTimeout = 'shadowed'; export function get() { return setTimeout }",
	})
	if got := e.call(e.create("s", "/m/script.js"), "get"); !reflect.DeepEqual(got, []any{"mine", int64(1), int64(2), int64(3)}) {
		t.Errorf("script = %#v", got)
	}
	if got := e.call(e.create("e", "/m/esm.js"), "get"); got != "shadowed" {
		t.Errorf("esm = %#v", got)
	}
}

// Seed review, "The proxy": a handle behaves like the current exports for
// every operation, and falsy exports survive.
func TestJSProxyTraps(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/dep.js": "export const zero = 0, empty = '', no = false, nothing = null; export let n = 1; export function f() { return 'f' }",
		"/m/use.js": `
const dep = require('./dep.js')
const plain = require('./plain.js')
export function probe() {
	return {
		keys: Object.keys(dep).sort(),
		has: ['zero' in dep, 'missing' in dep],
		spread: Object.keys({...dep}).sort(),
		json: JSON.stringify(dep),
		falsy: [dep.zero, dep.empty, dep.no, dep.nothing],
		desc: Object.getOwnPropertyDescriptor(dep, 'zero') !== undefined,
		call: dep.f(),
		own: Reflect.ownKeys(plain),
		deleted: (delete plain.gone, 'gone' in plain),
		assigned: (plain.added = 5, plain.added),
	}
}`,
		"/m/plain.js": "module.exports = { gone: 1 }",
	})
	m := e.create("use", "/m/use.js")
	got := e.call(m, "probe").(map[string]any)
	want := map[string]any{
		"keys":     []any{"empty", "f", "n", "no", "nothing", "zero"},
		"has":      []any{true, false},
		"spread":   []any{"empty", "f", "n", "no", "nothing", "zero"},
		"json":     `{"empty":"","n":1,"no":false,"nothing":null,"zero":0}`, // esbuild sorts ES exports
		"falsy":    []any{int64(0), "", false, nil},
		"desc":     true,
		"call":     "f",
		"own":      []any{"gone"},
		"deleted":  false,
		"assigned": int64(5),
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	dep, _ := e.rt.Module("m/dep")
	for name, w := range map[string]any{"zero": int64(0), "empty": "", "no": false, "nothing": nil} {
		if v, err := dep.Get(e.ctx, name); err != nil || v != w {
			t.Errorf("Get(%s) = %#v, %v", name, v, err)
		}
	}
}

// Seed review: "set on a frozen module namespace failed silently".
func TestSetReportsFailure(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/esm.js":    "export let count = 1; export function get() { return count }",
		"/m/script.js": "let count = 1; const fixed = 2; function get() { return count }",
		"/m/frozen.js": "module.exports = Object.freeze({ a: 1 })",
	})
	esm := e.create("esm", "/m/esm.js")
	if err := esm.Set(e.ctx, "count", 5); !errors.Is(err, hotmod.ErrReadOnly) {
		t.Errorf("Set on an ES module export: %v, want ErrReadOnly", err)
	}
	script := e.create("script", "/m/script.js")
	if err := script.Set(e.ctx, "count", 5); err != nil {
		t.Fatalf("Set on a script's let: %v", err)
	}
	if got := e.call(script, "get"); got != int64(5) {
		t.Errorf("the script's own code sees %v after Set, want 5", got)
	}
	if err := script.Set(e.ctx, "fixed", 5); !errors.Is(err, hotmod.ErrReadOnly) {
		t.Errorf("Set on a const: %v, want ErrReadOnly", err)
	}
	if err := e.create("frozen", "/m/frozen.js").Set(e.ctx, "a", 2); !errors.Is(err, hotmod.ErrReadOnly) {
		t.Errorf("Set on a frozen export: %v, want ErrReadOnly", err)
	}
}

func TestRequireResolution(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/app/main.ts":      "import { a } from './lib/a'\nimport b from '../shared/b.js'\nimport data from './data.json'\nimport * as idx from './pkg'\nexport function all() { return [a(), b(), data.n, idx.name] }",
		"/app/lib/a.ts":     "export function a(): string { return 'a' }",
		"/shared/b.js":      "module.exports = () => 'b'",
		"/app/data.json":    `{"n": 3}`,
		"/app/pkg/index.js": "exports.name = 'pkg'",
		"/app/bare.js":      "require('lodash')",
		"/app/missing.js":   "require('./nope')",
		"/app/cycle/a.js":   "exports.fromB = () => require('./b.js').name; exports.name = 'a'",
		"/app/cycle/b.js":   "const a = require('./a.js'); exports.name = 'b'; exports.fromA = () => a.name",
	})
	m := e.create("main", "/app/main.ts")
	if got := e.call(m, "all"); !reflect.DeepEqual(got, []any{"a", "b", int64(3), "pkg"}) {
		t.Errorf("all() = %#v", got)
	}
	// Imported files are modules of their own, named by DefaultModuleID.
	for _, id := range []string{"app/lib/a", "shared/b", "app/data", "app/pkg/index"} {
		if _, err := e.rt.Module(id); err != nil {
			t.Errorf("imported module %s: %v", id, err)
		}
	}
	for _, p := range []string{"/app/bare.js", "/app/missing.js"} {
		_, err := e.rt.CreateModule(e.ctx, p, p)
		if err == nil || !strings.Contains(err.Error(), "require(") {
			t.Errorf("%s: %v, want a require error", p, err)
		}
	}
	a := e.create("cyc", "/app/cycle/a.js")
	if got := e.call(a, "fromB"); got != "b" {
		t.Errorf("cycle a→b: %v", got)
	}
	b, _ := e.rt.Module("app/cycle/b")
	if got := e.call(b, "fromA"); got != "a" {
		t.Errorf("cycle b→a: %v", got)
	}
}

func TestConversions(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/echo.js": `
export function echo(v) { return v }
export function describe(v) { return Object.prototype.toString.call(v) + (v instanceof Uint8Array ? ':' + Array.from(v).join(',') : '') }
export function year(d) { return d.getUTCFullYear() }
export function values() { return { undef: undefined, nul: null, big: 2n ** 70n, map: new Map([['k', 1]]), set: new Set([1, 2]), date: new Date(0), bytes: new Uint8Array([1, 2]), fn: function named() {}, float: 1.5, neg: -0 } }
export function cyclic() { const o = {}; o.self = o; return o }
export async function rejects() { throw new TypeError('nope') }
`})
	m := e.create("echo", "/m/echo.js")
	type point struct {
		X int    `json:"x"`
		Y string `json:"y"`
	}
	for _, in := range []any{
		nil, true, "s", 3.25, int64(7), []any{int64(1), "two"}, map[string]any{"a": int64(1)},
	} {
		if got := e.call(m, "echo", in); !reflect.DeepEqual(got, in) {
			t.Errorf("echo(%#v) = %#v", in, got)
		}
	}
	if got := e.call(m, "echo", point{1, "y"}); !reflect.DeepEqual(got, map[string]any{"x": int64(1), "y": "y"}) {
		t.Errorf("struct = %#v", got)
	}
	if got := e.call(m, "echo", json.RawMessage(`{"r":[true]}`)); !reflect.DeepEqual(got, map[string]any{"r": []any{true}}) {
		t.Errorf("raw JSON = %#v", got)
	}
	if got := e.call(m, "describe", []byte{9, 8}); got != "[object Uint8Array]:9,8" {
		t.Errorf("[]byte arrives as %v", got)
	}
	when := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	if got := e.call(m, "year", when); got != int64(2024) {
		t.Errorf("time.Time arrives as a Date? year = %v", got)
	}
	if got := e.call(m, "echo", when).(time.Time); !got.Equal(when) {
		t.Errorf("Date round trip = %v", got)
	}
	vals := e.call(m, "values").(map[string]any)
	big70 := new(big.Int).Lsh(big.NewInt(1), 70)
	if vals["undef"] != nil || vals["nul"] != nil || vals["big"].(*big.Int).Cmp(big70) != 0 ||
		!reflect.DeepEqual(vals["map"], map[string]any{"k": int64(1)}) || !reflect.DeepEqual(vals["set"], []any{int64(1), int64(2)}) ||
		!vals["date"].(time.Time).Equal(time.UnixMilli(0)) || !reflect.DeepEqual(vals["bytes"], []byte{1, 2}) ||
		vals["fn"] != (hotmod.Function{Name: "named"}) || vals["float"] != 1.5 || vals["neg"] != float64(0) {
		t.Errorf("values = %#v", vals)
	}
	if _, err := m.Call(e.ctx, "cyclic"); !errors.Is(err, hotmod.ErrConvert) {
		t.Errorf("cyclic result: %v, want ErrConvert", err)
	}
	if _, err := m.Call(e.ctx, "echo", func() {}); !errors.Is(err, hotmod.ErrConvert) || !strings.Contains(err.Error(), "argument 1") {
		t.Errorf("Go func argument: %v, want ErrConvert naming the argument", err)
	}
	_, err := m.Call(e.ctx, "rejects")
	var je *hotmod.JSError
	if !errors.As(err, &je) || je.Name != "TypeError" || je.Message != "nope" || je.File != "/m/echo.js" || je.Line != 7 || je.Column != 41 {
		t.Errorf("rejection: %v (%+v)", err, je)
	}
	if _, err := m.Call(e.ctx, "nothere"); !errors.Is(err, hotmod.ErrNotFunction) {
		t.Errorf("missing export: %v, want ErrNotFunction", err)
	}
}

func TestErrorsNameOriginalPositions(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/t.ts": "interface Opts { deep: boolean }\n\nexport function fail(o: Opts): never {\n  throw new RangeError('deep ' + o.deep)\n}\n"})
	_, err := e.create("t", "/m/t.ts").Call(e.ctx, "fail", map[string]any{"deep": true})
	var je *hotmod.JSError
	if !errors.As(err, &je) {
		t.Fatalf("%v: want a JSError", err)
	}
	if je.File != "/m/t.ts" || je.Line != 4 || je.Column != 9 || je.Message != "deep true" || !strings.Contains(je.Stack, "/m/t.ts:4:") {
		t.Errorf("error %q at %s:%d:%d, stack %q; want /m/t.ts:4:9 (the TypeScript source)", je.Message, je.File, je.Line, je.Column, je.Stack)
	}
	if !strings.Contains(err.Error(), "/m/t.ts:4:9") {
		t.Errorf("message %q does not name the place", err)
	}
}

func TestConsoleGoesToLogger(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/c.js": "export function hello(who) { console.log('hello', who, {n: 1}); console.error('bad thing'); const warn = console.warn; warn('detached') }"})
	e.call(e.create("greeter", "/m/c.js"), "hello", "world")
	logs := e.logs.String()
	for _, want := range []string{`level=INFO msg="hello world {\"n\":1}" module=greeter`, `level=ERROR msg="bad thing" module=greeter`,
		`level=WARN msg=detached module=greeter`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// A CommonJS module that exports a primitive gives its importers the value
// itself (core-js's engine-user-agent exports ” and its importers test it).
func TestRequireOfAPrimitiveExport(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/empty.js":  "module.exports = ''",
		"/m/answer.js": "module.exports = 42",
		"/m/app.js":    "const ua = require('./empty.js'), n = require('./answer.js')\nexports.run = () => [ua === '', !ua, n + 1]",
	})
	m := e.create("app", "/m/app.js")
	if got := fmt.Sprint(e.call(m, "run")); got != "[true true 43]" {
		t.Errorf("run() = %s, want [true true 43]", got)
	}
}

// LoadAll reports a module whose load was already under way (the store
// watcher's, an import's) by that load's outcome, not as loaded.
func TestLoadAllWaitsForALoadUnderWay(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/slow.js": "const end = Date.now() + 300\nwhile (Date.now() < end) {}\nthrow new Error('late')",
	})
	go func() { _, _ = e.rt.CreateModule(e.ctx, "slow", "/slow.js") }()
	eventually(t, "slow's first load to start", func() bool {
		m, err := e.rt.Module("slow")
		return err == nil && m.State() == hotmod.StateLoading
	})
	rep, err := e.rt.LoadAll(e.ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Loaded) != 0 || !strings.Contains(fmt.Sprint(rep.Failed["slow"]), "late") {
		t.Errorf("LoadAll = %+v, want slow failed with its error", rep)
	}
}
