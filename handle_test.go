package hotmod_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// An ES module's handle is a plain object redefined at each change: what an
// importer reads through it must still be what the Proxy showed.
func TestPlainHandleFollowsBindingsSwapsAndRemoval(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/dep.js": "export let count = 0\nexport function inc() { return ++count }\nexport const k = 1\nexport default function hello() { return 'hi' }",
		"/m/use.js": `import * as dep from './dep.js'
import hello, { inc, k } from './dep.js'
export function step() { inc(); return [dep.count, k, hello(), dep.k] }
export function shape() {
	return [Object.keys(dep).join(','), 'count' in dep, dep.__esModule, typeof dep.missing,
		Object.getOwnPropertyDescriptor(dep, 'count').enumerable]
}
export function write() { 'use strict'; try { dep.k = 5; return 'wrote' } catch (e) { return e.name } }
export function read() { return [typeof dep.inc, dep.k] }`,
	})
	dep := e.create("dep", "/m/dep.js")
	use := e.create("use", "/m/use.js")
	if got := e.call(use, "step"); !reflect.DeepEqual(got, []any{int64(1), int64(1), "hi", int64(1)}) {
		t.Fatalf("step = %v", got)
	}
	if got := e.call(use, "step"); !reflect.DeepEqual(got, []any{int64(2), int64(1), "hi", int64(1)}) {
		t.Fatalf("a live binding read through the handle: step = %v", got)
	}
	if got := e.call(use, "shape"); !reflect.DeepEqual(got, []any{"count,default,inc,k", true, true, "undefined", true}) {
		t.Errorf("shape = %v", got)
	}
	if got := e.call(use, "write"); got != "TypeError" {
		t.Errorf("assigning an export through the handle: %v", got)
	}
	e.write("/m/dep.js", "export let count = 10\nexport function inc() { return count += 10 }\nexport const k = 2\nexport const extra = 3\nexport default function hello() { return 'hello' }")
	e.reload("dep")
	if got := e.call(use, "step"); !reflect.DeepEqual(got, []any{int64(20), int64(2), "hello", int64(2)}) {
		t.Fatalf("after a reload: step = %v", got)
	}
	if err := dep.Rollback(e.ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := e.call(use, "read"); !reflect.DeepEqual(got, []any{"function", int64(1)}) {
		t.Errorf("after a rollback: read = %v", got)
	}
	// An ES module that becomes CommonJS: its names, each read live.
	e.write("/m/dep.js", "exports.k = 7\nexports.inc = () => 0\nexports.bump = () => { exports.k++ }")
	e.reload("dep")
	if got := e.call(use, "read"); !reflect.DeepEqual(got, []any{"function", int64(7)}) {
		t.Errorf("after becoming CommonJS: read = %v", got)
	}
	if err := dep.Remove(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.call(use, "read"); !reflect.DeepEqual(got, []any{"undefined", nil}) {
		t.Errorf("after removal: read = %v", got)
	}
}

// Patches and profiles reach calls made through a plain handle, and leave
// it once rolled back or stopped.
func TestPlainHandlePatchAndProfile(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/dep.js": "export function add(a, b) { return a + b }",
		"/m/use.js": "import { add } from './dep.js'\nexport function two() { return add(1, 1) }",
	})
	e.create("dep", "/m/dep.js")
	use := e.create("use", "/m/use.js")
	if got := e.call(use, "two"); got != int64(2) {
		t.Fatalf("two = %v", got)
	}
	p, err := e.rt.PatchFunction(e.ctx, "dep", "add", "(original) => (a, b) => original(a, b) * 10")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.call(use, "two"); got != int64(20) {
		t.Errorf("patched: two = %v", got)
	}
	prof, err := e.rt.ProfileModule("dep")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e.call(use, "two")
	}
	if n := fnMetrics(prof.Metrics(), "add").Calls; n != 5 {
		t.Errorf("a profile counted %d calls through the handle, want 5", n)
	}
	prof.Stop()
	if err := p.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := e.call(use, "two"); got != int64(2) {
		t.Errorf("rolled back: two = %v", got)
	}
}

// Two ES modules that import each other: each reads the other's handle
// while the other is still evaluating, and both work once loaded.
func TestPlainHandleInACycle(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/a.js": "import { b } from './b.js'\nexport function a() { return 'a' }\nexport const early = typeof b\nexport function viaB() { return b() }",
		"/m/b.js": "import { a } from './a.js'\nexport function b() { return 'b' + a() }\nexport const seen = typeof a",
	})
	a := e.create("a", "/m/a.js")
	if got := e.call(a, "viaB"); got != "ba" {
		t.Errorf("viaB = %v", got)
	}
	if got, err := a.Get(e.ctx, "early"); err != nil || got != "function" {
		t.Errorf("early = %v, %v", got, err)
	}
}

// With several realms, a reload swaps every realm's handle with the
// module, so calls keep seeing one version.
func TestPlainHandleRealms(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/dep.js": "export const v = 1\nexport function get() { return v }",
		"/m/use.js": "import { v, get } from './dep.js'\nexport function both() { return v * 10 + get() }",
	}, func(o *hotmod.Options) { o.Realms = 2 })
	e.create("dep", "/m/dep.js")
	use := e.create("use", "/m/use.js")
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	for i := 2; i < 5; i++ {
		for range 20 {
			got, err := use.Call(ctx, "both")
			if err != nil {
				t.Fatal(err)
			}
			if n := got.(int64); n != int64((i-1)*11) {
				t.Fatalf("both = %v, want %d", got, (i-1)*11)
			}
		}
		e.write("/m/dep.js", "export const v = "+string(rune('0'+i))+"\nexport function get() { return v }")
		e.reload("dep")
	}
}
