package hotmod

import (
	"slices"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/transform"
)

// An ES module's handle in the importers of a realm is a plain object
// whose properties are redefined whenever what it stands for changes (a
// swap, a patch, a profile, a removal), not a Proxy: a Proxy's get trap is
// Go code, and a call through it cost three times a local call. Each
// constant export (transform.constExports) is a data property holding its
// value; any other export is an accessor with the exports' own getter, so
// live bindings stay live. While patches, profiles or a probation apply,
// every export is an accessor into Go (Module.lookup), as the Proxy was.
//
// Changes made holding every realm (a swap, a patch, a removal) redefine
// the properties there and then, so no call sees two versions. A profile
// or probation starts and stops without the realms: the handles catch up
// at the next run in each realm (SetBeforeRun), so a call already running
// when a profile starts is not counted through them.
//
// A module is an ES module or not for good as far as its handle goes: one
// whose handle was made for a CommonJS module or a script keeps the Proxy
// (their exports may change at any time). One whose handle was made for an
// ES module and that becomes CommonJS shows the names its exports had at
// the swap, each read live; names it adds later are not on the handle.

// handleKey is what a plain handle was last made from.
type handleKey struct {
	v         *version
	h         *hooks
	exp       *goja.Object
	evaluated bool
}

// plainHandle reports whether m's handle in realm s should be a plain
// object: its version there is an ES module.
func (m *Module) plainHandle(s *realm) bool {
	in := m.in[s.index]
	v := in.cur.Load()
	if v == nil {
		v = in.loading
	}
	return v != nil && v.res.Kind == transform.ESModule
}

// syncHandle redefines m's plain handle in realm s if what it stands for
// changed since. Call with s's lock held.
func (m *Module) syncHandle(s *realm) {
	in := m.in[s.index]
	if !in.plain {
		return
	}
	v := in.cur.Load()
	evaluated := v != nil
	if v == nil {
		v = in.loading
	}
	h := m.hooks.Load()
	var exp *goja.Object
	if v != nil {
		exp = m.exportsOf(v)
	}
	if v != nil && v != in.cur.Load() {
		h = nil // a version still loading (a cycle) has no hooks yet
	}
	key := handleKey{v, h, exp, evaluated}
	if in.synced == key {
		return
	}
	in.synced = key
	obj := in.proxy
	for _, k := range obj.GetOwnPropertyNames() {
		_ = obj.Delete(k)
	}
	if exp == nil {
		return
	}
	vm := s.VM()
	esm := v.res.Kind == transform.ESModule
	for _, k := range exp.GetOwnPropertyNames() {
		d := s.Descriptor(exp, k)
		if d == nil {
			continue
		}
		enumerable := flagOf(d.Get("enumerable"))
		getter, _ := d.Get("get").(*goja.Object)
		hooked := h != nil && (h.patches[k] != nil || len(h.profiles) > 0 || h.health != nil)
		switch {
		case !esm || hooked:
			name, from := k, exp
			var counted *callFigures // an ES module's function: counted as below
			if esm && evaluated && slices.Contains(v.fns, k) {
				counted = v.fig
			}
			get := vm.ToValue(func(goja.FunctionCall) goja.Value {
				if counted != nil {
					s.countFromModule(counted)
				}
				if !esm {
					from = m.resolve(s)
					if from == nil {
						return goja.Undefined()
					}
				}
				return m.lookup(s, from, name)
			})
			var set goja.Value
			if !esm {
				set = vm.ToValue(func(call goja.FunctionCall) goja.Value {
					if t := m.resolve(s); t != nil {
						if err := t.Set(name, call.Argument(0)); err != nil {
							panic(err)
						}
					}
					return goja.Undefined()
				})
			}
			_ = obj.DefineAccessorProperty(k, get, set, goja.FLAG_TRUE, enumerable)
		case getter == nil:
			// A data property (__esModule): read now, as it cannot change
			// in an ES module's exports.
			_ = obj.DefineDataProperty(k, d.Get("value"), goja.FLAG_FALSE, goja.FLAG_TRUE, enumerable)
		case evaluated && isConst(v, k):
			if val, err := s.Get(exp, k); err == nil {
				if _, isFn := goja.AssertFunction(val); isFn {
					// A constant function: a getter in Go that counts the
					// read, which esbuild's code makes at every call
					// ((0, import_x.f)(...)), and returns the function.
					// A Go getter costs no JavaScript frame: measured,
					// module→module stayed within 1.2× a local call,
					// where a JavaScript wrapper or getter cost 2-10×
					// (RATIONALE.md).
					fig := v.fig
					get := vm.ToValue(func(goja.FunctionCall) goja.Value {
						s.countFromModule(fig)
						return val
					})
					_ = obj.DefineAccessorProperty(k, get, nil, goja.FLAG_TRUE, enumerable)
					continue
				}
				_ = obj.DefineDataProperty(k, val, goja.FLAG_FALSE, goja.FLAG_TRUE, enumerable)
				continue
			}
			fallthrough
		default:
			_ = obj.DefineAccessorProperty(k, getter, nil, goja.FLAG_TRUE, enumerable)
		}
	}
}

func isConst(v *version, name string) bool {
	_, ok := slices.BinarySearch(v.res.ConstExports, name)
	return ok
}

func flagOf(v goja.Value) goja.Flag {
	if v != nil && v.ToBoolean() {
		return goja.FLAG_TRUE
	}
	return goja.FLAG_FALSE
}

// syncHandles brings the realm's plain handles up to date after changes
// made without it (a profile, a probation): the realm's beforeRun. Call
// with s's lock held.
func (rt *Runtime) syncHandles(s *realm) {
	g := rt.handleGen.Load()
	if g == s.handleGen {
		return
	}
	s.handleGen = g
	for _, m := range s.handles {
		m.syncHandle(s)
	}
}
