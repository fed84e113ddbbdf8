package hotmod_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/npmtest"
	"github.com/hotmod/hotmod/vfs"
)

// pinnedPackages are the real npm packages the tests load; their versions
// never float, so the results compared with Node's stay the same.
var pinnedPackages = []string{"zod@3.23.8", "date-fns@3.6.0", "semver@7.6.3", "lodash-es@4.17.21"}

// Real packages by name, in one module, give Node's results (Node 20 on the
// same calls printed exactly these).
func TestNPMPackagesGiveNodesResults(t *testing.T) {
	root := npmtest.Install(t, pinnedPackages...)
	for _, frozen := range []bool{false, true} {
		// Frozen intrinsics (Options.FrozenIntrinsics) break none of them.
		t.Run(fmt.Sprintf("frozen=%v", frozen), func(t *testing.T) { npmPackagesGiveNodesResults(t, root, frozen) })
	}
}

func npmPackagesGiveNodesResults(t *testing.T, root string, frozen bool) {
	e := newEnv(t, nil, func(o *hotmod.Options) {
		o.Store = vfs.NewMem()
		// The packages' ~1,000 files evaluate inside the first load's one
		// realm hold: 0.5 s here, but some 10 times that under -race on a
		// shared machine, past the default 5 s.
		o.LoadTimeout = 2 * time.Minute
		o.FrozenIntrinsics = frozen
	})
	// The packages are copied into an in-memory store, as `hotmod put`
	// would into any store.
	e.copyPackages(root)
	e.write("/app.mjs", `
import { z } from "zod"
import { format } from "date-fns"
import semver from "semver"
import { groupBy } from "lodash-es"
import _ from "lodash-es"
export function run() {
	const User = z.object({ name: z.string(), age: z.number().int().min(0) })
	const bad = User.safeParse({ name: "x", age: -1 })
	return [
		User.parse({ name: "ada", age: 36 }).name, bad.success, bad.error.issues[0].path.join("."),
		format(new Date(2020, 0, 2, 3, 4, 5), "yyyy-MM-dd HH:mm:ss"),
		semver.gt("1.2.3", "1.2.0"), semver.satisfies("1.4.0", "^1.2.0"), new semver.SemVer("2.0.0-rc.1").prerelease[0],
		JSON.stringify(groupBy([1.2, 1.8, 2.1], Math.floor)), JSON.stringify(_.chunk([1, 2, 3], 2)),
	]
}`)
	m := e.create("app", "/app.mjs")
	got := e.call(m, "run")
	want := []any{"ada", false, "age", "2020-01-02 03:04:05", true, true, "rc", `{"1":[1.2,1.8],"2":[2.1]}`, "[[1,2],[3]]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("run() = %#v\nNode gives %#v", got, want)
	}
}

// A polyfill patches built-ins on purpose, which is what frozen intrinsics
// forbid: core-js adds Promise.withResolvers (goja has none) to the shared
// realm, and fails to load when the realm is frozen.
func TestPolyfillsAndFrozenIntrinsics(t *testing.T) {
	root := npmtest.Install(t, "core-js@3.37.1")
	for _, frozen := range []bool{false, true} {
		t.Run(fmt.Sprintf("frozen=%v", frozen), func(t *testing.T) {
			store, err := vfs.NewDir(root)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			e := newEnv(t, nil, func(o *hotmod.Options) {
				o.Store = vfs.NewMem()
				o.FrozenIntrinsics = frozen
				o.LoadTimeout = time.Minute
			})
			paths, err := store.List(e.ctx, "/node_modules/core-js")
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range paths {
				if b, err := store.Read(e.ctx, p); err == nil {
					e.write(p, string(b))
				}
			}
			e.write("/app.js", "require('core-js/actual/promise/with-resolvers')\nexports.has = () => typeof Promise.withResolvers")
			m, err := e.rt.CreateModule(e.ctx, "app", "/app.js")
			if !frozen {
				if err != nil || e.call(m, "has") != "function" {
					t.Fatalf("core-js without frozen intrinsics: %v", err)
				}
				return
			}
			var js *hotmod.JSError
			if !errors.As(err, &js) || !strings.Contains(err.Error(), "TypeError") || !strings.Contains(err.Error(), "/node_modules/core-js/") {
				t.Fatalf("core-js with frozen intrinsics: %v, want a TypeError inside core-js", err)
			}
			if testing.Verbose() {
				t.Logf("core-js under frozen intrinsics: %v", err)
			}
		})
	}
}
