package hotmod_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

func versioned(v string) string {
	return fmt.Sprintf(`let calls = 0
export const version = () => %q
export const count = () => ++calls
export const peek = () => calls
export function __acceptHotReload(old) { calls = old.peek() }
`, v)
}

// onCanary is the set of keys CallKey sends to the canary (version v2).
func onCanary(t *testing.T, e *env, m *hotmod.Module, keys int) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for i := range keys {
		k := fmt.Sprintf("user-%d", i)
		v, err := m.CallKey(e.ctx, k, "version")
		if err != nil {
			t.Fatal(err)
		}
		if v == "v2" {
			out[k] = true
		}
	}
	return out
}

func TestCanarySplitsKeysStably(t *testing.T) {
	for _, realms := range []int{1, 2} {
		t.Run(fmt.Sprintf("realms=%d", realms), func(t *testing.T) {
			e := newEnv(t, map[string]string{"/m/p.js": versioned("v1")}, func(o *hotmod.Options) { o.Realms = realms })
			m := e.create("p", "/m/p.js")
			events := e.events()
			e.write("/m/p.js", versioned("v2"))
			if err := m.Canary(e.ctx, 10); err != nil {
				t.Fatal(err)
			}
			waitFor(t, events, typ(hotmod.EventCanaryStarted, "p"))
			early := onCanary(t, e, m, 400)
			if n := len(early); n < 20 || n > 60 {
				t.Errorf("%d of 400 keys on a 10%% canary", n)
			}
			if e.call(m, "version") != "v1" || m.Version() != 1 {
				t.Errorf("a plain call reached %v", e.call(m, "version"))
			}
			if st := m.Stats().Canary; st == nil || st.Version != 2 || st.Percent != 10 {
				t.Errorf("Stats().Canary = %+v", st)
			}
			if err := m.Canary(e.ctx, 50); err != nil {
				t.Fatal(err)
			}
			later := onCanary(t, e, m, 400)
			for k := range early {
				if !later[k] {
					t.Errorf("%s left the canary when it grew to 50%%", k)
				}
			}
			if n := len(later); n < 160 || n > 240 {
				t.Errorf("%d of 400 keys on a 50%% canary", n)
			}
			// Promote: the accept hook runs again on the version serving
			// now, so the calls counted meanwhile carry over.
			for range 3 {
				e.call(m, "count")
			}
			if err := m.Promote(e.ctx); err != nil {
				t.Fatal(err)
			}
			if m.Version() != 2 || e.call(m, "version") != "v2" || len(onCanary(t, e, m, 50)) != 50 || m.Stats().Canary != nil {
				t.Errorf("after promote: version %d, %v", m.Version(), e.call(m, "version"))
			}
			if realms == 1 && e.call(m, "count") != int64(4) {
				t.Errorf("the promoted version did not carry the state over")
			}
			waitFor(t, events, typ(hotmod.EventCanaryPromoted, "p"))
			if err := m.Promote(e.ctx); !errors.Is(err, hotmod.ErrNoCanary) {
				t.Errorf("a second promote: %v", err)
			}
		})
	}
}

func TestCanaryAbortAndFollowTheStore(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/p.js": versioned("v1")}, autoReload)
	m := e.create("p", "/m/p.js")
	events := e.events()
	if err := m.CanarySource(e.ctx, []byte(versioned("v2")), 100); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, typ(hotmod.EventCanaryStarted, "p"))
	if v, _ := m.CallKey(e.ctx, "k", "version"); v != "v2" {
		t.Errorf("a 100%% canary served %v", v)
	}
	// While a canary runs, a change in the store makes the next canary.
	e.write("/m/p.js", versioned("v3"))
	if ev := waitFor(t, events, typ(hotmod.EventCanaryAborted, "p")); ev.Reason != "replaced by a new canary" {
		t.Errorf("%+v", ev)
	}
	ev := waitFor(t, events, typ(hotmod.EventCanaryStarted, "p"))
	if ev.Version != 2 || m.Version() != 1 {
		t.Errorf("canary %+v over version %d", ev, m.Version())
	}
	if v, _ := m.CallKey(e.ctx, "k", "version"); v != "v3" {
		t.Errorf("the canary after the store's change serves %v", v)
	}
	if err := m.Abort(e.ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.CallKey(e.ctx, "k", "version"); v != "v1" || m.Stats().Canary != nil {
		t.Errorf("after abort: %v", v)
	}
	if err := m.Abort(e.ctx); !errors.Is(err, hotmod.ErrNoCanary) {
		t.Errorf("a second abort: %v", err)
	}
	if err := m.Canary(e.ctx, 101); !errors.Is(err, hotmod.ErrInvalidCanary) {
		t.Errorf("101%%: %v", err)
	}
	// A broken canary is refused like a reload.
	err := m.CanarySource(e.ctx, []byte("export const version = ("), 10)
	var re *hotmod.ReloadError
	if !errors.As(err, &re) || re.Step != "compile" || m.Stats().Canary != nil {
		t.Errorf("a broken canary: %v", err)
	}
	// CanarySource's promote writes the store: what serves is what it holds.
	if err := m.CanarySource(e.ctx, []byte(versioned("v4")), 5); err != nil {
		t.Fatal(err)
	}
	if err := m.Promote(e.ctx); err != nil {
		t.Fatal(err)
	}
	if src, _ := e.store.Read(e.ctx, "/m/p.js"); !strings.Contains(string(src), `"v4"`) || e.call(m, "version") != "v4" {
		t.Errorf("after promoting a given source the store has %q", src)
	}
}

// A canary that regresses against the serving version is aborted by itself.
func TestCanaryAbortsItselfOnErrors(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/p.js": "export const f = (i) => i"}, probation(hotmod.Probation{Calls: 1000, MinCalls: 20}))
	m := e.create("p", "/m/p.js")
	events := e.events()
	if err := m.CanarySource(e.ctx, []byte("export const f = (i) => { if (i % 5 === 0) throw new Error('every fifth'); return i }"), 100); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		_, _ = m.Call(e.ctx, "f", i)
		_, _ = m.CallKey(e.ctx, "k", "f", i)
	}
	ev := waitFor(t, events, typ(hotmod.EventCanaryAborted, "p"))
	if !strings.Contains(ev.Reason, "regressed: error rate 20.0% over 20 calls against 0.0%") || m.Stats().Canary != nil || m.Version() != 1 {
		t.Errorf("%+v", ev)
	}
	if !strings.Contains(m.Stats().LastAutoRollback, "canary version 2 aborted") {
		t.Errorf("LastAutoRollback = %q", m.Stats().LastAutoRollback)
	}
}

// A profile reports a canary's calls beside the serving version's.
func TestCanaryInProfiles(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/p.js": versioned("v1")})
	m := e.create("p", "/m/p.js")
	prof, err := m.Profile()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CanarySource(e.ctx, []byte(versioned("v2")), 50); err != nil {
		t.Fatal(err)
	}
	onCanary(t, e, m, 100)
	pm := prof.Stop()
	if len(pm.ByVersion) != 2 || pm.ByVersion[0].Version != 1 || pm.ByVersion[1].Version != 2 ||
		pm.ByVersion[0].Calls+pm.ByVersion[1].Calls != 100 || pm.ByVersion[1].Calls < 20 {
		t.Errorf("ByVersion = %+v", pm.ByVersion)
	}
}

// A pinned source serves until Unpin, whatever the store says.
func TestPin(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/p.js": versioned("v1")}, autoReload)
	m := e.create("p", "/m/p.js")
	events := e.events()
	if err := m.Pin(e.ctx, []byte(versioned("pinned"))); err != nil {
		t.Fatal(err)
	}
	if e.call(m, "version") != "pinned" || !m.Pinned() {
		t.Fatalf("after Pin: %v", e.call(m, "version"))
	}
	e.write("/m/p.js", versioned("v2"))
	waitFor(t, events, typ(hotmod.EventSourceChanged, "p"))
	if err := m.Reload(e.ctx); err != nil || e.call(m, "version") != "pinned" {
		t.Errorf("a pinned module followed the store: %v, %v", e.call(m, "version"), err)
	}
	if err := m.Pin(e.ctx, []byte("export const version = (")); err == nil || !m.Pinned() || e.call(m, "version") != "pinned" {
		t.Errorf("a broken Pin changed the module: %v", err)
	}
	if err := m.Unpin(e.ctx); err != nil || e.call(m, "version") != "v2" || m.Pinned() {
		t.Errorf("after Unpin: %v, %v", e.call(m, "version"), err)
	}
}
