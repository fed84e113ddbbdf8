package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

func liveRuntime(t *testing.T) *hotmod.Runtime {
	t.Helper()
	ctx := context.Background()
	store := vfs.NewMem()
	if err := store.Write(ctx, "/m.js", []byte("export function f(x) { return x }")); err != nil {
		t.Fatal(err)
	}
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	if _, err := rt.CreateModule(ctx, "m", "/m.js"); err != nil {
		t.Fatal(err)
	}
	return rt
}

// Ticks are driven by hand here: what an interval says, and when nothing
// is said, does not depend on the clock.
func TestLiveStatsIntervals(t *testing.T) {
	l := newLiveStats(liveRuntime(t), time.Second, nil)
	now := l.last
	next := func() time.Time { now = now.Add(time.Second); return now }

	if _, ok := l.tick(next()); ok {
		t.Fatal("an interval without calls published something")
	}
	for i := range 100 {
		l.observe("a", time.Duration(i+1)*time.Millisecond, nil)
	}
	l.observe("a", time.Millisecond, errors.New("thrown"))
	ev, ok := l.tick(next())
	p := ev.Modules["a"]
	if !ok || p.Calls != 101 || p.Errors != 1 || p.Rate != 101 || p.P99MS != 99 {
		t.Fatalf("after 101 calls: %v %+v", ok, ev)
	}
	// The first quiet interval says the rate fell to 0, once.
	ev, ok = l.tick(next())
	if p := ev.Modules["a"]; !ok || p.Calls != 0 || p.Rate != 0 || len(ev.Modules) != 1 {
		t.Fatalf("first quiet interval: %v %+v", ok, ev)
	}
	if ev, ok := l.tick(next()); ok {
		t.Fatalf("second quiet interval published %+v", ev)
	}
	if h := l.history().Modules["a"]; len(h) != 2 || h[0].Calls != 101 || h[1].Calls != 0 {
		t.Fatalf("history %+v", h)
	}
	// A module quiet for as long as a sparkline shows is forgotten.
	for range livePoints {
		l.tick(next())
	}
	if _, kept := l.mods["a"]; kept || len(l.history().Modules) != 0 {
		t.Fatalf("a module quiet for %d intervals is still held", livePoints)
	}
}

// However many calls and intervals, a module holds livePoints points and
// liveSamples durations.
func TestLiveStatsBounded(t *testing.T) {
	l := newLiveStats(liveRuntime(t), time.Second, nil)
	now := l.last
	for range 3 * livePoints {
		for i := range 3 * liveSamples {
			l.observe("a", time.Duration(i)*time.Microsecond, nil)
		}
		if got := len(l.mods["a"].samples); got != liveSamples {
			t.Fatalf("%d samples held", got)
		}
		now = now.Add(time.Second)
		l.tick(now)
	}
	h := l.history().Modules["a"]
	if len(h) != livePoints || !h[len(h)-1].Time.Equal(now) || !h[0].Time.Equal(now.Add(-(livePoints-1)*time.Second)) {
		t.Fatalf("%d points, from %v to %v", len(h), h[0].Time, h[len(h)-1].Time)
	}
	if cap(l.mods["a"].samples) > 2*liveSamples {
		t.Errorf("samples grew to %d", cap(l.mods["a"].samples))
	}
}

// A running profile is in the next event after it counts a call, and not
// again until it counts another; a stopped one is dropped.
func TestLiveStatsProfiles(t *testing.T) {
	ctx := context.Background()
	rt := liveRuntime(t)
	l := newLiveStats(rt, time.Second, nil)
	m, _ := rt.Module("m")
	p, err := rt.ProfileModule("m")
	if err != nil {
		t.Fatal(err)
	}
	l.onEvent(hotmod.Event{Type: hotmod.EventProfileStarted, Module: "m", Profile: p.ID()})
	now := l.last
	next := func() time.Time { now = now.Add(time.Second); return now }
	// Just started: shown once, with no calls, so its table appears.
	if ev, ok := l.tick(next()); !ok || len(ev.Profiles) != 1 || ev.Profiles[0].ID != p.ID() || ev.Profiles[0].TotalCalls != 0 {
		t.Fatalf("a new profile: %v %+v", ok, ev)
	}
	if ev, ok := l.tick(next()); ok {
		t.Fatalf("an unchanged profile published %+v", ev)
	}
	// Calls a profile counts but the call observer never hears of (from
	// another module, here from Go without OnCall) still show.
	for range 3 {
		if _, err := m.Call(ctx, "f", 1); err != nil {
			t.Fatal(err)
		}
	}
	if ev, ok := l.tick(next()); !ok || len(ev.Profiles) != 1 || ev.Profiles[0].TotalCalls != 3 || len(ev.Profiles[0].Functions) != 1 {
		t.Fatalf("after 3 calls: %v %+v", ok, ev)
	}
	p.Stop()
	if ev, ok := l.tick(next()); ok {
		t.Fatalf("a stopped profile published %+v", ev)
	}
	if len(l.profiles) != 0 {
		t.Errorf("a stopped profile is still followed: %v", l.profiles)
	}
	// A profile whose start event was lost is found again when an event
	// says some were dropped.
	q, _ := rt.ProfileModule("m")
	l.onEvent(hotmod.Event{Type: hotmod.EventReloaded, Module: "m", Dropped: 5})
	if _, ok := l.profiles[q.ID()]; !ok {
		t.Errorf("after dropped events, the running profile %s is not followed", q.ID())
	}
}

// Calls, events, ticks and readers run at once (go test -race), and close
// stops the ticks: nothing is published once it returns.
func TestLiveStatsConcurrentAndClose(t *testing.T) {
	rt := liveRuntime(t)
	var mu sync.Mutex
	closed := false
	published := make(chan struct{}, 1)
	l := newLiveStats(rt, time.Millisecond, func(StatsEvent) {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			t.Error("published after close")
		}
		select {
		case published <- struct{}{}:
		default:
		}
	})
	l.start()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				l.observe([]string{"a", "b"}[i%2], time.Microsecond, nil)
				l.onEvent(hotmod.Event{Type: hotmod.EventProfileStopped, Profile: "none"})
				_ = l.history()
			}
		})
	}
	deadline := time.After(wait)
	for n := range 3 {
		select {
		case <-published:
		case <-deadline:
			t.Fatalf("only %d stats events while calls were made", n)
		}
	}
	close(stop)
	wg.Wait()
	l.close()
	mu.Lock()
	closed = true
	mu.Unlock()
	l.close() // twice is fine
}

// A closed Server hears of no more calls from the Metrics it shares with
// the runtime.
func TestServerCloseStopsLiveFeed(t *testing.T) {
	rt := liveRuntime(t)
	metrics := NewMetrics()
	s := New(Options{Runtime: rt, Store: vfs.NewMem(), Metrics: metrics, StatsInterval: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	calls := func() int64 {
		s.live.mu.Lock()
		defer s.live.mu.Unlock()
		if m := s.live.mods["m"]; m != nil {
			return m.calls
		}
		return 0
	}
	metrics.ObserveCall("m", "f", time.Millisecond, nil)
	metrics.ObserveCall("m", "nope", time.Millisecond, hotmod.ErrNotFunction) // not a call of a function
	if n := calls(); n != 1 {
		t.Fatalf("%d calls seen, want 1", n)
	}
	s.Close()
	s.Close()
	metrics.ObserveCall("m", "f", time.Millisecond, nil)
	if n := calls(); n != 1 {
		t.Errorf("a closed server still counts calls (%d)", n)
	}
	if s.unobserve == nil || metrics.observers.Load() == nil || len(*metrics.observers.Load()) != 0 {
		t.Errorf("the observer is still registered")
	}
	off := New(Options{Runtime: rt, Store: vfs.NewMem(), Metrics: metrics, StatsInterval: -1})
	defer off.Close()
	if off.live != nil || len(*metrics.observers.Load()) != 0 {
		t.Error("StatsInterval < 0 still follows calls")
	}
}

const wait = 10 * time.Second
