package hotmod_test

import (
	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Vite's semantics as hotmod has them (RATIONALE.md, "Vite's semantics, as
// a server can have them"). The Vite sources cited are vitejs/vite at
// a98c8d95d552c6fa98ab66fb810f5b39ad5abf49.

// trace is a module that the others log into, and that a test reads.
const trace = "export const log = globalThis.log = globalThis.log || []\nexport const read = () => globalThis.log\n"

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
