package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

func sandboxEnv(t *testing.T) *env {
	return newEnv(t, map[string]string{"/m/host.js": "export const secret = 'host secret'"})
}

func TestExecuteSafeBasics(t *testing.T) {
	e := sandboxEnv(t)
	res, err := e.rt.ExecuteSafe(e.ctx, "return context.a + context.b", map[string]any{"a": 1, "b": 2})
	if err != nil || res.Value != int64(3) {
		t.Fatalf("a + b = %#v, %v", res.Value, err)
	}
	for _, tc := range []struct {
		code string
		want any
	}{
		{"", hotmod.Undefined{}},
		{"return undefined", hotmod.Undefined{}},
		{"return null", nil},
		{"return 1.5", 1.5},
		{"return [1, 'two', {three: true}]", []any{int64(1), "two", map[string]any{"three": true}}},
		{"await null; return await Promise.resolve('awaited')", "awaited"},
		{"return context.nested.list.length", int64(3)},
		{"return typeof context.missing", "undefined"},
		{"async function* g() { yield 1; yield 2 } let s = 0; for await (const x of g()) s += x; return s", int64(3)},
	} {
		res, err := e.rt.ExecuteSafe(e.ctx, tc.code, map[string]any{"nested": map[string]any{"list": []int{1, 2, 3}}})
		if err != nil || !reflect.DeepEqual(res.Value, tc.want) {
			t.Errorf("%q = %#v, %v; want %#v", tc.code, res.Value, err, tc.want)
		}
	}
	res, err = e.rt.ExecuteSafe(e.ctx, "console.log('hi', {a: 1}); console.error('bad'); return 0", nil)
	want := []hotmod.ConsoleLine{{Level: "log", Text: `hi {"a":1}`}, {Level: "error", Text: "bad"}}
	if err != nil || !reflect.DeepEqual(res.Console, want) {
		t.Errorf("console = %+v, %v", res.Console, err)
	}
	_, err = e.rt.ExecuteSafe(e.ctx, "\n\nthrow new TypeError('bad input')", nil)
	var je *hotmod.JSError
	if !errors.As(err, &je) || je.Name != "TypeError" || je.Message != "bad input" || je.File != "sandbox" || je.Line != 3 {
		t.Errorf("throw: %v (%+v), want a JSError at sandbox:3", err, je)
	}
	_, err = e.rt.ExecuteSafe(e.ctx, "return (", nil)
	var se *hotmod.SourceError
	if !errors.As(err, &se) || se.File != "sandbox" || se.Line != 1 {
		t.Errorf("syntax error: %v", err)
	}
	if _, err := e.rt.ExecuteSafe(e.ctx, "return () => 1", nil); !errors.Is(err, hotmod.ErrSandboxResult) {
		t.Errorf("a function result: %v, want ErrSandboxResult", err)
	}
	if _, err := e.rt.ExecuteSafe(e.ctx, "await new Promise(() => {})", nil); !errors.Is(err, hotmod.ErrSandboxResult) {
		t.Errorf("a promise that never settles: %v", err)
	}
}

func TestSandboxInputs(t *testing.T) {
	e := sandboxEnv(t)
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	type node struct {
		Next *node
	}
	loop := &node{}
	loop.Next = loop
	for name, vars := range map[string]map[string]any{
		"context.fn":        {"fn": func() {}},
		"context.ch":        {"ch": make(chan int)},
		"context.deep.self": {"deep": cyclic},
		"context.list[1]":   {"list": []any{1, func() {}}},
		"context.loop.Next": {"loop": loop},
		"context.nan":       {"nan": nanValue()},
	} {
		_, err := e.rt.ExecuteSafe(e.ctx, "return 1", vars)
		if !errors.Is(err, hotmod.ErrSandboxInput) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want ErrSandboxInput naming %s", name, err, name)
		}
	}
	type point struct {
		X int `json:"x"`
	}
	res, err := e.rt.ExecuteSafe(e.ctx, "return context.p.x + context.when.length", map[string]any{"p": point{4}, "when": "2024"})
	if err != nil || res.Value != int64(8) {
		t.Errorf("struct input: %#v, %v", res.Value, err)
	}
}

func nanValue() float64 { var z float64; return z / z }

func TestSandboxLimits(t *testing.T) {
	e := sandboxEnv(t)
	fast := hotmod.SafeOptions{TimeLimit: 200 * time.Millisecond}
	for _, tc := range []struct {
		name, code, limit string
		opts              hotmod.SafeOptions
	}{
		{"huge string", "return 'x'.repeat(2**30).length", "memory", hotmod.SafeOptions{}},
		// A small memory limit and a long time limit: the memory limit must
		// be what stops it, even on a slow (race-instrumented) build.
		{"allocation", "const a = []; while (true) a.push(new Array(10000).fill(7))", "memory", hotmod.SafeOptions{MemoryLimit: 8 << 20, TimeLimit: time.Minute}},
		{"endless loop", "while (true) {}", "time", fast},
		{"catastrophic regex", "return /(a+)+$/.test('a'.repeat(40) + '!')", "time", fast},
		{"async endless loop", "await null; for (;;) {}", "time", fast},
		{"recursion", "function r(n) { return r(n + 1) + 1 } return r(0)", "stack", hotmod.SafeOptions{}},
		{"console flood", "for (;;) console.log('spam spam spam')", "console", hotmod.SafeOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := e.rt.CreateSafeContext(tc.code, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = sc.Run(e.ctx, nil)
			var le *hotmod.LimitError
			if !errors.Is(err, hotmod.ErrLimit) || !errors.As(err, &le) || le.Limit != tc.limit || !strings.Contains(err.Error(), tc.limit) {
				t.Fatalf("%v, want the %s limit", err, tc.limit)
			}
			// The process is unharmed and the next run works.
			if res, err := e.rt.ExecuteSafe(e.ctx, "return 'fine'", nil); err != nil || res.Value != "fine" {
				t.Errorf("next run: %v, %v", res.Value, err)
			}
		})
	}
	ctx, cancel := context.WithTimeout(e.ctx, 50*time.Millisecond)
	defer cancel()
	_, err := e.rt.ExecuteSafe(ctx, "while (true) {}", nil)
	if !errors.Is(err, hotmod.ErrLimit) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the context's deadline: %v, want ErrLimit and DeadlineExceeded", err)
	}
	if st := e.rt.Stats(); st.SandboxLimitBreaches < 8 || st.SandboxRuns < 15 {
		t.Errorf("stats: %d runs, %d breaches", st.SandboxRuns, st.SandboxLimitBreaches)
	}
}

func TestSandboxEscapes(t *testing.T) {
	e := sandboxEnv(t)
	for _, code := range []string{
		"}; globalThis.x = 1; (function(){",
		"}), (globalThis.x = 1), (async function(){",
		"}\n}); globalThis.x = 1; ({ a() {",
	} {
		if _, err := e.rt.ExecuteSafe(e.ctx, code, nil); err == nil {
			t.Errorf("%q ran", code)
		}
	}
	res, err := e.rt.ExecuteSafe(e.ctx, `
const g = this.constructor.constructor('return globalThis')()
const names = Object.getOwnPropertyNames(g)
return {
	host: ['require', 'process', 'module', 'exports', 'std', 'os', 'setTimeout', 'setInterval', 'fetch', 'XMLHttpRequest', 'secret', 'Deno', 'Bun', '__hotmod_console']
		.filter(n => typeof g[n] !== 'undefined'),
	importWorks: await import('/m/host.js').then(() => true, () => false),
	evalIsLocal: g.eval('typeof context'),
}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Value.(map[string]any)
	if len(got["host"].([]any)) != 0 || got["importWorks"] != false || got["evalIsLocal"] != "undefined" {
		t.Errorf("host access: %+v", got)
	}
	// Prototype pollution in one run is not seen by the next.
	if _, err := e.rt.ExecuteSafe(e.ctx, "Object.prototype.polluted = 'yes'; Array.prototype.map = null; globalThis.leak = 1", nil); err != nil {
		t.Fatal(err)
	}
	res, err = e.rt.ExecuteSafe(e.ctx, "return [({}).polluted ?? null, typeof [].map, typeof leak]", nil)
	if err != nil || !reflect.DeepEqual(res.Value, []any{nil, "function", "undefined"}) {
		t.Errorf("after pollution: %#v, %v", res.Value, err)
	}
	// Nothing of the host realm: the goja modules are not reachable.
	if v, err := e.rt.ExecuteSafe(e.ctx, "return typeof secret + typeof globalThis.secret", nil); err != nil || v.Value != "undefinedundefined" {
		t.Errorf("host module visible: %v %v", v.Value, err)
	}
	// The driver's own globals cannot be replaced to fake a result.
	res, err = e.rt.ExecuteSafe(e.ctx, "try { globalThis.__hotmod_outcome = () => '{\"value\": 666}' } catch {}\nreturn 1", nil)
	if err != nil || res.Value != int64(1) {
		t.Errorf("faked result: %v, %v", res.Value, err)
	}
}

func TestSandboxRunsAreIsolated(t *testing.T) {
	e := sandboxEnv(t)
	sc, err := e.rt.CreateSafeContext(`
globalThis.owner = context.id
let spin = 0
for (let i = 0; i < 2000; i++) { spin += i; await null }
return [globalThis.owner, context.id]`, hotmod.SafeOptions{TimeLimit: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := sc.Run(e.ctx, map[string]any{"id": i})
			if err != nil {
				errs <- err
				return
			}
			if want := []any{int64(i), int64(i)}; !reflect.DeepEqual(res.Value, want) {
				errs <- fmt.Errorf("run %d saw %v", i, res.Value)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSandboxMemoryIsFlat runs 10,000 executions and checks that neither the
// Go heap nor the process's resident memory grows with them: every QuickJS
// value and VM is freed.
func TestSandboxMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 runs; run without -short")
	}
	e := sandboxEnv(t)
	sc, err := e.rt.CreateSafeContext("const o = {list: context.list.map(x => x * 2), s: 'x'.repeat(1000)}; console.log(o.s.length); return o.list", hotmod.SafeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{"list": []int{1, 2, 3, 4, 5}}
	run := func(n int) {
		for range n {
			if _, err := sc.Run(e.ctx, vars); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(500)
	heap0, rss0 := memNow()
	const n = 10000
	run(n)
	heap1, rss1 := memNow()
	t.Logf("after %d runs: Go heap %+d bytes (%.1f per run), RSS %+d KiB", n, int64(heap1)-int64(heap0), float64(int64(heap1)-int64(heap0))/n, (int64(rss1)-int64(rss0))/1024)
	if perRun := (int64(heap1) - int64(heap0)) / n; perRun > 256 {
		t.Errorf("Go heap grows %d bytes per run", perRun)
	}
	if grow := int64(rss1) - int64(rss0); grow > 32<<20 {
		t.Errorf("resident memory grew %d MiB over %d runs", grow>>20, n)
	}
}
