package hotmod

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/engine"
	"github.com/hotmod/hotmod/internal/transform"
)

// Top-level await and import(): see internal/transform/async.go for how
// they are compiled. A version of a module with top-level await is
// evaluated in two parts: the synchronous start, under the realm, and the
// rest, which the loader awaits with the realm free (as it awaits
// __acceptHotReload), within LoadTimeout. The module's exports are set,
// and it counts as loaded, when its body settles.

// awaitBody takes the promise an async module body returned, ret, and
// makes v.ready: it settles once the body has, with v's exports set. Call
// with s's lock held.
func (rt *Runtime) awaitBody(s *realm, m *Module, v *version, ret goja.Value) error {
	vm := s.VM()
	p, _ := ret.(*goja.Object)
	if engine.AsPromise(p) == nil {
		return fmt.Errorf("%s: the module body did not return its promise", m.path)
	}
	then, ok := goja.AssertFunction(p.Get("then"))
	if !ok {
		return fmt.Errorf("%s: the module body's promise has no then", m.path)
	}
	done := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		ns := call.Argument(0).ToObject(vm)
		_ = ns.DefineDataProperty("__esModule", vm.ToValue(true), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
		_ = v.module.Set("exports", ns)
		rt.finishEval(s, m, v)
		return ns
	})
	chained, err := then(p, done)
	if err != nil {
		return err
	}
	v.ready = chained.(*goja.Object)
	return nil
}

// evaluating reports whether v's top-level await is still pending. Call
// with the realm's lock held.
func evaluating(v *version) bool {
	if v.ready == nil {
		return false
	}
	p := engine.AsPromise(v.ready)
	return p != nil && p.State() == goja.PromiseStatePending
}

// settleLocked is the outcome of v's evaluation: done at once for a
// version without top-level await or one that settled; else a channel
// that gets it. Call with s's lock held.
func settleLocked(s *realm, v *version) (error, <-chan engine.Outcome) {
	if v == nil || v.ready == nil {
		return nil, nil
	}
	out, ch, done := s.Settle(v.ready, func(goja.Value) (any, error) { return nil, nil })
	if done {
		return out.Err, nil
	}
	return nil, ch
}

// awaitOutcomes waits for every channel of chs (nil ones are done) within
// limit, and returns the index of the first that failed, and its error.
func (rt *Runtime) awaitOutcomes(ctx context.Context, chs []<-chan engine.Outcome, limit time.Duration, what string) (int, error) {
	var expired <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		expired = t.C
	}
	for i, ch := range chs {
		if ch == nil {
			continue
		}
		var out engine.Outcome
		select {
		case out = <-ch:
		case <-ctx.Done():
			out.Err = fmt.Errorf("waiting for %s: %w", what, context.Cause(ctx))
		case <-expired:
			out.Err = fmt.Errorf("%s did not settle within %v: %w", what, limit,
				&TimeoutError{Err: context.DeadlineExceeded, Limit: limit})
		case <-rt.closing():
			out.Err = fmt.Errorf("waiting for %s: %w", what, ErrClosed)
		}
		if out.Err != nil {
			return i, out.Err
		}
	}
	return -1, nil
}

// importFunc is the import() of every version of m in realm s: it loads
// the module as require does, and returns a promise of its namespace that
// waits for the module's top-level await.
func (rt *Runtime) importFunc(s *realm, m *Module) goja.Value {
	vm := s.VM()
	return vm.ToValue(func(call goja.FunctionCall) goja.Value {
		spec := call.Argument(0).String()
		p, resolve, reject := vm.NewPromise()
		fail := func(err error) goja.Value {
			_ = reject(importFailure(vm, "import", spec, err))
			return vm.ToValue(p)
		}
		exp, dep, err := rt.requireValue(s, m, spec, true)
		if err != nil {
			return fail(err)
		}
		toESM, err := rt.helperLocked(s, "__toESM")
		if err != nil {
			return fail(err)
		}
		namespace := func() (goja.Value, error) { return toESM(goja.Undefined(), exp) }
		if dep != nil && dep.rt == rt {
			if dv := dep.in[s.index].cur.Load(); dv != nil && dv.ready != nil {
				then, _ := goja.AssertFunction(dv.ready.Get("then"))
				ret, err := then(dv.ready, vm.ToValue(func(goja.FunctionCall) goja.Value {
					ns, err := namespace()
					if err != nil {
						panic(err)
					}
					return ns
				}))
				if err != nil {
					return fail(err)
				}
				return ret
			}
		}
		ns, err := namespace()
		if err != nil {
			return fail(err)
		}
		_ = resolve(ns)
		return vm.ToValue(p)
	})
}

// helperLocked is one of esbuild's shared helpers in realm s. Call with
// s's lock held.
func (rt *Runtime) helperLocked(s *realm, name string) (goja.Callable, error) {
	hs, err := rt.helpersLocked(s)
	if err != nil {
		return nil, err
	}
	i := slices.Index(transform.Helpers(), name)
	if i < 0 {
		return nil, fmt.Errorf("esbuild's helper %s is missing", name)
	}
	fn, ok := goja.AssertFunction(hs[i])
	if !ok {
		return nil, fmt.Errorf("esbuild's helper %s is not a function", name)
	}
	return fn, nil
}

// preloadAsync loads, before the module at file evaluates, the modules
// with top-level await it reaches by static imports and that are not
// loaded yet, deepest first, each awaited: an importer then finds its
// dependency evaluated, as in Node. A module without top-level await is
// left to require, in the order of the importer's evaluation. limit, if
// above 0, bounds each evaluation instead of LoadTimeout.
func (rt *Runtime) preloadAsync(ctx context.Context, file string, res *transform.Result, st *reads, limit time.Duration) error {
	var order []string
	results := map[string]*transform.Result{}
	seen := map[string]bool{file: true}
	var visit func(importer string, r *transform.Result)
	visit = func(importer string, r *transform.Result) {
		for _, spec := range r.Imports {
			if slices.Contains(r.DynamicImports, spec) {
				continue
			}
			dm, f, src, err := rt.resolve(ctx, st, importer, spec, r.Kind == transform.ESModule)
			if err != nil || dm != nil || seen[f] {
				continue // a loaded module, or an error require reports
			}
			seen[f] = true
			dr, err := rt.compile(ctx, st, f, src)
			if err != nil {
				continue
			}
			visit(f, dr)
			if dr.Async {
				order = append(order, f)
				results[f] = dr
			}
		}
	}
	visit(file, res)
	for _, f := range order {
		dm, created, err := rt.registerImported(f)
		if err != nil {
			return err
		}
		if !created {
			continue // loaded meanwhile, or loading on its own
		}
		if _, err := rt.loadEverywhere(ctx, dm, results[f], st, time.Now(), limit); err != nil {
			if dm.cur.Load() == nil {
				dm.setState(StateRemoved)
				rt.unregister(dm)
			}
			return err
		}
	}
	return nil
}
