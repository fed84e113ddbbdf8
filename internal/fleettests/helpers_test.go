package fleettests_test

import (
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// The helpers below are copies of package hotmod's test helpers of the same
// names (helpers_test.go, bounds_test.go): tests cannot share them across
// packages without making them part of a package users could import.

const wait = 10 * time.Second

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

// within runs fn and fails the test if it has not returned after d.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
	}
}
