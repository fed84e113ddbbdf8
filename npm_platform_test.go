package hotmod_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/npmtest"
	"github.com/hotmod/hotmod/vfs"
)

// platformPackages are real npm packages that need the platform real
// JavaScript assumes (issue 20): Node's and the web's globals, Intl,
// built-ins, every package layout. Each app is run by hotmod and by Node
// 20; node is Node's answer, recorded with TZ=UTC (the test asks Node
// again when it is on the PATH, and holds the record to it).
var platformPackages = []struct {
	name, pkg, kind, app, node string
}{
	{
		name: "immer", pkg: "immer@11.2.10", kind: "dual",
		app: `import { produce } from 'immer'
export function run() { const a = { x: { y: 1 }, l: [1] }; const b = produce(a, d => { d.x.y = 2; d.l.push(2) }); return [a.x.y, b.x.y, b.l, Object.isFrozen(b), a.l === b.l] }`,
		node: `[1,2,[1,2],true,false]`,
	},
	{
		name: "luxon", pkg: "luxon@3.7.2", kind: "dual, Intl",
		app: `import { DateTime } from 'luxon'
export function run() { const d = DateTime.fromISO('2024-03-10T15:30:00Z').setZone('America/New_York'); return [d.toISO(), d.toFormat('yyyy LLL dd HH:mm ZZZZ'), d.setLocale('de').toLocaleString(DateTime.DATE_FULL), d.plus({ days: 40 }).toISODate(), d.weekdayLong, d.toRelative({ base: d.plus({ hours: 3 }) })] }`,
		node: `["2024-03-10T11:30:00.000-04:00","2024 Mar 10 11:30 EDT","10. März 2024","2024-04-19","Sunday","3 hours ago"]`,
	},
	{
		name: "cron", pkg: "cron-parser@5.10.5", kind: "CJS, Intl (time zones)",
		app: `import { CronExpressionParser } from 'cron-parser'
export function run() { const it = CronExpressionParser.parse('0 9 * * 1-5', { currentDate: '2024-03-08T12:00:00Z', tz: 'Europe/Berlin' }); return [it.next().toISOString(), it.next().toISOString()] }`,
		node: `["2024-03-11T08:00:00.000Z","2024-03-12T08:00:00.000Z"]`,
	},
	{
		name: "nanoid", pkg: "nanoid@6.0.2", kind: "ESM-only, crypto.getRandomValues",
		app: `import { nanoid, customAlphabet } from 'nanoid'
export function run() { const id = nanoid(); return [id.length, /^[A-Za-z0-9_-]+$/.test(id), customAlphabet('abc', 8)().length] }`,
		node: `[21,true,8]`,
	},
	{
		name: "uuid", pkg: "uuid@14.0.3", kind: "dual, node:crypto / crypto.randomUUID",
		app: `import { v4, v5, validate, version } from 'uuid'
export function run() { const u = v4(); return [validate(u), version(u), v5('hello', v5.URL)] }`,
		node: `[true,4,"074171de-bc84-5ea4-b636-1135477620e1"]`,
	},
	{
		name: "qs", pkg: "qs@6.17.1", kind: "CJS, require(\"util\") mapped away by \"browser\"",
		app: `import qs from 'qs'
export function run() { return [qs.parse('a[b][c]=d&e=1&e=2'), qs.stringify({ a: { b: [1, 2] } }, { encode: false })] }`,
		node: `[{"a":{"b":{"c":"d"}},"e":["1","2"]},"a[b][0]=1&a[b][1]=2"]`,
	},
	{
		name: "ramda", pkg: "ramda@0.32.0", kind: "dual, hundreds of files",
		app: `import * as R from 'ramda'
export function run() { return [R.pipe(R.map(x => x * 2), R.filter(x => x > 2), R.sum)([1, 2, 3]), R.groupBy(x => x.t)([{ t: 'a' }, { t: 'b' }, { t: 'a' }]).a.length, R.sortBy(R.prop('n'))([{ n: 3 }, { n: 1 }])[0].n] }`,
		node: `[10,2,1]`,
	},
	{
		name: "validator", pkg: "validator@13.15.35", kind: "CJS, ~100 files",
		app: `import validator from 'validator'
export function run() { return [validator.isEmail('a@b.co'), validator.isIP('::1'), validator.isURL('https://x.org/a?b=1'), validator.escape('<a>'), validator.isUUID('not')] }`,
		node: `[true,true,true,"&lt;a&gt;",false]`,
	},
	{
		name: "ajv", pkg: "ajv@8.20.0", kind: "CJS, new Function code generation",
		app: `import Ajv from 'ajv'
export function run() { const ajv = new Ajv(); const v = ajv.compile({ type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] }); const ok = v({ n: 2 }); const bad = v({ n: 0 }); return [ok, bad, v.errors[0].instancePath + ' ' + v.errors[0].message] }`,
		node: `[true,false,"/n must be >= 1"]`,
	},
	{
		name: "typebox", pkg: "@sinclair/typebox@0.34.52", kind: "dual, subpath exports",
		app: `import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
export function run() { const T = Type.Object({ a: Type.Number() }); return [Value.Check(T, { a: 1 }), Value.Check(T, { a: 'x' }), [...Value.Errors(T, { a: 'x' })][0].path] }`,
		node: `[true,false,"/a"]`,
	},
	{
		name: "dayjs", pkg: "dayjs@1.11.23", kind: "CJS, Intl.DateTimeFormat formatToParts",
		app: `import dayjs from 'dayjs'
import utc from 'dayjs/plugin/utc.js'
import tz from 'dayjs/plugin/timezone.js'
dayjs.extend(utc); dayjs.extend(tz)
export function run() { return [dayjs.utc('2024-01-15T10:00:00Z').tz('Asia/Tokyo').format('YYYY-MM-DD HH:mm Z'), dayjs('2024-02-28').add(1, 'day').format('YYYY-MM-DD')] }`,
		node: `["2024-01-15 19:00 +09:00","2024-02-29"]`,
	},
	{
		name: "superstruct", pkg: "superstruct@2.0.2", kind: "ESM/CJS dual",
		app: `import { object, string, number, is, validate } from 'superstruct'
export function run() { const S = object({ a: string(), n: number() }); return [is({ a: 'x', n: 1 }, S), validate({ a: 1, n: 1 }, S)[0].message] }`,
		node: `[true,"At path: a -- Expected a string, but received: 1"]`,
	},
}

func TestNPMPlatformPackagesGiveNodesResults(t *testing.T) {
	var pkgs []string
	for _, p := range platformPackages {
		pkgs = append(pkgs, p.pkg)
	}
	root := npmtest.Install(t, pkgs...)
	e := newEnv(t, nil, func(o *hotmod.Options) {
		o.Store = vfs.NewMem()
		o.LoadTimeout = 2 * time.Minute // thousands of files under -race on a shared machine
	})
	e.copyPackages(root)
	node, _ := exec.LookPath("node")
	for _, p := range platformPackages {
		t.Run(p.name, func(t *testing.T) {
			want := p.node
			if node != "" {
				if got := nodeRun(t, node, root, p.app); got != p.node {
					t.Errorf("Node 20 now answers %s, the record says %s", got, p.node)
				}
			}
			e.write("/app-"+p.name+".mjs", p.app)
			m, err := e.rt.CreateModule(e.ctx, "app-"+p.name, "/app-"+p.name+".mjs")
			if err != nil {
				t.Fatalf("%s (%s) does not load: %v", p.pkg, p.kind, err)
			}
			v, err := m.Call(e.ctx, "run")
			if err != nil {
				t.Fatalf("%s (%s): run: %v", p.pkg, p.kind, err)
			}
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // as JSON.stringify
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(b.String()); got != want {
				t.Errorf("%s (%s):\n hotmod %s\n Node   %s", p.pkg, p.kind, got, want)
			}
		})
	}
}

// nodeRun runs app (an ES module exporting run) with Node beside the
// packages in root and returns run()'s JSON.
func nodeRun(t *testing.T, node, root, app string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.mjs"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--input-type=module", "-e", "const { run } = await import('./app.mjs'); console.log(JSON.stringify(run()))")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}
