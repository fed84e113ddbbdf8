package server_test

import (
	"context"
	"testing"

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
