package hotmod

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hotmod/hotmod/internal/sample"
)

// Health-gated rollback: after a reload swaps in, the new version is on
// probation for a window of calls or time. Its calls are counted and timed
// as a profile counts them (from Go and from other modules, async calls to
// settlement); if its error rate or its p99 regresses past the thresholds
// against the figures of the version it replaced, hotmod rolls back to
// that version by itself and says which figure regressed, by how much,
// over how many calls.

// Probation configures health-gated rollback. It is off while Calls and
// Duration are both 0.
type Probation struct {
	// Calls ends the probation after this many calls of the new version.
	Calls int `json:"calls"`
	// Duration ends it after this long, whichever comes first.
	Duration time.Duration `json:"-"`
	// MinCalls is how many calls the new version needs before it is
	// judged. Default 20.
	MinCalls int `json:"minCalls"`
	// MaxErrorRise is how far its error rate may rise above the old
	// version's, as a fraction of calls. Default 0.05 (five points).
	MaxErrorRise float64 `json:"maxErrorRise"`
	// MaxP99Ratio is how many times the old version's p99 its p99 may
	// reach, when the old version served at least MinCalls calls; a p99
	// under 1 ms is never a regression. Default 3.
	MaxP99Ratio float64 `json:"maxP99Ratio"`
}

func (p Probation) on() bool { return p.Calls > 0 || p.Duration > 0 }

func (p Probation) withDefaults() Probation {
	if p.MinCalls <= 0 {
		p.MinCalls = 20
	}
	if p.MaxErrorRise <= 0 {
		p.MaxErrorRise = 0.05
	}
	if p.MaxP99Ratio <= 0 {
		p.MaxP99Ratio = 3
	}
	return p
}

// ProbationStatus is a module's probation, as Stats shows it.
type ProbationStatus struct {
	Version  int           `json:"version"`  // on probation
	Previous int           `json:"previous"` // what it rolls back to
	Since    time.Time     `json:"since"`
	Until    time.Time     `json:"until,omitzero"` // when Duration ends it
	Calls    int64         `json:"calls"`
	Errors   int64         `json:"errors"`
	Target   int           `json:"targetCalls,omitempty"` // Calls
	P99      time.Duration `json:"-"`                     // p99Ms in JSON
}

// figures are one version's calls while it is watched.
type figures struct {
	n       int
	calls   int64
	errors  int64
	samples []time.Duration
}

func (f *figures) add(d time.Duration, failed bool) {
	f.calls++
	if failed {
		f.errors++
	}
	f.samples = sample.Add(f.samples, sampleSize, f.calls, d)
}

func (f *figures) rate() float64 {
	if f.calls == 0 {
		return 0
	}
	return float64(f.errors) / float64(f.calls)
}

func (f *figures) p99() time.Duration { return sample.Quantile(f.samples, 0.99) }

// health watches a module's calls while Probation is on: the serving
// version's figures (the baseline of the next), and the probation of a
// version that has just swapped in.
type health struct {
	m *Module

	mu         sync.Mutex
	opts       Probation
	cur, prev  *figures
	canary     *figures         // the canary's calls, judged against cur's meanwhile
	on         *ProbationStatus // the probation running, or nil
	timer      *time.Timer
	failed     bool   // the probation's rollback has started
	lastReason string // why the last automatic rollback happened
}

// SetProbation sets the module's probation, replacing Options.Probation
// for it; a zero Probation turns it off. It applies from the next reload.
func (m *Module) SetProbation(p Probation) {
	h := m.healthState()
	h.mu.Lock()
	h.opts = p.withDefaults()
	h.mu.Unlock()
	m.syncHealthHook()
}

// healthState returns m's health, made on first use.
func (m *Module) healthState() *health {
	if h := m.health.Load(); h != nil {
		return h
	}
	m.health.CompareAndSwap(nil, &health{m: m, opts: m.rt.opts.Probation.withDefaults()})
	return m.health.Load()
}

// syncHealthHook attaches the health recorder to the module's calls while
// probation is on, and takes it off otherwise, so that a module without
// probation pays nothing.
func (m *Module) syncHealthHook() {
	h := m.healthState()
	h.mu.Lock()
	on := h.opts.on()
	h.mu.Unlock()
	m.editHooks(func(hk *hooks) {
		if on {
			hk.health = h
		} else {
			hk.health = nil
		}
	})
}

// record counts one call of version n.
func (h *health) record(n int, d time.Duration, failed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var f *figures
	switch {
	case h.canary != nil && h.canary.n == n:
		f = h.canary
		f.add(d, failed)
		if reason := h.judgeLocked(f, h.cur); reason != "" && h.opts.on() {
			h.canary = nil // judged once
			h.m.rt.spawn(func() { h.m.autoAbort(n, reason) })
		}
		return
	case h.cur != nil && h.cur.n == n:
		f = h.cur
	case h.prev != nil && h.prev.n == n:
		f = h.prev
	default:
		if h.cur == nil {
			h.cur = &figures{n: n}
			f = h.cur
		} else {
			return // a version no longer watched
		}
	}
	f.add(d, failed)
	if h.on == nil || h.on.Version != n || h.failed {
		return
	}
	h.on.Calls, h.on.Errors = f.calls, f.errors
	if reason := h.judgeLocked(f, h.prev); reason != "" {
		h.failed = true
		h.stopTimerLocked()
		n, prev := h.on.Version, h.on.Previous
		h.m.rt.spawn(func() { h.m.autoRollback(n, prev, reason) })
		return
	}
	if h.opts.Calls > 0 && f.calls >= int64(h.opts.Calls) {
		h.passLocked()
	}
}

// judgeLocked says how f, a new version's calls, regressed against base,
// the calls of the version it is compared with, or "" if it did not (yet).
func (h *health) judgeLocked(f, base *figures) string {
	o := h.opts
	if f.calls < int64(o.MinCalls) {
		return ""
	}
	if base == nil {
		base = &figures{}
	}
	if rise := f.rate() - base.rate(); rise > o.MaxErrorRise {
		return fmt.Sprintf("error rate %.1f%% over %d calls against %.1f%% over %d calls of version %d (allowed: %.1f points more)",
			100*f.rate(), f.calls, 100*base.rate(), base.calls, base.n, 100*o.MaxErrorRise)
	}
	if base.calls >= int64(o.MinCalls) {
		p99, was := f.p99(), base.p99()
		if p99 >= time.Millisecond && float64(p99) > o.MaxP99Ratio*float64(was) {
			return fmt.Sprintf("p99 %v over %d calls against %v over %d calls of version %d (allowed: %.1f×)",
				p99.Round(10*time.Microsecond), f.calls, was.Round(10*time.Microsecond), base.calls, base.n, o.MaxP99Ratio)
		}
	}
	return ""
}

// canaryStarted starts counting canary n's calls; the serving version's
// calls from now on are what it is judged against.
func (h *health) canaryStarted(n, serving int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.canary = &figures{n: n}
	h.cur = &figures{n: serving}
}

func (h *health) canaryEnded() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.canary = nil
}

// passLocked ends the probation: the version stays.
func (h *health) passLocked() {
	st := h.on
	h.on = nil
	h.stopTimerLocked()
	h.m.rt.events.emit(Event{Type: EventProbationPassed, Module: h.m.id, Version: st.Version,
		Reason: fmt.Sprintf("%d calls, %d errors", st.Calls, st.Errors)})
}

func (h *health) stopTimerLocked() {
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
}

// swapped starts the probation of version n, which replaced old; a
// rollback starts none (it returns to a version already judged).
func (h *health) swapped(old, n int, rollback bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != nil && h.cur.n == old {
		h.prev = h.cur
	} else {
		h.prev = &figures{n: old}
	}
	h.cur = &figures{n: n}
	h.stopTimerLocked()
	h.on, h.failed = nil, false
	if rollback || !h.opts.on() {
		return
	}
	h.on = &ProbationStatus{Version: n, Previous: old, Since: time.Now(), Target: h.opts.Calls}
	if d := h.opts.Duration; d > 0 {
		h.on.Until = h.on.Since.Add(d)
		h.timer = time.AfterFunc(d, func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.on != nil && h.on.Version == n && !h.failed {
				h.passLocked()
			}
		})
	}
	h.m.rt.events.emit(Event{Type: EventProbationStarted, Module: h.m.id, Version: n, OldVersion: old})
}

// status is the probation running, for Stats.
func (h *health) status() (*ProbationStatus, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	last := h.lastReason
	if h.on == nil {
		return nil, last
	}
	st := *h.on
	if h.cur != nil && h.cur.n == st.Version {
		st.P99 = h.cur.p99()
	}
	return &st, last
}

// autoRollback rolls the module back from version n to prev after its
// probation failed, and reports why.
func (m *Module) autoRollback(n, prev int, reason string) {
	rt := m.rt
	ctx, cancel := context.WithTimeout(rt.bg, rt.opts.ReloadTimeout)
	defer cancel()
	if m.Version() != n {
		return // replaced meanwhile
	}
	err := m.Rollback(ctx, prev)
	h := m.healthState()
	h.mu.Lock()
	h.lastReason = fmt.Sprintf("version %d rolled back to %d: %s", n, prev, reason)
	h.mu.Unlock()
	if err != nil {
		rt.log.Error("probation failed, and the rollback too", "module", m.id, "version", n, "reason", reason, "err", err)
		rt.events.emit(Event{Type: EventReloadFailed, Module: m.id, Version: n, Error: fmt.Sprintf("probation failed (%s), and rolling back to %d failed: %v", reason, prev, err)})
		return
	}
	rt.log.Warn("module rolled back by itself: its probation failed", "module", m.id, "version", n, "to", prev, "reason", reason)
	rt.events.emit(Event{Type: EventAutoRolledBack, Module: m.id, Version: prev, OldVersion: n, Reason: reason})
}
