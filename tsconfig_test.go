package hotmod_test

import (
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

// The recorded answers of these tests are tsc 5.6's: each case's files
// were compiled with `tsc -p` (the tsconfig.json shown) and the output run
// under Node 20. "paths" and "baseUrl" are tsc's resolution (tsc
// --traceResolution), which tsc does not write into its output.

func runJSON(t *testing.T, e *env, id, p string) string {
	t.Helper()
	return callJSON(t, e, e.create(id, p))
}

// A bare specifier matches "paths" first (the first target that names a
// file), then resolves under "baseUrl", then in node_modules; the
// tsconfig.json has comments and trailing commas, as tsc allows.
func TestTsconfigPathsAndBaseURL(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/app/tsconfig.json": `{
  // tsc reads JSON with comments
  "compilerOptions": {
    "baseUrl": "./src",
    "paths": {
      "@lib/*": ["./missing/*", "./lib/*"], /* first that exists */
      "config": ["./conf/index.ts"],
    },
  },
}`,
		"/app/src/lib/a.ts":                   "export const a: string = 'lib-a'\n",
		"/app/src/conf/index.ts":              "export const c = 'conf'\n",
		"/app/src/utils/u.ts":                 "export const u = 'baseUrl-u'\n",
		"/app/node_modules/zpkg/package.json": `{"name": "zpkg", "main": "index.js"}`,
		"/app/node_modules/zpkg/index.js":     "exports.z = 'node_modules-z'\n",
		"/app/src/main.ts":                    "import { a } from '@lib/a'\nimport { c } from 'config'\nimport { u } from 'utils/u'\nimport { z } from 'zpkg'\nexport function run() { return [a, c, u, z] }\n",
		// No tsconfig.json governs a plain .js importer: "utils/u" is a
		// package name for it, as for Node.
		"/app/src/plain.js": "export function run() { try { require('utils/u'); return 'found' } catch (e) { return 'not found' } }\n",
	})
	if got, want := runJSON(t, e, "main", "/app/src/main.ts"), `["lib-a","conf","baseUrl-u","node_modules-z"]`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got := runJSON(t, e, "plain", "/app/src/plain.js"); got != `"not found"` {
		t.Fatalf("a .js importer: %s", got)
	}
}

// "extends" merges option by option, the extending file winning; a base
// is a relative path (".json" optional) or a package in node_modules;
// "paths" without "baseUrl" are relative to the file that declares them.
func TestTsconfigExtends(t *testing.T) {
	// experimentalDecorators: a decorator gets (target, key, descriptor);
	// useDefineForClassFields false: a field initializer assigns, so a
	// base class's setter runs.
	mod := `import { tag } from '~/tag'
function dec(target: any, key?: any, desc?: any): any { seen.push(typeof key) }
const seen: string[] = []
class B { set v(x: number) { seen.push('setter ' + x) } }
class D extends B { v = 1; @dec m() {} }
new D()
export function run() { return [tag, ...seen] }
`
	e := newEnv(t, map[string]string{
		"/proj/node_modules/@org/tsconfig/tsconfig.json": `{"compilerOptions": {"experimentalDecorators": true, "useDefineForClassFields": true}}`,
		"/proj/base/tsconfig.base.json":                  `{"extends": "@org/tsconfig", "compilerOptions": {"useDefineForClassFields": false, "paths": {"~/*": ["../src/*"]}}}`,
		"/proj/tsconfig.json":                            `{"extends": "./base/tsconfig.base"}`,
		"/proj/src/tag.ts":                               "export const tag = 'src-tag'\n",
		"/proj/src/main.ts":                              mod,
		// A second level overrides one option and keeps the rest.
		"/proj/src/define/tsconfig.json": `{"extends": ["../../tsconfig.json"], "compilerOptions": {"useDefineForClassFields": true}}`,
		"/proj/src/define/main.ts":       mod,
	})
	if got, want := runJSON(t, e, "main", "/proj/src/main.ts"), `["src-tag","string","setter 1"]`; got != want {
		t.Fatalf("extends: got %s, want %s", got, want)
	}
	if got, want := runJSON(t, e, "define", "/proj/src/define/main.ts"), `["src-tag","string"]`; got != want {
		t.Fatalf("extends, overridden: got %s, want %s", got, want)
	}
	e.write("/loop/tsconfig.json", `{"extends": "./b.json"}`)
	e.write("/loop/b.json", `{"extends": "./tsconfig.json"}`)
	e.write("/loop/m.ts", "export const x = 1\n")
	if _, err := e.rt.CreateModule(e.ctx, "loop", "/loop/m.ts"); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("an extends cycle: %v", err)
	}
}

// experimentalDecorators gives TypeScript's legacy decorators (parameter
// decorators too); without it the same source gets TC39 decorators.
// emitDecoratorMetadata cannot be honoured (esbuild does not emit the
// metadata): a module with decorators fails, naming the option and the
// file, and one without decorators loads.
func TestExperimentalDecoratorsFromTsconfig(t *testing.T) {
	mod := `const seen: string[] = []
function dec(a: any, b: any, c?: any): any { seen.push(typeof b === 'string' ? 'legacy ' + b : 'tc39 ' + b.kind) }
function param(target: any, key: string, index: number) { seen.push('param ' + key + ' ' + index) }
class C { @dec m(@param x: number) { return x } }
export function run() { return seen }
`
	tc39 := "const seen: string[] = []\nfunction dec(a: any, b: any): any { seen.push(typeof b === 'string' ? 'legacy ' + b : 'tc39 ' + b.kind) }\nclass C { @dec m() {} }\nexport function run() { return seen }\n"
	e := newEnv(t, map[string]string{
		"/legacy/tsconfig.json": `{"compilerOptions": {"experimentalDecorators": true}}`,
		"/legacy/m.ts":          mod,
		"/tc39/m.ts":            tc39,
		"/meta/tsconfig.json":   `{"compilerOptions": {"experimentalDecorators": true, "emitDecoratorMetadata": true}}`,
		"/meta/m.ts":            mod,
		"/meta/plain.ts":        "export function run() { return 'no decorators' }\n",
	})
	if got, want := runJSON(t, e, "legacy", "/legacy/m.ts"), `["param m 0","legacy m"]`; got != want {
		t.Fatalf("experimentalDecorators: got %s, want %s", got, want)
	}
	if got, want := runJSON(t, e, "tc39", "/tc39/m.ts"), `["tc39 method"]`; got != want {
		t.Fatalf("no tsconfig: got %s, want %s", got, want)
	}
	_, err := e.rt.CreateModule(e.ctx, "meta", "/meta/m.ts")
	if err == nil || !strings.Contains(err.Error(), "/meta/tsconfig.json") || !strings.Contains(err.Error(), "emitDecoratorMetadata") {
		t.Fatalf("emitDecoratorMetadata: %v", err)
	}
	if got := runJSON(t, e, "plain", "/meta/plain.ts"); got != `"no decorators"` {
		t.Fatalf("emitDecoratorMetadata without decorators: %s", got)
	}
}

// jsx, jsxFactory and jsxFragmentFactory ("react"), and jsxImportSource
// ("react-jsx", whose runtime is a package in the store); "preserve"
// would leave JSX goja cannot run, so a .tsx module under it fails,
// naming the tsconfig.json.
func TestJsxOptionsFromTsconfig(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/a/tsconfig.json":                    `{"compilerOptions": {"jsx": "react", "jsxFactory": "h", "jsxFragmentFactory": "Frag"}}`,
		"/a/h.ts":                             "export const Frag = 'frag'\nexport function h(tag: any, props: any, ...children: any[]) { return { tag, props, children } }\n",
		"/a/view.tsx":                         "import { h, Frag } from './h'\nexport function run() { return <><b x=\"1\">hi</b></> }\n",
		"/b/tsconfig.json":                    `{"compilerOptions": {"jsx": "react-jsx", "jsxImportSource": "mini"}}`,
		"/b/node_modules/mini/package.json":   `{"name": "mini", "exports": {"./jsx-runtime": "./jsx-runtime.js"}}`,
		"/b/node_modules/mini/jsx-runtime.js": "exports.Fragment = 'mini-fragment'\nexports.jsx = (tag, props) => ({ rt: 'jsx', tag, props })\nexports.jsxs = (tag, props) => ({ rt: 'jsxs', tag, props })\n",
		"/b/view.tsx":                         "export function run() { return <i k=\"v\"><u /><u /></i> }\n",
		"/c/tsconfig.json":                    `{"compilerOptions": {"jsx": "preserve"}}`,
		"/c/view.tsx":                         "export function run() { return <i /> }\n",
	})
	if got, want := runJSON(t, e, "a", "/a/view.tsx"), `{"children":[{"children":["hi"],"props":{"x":"1"},"tag":"b"}],"props":null,"tag":"frag"}`; got != want {
		t.Fatalf("jsxFactory: got %s, want %s", got, want)
	}
	if got, want := runJSON(t, e, "b", "/b/view.tsx"), `{"props":{"children":[{"props":{},"rt":"jsx","tag":"u"},{"props":{},"rt":"jsx","tag":"u"}],"k":"v"},"rt":"jsxs","tag":"i"}`; got != want {
		t.Fatalf("jsxImportSource: got %s, want %s", got, want)
	}
	_, err := e.rt.CreateModule(e.ctx, "c", "/c/view.tsx")
	if err == nil || !strings.Contains(err.Error(), "/c/tsconfig.json") || !strings.Contains(err.Error(), "preserve") {
		t.Fatalf("jsx preserve: %v", err)
	}
}

// A tsconfig.json is part of the read set of the modules it governs: a
// change to it (or one appearing nearer) reloads them, a "paths" edit
// included, a module it does not govern stays, and a module that failed
// under it is tried again.
func TestTsconfigChangeReloadsItsModules(t *testing.T) {
	dec := "function dec(a: any, b: any): any { kind = typeof b === 'string' ? 'legacy' : 'tc39' }\nlet kind = ''\nclass C { @dec m() {} }\nexport function run() { return kind }\n"
	e := newEnv(t, map[string]string{
		"/src/tsconfig.json": `{"compilerOptions": {"experimentalDecorators": true}}`,
		"/src/m.ts":          dec,
		"/other/o.ts":        "export function run() { return 'other' }\n",
		"/src/view.tsx":      "const v = <i />\nexport function run() { return v }\n",
	}, autoReload)
	ch := e.events()
	m := e.create("m", "/src/m.ts")
	o := e.create("o", "/other/o.ts")
	if got := callJSON(t, e, m); got != `"legacy"` {
		t.Fatalf("before: %s", got)
	}
	if _, err := e.rt.CreateModule(e.ctx, "view", "/src/view.tsx"); err == nil {
		t.Fatal("a .tsx module without a jsx option loaded") // React.createElement, tsc's default, is not defined
	}
	e.write("/src/tsconfig.json", `{"compilerOptions": {"experimentalDecorators": false, "jsx": "react", "jsxFactory": "globalThis.String"}}`)
	// m reloads, view is retried: in either order.
	reloaded, created := false, false
	waitFor(t, ch, func(ev hotmod.Event) bool {
		reloaded = reloaded || ev.Module == "m" && ev.Type == hotmod.EventReloaded
		created = created || ev.Module == "view" && ev.Type == hotmod.EventCreated
		return reloaded && created
	})
	if got := callJSON(t, e, m); got != `"tc39"` {
		t.Fatalf("after the tsconfig.json changed: %s", got)
	}
	view, _ := e.rt.Module("view")
	if got := callJSON(t, e, view); got != `"i"` {
		t.Fatalf("the failed .tsx module, retried: %s", got)
	}
	if o.Version() != 1 {
		t.Fatalf("a module the tsconfig.json does not govern reloaded: version %d", o.Version())
	}
	// A "paths" edit changes no compiler option, but what an import
	// resolves to: the importer reloads and resolves again.
	e.write("/r/tsconfig.json", `{"compilerOptions": {"paths": {"@x": ["./x1.ts"]}}}`)
	e.write("/r/x1.ts", "export const x = 'x1'\n")
	e.write("/r/x2.ts", "export const x = 'x2'\n")
	e.write("/r/p.ts", "import { x } from '@x'\nexport function run() { return x }\n")
	p := e.create("p", "/r/p.ts")
	if got := callJSON(t, e, p); got != `"x1"` {
		t.Fatalf("paths: %s", got)
	}
	e.write("/r/tsconfig.json", `{"compilerOptions": {"paths": {"@x": ["./x2.ts"]}}}`)
	waitFor(t, ch, typ(hotmod.EventReloaded, "p"))
	if got := callJSON(t, e, p); got != `"x2"` {
		t.Fatalf("paths, edited: %s", got)
	}
	// A tsconfig.json appearing where o's compile looked for one governs
	// it from then on; m's nearer one still governs m.
	mv := m.Version()
	e.write("/tsconfig.json", `{"compilerOptions": {"experimentalDecorators": true}}`)
	waitFor(t, ch, typ(hotmod.EventReloaded, "o"))
	if got := callJSON(t, e, o); got != `"other"` {
		t.Fatalf("o: %s", got)
	}
	if m.Version() != mv {
		t.Fatalf("m reloaded for a tsconfig.json that does not govern it: version %d, was %d", m.Version(), mv)
	}
}
