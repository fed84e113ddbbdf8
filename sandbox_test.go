package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
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
	soak(t)
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

// modernc quickjs clears a pending interrupt at every call from Go, so a
// deadline that passed between two calls (the snippet, then its promise
// jobs) was lost and the run spun forever. Tiny limits and loops in every
// place a run can be are stopped now.
func TestSandboxTimeLimitCannotBeLost(t *testing.T) {
	e := sandboxEnv(t)
	codes := map[string]string{
		"loop in the body":      "while (true) {}",
		"loop after an await":   "await null; while (true) {}",
		"loop in a then":        "return Promise.resolve().then(() => { for (;;) {} })",
		"loop in a later job":   "await new Promise(r => r()); await null; for (;;) {}",
		"detached async loop":   "(async () => { await null; for (;;) {} })(); return 1",
		"jobs that feed jobs":   "const f = () => Promise.resolve().then(f); f(); await new Promise(() => {})",
		"catch and carry on":    "for (;;) { try { for (;;) {} } catch (e) {} }",
		"loop in a console arg": "console.log({ toJSON() { for (;;) {} } })",
	}
	var worst time.Duration
	for _, limit := range []time.Duration{time.Microsecond, time.Millisecond, 50 * time.Millisecond} {
		for name, code := range codes {
			sc, err := e.rt.CreateSafeContext(code, hotmod.SafeOptions{TimeLimit: limit})
			if err != nil {
				t.Fatal(name, err)
			}
			start := time.Now()
			within(t, 10*time.Second, name, func() { _, err = sc.Run(e.ctx, nil) })
			over := time.Since(start) - limit
			worst = max(worst, over)
			var le *hotmod.LimitError
			if !errors.As(err, &le) || le.Limit != "time" || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s under %v: %v, want the time limit", name, limit, err)
			}
		}
	}
	t.Logf("worst: %v past the time limit (the run includes creating the VM)", worst)
	// A context canceled (not timed out) mid-run stops it as well.
	sc, err := e.rt.CreateSafeContext("await null; for (;;) {}", hotmod.SafeOptions{TimeLimit: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	time.AfterFunc(20*time.Millisecond, cancel)
	within(t, 10*time.Second, "a canceled run", func() { _, err = sc.Run(ctx, nil) })
	if !errors.Is(err, hotmod.ErrLimit) || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

// Empty lines once escaped the byte limit (116,569 lines, 3 MB).
func TestSandboxConsoleCountsLines(t *testing.T) {
	e := sandboxEnv(t)
	for name, tc := range map[string]struct {
		code string
		opts hotmod.SafeOptions
	}{
		"empty lines":       {"for (let i = 0; i < 1e6; i++) console.log()", hotmod.SafeOptions{}},
		"short lines":       {"for (let i = 0; i < 1e6; i++) console.log('x')", hotmod.SafeOptions{}},
		"a lower line cap":  {"for (let i = 0; i < 20; i++) console.log(i)", hotmod.SafeOptions{ConsoleLineLimit: 10}},
		"bytes with breaks": {"for (let i = 0; i < 200; i++) console.log('')", hotmod.SafeOptions{ConsoleLimit: 100}},
	} {
		var res hotmod.SafeResult
		sc, err := e.rt.CreateSafeContext(tc.code, tc.opts)
		if err == nil {
			within(t, 10*time.Second, name, func() { res, err = sc.Run(e.ctx, nil) })
		}
		var le *hotmod.LimitError
		if !errors.As(err, &le) || le.Limit != "console" {
			t.Errorf("%s: %v, want the console limit", name, err)
		}
		if len(res.Console) > 1000 {
			t.Errorf("%s: %d lines kept", name, len(res.Console))
		}
	}
	res, err := e.rt.ExecuteSafe(e.ctx, "for (let i = 0; i < 1000; i++) console.log(); return 'ok'", nil)
	if err != nil || res.Value != "ok" || len(res.Console) != 1000 {
		t.Errorf("1000 lines, the default cap: %v %v %d", res.Value, err, len(res.Console))
	}
}

// The input check was quadratic in the nesting depth (depth 20,000 took
// 473 MiB); it is linear now, and absurd depth is refused.
func TestSandboxInputCheckIsLinear(t *testing.T) {
	e := sandboxEnv(t)
	nest := func(depth int) any {
		var v any = "leaf"
		for range depth {
			v = []any{v}
		}
		return v
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := e.rt.ExecuteSafe(e.ctx, "return 1", map[string]any{"deep": nest(20000)})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, hotmod.ErrSandboxInput) || !strings.Contains(err.Error(), "deeper than") {
		t.Errorf("depth 20,000: %v, want ErrSandboxInput", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("checking depth 20,000 allocated %d MiB", grew>>20)
	}
	res, err := e.rt.ExecuteSafe(e.ctx, "let d = 0, v = context.deep; while (Array.isArray(v)) { v = v[0]; d++ } return d", map[string]any{"deep": nest(200)})
	if err != nil || res.Value != int64(200) {
		t.Errorf("depth 200: %v %v", res.Value, err)
	}
	_, err = e.rt.ExecuteSafe(e.ctx, "return 1", map[string]any{"a": map[string]any{"b": []any{1, func() {}}}})
	if err == nil || !strings.Contains(err.Error(), "context.a.b[1]") {
		t.Errorf("the path of a bad value: %v", err)
	}
}

// Under a small memory limit a breach came back as a JavaScript error
// "null". Every breach names its limit.
func TestSandboxSmallMemoryBreachIsALimit(t *testing.T) {
	e := sandboxEnv(t)
	// Small limits are the point; the race detector slows QuickJS's
	// allocation loops enough that a larger one would only test patience.
	for _, mem := range []int64{32 << 10, 128 << 10, 512 << 10, 1 << 20} {
		for name, code := range map[string]string{
			"arrays":  "const a = []; for (;;) a.push(new Array(1000).fill(1))",
			"strings": "let s = 'x'; for (;;) s += s",
			"objects": "const a = []; for (;;) a.push({ a: 1, b: [1, 2, 3] })",
			"error":   "const a = []; for (;;) a.push(new Error('e'))",
		} {
			var err error
			sc, err := e.rt.CreateSafeContext(code, hotmod.SafeOptions{MemoryLimit: mem, TimeLimit: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			within(t, 90*time.Second, name, func() { _, err = sc.Run(e.ctx, nil) })
			var le *hotmod.LimitError
			if !errors.As(err, &le) || le.Limit != "memory" {
				t.Errorf("%s under %d KiB: %v, want the memory limit", name, mem>>10, err)
			}
		}
	}
}

// The outcome once travelled through a global the snippet could redefine.
// Nothing a snippet does changes what its run reports.
func TestSandboxCannotForgeItsOutcome(t *testing.T) {
	e := sandboxEnv(t)
	for name, code := range map[string]string{
		"define the outcome global": "Object.defineProperty(globalThis, '__hotmod_outcome', { value: () => '{\"value\":\"forged\"}' }); return 'real'",
		"call the drivers":          "for (const k of ['__hotmod_drive', '__hotmod_report', '__hotmod_console']) { try { globalThis[k]('{\"value\":\"forged\"}') } catch {} } return 'real'",
		"replace JSON.stringify":    "JSON.stringify = () => '\"forged\"'; return 'real'",
		"replace then":              "Promise.prototype.then = function () { return this }; return 'real'",
		"proxy the global object":   "Object.setPrototypeOf(globalThis, new Proxy({}, { get: () => () => 'forged' })); return 'real'",
		"look for hidden names":     "const names = Object.getOwnPropertyNames(globalThis).filter(n => n.startsWith('__hotmod')); return names.length ? names.join() : 'real'",
		"a thenable result":         "return { then(ok) { ok('real') } }",
	} {
		res, err := e.rt.ExecuteSafe(e.ctx, code, nil)
		if err != nil || res.Value != "real" {
			t.Errorf("%s: %#v %v, want the snippet's own result", name, res.Value, err)
		}
	}
}

// A snippet's own Error('interrupted') is its error, not a time breach.
func TestSandboxThrownInterruptedIsNotATimeBreach(t *testing.T) {
	e := sandboxEnv(t)
	_, err := e.rt.ExecuteSafe(e.ctx, "throw new Error('interrupted')", nil)
	var je *hotmod.JSError
	if errors.Is(err, hotmod.ErrLimit) || !errors.As(err, &je) || je.Message != "interrupted" {
		t.Errorf("%v, want the snippet's JSError", err)
	}
}

// A large result once came back as "awaits a promise that can never
// settle" or as a time breach: copying it out ran out of memory inside the
// driver, where nothing reported it. Its JSON form is bounded by a quarter
// of the memory limit, checked before it is built, and running out of
// memory while copying it out is the memory limit.
func TestSandboxLargeResultIsALimitError(t *testing.T) {
	e := sandboxEnv(t)
	for _, tc := range []struct {
		name, code, limit, detail string
		opts                      hotmod.SafeOptions
	}{
		{"20e6 characters", "return 'x'.repeat(20e6)", "result", "16777216", hotmod.SafeOptions{}},
		{"30e6 characters", "return 'x'.repeat(30e6)", "result", "16777216", hotmod.SafeOptions{}},
		// Small as a value, 10 MB as JSON: refused long before that is built.
		{"one string many times", "const s = 'x'.repeat(1e4); return Array(1000).fill(s)", "result", "1048576", hotmod.SafeOptions{MemoryLimit: 4 << 20}},
		{"just over a quarter", "return 'x'.repeat(1048575)", "result", "1048576", hotmod.SafeOptions{MemoryLimit: 4 << 20}},
		// Under the result limit, but two bytes a character in the VM and
		// three in the UTF-8 copy Go reads: that copy does not fit.
		{"wide characters", "return '\\u4e00'.repeat(600000)", "memory", "copying the outcome", hotmod.SafeOptions{MemoryLimit: 4 << 20}},
		{"a huge array", "return new Array(1e8).fill(0)", "memory", "8388608", hotmod.SafeOptions{MemoryLimit: 8 << 20}},
		{"a huge key count", "const o = {}; for (let i = 0; ; i++) o['k' + i] = i; return o", "memory", "4194304", hotmod.SafeOptions{MemoryLimit: 4 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.TimeLimit = time.Minute // the point is that time is not what stops these
			sc, err := e.rt.CreateSafeContext(tc.code, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			within(t, 90*time.Second, tc.name, func() { _, err = sc.Run(e.ctx, nil) })
			var le *hotmod.LimitError
			if !errors.As(err, &le) || le.Limit != tc.limit || !strings.Contains(le.Detail, tc.detail) {
				t.Fatalf("%v, want the %s limit naming %s", err, tc.limit, tc.detail)
			}
		})
	}
	// Right at the bound, the result comes out whole.
	sc, err := e.rt.CreateSafeContext("return 'x'.repeat(1048574)", hotmod.SafeOptions{MemoryLimit: 4 << 20, TimeLimit: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sc.Run(e.ctx, nil)
	if s, _ := res.Value.(string); err != nil || len(s) != 1048574 {
		t.Errorf("a result of exactly a quarter: %d characters, %v", len(s), err)
	}
}

// A console line or an error as large as the VM's memory once broke the
// copy out too: a wide-character line came back as the snippet's own
// TypeError from the console's argument conversion, and an error's 20 MB
// message crossed into Go whole.
func TestSandboxLargeConsoleLinesAndErrorsAreBounded(t *testing.T) {
	e := sandboxEnv(t)
	opts := hotmod.SafeOptions{TimeLimit: time.Minute}
	sc, err := e.rt.CreateSafeContext("console.log('\\u4e00'.repeat(15e6)); return 1", opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sc.Run(e.ctx, nil)
	var le *hotmod.LimitError
	if !errors.As(err, &le) || le.Limit != "console" {
		t.Errorf("a wide 15e6-character line: %v, want the console limit", err)
	}
	for _, code := range []string{"throw new Error('x'.repeat(20e6))", "throw 'x'.repeat(20e6)"} {
		sc, err := e.rt.CreateSafeContext(code, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.Run(e.ctx, nil)
		var je *hotmod.JSError
		if !errors.As(err, &je) || len(je.Message) > 1<<17 || !strings.HasSuffix(je.Message, " more characters)") {
			t.Errorf("%s: %T with a %d-byte message, want a JSError with the message cut", code, err, len(err.Error()))
		}
	}
}
