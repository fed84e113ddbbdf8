package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/server"
)

// ids lists the ids of a module list answer.
func ids(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, m := range r.json(t)["modules"].([]any) {
		out = append(out, m.(map[string]any)["id"].(string))
	}
	return out
}

// GET /api/modules?id= answers for the modules named, and leaves out one
// that is not there instead of failing (the dashboard asks after modules
// just removed without a 404 in the console); the list says whether the
// server is a fleet node, so that the dashboard asks /api/fleet only of
// one.
func TestListModulesByIDAndFleetFlag(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/modules?id=counter", nil)
	expect(t, r, 200, "")
	if got := ids(t, r); len(got) != 1 || got[0] != "counter" {
		t.Errorf("?id=counter lists %v", got)
	}
	r = f.do("GET", "/api/modules?id=counter&id=shop&id=nothing", nil)
	expect(t, r, 200, "")
	if got := ids(t, r); len(got) != 2 || got[0] != "counter" || got[1] != "shop" {
		t.Errorf("?id=counter&id=shop&id=nothing lists %v", got)
	}
	r = f.do("GET", "/api/modules?id=nothing", nil)
	expect(t, r, 200, "")
	if got := ids(t, r); len(got) != 0 {
		t.Errorf("?id=nothing lists %v", got)
	}
	if fl := r.json(t)["fleet"]; fl != false {
		t.Errorf("fleet = %v outside a fleet, want false", fl)
	}
	if n := len(ids(t, f.do("GET", "/api/modules", nil))); n < 3 {
		t.Errorf("the whole list has %d modules", n)
	}

	g := newFixture(t, func(o *server.Options) {
		o.Fleet = func(context.Context) ([]fleet.Status, error) { return nil, nil }
	})
	if fl := g.do("GET", "/api/modules", nil).json(t)["fleet"]; fl != true {
		t.Errorf("fleet = %v on a fleet node, want true", fl)
	}
}

// A profile started with a lifetime stops when it is not renewed in time,
// and runs on while it is; one started without runs until stopped (issue
// 23, item 6: a profile started from a page must not outlive the page).
func TestProfileLifetime(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	events := f.rt.Events(ctx)

	expect(t, f.do("POST", "/api/modules/counter/profiles", map[string]any{"ttlMs": -1}), 400, "invalid")
	expect(t, f.do("POST", "/api/modules/counter/profiles", map[string]any{"ttlMs": 1 << 40}), 400, "invalid")
	expect(t, f.do("POST", "/api/modules/counter/profiles", map[string]any{"ttl": 5}), 400, "invalid")

	r := f.do("POST", "/api/modules/counter/profiles", map[string]any{"ttlMs": 400})
	expect(t, r, 201, "")
	leased := r.json(t)
	pid := leased["id"].(string)
	if leased["expires"] == nil {
		t.Errorf("a profile with a lifetime says nothing of when it stops: %v", leased)
	}
	forever := f.do("POST", "/api/modules/counter/profiles", map[string]any{})
	expect(t, forever, 201, "")
	fid := forever.json(t)["id"].(string)
	if forever.json(t)["expires"] != nil {
		t.Errorf("a profile without a lifetime has an expiry: %s", forever.body)
	}

	// Renewed every 150 ms for a second: it outlives its 400 ms.
	for range 7 {
		time.Sleep(150 * time.Millisecond)
		expect(t, f.do("POST", "/api/profiles/"+pid+"/renew", map[string]any{}), 200, "")
	}
	if got := f.do("GET", "/api/profiles/"+pid, nil).json(t); got["running"] != true {
		t.Fatalf("a renewed profile stopped: %v", got)
	}
	// Renewals end: it stops within its lifetime, with its event.
	deadline := time.After(wait)
	for stopped := false; !stopped; {
		select {
		case ev := <-events:
			stopped = ev.Type == hotmod.EventProfileStopped && ev.Profile == pid
			if ev.Type == hotmod.EventProfileStopped && ev.Profile == fid {
				t.Fatal("the profile without a lifetime stopped")
			}
		case <-deadline:
			t.Fatal("a profile not renewed did not stop")
		}
	}
	expect(t, f.do("GET", "/api/profiles/"+pid, nil), 404, "not_found")
	expect(t, f.do("POST", "/api/profiles/"+pid+"/renew", map[string]any{}), 404, "not_found")
	// The other runs on; a renewal must give it a lifetime, and then it
	// stops by itself too.
	if got := f.do("GET", "/api/profiles/"+fid, nil).json(t); got["running"] != true {
		t.Fatalf("the profile without a lifetime: %v", got)
	}
	expect(t, f.do("POST", "/api/profiles/"+fid+"/renew", map[string]any{}), 400, "invalid")
	expect(t, f.do("POST", "/api/profiles/"+fid+"/renew", map[string]any{"ttlMs": 100}), 200, "")
	waitProfileStopped(t, events, fid)
	// A profile stopped by hand keeps no timer that would stop another.
	r = f.do("POST", "/api/modules/counter/profiles", map[string]any{"ttlMs": 200})
	expect(t, r, 201, "")
	expect(t, f.do("DELETE", "/api/profiles/"+r.json(t)["id"].(string), nil), 200, "")
}

// waitProfileStopped waits for profile id's stop event.
func waitProfileStopped(t *testing.T, events <-chan hotmod.Event, id string) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case ev := <-events:
			if ev.Type == hotmod.EventProfileStopped && ev.Profile == id {
				return
			}
		case <-deadline:
			t.Fatalf("profile %s did not stop within %v", id, wait)
		}
	}
}

// A server with a token says so on its open /healthz, so that the
// dashboard shows its login without first being refused.
func TestHealthzSaysTokenRequired(t *testing.T) {
	if got := newFixture(t, func(o *server.Options) { o.Token = "s3cret" }).do("GET", "/healthz", nil, "Authorization", "").header.Get("X-Hotmod-Token"); got != "required" {
		t.Errorf("X-Hotmod-Token = %q with a token, want required", got)
	}
	if got := newFixture(t).do("GET", "/healthz", nil).header.Get("X-Hotmod-Token"); got != "" {
		t.Errorf("X-Hotmod-Token = %q without a token", got)
	}
}
