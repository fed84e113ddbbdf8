package hotmod_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

type quote struct {
	SKU   string  `json:"sku"`
	Total float64 `json:"total"`
	Lines []struct {
		Qty int `json:"qty"`
	} `json:"lines"`
}

// hotmod.Call[T] converts a result by JSON's rules, and names the field
// that does not fit.
func TestTypedCall(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/q.js": `
export const quote = (sku) => ({ sku, total: 12.5, lines: [{ qty: 2 }, { qty: 3 }] })
export const bad = () => ({ sku: 7 })
export const n = () => 42
export const later = async () => 'done'
`})
	m := e.create("q", "/m/q.js")
	q, err := hotmod.Call[quote](e.ctx, m, "quote", "apple")
	if err != nil || q.SKU != "apple" || q.Total != 12.5 || len(q.Lines) != 2 || q.Lines[1].Qty != 3 {
		t.Errorf("Call[quote] = %+v, %v", q, err)
	}
	if n, err := hotmod.Call[int](e.ctx, m, "n"); err != nil || n != 42 {
		t.Errorf("Call[int] = %v, %v", n, err)
	}
	if s, err := hotmod.Call[string](e.ctx, m, "later"); err != nil || s != "done" {
		t.Errorf("Call[string] of a promise = %q, %v", s, err)
	}
	if _, err := hotmod.Call[quote](e.ctx, m, "bad"); err == nil || !strings.Contains(err.Error(), "field sku: a JavaScript number where string is wanted") {
		t.Errorf("a result that does not fit: %v", err)
	}
	if _, err := hotmod.Call[int](e.ctx, m, "nope"); !errors.Is(err, hotmod.ErrNotFunction) {
		t.Errorf("a missing function: %v", err)
	}
}

// The verbs a handle has of its own: Reload, Rollback, Patch, Profile,
// OnUpdate, Remove; and Get of a missing export is ErrNoExport.
func TestVerbsOnTheHandle(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/v.js": "export const f = () => 1\nexport const nothing = undefined\n"})
	m := e.create("v", "/m/v.js")
	var updates []int
	stop := m.OnUpdate(func(u hotmod.Update) { updates = append(updates, u.New) })
	defer stop()
	e.write("/m/v.js", "export const f = () => 2\n")
	if err := m.Reload(e.ctx); err != nil || e.call(m, "f") != int64(2) {
		t.Fatalf("Reload: %v", err)
	}
	if err := m.Rollback(e.ctx, 1); err != nil || e.call(m, "f") != int64(1) {
		t.Fatalf("Rollback: %v", err)
	}
	p, err := m.Patch(e.ctx, "f", "(orig) => () => orig() + 10")
	if err != nil || e.call(m, "f") != int64(11) {
		t.Fatalf("Patch: %v", err)
	}
	if err := p.RollbackContext(e.ctx); err != nil {
		t.Fatal(err)
	}
	prof, err := m.Profile()
	if err != nil {
		t.Fatal(err)
	}
	e.call(m, "f")
	if r := prof.Stop(); len(r.Functions) != 1 || r.Functions[0].Calls != 1 {
		t.Errorf("Profile: %+v", r)
	}
	if !reflect.DeepEqual(updates, []int{2, 1}) {
		t.Errorf("OnUpdate saw %v", updates)
	}
	if v, err := m.Get(e.ctx, "nothing"); err != nil || v != nil {
		t.Errorf("Get of an undefined export: %v, %v", v, err)
	}
	for _, name := range []string{"missing", "toString", "constructor"} {
		if _, err := m.Get(e.ctx, name); !errors.Is(err, hotmod.ErrNoExport) {
			t.Errorf("Get(%q): %v, want ErrNoExport", name, err)
		}
	}
	if err := m.Remove(e.ctx); err != nil || m.State() != hotmod.StateRemoved {
		t.Errorf("Remove: %v (state %s)", err, m.State())
	}
}

// A path without its leading slash gets an error that says so.
func TestRelativeSourcePathIsExplained(t *testing.T) {
	e := newEnv(t, map[string]string{"/counter.js": "export const n = 1"})
	_, err := e.rt.CreateModule(e.ctx, "counter", "counter.js")
	if !errors.Is(err, vfs.ErrInvalidPath) || !strings.Contains(err.Error(), `start with /, as in "/counter.js"`) {
		t.Errorf("a relative path: %v", err)
	}
}

// A Runtime runs from a read-only fs.FS (an embed.FS shipped in the binary).
func TestRuntimeFromFS(t *testing.T) {
	store := vfs.FromFS(fstest.MapFS{
		"modules/lib.ts": {Data: []byte("export const twice = (n: number): number => n * 2")},
		"modules/app.js": {Data: []byte("import { twice } from './lib.ts'\nexport const run = () => twice(21)")},
	})
	e := newEnv(t, nil, func(o *hotmod.Options) { o.Store = store; o.DisableAutoReload = false })
	if got := e.call(e.create("app", "/modules/app.js"), "run"); got != int64(42) {
		t.Errorf("run() = %v", got)
	}
}

// The exported types users name in errors.As are defined in public
// packages: an alias of an internal type shows no fields in go doc.
func TestExportedTypesAreNotInternalAliases(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		imports := map[string]string{}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			imports[path.Base(p)] = p
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !ts.Assign.IsValid() || !ts.Name.IsExported() {
				return true
			}
			if sel, ok := ts.Type.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && strings.Contains(imports[id.Name], "/internal/") {
					t.Errorf("%s: hotmod.%s is an alias of %s.%s, an internal type", fset.Position(ts.Pos()), ts.Name, imports[id.Name], sel.Sel)
				}
			}
			return true
		})
	}
}

// LoadAll loads every module source under a prefix and reports each
// failure; packages under node_modules, JSON and type declarations load
// only when imported.
func TestLoadAll(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/app/a.js":                          "import { v } from 'pkg'\nexport const a = v",
		"/app/b.ts":                          "export const b: number = 2",
		"/app/broken.js":                     "export const = 1",
		"/app/types.d.ts":                    "export type T = number",
		"/app/data.json":                     `{"x": 1}`,
		"/app/node_modules/pkg/index.js":     "export const v = 1",
		"/app/node_modules/pkg/package.json": `{"main": "index.js"}`,
		"/app/node_modules/pkg/unused.js":    "require('fs')",
		"/other/c.js":                        "export const c = 3",
	})
	rep, err := e.rt.LoadAll(e.ctx, "/app")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Loaded, []string{"app/a", "app/b"}) || len(rep.Failed) != 1 {
		t.Errorf("LoadAll = %+v", rep)
	}
	var se *hotmod.SourceError
	if err := rep.Failed["app/broken"]; !errors.As(err, &se) || se.Line != 1 {
		t.Errorf("the broken module's failure: %v", err)
	}
	// A package's files keep their extension: index.js and index.mjs may
	// both load.
	if _, err := e.rt.Module("app/node_modules/pkg/index.js"); err != nil {
		t.Errorf("the imported package file: %v", err)
	}
	if _, err := e.rt.Module("app/node_modules/pkg/unused.js"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("an unused package file was loaded: %v", err)
	}
	if again, err := e.rt.LoadAll(e.ctx, "/app"); err != nil || len(again.Loaded) != 2 {
		t.Errorf("LoadAll again: %+v, %v", again, err)
	}
}

// The README's embedding snippet is Example_embedding, line for line.
func TestReadmeSnippetIsAnExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Embedding\n\n```go\n")
	snippet, _, ok2 := strings.Cut(after, "```")
	if !ok || !ok2 {
		t.Fatal("no Go snippet under the README's Embedding heading")
	}
	_, body, _ := strings.Cut(string(example), "func Example_embedding() {")
	for _, line := range strings.Split(snippet, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.Contains(body, line) {
			t.Errorf("the README's snippet has a line Example_embedding lacks: %s", line)
		}
	}
}

// Every load and every successful reload is logged once, at INFO.
func TestLoadsAndReloadsAreLoggedOnce(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/dep.js": "export const d = 1", "/m/a.js": "import { d } from './dep.js'\nexport const a = d"})
	e.create("a", "/m/a.js")
	e.reload("a")
	logs := e.logs.String()
	for _, want := range []string{`msg="module loaded" module=a `, `msg="module loaded" module=m/dep `, `msg="module reloaded" module=a version=2`} {
		if n := strings.Count(logs, want); n != 1 {
			t.Errorf("%q logged %d times:\n%s", want, n, logs)
		}
	}
}

func TestDefaultModuleID(t *testing.T) {
	for p, id := range map[string]string{
		"/a.js":                          "a",
		"/lib/tax.ts":                    "lib/tax",
		"/x/y.test.mjs":                  "x/y.test",
		"/data.json":                     "data",
		"/node_modules/zod/lib/index.js": "node_modules/zod/lib/index.js",
		"/app/node_modules/p/index.mjs":  "app/node_modules/p/index.mjs",
	} {
		if got := hotmod.DefaultModuleID(p); got != id {
			t.Errorf("DefaultModuleID(%s) = %s, want %s", p, got, id)
		}
	}
}

// Two files that DefaultModuleID names alike cannot both load; the error
// names both files.
func TestDefaultModuleIDCollision(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/b.js": "export const x = 1",
		"/m/b.ts": "export const y: number = 2",
		"/m/a.js": "import { x } from './b.js'\nimport { y } from './b.ts'\nexport const s = x + y",
	})
	_, err := e.rt.CreateModule(e.ctx, "a", "/m/a.js")
	if err == nil || !strings.Contains(err.Error(), `/m/b.ts would be module "m/b", which already runs /m/b.js`) {
		t.Fatalf("colliding ids: %v", err)
	}
}

// Functions lists what Call can call, without converting the values.
func TestModuleFunctions(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/f.js": `
export function add(a, b) { return a + b }
export const n = 1
export const big = new Array(100000).fill(0)
export class K {}
export const arrow = () => 1
export const bad = { get x() { throw new Error('no') } }
`, "/m/c.js": "exports.f = () => 1; Object.defineProperty(exports, 'boom', { enumerable: true, get() { throw new Error('getter') } })"})
	m := e.create("f", "/m/f.js")
	got, err := m.Functions(e.ctx)
	if err != nil || !reflect.DeepEqual(got, []string{"K", "add", "arrow"}) { // esbuild sorts an ES module's exports
		t.Errorf("Functions() = %v, %v", got, err)
	}
	c := e.create("c", "/m/c.js")
	if got, err := c.Functions(e.ctx); err != nil || !reflect.DeepEqual(got, []string{"f"}) {
		t.Errorf("with a throwing getter: %v, %v", got, err)
	}
}

// Listing an ES module's exports needs no realm: a call that holds the
// realm does not hold up a listing (the server's /api/modules, the
// dashboard).
func TestExportsOfESModulesWithoutTheRealm(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/spin.js": "export function spin() { for (;;) {} }",
		"/m/esm.js":  "export function f() {}\nexport const n = 1",
		"/m/cjs.js":  "exports.g = () => 1",
	})
	spin := e.create("spin", "/m/spin.js")
	esm := e.create("esm", "/m/esm.js")
	cjs := e.create("cjs", "/m/cjs.js")
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
		defer cancel()
		close(started)
		_, err := spin.Call(ctx, "spin")
		done <- err
	}()
	<-started
	// Wait until the spin holds the realm: a CommonJS listing needs it.
	for deadline := time.Now().Add(5 * time.Second); ; {
		ctx, cancel := context.WithTimeout(e.ctx, 20*time.Millisecond)
		_, err := cjs.Exports(ctx)
		cancel()
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the spinning call never held the realm")
		}
	}
	ctx, cancel := context.WithTimeout(e.ctx, 200*time.Millisecond)
	defer cancel()
	names, err := esm.Exports(ctx)
	fns, err2 := esm.Functions(ctx)
	if err != nil || err2 != nil || !reflect.DeepEqual(names, []string{"f", "n"}) || !reflect.DeepEqual(fns, []string{"f"}) {
		t.Errorf("while the realm is busy: exports %v (%v), functions %v (%v)", names, err, fns, err2)
	}
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the spin: %v", err)
	}
}

// A module on its first load is listed as loading from the start: a load
// that takes long, or never ends, is visible before LoadTimeout.
func TestModuleListedWhileLoading(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/slow.js": "const until = Date.now() + 300\nwhile (Date.now() < until) {}\nexport const ok = 1"})
	done := make(chan error, 1)
	go func() {
		_, err := e.rt.CreateModule(e.ctx, "slow", "/m/slow.js")
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if m, err := e.rt.Module("slow"); err == nil {
			if m.State() == hotmod.StateLoading {
				if st := e.rt.Stats(); st.TotalModules != 1 || st.Modules[0].State != hotmod.StateLoading {
					t.Errorf("stats while it loads: %+v", st)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("never listed while loading")
		}
		time.Sleep(time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A module whose first load failed stays listed while it is loaded again.
func TestFailedModuleListedWhileRetried(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/b.js": "export const = 1"})
	if _, err := e.rt.CreateModule(e.ctx, "b", "/m/b.js"); err == nil {
		t.Fatal("a broken module loaded")
	}
	e.write("/m/b.js", "const until = Date.now() + 300\nwhile (Date.now() < until) {}\nexport const ok = 1")
	done := make(chan error, 1)
	go func() { done <- e.rt.ReloadModule(e.ctx, "b") }()
	for deadline := time.Now().Add(5 * time.Second); ; {
		m, err := e.rt.Module("b")
		if err != nil {
			t.Fatalf("while loading again: %v", err)
		}
		if m.State() == hotmod.StateLoading {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never saw it loading")
		}
		time.Sleep(time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m, err := e.rt.Module("b"); err != nil || m.Version() != 1 {
		t.Errorf("after the retry: %v", err)
	}
}

// Calling a missing export of a module with a throwing getter still says
// which functions there are.
func TestNotFunctionWithAThrowingGetter(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/c.js": "exports.f = () => 1; Object.defineProperty(exports, 'boom', { enumerable: true, get() { throw new Error('getter') } })"})
	m := e.create("c", "/m/c.js")
	_, err := m.Call(e.ctx, "nope")
	if !errors.Is(err, hotmod.ErrNotFunction) || !strings.Contains(err.Error(), `c has no export "nope" (its functions: f)`) {
		t.Errorf("%v", err)
	}
}

// Call gives NaN and the infinities to Go as the float64 values they are,
// at the top and inside (JSON cannot hold them; Go can).
func TestCallReturnsNaNAndInfinitiesAsFloats(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/n.js": `
export const top = () => [NaN, Infinity, -Infinity]
export const nested = () => ({ items: [1, { v: -Infinity }] })
`})
	m := e.create("n", "/m/n.js")
	got, _ := e.call(m, "top").([]any)
	if len(got) != 3 {
		t.Fatalf("top() = %#v", got)
	}
	if f, ok := got[0].(float64); !ok || !math.IsNaN(f) {
		t.Errorf("NaN = %#v", got[0])
	}
	if got[1] != math.Inf(1) || got[2] != math.Inf(-1) {
		t.Errorf("Infinity, -Infinity = %#v, %#v", got[1], got[2])
	}
	want := map[string]any{"items": []any{int64(1), map[string]any{"v": math.Inf(-1)}}}
	if got := e.call(m, "nested"); !reflect.DeepEqual(got, want) {
		t.Errorf("nested() = %#v, want %#v", got, want)
	}
}
