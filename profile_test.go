package hotmod_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

const profiled = `
export function add(a, b) { return a + b }
export async function nap(ms) { await new Promise(r => setTimeout(r, ms)); return ms }
export async function rejects() { throw new Error('async no') }
export function throws() { throw new Error('sync no') }
`

func fnMetrics(pm hotmod.ProfileMetrics, name string) hotmod.FunctionMetrics {
	for _, f := range pm.Functions {
		if f.Name == name {
			return f
		}
	}
	return hotmod.FunctionMetrics{}
}

func TestProfileCountsGoAndJSCalls(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/p.js":   profiled,
		"/m/use.js": "import * as p from './p.js'\nexport function loop(n) { let s = 0; for (let i = 0; i < n; i++) s = p.add(s, 1); return s }\nexport function same() { return p.add === p.add }",
	})
	m := e.create("p", "/m/p.js")
	use := e.create("use", "/m/use.js")
	prof, err := e.rt.ProfileModule("p")
	if err != nil {
		t.Fatal(err)
	}
	if prof.Module() != "p" || prof.ID() == "" || prof.Started().IsZero() {
		t.Errorf("profile %q of %q started %v", prof.ID(), prof.Module(), prof.Started())
	}
	for range 1000 {
		e.call(m, "add", 1, 2)
	}
	if got := e.call(use, "loop", 1000); got != int64(1000) {
		t.Fatalf("loop = %v", got)
	}
	if got := e.call(use, "same"); got != true {
		t.Error("reading an export twice while profiling gave two different functions")
	}
	pm := prof.Metrics()
	add := fnMetrics(pm, "add")
	if add.Calls != 2000 || add.Errors != 0 || add.Min <= 0 || add.Max < add.Min || add.P50 < add.Min || add.P99 > add.Max || add.Mean <= 0 {
		t.Errorf("add = %+v, want 2000 calls with consistent times", add)
	}
	if pm.TotalCalls != 2000 || !pm.Running || !reflect.DeepEqual(pm.Versions, []int{1}) {
		t.Errorf("metrics %+v", pm)
	}
}

func TestProfileAsyncErrorsAndReloads(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/p.js": profiled})
	m := e.create("p", "/m/p.js")
	events := e.events()
	prof, _ := e.rt.ProfileModule("p")
	other, _ := e.rt.ProfileModule("p")
	waitFor(t, events, func(ev hotmod.Event) bool { return ev.Type == hotmod.EventProfileStarted && ev.Profile == other.ID() })
	e.call(m, "nap", 20)
	if _, err := m.Call(e.ctx, "rejects"); err == nil {
		t.Fatal("rejects did not reject")
	}
	if _, err := m.Call(e.ctx, "throws"); err == nil {
		t.Fatal("throws did not throw")
	}
	e.write("/m/p.js", profiled+"\nexport const v = 2")
	e.reload("p")
	e.call(m, "add", 1, 1)
	if nap := fnMetrics(prof.Metrics(), "nap"); nap.Calls != 1 || nap.Min < 20*time.Millisecond {
		t.Errorf("nap = %+v, want timed to settlement (>= 20ms)", nap)
	}
	final := other.Stop()
	waitFor(t, events, func(ev hotmod.Event) bool { return ev.Type == hotmod.EventProfileStopped && ev.Profile == other.ID() })
	if final.Running || fnMetrics(final, "rejects").Errors != 1 || fnMetrics(final, "throws").Errors != 1 || final.TotalErrors != 2 {
		t.Errorf("final metrics %+v: a rejection and a throw are errors", final)
	}
	if !reflect.DeepEqual(final.Versions, []int{1, 2}) || fnMetrics(final, "add").Calls != 1 {
		t.Errorf("the profile did not survive the reload: %+v", final)
	}
	// The other profile goes on after one stops.
	e.call(m, "add", 1, 1)
	if got := fnMetrics(prof.Metrics(), "add").Calls; got != 2 {
		t.Errorf("the remaining profile counted %d adds, want 2", got)
	}
	if got := fnMetrics(other.Stop(), "add").Calls; got != 1 {
		t.Errorf("a stopped profile kept counting: %d", got)
	}
	if st := e.rt.Stats().Modules[0]; !reflect.DeepEqual(st.Profiles, []string{prof.ID()}) {
		t.Errorf("stats profiles = %v", st.Profiles)
	}
	if _, err := e.rt.LookupProfile(other.ID()); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("a stopped profile is still listed: %v", err)
	}
	prof.Stop()
	if st := e.rt.Stats().Modules[0]; len(st.Profiles) != 0 {
		t.Errorf("stats profiles after stopping all = %v", st.Profiles)
	}
}
