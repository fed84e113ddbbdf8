package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hotmod/hotmod/js"
	"math"
	"math/big"
	"reflect"
	"strconv"
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

// Result bounds by default (Options.MaxResultElements, MaxResultBytes):
// far above what a call returns in practice, far below what would hurt a
// process: a million elements export to about 100 MB of Go values at the
// very most.
const (
	DefaultMaxResultElements = 1_000_000
	DefaultMaxResultBytes    = 64 << 20
)

// FromJS copies a JavaScript value out of the realm as Go data: undefined
// and null are nil; numbers are int64 when integral and safe, else float64;
// Arrays are []any, Uint8Array and ArrayBuffer []byte, Date time.Time, Map
// map[string]any (or [][2]any for other keys), Set []any, BigInt *big.Int,
// functions Function, and other objects map[string]any of their own
// enumerable properties. A cycle is an error. A value larger than the
// realm's result bounds is a *js.LimitError, found before anything of that
// size is allocated; and the copy stops with a *TimeoutError as soon as the
// run it is part of is stopped (a copy of a large value is work like any
// other). Call with the lock held.
func (r *Realm) FromJS(v goja.Value) (any, error) {
	o, ok := v.(*goja.Object)
	if !ok || o == nil {
		g := r.fromPrimitive(v)
		if s, ok := g.(string); !ok || len(s) <= 64 {
			return g, nil // no bound to count against: the common result
		}
	}
	c := fromConv{r: r, elems: r.opts.MaxResultElements, bytes: r.opts.MaxResultBytes}
	if ok && o != nil {
		c.seen = make(map[*goja.Object]bool) // not for the common case of a primitive
	}
	return c.from(v, 0)
}

func (r *Realm) fromPrimitive(v goja.Value) any {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	g := v.Export()
	if x, ok := g.(float64); ok && x == math.Trunc(x) && math.Abs(x) <= 1<<53 && !(x == 0 && math.Signbit(x)) {
		return int64(x)
	}
	return g
}

// fromConv is one copy out of the realm: what it has seen (for cycles) and
// how much of the result bounds it has left.
type fromConv struct {
	r            *Realm
	seen         map[*goja.Object]bool
	elems, bytes int // left; a bound of 0 or less is none
	work         int // units since the last look at the watchdog
}

// checkEvery is how many elements a copy converts between two looks at
// whether its run was stopped: a look is a mutex, an element about 100 ns.
const checkEvery = 1024

// take counts n elements and size bytes against the bounds, and looks at
// the watchdog now and then. what names the value for the error.
func (c *fromConv) take(n, size int, what string) error {
	if c.r.opts.MaxResultElements > 0 {
		if c.elems -= n; c.elems < 0 {
			return &js.LimitError{Limit: "result", InModule: true, Detail: fmt.Sprintf(
				"%s makes the value hold more than %d elements (Options.MaxResultSize.Elements)", what, c.r.opts.MaxResultElements)}
		}
	}
	if c.r.opts.MaxResultBytes > 0 {
		if c.bytes -= size; c.bytes < 0 {
			return &js.LimitError{Limit: "result", InModule: true, Detail: fmt.Sprintf(
				"%s makes the value hold more than %d bytes (Options.MaxResultSize.Bytes)", what, c.r.opts.MaxResultBytes)}
		}
	}
	if c.work += n + size/64; c.work >= checkEvery {
		c.work = 0
		return c.r.stopped()
	}
	return nil
}

func (c *fromConv) from(v goja.Value, depth int) (any, error) {
	obj, ok := v.(*goja.Object)
	if !ok || obj == nil {
		g := c.r.fromPrimitive(v)
		if s, ok := g.(string); ok && len(s) > 64 {
			if err := c.take(0, len(s), fmt.Sprintf("a string of %d bytes", len(s))); err != nil {
				return nil, err
			}
		}
		return g, nil
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d levels", ErrConvert, maxDepth)
	}
	if c.seen[obj] {
		return nil, fmt.Errorf("%w: the value contains a cycle", ErrConvert)
	}
	c.seen[obj] = true
	defer delete(c.seen, obj)
	r := c.r
	// ExportType, not Export: Export copies the whole value (an array of
	// 2^32-1 holes into a slice of that length) before anything could
	// check its size.
	switch obj.ExportType() {
	case typeTime:
		return obj.Export(), nil
	case typeBytes:
		b := obj.Export().([]byte) // a view of the typed array: no copy yet
		if err := c.take(0, len(b), fmt.Sprintf("a Uint8Array of %d bytes", len(b))); err != nil {
			return nil, err
		}
		return append([]byte(nil), b...), nil
	case typeArrayBuffer:
		b := obj.Export().(goja.ArrayBuffer).Bytes()
		if err := c.take(0, len(b), fmt.Sprintf("an ArrayBuffer of %d bytes", len(b))); err != nil {
			return nil, err
		}
		return append([]byte(nil), b...), nil
	case typePromise:
		return nil, fmt.Errorf("%w: a promise inside a result is not awaited", ErrConvert)
	case typeBigInt:
		return obj.Export(), nil
	}
	switch obj.ClassName() {
	case "Function":
		name := obj.Get("name")
		return Function{Name: name.String()}, nil
	case "Array":
		n := obj.Get("length").ToInteger()
		if err := c.take(int(min(n, math.MaxInt32)), 0, fmt.Sprintf("an array of %d elements", n)); err != nil {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			e, err := c.from(obj.Get(strconv.Itoa(i)), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
			if i&(checkEvery-1) == checkEvery-1 {
				if err := r.stopped(); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	case "Error":
		return map[string]any{"name": obj.Get("name").String(), "message": obj.Get("message").String()}, nil
	}
	switch {
	case r.vm.InstanceOf(obj, r.mapCtor):
		return c.fromMap(obj, depth)
	case r.vm.InstanceOf(obj, r.setCtor):
		var out []any
		var err error
		r.vm.ForOf(obj, func(e goja.Value) bool {
			if err = c.take(1, 0, "a Set member"); err != nil {
				return false
			}
			var g any
			if g, err = c.from(e, depth+1); err != nil {
				return false
			}
			out = append(out, g)
			return true
		})
		return out, err
	}
	if t := obj.ExportType(); t != nil && t.Kind() == reflect.Slice {
		// Another typed array: its length is known before its keys are.
		n := obj.Get("length").ToInteger()
		if err := c.take(int(min(n, math.MaxInt32)), 0, fmt.Sprintf("a typed array of %d elements", n)); err != nil {
			return nil, err
		}
	}
	out := make(map[string]any)
	for _, k := range obj.Keys() {
		if err := c.take(1, len(k), "a property"); err != nil {
			return nil, err
		}
		e, err := c.from(obj.Get(k), depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = e
	}
	return out, nil
}

var (
	typeTime        = reflect.TypeFor[time.Time]()
	typeBytes       = reflect.TypeFor[[]byte]()
	typeArrayBuffer = reflect.TypeFor[goja.ArrayBuffer]()
	typePromise     = reflect.TypeFor[*goja.Promise]()
	typeBigInt      = reflect.TypeFor[*big.Int]()
)

func (c *fromConv) fromMap(obj *goja.Object, depth int) (any, error) {
	var pairs [][2]any
	stringKeys := true
	var err error
	r := c.r
	r.vm.ForOf(obj, func(e goja.Value) bool {
		if err = c.take(1, 0, "a Map entry"); err != nil {
			return false
		}
		kv := e.ToObject(r.vm)
		var k, v any
		if k, err = c.from(kv.Get("0"), depth+1); err != nil {
			return false
		}
		if v, err = c.from(kv.Get("1"), depth+1); err != nil {
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
