package hotmod_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// Each kept version says when it began serving and how long its load took,
// and gives back the source it runs.
func TestVersionsAndTheirSources(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/a.ts": "export const v: number = 1"})
	events := e.events()
	m := e.create("a", "/m/a.ts")
	e.write("/m/a.ts", "export const v: number = 2")
	e.reload("a")
	ev := waitFor(t, events, typ(hotmod.EventReloaded, "a"))
	if ev.Duration <= 0 {
		t.Errorf("the reloaded event's duration is %v", ev.Duration)
	}
	vs := m.Versions()
	if len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || vs[0].Serving || !vs[1].Serving {
		t.Fatalf("Versions() = %+v", vs)
	}
	for _, v := range vs {
		if v.Took <= 0 || v.Served.IsZero() || v.Size == 0 {
			t.Errorf("version %d: took %v, served %v, size %d", v.Version, v.Took, v.Served, v.Size)
		}
	}
	if src, err := m.Source(1); err != nil || src != "export const v: number = 1" {
		t.Errorf("Source(1) = %q, %v (the source as written, not the transform's output)", src, err)
	}
	if _, err := m.Source(9); !errors.Is(err, hotmod.ErrVersionNotKept) {
		t.Errorf("Source(9): %v", err)
	}
	if err := m.Rollback(e.ctx, 1); err != nil {
		t.Fatal(err)
	}
	// In the order they last began serving: the rollback's version last.
	if vs := m.Versions(); vs[1].Version != 1 || !vs[1].Serving || vs[0].Serving || !vs[1].Served.After(vs[0].Served) {
		t.Errorf("after the rollback: %+v", vs)
	}
	if st := m.Stats(); len(st.Versions) != 2 || !st.Versions[1].Serving {
		t.Errorf("Stats().Versions = %+v", st.Versions)
	}
}

// Durations are milliseconds in JSON, and lists are [] when empty.
func TestJSONDurationsAreMilliseconds(t *testing.T) {
	var out map[string]any
	decode := func(v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = nil
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
	}
	decode(hotmod.Event{Type: hotmod.EventReloaded, Duration: 1500 * time.Microsecond})
	if out["durationMs"] != 1.5 {
		t.Errorf("event: %v", out)
	}
	decode(hotmod.VersionInfo{Version: 1, Took: 2 * time.Millisecond})
	if out["tookMs"] != 2.0 || out["Took"] != nil {
		t.Errorf("version: %v", out)
	}
	decode(hotmod.ProfileMetrics{Duration: time.Second, TotalTime: 3 * time.Millisecond})
	if out["durationMs"] != 1000.0 || out["totalTimeMs"] != 3.0 || out["duration"] != nil {
		t.Errorf("profile: %v", out)
	}
	if fs, ok := out["functions"].([]any); !ok || len(fs) != 0 {
		t.Errorf("no functions: %v", out["functions"])
	}
	if vs, ok := out["versions"].([]any); !ok || len(vs) != 0 {
		t.Errorf("no versions: %v", out["versions"])
	}
	decode(hotmod.FunctionMetrics{Name: "f", Total: time.Millisecond, P99: 250 * time.Microsecond})
	if out["totalMs"] != 1.0 || out["p99Ms"] != 0.25 || out["name"] != "f" {
		t.Errorf("function: %v", out)
	}
	decode(hotmod.SafeResult{Value: 1, Duration: 4 * time.Millisecond})
	if out["durationMs"] != 4.0 || out["console"] == nil {
		t.Errorf("sandbox result: %v", out)
	}
	// And they read back.
	in := hotmod.ProfileMetrics{ID: "prof1", Duration: 1500 * time.Microsecond, Functions: []hotmod.FunctionMetrics{{Name: "f", P50: time.Millisecond}}}
	b, _ := json.Marshal(in)
	var back hotmod.ProfileMetrics
	if err := json.Unmarshal(b, &back); err != nil || back.ID != "prof1" || back.Duration != in.Duration || back.Functions[0].P50 != time.Millisecond {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	var ev hotmod.Event
	if err := json.Unmarshal([]byte(`{"type":"reloaded","module":"a","durationMs":2.5}`), &ev); err != nil || ev.Module != "a" || ev.Duration != 2500*time.Microsecond {
		t.Errorf("event read back: %+v, %v", ev, err)
	}
	// A failed first load has no versions: [] not null.
	e := newEnv(t, map[string]string{"/m/bad.js": "export const = 1"})
	if _, err := e.rt.CreateModule(e.ctx, "bad", "/m/bad.js"); err == nil {
		t.Fatal("a broken module loaded")
	}
	decode(e.rt.Stats())
	mod := out["modules"].([]any)[0].(map[string]any)
	for _, k := range []string{"keptVersions", "versions", "patches", "profiles"} {
		if l, ok := mod[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s of a failed module = %v", k, mod[k])
		}
	}
	if !strings.Contains(mod["lastError"].(string), "Expected identifier") {
		t.Errorf("lastError = %v", mod["lastError"])
	}
}
