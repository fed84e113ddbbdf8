package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

// editorSave writes a file the way editors do: a temporary file next to it,
// then a rename over it.
func editorSave(t *testing.T, file, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(file), "."+filepath.Base(file)+".swp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

func TestAutoReloadOnDirStore(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "rules", "limit.ts")
	editorSave(t, file, "export const limit: number = 1\nexport function check(n: number) { return n <= limit }")
	dir, err := vfs.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	e := newEnv(t, nil, autoReload, func(o *hotmod.Options) { o.Store = dir })
	events := e.events()
	m := e.create("limit", "/rules/limit.ts")
	if got := e.call(m, "check", 2); got != false {
		t.Fatalf("check(2) = %v", got)
	}

	editorSave(t, file, "export const limit: number = 5\nexport function check(n: number) { return n <= limit }")
	ev := waitFor(t, events, typ(hotmod.EventReloaded, "limit"))
	if ev.Version != 2 || m.Version() != 2 {
		t.Errorf("event %+v, version %d", ev, m.Version())
	}
	if got := e.call(m, "check", 2); got != true {
		t.Errorf("after the edit check(2) = %v", got)
	}

	// A broken save is reported and the running version stays.
	editorSave(t, file, "export const limit: number = \n")
	fail := waitFor(t, events, typ(hotmod.EventReloadFailed, "limit"))
	if fail.Position == nil || fail.Position.File != "/rules/limit.ts" || fail.Position.Line != 2 {
		t.Errorf("reload-failed event %+v", fail)
	}
	if got := e.call(m, "check", 2); got != true || m.Version() != 2 {
		t.Errorf("after a broken save: check(2) = %v, version %d", got, m.Version())
	}
	// Undoing it clears the error, though nothing reloads: the serving
	// version is that source.
	editorSave(t, file, "export const limit: number = 5\nexport function check(n: number) { return n <= limit }")
	waitFor(t, events, typ(hotmod.EventRecovered, "limit"))
	if st := m.Stats(); st.LastError != "" || st.LastErrorPosition != nil || st.Version != 2 {
		t.Errorf("after the broken save was undone: %+v", st)
	}

	// Deleting the source says so, and removes the module: nothing
	// imports it (internal/fleettests/deleted_test.go has the other cases).
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, typ(hotmod.EventSourceDeleted, "limit"))
	waitFor(t, events, typ(hotmod.EventRemoved, "limit"))
	if _, err := m.Call(e.ctx, "check", 2); !errors.Is(err, hotmod.ErrRemoved) {
		t.Errorf("a call after the source was deleted: %v, want ErrRemoved", err)
	}
}

// Seed review, "Auto reload": any folder, every module on a path, and
// imported files.
func TestAutoReloadEveryMatchingModuleAndImports(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/anywhere/shared.js": "export const n = 1",
		"/lib/dep.js":         "export const d = 1",
		"/app/main.js":        "import { d } from '../lib/dep.js'\nexport function get() { return d }",
	}, autoReload)
	events := e.events()
	one := e.create("one", "/anywhere/shared.js")
	two := e.create("two", "/anywhere/shared.js")
	main := e.create("main", "/app/main.js")
	e.write("/anywhere/shared.js", "export const n = 2")
	reloaded := map[string]bool{}
	for len(reloaded) < 2 {
		ev := waitFor(t, events, func(ev hotmod.Event) bool { return ev.Type == hotmod.EventReloaded })
		reloaded[ev.Module] = true
	}
	if !reloaded["one"] || !reloaded["two"] {
		t.Errorf("reloaded %v, want both modules on the path", reloaded)
	}
	for _, m := range []*hotmod.Module{one, two} {
		if v, _ := m.Get(e.ctx, "n"); v != int64(2) {
			t.Errorf("%s: n = %v", m.ID(), v)
		}
	}
	e.write("/lib/dep.js", "export const d = 2")
	waitFor(t, events, typ(hotmod.EventReloaded, "lib/dep"))
	if got := e.call(main, "get"); got != int64(2) || main.Version() != 1 {
		t.Errorf("importer sees %v (version %d) after its import changed", got, main.Version())
	}
}

func TestAutoReloadBurstEndsOnLatest(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/b.js": "export const v = 0"}, autoReload)
	events := e.events()
	m := e.create("b", "/m/b.js")
	for i := 1; i <= 50; i++ {
		e.write("/m/b.js", fmt.Sprintf("export const v = %d", i))
	}
	for {
		waitFor(t, events, typ(hotmod.EventReloaded, "b"))
		if v, _ := m.Get(e.ctx, "v"); v == int64(50) {
			break
		}
	}
	if r := e.rt.Stats().Modules[0].Reloads; r > 50 {
		t.Errorf("%d reloads for 50 writes", r)
	}
}

// countingStore counts the watches a Runtime holds open.
type countingStore struct {
	vfs.Store
	open atomic.Int64
}

func (c *countingStore) Watch(ctx context.Context, prefix string) (<-chan vfs.Event, error) {
	ch, err := c.Store.Watch(ctx, prefix)
	if err != nil {
		return nil, err
	}
	c.open.Add(1)
	out := make(chan vfs.Event)
	go func() {
		defer c.open.Add(-1)
		defer close(out)
		for ev := range ch {
			out <- ev
		}
	}()
	return out, nil
}

// Seed review, "Widget": cleanup() left the VFS watcher running.
func TestCleanupStopsWatching(t *testing.T) {
	store := &countingStore{Store: vfs.NewMem()}
	e := newEnv(t, map[string]string{"/m/a.js": "export const a = 1"}, autoReload, func(o *hotmod.Options) { o.Store = store })
	e.create("a", "/m/a.js")
	if n := store.open.Load(); n != 1 {
		t.Fatalf("%d watches open, want 1", n)
	}
	if err := e.rt.Cleanup(e.ctx); err != nil {
		t.Fatal(err)
	}
	// The forwarding goroutine ends when the watch closes.
	eventually(t, "the store watch to close", func() bool { return store.open.Load() == 0 })
	e.create("a", "/m/a.js")
	if n := store.open.Load(); n != 1 {
		t.Errorf("after Cleanup and a new module: %d watches, want 1", n)
	}
}

// gateStore blocks the first read of one path until released.
type gateStore struct {
	vfs.Store
	path    string
	reading chan struct{}
	release chan struct{}
	once    atomic.Bool
}

func (g *gateStore) Read(ctx context.Context, p string) ([]byte, error) {
	b, err := g.Store.Read(ctx, p)
	if p == g.path && g.once.CompareAndSwap(false, true) {
		close(g.reading)
		<-g.release
	}
	return b, err
}

// A change made while a module's first load is reading its source is not
// lost: the module reloads to it once loaded.
func TestChangeDuringFirstLoad(t *testing.T) {
	gate := &gateStore{Store: vfs.NewMem(), path: "/m/slow.js", reading: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, map[string]string{"/m/slow.js": "export const v = 1"}, autoReload, func(o *hotmod.Options) { o.Store = gate })
	events := e.events()
	created := make(chan *hotmod.Module, 1)
	go func() {
		m, err := e.rt.CreateModule(e.ctx, "slow", "/m/slow.js")
		if err != nil {
			t.Error(err)
		}
		created <- m
	}()
	<-gate.reading // the load has read version 1 and waits
	e.write("/m/slow.js", "export const v = 2")
	waitFor(t, events, typ(hotmod.EventSourceChanged, "slow"))
	close(gate.release)
	m := <-created
	waitFor(t, events, typ(hotmod.EventReloaded, "slow"))
	if v, _ := m.Get(e.ctx, "v"); v != int64(2) {
		t.Errorf("v = %v: the change made during the first load was lost", v)
	}
}

// A reload storm: 1,000 writes in about a second through a Dir store while
// calls run. No call fails, the last write is what serves, and every
// goroutine the storm started is gone afterwards.
func TestReloadStormThroughDir(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a storm of writes through a watched folder")
	}
	root := t.TempDir()
	dir, err := vfs.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	e := newEnv(t, map[string]string{"/m/s.js": "export const v = -1\nexport function get() { return v }"}, autoReload, func(o *hotmod.Options) { o.Store = dir })
	m := e.create("s", "/m/s.js")
	baseline := runtime.NumGoroutine()

	ctx, stop := context.WithCancel(e.ctx)
	var calls, failed atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				calls.Add(1)
				if _, err := m.Call(e.ctx, "get"); err != nil {
					failed.Add(1)
					t.Errorf("a call during the storm: %v", err)
				}
			}
		})
	}
	const writes = 1000
	start := time.Now()
	for i := range writes {
		e.write("/m/s.js", fmt.Sprintf("export const v = %d\nexport function get() { return v }", i))
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * time.Second / writes)))
	}
	t.Logf("%d writes in %v", writes, time.Since(start).Round(time.Millisecond))
	eventually(t, "the last write to serve", func() bool {
		v, err := m.Call(e.ctx, "get")
		return err == nil && v == int64(writes-1)
	})
	stop()
	wg.Wait()
	st := m.Stats()
	t.Logf("%d calls, %d failed; %d reloads, %d failed reloads", calls.Load(), failed.Load(), st.Reloads, st.FailedReloads)
	if st.FailedReloads != 0 {
		t.Errorf("%d reloads failed: %s", st.FailedReloads, st.LastError)
	}
	eventually(t, "goroutines back to their baseline", func() bool { return runtime.NumGoroutine() <= baseline })
}

// A module whose first load failed because an import was missing loads by
// itself once the file appears, though its own source did not change: the
// store watcher retries it when any path its resolver tried (extensions and
// index files probed included) is written, also one its import's import
// tried.
func TestFailedModuleRetriesWhenAMissingImportAppears(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		add   string // the missing file, written after the failure
	}{
		{"direct", map[string]string{
			"/app/imp.js": "import { d } from './dep.js'\nexport const get = () => d",
		}, "/app/dep.js"},
		{"probed", map[string]string{
			"/app/imp.js": "import { d } from './dep'\nexport const get = () => d",
		}, "/app/dep/index.ts"},
		{"transitive", map[string]string{
			"/app/imp.js": "import { d } from './a.js'\nexport const get = () => d",
			"/app/a.js":   "export { d } from './b.js'",
		}, "/app/b.js"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.files, autoReload)
			events := e.events()
			_, err := e.rt.CreateModule(e.ctx, "imp", "/app/imp.js")
			if err == nil || !strings.Contains(err.Error(), "no file for") {
				t.Fatalf("CreateModule with a missing import: %v", err)
			}
			m, err := e.rt.Module("imp")
			if err != nil || m.State() != hotmod.StateFailed {
				t.Fatalf("the module after its failed load: %v, %v", m, err)
			}
			e.write(tc.add, "export const d = 42")
			waitFor(t, events, typ(hotmod.EventCreated, "imp"))
			if got := e.call(m, "get"); got != int64(42) || m.State() != hotmod.StateServing {
				t.Errorf("after %s appeared: get() = %v, state %s", tc.add, got, m.State())
			}
		})
	}
}

// slowMiss is a store whose first read of one missing path answers only
// when released: the file may be written meanwhile, as a load that looked
// for an import just before it was written sees it.
type slowMiss struct {
	vfs.Store
	path             string
	missed, released chan struct{}
	once             sync.Once
}

func (s *slowMiss) Read(ctx context.Context, p string) ([]byte, error) {
	b, err := s.Store.Read(ctx, p)
	if p == s.path {
		s.once.Do(func() {
			close(s.missed)
			<-s.released
		})
	}
	return b, err
}

// A missing import written while the load that looked for it is still
// under way (the watcher hears of it before the load has failed) is not
// missed: the module is retried once that load has failed.
func TestFailedModuleRetriesWhenAMissingImportAppearsDuringItsLoad(t *testing.T) {
	store := &slowMiss{Store: vfs.NewMem(), path: "/app/dep.js", missed: make(chan struct{}), released: make(chan struct{})}
	e := newEnv(t, map[string]string{"/app/imp.js": "import { d } from './dep.js'\nexport const get = () => d"},
		autoReload, func(o *hotmod.Options) { o.Store = store })
	events := e.events()
	failed := make(chan error, 1)
	go func() {
		_, err := e.rt.CreateModule(e.ctx, "imp", "/app/imp.js")
		failed <- err
	}()
	select {
	case <-store.missed:
	case <-time.After(wait):
		t.Fatal("the load did not look for /app/dep.js")
	}
	e.write("/app/dep.js", "export const d = 42")
	// The watcher takes a burst 5 ms after its last change: by now it has
	// had this one, while the load still waits for its read. (Were it
	// later, this would only be the test above.)
	time.Sleep(200 * time.Millisecond)
	close(store.released)
	select {
	case err := <-failed:
		if err == nil {
			t.Fatal("the load that read /app/dep.js as missing succeeded")
		}
	case <-time.After(wait):
		t.Fatal("CreateModule did not return")
	}
	waitFor(t, events, typ(hotmod.EventCreated, "imp"))
	m, err := e.rt.Module("imp")
	if err != nil || e.call(m, "get") != int64(42) {
		t.Errorf("after the retry: %v", err)
	}
}
