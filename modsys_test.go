package hotmod_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// nodeProgramCase is a program of ES modules run by Node 20 and by hotmod: the
// entry /main.mjs exports run(), whose (awaited) result is compared as
// JSON. node is Node's answer as recorded, used when node is not on PATH
// and checked against Node when it is.
type nodeProgramCase struct {
	name  string
	files map[string]string
	node  string
}

// nodeProgramAnswer runs c under Node when it is installed, and returns its
// answer; else the recorded one.
func nodeProgramAnswer(t *testing.T, c nodeProgramCase) string {
	t.Helper()
	bin, err := exec.LookPath("node")
	if err != nil {
		t.Logf("node is not on PATH: using the recorded answer %s", c.node)
		return c.node
	}
	dir := t.TempDir()
	for p, src := range c.files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runner := "import { run } from './main.mjs'\nconsole.log(JSON.stringify(await run()))\n"
	if err := os.WriteFile(filepath.Join(dir, "runner.mjs"), []byte(runner), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, filepath.Join(dir, "runner.mjs")).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	if got != c.node {
		t.Errorf("the recorded answer %s is not Node's %s: update the table", c.node, got)
	}
	return got
}

// hotmodAnswer loads c's /main.mjs in e and returns run()'s result as JSON.
func hotmodAnswer(t *testing.T, e *env) string {
	t.Helper()
	m := e.create("main", "/main.mjs")
	return callJSON(t, e, m)
}

func callJSON(t *testing.T, e *env, m *hotmod.Module) string {
	t.Helper()
	b, err := json.Marshal(e.call(m, "run"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Top-level await: a module's evaluation is awaited before it counts as
// loaded, and an importer (with or without a top-level await of its own)
// runs only once its dependency's has settled, as in Node.
func TestTopLevelAwaitIsAwaitedAndImportersWaitForIt(t *testing.T) {
	c := nodeProgramCase{
		name: "tla",
		files: map[string]string{
			"/dep.mjs":  "export let value = 'early'\nawait new Promise(r => setTimeout(r, 20))\nvalue = 'late'\nexport const got = await Promise.resolve(42)\n",
			"/mid.mjs":  "import { value } from './dep.mjs'\nexport const seen = value\n",
			"/main.mjs": "import { seen } from './mid.mjs'\nimport { got } from './dep.mjs'\nconst t = await Promise.resolve('tla')\nexport async function run() { return [seen, got, t] }\n",
		},
		node: `["late",42,"tla"]`,
	}
	want := nodeProgramAnswer(t, c)
	e := newEnv(t, c.files)
	if got := hotmodAnswer(t, e); got != want {
		t.Fatalf("hotmod: %s, Node: %s", got, want)
	}
	// A reload's top-level await is awaited too, before the swap.
	e.write("/main.mjs", "import { seen } from './mid.mjs'\nawait new Promise(r => setTimeout(r, 10))\nexport async function run() { return [seen, 'v2'] }\n")
	e.reload("main")
	m, _ := e.rt.Module("main")
	if got := callJSON(t, e, m); got != `["late","v2"]` {
		t.Fatalf("after reload: %s", got)
	}
	// A rejected top-level await fails the load at its place.
	e.write("/bad.mjs", "export const x = 1\nawait Promise.reject(new Error('nope'))\n")
	_, err := e.rt.CreateModule(e.ctx, "bad", "/bad.mjs")
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("a rejected top-level await: %v", err)
	}
}

// import() of a literal or computed specifier gives a promise of the
// namespace, rejects for a missing module, and the modules it reached are
// part of the graph: a change to one reloads it under its importer.
func TestDynamicImportResolvesLikeImportAndJoinsTheGraph(t *testing.T) {
	c := nodeProgramCase{
		name: "import()",
		files: map[string]string{
			"/lib.mjs":  "export const v = 1\nexport default 'd'\n",
			"/cjs.cjs":  "module.exports = { c: 'cjs' }\n",
			"/main.mjs": "const name = './lib' + '.mjs'\nexport async function run() {\n  const a = await import('./lib.mjs')\n  const b = await import(name)\n  const c = await import('./cjs.cjs')\n  let missing = false\n  try { await import('./nope.mjs') } catch { missing = true }\n  return [a.v, a.default, b.v, c.default.c, missing]\n}\n",
		},
		node: `[1,"d",1,"cjs",true]`,
	}
	want := nodeProgramAnswer(t, c)
	e := newEnv(t, c.files, autoReload)
	if got := hotmodAnswer(t, e); got != want {
		t.Fatalf("hotmod: %s, Node: %s", got, want)
	}
	ev := e.events()
	e.write("/lib.mjs", "export const v = 2\nexport default 'd2'\n")
	waitFor(t, ev, func(ev hotmod.Event) bool { return ev.Type == hotmod.EventReloaded && ev.Path == "/lib.mjs" })
	m, _ := e.rt.Module("main")
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := callJSON(t, e, m)
		if got == `[2,"d2",2,"cjs",true]` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the change: %s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// nodeProgramFailure runs c under Node when it is installed and returns the
// SyntaxError line Node stops with; else the recorded one.
func nodeProgramFailure(t *testing.T, c nodeProgramCase) string {
	t.Helper()
	bin, err := exec.LookPath("node")
	if err != nil {
		return c.node
	}
	dir := t.TempDir()
	for p, src := range c.files {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(bin, filepath.Join(dir, "main.mjs")).CombinedOutput()
	if err == nil {
		t.Fatalf("node ran %s without an error", c.name)
	}
	var got string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "SyntaxError: ") {
			got = line
		}
	}
	if got != c.node {
		t.Errorf("the recorded answer %q is not Node's %q: update the table", c.node, got)
	}
	return got
}

// On a first load, as on a reload, importing a name an ES module does not
// export (or the default of one without a default) fails the load at the
// importer's position, as Node's link does.
func TestFirstLoadRefusesAnImportTheModuleDoesNotExport(t *testing.T) {
	for _, c := range []nodeProgramCase{
		{
			name: "named",
			files: map[string]string{
				"/dep.mjs":  "export const here = 1\n",
				"/main.mjs": "\nimport { here, nope } from './dep.mjs'\nexport function run() { return [here, nope] }\n",
			},
			node: "SyntaxError: The requested module './dep.mjs' does not provide an export named 'nope'",
		},
		{
			name: "default",
			files: map[string]string{
				"/dep.mjs":  "export const here = 1\n",
				"/main.mjs": "import d from './dep.mjs'\nexport function run() { return d }\n",
			},
			node: "SyntaxError: The requested module './dep.mjs' does not provide an export named 'default'",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := nodeProgramFailure(t, c)
			name := want[strings.LastIndex(want, " ")+2 : len(want)-1]
			e := newEnv(t, c.files)
			_, err := e.rt.CreateModule(e.ctx, "main", "/main.mjs")
			var ie *hotmod.ImportError
			if !errors.As(err, &ie) || !slices.Contains(ie.Missing, name) {
				t.Fatalf("CreateModule: %v; Node: %s", err, want)
			}
			pos, ok := hotmod.PositionOf(err)
			line := strings.Index(c.files["/main.mjs"], "import")
			wantLine := 1 + strings.Count(c.files["/main.mjs"][:line], "\n")
			if !ok || pos.File != "/main.mjs" || pos.Line != wantLine || pos.Column < 1 {
				t.Fatalf("position %+v, want /main.mjs:%d", pos, wantLine)
			}
			if !strings.Contains(err.Error(), "does not export") {
				t.Fatalf("message: %v", err)
			}
		})
	}
}
