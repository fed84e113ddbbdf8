package hotmod_test

import (
	"reflect"
	"testing"
)

func TestTimers(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/t.js": `
export function run() {
	return new Promise(resolve => {
		const log = []
		const cancelled = setTimeout(() => log.push('cancelled'), 1)
		clearTimeout(cancelled)
		setTimeout((a, b) => log.push('timeout ' + a + b), 2, 'x', 'y')
		setImmediate(() => log.push('immediate'))
		let n = 0
		const iv = setInterval(() => {
			log.push('tick ' + (++n))
			if (n === 3) {
				clearInterval(iv)
				setTimeout(() => resolve(log), 5)
			}
		}, 1)
	})
}
export function badCallback() { setTimeout('not a function', 1) }
`})
	m := e.create("t", "/m/t.js")
	got := e.call(m, "run").([]any)
	has := func(s string) bool {
		for _, g := range got {
			if g == s {
				return true
			}
		}
		return false
	}
	if !has("timeout xy") || !has("immediate") || has("cancelled") {
		t.Errorf("log = %v", got)
	}
	var ticks []any
	for _, g := range got {
		if s := g.(string); len(s) > 4 && s[:4] == "tick" {
			ticks = append(ticks, g)
		}
	}
	if !reflect.DeepEqual(ticks, []any{"tick 1", "tick 2", "tick 3"}) {
		t.Errorf("interval ran %v; clearInterval must stop it at 3", ticks)
	}
	if _, err := m.Call(e.ctx, "badCallback"); err == nil {
		t.Error("setTimeout with a non-function must throw")
	}
	if st := e.rt.Stats().Modules[0]; st.PendingTimers != 0 {
		t.Errorf("%d timers left pending", st.PendingTimers)
	}
}
