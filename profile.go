package hotmod

import (
	"fmt"
	"github.com/hotmod/hotmod/internal/engine"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/sample"
)

// Profile counts and times every call through a module's handles, from Go
// and from other modules, until it is stopped. Profiles survive reloads and
// several may run at once.
type Profile struct {
	id, module string
	started    time.Time

	m       *Module
	mu      sync.Mutex
	stopped time.Time
	fns     map[string]*fnStats
	seen    map[int]*fnStats // by version
}

// ID is the profile's id, unique in its Runtime ("prof1", ...):
// Runtime.Profile finds it, and its events carry it.
func (p *Profile) ID() string { return p.id }

// Module is the id of the module it profiles.
func (p *Profile) Module() string { return p.module }

// Started is when it began counting.
func (p *Profile) Started() time.Time { return p.started }

// ProfileMetrics is a snapshot of a profile: Runtime.LookupProfile(id).Metrics()
// while it runs, Stop's result after.
type ProfileMetrics struct {
	ID          string            `json:"id"`
	Module      string            `json:"module"`
	Started     time.Time         `json:"started"`
	Duration    time.Duration     `json:"-"` // durationMs in JSON
	Running     bool              `json:"running"`
	Versions    []int             `json:"versions"` // the versions that served profiled calls
	TotalCalls  int64             `json:"totalCalls"`
	TotalErrors int64             `json:"totalErrors"`
	TotalTime   time.Duration     `json:"-"`         // totalTimeMs in JSON
	Functions   []FunctionMetrics `json:"functions"` // by name
	// ByVersion are the same figures by version (Version set, Name
	// empty): a reload's or a canary's calls beside the old version's.
	ByVersion []FunctionMetrics `json:"byVersion"`
}

// FunctionMetrics are one function's figures. Async functions are timed
// until their promise settles; a throw or a rejection counts as an error.
// P50 and P99 come from a uniform sample of up to 4096 calls. In JSON the
// durations are milliseconds: totalMs, minMs, maxMs, meanMs, p50Ms, p99Ms.
type FunctionMetrics struct {
	Name    string        `json:"name,omitempty"`
	Version int           `json:"version,omitempty"` // in ByVersion
	Calls   int64         `json:"calls"`
	Errors  int64         `json:"errors"`
	Total   time.Duration `json:"-"`
	Min     time.Duration `json:"-"`
	Max     time.Duration `json:"-"`
	Mean    time.Duration `json:"-"`
	P50     time.Duration `json:"-"`
	P99     time.Duration `json:"-"`
}

const sampleSize = 4096

type fnStats struct {
	calls, errors   int64
	total, min, max time.Duration
	samples         []time.Duration
}

// ProfileModule starts a profile of module id.
func (rt *Runtime) ProfileModule(id string) (*Profile, error) {
	m, err := rt.Module(id)
	if err != nil {
		return nil, err
	}
	if m.rt != rt {
		return m.rt.ProfileModule(id) // isolated
	}
	rt.mu.Lock()
	rt.profileSeq++
	p := &Profile{
		id: fmt.Sprintf("prof%d", rt.profileSeq), module: id, started: time.Now(), m: m,
		fns: make(map[string]*fnStats), seen: make(map[int]*fnStats),
	}
	rt.profiles[p.id] = p
	rt.mu.Unlock()
	m.editHooks(func(h *hooks) { h.profiles = append(h.profiles, p) })
	rt.events.emit(Event{Type: EventProfileStarted, Module: id, Profile: p.id, Version: m.Version()})
	return p, nil
}

// LookupProfile returns a running profile by its id (Profile.ID), to read
// or stop one that another part of the program started. ProfileModule and
// Module.Profile start one.
func (rt *Runtime) LookupProfile(id string) (*Profile, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	p, ok := rt.profiles[id]
	if !ok {
		return nil, fmt.Errorf("%w: profile %q", ErrNotFound, id)
	}
	return p, nil
}

// Profile is LookupProfile.
//
// Deprecated: the name read like Module.Profile, which starts a profile;
// use LookupProfile. Profile will be removed in the next release.
func (rt *Runtime) Profile(id string) (*Profile, error) { return rt.LookupProfile(id) }

// Stop ends the profile and returns its final metrics; other profiles of
// the module go on. Stopping twice returns the same figures.
func (p *Profile) Stop() ProfileMetrics {
	p.mu.Lock()
	first := p.stopped.IsZero()
	if first {
		p.stopped = time.Now()
	}
	p.mu.Unlock()
	if first {
		p.m.editHooks(func(h *hooks) { h.profiles = slices.DeleteFunc(h.profiles, func(q *Profile) bool { return q == p }) })
		rt := p.m.rt
		rt.mu.Lock()
		delete(rt.profiles, p.id)
		rt.mu.Unlock()
		rt.events.emit(Event{Type: EventProfileStopped, Module: p.module, Profile: p.id, Version: p.m.Version()})
	}
	return p.Metrics()
}

// Metrics returns a snapshot; the profile goes on.
func (p *Profile) Metrics() ProfileMetrics {
	p.mu.Lock()
	defer p.mu.Unlock()
	end := p.stopped
	if end.IsZero() {
		end = time.Now()
	}
	pm := ProfileMetrics{
		ID: p.id, Module: p.module, Started: p.started, Duration: end.Sub(p.started), Running: p.stopped.IsZero(),
		Versions: []int{}, Functions: []FunctionMetrics{}, ByVersion: []FunctionMetrics{},
	}
	for v, s := range p.seen {
		pm.Versions = append(pm.Versions, v)
		vm := s.metrics()
		vm.Version = v
		pm.ByVersion = append(pm.ByVersion, vm)
	}
	slices.Sort(pm.Versions)
	sort.Slice(pm.ByVersion, func(i, j int) bool { return pm.ByVersion[i].Version < pm.ByVersion[j].Version })
	for name, s := range p.fns {
		fm := s.metrics()
		fm.Name = name
		pm.Functions = append(pm.Functions, fm)
		pm.TotalCalls += s.calls
		pm.TotalErrors += s.errors
		pm.TotalTime += s.total
	}
	sort.Slice(pm.Functions, func(i, j int) bool { return pm.Functions[i].Name < pm.Functions[j].Name })
	return pm
}

// metrics are s's figures, without a name or version.
func (s *fnStats) metrics() FunctionMetrics {
	fm := FunctionMetrics{Calls: s.calls, Errors: s.errors, Total: s.total, Min: s.min, Max: s.max}
	if s.calls > 0 {
		fm.Mean = s.total / time.Duration(s.calls)
	}
	q := sample.Quantiles(s.samples, 0.50, 0.99)
	fm.P50, fm.P99 = q[0], q[1]
	return fm
}

func (s *fnStats) add(d time.Duration, failed bool) {
	s.calls++
	if failed {
		s.errors++
	}
	s.total += d
	s.min, s.max = min(s.min, d), max(s.max, d)
	s.samples = sample.Add(s.samples, sampleSize, s.calls, d)
}

func (p *Profile) record(version int, name string, d time.Duration, failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped.IsZero() {
		return
	}
	for _, s := range []*fnStats{statsOf(p.fns, name), statsOf(p.seen, version)} {
		s.add(d, failed)
	}
}

// statsOf finds or makes the figures under key.
func statsOf[K comparable](m map[K]*fnStats, key K) *fnStats {
	s := m[key]
	if s == nil {
		s = &fnStats{min: time.Duration(math.MaxInt64)}
		m[key] = s
	}
	return s
}

// invoke calls fn, timing it for the profiles in h (the hooks the caller
// loaded): until it returns, or for a promise until it settles. Call with the
// lock held.
func (m *Module) invoke(s *realm, h *hooks, v *version, name string, fn goja.Callable, this goja.Value, args []goja.Value) (goja.Value, error) {
	if h == nil || (len(h.profiles) == 0 && h.health == nil) {
		return fn(this, args...)
	}
	profs, health := h.profiles, h.health
	n := 0
	if v != nil {
		n = v.n
	}
	done := func(start time.Time, failed bool) {
		d := time.Since(start)
		if health != nil {
			health.record(n, d, failed)
		}
		for _, p := range profs {
			p.record(n, name, d, failed)
		}
	}
	start := time.Now()
	ret, err := fn(this, args...)
	if err != nil {
		done(start, true)
		return nil, err
	}
	if obj, ok := ret.(*goja.Object); ok {
		if pr := engine.AsPromise(obj); pr != nil {
			switch pr.State() {
			case goja.PromiseStatePending:
				s.OnSettle(obj, func(rejected bool) { done(start, rejected) })
			default:
				done(start, pr.State() == goja.PromiseStateRejected)
			}
			return ret, nil
		}
	}
	done(start, false)
	return ret, nil
}
