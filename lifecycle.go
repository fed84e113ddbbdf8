package hotmod

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/engine"
)

// State is where a module is in its life. It changes only through the
// methods in this file:
//
//	loading ──ok──▶ serving ⇄ reloading
//	   │                 │
//	   └─fail─▶ failed ──┘ (a fixed source loads it)
//	any ──▶ removed
type State string

const (
	// StateLoading: its first version is being read, compiled or
	// evaluated. Importers that reach it in this state load it themselves.
	StateLoading State = "loading"
	// StateServing: a version serves calls.
	StateServing State = "serving"
	// StateReloading: a version serves calls while the next one is read,
	// compiled and evaluated beside it.
	StateReloading State = "reloading"
	// StateFailed: its first load failed; calls get ErrNotLoaded with the
	// reason, and a change of its source or of a file its load tried (or a
	// reload) loads it.
	StateFailed State = "failed"
	// StateRemoved: disposed and forgotten (RemoveModule, Cleanup, Close).
	StateRemoved State = "removed"
)

// State is the module's state now.
func (m *Module) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// listed reports whether Module(id) and Modules show the module: every
// module that is not removed, those still on their first load included
// (StateLoading), so that a listing shows a module whose load takes long,
// or never ends, from the start rather than once LoadTimeout has passed.
func (m *Module) listed() bool {
	if m.cur.Load() != nil {
		return true
	}
	return m.State() != StateRemoved
}

func (m *Module) setState(s State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state != StateRemoved { // removed is final
		m.state = s
	}
}

// beginReload marks a reload of a serving module; a failed module is
// loading again.
func (m *Module) beginReload() {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch m.state {
	case StateServing:
		m.state = StateReloading
	case StateFailed:
		m.state = StateLoading
	}
}

// endReload ends a reload: the module serves if it has a version, and is
// failed if it never had one.
func (m *Module) endReload() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state == StateRemoved {
		return
	}
	if m.cur.Load() != nil {
		m.state = StateServing
	} else {
		m.state = StateFailed
	}
}

// scope is what a version owns: the timers its code started, however they
// were started, and a done channel closed when the version ends (disposed
// with no call left waiting on it, discarded, or the realm closed). Waits on
// the version listen to it.
type scope struct {
	timers *engine.Timers
}

func (s scope) done() <-chan struct{} { return s.timers.Done() }
func (s scope) end()                  { s.timers.Stop() }

// enter makes v's scope own the timers that code run from now on in realm
// s starts through the global setTimeout family; the returned function
// restores the previous owner. Call with s's lock held.
func (rt *Runtime) enter(s *realm, v *version) func() {
	prev := s.SwapOwner(v.scope.timers)
	return func() { s.SwapOwner(prev) }
}

// discardLocked undoes a version that never served: its timers stop and its
// dispose callbacks run. Call with s's lock held.
func (rt *Runtime) discardLocked(s *realm, m *Module, v *version) {
	v.scope.end()
	rt.runDisposers(s, m, v, s.VM().NewObject())
	v.disposed.Store(true)
	v.scope.end() // anything the dispose callbacks started
}

// disposeLocked retires a version that served: its dispose callbacks run
// with data (the next version's hot.data), and its scope ends once the
// calls still waiting on it have finished. Call with the lock held.
func (rt *Runtime) disposeLocked(s *realm, m *Module, v *version, data *goja.Object) {
	rt.runDisposers(s, m, v, data)
	v.disposed.Store(true)
	if v.inflight.Load() == 0 {
		v.scope.end()
	}
}

// runDisposers calls the version's hot.dispose callbacks with data, as one
// phase (see callEach).
func (rt *Runtime) runDisposers(s *realm, m *Module, v *version, data *goja.Object) {
	rt.callEach(s, v, "hot.dispose callback", v.hot.disposers, []goja.Value{data}, "module", m.id, "version", v.n)
	v.hot.disposers = nil
}

// callEach calls fns one after another with args, as v's code, as one
// phase of the realm's run: together they have LoadTimeout from the first
// one's start, however many of them loop, so a version with many endless
// callbacks holds the realm for one LoadTimeout, not one each. Once that
// time is spent the rest are skipped; failures and skips are logged with
// fields, under what. Call with s's lock held.
func (rt *Runtime) callEach(s *realm, v *version, what string, fns []goja.Callable, args []goja.Value, fields ...any) {
	if len(fns) == 0 {
		return
	}
	s.Rebudget(rt.opts.LoadTimeout)
	defer rt.enter(s, v)()
	for i, fn := range fns {
		if s.PhaseStopped() {
			rt.log.Error(what+"s skipped: the ones before them used up their time",
				slices.Concat(fields, []any{"skipped", len(fns) - i, "limit", rt.opts.LoadTimeout})...)
			return
		}
		if _, err := fn(goja.Undefined(), args...); err != nil {
			rt.log.Error(what+" failed", slices.Concat(fields, []any{"err", engine.Err(err)})...)
		}
	}
}

// retireLocked ends the module in realm s: its patches are dropped, its
// serving version there disposed, then pruned (Vite's order: dispose, then
// prune), and the module is in state to (removed). It returns the modules
// the retired version imported. Call with s's lock held, and every other
// realm's.
func (rt *Runtime) retireLocked(s *realm, m *Module, to State) []*Module {
	return rt.retireAllLocked(s, []*Module{m}, to)
}

// retireAllLocked retires mods in realm s together, as Vite's prunePaths
// does: every dispose callback, then every prune callback, each with the
// module's own hot.data. It returns the modules their versions imported.
// Call with s's lock held, and every other realm's.
func (rt *Runtime) retireAllLocked(s *realm, mods []*Module, to State) (imported []*Module) {
	vs := make([]*version, len(mods))
	for i, m := range mods {
		m.dropPatchesLocked(s)
		if s.index == 0 {
			m.cur.Store(nil)
		}
		in := m.in[s.index]
		vs[i] = in.cur.Load()
		in.cur.Store(nil)
		m.syncHandle(s)
		if in.listed {
			in.listed = false
			s.handles = slices.DeleteFunc(s.handles, func(h *Module) bool { return h == m })
		}
		if vs[i] != nil {
			for _, d := range vs[i].deps {
				if d != nil && !slices.Contains(imported, d) {
					imported = append(imported, d)
				}
			}
		}
	}
	for i, m := range mods {
		if v := vs[i]; v != nil {
			rt.runDisposers(s, m, v, v.hot.data)
		}
	}
	for i, m := range mods {
		if v := vs[i]; v != nil {
			rt.runPruners(s, m, v)
			v.disposed.Store(true)
			if v.inflight.Load() == 0 {
				v.scope.end()
			}
		}
	}
	for _, m := range mods {
		m.mu.Lock()
		m.state = to
		m.mu.Unlock()
	}
	return imported
}

// orphansLocked are the modules an import loaded (not the program) that no
// loaded module imports any more, among seeds and what they import in
// turn: those whose every importer, in every realm, is one of them. Call
// with every realm taken.
func (rt *Runtime) orphansLocked(seeds []*Module) []*Module {
	cand := map[*Module]bool{}
	for queue := slices.Clone(seeds); len(queue) > 0; {
		m := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if m == nil || cand[m] || m.rt != rt || !m.implicit.Load() && !m.gone.Load() || m.cur.Load() == nil {
			continue
		}
		cand[m] = true
		for _, in := range m.in {
			if v := in.cur.Load(); v != nil {
				for _, d := range v.deps {
					queue = append(queue, d)
				}
			}
		}
	}
	if len(cand) == 0 {
		return nil
	}
	mods := rt.registered()
	for changed := true; changed; {
		changed = false
		for _, imp := range mods {
			if cand[imp] {
				continue
			}
			for _, in := range imp.in {
				for _, v := range []*version{in.cur.Load(), in.loading} {
					if v == nil {
						continue
					}
					for _, d := range v.deps {
						if cand[d] {
							delete(cand, d) // imported: kept, and so is what it imports
							changed = true
						}
					}
				}
			}
		}
	}
	out := slices.Collect(maps.Keys(cand))
	slices.SortFunc(out, func(a, b *Module) int { return strings.Compare(a.id, b.id) })
	return out
}

// pruneOrphans removes the modules an import loaded that no loaded module
// imports any more, among seeds (modules that just lost an importer) and
// what they import: Vite prunes a module that stops being imported
// (moduleGraph.updateModuleInfo, then handlePrunedModules). Every realm's
// modules listening hear vite:beforePrune first; then every pruned
// module's dispose callbacks run, then its prune callbacks. A module the
// program created (CreateModule, LoadAll) is never pruned: it is a root.
// A module whose source the store deleted is pruned the same way, program
// created or not: removed unless a loaded module imports it. It returns the
// modules removed. Call with no reload lock held.
func (rt *Runtime) pruneOrphans(seeds []*Module) (removed []*Module) {
	if len(seeds) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(rt.bg, rt.opts.ReloadTimeout)
	defer cancel()
	unlock, err := rt.lockAll(ctx)
	if err != nil {
		return
	}
	orphans := rt.orphansLocked(seeds)
	unlock()
	if len(orphans) == 0 {
		return
	}
	orphans, release, err := lockReloads(ctx, orphans)
	if err != nil {
		return
	}
	defer release()
	if unlock, err = rt.lockAll(ctx); err != nil {
		return
	}
	// Again, with the realms taken: an importer may have swapped in since.
	now := rt.orphansLocked(orphans)
	orphans = slices.DeleteFunc(orphans, func(m *Module) bool { return !slices.Contains(now, m) })
	if len(orphans) > 0 {
		errs := rt.eachLocked(context.WithoutCancel(ctx), rt.opts.LoadTimeout, func(s *realm) error {
			rt.vitePruneLocked(s, orphans)
			rt.retireAllLocked(s, orphans, StateRemoved)
			return nil
		})
		if _, err := firstErr(errs); err != nil {
			rt.log.Error("pruning modules was cut short", "err", err)
		}
	}
	unlock()
	for _, m := range orphans {
		m.abortCanaryLocked(ctx, "the module was pruned")
		rt.unregister(m)
		reason := "pruned: no loaded module imports it"
		if m.gone.Load() {
			reason = "its source was deleted from the store"
		}
		rt.events.emit(Event{Type: EventRemoved, Module: m.id, Path: m.path, Reason: reason})
		rt.log.Info("module removed: "+reason, "module", m.id)
	}
	return orphans
}
