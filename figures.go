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
// so it is kept to atomic adds on counters of the realm the call runs in
// (no cache line shared between realms) and a clock read for a sample of
// the calls only: the first timedAlways calls of a version, then one in
// timeEvery. See RATIONALE.md for the measurements.

const (
	// timedAlways calls of a version are all timed, so that a version
	// with few calls has a p99 from all of them.
	timedAlways = 32
	// timeEvery: past timedAlways, one call in this many is timed (two
	// clock reads and a mutex: about 60 ns, 2 ns a call spread out).
	timeEvery = 32
	// versionSamples bounds the durations kept per version for its p99.
	versionSamples = 256
)

// callFigures are one version number's calls, shared by its copies in
// every realm.
type callFigures struct {
	realms []realmFigures // by realm index

	mu      sync.Mutex
	timed   int64 // calls timed, the sample's population
	samples []time.Duration
}

// realmFigures are a version's calls in one realm, padded to a cache line
// of their own: realms run on different cores.
type realmFigures struct {
	calls, errors atomic.Int64
	// fromModules counts reads of the version's exported functions
	// through the handles other modules import (see handle.go): a call
	// from another module, as esbuild's code reads the export at each
	// call.
	fromModules atomic.Int64
	_           [40]byte
}

func newCallFigures(realms int) *callFigures {
	return &callFigures{realms: make([]realmFigures, realms)}
}

// begin counts a call in realm i and says whether to time it.
func (f *callFigures) begin(i int) bool {
	n := f.realms[i].calls.Add(1)
	return n <= timedAlways || n%timeEvery == 0
}

// sample records the duration of a timed call.
func (f *callFigures) sample(d time.Duration) {
	f.mu.Lock()
	f.timed++
	f.samples = sample.Add(f.samples, versionSamples, f.timed, d)
	f.mu.Unlock()
}

// VersionFigures are one version's calls since it was first loaded (a
// rollback to it counts on): calls from Go (Module.Call, CallKey, the HTTP
// API) with their errors and p99, and calls from other modules, which are
// counted but neither timed nor checked for errors (they run as plain
// JavaScript calls). JSON writes P99 as p99Ms.
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
