package hotmod_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

const victim = `export const sum = (xs) => xs.reduce((a, b) => a + b, 0)
export const isAdmin = (json) => JSON.parse(json).admin === true
export const keys = (o) => Object.keys(o).map(k => k.toUpperCase())
`

// poisons are what one module can do to every other in a shared realm.
var poisons = map[string]string{
	"reduce":    "Array.prototype.reduce = function () { return 1000 }\nexport {}",
	"json":      "JSON.parse = () => ({ admin: true })\nexport {}",
	"json-name": "globalThis.JSON = { parse: () => ({ admin: true }) }\nexport {}",
	"map":       "Array.prototype.map = function () { return ['OWNED'] }\nexport {}",
	"sloppy":    "Object.prototype.admin = true\nmodule.exports = {}",
	"proto":     "Object.defineProperty(Array.prototype, 'reduce', { value: () => 1000 })\nexport {}",
}

func TestWithoutFrozenIntrinsicsOneModulePoisonsTheOthers(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/victim.js": victim, "/m/poison.js": poisons["reduce"]})
	v := e.create("victim", "/m/victim.js")
	e.create("poison", "/m/poison.js")
	if got := e.call(v, "sum", []int{1, 2, 3}); got != int64(1000) {
		t.Errorf("sum = %v: the shared realm was not poisoned, so the frozen test below proves less", got)
	}
	// And the damage outlives the module that did it.
	if err := e.rt.RemoveModule(e.ctx, "poison"); err != nil {
		t.Fatal(err)
	}
	if got := e.call(v, "sum", []int{1, 2, 3}); got != int64(1000) {
		t.Errorf("after the removal sum = %v, want the poisoned 1000", got)
	}
}

func TestFrozenIntrinsicsStopPollution(t *testing.T) {
	files := map[string]string{"/m/victim.js": victim}
	for name, src := range poisons {
		files["/m/"+name+".js"] = src
	}
	e := newEnv(t, files, func(o *hotmod.Options) { o.FrozenIntrinsics = true })
	v := e.create("victim", "/m/victim.js")
	for name := range poisons {
		_, err := e.rt.CreateModule(e.ctx, name, "/m/"+name+".js")
		var js *hotmod.JSError
		if name == "sloppy" {
			// Sloppy code's assignment fails silently, as the language says.
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if !errors.As(err, &js) || !strings.Contains(err.Error(), "TypeError") {
			t.Errorf("%s: %v, want its load to fail with a TypeError", name, err)
		}
	}
	if got := e.call(v, "sum", []int{1, 2, 3}); got != int64(6) {
		t.Errorf("sum = %v, want 6", got)
	}
	if got := e.call(v, "isAdmin", `{"admin": false}`); got != false {
		t.Errorf("isAdmin = %v, want false", got)
	}
	if got := e.call(v, "keys", map[string]any{"a": 1}); len(got.([]any)) != 1 || got.([]any)[0] != "A" {
		t.Errorf("keys = %v", got)
	}
	if got := e.call(v, "isAdmin", `{}`); got != false {
		t.Errorf("an inherited admin: %v", got)
	}
}

// What ordinary code does still works: own toString and name on its own
// classes and objects, subclassing built-ins, globals of its own.
func TestFrozenIntrinsicsKeepOrdinaryCode(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/ok.js": `
class MyError extends Error {}
MyError.prototype.name = 'MyError'
function Point(x) { this.x = x }
Point.prototype.toString = function () { return 'P' + this.x }
const o = {}
o.toString = () => 'mine'
o.constructor = 'c'
globalThis.shared = 1
class List extends Array {}
export const run = () => [new MyError('x').name, String(new Point(2)), String(o), o.constructor, globalThis.shared, List.from([1, 2]).length, [3, 1, 2].sort().join(''), new Map([[1, 2]]).get(1)]
export const timers = () => new Promise(r => setTimeout(() => r('t'), 1))
`}, func(o *hotmod.Options) { o.FrozenIntrinsics = true })
	m := e.create("ok", "/m/ok.js")
	got := e.call(m, "run").([]any)
	want := []any{"MyError", "P2", "mine", "c", int64(1), int64(2), "123", int64(2)}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("run()[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if e.call(m, "timers") != "t" {
		t.Error("timers")
	}
}

// With the intrinsics frozen, a module could still put a Proxy under the
// global object (Object.setPrototypeOf(globalThis, proxy)), which then saw,
// and could answer, every other module's lookup of a missing global. The
// global object's prototype is fixed now, whichever way a module tries.
func TestFrozenIntrinsicsFixTheGlobalPrototype(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/a.js": `
const seen = []
const proxy = new Proxy({}, {
  get(t, k) { seen.push(String(k)); return 'forged' },
  has(t, k) { seen.push(String(k)); return true },
})
const original = Object.getPrototypeOf(globalThis)
const tries = {
  'Object.setPrototypeOf': () => Object.setPrototypeOf(globalThis, proxy),
  'Reflect.setPrototypeOf': () => { if (!Reflect.setPrototypeOf(globalThis, proxy)) throw new TypeError('refused') },
  'globalThis.__proto__': () => { globalThis.__proto__ = proxy },
  'the __proto__ setter': () => Object.getOwnPropertyDescriptor(Object.prototype, '__proto__').set.call(globalThis, proxy),
  'Reflect.apply': () => Reflect.apply(Object.setPrototypeOf, Object, [globalThis, proxy]),
}
const outcome = {}
// Setting the prototype it already has is no change, and succeeds.
outcome.same = Object.setPrototypeOf(globalThis, original) === globalThis ? 'succeeded' : 'failed'
for (const [name, f] of Object.entries(tries)) {
  try { f(); outcome[name] = 'succeeded' } catch (e) { outcome[name] = e.name }
}
outcome.unchanged = Object.getPrototypeOf(globalThis) === original ? 'yes' : 'no'
// A module's own objects take any prototype, whichever way is used.
const mine = {}, base = { base: true }
Object.setPrototypeOf(mine, base)
const viaReflect = Reflect.setPrototypeOf({}, base)
const viaProto = {}
viaProto.__proto__ = base
outcome.own = mine.base && viaReflect && viaProto.base && Object.setPrototypeOf.name === 'setPrototypeOf' && Reflect.setPrototypeOf.length === 2 ? 'yes' : 'no'
export const report = () => outcome
export const lookups = () => seen.slice()
`,
		"/m/b.js": `
export const probe = () => {
  let threw = false
  try { someMissingGlobal } catch (e) { threw = e instanceof ReferenceError }
  return [typeof someMissingGlobal === 'undefined', threw, 'anotherMissing' in globalThis]
}
`,
	}, func(o *hotmod.Options) { o.FrozenIntrinsics = true })
	a := e.create("a", "/m/a.js")
	b := e.create("b", "/m/b.js")
	got := e.call(a, "report").(map[string]any)
	for name, want := range map[string]string{
		"Object.setPrototypeOf": "TypeError", "Reflect.setPrototypeOf": "TypeError", "globalThis.__proto__": "TypeError",
		"the __proto__ setter": "TypeError", "Reflect.apply": "TypeError", "same": "succeeded", "unchanged": "yes", "own": "yes",
	} {
		if got[name] != want {
			t.Errorf("%s: %v, want %s", name, got[name], want)
		}
	}
	if p := e.call(b, "probe").([]any); p[0] != true || p[1] != true || p[2] != false {
		t.Errorf("module b's missing globals: typeof undefined %v, ReferenceError %v, in %v; want true, true, false", p[0], p[1], p[2])
	}
	if seen := e.call(a, "lookups").([]any); len(seen) > 0 {
		t.Errorf("module a's proxy saw lookups: %v", seen)
	}
}

// Intl (internal/intl) is an intrinsic like the others: frozen with them,
// and still formatting.
func TestFrozenIntrinsicsFreezeIntl(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/intl.js": `
export const run = () => {
	const tries = []
	for (const f of [() => { Intl.NumberFormat = null }, () => { Intl.NumberFormat.prototype.format = null }, () => { Number.prototype.toLocaleString = null }]) {
		try { f(); tries.push('assigned') } catch (e) { tries.push(e.name) }
	}
	return [Object.isFrozen(Intl), Object.isFrozen(Intl.DateTimeFormat.prototype), Object.isFrozen(Object.getPrototypeOf(new Intl.Collator().compare)),
		...tries, (1234.5).toLocaleString('de-DE'), new Date(0).toLocaleDateString('en-US', { timeZone: 'Asia/Tokyo', dateStyle: 'long' })]
}
`}, func(o *hotmod.Options) { o.FrozenIntrinsics = true })
	m := e.create("intl", "/m/intl.js")
	got := e.call(m, "run").([]any)
	want := []any{true, true, true, "TypeError", "TypeError", "TypeError", "1.234,5", "January 1, 1970"}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Errorf("run() = %v, want %v", got, want)
			break
		}
	}
}
