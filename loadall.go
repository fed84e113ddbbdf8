package hotmod

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// IsModuleSource reports whether a store path holds module code that
// LoadAll loads by itself: JavaScript and TypeScript, but not type
// declarations (.d.ts), JSON, or packages under node_modules, which load
// when something imports them.
func IsModuleSource(p string) bool {
	if strings.HasSuffix(p, ".d.ts") || strings.Contains(p, "/node_modules/") {
		return false
	}
	switch path.Ext(p) {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx":
		return true
	}
	return false
}

// DefaultModuleID is the id a module loaded by an import or by LoadAll gets
// unless Options.ModuleID says otherwise: its path without the leading slash
// and the extension ("/lib/tax.ts" is "lib/tax"), as a user would name it.
// Under node_modules the extension stays, because a package may ship
// index.js and index.mjs side by side and both may load.
func DefaultModuleID(p string) string {
	p = strings.TrimPrefix(p, "/")
	if strings.HasPrefix(p, "node_modules/") || strings.Contains(p, "/node_modules/") {
		return p
	}
	return strings.TrimSuffix(p, path.Ext(p))
}

// LoadReport is what LoadAll did: the ids of the modules that serve (loaded
// now, or before by an import or an earlier call) and, by id, why each of
// the others failed its first load. A failed module stays listed as
// StateFailed and loads when its source, or a file it tried to import,
// changes.
type LoadReport struct {
	Loaded []string
	Failed map[string]error
}

// LoadAll loads every module source under prefix (see LoadsAsModule),
// each as the module Options.ModuleID names (DefaultModuleID's by default), and
// reports each outcome. A module that fails does not stop the others; the
// error is for the store's listing failing, or ctx ending. Modules that
// load quickly serve first: see LoadPaths.
func (rt *Runtime) LoadAll(ctx context.Context, prefix string) (LoadReport, error) {
	paths, err := rt.store.List(ctx, prefix)
	if err != nil {
		return LoadReport{Loaded: []string{}, Failed: map[string]error{}}, err
	}
	return rt.LoadPaths(ctx, paths...)
}

// LoadPaths loads the module sources among paths (see LoadsAsModule) as
// LoadAll does, in two passes so that one slow or endless top level does
// not delay the others. The first pass evaluates each module with at most
// Options.FirstPassBudget. A module that runs out of it is discarded
// cleanly (its timers stopped, its dispose callbacks run) and stays
// StateLoading. In the second pass each such module is first evaluated in
// a private Runtime (its own realm, the same store, options and host
// modules) with the whole LoadTimeout: one that times out there, or runs
// out of memory, fails with that error and its position without having
// held a realm that serves calls for more than the first pass's budget;
// one that finishes there is loaded for real. See RATIONALE.md for what a
// module whose honest top level takes longer than the budget pays. A
// module whose first pass ran out once skips it in later calls.
func (rt *Runtime) LoadPaths(ctx context.Context, paths ...string) (LoadReport, error) {
	rep := LoadReport{Loaded: []string{}, Failed: map[string]error{}}
	quick := rt.opts.FirstPassBudget
	if quick <= 0 || rt.opts.LoadTimeout <= 0 || quick >= rt.opts.LoadTimeout {
		quick = 0 // one pass: no budget below LoadTimeout to try first
	}
	var later, elsewhere []string
	report := func(p, id string, err error) error {
		switch {
		case errors.Is(err, errRanPastFirstPass):
			rt.markSlow(p)
			later = append(later, p)
		case err == nil, errors.Is(err, ErrExists):
			rep.Loaded = append(rep.Loaded, id)
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			rep.Failed[id] = err
		}
		return nil
	}
	load := func(p string, quick time.Duration) error {
		id := rt.opts.ModuleID(p)
		var err error
		if m := rt.registeredAt(id, p); m != nil && quick == 0 {
			err = m.loadDeferred(ctx) // the second pass
		} else {
			_, err = rt.createModule(ctx, id, p, quick)
		}
		if errors.Is(err, ErrExists) {
			if quick != 0 {
				// Loaded by an import, an earlier call, or the store
				// watcher, whose load may still be under way, perhaps
				// a probe that holds it for all of LoadTimeout: its
				// outcome is waited for after this pass, not before
				// the next module's.
				elsewhere = append(elsewhere, p)
				return nil
			}
			err = rt.outcome(ctx, id)
		}
		return report(p, id, err)
	}
	for _, p := range paths {
		if !rt.LoadsAsModule(p) {
			continue
		}
		pass := quick
		if quick > 0 && rt.isSlow(p) {
			pass = registerOnly // straight to the second pass
		}
		if err := load(p, pass); err != nil {
			rt.dropDeferred(later)
			return rep, err
		}
	}
	for _, p := range elsewhere {
		// That load's outcome is the report's. If its first pass ran
		// out, its second pass is this one's too.
		id := rt.opts.ModuleID(p)
		err := rt.outcome(ctx, id)
		if err == nil && rt.deferred(id, p) != nil {
			err = errRanPastFirstPass
		}
		if err := report(p, id, err); err != nil {
			rt.dropDeferred(later)
			return rep, err
		}
	}
	for i, p := range later {
		if err := load(p, 0); err != nil {
			rt.dropDeferred(later[i:])
			return rep, err
		}
	}
	return rep, nil
}

// DefaultFirstPassBudget is Options.FirstPassBudget's default: three
// endless files cost the others 0.3 s at start-up, and a module whose top
// level honestly takes longer (one that imports a large package graph)
// pays a probe and a second evaluation, once per Runtime.
const DefaultFirstPassBudget = 100 * time.Millisecond

// registerOnly, as createModule's quick, registers the module for the
// second pass without evaluating it.
const registerOnly = time.Duration(-1)

// errRanPastFirstPass: a load's first pass (see LoadPaths) ran out of its
// budget; the module is to be loaded again with the whole LoadTimeout.
var errRanPastFirstPass = errors.New("ran past the first pass's budget")

// deferred is the module id at p if its first pass ran out and its
// second has not come yet.
func (rt *Runtime) deferred(id, p string) *Module {
	if m := rt.registeredAt(id, p); m != nil && m.deferred.Load() {
		return m
	}
	return nil
}

// registeredAt is the module id if it is registered for source p.
func (rt *Runtime) registeredAt(id, p string) *Module {
	rt.mu.Lock()
	m := rt.modules[id]
	rt.mu.Unlock()
	if m == nil || m.path != p {
		return nil
	}
	return m
}

// loadDeferred is the second pass of a load whose first ran out: a probe,
// then, unless the probe timed out or ran out of memory, the load.
func (m *Module) loadDeferred(ctx context.Context) error {
	rt := m.rt
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	defer m.unlockReload()
	if !m.deferred.Load() {
		// Another LoadPaths's second pass came first (or an import, or a
		// removal): its outcome is this one's.
		return m.failure()
	}
	defer m.deferred.Store(false)
	if m.cur.Load() != nil || m.State() != StateLoading {
		return nil // loaded meanwhile by an import, or removed
	}
	if failed, err := m.probeLocked(ctx); failed {
		return err
	}
	// The probe finished, or failed in a way the real load reports
	// better (an import, a syntax error): load it for real.
	err := m.firstLoadLocked(ctx, false, 0)
	if err == nil {
		if werr := rt.ensureWatching(); werr != nil {
			rt.log.Error("auto reload is off", "err", werr)
		}
	}
	return err
}

// probeLocked evaluates the module in a probe (see probe): if a bound
// stopped it there, the module fails with that error, having held no
// serving realm, and failed is true. Call with the reload lock held.
func (m *Module) probeLocked(ctx context.Context) (failed bool, err error) {
	rt := m.rt
	perr := rt.probe(ctx, m.id, m.path)
	if perr == nil || ctx.Err() != nil || !bounded(perr) {
		return false, nil
	}
	step, cause := "evaluate", perr
	var re *ReloadError
	if errors.As(perr, &re) {
		step, cause = re.Step, re.Err
	}
	if res, _, _, err := rt.readAndCompile(ctx, m.path); err == nil {
		m.failedHash = res.Hash // an auto reload of this same source would fail again
	}
	return true, m.loadFailed(step, cause)
}

// bounded reports whether err is a bound stopping JavaScript: what a
// probe is for.
func bounded(err error) bool {
	var te *TimeoutError
	var le *LimitError
	return errors.As(err, &te) || errors.As(err, &le) && le.InModule
}

// probe loads the module id at p in a private Runtime of one realm, with
// the store, options and host modules of this one, and returns the load's
// error: a top level that runs for all of LoadTimeout holds that realm,
// not one that serves calls. The private Runtime is closed before probe
// returns, its timers with it.
func (rt *Runtime) probe(ctx context.Context, id, p string) error {
	run := &probeRun{id: id, since: time.Now()}
	rt.probeMu.Lock()
	if rt.probes == nil {
		rt.probes = make(map[*probeRun]struct{})
	}
	rt.probes[run] = struct{}{}
	rt.probeMu.Unlock()
	defer func() {
		rt.probeMu.Lock()
		delete(rt.probes, run)
		rt.probeMu.Unlock()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(rt.bg, cancel) // this Runtime's Close ends it too
	defer stop()
	o := rt.opts
	o.Realms = 1
	o.DisableAutoReload = true
	o.Logger = slog.New(slog.DiscardHandler) // its loads are not this Runtime's
	o.OnCall, o.Verify, o.TestSiblings, o.Probation = nil, nil, false, Probation{}
	child, err := New(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), rt.opts.LoadTimeout+time.Second)
		defer ccancel()
		_ = child.Close(cctx)
	}()
	rt.mu.Lock()
	hosts := slices.Collect(maps.Values(rt.hostDefs))
	rt.mu.Unlock()
	for _, def := range hosts {
		if err := def.registerIn(ctx, child); err != nil {
			return err
		}
	}
	_, err = child.CreateModule(ctx, id, p)
	return err
}

// dropDeferred unregisters the modules at paths still waiting for a second
// pass that will not come (LoadPaths's context ended): a later store change
// or LoadAll creates them afresh.
func (rt *Runtime) dropDeferred(paths []string) {
	for _, p := range paths {
		if m := rt.deferred(rt.opts.ModuleID(p), p); m != nil {
			m.deferred.Store(false)
			m.setState(StateRemoved)
			rt.unregister(m)
		}
	}
}

// markSlow remembers that the module at p ran out of a first pass.
func (rt *Runtime) markSlow(p string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.slow == nil {
		rt.slow = make(map[string]bool)
	}
	rt.slow[p] = true
}

func (rt *Runtime) isSlow(p string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.slow[p]
}

// outcome waits for a load of module id under way (bounded by ctx and the
// Runtime's close) and returns its failure, if it failed.
func (rt *Runtime) outcome(ctx context.Context, id string) error {
	m, err := rt.Module(id)
	if err != nil {
		return nil // removed meanwhile: nothing of this load to report
	}
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	m.unlockReload()
	return m.failure()
}

// failure is why the module's first load failed, or nil if it did not.
func (m *Module) failure() error {
	if m.State() != StateFailed {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastErr
}
