package engine

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
)

func realm(t *testing.T) *Realm {
	t.Helper()
	r := New(Options{})
	t.Cleanup(func() { _ = r.Close(context.Background(), 0, nil) })
	return r
}

func TestToJSRejectsAndBounds(t *testing.T) {
	r := realm(t)
	err := r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		for name, v := range map[string]any{
			"func":    func() {},
			"chan":    make(chan int),
			"nested":  map[string]any{"a": []any{1, func() {}}},
			"complex": complex(1, 2),
		} {
			if _, err := r.ToJS(v); !errors.Is(err, ErrConvert) {
				t.Errorf("%s: %v, want ErrConvert", name, err)
			}
		}
		deep := []any{}
		for range maxDepth + 5 {
			deep = []any{deep}
		}
		if _, err := r.ToJS(deep); !errors.Is(err, ErrConvert) {
			t.Errorf("too deep: %v", err)
		}
		// Non-string map keys go by JSON, NaN stays a number.
		v, err := r.ToJS(map[int]string{1: "one"})
		if err != nil || v.ToObject(vm).Get("1").String() != "one" {
			t.Errorf("int-keyed map: %v %v", v, err)
		}
		v, _ = r.ToJS(math.NaN())
		if f := v.ToFloat(); !math.IsNaN(f) {
			t.Errorf("NaN = %v", f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFromJSShapes(t *testing.T) {
	r := realm(t)
	err := r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		v, _ := vm.RunString(`new Map([[1, 'a'], [{k: 2}, 'b']])`)
		got, err := r.FromJS(v)
		pairs, ok := got.([][2]any)
		if err != nil || !ok || len(pairs) != 2 || pairs[0][0] != int64(1) {
			t.Errorf("non-string Map keys: %#v %v", got, err)
		}
		v, _ = vm.RunString(`(() => { const a = [1]; a.push(a); return a })()`)
		if _, err := r.FromJS(v); !errors.Is(err, ErrConvert) {
			t.Errorf("cyclic array: %v", err)
		}
		v, _ = vm.RunString(`({ p: Promise.resolve(1) })`)
		if _, err := r.FromJS(v); !errors.Is(err, ErrConvert) {
			t.Errorf("nested promise: %v", err)
		}
		v, _ = vm.RunString(`[2 ** 53 + 2, 0.1 + 0.2, new Error('e')]`)
		got, _ = r.FromJS(v)
		list := got.([]any)
		a, b := 0.1, 0.2 // variables: the constant 0.1+0.2 is exactly 0.3
		if _, isFloat := list[0].(float64); !isFloat || list[1] != a+b || list[2].(map[string]any)["message"] != "e" {
			t.Errorf("numbers and errors: %#v", list)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The proxy answers every operation from the current target, including
// one whose properties are non-configurable (a frozen object), without
// tripping the Proxy invariants.
func TestLiveProxyInvariants(t *testing.T) {
	r := realm(t)
	err := r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		frozen, _ := vm.RunString(`Object.freeze({ a: 1, b: 2 })`)
		other, _ := vm.RunString(`({ c: 3 })`)
		cur := frozen.ToObject(vm)
		p := r.LiveProxy(func() *goja.Object { return cur }, nil, false)
		_ = vm.Set("p", p)
		v, err := vm.RunString(`JSON.stringify([Object.keys(p), 'a' in p, {...p}, Object.getOwnPropertyDescriptor(p, 'a').value])`)
		if err != nil || v.String() != `[["a","b"],true,{"a":1,"b":2},1]` {
			t.Errorf("frozen target: %v %v", v, err)
		}
		cur = other.ToObject(vm)
		v, err = vm.RunString(`JSON.stringify(p) + ('a' in p)`)
		if err != nil || v.String() != `{"c":3}false` {
			t.Errorf("after the swap: %v %v", v, err)
		}
		cur = nil
		v, err = vm.RunString(`JSON.stringify(p) + typeof p.c`)
		if err != nil || v.String() != `{}undefined` {
			t.Errorf("no target: %v %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunInterruptsAndRecovers(t *testing.T) {
	r := realm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := r.Run(ctx, 0, func(vm *goja.Runtime) error {
		_, err := vm.RunString("for (;;) {}")
		return err
	})
	var te *TimeoutError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) {
		t.Fatalf("%v", err)
	}
	// An interrupt that fires after the work is done must not hit the next caller.
	for range 50 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Microsecond)
		_ = r.Run(ctx, 0, func(vm *goja.Runtime) error { _, err := vm.RunString("1"); return err })
		cancel()
	}
	err = r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		_, err := vm.RunString("let s = 0; for (let i = 0; i < 1e5; i++) s += i; s")
		return err
	})
	if err != nil {
		t.Errorf("a stale interrupt reached a later call: %v", err)
	}
	if err := r.Close(context.Background(), 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), 0, func(*goja.Runtime) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestErrorPositionsFromStacks(t *testing.T) {
	for stack, want := range map[string]string{
		"Error: x\n\tat f (/m/a.js:3:8(12))\n\tat /m/b.js:1:1(3)": "/m/a.js:3:9",
		"Error: x\n\tat /m/b.ts:10:0(3)":                          "/m/b.ts:10:1",
		"Error: x\n\tat native":                                   "",
	} {
		file, line, col := firstFrame(cleanStack(stack))
		got := ""
		if file != "" {
			got = file + ":" + strconv.Itoa(line) + ":" + strconv.Itoa(col)
		}
		if got != want {
			t.Errorf("%q: %q, want %q", stack, got, want)
		}
	}
	if s := cleanStack("Error: x\n\tat f (/m/a.js:3:8(12))"); !strings.Contains(s, "at f (/m/a.js:3:9)") {
		t.Errorf("cleaned stack %q", s)
	}
}

// goja's Object.Get from Go runs a getter outside any call and panics when
// it is interrupted or throws: Run turns that into its error, and the
// process and the realm carry on.
func TestRunRecoversPanicsOfPropertyReads(t *testing.T) {
	r := realm(t)
	var obj *goja.Object
	if err := r.Run(context.Background(), 0, func(vm *goja.Runtime) error {
		v, err := vm.RunString(`({ get spin() { for (;;) {} }, get boom() { throw new Error('boom') }, get deep() { return this.deep } })`)
		obj = v.ToObject(vm)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := r.Run(ctx, 0, func(*goja.Runtime) error { obj.Get("spin"); return nil })
	var te *TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("an interrupted getter read from Go: %v", err)
	}
	err = r.Run(context.Background(), 0, func(*goja.Runtime) error { obj.Get("boom"); return nil })
	if je, ok := Err(err).(*JSError); !ok || je.Message != "boom" {
		t.Errorf("a throwing getter read from Go: %v", err)
	}
	err = r.Run(context.Background(), 0, func(*goja.Runtime) error { obj.Get("deep"); return nil })
	if !errors.Is(Err(err), ErrStackOverflow) {
		t.Errorf("a recursing getter read from Go: %v", err)
	}
	if err := r.Run(context.Background(), 0, func(vm *goja.Runtime) error { _, err := vm.RunString("1 + 1"); return err }); err != nil {
		t.Errorf("the realm after: %v", err)
	}
}
