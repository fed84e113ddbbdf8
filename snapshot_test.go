package hotmod_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

func TestSnapshotRestore(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/a.js": "export const v = () => 'a1'\nlet n = 0\nexport const inc = () => ++n\nexport function __acceptHotReload(old) { n = old.inc() - 1 }",
		"/m/b.js": "export const v = () => 'b1'",
	}, autoReload)
	a, b := e.create("a", "/m/a.js"), e.create("b", "/m/b.js")
	e.call(a, "inc")
	snap, err := e.rt.Snapshot(e.ctx, "before-sale")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Modules) != 2 || snap.Modules[0].ID != "a" || snap.Modules[0].Version != 1 {
		t.Fatalf("snapshot %+v", snap)
	}
	events := e.events()
	e.write("/m/a.js", "export const v = () => 'a2'\nlet n = 0\nexport const inc = () => ++n\nexport function __acceptHotReload(old) { n = old.inc() - 1 }")
	waitFor(t, events, typ(hotmod.EventReloaded, "a"))
	e.write("/m/b.js", "export const v = () => 'b2'")
	waitFor(t, events, typ(hotmod.EventReloaded, "b"))

	if err := e.rt.Restore(e.ctx, "before-sale"); err != nil {
		t.Fatal(err)
	}
	if e.call(a, "v") != "a1" || e.call(b, "v") != "b1" {
		t.Errorf("after the restore: %v %v, want a1 b1", e.call(a, "v"), e.call(b, "v"))
	}
	if a.Version() != 3 || e.call(a, "inc") != int64(2) {
		t.Errorf("a is version %d and counts %v: a restore is a reload, state carried", a.Version(), e.call(a, "inc"))
	}
	// The store holds what serves, and its events reload nothing more.
	if src, _ := e.store.Read(e.ctx, "/m/b.js"); string(src) != "export const v = () => 'b1'" {
		t.Errorf("the store has %q", src)
	}
	waitFor(t, events, typ(hotmod.EventSnapshotRestored, ""))
	quiet := time.After(300 * time.Millisecond) // past the watcher's burst settling
	for done := false; !done; {
		select {
		case ev := <-events:
			if ev.Type == hotmod.EventReloaded {
				t.Errorf("the restore's store writes reloaded %s again", ev.Module)
			}
		case <-quiet:
			done = true
		}
	}
	names, err := e.rt.Snapshots(e.ctx)
	if err != nil || !slices.Equal(names, []string{"before-sale"}) {
		t.Errorf("Snapshots = %v, %v", names, err)
	}
	if _, err := e.rt.Snapshot(e.ctx, "../x"); !errors.Is(err, hotmod.ErrInvalidName) {
		t.Errorf("a bad name: %v", err)
	}
	if err := e.rt.Restore(e.ctx, "nope"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("a missing snapshot: %v", err)
	}
}

// One module that cannot go back stops every module from going back.
func TestSnapshotRestoreIsAtomic(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/a.js": "export const v = () => 'a1'",
		"/m/b.js": "export const v = () => 'b1'",
	})
	a, b := e.create("a", "/m/a.js"), e.create("b", "/m/b.js")
	if _, err := e.rt.Snapshot(e.ctx, "s"); err != nil {
		t.Fatal(err)
	}
	// Since the snapshot, b gained an export that a new module imports:
	// b's old source would break it, so neither a nor b goes back.
	e.write("/m/a.js", "export const v = () => 'a2'")
	e.write("/m/b.js", "export const v = () => 'b2'\nexport const extra = () => 1")
	if err := e.rt.ReloadModules(e.ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	e.write("/m/c.js", "import { extra } from './b.js'\nexport const c = () => extra()")
	e.create("c", "/m/c.js")
	err := e.rt.Restore(e.ctx, "s")
	var ie *hotmod.ImportError
	if !errors.As(err, &ie) || ie.Importer != "c" || !slices.Equal(ie.Missing, []string{"extra"}) {
		t.Fatalf("restore = %v, want c's import of extra to refuse it", err)
	}
	if e.call(a, "v") != "a2" || e.call(b, "v") != "b2" {
		t.Errorf("after a refused restore: %v %v, want a2 b2 (none restored)", e.call(a, "v"), e.call(b, "v"))
	}
	if src, _ := e.store.Read(e.ctx, "/m/a.js"); string(src) != "export const v = () => 'a2'" {
		t.Errorf("a refused restore wrote the store: %q", src)
	}
	// A module of the snapshot that is gone is named, and nothing changes.
	if err := e.rt.RemoveModule(e.ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Restore(e.ctx, "s"); !errors.Is(err, hotmod.ErrNotFound) || !strings.Contains(err.Error(), "modules a no longer exist") {
		t.Errorf("restore with a removed module: %v", err)
	}
}

// Snapshots live in the store: a Bolt file keeps them across restarts.
func TestSnapshotSurvivesRestartOnBolt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "modules.db")
	open := func() (vfs.Store, *hotmod.Runtime) {
		store, err := vfs.OpenBolt(file)
		if err != nil {
			t.Fatal(err)
		}
		rt, err := hotmod.New(context.Background(), hotmod.Options{Store: store, DisableAutoReload: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return store, rt
	}
	ctx := context.Background()
	store, rt := open()
	if err := store.Write(ctx, "/p.js", []byte("export const v = () => 1")); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.CreateModule(ctx, "p", "/p.js"); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Snapshot(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if err := store.Write(ctx, "/p.js", []byte("export const v = () => 2")); err != nil {
		t.Fatal(err)
	}
	_ = rt.Close(ctx)
	_ = store.Close()

	store, rt = open()
	defer store.Close()
	defer rt.Close(ctx)
	m, err := rt.CreateModule(ctx, "p", "/p.js")
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Restore(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Call(ctx, "v"); err != nil || v != int64(1) {
		t.Errorf("after the restart and restore: %v, %v", v, err)
	}
}
