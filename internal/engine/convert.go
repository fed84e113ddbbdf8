package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hotmod/hotmod/js"
	"math"
	"math/big"
	"reflect"
	"time"

	"github.com/dop251/goja"
)

// ErrConvert matches values that cannot cross between Go and JavaScript.
var ErrConvert = errors.New("hotmod: value cannot be converted")

// Function is js.Function: a JavaScript function in a Go result.
type Function = js.Function

const maxDepth = 1000

// ToJS copies a Go value into the realm as plain JavaScript data: numbers,
// strings, booleans, nil (null), slices (Array), string-keyed maps (Object),
// []byte (Uint8Array), time.Time (Date), json.RawMessage (parsed), and
// anything else by a JSON round trip. Go funcs and channels are rejected.
// Call with the lock held.
func (r *Realm) ToJS(v any) (goja.Value, error) { return r.toJS(v, 0) }

func (r *Realm) toJS(v any, depth int) (goja.Value, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d levels (a cycle?)", ErrConvert, maxDepth)
	}
	vm := r.vm
	switch x := v.(type) {
	case nil:
		return goja.Null(), nil
	case goja.Value:
		return x, nil
	case bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return vm.ToValue(x), nil
	case *big.Int:
		if x == nil {
			return goja.Null(), nil
		}
		return vm.ToValue(new(big.Int).Set(x)), nil
	case []byte:
		buf := vm.NewArrayBuffer(append([]byte(nil), x...))
		return vm.New(r.uint8Array, vm.ToValue(buf))
	case time.Time:
		return vm.New(r.date, vm.ToValue(x.UnixMilli()))
	case json.RawMessage:
		return r.jsonParse(goja.Undefined(), vm.ToValue(string(x)))
	case []any:
		items := make([]any, len(x))
		for i, e := range x {
			jv, err := r.toJS(e, depth+1)
			if err != nil {
				return nil, err
			}
			items[i] = jv
		}
		return vm.NewArray(items...), nil
	case map[string]any:
		obj := vm.NewObject()
		for k, e := range x {
			jv, err := r.toJS(e, depth+1)
			if err != nil {
				return nil, err
			}
			if err := obj.Set(k, jv); err != nil {
				return nil, err
			}
		}
		return obj, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return nil, fmt.Errorf("%w: a Go %s cannot be passed to JavaScript", ErrConvert, rv.Kind())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return goja.Null(), nil
		}
		if _, ok := v.(json.Marshaler); !ok {
			return r.toJS(rv.Elem().Interface(), depth+1)
		}
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return goja.Null(), nil
		}
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return r.toJS(items, depth)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			if rv.IsNil() {
				return goja.Null(), nil
			}
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return r.toJS(m, depth)
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %T: %v", ErrConvert, v, err)
	}
	return r.jsonParse(goja.Undefined(), vm.ToValue(string(b)))
}

// FromJS copies a JavaScript value out of the realm as Go data: undefined
// and null are nil; numbers are int64 when integral and safe, else float64;
// Arrays are []any, Uint8Array and ArrayBuffer []byte, Date time.Time, Map
// map[string]any (or [][2]any for other keys), Set []any, BigInt *big.Int,
// functions Function, and other objects map[string]any of their own
// enumerable properties. A cycle is an error. Call with the lock held.
func (r *Realm) FromJS(v goja.Value) (any, error) {
	return r.fromJS(v, make(map[*goja.Object]bool), 0)
}

func (r *Realm) fromJS(v goja.Value, seen map[*goja.Object]bool, depth int) (any, error) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d levels", ErrConvert, maxDepth)
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		switch x := v.Export().(type) {
		case float64:
			if x == math.Trunc(x) && math.Abs(x) <= 1<<53 && !(x == 0 && math.Signbit(x)) {
				return int64(x), nil
			}
			return x, nil
		default:
			return x, nil
		}
	}
	if seen[obj] {
		return nil, fmt.Errorf("%w: the value contains a cycle", ErrConvert)
	}
	seen[obj] = true
	defer delete(seen, obj)
	switch x := obj.Export().(type) {
	case time.Time:
		return x, nil
	case []byte:
		return append([]byte(nil), x...), nil
	case goja.ArrayBuffer:
		return append([]byte(nil), x.Bytes()...), nil
	case *goja.Promise:
		return nil, fmt.Errorf("%w: a promise inside a result is not awaited", ErrConvert)
	}
	switch obj.ClassName() {
	case "Function":
		name := obj.Get("name")
		return Function{Name: name.String()}, nil
	case "Array":
		n := int(obj.Get("length").ToInteger())
		out := make([]any, n)
		for i := range n {
			e, err := r.fromJS(obj.Get(fmt.Sprint(i)), seen, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	switch {
	case r.vm.InstanceOf(obj, r.mapCtor):
		return r.fromMap(obj, seen, depth)
	case r.vm.InstanceOf(obj, r.setCtor):
		var out []any
		var err error
		r.vm.ForOf(obj, func(e goja.Value) bool {
			var g any
			if g, err = r.fromJS(e, seen, depth+1); err != nil {
				return false
			}
			out = append(out, g)
			return true
		})
		return out, err
	}
	switch obj.ClassName() {
	case "Error":
		return map[string]any{"name": obj.Get("name").String(), "message": obj.Get("message").String()}, nil
	}
	if bi, ok := obj.Export().(*big.Int); ok {
		return bi, nil
	}
	out := make(map[string]any)
	for _, k := range obj.Keys() {
		e, err := r.fromJS(obj.Get(k), seen, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = e
	}
	return out, nil
}

func (r *Realm) fromMap(obj *goja.Object, seen map[*goja.Object]bool, depth int) (any, error) {
	var pairs [][2]any
	stringKeys := true
	var err error
	r.vm.ForOf(obj, func(e goja.Value) bool {
		kv := e.ToObject(r.vm)
		var k, v any
		if k, err = r.fromJS(kv.Get("0"), seen, depth+1); err != nil {
			return false
		}
		if v, err = r.fromJS(kv.Get("1"), seen, depth+1); err != nil {
			return false
		}
		if _, ok := k.(string); !ok {
			stringKeys = false
		}
		pairs = append(pairs, [2]any{k, v})
		return true
	})
	if err != nil {
		return nil, err
	}
	if !stringKeys {
		return pairs, nil
	}
	m := make(map[string]any, len(pairs))
	for _, p := range pairs {
		m[p[0].(string)] = p[1]
	}
	return m, nil
}
