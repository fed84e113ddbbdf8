package hotmod

import (
	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/engine"
	"slices"
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
// serving version there disposed, and the module is in state to (removed).
// Call with s's lock held, and every other realm's.
func (rt *Runtime) retireLocked(s *realm, m *Module, to State) {
	m.dropPatchesLocked(s)
	if s.index == 0 {
		m.cur.Store(nil)
	}
	in := m.in[s.index]
	if v := in.cur.Load(); v != nil {
		in.cur.Store(nil)
		rt.runPruners(s, m, v)
		rt.disposeLocked(s, m, v, s.VM().NewObject())
	}
	m.mu.Lock()
	m.state = to
	m.mu.Unlock()
}
