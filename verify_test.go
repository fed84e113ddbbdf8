package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

func priceModule(v string, extra string) string {
	return fmt.Sprintf("export const version = () => %q\nexport function price(n) { return n + 1 }\n%s", v, extra)
}

// reloadRefused reloads id and wants it refused at step verify, with the
// old version serving.
func reloadRefused(t *testing.T, e *env, m *hotmod.Module, want string) *hotmod.ReloadError {
	t.Helper()
	before := m.Version()
	err := m.Reload(e.ctx)
	var re *hotmod.ReloadError
	if !errors.As(err, &re) || re.Step != "verify" || !strings.Contains(err.Error(), want) {
		t.Fatalf("reload = %v, want a refusal at verify saying %q", err, want)
	}
	if m.Version() != before || e.call(m, "version") != "v1" {
		t.Fatalf("version %d serving %v after a refused reload, want v1 still", m.Version(), e.call(m, "version"))
	}
	return re
}

func TestVerifyHotReloadHook(t *testing.T) {
	for _, realms := range []int{1, 2} {
		t.Run(fmt.Sprintf("realms=%d", realms), func(t *testing.T) {
			e := newEnv(t, map[string]string{"/m/p.js": priceModule("v1", "")}, func(o *hotmod.Options) { o.Realms = realms })
			m := e.create("p", "/m/p.js")
			// A throw, with its position in the new source.
			e.write("/m/p.js", priceModule("v2", "export function __verifyHotReload() {\n  if (price(1) !== 3) throw new Error('price(1) must be 3')\n}"))
			re := reloadRefused(t, e, m, "price(1) must be 3")
			if pos, ok := hotmod.PositionOf(re); !ok || pos.File != "/m/p.js" || pos.Line != 4 {
				t.Errorf("position %+v, want /m/p.js line 4", pos)
			}
			// A rejection after an await, on the default export.
			e.write("/m/p.js", priceModule("v2", "export default { async __verifyHotReload() { await null; throw new Error('async no') } }"))
			reloadRefused(t, e, m, "async no")
			if st := m.Stats(); st.PendingTimers != 0 {
				t.Errorf("%d timers left by refused candidates", st.PendingTimers)
			}
			// One that passes, after a timer.
			e.write("/m/p.js", priceModule("v2", "export const __verifyHotReload = () => new Promise(r => setTimeout(() => r(price(1) === 2), 5))"))
			e.reload("p")
			if e.call(m, "version") != "v2" {
				t.Errorf("a verified version did not swap in")
			}
		})
	}
}

func TestVerifyOption(t *testing.T) {
	var kept *hotmod.Candidate
	e := newEnv(t, map[string]string{"/m/p.js": priceModule("v1", "")}, func(o *hotmod.Options) {
		o.Verify = func(ctx context.Context, c *hotmod.Candidate) error {
			kept = c
			got, err := c.Call(ctx, "price", 10)
			if err != nil {
				return err
			}
			if got != int64(11) {
				return fmt.Errorf("price(10) = %v, want 11", got)
			}
			return nil
		}
	})
	m := e.create("p", "/m/p.js")
	e.write("/m/p.js", strings.Replace(priceModule("v2", ""), "n + 1", "n + 2", 1))
	re := reloadRefused(t, e, m, "price(10) = 12, want 11")
	if !strings.Contains(re.Error(), "Options.Verify") {
		t.Errorf("the error does not say who refused: %v", re)
	}
	if _, err := kept.Call(e.ctx, "price", 1); !errors.Is(err, hotmod.ErrRemoved) {
		t.Errorf("a candidate called after Verify returned: %v, want ErrRemoved", err)
	}
	// The candidate is the new version, not the serving one; patches of
	// the serving version do not reach it.
	if _, err := m.Patch(e.ctx, "price", "(original) => (n) => 999"); err != nil {
		t.Fatal(err)
	}
	e.write("/m/p.js", priceModule("v2", ""))
	e.reload("p")
	if e.call(m, "version") != "v2" || kept.Version() != 2 || kept.Serving() != 1 {
		t.Errorf("version %v, candidate %d over %d", e.call(m, "version"), kept.Version(), kept.Serving())
	}
}

func TestVerifyOptionPanicsAndTimesOut(t *testing.T) {
	calls := 0 // reloads of one module are serialized
	e := newEnv(t, map[string]string{"/m/p.js": priceModule("v1", "")}, func(o *hotmod.Options) {
		o.Verify = func(ctx context.Context, c *hotmod.Candidate) error {
			if calls++; calls == 1 {
				panic("boom")
			}
			<-ctx.Done() // bounded by LoadTimeout
			return ctx.Err()
		}
		o.LoadTimeout = 200 * time.Millisecond
	})
	m := e.create("p", "/m/p.js")
	e.write("/m/p.js", priceModule("v2", ""))
	reloadRefused(t, e, m, "panicked: boom")
	e.write("/m/p.js", priceModule("v3", ""))
	within(t, 5*time.Second, "a Verify that waits for its context", func() { reloadRefused(t, e, m, "deadline exceeded") })
}

func TestSiblingTestFiles(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/p.ts": priceModule("v1", ""),
		"/m/p.test.ts": `import { price } from './p.js'
export function addsOne() { if (price(1) !== 2) throw new Error('price(1) = ' + price(1)) }
export async function later() { await new Promise(r => setTimeout(r, 5)); if (price(0) !== 1) throw new Error('later') }
`,
	}, func(o *hotmod.Options) { o.TestSiblings = true })
	m := e.create("p", "/m/p.ts")
	e.write("/m/p.ts", strings.Replace(priceModule("v2", ""), "n + 1", "n + 5", 1))
	re := reloadRefused(t, e, m, "test addsOne in /m/p.test.ts failed")
	if !strings.Contains(re.Error(), "price(1) = 6") {
		t.Errorf("the failing test's message is missing: %v", re)
	}
	if pos, ok := hotmod.PositionOf(re); !ok || pos.File != "/m/p.test.ts" || pos.Line != 2 {
		t.Errorf("position %+v, want the test file, line 2", pos)
	}
	// The async test runs too.
	e.write("/m/p.test.ts", "import { price } from './p.js'\nexport async function later() { await new Promise(r => setTimeout(r, 5)); throw new Error('later failed') }\n")
	e.write("/m/p.ts", priceModule("v2", ""))
	reloadRefused(t, e, m, "later failed")
	// A broken test file refuses the reload too, with its own position.
	e.write("/m/p.test.ts", "export function x() { return ) }")
	e.write("/m/p.ts", priceModule("v2", ""))
	reloadRefused(t, e, m, "/m/p.test.ts:1:")
	// Tests that pass let it through.
	e.write("/m/p.test.ts", "import { price, version } from './p.js'\nexport function ok() { if (version() !== 'v2' || price(1) !== 2) throw new Error('not the candidate') }\n")
	e.reload("p")
	if e.call(m, "version") != "v2" {
		t.Error("a version whose tests pass did not swap in")
	}
	// LoadAll does not load a test file as a module of its own.
	rep, err := e.rt.LoadAll(e.ctx, "/")
	if err != nil || slices.Contains(rep.Loaded, "m/p.test") || !e.rt.LoadsAsModule("/m/p.ts") || e.rt.LoadsAsModule("/m/p.test.ts") {
		t.Errorf("LoadAll = %+v, %v: the test file must not load as a module", rep, err)
	}
}
