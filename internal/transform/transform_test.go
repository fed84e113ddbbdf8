package transform

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestKindsAndScriptExports(t *testing.T) {
	c := newCompiler(t, 16, "")
	for _, tc := range []struct {
		name, file, src string
		kind            Kind
		exports         []string
	}{
		{"empty", "/e.js", "", Script, nil},
		{"declarations", "/a.js", `
function plain() {}
async function later() {}
function* gen() {}
class Base {}
const ns = { B: class {} }
class Derived extends ns.B {}
var v = 1, w = 2
let x;
const {a, b: renamed, c: {d}, ...rest} = {a: 1, b: 2, c: {d: 3}}
const [first, , third = 3, ...others] = [1, 2, 3]
`, Script, []string{"plain", "later", "gen", "Base", "ns", "Derived", "v", "w", "x", "a", "renamed", "d", "rest", "first", "third", "others"}},
		{"nothing nested, nothing in comments or strings", "/n.js", `
// function inComment() {}  const alsoComment = 1
/* class InBlock {} */
const s = "function inString() {} var inStr = 1"
const tpl = ` + "`let inTemplate = ${1}`" + `
function outer() { var inner = 1; function nestedFn() {} }
for (let i = 0; i < 1; i++) { var loopVar = i }
{ let blockScoped = 1 }
if (true) { function inIf() {} }
`, Script, []string{"s", "tpl", "outer"}},
		{"export in a comment is still a script", "/c.js", "// export const x = 1\nfunction f() {}", Script, []string{"f"}},
		{"esm", "/m.js", "export const x = 1; export default function () {}", ESModule, nil},
		{"esm import only", "/i.js", "import './other.js'", ESModule, nil},
		{"commonjs", "/cjs.js", "module.exports = { a: 1 }", CommonJS, nil},
		{"commonjs exports.x", "/cjs2.js", "exports.a = 1", CommonJS, nil},
		{"typescript script", "/t.ts", "const n: number = 1\nfunction f(x: string): string { return x }\ninterface I { a: number }\ntype T = string\nenum Color { Red }", Script, []string{"n", "f", "Color"}},
		{"typescript module", "/m.ts", "export function f(x: number): number { return x * 2 }", ESModule, nil},
		{"async generator (lowered) keeps only user names", "/g.js", "async function* ag() { yield 1 }\nasync function fa() { for await (const x of ag()) {} }\nvar keep = 1", Script, []string{"ag", "fa", "keep"}},
		{"loader's names are free for the module", "/own.js", "var __module = 1; let __moduleId = 2; let exports2 = 3; let require = 4", Script, []string{"__module", "__moduleId", "exports2", "require"}},
		{"json", "/d.json", `{"a": [1, 2]}`, JSON, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Compile(tc.file, []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tc.kind {
				t.Errorf("kind = %v, want %v", r.Kind, tc.kind)
			}
			if !slices.Equal(r.Exports, tc.exports) {
				t.Errorf("exports = %q, want %q", r.Exports, tc.exports)
			}
			if r.Program == nil {
				t.Error("no program")
			}
		})
	}
}

func TestSyntaxErrorsNameThePlace(t *testing.T) {
	c := newCompiler(t, 4, "")
	for _, tc := range []struct {
		file, src  string
		line, col  int
		msgContent string
	}{
		{"/bad.js", "const a = 1\nconst b = (\n", 3, 1, "Unexpected end of file"},
		{"/bad.ts", "let x: number = 1\nfunction f(a: number {\n}", 2, 22, "Expected"},
		{"/bad.json", "{\n  \"a\": 1,\n}", 3, 1, "invalid JSON"},
	} {
		_, err := c.Compile(tc.file, []byte(tc.src))
		var se *SourceError
		if !errors.As(err, &se) {
			t.Fatalf("%s: %v, want a SourceError", tc.file, err)
		}
		if se.File != tc.file || se.Line != tc.line || se.Column != tc.col || !strings.Contains(se.Message, tc.msgContent) {
			t.Errorf("%s: %v (line %d col %d), want %d:%d containing %q", tc.file, se, se.Line, se.Column, tc.line, tc.col, tc.msgContent)
		}
	}
}

func TestCacheByContent(t *testing.T) {
	c := newCompiler(t, 2, "")
	a, _ := c.Compile("/a.js", []byte("var a"))
	b, _ := c.Compile("/a.js", []byte("var a"))
	if a != b {
		t.Error("same path and content compiled twice")
	}
	other, _ := c.Compile("/b.js", []byte("var a"))
	if other == a {
		t.Error("different paths shared a result (source maps name the file)")
	}
	c.Compile("/c.js", []byte("var a"))
	if len(c.byPath) != 2 {
		t.Errorf("cache holds %d results, bound is 2", len(c.byPath))
	}
	// An edit supersedes the path's result: only the newest is kept.
	c.Compile("/c.js", []byte("var b"))
	if len(c.byPath) != 2 || c.Cached("/c.js", []byte("var a")) || !c.Cached("/c.js", []byte("var b")) {
		t.Errorf("after an edit: %d results, old cached %v", len(c.byPath), c.Cached("/c.js", []byte("var a")))
	}
}

func TestConstExports(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"export function add(a, b) { return a + b }\nexport let n = 1\nexport const k = () => 1\nexport default function () {}\nexport { add as plus }\nexport class C {}\nexport var v = 2", "C add default k n plus v"},
		{"export let c = 0\nexport function inc() { c++ }", "inc"},
		{"export let h\nexport function set(x) { h = x }", "set"},
		{"export let a = 1, b = 2\nexport function f() { [a] = [3]; ({ b } = { b: 4 }) }", "f"},
		{"export function f() {}\nf = () => 2", ""},
		// Compiled without esbuild (no renaming of the inner f), a written
		// name that shadows an export counts as a write: the safe side.
		{"export function f() {}\nfunction g() { let f = 1; f = 2; return f }", ""},
		{"export var v = 1\nvar v = 2", ""},
		{"export { q } from './q.js'\nexport * from './z.js'\nexport const x = 1", "x"},
		{"export const x = 1\nexport function f(s) { return eval(s) }", ""},
		{"export const x = 1\nmodule.exports = {}", ""},
		{"export const x = 1\nfor (x of []) {}", ""},
		{"export let i = 0\nfor (i = 0; i < 2; i++) {}", ""},
		{"export enum E { A }\nexport namespace N { export const y = 1 }", "E"},
	} {
		c := newCompiler(t, 8, "")
		file := "/m.js"
		if strings.Contains(tc.src, "enum") {
			file = "/m.ts"
		}
		r, err := c.Compile(file, []byte(tc.src))
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		if got := strings.Join(r.ConstExports, " "); got != tc.want {
			t.Errorf("%q: const exports %q, want %q", tc.src, got, tc.want)
		}
	}
}
