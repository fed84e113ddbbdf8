// Package bench holds benchmarks that compare hotmod with its peers on the
// same work. They need npm and node (`.ci/run` installs them); run them with
//
//	go test -run '^$' -bench NPMLoad -benchtime 5x ./bench/
package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/npmtest"
	"github.com/hotmod/hotmod/vfs"
)

// loadPackages are loaded whole (import * as m) by hotmod and by Node.
var loadPackages = []string{"lodash-es@4.17.21", "date-fns@3.6.0", "zod@3.23.8"}

// nodeLoad is what Node runs: the time of one dynamic import of the package
// and the heap it leaves after garbage collection, as JSON.
const nodeLoad = `
const pkg = process.argv[2]
globalThis.gc(); const h0 = process.memoryUsage().heapUsed
const t0 = performance.now()
const m = await import(pkg)
const t1 = performance.now()
globalThis.gc(); const h1 = process.memoryUsage().heapUsed
console.log(JSON.stringify({ ms: t1 - t0, heap: h1 - h0, exports: Object.keys(m).length }))
`

// BenchmarkNPMLoad loads each package in a new Node process, and in a new
// hotmod Runtime: cold (nothing compiled), and cached (a previous start
// filled Options.CompileCacheDir, as `hotmod serve` does). It reports per
// load: ms/load, heap-MB retained, heap-KB/module, and for hotmod x-node
// (the ratio of load times, from the Node run of the same package).
func BenchmarkNPMLoad(b *testing.B) {
	root := npmtest.Install(b, loadPackages...)
	node, err := exec.LookPath("node")
	if err != nil {
		b.Fatalf("the comparison needs node (apt-get install -y nodejs; .ci/run installs it): %v", err)
	}
	script := filepath.Join(root, "hotmod-bench-load.mjs")
	if err := os.WriteFile(script, []byte(nodeLoad), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, spec := range loadPackages {
		pkg := spec[:strings.LastIndex(spec, "@")]
		var nodeMS float64
		b.Run("node/"+pkg, func(b *testing.B) {
			var ms, heap float64
			for range b.N {
				out, err := exec.Command(node, "--expose-gc", script, pkg).Output()
				if err != nil {
					b.Fatalf("node: %v", err)
				}
				r := parseNode(b, out)
				ms += r["ms"]
				heap += r["heap"]
			}
			nodeMS = ms / float64(b.N)
			b.ReportMetric(nodeMS, "ms/load")
			b.ReportMetric(heap/float64(b.N)/1e6, "heap-MB")
			b.ReportMetric(0, "ns/op")
		})
		store := copyPackage(b, root, pkg)
		cacheDir := b.TempDir()
		for _, mode := range []string{"hotmod", "hotmod-cached"} {
			b.Run(mode+"/"+pkg, func(b *testing.B) {
				dir := ""
				if mode == "hotmod-cached" {
					// A previous start filled the compile cache.
					dir = cacheDir
					loadOnce(b, store, pkg, dir)
				}
				var ms, heap float64
				var modules int
				for range b.N {
					d, h, n := loadOnce(b, store, pkg, dir)
					ms += float64(d.Microseconds()) / 1000
					heap += float64(h)
					modules = n
				}
				ms /= float64(b.N)
				b.ReportMetric(ms, "ms/load")
				b.ReportMetric(heap/float64(b.N)/1e6, "heap-MB")
				b.ReportMetric(heap/float64(b.N)/float64(modules)/1e3, "heap-KB/module")
				b.ReportMetric(float64(modules), "modules")
				if nodeMS > 0 {
					b.ReportMetric(ms/nodeMS, "x-node")
				}
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

func parseNode(b *testing.B, out []byte) map[string]float64 {
	r := map[string]float64{}
	s := strings.Trim(strings.TrimSpace(string(out)), "{}")
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, ":")
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			b.Fatalf("node printed %q", out)
		}
		r[strings.Trim(k, `"`)] = f
	}
	return r
}

// copyPackage copies node_modules/pkg into an in-memory store, as
// `hotmod put` would into any store.
func copyPackage(b *testing.B, root, pkg string) vfs.Store {
	ctx := context.Background()
	dir, err := vfs.NewDir(root)
	if err != nil {
		b.Fatal(err)
	}
	defer dir.Close()
	mem := vfs.NewMem()
	paths, err := dir.List(ctx, "/node_modules/"+pkg)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range paths {
		src, err := dir.Read(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		if err := mem.Write(ctx, p, src); err != nil {
			b.Fatal(err)
		}
	}
	entry := fmt.Sprintf("import * as m from %q\nexport const n = Object.keys(m).length\n", pkg)
	if err := mem.Write(ctx, "/app.mjs", []byte(entry)); err != nil {
		b.Fatal(err)
	}
	return mem
}

// loadOnce loads the package in a new Runtime and returns the time, the
// heap it retains and the number of modules.
func loadOnce(b *testing.B, store vfs.Store, pkg, cacheDir string) (time.Duration, uint64, int) {
	ctx := context.Background()
	h0 := heap()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true, LoadTimeout: time.Minute, CompileCacheDir: cacheDir,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	start := time.Now()
	m, err := rt.CreateModule(ctx, "app", "/app.mjs")
	d := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if n, err := m.Get(ctx, "n"); err != nil || n.(int64) == 0 {
		b.Fatalf("%s loaded no exports: %v %v", pkg, n, err)
	}
	h1 := heap()
	retained := uint64(0)
	if h1 > h0 {
		retained = h1 - h0
	}
	return d, retained, len(rt.Stats().Modules)
}

// heap is the live heap after garbage collection. A closed Runtime's last
// goroutines end shortly after Close: the collections are spaced so that its
// memory is not counted.
func heap() uint64 {
	var ms runtime.MemStats
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
