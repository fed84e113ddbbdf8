package engine

import "github.com/dop251/goja"

// LiveProxy returns an object that behaves, for every operation, like the
// object resolve returns at the moment of the operation: a stable handle to
// whatever version of a module is current. resolve may return nil (a module
// not loaded yet, or removed), and the proxy then looks empty.
// Call with the lock held; the traps run under it too.
func (r *Realm) LiveProxy(resolve func() *goja.Object) *goja.Object {
	vm := r.vm
	// The target stays empty and extensible, so no proxy invariant ties the
	// traps' answers to it.
	target := vm.NewObject()
	desc := func(t *goja.Object, prop goja.Value) goja.PropertyDescriptor {
		d := r.ownDescriptor(t, prop)
		if d == nil {
			return goja.PropertyDescriptor{}
		}
		// Reported as configurable: a non-configurable property that the
		// empty target lacks would break the proxy invariants.
		out := goja.PropertyDescriptor{Configurable: goja.FLAG_TRUE}
		out.Enumerable = flag(d.Get("enumerable"))
		if g, s := d.Get("get"), d.Get("set"); (g != nil && !goja.IsUndefined(g)) || (s != nil && !goja.IsUndefined(s)) {
			out.Getter, out.Setter = g, s
		} else {
			out.Value = d.Get("value")
			out.Writable = flag(d.Get("writable"))
		}
		return out
	}
	p := vm.NewProxy(target, &goja.ProxyTrapConfig{
		Get: func(_ *goja.Object, prop string, _ goja.Value) goja.Value {
			if t := resolve(); t != nil {
				return t.Get(prop)
			}
			return goja.Undefined()
		},
		GetSym: func(_ *goja.Object, prop *goja.Symbol, _ goja.Value) goja.Value {
			if t := resolve(); t != nil {
				return t.GetSymbol(prop)
			}
			return goja.Undefined()
		},
		Set: func(_ *goja.Object, prop string, value goja.Value, _ goja.Value) bool {
			t := resolve()
			return t != nil && t.Set(prop, value) == nil
		},
		Has: func(_ *goja.Object, prop string) bool {
			t := resolve()
			return t != nil && r.has(t, vm.ToValue(prop))
		},
		HasSym: func(_ *goja.Object, prop *goja.Symbol) bool {
			t := resolve()
			return t != nil && r.has(t, prop)
		},
		DeleteProperty: func(_ *goja.Object, prop string) bool {
			t := resolve()
			return t == nil || t.Delete(prop) == nil
		},
		OwnKeys: func(*goja.Object) *goja.Object {
			t := resolve()
			if t == nil {
				return vm.NewArray()
			}
			keys := make([]any, 0)
			for _, k := range t.GetOwnPropertyNames() {
				keys = append(keys, k)
			}
			for _, s := range t.Symbols() {
				keys = append(keys, s)
			}
			return vm.NewArray(keys...)
		},
		GetOwnPropertyDescriptor: func(_ *goja.Object, prop string) goja.PropertyDescriptor {
			if t := resolve(); t != nil {
				return desc(t, vm.ToValue(prop))
			}
			return goja.PropertyDescriptor{}
		},
		DefineProperty: func(_ *goja.Object, prop string, d goja.PropertyDescriptor) bool {
			t := resolve()
			if t == nil {
				return false
			}
			if d.Getter != nil || d.Setter != nil {
				return t.DefineAccessorProperty(prop, d.Getter, d.Setter, d.Configurable, d.Enumerable) == nil
			}
			return t.DefineDataProperty(prop, d.Value, d.Writable, d.Configurable, d.Enumerable) == nil
		},
		GetPrototypeOf: func(*goja.Object) *goja.Object {
			if t := resolve(); t != nil {
				return t.Prototype()
			}
			return nil
		},
	})
	return vm.ToValue(p).ToObject(vm)
}

func flag(v goja.Value) goja.Flag {
	if v != nil && v.ToBoolean() {
		return goja.FLAG_TRUE
	}
	return goja.FLAG_FALSE
}

func (r *Realm) ownDescriptor(t *goja.Object, prop goja.Value) *goja.Object {
	d, err := r.getOwnDesc(goja.Undefined(), t, prop)
	if err != nil || d == nil || goja.IsUndefined(d) {
		return nil
	}
	return d.ToObject(r.vm)
}

func (r *Realm) has(t *goja.Object, prop goja.Value) bool {
	v, err := r.reflectHas(goja.Undefined(), t, prop)
	return err == nil && v.ToBoolean()
}
