package hotmod

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/engine"
)

// Vite's import.meta.hot (module.hot in CommonJS and scripts), beyond data,
// dispose and decline: accept in all its forms, prune, invalidate, on/off for
// hotmod's lifecycle events and for events a Go program sends, and send.
//
// The order differs from Vite's in one way, on purpose: the new version is
// evaluated before the old one is disposed, so a failed version leaves the
// old one untouched. State is carried by writing hot.data while running, or
// by __acceptHotReload(old).

// Lifecycle events a module can listen to with hot.on.
const (
	HotBeforeUpdate = "hotmod:beforeUpdate" // on the serving version, before the new one is evaluated
	HotAfterUpdate  = "hotmod:afterUpdate"  // on the new version, once it serves
	HotError        = "hotmod:error"        // on the serving version, when a reload of it failed
)

// depAcceptor is a hot.accept(deps, cb) of one version.
type depAcceptor struct {
	deps  [][]string // per dependency, the store paths it may be
	array bool       // the callback gets an array, one entry per dependency
	cb    goja.Callable
}

type listener struct {
	fn  goja.Callable
	key goja.Value // for off: the function as given
}

// hotAccept is hot.accept: no argument or a callback accepts the module's
// own updates; a dependency or a list of them, with a callback, accepts
// theirs (the callback gets the dependency's handle, or an array of them).
func (rt *Runtime) hotAccept(s *realm, m *Module, v *version, call goja.FunctionCall) {
	vm := s.VM()
	first := call.Argument(0)
	if goja.IsUndefined(first) || goja.IsNull(first) {
		v.hot.selfAccepting = true
		return
	}
	if fn, ok := goja.AssertFunction(first); ok {
		v.hot.selfAccepting = true
		v.hot.acceptors = append(v.hot.acceptors, fn)
		return
	}
	var specs []string
	array := false
	if obj, ok := first.(*goja.Object); ok && obj.ClassName() == "Array" {
		array = true
		for _, k := range obj.Keys() {
			specs = append(specs, obj.Get(k).String())
		}
	} else {
		specs = []string{first.String()}
	}
	var cb goja.Callable
	if second := call.Argument(1); !goja.IsUndefined(second) {
		fn, ok := goja.AssertFunction(second)
		if !ok {
			panic(vm.NewTypeError("hot.accept(deps, callback): the callback must be a function"))
		}
		cb = fn
	}
	da := depAcceptor{array: array, cb: cb}
	for _, spec := range specs {
		p := spec
		if strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") {
			p = path.Join(path.Dir(m.path), spec)
		}
		da.deps = append(da.deps, candidates(m.path, p))
	}
	v.hot.depAcceptors = append(v.hot.depAcceptors, da)
}

// acceptDepLocked runs the hot.accept(deps, cb) callbacks that name dep,
// which now serves a new version, in realm s. Call with s's lock held.
func (rt *Runtime) acceptDepLocked(s *realm, dep *Module) {
	mods := rt.registered()
	vm := s.VM()
	proxy := dep.in[s.index].proxy
	for _, m := range mods {
		v := m.in[s.index].cur.Load()
		if v == nil || m == dep {
			continue
		}
		for _, da := range v.hot.depAcceptors {
			hit := -1
			for i, cands := range da.deps {
				if slices.Contains(cands, dep.path) {
					hit = i
				}
			}
			if hit < 0 || da.cb == nil {
				continue
			}
			arg := goja.Value(proxy)
			if da.array {
				list := make([]any, len(da.deps))
				for i := range list {
					list[i] = goja.Undefined()
				}
				list[hit] = proxy
				arg = vm.NewArray(list...)
			}
			// Each importer's callbacks are a phase of their own: one
			// importer's endless callback does not stop another's.
			rt.callEach(s, v, "hot.accept callback for a dependency", []goja.Callable{da.cb}, []goja.Value{arg}, "module", m.id, "dependency", dep.id)
		}
	}
}

// dispatchLocked calls v's hot.on listeners of event with data, as one
// phase (see callEach). Call with s's lock held.
func (rt *Runtime) dispatchLocked(s *realm, m *Module, v *version, event string, data goja.Value) {
	if v == nil || len(v.hot.listeners[event]) == 0 {
		return
	}
	fns := make([]goja.Callable, 0, len(v.hot.listeners[event]))
	for _, l := range v.hot.listeners[event] {
		fns = append(fns, l.fn)
	}
	rt.callEach(s, v, "hot.on listener", fns, []goja.Value{data}, "module", m.id, "event", event)
}

// lifecycleLocked tells v's hot.on listeners of a lifecycle event, with
// the module's id and fields as its data; a reload with nobody listening
// builds nothing. Call with s's lock held.
func (rt *Runtime) lifecycleLocked(s *realm, m *Module, v *version, event string, fields ...any) {
	if len(v.hot.listeners[event]) == 0 {
		return
	}
	o := s.VM().NewObject()
	_ = o.Set("id", m.id)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = o.Set(fields[i].(string), fields[i+1])
	}
	rt.dispatchLocked(s, m, v, event, o)
}

// Send delivers a custom event to every module listening with
// import.meta.hot.on(event, cb): each callback gets data, converted as a
// call argument is. A callback that throws is logged; the others still run.
// With several realms, each realm's copy of a module hears it.
func (rt *Runtime) Send(ctx context.Context, event string, data any) error {
	if event == "" || strings.HasPrefix(event, "hotmod:") || strings.HasPrefix(event, "vite:") {
		return fmt.Errorf("Send: event %q: names starting with hotmod: or vite: are the Runtime's own", event)
	}
	rt.mu.Lock()
	children := slices.Clone(rt.isolated)
	rt.mu.Unlock()
	for _, c := range children {
		if err := c.Send(ctx, event, data); err != nil {
			return err
		}
	}
	mods := rt.Modules()
	return rt.runAll(ctx, rt.opts.CallTimeout, func(s *realm) error {
		jv, err := s.ToJS(data)
		if err != nil {
			return fmt.Errorf("Send %s: %w", event, err)
		}
		for _, m := range mods {
			if m.rt == rt {
				rt.dispatchLocked(s, m, m.in[s.index].cur.Load(), event, jv)
			}
		}
		return nil
	})
}

// hotObject is the version's module.hot (import.meta.hot in ES modules), in
// realm s.
func (rt *Runtime) hotObject(s *realm, m *Module, v *version) *goja.Object {
	vm := s.VM()
	hot := vm.NewObject()
	fnArg := func(call goja.FunctionCall, i int, what string) goja.Callable {
		fn, ok := goja.AssertFunction(call.Argument(i))
		if !ok {
			panic(vm.NewTypeError("hot." + what + " takes a function"))
		}
		return fn
	}
	_ = hot.Set("data", v.hot.data)
	_ = hot.Set("id", m.id)
	_ = hot.Set("realm", rt.realmInfo(s))
	_ = hot.Set("dispose", func(call goja.FunctionCall) goja.Value {
		v.hot.disposers = append(v.hot.disposers, fnArg(call, 0, "dispose"))
		return goja.Undefined()
	})
	_ = hot.Set("decline", func(goja.FunctionCall) goja.Value {
		v.hot.declined.Store(true)
		return goja.Undefined()
	})
	_ = hot.Set("accept", func(call goja.FunctionCall) goja.Value {
		rt.hotAccept(s, m, v, call)
		return goja.Undefined()
	})
	_ = hot.Set("prune", func(call goja.FunctionCall) goja.Value {
		v.hot.pruners = append(v.hot.pruners, fnArg(call, 0, "prune"))
		return goja.Undefined()
	})
	_ = hot.Set("invalidate", func(call goja.FunctionCall) goja.Value {
		reason := ""
		if msg := call.Argument(0); !goja.IsUndefined(msg) {
			reason = msg.String()
		}
		if v.hot.accepting {
			// Vite's idiom: hot.accept((mod) => { if (cannot(mod))
			// hot.invalidate() }). The new version serves already; the
			// update goes on to the importers, as if the module did not
			// accept itself (Vite's server: invalidateModule, then
			// updateModules over its importers).
			rt.passOnLocked(s, m, reason)
			return goja.Undefined()
		}
		if m.in[s.index].cur.Load() != v {
			// A version still evaluating, or one that no longer serves: a
			// version that invalidates itself at its top level would
			// otherwise be evaluated again without end.
			rt.log.Warn("hot.invalidate() of a version that is not serving is ignored", "module", m.id, "version", v.n)
			return goja.Undefined()
		}
		rt.log.Info("module invalidated itself; reloading", "module", m.id, "reason", reason)
		rt.viteInvalidateLocked(s, m, reason)
		rt.invalidateLocked(s, m)
		return goja.Undefined()
	})
	_ = hot.Set("on", func(call goja.FunctionCall) goja.Value {
		event := call.Argument(0).String()
		fn := fnArg(call, 1, "on(event, callback)")
		if v.hot.listeners == nil {
			v.hot.listeners = make(map[string][]listener)
		}
		v.hot.listeners[event] = append(v.hot.listeners[event], listener{fn: fn, key: call.Argument(1)})
		return goja.Undefined()
	})
	_ = hot.Set("off", func(call goja.FunctionCall) goja.Value {
		event, key := call.Argument(0).String(), call.Argument(1)
		v.hot.listeners[event] = slices.DeleteFunc(v.hot.listeners[event], func(l listener) bool { return l.key.SameAs(key) })
		return goja.Undefined()
	})
	_ = hot.Set("send", func(call goja.FunctionCall) goja.Value {
		event := call.Argument(0).String()
		data, err := s.FromJS(call.Argument(1))
		if err != nil {
			panic(vm.NewTypeError("hot.send(" + event + "): " + err.Error()))
		}
		rt.events.emit(Event{Type: EventCustom, Module: m.id, Version: v.n, Name: event, Data: data})
		return goja.Undefined()
	})
	return hot
}

// nextData makes the hot.data of the version that follows old: a copy of
// old's, behind a proxy that notes the keys the new version reads. hotmod
// evaluates the new version before it disposes the old, so a dispose
// callback that writes a key the new version already read (Vite's
// `let n = hot.data.n ?? 0; hot.dispose(d => { d.n = n })`) writes too late:
// the proxy drops the write, which would otherwise reach the version after
// the new one, and logs a warning naming the key. Call with s's lock held.
func (rt *Runtime) nextData(s *realm, m *Module, old *version) (*hotState, error) {
	vm := s.VM()
	target := vm.NewObject()
	if err := s.DefineAll(target, old.hot.data); err != nil {
		return nil, engine.Err(err)
	}
	hs := &hotState{}
	oldN := old.n // not old itself: each version would keep every one before it
	data := vm.NewProxy(target, &goja.ProxyTrapConfig{
		Get: func(t *goja.Object, key string, _ goja.Value) goja.Value {
			if !hs.disposing {
				if hs.read == nil {
					hs.read = make(map[string]bool)
				}
				hs.read[key] = true
			}
			return t.Get(key)
		},
		Set: func(t *goja.Object, key string, val goja.Value, _ goja.Value) bool {
			if hs.disposing && hs.read[key] {
				// Too late for the new version, and dropped: kept, it
				// would reach the version after it instead, which starts
				// from what the new one left.
				if !hs.warned[key] {
					if hs.warned == nil {
						hs.warned = make(map[string]bool)
					}
					hs.warned[key] = true
					rt.log.Warn("a hot.dispose callback wrote hot.data."+key+" after the new version had read it: "+
						"the write is dropped (hotmod evaluates the new version before disposing the old; "+
						"write hot.data while running, or carry state with __acceptHotReload(old))",
						"module", m.id, "key", key, "version", oldN)
				}
				return true
			}
			return t.Set(key, val) == nil
		},
	})
	hs.data = vm.ToValue(data).(*goja.Object)
	return hs, nil
}

// invalidateLocked evaluates m again though its source is unchanged, in
// the background, and with it every importer the update propagates to, in
// one transaction. Call with s's lock held.
func (rt *Runtime) invalidateLocked(s *realm, m *Module) {
	set := rt.propagationLocked(s, m)
	if len(set) == 1 {
		m.forceNext.Store(true) // coalesces with other requests
		m.scheduleReload()
		return
	}
	if !m.invalidQueued.CompareAndSwap(false, true) {
		return // one transaction, not yet started, serves every request
	}
	rt.spawn(func() {
		ctx, cancel := context.WithTimeout(context.WithValue(rt.bg, invalidatedByKey{}, m.path), rt.opts.ReloadTimeout)
		defer cancel()
		m.invalidQueued.Store(false)
		if err := rt.reloadTogether(ctx, set, false); err != nil && rt.bg.Err() == nil {
			rt.log.Warn("reload after hot.invalidate() failed; the running versions keep serving", "module", m.id, "err", err)
		}
	})
}

// passOnLocked sends the update m's new version just took on to m's
// importers, in one transaction in the background: hot.invalidate() called
// by a hot.accept callback. The importers are those an update of m
// propagates to (see propagationLocked), less the module that first
// invalidated the update, already updated (Vite falls back to a full
// reload there; here the chain stops). Call with s's lock held, in the
// transaction's swap.
func (rt *Runtime) passOnLocked(s *realm, m *Module, reason string) {
	first := s.invalidatedBy
	rt.viteInvalidateLocked(s, m, reason)
	nv := m.in[s.index].cur.Load()
	if nv == nil || m.passedOn.Swap(int64(nv.n)) == int64(nv.n) {
		return // another realm's callback did it
	}
	set := slices.DeleteFunc(rt.propagationLocked(s, m)[1:], func(o *Module) bool { return first != "" && o.path == first })
	if len(set) == 0 {
		rt.log.Info("hot.invalidate() in a hot.accept callback: no importer to pass the update on to", "module", m.id, "reason", reason)
		return
	}
	if first == "" {
		first = m.path
	}
	rt.log.Info("hot.invalidate() in a hot.accept callback: reloading its importers", "module", m.id, "reason", reason, "importers", len(set))
	rt.spawn(func() {
		ctx, cancel := context.WithTimeout(context.WithValue(rt.bg, invalidatedByKey{}, first), rt.opts.ReloadTimeout)
		defer cancel()
		if err := rt.reloadTogether(ctx, set, false); err != nil && rt.bg.Err() == nil {
			rt.log.Warn("reload of the importers after hot.invalidate() failed; the running versions keep serving", "module", m.id, "err", err)
		}
	})
}

// viteInvalidateLocked tells realm s's listeners of vite:invalidate that
// m invalidated: Vite's InvalidatePayload {path, message,
// firstInvalidatedBy}. Call with s's lock held.
func (rt *Runtime) viteInvalidateLocked(s *realm, m *Module, reason string) {
	first := s.invalidatedBy
	if first == "" {
		first = m.path
	}
	rt.viteLocked(s, ViteInvalidate, func() any {
		return map[string]any{"path": m.path, "message": reason, "firstInvalidatedBy": first}
	})
}

// propagationLocked is m and the importers an update of m propagates to,
// as in Vite: up through every importer that does not accept m with
// hot.accept(dep, cb) (that one gets its callback instead), stopping after
// an importer that accepts its own updates, as realm s's versions say.
// Call with s's lock held.
func (rt *Runtime) propagationLocked(s *realm, m *Module) []*Module {
	mods := rt.registered()
	set := []*Module{m}
	for i := 0; i < len(set); i++ {
		dep := set[i]
		if v := dep.in[s.index].cur.Load(); i > 0 && v != nil && v.hot.selfAccepting {
			continue // accepts itself: the update stops here
		}
		for _, imp := range mods {
			v := imp.in[s.index].cur.Load()
			if v == nil || slices.Contains(set, imp) || !imports(v, dep) || acceptsDep(v, dep) {
				continue
			}
			set = append(set, imp)
		}
	}
	return set
}

func imports(v *version, dep *Module) bool {
	for _, d := range v.deps {
		if d == dep {
			return true
		}
	}
	return false
}

func acceptsDep(v *version, dep *Module) bool {
	for _, da := range v.hot.depAcceptors {
		for _, cands := range da.deps {
			if slices.Contains(cands, dep.path) {
				return true
			}
		}
	}
	return false
}

// runPruners calls a removed version's hot.prune callbacks, as one phase
// (see callEach). Call with the s's lock held.
func (rt *Runtime) runPruners(s *realm, m *Module, v *version) {
	rt.callEach(s, v, "hot.prune callback", v.hot.pruners, []goja.Value{v.hot.data}, "module", m.id)
	v.hot.pruners = nil
}

// Vite's own events, with Vite's payloads (vite/types/hmrPayload.d.ts and
// customEvent.d.ts), so that code written for Vite's client runs
// unchanged. As in Vite's client (shared/hmr.ts, notifyListeners), every
// module listening hears them, not only the modules they are about.
const (
	ViteBeforeUpdate = "vite:beforeUpdate" // UpdatePayload, before a transaction's new versions are evaluated
	ViteAfterUpdate  = "vite:afterUpdate"  // UpdatePayload, once they serve
	ViteBeforePrune  = "vite:beforePrune"  // PrunePayload, before pruned modules' dispose and prune callbacks
	ViteInvalidate   = "vite:invalidate"   // InvalidatePayload, when a module calls hot.invalidate()
	ViteError        = "vite:error"        // ErrorPayload, when a reload fails
)

// viteLocked tells every module's serving version in realm s that listens
// to event, with the payload made (once, and only if someone listens) by
// payload. Call with s's lock held.
func (rt *Runtime) viteLocked(s *realm, event string, payload func() any) {
	var data goja.Value
	for _, m := range rt.registered() {
		v := m.in[s.index].cur.Load()
		if m.rt != rt || v == nil || len(v.hot.listeners[event]) == 0 {
			continue
		}
		if data == nil {
			jv, err := s.ToJS(payload())
			if err != nil {
				rt.log.Error("making the payload of "+event+" failed", "err", err)
				return
			}
			data = jv
		}
		rt.dispatchLocked(s, m, v, event, data)
	}
}

// vitePruneLocked sends vite:beforePrune for mods in realm s: Vite's
// PrunePayload, {type: 'prune', paths}. Call with s's lock held.
func (rt *Runtime) vitePruneLocked(s *realm, mods []*Module) {
	rt.viteLocked(s, ViteBeforePrune, func() any {
		paths := make([]any, len(mods))
		for i, m := range mods {
			paths[i] = m.path
		}
		return map[string]any{"type": "prune", "paths": paths}
	})
}

// viteUpdatePayload is Vite's UpdatePayload for a transaction over cs:
// an Update of type js-update for each module, which is its own boundary
// here (its handle swaps, so it is accepted where it is: path and
// acceptedPath are its store path), and one more for each importer that
// accepts it with hot.accept(dep, cb) (path: the importer's). Call with
// the realm locks held (it reads realm 0's versions).
func (rt *Runtime) viteUpdatePayload(cs []*change, ts int64, invalidatedBy string) map[string]any {
	mods := rt.registered()
	var updates []any
	update := func(p, accepted string) {
		u := map[string]any{"type": "js-update", "path": p, "acceptedPath": accepted, "timestamp": ts,
			"explicitImportRequired": false, "isWithinCircularImport": false}
		if invalidatedBy != "" {
			u["firstInvalidatedBy"] = invalidatedBy
		}
		updates = append(updates, u)
	}
	for _, c := range cs {
		update(c.m.path, c.m.path)
		for _, imp := range mods {
			if v := imp.in[0].cur.Load(); v != nil && imp != c.m && imp.rt == rt && acceptsDep(v, c.m) {
				update(imp.path, c.m.path)
			}
		}
	}
	return map[string]any{"type": "update", "updates": updates}
}

// viteErrorPayload is Vite's ErrorPayload for a failed reload of m:
// {type: 'error', err: {message, stack, id, loc: {file, line, column}}}.
func viteErrorPayload(m *Module, err error) map[string]any {
	e := map[string]any{"message": err.Error(), "stack": "", "id": m.path}
	var js *JSError
	if errors.As(err, &js) {
		e["stack"] = js.Stack
	}
	if p, ok := PositionOf(err); ok {
		e["loc"] = map[string]any{"file": p.File, "line": p.Line, "column": p.Column}
	}
	return map[string]any{"type": "error", "err": e}
}

// invalidatedByKey carries, in a reload's context, the path of the module
// whose hot.invalidate() started it (Vite's firstInvalidatedBy).
type invalidatedByKey struct{}

func invalidatedBy(ctx context.Context) string {
	s, _ := ctx.Value(invalidatedByKey{}).(string)
	return s
}
