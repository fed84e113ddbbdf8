package transform

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
)

func newCompiler(t *testing.T, max int, dir string) *Compiler {
	t.Helper()
	c, err := NewCompiler(max, dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t *testing.T, r *Result) any {
	t.Helper()
	vm := goja.New()
	fn, err := vm.RunProgram(r.Program)
	if err != nil {
		t.Fatal(err)
	}
	call, _ := goja.AssertFunction(fn)
	module := vm.NewObject()
	exports := vm.NewObject()
	_ = module.Set("exports", exports)
	args := []goja.Value{exports, goja.Undefined(), module}
	for len(args) < len(Params) {
		args = append(args, goja.Undefined())
	}
	helpers, err := vm.RunProgram(HelpersProgram())
	if err != nil {
		t.Fatal(err)
	}
	for i := range Helpers() {
		args = append(args, helpers.ToObject(vm).Get(strconv.Itoa(i)))
	}
	if _, err := call(goja.Undefined(), args...); err != nil {
		t.Fatal(err)
	}
	return module.Get("exports").ToObject(vm).Get("answer").Export()
}

// esbuild's output is kept on disk by content: another Compiler (another
// process) on the same folder reads it instead of transpiling again; an
// entry that does not verify is a miss, and is written again.
func TestDiskCache(t *testing.T) {
	dir := t.TempDir()
	src := []byte("import { x } from './x.js'\nexport const answer: number = 42\n")
	first, err := newCompiler(t, 8, dir).Compile("/a.ts", src)
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			entries = append(entries, p)
		}
		return nil
	})
	if len(entries) != 1 {
		t.Fatalf("cache entries: %v, want one", entries)
	}
	again, err := newCompiler(t, 8, dir).Compile("/a.ts", src)
	if err != nil || again.Kind != first.Kind || !slices.Equal(again.Imports, first.Imports) || run(t, again) != int64(42) {
		t.Fatalf("from the cache: %+v, %v", again, err)
	}

	// What is on disk is what is used: an entry written for this source
	// with other code gives that code.
	c := newCompiler(t, 8, dir)
	forged := encodeTranspiled(&transpiled{kind: CommonJS, code: "module.exports = { answer: 7 }"})
	if err := os.WriteFile(entries[0], forged, 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Compile("/a.ts", src); err != nil || run(t, r) != int64(7) {
		t.Fatalf("a valid entry was not used: %v", err)
	}

	// A torn or flipped entry is a miss and is written again.
	b := encodeTranspiled(&transpiled{kind: ESModule, code: "x"})
	b[len(b)/2] ^= 0xff
	for _, bad := range [][]byte{b, forged[:len(forged)/2], nil, []byte("HMC1")} {
		if err := os.WriteFile(entries[0], bad, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := newCompiler(t, 8, dir).Compile("/a.ts", src)
		if err != nil || run(t, r) != int64(42) {
			t.Fatalf("a bad entry: %v", err)
		}
		got, err := os.ReadFile(entries[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeTranspiled(got); err != nil {
			t.Errorf("the bad entry was not written again: %v", err)
		}
	}
}

// esbuild's helpers are dropped from a converted module, whose references
// then reach the shared ones; one whose text differs keeps its own.
func TestSharedHelpers(t *testing.T) {
	if len(Helpers()) < 8 {
		t.Fatalf("shared helpers: %v", Helpers())
	}
	out, err := transpile("/a.js", []byte("import d from './y'\nexport * from './w'\nexport const answer = 42\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, parsed, err := wrap("/a.js", out.code, "", out.smap, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range innerFunction(parsed.Program).Body.List {
		if vs, ok := st.(*ast.VariableStatement); ok {
			if id, ok := vs.List[0].Target.(*ast.Identifier); ok && strings.HasPrefix(string(id.Name), "__") {
				t.Errorf("helper %s was not dropped", id.Name)
			}
		}
	}
	own := strings.Replace(out.code, "var __export = (target, all) => {", "var __export = (target, all, extra) => {", 1)
	_, parsed, err = wrap("/a.js", own, "", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	kept := false
	for _, d := range innerFunction(parsed.Program).DeclarationList {
		for _, b := range d.List {
			if id, ok := b.Target.(*ast.Identifier); ok && id.Name == "__export" {
				kept = true
			}
		}
	}
	if !kept {
		t.Error("a helper whose text differs lost its own definition")
	}
}
