package hotmod_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

func probation(p hotmod.Probation) func(*hotmod.Options) {
	return func(o *hotmod.Options) { o.Probation = p }
}

// callsUntil calls fn n times, ignoring its errors, then waits for an
// event of type tp about m (the events of a probation arrive from another
// goroutine, a little after the call that decided it).
func callsUntil(t *testing.T, e *env, events <-chan hotmod.Event, m *hotmod.Module, fn string, n int, tp hotmod.EventType) hotmod.Event {
	t.Helper()
	for range n {
		_, _ = m.Call(e.ctx, fn)
	}
	return waitFor(t, events, typ(tp, m.ID()))
}

func TestProbationRollsBackOnErrors(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/f.js": "let i = 0\nexport const f = () => ++i"},
		probation(hotmod.Probation{Calls: 500, MinCalls: 20}))
	m := e.create("f", "/m/f.js")
	for range 50 {
		e.call(m, "f")
	}
	events := e.events()
	e.write("/m/f.js", "let i = 0\nexport const f = () => { if (++i % 5 === 0) throw new Error('every fifth'); return i }")
	e.reload("f")
	waitFor(t, events, typ(hotmod.EventProbationStarted, "f"))
	if st := m.Stats(); st.Probation == nil || st.Probation.Version != 2 || st.Probation.Previous != 1 || st.Probation.Target != 500 {
		t.Fatalf("Stats().Probation = %+v", st.Probation)
	}
	ev := callsUntil(t, e, events, m, "f", 500, hotmod.EventAutoRolledBack)
	// Judged at the 20th call, MinCalls.
	if ev.Version != 1 || ev.OldVersion != 2 || !strings.Contains(ev.Reason, "error rate 20.0% over 20 calls") ||
		!strings.Contains(ev.Reason, "against 0.0% over 50 calls of version 1") {
		t.Errorf("%+v", ev)
	}
	if m.Version() != 1 {
		t.Errorf("version %d after the automatic rollback", m.Version())
	}
	st := m.Stats()
	if st.Probation != nil || !strings.Contains(st.LastAutoRollback, "version 2 rolled back to 1: error rate") {
		t.Errorf("Stats: probation %+v, last %q", st.Probation, st.LastAutoRollback)
	}
	// A rollback starts no probation; the next good reload does, and passes.
	e.write("/m/f.js", "let i = 0\nexport const f = () => ++i")
	e.reload("f")
	ev = callsUntil(t, e, events, m, "f", 600, hotmod.EventProbationPassed)
	if ev.Version != 3 || m.Version() != 3 || ev.Reason != "500 calls, 0 errors" {
		t.Errorf("probation-passed %+v, version %d", ev, m.Version())
	}
}

func TestProbationRollsBackOnLatency(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/f.js": "export const f = () => 1"}, probation(hotmod.Probation{Calls: 100, MinCalls: 20}))
	m := e.create("f", "/m/f.js")
	for range 40 {
		e.call(m, "f")
	}
	events := e.events()
	e.write("/m/f.js", "export const f = () => { const end = Date.now() + 3; while (Date.now() < end) {} return 1 }")
	e.reload("f")
	ev := callsUntil(t, e, events, m, "f", 100, hotmod.EventAutoRolledBack)
	if !strings.Contains(ev.Reason, "p99 ") || !strings.Contains(ev.Reason, "over 20 calls") || m.Version() != 1 {
		t.Errorf("%+v, version %d", ev, m.Version())
	}
}

// Calls from other modules count, and the window can be a duration; a
// module's own setting replaces the Runtime's.
func TestProbationCountsImportersAndEndsInTime(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/f.js":   "export const f = () => 1",
		"/m/app.js": "import { f } from './f.js'\nexport const run = () => f()",
	})
	m := e.create("f", "/m/f.js")
	app := e.create("app", "/m/app.js")
	m.SetProbation(hotmod.Probation{Duration: 300 * time.Millisecond, MinCalls: 5})
	events := e.events()
	e.write("/m/f.js", "export const f = () => { throw new Error('broken') }")
	e.reload("f")
	for range 5 {
		_, _ = app.Call(e.ctx, "run") // app's calls fail, in f
	}
	ev := waitFor(t, events, typ(hotmod.EventAutoRolledBack, "f"))
	if !strings.Contains(ev.Reason, "error rate 100.0% over 5 calls") {
		t.Errorf("%+v", ev)
	}
	if got := e.call(app, "run"); got != int64(1) {
		t.Errorf("run() = %v after the rollback", got)
	}
	e.write("/m/f.js", "export const f = () => 2")
	e.reload("f")
	start := time.Now()
	ev = waitFor(t, events, typ(hotmod.EventProbationPassed, "f"))
	if waited := time.Since(start); waited < 250*time.Millisecond || ev.Version != 3 {
		t.Errorf("passed after %v: %+v", waited, ev)
	}
	// Off: no probation, no timing.
	m.SetProbation(hotmod.Probation{})
	e.write("/m/f.js", "export const f = () => 3")
	e.reload("f")
	if st := m.Stats(); st.Probation != nil {
		t.Errorf("probation %+v after it was turned off", st.Probation)
	}
}
