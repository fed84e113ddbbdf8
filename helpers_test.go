package hotmod_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

// wait bounds every wait for an event; waits end when the event arrives.
const wait = 10 * time.Second

type env struct {
	t     testing.TB
	ctx   context.Context
	store vfs.Store
	rt    *hotmod.Runtime
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv starts a Runtime on an in-memory store holding files. Auto reload
// is off unless a test asks for it, so that manual reloads are the only ones.
// With several realms, calls take them in turn (hotmod.CallRealmsInTurn),
// so that a test reaches each realm from one goroutine.
func newEnv(t *testing.T, files map[string]string, opts ...func(*hotmod.Options)) *env {
	e := newEnvTB(t, files, opts...)
	hotmod.CallRealmsInTurn(e.rt)
	return e
}

// newEnvB is newEnv for benchmarks, with logs discarded.
func newEnvB(b *testing.B, files map[string]string) *env {
	return newEnvTB(b, files)
}

func newEnvTB(t testing.TB, files map[string]string, opts ...func(*hotmod.Options)) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), store: vfs.NewMem(), logs: &syncBuffer{}}
	for p, src := range files {
		e.write(p, src)
	}
	o := hotmod.Options{
		Store:             e.store,
		Logger:            slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		DisableAutoReload: true,
	}
	if n, err := strconv.Atoi(os.Getenv("HOTMOD_TEST_REALMS")); err == nil {
		// Every test on several realms: finds what breaks with them (tests
		// that count state a module keeps expect one realm).
		o.Realms = n
	}
	for _, fn := range opts {
		fn(&o)
	}
	if o.Store != e.store {
		e.store = o.Store
		for p, src := range files {
			e.write(p, src)
		}
	}
	rt, err := hotmod.New(e.ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	e.rt = rt
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return e
}

func autoReload(o *hotmod.Options) { o.DisableAutoReload = false }

func (e *env) write(p, src string) {
	e.t.Helper()
	if err := e.store.Write(e.ctx, p, []byte(src)); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) create(id, p string) *hotmod.Module {
	e.t.Helper()
	m, err := e.rt.CreateModule(e.ctx, id, p)
	if err != nil {
		e.t.Fatalf("CreateModule(%s, %s): %v", id, p, err)
	}
	return m
}

func (e *env) reload(id string) {
	e.t.Helper()
	if err := e.rt.ReloadModule(e.ctx, id); err != nil {
		e.t.Fatalf("ReloadModule(%s): %v", id, err)
	}
}

func (e *env) call(m *hotmod.Module, fn string, args ...any) any {
	e.t.Helper()
	v, err := m.Call(e.ctx, fn, args...)
	if err != nil {
		e.t.Fatalf("%s.%s: %v", m.ID(), fn, err)
	}
	return v
}

func (e *env) events() <-chan hotmod.Event {
	ctx, cancel := context.WithCancel(e.ctx)
	e.t.Cleanup(cancel)
	return e.rt.Events(ctx)
}

// waitFor returns the first event that satisfies ok, failing after wait.
func waitFor(t *testing.T, ch <-chan hotmod.Event, ok func(hotmod.Event) bool) hotmod.Event {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case ev, open := <-ch:
			if !open {
				t.Fatal("event stream closed")
			}
			if ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatal("no such event within", wait)
		}
	}
}

func typ(tp hotmod.EventType, module string) func(hotmod.Event) bool {
	return func(ev hotmod.Event) bool { return ev.Type == tp && ev.Module == module }
}

// copyPackages copies root's node_modules (an npmtest.Install folder) into
// the env's store, as `hotmod put` would into any store.
func (e *env) copyPackages(root string) {
	e.t.Helper()
	dir, err := vfs.NewDir(root)
	if err != nil {
		e.t.Fatal(err)
	}
	defer dir.Close()
	paths, err := dir.List(e.ctx, "/node_modules")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range paths {
		b, err := dir.Read(e.ctx, p)
		if err != nil {
			e.t.Fatal(err)
		}
		e.write(p, string(b))
	}
}
