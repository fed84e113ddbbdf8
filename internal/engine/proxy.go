package engine

import "github.com/dop251/goja"

// LiveProxy returns an object that behaves, for every operation, like the
// object resolve returns at the moment of the operation: a stable handle to
// whatever version of a module is current. resolve may return nil (a module
// not loaded yet, or removed), and the proxy then looks empty. A callable
// proxy (for a module that exports a function or class) can be called and
// constructed, but typeof says "function" and JSON.stringify skips it, so
// it is only for such modules. Call with the lock held; the traps run under
// it too. get, if not nil, decides what a property read returns (the
// module's patched or profiled functions); otherwise the target's value.
func (r *Realm) LiveProxy(resolve func() *goja.Object, get func(t *goja.Object, prop string) goja.Value, callable bool) *goja.Object {
	vm := r.vm
	// The target stays empty and extensible, so no proxy invariant ties the
	// traps' answers to it. A bound function is callable and constructible
	// yet has no non-configurable own property such as an ordinary
	// function's prototype.
	target := vm.NewObject()
	if callable {
		tv, _ := r.newTarget(goja.Undefined())
		target = tv.ToObject(vm)
	}
	hasInstance := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		v, err := r.instanceOf(goja.Undefined(), call.Argument(0), valueOf(resolve()))
		if err != nil {
			panic(err)
		}
		return v
	})
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
			t := resolve()
			switch {
			case t == nil:
				return goja.Undefined()
			case get != nil:
				return get(t, prop)
			}
			return t.Get(prop)
		},
		GetSym: func(_ *goja.Object, prop *goja.Symbol, _ goja.Value) goja.Value {
			t := resolve()
			switch {
			case t == nil:
				return goja.Undefined()
			case prop == goja.SymHasInstance && callable:
				// goja's Function.prototype[Symbol.hasInstance] accepts
				// only real functions as this: `x instanceof Handle` asks
				// the class the handle stands for now.
				return hasInstance
			}
			return t.GetSymbol(prop)
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
		Apply: func(_ *goja.Object, this goja.Value, args []goja.Value) goja.Value {
			fn, ok := goja.AssertFunction(valueOf(resolve()))
			if !ok {
				panic(vm.NewTypeError("the module's exports are not a function"))
			}
			v, err := fn(this, args...)
			if err != nil {
				panic(err)
			}
			return v
		},
		Construct: func(_ *goja.Object, args []goja.Value, _ *goja.Object) *goja.Object {
			t := resolve()
			if t == nil {
				panic(vm.NewTypeError("the module is not loaded"))
			}
			v, err := r.construct(goja.Undefined(), t, vm.NewArray(anys(args)...))
			if err != nil {
				panic(err)
			}
			return v.ToObject(vm)
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

func valueOf(o *goja.Object) goja.Value {
	if o == nil {
		return goja.Undefined()
	}
	return o
}

func anys(vs []goja.Value) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}
