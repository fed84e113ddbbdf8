package hotmod

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Stats is a snapshot of a Runtime.
type Stats struct {
	TotalModules int `json:"totalModules"` // every module listed, failed ones included
	// Realms is how many realms run every module (Options.Realms).
	Realms int `json:"realms"`
	// FailedModules counts the modules whose first load failed.
	FailedModules int `json:"failedModules"`
	// TotalReloads is the sum of the modules' successful reloads; without
	// rollbacks it equals Σ(version − 1), the blueprint's figure.
	TotalReloads int           `json:"totalReloads"`
	Modules      []ModuleStats `json:"modules"`
	// RealmHolders says what holds each realm now (Runtime.RealmHolders):
	// a call that runs long holds up every other call in its realm.
	RealmHolders []RealmStatus `json:"realmHolders"`
	// SandboxRuns counts sandboxed runs; SandboxLimitBreaches those that
	// broke a limit.
	SandboxRuns          int64 `json:"sandboxRuns"`
	SandboxLimitBreaches int64 `json:"sandboxLimitBreaches"`
}

// ModuleStats describes one module.
type ModuleStats struct {
	ID                string        `json:"id"`
	SourcePath        string        `json:"sourcePath"`
	Kind              string        `json:"kind"` // script, commonjs, esm or json
	State             State         `json:"state"`
	Version           int           `json:"version"`
	HasHandle         bool          `json:"hasHandle"`
	UpdateCallbacks   int           `json:"updateCallbacks"`
	Reloads           int           `json:"reloads"`
	FailedReloads     int           `json:"failedReloads"`
	Rollbacks         int           `json:"rollbacks"`
	LastReload        time.Time     `json:"lastReload,omitzero"`
	LastError         string        `json:"lastError,omitempty"`
	LastErrorPosition *Position     `json:"lastErrorPosition,omitempty"`
	KeptVersions      []int         `json:"keptVersions"`
	Versions          []VersionInfo `json:"versions"` // the kept versions, as Module.Versions lists them
	SourceDeleted     bool          `json:"sourceDeleted,omitempty"`
	StoreNewer        bool          `json:"storeNewer,omitempty"`
	PendingTimers     int           `json:"pendingTimers"` // in every realm
	Patches           []PatchInfo   `json:"patches"`       // active patches, bottom of the stack first
	Profiles          []string      `json:"profiles"`      // ids of running profiles
	// Probation is the probation of the version serving, while it runs;
	// LastAutoRollback says why the module last rolled back by itself.
	Probation        *ProbationStatus `json:"probation,omitempty"`
	LastAutoRollback string           `json:"lastAutoRollback,omitempty"`
	// Canary is the module's canary, while one runs (Module.Canary).
	Canary *CanaryStatus `json:"canary,omitempty"`
	// ModuleCalls counts every call of the module's exported functions
	// from other modules, every version's, since it was loaded: what an
	// importer of ES module syntax calls through its handle, each read
	// of the export being a call. A function exported by a `let` (read
	// through a live binding), or imported by CommonJS code or a script,
	// is not counted.
	ModuleCalls int64 `json:"moduleCalls"`
}

// Stats returns a snapshot of every loaded module, sorted by id.
func (rt *Runtime) Stats() Stats {
	rt.flushFigures()
	mods := rt.Modules()
	rt.mu.Lock()
	cbs := make(map[string]int, len(rt.callbacks))
	for id, fns := range rt.callbacks {
		cbs[id] = len(fns)
	}
	rt.mu.Unlock()
	st := Stats{
		TotalModules: len(mods), Realms: len(rt.realms), Modules: make([]ModuleStats, 0, len(mods)),
		SandboxRuns: rt.sandboxRuns.Load(), SandboxLimitBreaches: rt.sandboxBreaches.Load(),
		RealmHolders: rt.RealmHolders(),
	}
	for _, m := range mods {
		ms := m.stats()
		ms.UpdateCallbacks = cbs[m.id]
		st.TotalReloads += ms.Reloads
		if ms.State == StateFailed {
			st.FailedModules++
		}
		st.Modules = append(st.Modules, ms)
	}
	return st
}

// Stats describes this module alone.
func (m *Module) Stats() ModuleStats {
	m.rt.flushFigures()
	ms := m.stats()
	m.rt.mu.Lock()
	ms.UpdateCallbacks = len(m.rt.callbacks[m.id])
	m.rt.mu.Unlock()
	return ms
}

func (m *Module) stats() ModuleStats {
	v := m.cur.Load()
	m.mu.Lock()
	defer m.mu.Unlock()
	ms := ModuleStats{
		ID: m.id, SourcePath: m.path, HasHandle: v != nil, State: m.state,
		Reloads: m.reloads, FailedReloads: m.failures, Rollbacks: m.rollbacks,
		LastReload: m.lastReload, SourceDeleted: m.sourceDeleted,
		Patches: []PatchInfo{}, Profiles: []string{}, KeptVersions: []int{}, Versions: []VersionInfo{},
	}
	if h := m.health.Load(); h != nil {
		ms.Probation, ms.LastAutoRollback = h.status()
	}
	ms.Canary = m.canaryStatus()
	if v != nil {
		ms.Version, ms.Kind = v.n, v.res.Kind.String()
		ms.StoreNewer = m.storeNewerLocked(v)
		for _, in := range m.in { // every realm's timers
			if iv := in.cur.Load(); iv != nil {
				ms.PendingTimers += iv.scope.timers.Len()
			}
		}
	}
	if m.lastErr != nil {
		ms.LastError = m.lastErr.Error()
		ms.LastErrorPosition = position(m.lastErr)
	}
	for _, k := range m.kept {
		ms.KeptVersions = append(ms.KeptVersions, k.n)
		ms.Versions = append(ms.Versions, m.infoLocked(k, v))
	}
	// The figures of versions gone for good are not kept past here.
	cn := m.canaryNow.Load()
	m.pruneFigures(func(n int) bool {
		return (v != nil && n == v.n) || (cn != nil && n == cn.c.n) || slices.ContainsFunc(m.kept, func(k *version) bool { return k.n == n })
	})
	ms.ModuleCalls = m.moduleCalls()
	if h := m.hooks.Load(); h != nil {
		for _, name := range slices.Sorted(maps.Keys(h.patches)) {
			for _, l := range h.patches[name].layers {
				ms.Patches = append(ms.Patches, l.patch.info())
			}
		}
		for _, p := range h.profiles {
			ms.Profiles = append(ms.Profiles, p.id)
		}
	}
	return ms
}

func sortModules(ms []*Module) {
	slices.SortFunc(ms, func(a, b *Module) int { return strings.Compare(a.id, b.id) })
}

// storeNewerLocked reports whether the store's source, as the runtime last
// read it, is not what v (the serving version) runs: after a rollback, or a
// reload that failed at evaluation. A canary of the store's source counts
// as serving it. Call with m.mu held.
func (m *Module) storeNewerLocked(v *version) bool {
	if m.storeHash == ([32]byte{}) || m.storeHash == v.res.Hash {
		return false
	}
	cn := m.canaryNow.Load()
	return cn == nil || cn.c.res.Hash != m.storeHash
}

// VersionInfo describes one kept version of a module.
type VersionInfo struct {
	Version int `json:"version"`
	// Served is when it last started serving: its load, its reload, or a
	// rollback to it.
	Served time.Time `json:"served"`
	// Took is how long that load, reload or rollback took, from the first
	// read of the source to the swap; tookMs in JSON.
	Took    time.Duration `json:"-"`
	Serving bool          `json:"serving"` // it is the current version
	Size    int           `json:"size"`    // its source's length in bytes
	// Its calls since it was first loaded, as VersionFigures counts
	// them; P99 is p99Ms in JSON.
	Calls       int64         `json:"calls"`
	Errors      int64         `json:"errors"`
	P99         time.Duration `json:"-"`
	ModuleCalls int64         `json:"moduleCalls"`
}

// infoLocked describes k; cur is the serving version. Call with m.mu held.
func (m *Module) infoLocked(k, cur *version) VersionInfo {
	f := m.figures(k.n)
	return VersionInfo{Version: k.n, Served: k.served, Took: k.took, Serving: k == cur, Size: len(k.res.Source),
		Calls: f.Calls, Errors: f.Errors, P99: f.P99, ModuleCalls: f.ModuleCalls}
}

// Versions describes the kept versions in the order they last began
// serving, the serving one last: the versions Rollback can return to.
func (m *Module) Versions() []VersionInfo {
	m.rt.flushFigures()
	cur := m.cur.Load()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]VersionInfo, 0, len(m.kept))
	for _, k := range m.kept {
		out = append(out, m.infoLocked(k, cur))
	}
	return out
}

// Source returns the source a kept version runs, as it was read from the
// store (before any transform): what a dashboard shows and diffs.
// A version no longer kept is ErrVersionNotKept.
func (m *Module) Source(version int) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var have []int
	for _, k := range m.kept {
		if k.n == version {
			return k.res.Source, nil
		}
		have = append(have, k.n)
	}
	return "", fmt.Errorf("%w: %s version %d (kept: %v)", ErrVersionNotKept, m.id, version, have)
}
