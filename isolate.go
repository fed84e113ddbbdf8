package hotmod

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/dop251/goja"
)

// Isolation levels. By default every module shares the Runtime's realm:
// calls between modules are direct and objects cross them as they are,
// but one module can change what another sees (a prototype, a global).
// An isolated module runs in a realm of its own, with its own built-ins
// and its own copies of what it imports; other modules reach it only
// through its handle, and every value that crosses is copied (JSON's
// rules, plus Date and bytes), so nothing it does to its objects or
// prototypes reaches them. A function cannot be copied: passing one is an
// error that names the value.
//
// An isolated module is a module of a private Runtime on the same store
// (its own realms, the same options), registered under its id in this
// one. It reloads, rolls back, takes patches, profiles and canaries like
// any module, but on its own: it is not part of a transaction over
// several modules (ReloadModules, a burst of store changes, Restore).

// ModuleOption is an option of CreateModule.
type ModuleOption func(*moduleOptions)

type moduleOptions struct {
	isolated bool
}

// Isolated runs the module in a realm of its own (see the package
// documentation of isolation levels).
func Isolated() ModuleOption { return func(o *moduleOptions) { o.isolated = true } }

// createIsolated loads an isolated module in a private Runtime and
// registers it here.
func (rt *Runtime) createIsolated(ctx context.Context, id, sourcePath string) (*Module, error) {
	rt.mu.Lock()
	if old, ok := rt.modules[id]; ok && old.State() != StateFailed {
		rt.mu.Unlock()
		return nil, fmt.Errorf("%w: %q", ErrExists, id)
	}
	rt.mu.Unlock()
	child, err := New(rt.bg, rt.opts)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	hosts := slices.Collect(maps.Values(rt.hostDefs))
	rt.mu.Unlock()
	for _, def := range hosts {
		if err := def.registerIn(ctx, child); err != nil {
			_ = child.Close(ctx)
			return nil, err
		}
	}
	rt.forwardEvents(child)
	m, err := child.CreateModule(ctx, id, sourcePath)
	if err != nil {
		if fm, ferr := child.Module(id); ferr == nil {
			rt.adopt(fm) // failed: listed here too, and loads when fixed
		} else {
			_ = child.Close(ctx)
		}
		return nil, err
	}
	rt.adopt(m)
	return m, nil
}

// adopt registers an isolated module (of a private Runtime) here.
func (rt *Runtime) adopt(m *Module) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if old, ok := rt.modules[m.id]; ok && old != m {
		rt.unregisterLocked(old)
	}
	rt.registerLocked(m)
	if !slices.Contains(rt.isolated, m.rt) {
		rt.isolated = append(rt.isolated, m.rt)
	}
}

// forwardEvents re-emits the private Runtime's events in rt's stream.
func (rt *Runtime) forwardEvents(child *Runtime) {
	ch := child.Events(rt.bg)
	rt.spawn(func() {
		for ev := range ch {
			ev.Seq, ev.Dropped = 0, 0
			rt.events.emit(ev)
		}
	})
}

// bridgeLocked is what a module of realm s gets when it imports the
// isolated module dep: an object whose functions call dep through its
// handle, with every argument and result copied, and whose other exports
// are copies of dep's. Call with s's lock held.
func (rt *Runtime) bridgeLocked(s *realm, dep *Module) goja.Value {
	if b, ok := s.bridges[dep]; ok {
		return b
	}
	vm := s.VM()
	shapes := map[int]*goja.Object{} // by dep's version: its export names
	fns := map[string]goja.Value{}
	resolve := func() *goja.Object {
		n := dep.Version()
		if o, ok := shapes[n]; ok {
			return o
		}
		o := vm.NewObject()
		names, _ := dep.Exports(s.Context())
		for _, name := range names {
			_ = o.Set(name, goja.Undefined())
		}
		_ = o.DefineDataProperty("__esModule", vm.ToValue(true), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
		clear(shapes) // the old versions' shapes are not needed again
		shapes[n] = o
		return o
	}
	lookup := func(_ *goja.Object, name string) goja.Value {
		if name == "__esModule" {
			return vm.ToValue(true)
		}
		ctx := s.Context()
		if fnsOf, _ := dep.Functions(ctx); slices.Contains(fnsOf, name) {
			if f, ok := fns[name]; ok {
				return f
			}
			f := vm.ToValue(func(call goja.FunctionCall) goja.Value {
				return rt.callAcross(s, dep, name, call.Arguments)
			})
			fns[name] = f
			return f
		}
		v, err := dep.Get(ctx, name)
		if err != nil {
			return goja.Undefined()
		}
		if err := refuseFunctions(v, name); err != nil {
			panic(vm.NewGoError(err))
		}
		jv, err := s.ToJS(v)
		if err != nil {
			panic(vm.NewGoError(err))
		}
		return jv
	}
	b := s.LiveProxy(resolve, lookup, false)
	if s.bridges == nil {
		s.bridges = make(map[*Module]goja.Value)
	}
	s.bridges[dep] = b
	return b
}

// callAcross calls dep.name from realm s with copies of args, and returns
// a copy of its result in s. Call with s's lock held (from JavaScript).
func (rt *Runtime) callAcross(s *realm, dep *Module, name string, args []goja.Value) goja.Value {
	vm := s.VM()
	in := make([]any, len(args))
	for i, a := range args {
		v, err := s.FromJS(a)
		if err == nil {
			err = refuseFunctions(v, fmt.Sprintf("argument %d", i+1))
		}
		if err != nil {
			panic(vm.NewGoError(fmt.Errorf("call %s.%s (isolated): %w", dep.id, name, err)))
		}
		in[i] = v
	}
	out, err := dep.Call(s.Context(), name, in...)
	if err == nil {
		err = refuseFunctions(out, "its result")
	}
	if err != nil {
		panic(vm.NewGoError(fmt.Errorf("call %s.%s (isolated): %w", dep.id, name, err)))
	}
	jv, err := s.ToJS(out)
	if err != nil {
		panic(vm.NewGoError(fmt.Errorf("call %s.%s (isolated): its result: %w", dep.id, name, err)))
	}
	return jv
}

// refuseFunctions fails on a function anywhere in v (a Function, as
// FromJS makes them), naming where: what crosses into or out of an
// isolated module is copied, and a function cannot be.
func refuseFunctions(v any, where string) error {
	switch x := v.(type) {
	case Function:
		name := x.Name
		if name == "" {
			name = "anonymous"
		}
		return fmt.Errorf("%w: %s is a function (%s): values that cross into or out of an isolated module are copied, and a function cannot be", ErrConvert, where, name)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := refuseFunctions(x[k], where+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := refuseFunctions(e, fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
