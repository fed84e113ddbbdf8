package hotmod

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotmod/hotmod/internal/sample"
)

// Every version counts its calls, always: a canary is judged by comparing
// its figures with the serving version's, and before this they were
// counted only under a probation or a profile. The cost is on every call,
// so a call adds to plain counters of its realm, under the realm's lock,
// and a clock read is paid by a sample of the calls only: the first
// timedAlways calls in a realm, then one in timeEvery. The counts reach
// the atomics that readers read in batches: at each timed call, whenever
// something takes every realm (lockAll), and when Stats finds the realm
// free (flushFigures). So they are exact while a realm is free, and under
// load a realm's last calls (fewer than timeEvery of a version, fewer
// than flushEvery calls from other modules) show a little later. See
// RATIONALE.md for the measurements.

const (
	// timedAlways calls of a version are all timed, so that a version
	// with few calls has a p99 from all of them.
	timedAlways = 32
	// timeEvery: past timedAlways, one call in this many is timed (two
	// clock reads and a mutex: about 60 ns, 2 ns a call spread out).
	timeEvery = 32
	// versionSamples bounds the durations kept per version for its p99.
	versionSamples = 256
	// flushEvery: calls from other modules are published at least this
	// often.
	flushEvery = 64
)

// callFigures are one version number's calls, shared by its copies in
// every realm.
type callFigures struct {
	realms []realmFigures // by realm index

	mu      sync.Mutex
	timed   int64 // calls timed, the sample's population
	samples []time.Duration
}

// realmFigures are a version's calls in one realm, padded to cache lines
// of their own: realms run on different cores.
type realmFigures struct {
	// Published: what readers read.
	calls, errors atomic.Int64
	// fromModules counts reads of the version's exported functions
	// through the handles other modules import (see handle.go): a call
	// from another module, as esbuild's code reads the export at each
	// call.
	fromModules atomic.Int64
	// Counted with the realm's lock held, not yet published (see flush).
	pendCalls, pendFrom int64
	seen                int64 // every call counted here: which ones are timed
	dirty               bool  // listed in the realm's dirty
	_                   [7]byte
	_                   [64]byte
}

// flush publishes the counts not yet published. Call with the realm's
// lock held.
func (r *realmFigures) flush() {
	if r.pendCalls != 0 {
		r.calls.Add(r.pendCalls)
		r.pendCalls = 0
	}
	if r.pendFrom != 0 {
		r.fromModules.Add(r.pendFrom)
		r.pendFrom = 0
	}
}

// listDirty puts f in s's list of figures to publish. Call with s's lock
// held.
func (s *realm) listDirty(f *callFigures, r *realmFigures) {
	if !r.dirty {
		r.dirty = true
		s.dirty = append(s.dirty, f)
	}
}

// flushDirty publishes every count of the realm. Call with s's lock held.
func (s *realm) flushDirty() {
	for i, f := range s.dirty {
		r := &f.realms[s.index]
		r.flush()
		r.dirty = false
		s.dirty[i] = nil
	}
	s.dirty = s.dirty[:0]
}

// countFromModule counts a call of f's version from another module in s.
// Call with s's lock held (a getter that runs in the realm).
func (s *realm) countFromModule(f *callFigures) {
	r := &f.realms[s.index]
	r.pendFrom++
	if r.pendFrom >= flushEvery {
		r.flush()
	}
	s.listDirty(f, r)
}

// flushFigures publishes the counts of every realm that is free now; a
// busy one publishes its own soon (at its next timed call or transaction).
func (rt *Runtime) flushFigures() {
	for _, s := range rt.realms {
		if s.TryLock() {
			s.flushDirty()
			s.Unlock()
		}
	}
}

func newCallFigures(realms int) *callFigures {
	return &callFigures{realms: make([]realmFigures, realms)}
}

// begin counts a call in realm s and says whether to time it: a plain
// add, and a publication with each timed call. Call with s's lock held.
func (f *callFigures) begin(s *realm) bool {
	r := &f.realms[s.index]
	r.seen++
	r.pendCalls++
	if r.seen <= timedAlways || r.seen%timeEvery == 0 {
		r.flush()
		return true
	}
	s.listDirty(f, r)
	return false
}

// sample records the duration of a timed call.
func (f *callFigures) sample(d time.Duration) {
	f.mu.Lock()
	f.timed++
	f.samples = sample.Add(f.samples, versionSamples, f.timed, d)
	f.mu.Unlock()
}

// VersionFigures are one version's calls since it was first evaluated (a
// rollback to it counts on): calls from Go (Module.Call, CallKey, the HTTP
// API, and Candidate.Call of an Options.Verify, which runs before the
// version serves) with their errors and p99, and calls from other modules,
// which are counted but neither timed nor checked for errors (they run as
// plain JavaScript calls). JSON writes P99 as p99Ms.
type VersionFigures struct {
	Version int           `json:"version"`
	Calls   int64         `json:"calls"`  // from Go
	Errors  int64         `json:"errors"` // of those calls: throws, rejections, timeouts
	P99     time.Duration `json:"-"`      // of a sample of those calls
	// ModuleCalls counts calls of its exported functions from other
	// modules of ES module syntax (see ModuleStats.ModuleCalls).
	ModuleCalls int64 `json:"moduleCalls"`
}

// read sums the realms' counters.
func (f *callFigures) read(n int) VersionFigures {
	out := VersionFigures{Version: n}
	if f == nil {
		return out
	}
	for i := range f.realms {
		r := &f.realms[i]
		out.Calls += r.calls.Load()
		out.Errors += r.errors.Load()
		out.ModuleCalls += r.fromModules.Load()
	}
	f.mu.Lock()
	out.P99 = sample.Quantile(f.samples, 0.99)
	f.mu.Unlock()
	return out
}

func (f *callFigures) moduleCalls() int64 {
	var n int64
	for i := range f.realms {
		n += f.realms[i].fromModules.Load()
	}
	return n
}

// figuresFor is the figures of m's version n, made on first use: every
// realm's copy of version n counts into them.
func (m *Module) figuresFor(n int) *callFigures {
	m.figMu.Lock()
	defer m.figMu.Unlock()
	if f := m.figs[n]; f != nil {
		return f
	}
	if m.figs == nil {
		m.figs = make(map[int]*callFigures)
	}
	f := newCallFigures(len(m.in))
	m.figs[n] = f
	return f
}

// figures reads version n's figures (zero if it has none yet).
func (m *Module) figures(n int) VersionFigures {
	m.figMu.Lock()
	f := m.figs[n]
	m.figMu.Unlock()
	return f.read(n)
}

// pruneFigures forgets the figures of versions neither kept nor the
// canary, adding their module calls to the module's total first, so that
// ModuleStats.ModuleCalls never goes back.
func (m *Module) pruneFigures(live func(n int) bool) {
	m.figMu.Lock()
	defer m.figMu.Unlock()
	for n, f := range m.figs {
		if !live(n) {
			m.retiredModuleCalls += f.moduleCalls()
			delete(m.figs, n)
		}
	}
}

// moduleCalls is every call made to m's functions from other modules.
func (m *Module) moduleCalls() int64 {
	m.figMu.Lock()
	defer m.figMu.Unlock()
	n := m.retiredModuleCalls
	for _, f := range m.figs {
		n += f.moduleCalls()
	}
	return n
}
