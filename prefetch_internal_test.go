package hotmod

import (
	"context"
	"testing"

	"github.com/hotmod/hotmod/vfs"
)

// A reload that adds imports compiles them before it takes the realm:
// when the transaction starts, the new files are in the compiler's cache.
func TestImportsCompileOutsideTheRealm(t *testing.T) {
	ctx := context.Background()
	store := vfs.NewMem()
	files := map[string]string{
		"/app.js":          "export const v = 1",
		"/lib/new.ts":      "import { deep } from './deeper/d.js'\nexport const n: number = deep + 1",
		"/lib/deeper/d.js": "export const deep = 41",
	}
	for p, src := range files {
		if err := store.Write(ctx, p, []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := New(ctx, Options{Store: store, DisableAutoReload: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	app, err := rt.CreateModule(ctx, "app", "/app.js")
	if err != nil {
		t.Fatal(err)
	}
	_ = store.Write(ctx, "/app.js", []byte("import { n } from './lib/new.ts'\nexport const v = n"))
	if _, _, _, err := rt.readAndCompile(ctx, "/app.js"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/lib/new.ts", "/lib/deeper/d.js"} {
		if !rt.compiler.Cached(p, []byte(files[p])) {
			t.Errorf("%s was not compiled ahead of the reload", p)
		}
	}
	if err := rt.ReloadModule(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if v, _ := app.Get(ctx, "v"); v != int64(42) {
		t.Errorf("v = %v", v)
	}
}
