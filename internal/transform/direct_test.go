package transform

import (
	"strings"
	"testing"

	"github.com/dop251/goja"
)

// TestDirect pins which sources skip esbuild, and that what they compile
// to runs with the exports, strictness and positions esbuild's way gives.
func TestDirect(t *testing.T) {
	for _, c := range []struct {
		src    string
		direct bool
	}{
		{"export const s = '\\u{10FFFF}'\n", false},
		{"export const a = 1\nexport function f() { return a }\nexport class C {}\nexport let b\nexport async function g() {}\nexport function* h() {}\n", true},
		{"export const a = 1, b = 2\n", false},            // two names: esbuild
		{"const s = `\nexport function f() {}`\n", false}, // an export in a string
		{"export default 1\n", false},
		{"export { a }\nconst a = 1\n", false},
		{"import x from './x.js'\nexport const y = x\n", false},
		{"export const t = this\n", false},
		{"export const f = () => this\n", false},
		{"export class C { m() { return this } }\n", true},
		{"export const x = await (1)\n", false},
		{"export async function* g() {}\n", false},
		{"export const r = /a/d\n", false},
		{"// a comment\nexport function f() {} // export\n", false},
		{"const module = 1\nexport const m = module\n", false},
		{"function f() {}\n", false}, // a script: esbuild says so
	} {
		r := direct("/m.js", []byte(c.src), Options{})
		if (r != nil) != c.direct {
			t.Errorf("%q: direct %v, want %v", c.src, r != nil, c.direct)
		}
	}
	if direct("/m.ts", []byte("export const a = 1\n"), Options{}) != nil {
		t.Error("TypeScript skipped esbuild")
	}
	src := "export const a = 1\n\nexport function f(x) {\n  if (x) return a\n    ;undefinedName.y\n}\n"
	r := direct("/m.js", []byte(src), Options{})
	if r == nil {
		t.Fatal("not direct")
	}
	if strings.Join(r.ExportNames, ",") != "a,f" {
		t.Errorf("exports %v", r.ExportNames)
	}
	// Calls skip the export getters for esbuild's output: the direct way
	// must say which exports are fixed as well (it did not, and calls of
	// such modules cost 5 allocations instead of 1).
	if strings.Join(r.ConstExports, ",") != "a,f" {
		t.Errorf("const exports %v, want a and f", r.ConstExports)
	}
	viaEsbuild, err := compile("/m.js", []byte(src), nil, [32]byte{}, Options{Tsconfig: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(viaEsbuild.ExportNames, ",") != "a,f" {
		t.Errorf("esbuild's exports %v", viaEsbuild.ExportNames)
	}
	for _, res := range []*Result{r, viaEsbuild} {
		stack := runThrow(t, res)
		// goja reports a mapped column 0-based: the engine adds one.
		if !strings.Contains(stack, "at f (/m.js:5:5(") {
			t.Errorf("stack %q, want f at /m.js:5:5", stack)
		}
	}
}

// runThrow evaluates a compiled module in a bare runtime and returns the stack of
// f(false)'s ReferenceError.
func runThrow(t *testing.T, r *Result) string {
	t.Helper()
	vm := goja.New()
	fn, err := vm.RunProgram(r.Program)
	if err != nil {
		t.Fatal(err)
	}
	call, _ := goja.AssertFunction(fn)
	helpers, err := vm.RunProgram(HelpersProgram())
	if err != nil {
		t.Fatal(err)
	}
	exports, module := vm.NewObject(), vm.NewObject()
	_ = module.Set("exports", exports)
	args := []goja.Value{exports, goja.Undefined(), module}
	for len(args) < len(Params) {
		args = append(args, goja.Undefined())
	}
	for _, h := range helpers.Export().([]any) {
		args = append(args, vm.ToValue(h))
	}
	args = append(args, goja.Undefined())
	if _, err := call(goja.Undefined(), args...); err != nil {
		t.Fatal(err)
	}
	f, _ := goja.AssertFunction(module.Get("exports").ToObject(vm).Get("f"))
	_, err = f(goja.Undefined(), vm.ToValue(false))
	var ex *goja.Exception
	if err == nil || !asException(err, &ex) {
		t.Fatalf("f(false): %v", err)
	}
	return ex.String()
}

func asException(err error, ex **goja.Exception) bool {
	e, ok := err.(*goja.Exception)
	*ex = e
	return ok
}
