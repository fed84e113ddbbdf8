package hotmod_test

import (
	"testing"
)

// Vite's semantics as hotmod has them (RATIONALE.md, "Vite's semantics, as
// a server can have them"). The Vite sources cited are vitejs/vite at
// a98c8d95d552c6fa98ab66fb810f5b39ad5abf49.

// trace is a module that the others log into, and that a test reads.
const trace = "export const log = globalThis.log = globalThis.log || []\nexport const read = () => globalThis.log\n"

// A hot.dispose callback that writes a hot.data key the new version already
// read comes too late for it, and must not reach the version after it
// either: v3 starts from what v2 left, not from v1's late write.
func TestLateHotDataWriteNeverReachesALaterVersion(t *testing.T) {
	src := "let n = import.meta.hot.data.n ?? 0\nexport const inc = () => ++n\nimport.meta.hot.dispose((d) => { d.n = n })\n"
	e := newEnv(t, map[string]string{"/m/late.js": src})
	m := e.create("late", "/m/late.js")
	for range 5 {
		e.call(m, "inc") // v1: n = 5
	}
	e.reload("late")
	e.call(m, "inc") // v2: n = 1
	e.reload("late")
	if got := e.call(m, "inc"); got != int64(1) {
		t.Errorf("v3 inc() = %v: v1's late write (5) reached v3; want 1", got)
	}
}
