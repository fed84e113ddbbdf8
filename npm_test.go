package hotmod_test

import (
	"reflect"
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
	dir, err := vfs.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	e := newEnv(t, nil, func(o *hotmod.Options) {
		o.Store = vfs.NewMem()
		// The packages' ~1,000 files evaluate inside the first load's one
		// realm hold: 0.5 s here, but some 10 times that under -race on a
		// shared machine, past the default 5 s.
		o.LoadTimeout = 2 * time.Minute
	})
	// The packages are copied into an in-memory store, as `hotmod put`
	// would into any store.
	paths, err := dir.List(e.ctx, "/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		b, err := dir.Read(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		e.write(p, string(b))
	}
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
