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
