package sandbox

import (
	"errors"
	"strings"
	"testing"
)

func TestStackSlotsStayFarFromGoLimit(t *testing.T) {
	for bytes, want := range map[int64]uintptr{0: 32, 1: 32, 256 << 10: 1250, 1 << 20: 5000, 1 << 40: 20000} {
		if got := stackSlots(bytes); got != want {
			t.Errorf("stackSlots(%d) = %d, want %d", bytes, got, want)
		}
	}
}

func TestShapeCheck(t *testing.T) {
	for code, ok := range map[string]bool{
		"return 1":                                   true,
		"async function* g() {} return 1":            true,
		"for await (const x of []) {}":               true,
		"return import('x')":                         true,
		"}), (globalThis.x = 1), (async function(){": false,
		"}; x(); (function(){":                       false,
	} {
		_, err := Compile(code)
		if (err == nil) != ok {
			t.Errorf("Compile(%q) = %v, want ok=%v", code, err, ok)
		}
	}
}

func TestInputPaths(t *testing.T) {
	type inner struct{ F func() }
	for name, vars := range map[string]map[string]any{
		"context.s.F":  {"s": inner{F: func() {}}},
		"context.m.k":  {"m": map[string]any{"k": make(chan int)}},
		"context.c":    {"c": complex(1, 1)},
		"context.p[0]": {"p": []*inner{{F: func() {}}}},
	} {
		_, err := encodeInput(vars)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), strings.TrimSuffix(name, "[0]")) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if s, err := encodeInput(map[string]any{"b": []byte("hi"), "n": nil}); err != nil || s != `{"b":"aGk=","n":null}` {
		t.Errorf("bytes and nil: %s %v", s, err)
	}
}
