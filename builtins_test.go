package hotmod_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/npmtest"
	"github.com/hotmod/hotmod/vfs"
)

// runBoth loads entry (which exports run) from files in hotmod, and, when
// node is on PATH, in Node 20 from the same files in a folder; both must
// give want, Node's answer as recorded (JSON of run()'s result).
func runBoth(t *testing.T, files map[string]string, entry, want string, opts ...func(*hotmod.Options)) {
	t.Helper()
	if got := hotmodRun(t, files, entry, opts...); got != want {
		t.Errorf("hotmod: run() = %s\nNode gives  %s", got, want)
	}
	if node, err := exec.LookPath("node"); err == nil {
		dir := t.TempDir()
		for p, src := range files {
			f := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		script := "import { run } from " + strconvQuote(filepath.Join(dir, filepath.FromSlash(entry))) + "; console.log(JSON.stringify(run()))"
		out, err := exec.Command(node, "--input-type=module", "-e", script).CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		if strings.TrimSpace(string(out)) != want {
			t.Errorf("Node gives %s; recorded %s", strings.TrimSpace(string(out)), want)
		}
	}
}

// hotmodRun is JSON of run() of entry, loaded from files in hotmod.
func hotmodRun(t *testing.T, files map[string]string, entry string, opts ...func(*hotmod.Options)) string {
	t.Helper()
	e := newEnv(t, files, opts...)
	m := e.create("app", entry)
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as JSON.stringify
	if err := enc.Encode(e.call(m, "run")); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(buf.String())
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// Each built-in, by "node:x" and by bare "x", from ES modules and
// CommonJS, gives what Node 20 gives for the same calls.
func TestNodeBuiltinsGiveNodesResults(t *testing.T) {
	cases := []struct{ name, file, src, want string }{
		{"path", "/app.mjs", `import path from 'node:path'
import { join } from 'path'
export const run = () => [path.join('/a', '../b', 'c.js'), join('a', '', 'b/'), path.extname('x.tar.gz'), path.extname('.bashrc'),
	path.resolve('/x', 'a/b', '../c'), path.resolve('/'), path.dirname('/a/b/c'), path.dirname('a'), path.basename('/a/b.js', '.js'), path.basename('/a/b/'),
	path.relative('/a/b/c', '/a/d'), path.relative('/a', '/a/b/c'), path.normalize('a//b/../c/.'), path.normalize('../../x/'), path.isAbsolute('x'), path.isAbsolute('/x'),
	path.sep, path.delimiter, JSON.stringify(path.parse('/home/u/f.txt')), JSON.stringify(path.parse('.bashrc')), path.format({ dir: '/x', name: 'y', ext: '.z' }),
	path.format({ root: '/', base: 'f' }), path.posix === path]`,
			`["/b/c.js","a/b/",".gz","","/x/a/c","/","/a/b",".","b","b","../../d","b/c","a/c","../../x/",false,true,"/",":","{\"root\":\"/\",\"dir\":\"/home/u\",\"base\":\"f.txt\",\"ext\":\".txt\",\"name\":\"f\"}","{\"root\":\"\",\"dir\":\"\",\"base\":\".bashrc\",\"ext\":\"\",\"name\":\".bashrc\"}","/x/y.z","/f",true]`},
		{"events", "/app.mjs", `import EventEmitter, { once } from 'events'
import { EventEmitter as EE2 } from 'node:events'
export const run = () => {
	const log = []
	const e = new EventEmitter()
	const a = (x) => log.push('a' + x)
	e.on('x', a)
	e.once('x', (x) => log.push('once' + x))
	e.prependListener('x', (x) => log.push('first' + x))
	const r1 = e.emit('x', 1)
	e.emit('x', 2)
	const n = e.listenerCount('x')
	e.off('x', a)
	e.emit('x', 3)
	const none = e.emit('nobody')
	e.removeAllListeners('x')
	let err = ''
	try { e.emit('error', new Error('boom')) } catch (x) { err = x.message }
	class Sub extends EventEmitter {}
	const s = new Sub()
	s.setMaxListeners(1)
	s.addListener('y', () => {})
	return [log.join(','), r1, none, n, e.listenerCount('x'), err, EventEmitter.EventEmitter === EventEmitter, EE2 === EventEmitter,
		typeof once, s.listeners('y').length, s.getMaxListeners(), s instanceof EventEmitter, e.eventNames().length]
}`, `["first1,a1,once1,first2,a2,first3",true,false,2,0,"boom",true,true,"function",1,1,true,0]`},
		{"util", "/app.cjs", `const util = require('util')
const { format } = require('node:util')
exports.run = () => [util.format('%s=%d %j', 'a', 42, { x: 1 }), format('%s', 'x', 'extra'), util.inspect({ a: [1, { b: 2 }], s: 'x' }), util.inspect('str'),
	util.inspect([1, 'a', null, undefined]), util.isDeepStrictEqual({ a: [1] }, { a: [1] }), util.isDeepStrictEqual({ a: 1 }, { a: '1' }), typeof util.promisify,
	util.inspect.custom === Symbol.for('nodejs.util.inspect.custom'), util.types.isDate(new Date()), typeof util.inherits]`,
			`["a=42 {\"x\":1}","x extra","{ a: [ 1, { b: 2 } ], s: 'x' }","'str'","[ 1, 'a', null, undefined ]",true,false,"function",true,true,"function"]`},
		{"url", "/app.mjs", `import { URL, URLSearchParams } from 'node:url'
import url from 'url'
export const run = () => {
	const u = new URL('../c?x=1#h', 'http://ex.com/a/b')
	return [u.href, u.searchParams.get('x'), u.hostname, u.hash, new URLSearchParams('a=1&b=2&a=3').getAll('a').join(','), url.URL === URL]
}`, `["http://ex.com/c?x=1#h","1","ex.com","#h","1,3",true]`},
		{"buffer", "/app.mjs", `import { Buffer } from 'buffer'
import buffer from 'node:buffer'
export const run = () => [Buffer.from('héllo').toString('base64'), Buffer.from('68656c6c6f', 'hex').toString(), Buffer.concat([Buffer.from('a'), Buffer.from('b')]).length,
	Buffer.isBuffer(Buffer.alloc(2)), buffer.Buffer === Buffer, Buffer.from([1, 2, 255]).toString('hex')]`,
			`["aMOpbGxv","hello",2,true,true,"0102ff"]`},
		{"crypto", "/app.mjs", `import crypto, { createHash, createHmac, randomBytes } from 'node:crypto'
import { Buffer } from 'node:buffer'
export const run = () => {
	const u = crypto.randomUUID()
	const n = crypto.randomInt(10)
	const m = crypto.randomInt(5, 7)
	const ints = crypto.getRandomValues(new Uint32Array(4))
	let bad = ''
	try { createHash('nope') } catch (e) { bad = e.message }
	let twice = ''
	const h = createHash('sha1'); h.digest()
	try { h.digest() } catch (e) { twice = e.code }
	return [createHash('sha256').update('abc').digest('hex'), createHash('md5').update('hello').digest('hex'),
		createHash('sha1').update(new Uint8Array([1, 2, 3])).digest('base64'), createHash('sha512').update('a').update(Buffer.from('b')).digest('hex'),
		createHmac('sha256', 'key').update('msg').digest('hex'), createHmac('md5', Buffer.from('k')).update('m').digest('base64'),
		createHash('SHA256').update('68656c6c6f', 'hex').digest('hex'),
		Buffer.isBuffer(createHash('sha1').update('x').digest()), createHash('sha256').update('x').digest().length,
		randomBytes(16).length, Buffer.isBuffer(randomBytes(1)), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u),
		n >= 0 && n < 10 && Number.isInteger(n), m >= 5 && m < 7, ints.length, ints instanceof Uint32Array, bad, twice]
}`, `["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","5d41402abc4b2a76b9719d911017c592","cDeAcZjCKn0rCAc3HXY3eahP388=","2d408a0717ec188158278a796c689044361dc6fdde28d6f04973b80896e1823975cdbf12eb63f9e0591328ee235d80e9b5bf1aa6a44f4617ff3caf6400eb172d","2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628","7X5yTTqRVUqqIEMEHZxTBQ==","2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",true,32,16,true,true,true,true,4,true,"Digest method not supported","ERR_CRYPTO_HASH_FINALIZED"]`},
		{"string_decoder", "/app.cjs", `const { StringDecoder } = require('string_decoder')
const { Buffer } = require('node:buffer')
exports.run = () => {
	const d = new StringDecoder('utf8')
	const euro = Buffer.from([0xE2, 0x82, 0xAC])
	const out = [d.write(euro.subarray(0, 1)), d.write(euro.subarray(1)), d.write(Buffer.from('ok')), d.end(Buffer.from([0xE2]))]
	const h = new StringDecoder('hex')
	return out.concat([h.write(Buffer.from('hi')), d.encoding, new StringDecoder().end()])
}`, `["","€","ok","�","6869","utf8",""]`},
		{"assert", "/app.mjs", `import assert from 'node:assert'
import { strictEqual, AssertionError } from 'assert'
export const run = () => {
	const fails = (fn) => { try { fn(); return 'passed' } catch (e) { return [e.code, e.name, e instanceof AssertionError, e.operator].join(' ') } }
	return [typeof assert, fails(() => strictEqual(1, 2)), fails(() => assert(0)), fails(() => assert.equal(1, '1')), fails(() => assert.notEqual(1, 2)),
		fails(() => assert.deepEqual({ a: [1] }, { a: ['1'] })), fails(() => assert.deepStrictEqual({ a: 1 }, { a: '1' })), fails(() => assert.notStrictEqual(1, 1)),
		fails(() => assert.throws(() => { throw new TypeError('bad') }, /bad/)), fails(() => assert.throws(() => {})), fails(() => assert.throws(() => { throw new Error('x') }, TypeError)),
		fails(() => assert.ok(true)), fails(() => assert.strict.equal(1, '1')), fails(() => assert.deepStrictEqual(new Map([[1, { a: 2 }]]), new Map([[1, { a: 2 }]]))),
		fails(() => assert.throws(() => { throw Object.assign(new Error('m'), { code: 'C' }) }, { code: 'C', message: 'm' }))]
}`, `["function","ERR_ASSERTION AssertionError true strictEqual","ERR_ASSERTION AssertionError true ==","passed","passed","passed","ERR_ASSERTION AssertionError true deepStrictEqual","ERR_ASSERTION AssertionError true notStrictEqual","passed","ERR_ASSERTION AssertionError true throws","ERR_ASSERTION AssertionError true throws","passed","ERR_ASSERTION AssertionError true strictEqual","passed","passed"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runBoth(t, map[string]string{c.file: c.src}, c.file, c.want)
			// Frozen intrinsics (Options.FrozenIntrinsics) break none of them.
			if got := hotmodRun(t, map[string]string{c.file: c.src}, c.file, func(o *hotmod.Options) { o.FrozenIntrinsics = true }); got != c.want {
				t.Errorf("frozen intrinsics: run() = %s\nNode gives %s", got, c.want)
			}
		})
	}
}

// A package in node_modules named like a built-in (the npm "events"
// package, say) does not replace the built-in, for "node:events" nor for
// bare "events": Node loads its core module first. Only its subpaths, or
// the name with a trailing slash ("events/"), reach the package.
func TestBuiltinWinsOverPackageOfItsName(t *testing.T) {
	files := map[string]string{
		"/node_modules/events/package.json": `{"name": "events", "version": "3.3.0", "main": "index.js"}`,
		"/node_modules/events/index.js":     "module.exports = { fromPackage: true }",
		"/app.cjs": `const bare = require('events')
const builtin = require('node:events')
const forced = require('events/')
exports.run = () => [bare === builtin, typeof builtin, builtin.fromPackage === undefined, forced.fromPackage === true]`,
	}
	runBoth(t, files, "/app.cjs", `[true,"function",true,true]`)
}

// A package named like a built-in hotmod lacks serves the bare name (a
// polyfill); Node would give its own core module, which hotmod has not.
func TestPackageServesForLackingBuiltin(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/node_modules/os/package.json": `{"name": "os", "main": "index.js"}`,
		"/node_modules/os/index.js":     "exports.platform = () => 'polyfill'",
		"/app.cjs":                      "exports.run = () => require('os').platform()",
	})
	if got := e.call(e.create("app", "/app.cjs"), "run"); got != "polyfill" {
		t.Errorf("run() = %v, want polyfill", got)
	}
}

// A built-in hotmod lacks fails the import with the error it always gave,
// by "node:x" and by bare "x".
func TestLackingBuiltinFails(t *testing.T) {
	for _, spec := range []string{"node:fs", "fs", "node:http"} {
		e := newEnv(t, map[string]string{"/app.js": "const x = require('" + spec + "')\nexports.run = () => typeof x"})
		_, err := e.rt.CreateModule(e.ctx, "app", "/app.js")
		if err == nil || !strings.Contains(err.Error(), "is a Node built-in, which hotmod's realm does not have") {
			t.Errorf("require(%q): %v, want: is a Node built-in", spec, err)
		}
	}
}

// A package's "browser" field serves for a built-in hotmod lacks: mapped
// to false it is an empty module, to a file that file. A file it maps
// serves in its place only when the file fails on a built-in hotmod lacks.
// A built-in hotmod has, and a file that loads, are what Node gives,
// "browser" or not (Node ignores the field).
func TestBrowserFieldForLackingBuiltins(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/node_modules/legacy/package.json": `{"name": "legacy", "main": "index.js", "browser": {"fs": false, "os": "./os-shim.js", "util": false,
			"./node-only.js": false, "./server": "./server-browser.js", "./fine.js": false}}`,
		"/node_modules/legacy/os-shim.js":        "exports.platform = () => 'shim'",
		"/node_modules/legacy/node-only.js":      "const http = require('http')\nexports.get = http.get",
		"/node_modules/legacy/server.js":         "const net = require('node:net')\nexports.kind = 'server'",
		"/node_modules/legacy/server-browser.js": "exports.kind = 'browser'",
		"/node_modules/legacy/fine.js":           "exports.fine = true",
		"/node_modules/legacy/index.js": `const fs = require('fs'), os = require('os'), util = require('util')
const nodeOnly = require('./node-only'), server = require('./server.js'), fine = require('./fine.js')
exports.run = () => [JSON.stringify(fs), os.platform(), typeof util.format, JSON.stringify(nodeOnly), server.kind, fine.fine]`,
		"/app.mjs": "import { run } from 'legacy'\nexport { run }",
	})
	m := e.create("app", "/app.mjs")
	got, _ := json.Marshal(e.call(m, "run"))
	if want := `["{}","shim","function","{}","browser",true]`; string(got) != want {
		t.Errorf("run() = %s, want %s", got, want)
	}
}

// Real packages that need built-ins: uuid@14.0.3 picks dist-node (the
// "node" export condition) and imports node:crypto; qs@6.17.1 reaches
// require("util") through object-inspect. Both give Node's results.
func TestNPMPackagesUsingBuiltins(t *testing.T) {
	root := npmtest.Install(t, "uuid@14.0.3", "qs@6.17.1")
	dir, err := vfs.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	files := map[string]string{}
	paths, err := dir.List(t.Context(), "/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		b, err := dir.Read(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = string(b)
	}
	files["/app.mjs"] = `import { v5, v3, validate, version, NIL, parse } from 'uuid'
import qs from 'qs'
export function run() {
	return [v5('hello', v5.URL), v3('hello', v3.DNS), validate(NIL), validate('nope'), version('6ba7b811-9dad-11d1-80b4-00c04fd430c8'), Array.from(parse(NIL)).length,
		qs.stringify({ a: [1, 2], b: { c: 'd' } }), JSON.stringify(qs.parse('a[b]=c&d=1&e[]=x&e[]=y')), qs.stringify({ a: 'x y' }, { format: 'RFC1738' })]
}`
	runBoth(t, files, "/app.mjs", `["074171de-bc84-5ea4-b636-1135477620e1","0bacede4-4014-3f9d-b720-173f68a1c933",true,false,1,16,"a%5B0%5D=1&a%5B1%5D=2&b%5Bc%5D=d","{\"a\":{\"b\":\"c\"},\"d\":\"1\",\"e\":[\"x\",\"y\"]}","a=x+y"]`, func(o *hotmod.Options) { o.LoadTimeout = time.Minute })
}

// require('buffer').Buffer is the global Buffer, as in Node: one class, so
// each one's isBuffer knows the other's buffers; and the platform's, not
// what a module put in the global's place.
func TestBufferModuleIsTheGlobalBuffer(t *testing.T) {
	for _, frozen := range []bool{false, true} {
		e := newEnv(t, map[string]string{"/m/b.mjs": "import { Buffer as B } from 'node:buffer'\nexport const run = () => [B === globalThis.Buffer, Buffer.isBuffer(B.from('x')), B.isBuffer(Buffer.from('y'))]"},
			func(o *hotmod.Options) { o.FrozenIntrinsics = frozen })
		m := e.create("b", "/m/b.mjs")
		if got := e.call(m, "run"); !reflect.DeepEqual(got, []any{true, true, true}) {
			t.Errorf("frozen=%v: %v, Node gives [true, true, true]", frozen, got)
		}

	}
}

// require('buffer').Buffer is the platform's Buffer even when a module
// replaced the global before the first require of node:buffer, as in Node.
func TestBufferModuleIsThePlatformsWhateverTheGlobal(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/swap.mjs": `const real = globalThis.Buffer
globalThis.Buffer = function Fake() {}
const { Buffer: B } = await import('node:buffer')
globalThis.Buffer = real
export const same = () => B === real`})
	if got := e.call(e.create("swap", "/m/swap.mjs"), "same"); got != true {
		t.Errorf("require('buffer').Buffer is what a module put in the global's place (Node: the real Buffer)")
	}
}
