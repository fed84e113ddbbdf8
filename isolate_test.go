package hotmod_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

func TestIsolatedModule(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/victim.js": victim,
		"/m/iso.js": `Array.prototype.reduce = function () { return 1000 }
JSON.parse = () => ({ admin: true })
globalThis.leaked = true
export const sum = (xs) => xs.reduce((a, b) => a + b, 0)
export const rate = 0.2
export function mutate(o) { o.changed = true; return o }
export const give = () => function secret() {}
export const echo = (v) => v
`,
		"/m/app.js": `import { sum, rate, mutate, echo, give } from './iso.js'
import * as iso from './iso.js'
export const poisoned = () => sum([1, 2, 3])
export const keep = () => { const o = { a: 1 }; const back = mutate(o); return [o.changed === undefined, back.changed, rate, iso.rate] }
export const passFn = () => echo({ cb: () => 1 })
export const takeFn = () => give()
export const dates = () => echo(new Date(0)).getTime()
export const leaked = () => globalThis.leaked === true
`,
	})
	iso, err := e.rt.CreateModule(e.ctx, "iso", "/m/iso.js", hotmod.Isolated())
	if err != nil {
		t.Fatal(err)
	}
	v := e.create("victim", "/m/victim.js")
	app := e.create("app", "/m/app.js")
	// Its own realm: its damage stays in it.
	if got := e.call(iso, "sum", []int{1, 2, 3}); got != int64(1000) {
		t.Errorf("the isolated module's own reduce: %v", got)
	}
	if got := e.call(v, "sum", []int{1, 2, 3}); got != int64(6) {
		t.Errorf("victim's sum = %v: the isolated module changed the shared realm", got)
	}
	if got := e.call(v, "isAdmin", `{}`); got != false {
		t.Errorf("victim's isAdmin = %v", got)
	}
	if e.call(app, "leaked") != false {
		t.Error("a global of the isolated module reached the shared realm")
	}
	// Reached through its handle, from another module, with copies.
	if got := e.call(app, "poisoned"); got != int64(1000) {
		t.Errorf("app's call of iso.sum = %v, want the isolated module's own answer", got)
	}
	got := e.call(app, "keep").([]any)
	if got[0] != true || got[1] != true || got[2] != 0.2 || got[3] != 0.2 {
		t.Errorf("keep() = %v: arguments are copies, results are copies", got)
	}
	if e.call(app, "dates") != int64(0) {
		t.Error("a Date did not cross")
	}
	for fn, want := range map[string]string{
		"passFn": "argument 1.cb is a function",
		"takeFn": "its result is a function (secret)",
	} {
		_, err := app.Call(e.ctx, fn)
		if !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("%s: %v, want %q", fn, err, want)
		}
	}
	// It reloads, lists and goes like any module; its events are the
	// Runtime's.
	events := e.events()
	e.write("/m/iso.js", "export const sum = (xs) => -1\nexport const rate = 0.3")
	e.reload("iso")
	if e.call(app, "poisoned") != int64(-1) || iso.Version() != 2 {
		t.Errorf("after its reload: %v", e.call(app, "poisoned"))
	}
	waitFor(t, events, typ(hotmod.EventReloaded, "iso"))
	if st := e.rt.Stats(); st.TotalModules != 3 {
		t.Errorf("Stats lists %d modules, want iso, victim and app", st.TotalModules)
	}
	if m, err := e.rt.Module("iso"); err != nil || m != iso {
		t.Errorf("Module(iso) = %v, %v", m, err)
	}
	if err := e.rt.RemoveModule(e.ctx, "iso"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rt.Module("iso"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("after removal: %v", err)
	}
}
