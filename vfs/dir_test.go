package vfs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/vfstest"
)

func openDir(t *testing.T) (*vfs.Dir, string) {
	t.Helper()
	root := t.TempDir()
	d, err := vfs.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, d.Path()
}

func TestDir(t *testing.T) {
	vfstest.TestStore(t, func(t *testing.T) vfs.Store {
		d, err := vfs.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

func TestNewDirMissing(t *testing.T) {
	if _, err := vfs.NewDir(filepath.Join(t.TempDir(), "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("NewDir of a missing folder: %v", err)
	}
}

func watchDir(t *testing.T, d *vfs.Dir) <-chan vfs.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := d.Watch(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func nextEvent(t *testing.T, ch <-chan vfs.Event) vfs.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch closed")
		}
		return ev
	case <-time.After(vfstest.Wait):
		t.Fatal("no event")
	}
	panic("unreachable")
}

// collectUntil gathers events until one for path stop arrives.
func collectUntil(t *testing.T, ch <-chan vfs.Event, stop string) []vfs.Event {
	t.Helper()
	var out []vfs.Event
	deadline := time.After(vfstest.Wait)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("watch closed")
			}
			out = append(out, ev)
			if ev.Path == stop {
				return out
			}
		case <-deadline:
			t.Fatalf("no event for %s; got %+v", stop, out)
		}
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The way vim saves by default (backupcopy=auto): probe with "4913", move
// the original to a backup "~" file, write the new file, drop the backup.
func vimSave(t *testing.T, name, content string) {
	dir := filepath.Dir(name)
	writeFile(t, filepath.Join(dir, "4913"), "")
	mustDo(t, os.Remove(filepath.Join(dir, "4913")))
	writeFile(t, filepath.Join(dir, "."+filepath.Base(name)+".swp"), "swap")
	mustDo(t, os.Rename(name, name+"~"))
	writeFile(t, name, content)
	mustDo(t, os.Remove(name+"~"))
	mustDo(t, os.Remove(filepath.Join(dir, "."+filepath.Base(name)+".swp")))
}

// An atomic save (VS Code with files.atomicSave, JetBrains, most tools):
// write a temporary file next to the target, then rename it over the target.
func atomicSave(t *testing.T, name, tmpName, content string) {
	tmp := filepath.Join(filepath.Dir(name), tmpName)
	writeFile(t, tmp, content)
	mustDo(t, os.Rename(tmp, name))
}

func TestDirEditorSaves(t *testing.T) {
	for _, tc := range []struct {
		name string
		save func(t *testing.T, file string)
	}{
		{"vim", func(t *testing.T, f string) { vimSave(t, f, "new") }},
		{"atomic-ignored-temp", func(t *testing.T, f string) { atomicSave(t, f, "mod.js.tmp", "new") }},
		{"atomic-unlisted-temp", func(t *testing.T, f string) { atomicSave(t, f, ".mod.js.4f2a9c", "new") }},
		{"atomic-jetbrains", func(t *testing.T, f string) { atomicSave(t, f, "mod.js___jb_tmp___", "new") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, root := openDir(t)
			file := filepath.Join(root, "mods", "mod.js")
			writeFile(t, file, "old")
			ch := watchDir(t, d)
			tc.save(t, file)
			// A sentinel written after the save: everything the save caused
			// is reported before it.
			writeFile(t, filepath.Join(root, "sentinel.js"), "s")
			evs := collectUntil(t, ch, "/sentinel.js")
			if tc.name == "atomic-unlisted-temp" && len(evs) == 4 && evs[0].Path == "/mods/.mod.js.4f2a9c" &&
				evs[0].Op == vfs.Created && evs[1].Path == evs[0].Path && evs[1].Op == vfs.Deleted {
				// A temp file of a name no editor is known for, closed
				// and then renamed later than the settle (a loaded
				// machine): it was a file of its own for that while, and
				// is reported so, before the save itself.
				evs = evs[2:]
			}
			want := []vfs.Event{{Path: "/mods/mod.js", Op: vfs.Modified}, {Path: "/sentinel.js", Op: vfs.Created}}
			if len(evs) != 2 || evs[0].Path != want[0].Path || evs[0].Op != want[0].Op || evs[1].Path != want[1].Path {
				t.Fatalf("events = %+v, want exactly %+v", evs, want)
			}
			if got, _ := d.Read(context.Background(), "/mods/mod.js"); string(got) != "new" {
				t.Fatalf("Read after the save = %q", got)
			}
		})
	}
}

func TestDirBurstOfWrites(t *testing.T) {
	d, root := openDir(t)
	ch := watchDir(t, d)
	file := filepath.Join(root, "burst.js")
	for i := range 100 {
		writeFile(t, file, fmt.Sprintf("v%d", i))
	}
	for {
		ev := collectUntil(t, ch, "/burst.js")[0]
		if ev.Path != "/burst.js" {
			t.Fatalf("unexpected event %+v", ev)
		}
		if got, _ := d.Read(context.Background(), ev.Path); string(got) == "v99" {
			return
		}
	}
}

func TestDirIgnoresEditorTempFiles(t *testing.T) {
	d, root := openDir(t)
	ch := watchDir(t, d)
	for _, name := range []string{".a.js.swp", ".a.js.swx", "a.js~", ".#a.js", "4913", "a.js.tmp"} {
		writeFile(t, filepath.Join(root, name), "x")
	}
	writeFile(t, filepath.Join(root, "real.js"), "r")
	if evs := collectUntil(t, ch, "/real.js"); len(evs) != 1 {
		t.Fatalf("temporary files were reported: %+v", evs)
	}
	got, err := d.List(context.Background(), "/")
	if err != nil || !slices.Equal(got, []string{"/real.js"}) {
		t.Fatalf("List = %q, %v; want only /real.js", got, err)
	}
}

func TestDirNewSubfolderWatched(t *testing.T) {
	d, root := openDir(t)
	ch := watchDir(t, d)
	// A folder created after the watch started, with a file already in it
	// (as mkdir -p && cp, or a git checkout, would make it).
	writeFile(t, filepath.Join(root, "new", "deeper", "first.js"), "1")
	if ev := collectUntil(t, ch, "/new/deeper/first.js"); ev[len(ev)-1].Op != vfs.Created {
		t.Fatalf("events %+v", ev)
	}
	// And later files in it are seen too.
	writeFile(t, filepath.Join(root, "new", "deeper", "second.js"), "2")
	collectUntil(t, ch, "/new/deeper/second.js")
	mustDo(t, os.RemoveAll(filepath.Join(root, "new")))
	seen := map[string]vfs.Op{}
	for len(seen) < 2 {
		ev := nextEvent(t, ch)
		seen[ev.Path] = ev.Op
	}
	if seen["/new/deeper/first.js"] != vfs.Deleted || seen["/new/deeper/second.js"] != vfs.Deleted {
		t.Fatalf("removing the folder reported %v", seen)
	}
}

func TestDirSymlinksOutsideNotFollowed(t *testing.T) {
	d, root := openDir(t)
	outside := filepath.Join(t.TempDir(), "secret.txt")
	writeFile(t, outside, "secret")
	mustDo(t, os.Symlink(outside, filepath.Join(root, "escape.js")))
	mustDo(t, os.Symlink("../../../../../../../../"+outside, filepath.Join(root, "relative-escape.js")))
	writeFile(t, filepath.Join(root, "inside.js"), "inside")
	mustDo(t, os.Symlink("inside.js", filepath.Join(root, "alias.js")))
	ctx := context.Background()
	for _, p := range []string{"/escape.js", "/relative-escape.js"} {
		if got, err := d.Read(ctx, p); !errors.Is(err, vfs.ErrOutsideRoot) {
			t.Errorf("Read(%s) = %q, %v; want ErrOutsideRoot", p, got, err)
		}
	}
	if got, err := d.Read(ctx, "/alias.js"); err != nil || string(got) != "inside" {
		t.Errorf("a link inside the folder: %q, %v", got, err)
	}
	got, _ := d.List(ctx, "/")
	if !slices.Equal(got, []string{"/alias.js", "/inside.js"}) {
		t.Errorf("List = %q: links leading outside must not be listed", got)
	}
}

func ExampleNewDir() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root, err := os.MkdirTemp("", "hotmod")
	check(err)
	defer os.RemoveAll(root)
	store, err := vfs.NewDir(root)
	check(err)
	defer store.Close()
	events, err := store.Watch(ctx, "/modules")
	check(err)
	// An editor (or anything else) saves a file in the folder.
	check(os.MkdirAll(filepath.Join(root, "modules"), 0o755))
	check(os.WriteFile(filepath.Join(root, "modules", "rules.js"), []byte("export const limit = 3"), 0o644))
	ev := <-events
	fmt.Println(ev.Path, ev.Op)
	// Output: /modules/rules.js created
}

// A file written slowly, in pieces, is reported once its writer closes it,
// never while it is half written: a reader never sees a torn file.
func TestDirSlowWriteIsNotTorn(t *testing.T) {
	// A window far longer than the pauses between the pieces, however
	// slow the machine: the file is reported when it is closed, not
	// when it was quiet for the window (the fallback for writers that
	// never close).
	root := t.TempDir()
	d, err := vfs.NewDir(root, vfs.WithCoalesceWindow(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	root = d.Path()
	ch := watchDir(t, d)
	f, err := os.Create(filepath.Join(root, "slow.js"))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := range 5 {
		piece := fmt.Sprintf("export const p%d = %d\n", i, i)
		want.WriteString(piece)
		if _, err := f.WriteString(piece); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-ch:
			got, _ := d.Read(context.Background(), ev.Path)
			t.Fatalf("reported while being written (%d of 5 pieces): %+v, reads %q", i+1, ev, got)
		case <-time.After(8 * time.Millisecond): // longer than the settle after a close
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, ch)
	if got, _ := d.Read(context.Background(), ev.Path); ev.Path != "/slow.js" || string(got) != want.String() {
		t.Fatalf("after the close: %+v reads %q", ev, got)
	}
}

// RealPath follows links inside the folder, component by component,
// relative or absolute, and refuses, naming the path, one that leaves it.
func TestDirRealPath(t *testing.T) {
	d, root := openDir(t)
	ctx := context.Background()
	writeFile(t, filepath.Join(root, "store", "pkg@1", "node_modules", "pkg", "index.js"), "x")
	mustDo(t, os.MkdirAll(filepath.Join(root, "node_modules", "@s"), 0o755))
	mustDo(t, os.Symlink("../store/pkg@1/node_modules/pkg", filepath.Join(root, "node_modules", "pkg")))
	mustDo(t, os.Symlink("../pkg", filepath.Join(root, "node_modules", "@s", "via"))) // a link to a link
	mustDo(t, os.Symlink(filepath.Join(root, "store"), filepath.Join(root, "abs")))
	mustDo(t, os.Symlink(t.TempDir(), filepath.Join(root, "node_modules", "out")))
	mustDo(t, os.Symlink("../../..", filepath.Join(root, "node_modules", "up")))
	mustDo(t, os.Symlink("loop", filepath.Join(root, "loop")))
	for p, want := range map[string]string{
		"/node_modules/pkg":             "/store/pkg@1/node_modules/pkg",
		"/node_modules/@s/via/index.js": "/store/pkg@1/node_modules/pkg/index.js",
		"/abs/pkg@1":                    "/store/pkg@1",
		"/store":                        "/store",
	} {
		if got, err := d.RealPath(ctx, p); err != nil || got != want {
			t.Errorf("RealPath(%s) = %q, %v; want %q", p, got, err, want)
		}
	}
	for _, p := range []string{"/node_modules/out", "/node_modules/up/x"} {
		if _, err := d.RealPath(ctx, p); !errors.Is(err, vfs.ErrOutsideRoot) || !strings.Contains(err.Error(), p) {
			t.Errorf("RealPath(%s): %v, want ErrOutsideRoot naming it", p, err)
		}
	}
	if _, err := d.RealPath(ctx, "/missing"); !errors.Is(err, vfs.ErrNotFound) {
		t.Errorf("RealPath of a missing path: %v", err)
	}
	if _, err := d.RealPath(ctx, "/loop"); err == nil {
		t.Error("RealPath of a link loop succeeded")
	}
}
