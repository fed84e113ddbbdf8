package hotmod_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/cputime"
	"github.com/hotmod/hotmod/vfs"
)

// module300 is a 300-line module: a mix of functions, classes, state and
// closures, as JavaScript or (with types) TypeScript.
func module300(ts bool, variant int) string {
	var b strings.Builder
	typ := func(t string) string {
		if ts {
			return ": " + t
		}
		return ""
	}
	fmt.Fprintf(&b, "export const variant = %d\nconst cache = new Map()\n", variant)
	for i := range 37 {
		fmt.Fprintf(&b, `export function f%[1]d(x%[2]s, y%[2]s)%[2]s {
	const key = 'f%[1]d:' + x + ':' + y
	if (cache.has(key)) return cache.get(key)
	const r = x * %[1]d + y
	cache.set(key, r)
	return r
}
export class C%[1]d { constructor(v%[2]s) { this.v = v } get double()%[2]s { return this.v * 2 } }
`, i, typ("number"))
	}
	b.WriteString("export function __acceptHotReload(old) { for (const [k, v] of old.cacheEntries()) cache.set(k, v) }\nexport function cacheEntries() { return cache }\n")
	return b.String()
}

// TestMemoryPerReload reloads one module 10,000 times and reports the heap
// each reload leaves behind after garbage collection.
func TestMemoryPerReload(t *testing.T) {
	soak(t)
	sources := []string{module300(false, 1), module300(false, 2)}
	e := newEnv(t, map[string]string{"/m/mem.js": sources[0]})
	m := e.create("mem", "/m/mem.js")
	reload := func(i int) {
		e.write("/m/mem.js", sources[i%2])
		e.reload("mem")
	}
	for i := range 500 { // warm up: caches, kept versions, store history
		reload(i)
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		for range 3 {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	const n = 10000
	for i := range n {
		reload(i)
	}
	after := heap()
	per := (float64(after) - float64(before)) / n
	t.Logf("retained per reload after GC: %.1f bytes (heap %d -> %d over %d reloads, version %d)", per, before, after, n, m.Version())
	if per > 1024 {
		t.Errorf("%.0f bytes retained per reload; the goal is under 1 KB", per)
	}
}

func benchEnv(b *testing.B, files map[string]string) *env { return newEnvB(b, files) }

func BenchmarkReload(b *testing.B) {
	for _, tc := range []struct {
		name, path string
		ts         bool
	}{{"JS300", "/m/b.js", false}, {"TS300", "/m/b.ts", true}} {
		// Same source: the compile cache hits, the reload evaluates and swaps.
		b.Run(tc.name+"/cached", func(b *testing.B) {
			e := benchEnv(b, map[string]string{tc.path: module300(tc.ts, 0)})
			e.create("b", tc.path)
			b.ReportAllocs()
			for b.Loop() {
				e.reload("b")
			}
		})
		// A new source every time: read, esbuild, compile, evaluate, swap.
		b.Run(tc.name+"/changed", func(b *testing.B) {
			e := benchEnv(b, map[string]string{tc.path: module300(tc.ts, 0)})
			e.create("b", tc.path)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				b.StopTimer()
				e.write(tc.path, module300(tc.ts, i))
				b.StartTimer()
				e.reload("b")
			}
			// What the edits leave live: a superseded version's program
			// must be garbage once no kept version uses it.
			heap, _ := memNow()
			b.ReportMetric(float64(heap)/(1<<20), "live-MiB")
		})
	}
}

func BenchmarkCallFromGo(b *testing.B) {
	e := benchEnv(b, map[string]string{"/m/c.js": "export function add(a, b) { return a + b }"})
	m := e.create("c", "/m/c.js")
	b.ReportAllocs()
	cpu := meterCPU()
	defer cpu.report(b)
	defer cpu.goroutine()()
	for b.Loop() {
		if _, err := m.Call(e.ctx, "add", 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCallFromGoParallel(b *testing.B) {
	for _, realms := range []int{1, 2} {
		b.Run(fmt.Sprintf("realms=%d", realms), func(b *testing.B) { callInParallel(b, realms) })
	}
}

// callInParallel calls add from GOMAXPROCS goroutines on a Runtime of
// that many realms.
func callInParallel(b *testing.B, realms int) {
	e := newEnvTB(b, map[string]string{"/m/c.js": "export function add(a, b) { return a + b }"},
		func(o *hotmod.Options) { o.Realms = realms })
	m := e.create("c", "/m/c.js")
	b.ReportAllocs()
	cpu := meterCPU()
	defer cpu.report(b)
	b.RunParallel(func(pb *testing.PB) {
		defer cpu.goroutine()()
		for pb.Next() {
			if _, err := m.Call(e.ctx, "add", 1, 2); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCallThroughJSProxy measures one call from a module to an
// imported module's function through its live handle; "local" is the same
// loop calling a function of its own module, for comparison.
func BenchmarkCallThroughJSProxy(b *testing.B) {
	files := map[string]string{
		"/m/dep.js": "export function add(a, b) { return a + b }",
		"/m/use.js": `import { add } from './dep.js'
function local(a, b) { return a + b }
export function viaProxy(n) { let s = 0; for (let i = 0; i < n; i++) s = add(s, 1); return s }
export function viaLocal(n) { let s = 0; for (let i = 0; i < n; i++) s = local(s, 1); return s }`,
	}
	for _, fn := range []string{"viaProxy", "viaLocal"} {
		b.Run(strings.TrimPrefix(fn, "via"), func(b *testing.B) {
			e := benchEnv(b, files)
			m := e.create("use", "/m/use.js")
			b.ReportAllocs()
			b.ResetTimer()
			if got, err := m.Call(e.ctx, fn, b.N); err != nil || got != int64(b.N) {
				b.Fatal(got, err)
			}
		})
	}
}

// BenchmarkCallProfiling compares a call with no profile running (the hooks
// check is one atomic load) against one that a profile times.
func BenchmarkCallProfiling(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			e := benchEnv(b, map[string]string{"/m/c.js": "export function add(a, b) { return a + b }"})
			m := e.create("c", "/m/c.js")
			if on {
				p, err := e.rt.ProfileModule("c")
				if err != nil {
					b.Fatal(err)
				}
				defer p.Stop()
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Call(e.ctx, "add", 1, 2); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExecuteSafe(b *testing.B) {
	e := benchEnv(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.rt.ExecuteSafe(e.ctx, "return context.a + context.b", map[string]any{"a": 1, "b": 2}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSafeContextRun(b *testing.B) {
	e := benchEnv(b, nil)
	sc, err := e.rt.CreateSafeContext("return context.a + context.b", hotmod.SafeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]any{"a": 1, "b": 2}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sc.Run(e.ctx, vars); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveToServing measures from a save in a watched folder (the
// default vfs.Dir) to the new version serving: a plain os.WriteFile, and an
// editor's save (a temporary file renamed into place). It reports the
// median and the 99th percentile.
func BenchmarkSaveToServing(b *testing.B) {
	for _, how := range []string{"write", "rename"} {
		b.Run(how, func(b *testing.B) {
			root := b.TempDir()
			file := filepath.Join(root, "m.js")
			if err := os.WriteFile(file, []byte("export const v = 0"), 0o644); err != nil {
				b.Fatal(err)
			}
			dir, err := vfs.NewDir(root)
			if err != nil {
				b.Fatal(err)
			}
			defer dir.Close()
			e := newEnvTB(b, nil, autoReload, func(o *hotmod.Options) { o.Store = dir; o.Logger = slog.New(slog.DiscardHandler) })
			m := e.create("m", "/m.js")
			events := e.events()
			var took []time.Duration
			i := 0
			for b.Loop() {
				i++
				src := []byte(fmt.Sprintf("export const v = %d", i))
				start := time.Now()
				if how == "write" {
					err = os.WriteFile(file, src, 0o644)
				} else {
					tmp := filepath.Join(root, ".m.js.swp")
					if err = os.WriteFile(tmp, src, 0o644); err == nil {
						err = os.Rename(tmp, file)
					}
				}
				if err != nil {
					b.Fatal(err)
				}
				deadline := time.After(10 * time.Second)
			wait:
				for {
					select {
					case ev := <-events:
						if ev.Type == hotmod.EventReloadFailed {
							b.Fatalf("a torn read: %s", ev.Error)
						}
						if ev.Type == hotmod.EventReloaded {
							// Every version that serves is a whole save.
							if v, err := m.Get(e.ctx, "v"); err != nil || v != int64(i) {
								b.Fatalf("a torn read: save %d serves v = %v (%v)", i, v, err)
							}
							break wait
						}
					case <-deadline:
						b.Fatalf("save %d never served", i)
					}
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100])/1e6, "p99-ms")
		})
	}
}

func BenchmarkCallFromGoCommonJS(b *testing.B) {
	e := benchEnv(b, map[string]string{"/m/c.js": "exports.add = function (a, b) { return a + b }"})
	m := e.create("c", "/m/c.js")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Call(e.ctx, "add", 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLargeResult is the cost of copying a result at the default
// element bound (Options.MaxResultSize): how long such a call holds the
// realm, and what refusing one past the bound costs.
func BenchmarkLargeResult(b *testing.B) {
	e := benchEnv(b, map[string]string{"/m/big.js": `
const atBound = Array.from({ length: 1e6 }, (_, i) => i)
export const big = () => atBound
export const holes = () => { const a = []; a.length = 2 ** 32 - 1; return a }`})
	m := e.create("big", "/m/big.js")
	b.Run("1e6-numbers", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Call(e.ctx, "big"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("refused-2^32-1-holes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Call(e.ctx, "holes"); err == nil {
				b.Fatal("a result past the bound was copied")
			}
		}
	})
}

// BenchmarkCallBesideManyIntervals times a call of one module while another
// module of the same realm runs 5,000 intervals of 1 ms, and reports the
// goroutines those intervals hold and the slowest call.
func BenchmarkCallBesideManyIntervals(b *testing.B) {
	e := benchEnv(b, map[string]string{
		"/m/many.js":  "export function start(n) { for (let i = 0; i < n; i++) setInterval(() => {}, 1) }",
		"/m/quiet.js": "export function f(x) { return x + 1 }",
	})
	busy := e.create("many", "/m/many.js")
	quiet := e.create("quiet", "/m/quiet.js")
	baseline := runtime.NumGoroutine()
	e.call(busy, "start", 5000)
	time.Sleep(50 * time.Millisecond) // the intervals are due and running
	peak := 0
	var worst time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := quiet.Call(e.ctx, "f", 1); err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(start))
		peak = max(peak, runtime.NumGoroutine())
	}
	b.ReportMetric(float64(peak-baseline), "goroutines")
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
}

// BenchmarkCallRawGoja is the floor BenchmarkCallFromGo is measured
// against: goja alone calling the same function with the same conversions
// (ToValue each argument, Export the result).
func BenchmarkCallRawGoja(b *testing.B) {
	vm := goja.New()
	if _, err := vm.RunString("function add(a, b) { return a + b }"); err != nil {
		b.Fatal(err)
	}
	add, _ := goja.AssertFunction(vm.Get("add"))
	b.ReportAllocs()
	cpu := meterCPU()
	defer cpu.report(b)
	defer cpu.goroutine()()
	for b.Loop() {
		v, err := add(goja.Undefined(), vm.ToValue(1), vm.ToValue(2))
		if err != nil {
			b.Fatal(err)
		}
		_ = v.Export()
	}
}

// BenchmarkCallRawGojaParallel is BenchmarkCallRawGoja on every core, each
// goroutine with a goja runtime of its own: the ceiling for
// BenchmarkCallFromGoParallel/realms=2 (issue 22, goal 3).
func BenchmarkCallRawGojaParallel(b *testing.B) {
	b.ReportAllocs()
	cpu := meterCPU()
	defer cpu.report(b)
	b.RunParallel(func(pb *testing.PB) {
		defer cpu.goroutine()()
		vm := goja.New()
		if _, err := vm.RunString("function add(a, b) { return a + b }"); err != nil {
			b.Error(err)
			return
		}
		add, _ := goja.AssertFunction(vm.Get("add"))
		for pb.Next() {
			v, err := add(goja.Undefined(), vm.ToValue(1), vm.ToValue(2))
			if err != nil {
				b.Error(err)
				return
			}
			_ = v.Export()
		}
	})
}

// cpuMeter reports, beside ns/op, the CPU time of the process per op
// (cpu-ns/op, the collector's included) and of the calling goroutines'
// threads (thread-ns/op). On a machine shared with other work, wall time
// says how busy the machine was and CPU time what a call costs: on two
// free cores, two goroutines would do 2 × thread-ns/op of one goroutine ÷
// cpu-ns/op of two times one goroutine's calls (issue 22, goal 3).
type cpuMeter struct {
	proc   time.Duration
	thread atomic.Int64
}

func meterCPU() *cpuMeter { return &cpuMeter{proc: cputime.Process()} }

// goroutine pins the calling goroutine to its thread and returns what
// counts the thread's CPU time since and unpins it.
func (c *cpuMeter) goroutine() func() {
	runtime.LockOSThread()
	t0 := cputime.Thread()
	return func() {
		c.thread.Add(int64(cputime.Thread() - t0))
		runtime.UnlockOSThread()
	}
}

func (c *cpuMeter) report(b *testing.B) {
	if !cputime.Metered || b.N == 0 {
		return
	}
	n := float64(b.N)
	b.ReportMetric(float64(cputime.Process()-c.proc)/n, "cpu-ns/op")
	b.ReportMetric(float64(c.thread.Load())/n, "thread-ns/op")
}
