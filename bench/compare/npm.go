package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/npmtest"
	"github.com/hotmod/hotmod/internal/sample"
	"github.com/hotmod/hotmod/vfs"
)

// npmLoads are the packages whose load is timed against Node's: the four
// the tests have used from the start, the twelve of issue 20's test set,
// and mathjs (2,500 files). Each entry imports the package whole.
var npmLoads = []npmLoad{
	{"lodash-es@4.17.21", "lodash-es"}, {"date-fns@3.6.0", "date-fns"}, {"zod@3.23.8", "zod"},
	{"immer@11.2.10", "immer"}, {"luxon@3.7.2", "luxon"}, {"cron-parser@5.10.5", "cron-parser"},
	{"nanoid@6.0.2", "nanoid"}, {"uuid@14.0.3", "uuid"}, {"qs@6.17.1", "qs"}, {"ramda@0.32.0", "ramda"},
	{"validator@13.15.35", "validator"}, {"ajv@8.20.0", "ajv"}, {"@sinclair/typebox@0.34.52", "@sinclair/typebox"},
	{"dayjs@1.11.23", "dayjs"}, {"superstruct@2.0.2", "superstruct"}, {"mathjs@15.2.0", "mathjs"},
}

// npmGoals are issue 22's cold-load goals (at most this many times Node's
// load); every one of them has a cached goal of 1×.
var npmGoals = map[string]float64{"lodash-es": 2, "date-fns": 2, "ramda": 2, "validator": 2, "ajv": 2, "mathjs": 2, "zod": 3}

type npmLoad struct{ pkg, entry string }

// nodeImport is what Node runs: the time of one dynamic import, in ms.
const nodeImport = `const t0 = performance.now(); await import(process.argv[2]); console.log(performance.now() - t0)`

func npmTable(w io.Writer, cfg config) {
	loads := npmLoads
	if cfg.npmQuick {
		loads = loads[:2]
	}
	var pkgs []string
	for _, l := range loads {
		pkgs = append(pkgs, l.pkg)
	}
	// Fetched whole, so a filtered run reuses the same installed folder.
	root, err := npmtest.Fetch(pkgs...)
	if len(cfg.npmPkgs) > 0 {
		loads = slices.DeleteFunc(slices.Clone(loads), func(l npmLoad) bool { return !slices.Contains(cfg.npmPkgs, l.entry) })
	}
	must(err)
	fmt.Fprintf(w, "## npm packages: a cold and a cached load against Node's (ms, the median of %d loads; each in a new Runtime or process)\n\n", cfg.npmRuns)
	fmt.Fprintf(w, "| package | modules | Node | hotmod cold | ÷ Node | hotmod cached | ÷ Node | issue 22 goal: cold, cached |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	script := filepath.Join(root, "hotmod-compare-import.mjs")
	must(os.WriteFile(script, []byte(nodeImport), 0o644))
	store := npmStore(root)
	for _, l := range loads {
		var node, cold, cached []time.Duration
		modules := 0
		for range cfg.npmRuns {
			out, err := exec.Command("node", script, l.entry).Output()
			must(err)
			var msf float64
			must(json.Unmarshal([]byte(strings.TrimSpace(string(out))), &msf))
			node = append(node, time.Duration(msf*float64(time.Millisecond)))
			d, n := npmLoadOnce(store, l.entry, "")
			cold, modules = append(cold, d), n
		}
		cache, err := os.MkdirTemp("", "hotmod-compile-cache-")
		must(err)
		npmLoadOnce(store, l.entry, cache) // a previous start filled the cache
		for range cfg.npmRuns {
			d, _ := npmLoadOnce(store, l.entry, cache)
			cached = append(cached, d)
		}
		os.RemoveAll(cache)
		n, c, k := sample.Quantiles(node, 0.5)[0], sample.Quantiles(cold, 0.5)[0], sample.Quantiles(cached, 0.5)[0]
		goals := "n/a"
		if limit, ok := npmGoals[l.entry]; ok {
			goals = goal(ms(c)/ms(n), limit) + ", " + goal(ms(k)/ms(n), 1)
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %.0f | %.2f× | %.0f | %.2f× | %s |\n", l.pkg, modules, ms(n), ms(c), ms(c)/ms(n), ms(k), ms(k)/ms(n), goals)
	}
	fmt.Fprintln(w)
}

// npmStore copies root's node_modules into an in-memory store, as `hotmod
// put` would into any store.
func npmStore(root string) vfs.Store {
	ctx := context.Background()
	dir, err := vfs.NewDir(root)
	must(err)
	defer dir.Close()
	mem := vfs.NewMem()
	paths, err := dir.List(ctx, "/node_modules")
	must(err)
	for _, p := range paths {
		src, err := dir.Read(ctx, p)
		must(err)
		must(mem.Write(ctx, p, src))
	}
	return mem
}

// npmLoadOnce loads entry whole in a new Runtime and returns the time and
// the number of modules it loaded.
func npmLoadOnce(store vfs.Store, entry, cacheDir string) (time.Duration, int) {
	ctx := context.Background()
	app := "/compare-" + strings.NewReplacer("/", "_", "@", "").Replace(entry) + ".mjs"
	must(store.Write(ctx, app, []byte(fmt.Sprintf("import * as m from %q\nexport const n = Object.keys(m).length\n", entry))))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true, CompileCacheDir: cacheDir, Logger: discard()})
	must(err)
	defer rt.Close(ctx)
	start := time.Now()
	_, err = rt.CreateModule(ctx, "app", app)
	d := time.Since(start)
	if err != nil {
		must(fmt.Errorf("%s: %w", entry, err))
	}
	return d, len(rt.Stats().Modules)
}
