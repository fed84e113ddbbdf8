package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/server"
)

// Issue 23 item 1: GET /api/modules/{id} gives the canary's figures and the
// serving version's beside them, counted without a probation or profile.
func TestAPICanaryFiguresSideBySide(t *testing.T) {
	f := newFixture(t)
	src := files["/counter.js"] + "\nexport const v = () => 2\n"
	expect(t, f.do("POST", "/api/modules/counter/canary", map[string]any{"percent": 40, "source": src}), 200, "")
	onCanary := 0
	for i := range 20 {
		key := fmt.Sprintf("user-%d", i)
		expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment", "key": key}), 200, "")
		if m, _ := f.rt.Module("counter"); m.VersionForKey(key) == 2 {
			onCanary++
		}
	}
	var d server.ModuleDetail
	r := f.do("GET", "/api/modules/counter", nil)
	expect(t, r, 200, "")
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	c := d.Canary
	if c == nil || c.Version != 2 || c.Calls == 0 || c.Serving.Version != 1 || c.Calls+c.Serving.Calls != 20 {
		t.Fatalf("canary figures: %+v (body %s)", c, r.body)
	}
	if c.Calls != int64(onCanary) {
		t.Errorf("the canary counted %d calls; %d answers named version 2", c.Calls, onCanary)
	}
	raw := r.json(t)["canary"].(map[string]any)
	if _, ok := raw["p99Ms"].(float64); !ok || raw["serving"].(map[string]any)["calls"] == nil {
		t.Errorf("canary JSON: %v", raw)
	}
	if vs := r.json(t)["versions"].([]any); vs[0].(map[string]any)["calls"].(float64) != float64(c.Serving.Calls) {
		t.Errorf("versions JSON: %v", vs)
	}
}

// Issue 23 item 2: GET /api/stats names what holds the realm while a
// runaway call runs, and stats events carry it past HeldAfter, then say
// once that it was let go.
func TestAPIStatsNameTheRealmsHolder(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.StatsInterval = 50 * time.Millisecond })
	stream := f.events("")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // the watchdog
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "POST", f.http.URL+"/api/modules/counter/call", strings.NewReader(`{"function":"spin"}`))
		req.Header.Set("Content-Type", "application/json")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	var held hotmod.RealmStatus
	for held.Held < server.HeldAfter {
		var st server.StatsEvent
		if err := json.Unmarshal([]byte(stream.until("stats").data), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Realms) == 1 {
			held = st.Realms[0]
		}
	}
	if held.Module != "counter" || held.Function != "spin" || held.Holder() != "counter.spin" {
		t.Errorf("stats event's realm: %+v", held)
	}
	var st hotmod.Stats
	r := f.do("GET", "/api/stats", nil)
	if err := json.Unmarshal(r.body, &st); err != nil || len(st.RealmHolders) != 1 {
		t.Fatalf("stats: %s", r.body)
	}
	if h := st.RealmHolders[0]; !h.Busy || h.Function != "spin" || h.Held < server.HeldAfter {
		t.Errorf("/api/stats realmHolders: %s", r.body)
	}
	if !strings.Contains(string(r.body), `"holder":"counter.spin"`) || !strings.Contains(string(r.body), `"heldMs":`) {
		t.Errorf("/api/stats JSON: %s", r.body)
	}
	var live server.LiveHistory
	if err := json.Unmarshal(f.do("GET", "/api/live", nil).body, &live); err != nil || len(live.Realms) != 1 {
		t.Errorf("/api/live realms: %+v %v", live.Realms, err)
	}
	cancel() // the client goes: its call is interrupted
	<-done
	for {
		var st server.StatsEvent
		if err := json.Unmarshal([]byte(stream.until("stats").data), &st); err != nil {
			t.Fatal(err)
		}
		if st.Realms != nil && len(st.Realms) == 0 {
			break // the event that says it was let go
		}
	}
	var after hotmod.Stats
	_ = json.Unmarshal(f.do("GET", "/api/stats", nil).body, &after)
	if after.RealmHolders[0].Busy {
		t.Errorf("after the runaway: %+v", after.RealmHolders)
	}
}

// Issue 23 item 7: a module called by another one shows a call rate.
func TestLiveRateCountsModuleCalls(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.StatsInterval = 20 * time.Millisecond })
	stream := f.events("")
	for range 4 {
		expect(t, f.do("POST", "/api/modules/shop/call", map[string]any{"function": "total", "args": []any{10}}), 200, "")
	}
	var calls, fromModules int64
	for deadline := time.Now().Add(10 * time.Second); fromModules < 4 && time.Now().Before(deadline); {
		var st server.StatsEvent
		if err := json.Unmarshal([]byte(stream.until("stats").data), &st); err != nil {
			t.Fatal(err)
		}
		if p, ok := st.Modules["lib/tax"]; ok {
			calls, fromModules = calls+p.Calls, fromModules+p.ModuleCalls
			if p.Calls > 0 && p.Rate <= 0 {
				t.Errorf("a point with calls and no rate: %+v", p)
			}
		}
	}
	if calls != 4 || fromModules != 4 {
		t.Errorf("lib/tax: %d calls, %d from modules; want 4 and 4", calls, fromModules)
	}
	var d server.ModuleDetail
	_ = json.Unmarshal(f.do("GET", "/api/modules/lib%2Ftax", nil).body, &d)
	if d.ModuleCalls != 4 {
		t.Errorf("lib/tax moduleCalls = %d", d.ModuleCalls)
	}
}
