package server_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/server"
)

// /healthz is "degraded" (still 200) with the reason while StoreHealth
// fails, and the endpoints that need the store fail at once with 503
// "unreachable"; /readyz is 503 until Ready closes.
func TestHealthDegradedAndReady(t *testing.T) {
	var down atomic.Bool
	ready := make(chan struct{})
	f := newFixture(t, func(o *server.Options) {
		o.StoreHealth = func() error {
			if down.Load() {
				return errors.New("NATS is unreachable (reconnecting)")
			}
			return nil
		}
		o.Ready = ready
	})
	if r := f.do("GET", "/healthz", nil); r.status != 200 || string(r.body) != "ok\n" {
		t.Errorf("/healthz: %d %q", r.status, r.body)
	}
	if r := f.do("GET", "/readyz", nil); r.status != 503 || !strings.Contains(string(r.body), "not ready") {
		t.Errorf("/readyz before Ready: %d %q", r.status, r.body)
	}
	close(ready)
	if r := f.do("GET", "/readyz", nil); r.status != 200 {
		t.Errorf("/readyz after Ready: %d %q", r.status, r.body)
	}
	down.Store(true)
	if r := f.do("GET", "/healthz", nil); r.status != 200 || string(r.body) != "degraded: NATS is unreachable (reconnecting)\n" {
		t.Errorf("/healthz with the store down: %d %q", r.status, r.body)
	}
	expect(t, f.do("GET", "/api/files/counter.js", nil), 503, "unreachable")
	expect(t, f.do("PUT", "/api/files/x.js", []byte("export const x = 1")), 503, "unreachable")
	// Calls need no store.
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment", "args": []any{1}}), 200, "")
}

// A fleet read that gets no answer fails as unreachable after
// FleetTimeout, not after the request's 30 s.
func TestFleetReadBoundedByFleetTimeout(t *testing.T) {
	f := newFixture(t, func(o *server.Options) {
		o.FleetTimeout = 200 * time.Millisecond
		o.Fleet = func(ctx context.Context) ([]fleet.Status, error) {
			<-ctx.Done() // a NATS that never answers
			return nil, ctx.Err()
		}
	})
	start := time.Now()
	r := f.do("GET", "/api/fleet", nil)
	expect(t, r, 503, "unreachable")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}
