package hotmod

import (
	"encoding/json"
	"slices"
	"time"
)

// With one realm, a runaway call or a load that loops stalls every module
// until its deadline. RealmHolders says who holds each realm and since
// when, so that the stall has a name. A call records its site (made once
// per version and function) only if the realm's holder is another: calls
// of one function in a row pay one plain load, others one atomic store;
// the holder is not cleared when the call ends (a locked instruction after
// goja's stores measured 15-20 ns, 5% of a call), so every other kind of
// run says it is not a call: a load names itself, a transaction (lockAll)
// and a read of exports clear it, and a timer is the engine's to name
// (engine.Realm.TimerOwner). The time a run began is the watchdog's
// (engine.Realm.HeldSince), read from its ticks: no clock read a call.

// holdSite is what holds a realm: a call of module.function, or the
// evaluation of a version of module.
type holdSite struct {
	m        *Module
	function string
	loading  bool
}

// hold records site as what holds s: a store only when it changes. Call
// with s's lock held.
func (s *realm) hold(site *holdSite) {
	if s.holder.Load() != site {
		s.holder.Store(site)
	}
}

// site is the holdSite of calls of name in v, made once. Call with the
// realm's lock held.
func (v *version) site(m *Module, name string) *holdSite {
	if st, ok := v.sites[name]; ok {
		return st
	}
	st := &holdSite{m: m, function: name}
	if len(v.sites) < maxCallables {
		if v.sites == nil {
			v.sites = make(map[string]*holdSite)
		}
		v.sites[name] = st
	}
	return st
}

// RealmStatus says what holds one realm now. JSON writes Held as heldMs.
type RealmStatus struct {
	Index int `json:"index"`
	// Busy: JavaScript runs in the realm now (a call, a load, a timer, a
	// hook); every other caller that needs this realm waits.
	Busy bool `json:"busy"`
	// Module and Function name the call that holds it; Loading says the
	// module's source is being evaluated (a load, reload or canary), and
	// Timer that a timer callback of Module runs; Function is then empty.
	// All are empty for other work (a transaction's hooks, a read).
	Module   string `json:"module,omitempty"`
	Function string `json:"function,omitempty"`
	Loading  bool   `json:"loading,omitempty"`
	Timer    bool   `json:"timer,omitempty"`
	// Since is when the run began, to within 10 ms; Held is how long it
	// has held the realm.
	Since time.Time     `json:"since,omitzero"`
	Held  time.Duration `json:"-"`
	// Probe: the realm is a probe's, a private one evaluating a module
	// whose top level ran out of its first pass or last failed on a bound,
	// so that it holds no serving realm (see LoadAll). No call waits on
	// it; it is listed because the load is what a user is waiting for.
	// Index is then -1.
	Probe bool `json:"probe,omitempty"`
}

// probeRun is one load running in a probe.
type probeRun struct {
	id    string
	since time.Time
}

// Holder says what holds the realm in words: "thrower.forever",
// "loading pricing", "a timer of ticker", "other work", or "" when it is
// free.
func (s RealmStatus) Holder() string {
	switch {
	case !s.Busy:
		return ""
	case s.Probe:
		return "loading " + s.Module + " in a probe"
	case s.Loading:
		return "loading " + s.Module
	case s.Timer:
		return "a timer of " + s.Module
	case s.Module != "":
		return s.Module + "." + s.Function
	}
	return "other work"
}

// MarshalJSON writes Held as heldMs, and the holder in words as holder.
func (s RealmStatus) MarshalJSON() ([]byte, error) {
	type plain RealmStatus
	return json.Marshal(struct {
		plain
		HeldMS float64 `json:"heldMs"`
		Holder string  `json:"holder,omitempty"`
	}{plain(s), millis(s.Held), s.Holder()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *RealmStatus) UnmarshalJSON(b []byte) error {
	type plain RealmStatus
	w := struct {
		*plain
		HeldMS float64 `json:"heldMs"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.Held = fromMillis(w.HeldMS)
	return nil
}

// RealmHolders says, for each realm, whether JavaScript runs in it now,
// which module and function (or which module's load) holds it, and for
// how long, and then each probe running now (Probe, Index -1), oldest
// first. It never waits for a realm, so it answers while a runaway holds
// one. Safe for concurrent use.
func (rt *Runtime) RealmHolders() []RealmStatus {
	out := make([]RealmStatus, len(rt.realms))
	now := time.Now()
	for i, s := range rt.realms {
		st := RealmStatus{Index: i}
		// The holder and the run are read apart: read the holder on both
		// sides, and trust a pair only if it did not change between.
		for range 3 {
			site := s.holder.Load()
			timer, inTimer := s.TimerOwner()
			since, busy := s.HeldSince()
			if s.holder.Load() != site {
				continue
			}
			st.Busy, st.Since = busy, since
			switch {
			case !busy:
			case inTimer:
				st.Module, st.Timer = timer, true
			case site != nil:
				st.Module, st.Function, st.Loading = site.m.id, site.function, site.loading
			}
			if busy {
				st.Held = max(now.Sub(since), 0)
			}
			break
		}
		if !st.Busy {
			st.Since = time.Time{}
		}
		out[i] = st
	}
	rt.probeMu.Lock()
	probes := make([]RealmStatus, 0, len(rt.probes))
	for run := range rt.probes {
		probes = append(probes, RealmStatus{Index: -1, Busy: true, Module: run.id, Loading: true, Probe: true,
			Since: run.since, Held: max(now.Sub(run.since), 0)})
	}
	rt.probeMu.Unlock()
	slices.SortFunc(probes, func(a, b RealmStatus) int { return a.Since.Compare(b.Since) })
	return append(out, probes...)
}
