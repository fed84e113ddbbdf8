package dashboardtests_test

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/server"
)

// The dashboard's issue, item by item, in Chromium. Each test starts a
// `hotmod serve` of its own on a folder and drives the page as a user would:
// clicks, typing, the browser's own requests.

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// setValue types text into the widget element sel of the module's card, as
// an input event would leave it.
func setValue(id, sel, text string) string {
	return `const n = $card(` + jsString(id) + `)?.querySelector(` + jsString(sel) + `); if (!n) return false; ` +
		`n.focus(); n.value = ` + jsString(text) + `; n.dispatchEvent(new Event('input', {bubbles: true})); return true`
}

// click clicks the element sel of the module's card.
func click(id, sel string) string {
	return `const n = $card(` + jsString(id) + `)?.querySelector(` + jsString(sel) + `); if (!n || n.disabled) return false; n.click(); return true`
}

const counterV1 = "export let n = 0\nexport function inc() { return ++n }\n"

// Edit and save in the browser, the version that follows, a call of the new
// function through its form (a result and an error), the diff of the old
// version against the new one, and rolling back only to older versions.
func TestDashboardEditSaveCallDiff(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"counter.js": counterV1, "other.js": "export function ping() { return 'pong' }\n"})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 1400)
	p.waitFor("counter v1", `return $card('counter')?.querySelector('.module-version').textContent === 'v1'`)

	// The source, as the store holds it.
	p.do("open the source", `$card('counter').querySelector('.source-section').open = true; return true`)
	p.waitFor("the source shown", `return $card('counter').querySelector('.source-view .line[data-line="2"] .code')?.textContent === 'export function inc() { return ++n }'`)

	// Edit it: one line changed, two functions added. Save writes the store;
	// the runtime reloads it.
	edited := "export let n = 0\nexport function inc() { return n += 1 }\nexport function triple(x) { return x * 3 }\nexport function fail() {\n  throw new Error('nope')\n}\n"
	p.do("begin editing", click("counter", "button.edit"))
	p.waitFor("the editor", `const ta = $card('counter').querySelector('textarea.source-edit'); return !!ta && !ta.closest('[hidden]') && ta.value.includes('return ++n')`)
	p.do("type the new source", setValue("counter", "textarea.source-edit", edited))
	p.do("save", click("counter", "button.save"))
	p.waitFor("counter v2 after the save", `return $card('counter').querySelector('.module-version').textContent === 'v2'`)
	if got, err := os.ReadFile(filepath.Join(dir, "counter.js")); err != nil || string(got) != edited {
		t.Errorf("the store holds %q (%v), want the edited source", got, err)
	}
	p.waitFor("the saved source shown", `return $card('counter').querySelector('.source-view .line[data-line="3"] .code')?.textContent === 'export function triple(x) { return x * 3 }'`)

	// The new function has its call form; a result, then an error with
	// where it was thrown, then arguments that are not JSON.
	p.waitFor("a call form for triple", `return !!$card('counter').querySelector('.call-form[data-function="triple"]')`)
	if forms := eval[string](p, inWidget(`return [...$card('counter').querySelectorAll('.call-form')].map(f => f.dataset.function).join(' ')`)); forms != "fail inc triple" {
		t.Errorf("call forms for %q, want one per exported function: fail inc triple", forms)
	}
	p.do("type arguments", setValue("counter", `.call-form[data-function="triple"] input.call-args`, "14"))
	p.do("call triple", click("counter", `.call-form[data-function="triple"] button.call`))
	p.waitFor("triple's result", `return $card('counter').querySelector('.call-form[data-function="triple"] .call-result.ok')?.textContent.startsWith('→ 42   (v2, ')`)
	p.do("call fail", click("counter", `.call-form[data-function="fail"] button.call`))
	p.waitFor("fail's error", `const r = $card('counter').querySelector('.call-form[data-function="fail"] .call-result.err')?.textContent || ''; return r.includes('js_error') && r.includes('nope') && r.includes('/counter.js:5:')`)
	p.do("type a string", setValue("counter", `.call-form[data-function="triple"] input.call-args`, `"x"`))
	p.do("call triple of a string", click("counter", `.call-form[data-function="triple"] button.call`))
	p.waitFor("NaN's error", `const r = $card('counter').querySelector('.call-form[data-function="triple"] .call-result.err')?.textContent || ''; return r.includes('unrepresentable_result') && r.includes('result is NaN')`)
	p.do("type bad arguments", setValue("counter", `.call-form[data-function="triple"] input.call-args`, "1,"))
	p.do("call triple again", click("counter", `.call-form[data-function="triple"] button.call`))
	p.waitFor("the JSON complaint", `return $card('counter').querySelector('.call-form[data-function="triple"] .call-result.err')?.textContent.startsWith('arguments are not JSON')`)

	// The diff of v1 against the serving v2, line by line.
	p.do("open the versions", `$card('counter').querySelector('.versions-section').open = true; return true`)
	p.do("diff v1", click("counter", `tr[data-version="1"] button.diff`))
	p.waitFor("the diff", `return !!$card('counter').querySelector('.diff-view[data-from="1"][data-to="2"]')`)
	diff := eval[string](p, inWidget(`return [...$card('counter').querySelectorAll('.diff-line')].map(l => l.className.replace('diff-line ', '') + '|' + l.textContent).join('\n')`))
	want := strings.Join([]string{
		"same|  export let n = 0",
		"del|- export function inc() { return ++n }",
		"add|+ export function inc() { return n += 1 }",
		"add|+ export function triple(x) { return x * 3 }",
		"add|+ export function fail() {",
		"add|+   throw new Error('nope')",
		"add|+ }",
		"same|  ",
	}, "\n")
	if diff != want {
		t.Errorf("diff of v1 against v2:\n%s\nwant:\n%s", diff, want)
	}
	if head := p.text(`$card('counter').querySelector('.diff-head')`); !strings.HasPrefix(head, "v1 → v2 (serving): +5 −1") {
		t.Errorf("diff head %q", head)
	}
	p.shot("edit-call-diff")

	// Roll back to v1: v2 is kept and can be diffed, but it is newer, so
	// there is no rolling "back" to it.
	if opts := eval[string](p, inWidget(`return [...$card('counter').querySelectorAll('select.rollback-version option')].map(o => o.value).join(',')`)); opts != "1" {
		t.Errorf("roll back choices at v2: %q, want 1", opts)
	}
	p.do("roll back to v1", click("counter", `tr[data-version="1"] button.rollback-to`))
	p.waitFor("counter v1 after the rollback", `return $card('counter').querySelector('.module-version').textContent === 'v1'`)
	p.waitFor("the versions table redrawn", `return !!$card('counter').querySelector('tr[data-version="1"].serving')`)
	if n := eval[int](p, inWidget(`return $card('counter').querySelectorAll('button.rollback-to, select.rollback-version option').length`)); n != 0 {
		t.Errorf("at v1 with v2 kept, %d ways to roll back are offered, want none", n)
	}
	if hidden := eval[bool](p, inWidget(`return !!$card('counter').querySelector('.rollback-box').closest('[hidden]')`)); !hidden {
		t.Error("the roll back control shows with no older version")
	}
	if !eval[bool](p, inWidget(`return !!$card('counter').querySelector('tr[data-version="2"] button.diff')`)) {
		t.Error("v2 cannot be diffed against the serving v1")
	}
}

// A module that failed its first load is listed with its error; its card
// shows the source with the failing line marked and where; fixing it in the
// browser loads it.
func TestDashboardFailedFirstLoad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"counter.js": counterV1,
		"broken.js":  "export function ok() { return 1 }\nexport const x = ;\nexport const y = 2\n",
	})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 1000)
	p.waitFor("broken listed as failed", `return $card('broken')?.querySelector('.module-version').textContent === 'failed to load'`)
	if got := p.text(`root.querySelector('.failed-list li[data-module-id="broken"]')`); !strings.HasPrefix(got, "broken ") || !strings.Contains(got, "/broken.js:2:18") || !strings.Contains(got, `Unexpected ";"`) {
		t.Errorf("failed-to-load list: %q", got)
	}
	if got := p.text(`root.querySelector('.module-list').previousElementSibling`); got != "Modules (2) · 1 realm" {
		t.Errorf("the modules' heading: %q", got)
	}
	if got := p.text(`root.querySelector('.stat-card.failed-load .stat-value')`); got != "1" {
		t.Errorf("failed to load: %q", got)
	}
	if got := p.text(`$card('broken').querySelector('.module-error .error-pos')`); got != "/broken.js:2:18" {
		t.Errorf("the card's error position: %q", got)
	}
	// The source opens by itself, the failing line marked.
	p.waitFor("the failing line", `const l = $card('broken').querySelector('.source-section[open] .line.failing'); return !!l && l.dataset.line === '2' && l.textContent === '2export const x = ;'`)
	if n := eval[int](p, inWidget(`return $card('broken').querySelectorAll('.line.failing').length`)); n != 1 {
		t.Errorf("%d lines marked failing", n)
	}
	if got := p.text(`$card('broken').querySelector('.source-where')`); got != "error at /broken.js:2:18" {
		t.Errorf("source toolbar says %q", got)
	}
	p.shot("failed-first-load")

	p.do("remember the card", `window.__broken = $card('broken'); return true`)
	p.do("edit", click("broken", "button.edit"))
	// The fix takes a while to load, as a module that builds a table does:
	// long enough for the dashboard to ask for it meanwhile.
	p.do("fix", setValue("broken", "textarea.source-edit", "export function ok() { return 1 }\nexport const x = 1\nexport const y = 2\nconst until = Date.now() + 300\nwhile (Date.now() < until) {}\n"))
	p.do("save", click("broken", "button.save"))
	p.waitFor("broken loaded as v1", `return $card('broken').querySelector('.module-version').textContent === 'v1'`)
	// While it loads the module is not listed (a request for it is a 404):
	// its card stays through that, open sections and all.
	if !eval[bool](p, inWidget(`return $card('broken') === window.__broken && $card('broken').querySelector('.source-section').open`)) {
		t.Error("loading the fixed module re-created its card")
	}
	p.waitFor("the failed list emptied", `return !!root.querySelector('.failed-box[hidden]') && root.querySelector('.stat-card.failed-load .stat-value').textContent === '0'`)
	p.waitFor("no failing line", `return $card('broken').querySelector('.module-error').hidden && !$card('broken').querySelector('.line.failing') && !!$card('broken').querySelector('.line[data-line="2"]')`)
	p.do("call ok", click("broken", `.call-form[data-function="ok"] button.call`))
	p.waitFor("ok's result", `return $card('broken').querySelector('.call-form[data-function="ok"] .call-result.ok')?.textContent.startsWith('→ 1 ')`)
}

// Keyed rendering, coalesced requests, answers applied in order.
func TestDashboardKeyedCoalescedOrdered(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.js": "export function echo(x) { return x }\n",
		"b.js": "export function twice(x) { return 2 * x }\n",
	})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	ctx := context.Background()
	p := openPage(t, "http://"+addr+"/", 1200, 1000)
	p.waitFor("both cards", `return !!$card('a')?.querySelector('.call-form[data-function="echo"]') && !!$card('b')`)

	// Typing in one card while another module reloads.
	p.do("type in a's form", setValue("a", `.call-form[data-function="echo"] input.call-args`, `"half typed`))
	p.do("remember the nodes", `window.__input = $card('a').querySelector('input.call-args'); window.__cardA = $card('a'); window.__cardB = $card('b'); return true`)
	if err := st.rt.ReloadModule(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("b v2", `return $card('b').querySelector('.module-version').textContent === 'v2'`)
	if !eval[bool](p, inWidget(`return $card('a') === window.__cardA && $card('b') === window.__cardB && $card('a').querySelector('input.call-args') === window.__input && window.__input.value === '"half typed' && root.activeElement === window.__input`)) {
		t.Error("reloading b re-created a card, or lost the input typed into a (its value, its node or its focus)")
	}

	// Spy on the page's requests from here on.
	p.do("spy on fetch", `window.__fetches = []; window.__holdList = false; const real = window.fetch.bind(window);
		window.fetch = async (url, opts) => {
			const u = String(url); window.__fetches.push((opts?.method || 'GET') + ' ' + u);
			const res = await real(url, opts);
			if (window.__holdList && u.endsWith('/api/modules')) { window.__holdList = false; await new Promise(r => window.__release = r); }
			return res;
		}; return true`)
	settled := `$w.inflight.size === 0 && $w.dirty.size === 0 && $w.flushTimer === null`

	// Twenty events for a, handed to the widget as the stream would in
	// one read: one request.
	p.do("a burst of events", `for (let i = 0; i < 20; i++) $w.onEvent('patched', {type: 'patched', module: 'a', patch: 'p' + i, time: new Date().toISOString()}); return true`)
	p.waitFor("the burst answered", `return `+settled+` && window.__fetches.includes('GET /api/modules?id=a')`)
	if got := eval[[]string](p, `window.__fetches`); len(got) != 1 {
		t.Errorf("20 events for a made %d requests, want 1: %q", len(got), got)
	}
	// A real burst from the server: patches on and off, 20 events.
	p.do("reset the spy", `window.__fetches = []; return true`)
	for range 10 {
		patch, err := st.rt.PatchFunction(ctx, "b", "twice", "(orig) => (x) => orig(x) + 1")
		if err != nil {
			t.Fatal(err)
		}
		if err := patch.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
	p.waitFor("the patch events logged", `return root.querySelectorAll('.event-log .type-unpatched').length === 10 && `+settled+` && window.__fetches.length > 0`)
	if got := eval[[]string](p, `window.__fetches`); len(got) > 3 {
		t.Errorf("20 events for b made %d requests: %q", len(got), got)
	}
	if !eval[bool](p, inWidget(`return $card('b').querySelectorAll('.patches tr').length === 0`)) {
		t.Error("b shows patches that were rolled back: the last answer is not the one shown")
	}

	// A list asked for before a reload, answered after the reload's own
	// answer, does not take the card back.
	p.do("hold the next list", `window.__holdList = true; window.__refreshDone = false; $w.refreshAll().then(() => window.__refreshDone = true); return true`)
	p.waitFor("the list answered and held", `return typeof window.__release === 'function'`)
	if err := st.rt.ReloadModule(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("a v2", `return $card('a').querySelector('.module-version').textContent === 'v2'`)
	p.do("release the old list", `window.__release(); return true`)
	p.waitFor("the old list handled", `return window.__refreshDone === true`)
	if v := p.text(`$card('a').querySelector('.module-version')`); v != "v2" {
		t.Errorf("a stale list took a back to %s", v)
	}
}

// A server with a token: the page asks for it instead of showing nothing,
// refuses a wrong one, and works once given the right one.
func TestDashboardLogin(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"counter.js": counterV1})
	st, addr := startStack(t, dir, "127.0.0.1:0", func(o *server.Options) { o.Token = "s3cret" })
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 800)
	p.waitFor("the login prompt", `const lp = root.querySelector('.login-prompt'); return !!lp && !lp.hidden && lp.textContent.includes('This server needs a token') && root.querySelector('.main').hidden`)
	if st := eval[map[string]any](p, `document.querySelector('hot-reload-widget').getStatus()`); st["message"] != "this server needs a token" {
		t.Errorf("getStatus() = %v", st)
	}
	p.shot("login")
	login := func(token string) {
		p.do("type the token", `const i = root.querySelector('.login-prompt input.token'); i.value = `+jsString(token)+`; i.form.requestSubmit(); return true`)
	}
	login("wrong")
	p.waitFor("the refusal", `const lp = root.querySelector('.login-prompt'); return !lp.hidden && lp.querySelector('.login-note').textContent.includes('refused')`)
	login("s3cret")
	p.waitFor("the modules", `return root.querySelector('.login-prompt').hidden && $card('counter')?.querySelector('.module-version').textContent === 'v1'`)
	p.waitFor("the event stream", `return root.querySelector('.conn').textContent === 'live'`)
	if err := st.rt.ReloadModule(context.Background(), "counter"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the reload, through the stream", `return $card('counter').querySelector('.module-version').textContent === 'v2'`)
}

// Profile tables and sparklines move with the "stats" events alone; the
// Reload and Profile buttons are one size; the modules card is no error.
func TestDashboardLiveFigures(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"counter.js": counterV1})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	ctx := context.Background()
	p := openPage(t, "http://"+addr+"/", 1200, 800)
	p.waitFor("counter", `return !!$card('counter')`)

	sizes := func() []float64 {
		return eval[[]float64](p, inWidget(`const a = $card('counter').querySelector('button.reload').getBoundingClientRect(), b = $card('counter').querySelector('button.profile-toggle').getBoundingClientRect(); return [a.width, a.height, b.width, b.height]`))
	}
	if s := sizes(); s[0] != s[2] || s[1] != s[3] || s[0] == 0 {
		t.Errorf("Reload is %vx%v, Profile %vx%v: one size for both", s[0], s[1], s[2], s[3])
	}
	// Red over blue and green is how the widget tints an error.
	rgb := eval[[]int](p, inWidget(`return getComputedStyle(root.querySelector('.stat-card.modules')).backgroundColor.match(/\d+/g).slice(0, 3).map(Number)`))
	if rgb[0] > rgb[1] || rgb[0] > rgb[2] {
		t.Errorf("the modules card is tinted rgb%v, an error colour", rgb)
	}
	if eval[bool](p, inWidget(`return root.querySelector('.stat-card.modules').classList.contains('bad')`)) {
		t.Error("the modules card is marked bad")
	}

	p.do("start a profile", click("counter", "button.profile-toggle"))
	p.waitFor("the profile running", `return $card('counter').querySelector('button.profile-toggle').textContent === 'Stop profile' && !$card('counter').querySelector('.profile-box').hidden`)
	// Its profile-started event refreshes the card; from then on no request.
	p.waitFor("the start's event handled", `return !!root.querySelector('.event-log .type-profile-started') && $w.inflight.size === 0 && $w.dirty.size === 0 && $w.flushTimer === null`)
	p.do("spy on fetch", `window.__fetches = []; const real = window.fetch.bind(window); window.fetch = (url, opts) => { window.__fetches.push(String(url)); return real(url, opts) }; return true`)
	m := st.module(t, "counter")
	for range 7 {
		if _, err := m.Call(ctx, "inc"); err != nil {
			t.Fatal(err)
		}
	}
	p.waitFor("7 calls in the profile table", `const r = $card('counter').querySelector('.profile-table tr[data-function="inc"]'); return !!r && r.children[1].textContent === '7'`)
	p.waitFor("the sparkline", `return $card('counter').querySelectorAll('svg.spark rect.rate').length > 0 && /calls\/s|idle/.test($card('counter').querySelector('.spark-text').textContent)`)
	if got := eval[[]string](p, `window.__fetches`); len(got) != 0 {
		t.Errorf("the figures came by request, not by the event stream: %q", got)
	}
	p.do("stop the profile", click("counter", "button.profile-toggle"))
	p.waitFor("the profile stopped", `return $card('counter').querySelector('.profile-head').textContent.includes('stopped') && $card('counter').querySelector('button.profile-toggle').textContent === 'Profile'`)
	p.shot("live-figures")
}

// A dashboard as a user sees it at work: the example modules under
// traffic, one that failed its first load, a profile running, a reload and
// its diff, a call made. Its screenshot is the README's (HOTMOD_SHOTS=DIR
// keeps it; docs/dashboard.png is it, cropped and quantized).
func TestDashboardShowcase(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"discount.ts": "// Discounts by customer tier.\nexport function discount(tier: string, total: number): number {\n  const rates: Record<string, number> = { gold: 0.1, silver: 0.05 }\n  return total * (rates[tier] ?? 0\n}\n",
	}
	for _, name := range []string{"checkout.js", "counter.js", "pricing.ts"} {
		src, err := os.ReadFile(filepath.Join("..", "..", "examples", "modules", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(src)
	}
	writeFiles(t, dir, files)
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	ctx, stopTraffic := context.WithCancel(context.Background())
	defer stopTraffic()
	p := openPage(t, "http://"+addr+"/", 1100, 1500)
	p.waitFor("the modules", `return root.querySelectorAll('.module-item').length === 4`)

	// A new tax rate: pricing v2, whose diff against v1 is shown.
	if err := os.WriteFile(filepath.Join(dir, "pricing.ts"), []byte(strings.Replace(files["pricing.ts"], "taxRate: number = 0.2", "taxRate: number = 0.21", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p.waitFor("pricing v2", `return $card('pricing').querySelector('.module-version').textContent === 'v2'`)
	p.do("profile counter", click("counter", "button.profile-toggle"))

	// Traffic that rises and falls, so the sparklines have a shape.
	traffic := make(chan struct{})
	go func() {
		defer close(traffic)
		mods := map[string]string{"checkout": "checkout", "pricing": "quote", "counter": "top"}
		items := []map[string]any{{"sku": "tea", "price": 4.5, "quantity": 2}, {"sku": "cup", "price": 12, "quantity": 1}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for id, fn := range mods {
				if rand.IntN(100) >= 30+int(25*math.Sin(float64(i)/40)) {
					continue
				}
				m, err := st.rt.Module(id)
				if err != nil {
					continue
				}
				switch id {
				case "checkout":
					_, _ = m.Call(ctx, fn, []string{"ann", "bob", "cy"}[rand.IntN(3)], items)
				case "pricing":
					_, _ = m.Call(ctx, fn, items)
				default:
					_, _ = m.Call(ctx, fn)
				}
			}
		}
	}()

	p.do("type a call", setValue("checkout", `.call-form[data-function="checkout"] input.call-args`, `"ann", [{"sku": "tea", "price": 4.5, "quantity": 2}]`))
	p.do("call checkout", click("checkout", `.call-form[data-function="checkout"] button.call`))
	p.waitFor("the call's result", `return $card('checkout').querySelector('.call-result.ok')?.textContent.includes('"total":10.89')`)
	p.do("fold the other call forms", `for (const id of ['counter', 'pricing']) $card(id).querySelector('.call-section').open = false; return true`)
	p.do("open pricing's versions", `$card('pricing').querySelector('.versions-section').open = true; return true`)
	p.do("diff v1", click("pricing", `tr[data-version="1"] button.diff`))
	p.waitFor("the diff", `return $card('pricing').querySelectorAll('.diff-line.add').length === 1`)
	p.waitFor("the failing line", `return $card('discount').querySelector('.line.failing')?.dataset.line === '5'`)
	p.waitFor("a sparkline with history", `return $card('checkout').querySelectorAll('svg.spark rect.rate').length >= 40 && $card('pricing').querySelectorAll('svg.spark rect.rate').length >= 40`)
	p.waitFor("the profile table", `const r = $card('counter').querySelector('.profile-table tr[data-function="increment"]'); return !!r && Number(r.children[1].textContent) > 20`)
	p.shot("showcase")
	stopTraffic()
	<-traffic
}

// A reloaded version on probation shows its figures, and a version that
// regresses rolls back by itself with its reason on the card.
func TestDashboardProbation(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f.js": "export const f = (i) => i"})
	st, addr := startStackWith(t, dir, "127.0.0.1:0", func(o *hotmod.Options) {
		o.Probation = hotmod.Probation{Calls: 1000, MinCalls: 10}
	})
	defer st.stop(t)
	ctx := context.Background()
	p := openPage(t, "http://"+addr+"/", 1200, 900)
	p.waitFor("f", `return !!$card('f')`)
	m := st.module(t, "f")
	for i := range 20 {
		if _, err := m.Call(ctx, "f", i); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, dir, map[string]string{"f.js": "export const f = (i) => { if (i % 4 === 0) throw new Error('every fourth'); return i }"})
	p.waitFor("the probation", `const b = $card('f').querySelector('.probation'); return !!b && !b.hidden && /v2 on probation · 0\/1000 calls/.test(b.textContent) && /rolls back to v1/.test(b.textContent)`)
	p.shot("probation")
	for i := range 12 {
		_, _ = m.Call(ctx, "f", i)
	}
	p.waitFor("the automatic rollback", `const b = $card('f').querySelector('.auto-rollback'); return !!b && !b.hidden && b.textContent.includes('rolled back by itself: version 2 rolled back to 1: error rate') && $card('f').querySelector('.probation').hidden && $card('f').querySelector('.module-version').textContent === 'v1'`)
	p.waitFor("the event's reason in the log", `return [...root.querySelectorAll('.event-log .type-auto-rolled-back')].some(l => l.textContent.includes('error rate'))`)
	p.shot("auto-rolled-back")
}

// A canary shows its split, and Promote makes it the serving version.
func TestDashboardCanary(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f.js": "export const f = () => 1"})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 900)
	p.waitFor("f", `return !!$card('f')`)
	m := st.module(t, "f")
	if err := m.CanarySource(context.Background(), []byte("export const f = () => 2"), 30); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the canary split", `const b = $card('f').querySelector('.canary'); return !!b && !b.hidden && b.querySelector('.canary-text').textContent === 'v2 canary: 30% of keyed calls, v1 the rest'`)
	p.shot("canary")
	p.do("promote", click("f", "button.promote"))
	p.waitFor("v2 serving", `return $card('f').querySelector('.module-version').textContent === 'v2' && $card('f').querySelector('.canary').hidden`)
	if v, err := m.Call(context.Background(), "f"); err != nil || v != int64(2) {
		t.Errorf("after promote in the browser: %v, %v", v, err)
	}
}

// A fleet node's dashboard lists what every node serves, failures and
// drift marked.
func TestDashboardFleet(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"price.js": "export const v = () => 1"})
	nodes := []fleet.Status{
		{Node: "alpha", Modules: []fleet.ModuleStatus{{ID: "price", Path: "/price.js", Version: 2, Serving: 3, Tried: 3}}},
		{Node: "beta", Modules: []fleet.ModuleStatus{{ID: "price", Path: "/price.js", Version: 2, Serving: 3, Tried: 4,
			Error: "reload of price (version 2 keeps serving) failed at compile: Unexpected end", Position: &hotmod.Position{File: "/price.js", Line: 1, Column: 25}}}},
		{Node: "gamma", Modules: []fleet.ModuleStatus{{ID: "price", Path: "/price.js", Version: 1, Serving: 2, Tried: 3}}},
	}
	var now atomic.Pointer[[]fleet.Status]
	now.Store(&nodes)
	st, addr := startStack(t, dir, "127.0.0.1:0", func(o *server.Options) {
		o.Fleet = func(context.Context) ([]fleet.Status, error) { return *now.Load(), nil }
	})
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 900)
	p.waitFor("the fleet table", `return root.querySelectorAll('.fleet-table tr[data-node]').length === 3 && !root.querySelector('.fleet').hidden`)
	if got := p.text(`root.querySelector('.fleet-table tr.failed[data-node="beta"]')`); !strings.Contains(got, "revision 4 failed: /price.js:1:25 reload of price") {
		t.Errorf("beta's row: %q", got)
	}
	if got := p.text(`root.querySelector('.fleet-table tr.drift[data-node="gamma"]')`); !strings.Contains(got, "behind: the store has revision 3") {
		t.Errorf("gamma's row: %q", got)
	}
	if got := p.text(`root.querySelector('.fleet-table tr.ok[data-node="alpha"]')`); !strings.HasSuffix(got, "ok") {
		t.Errorf("alpha's row: %q", got)
	}
	p.shot("fleet")
	// A change reaches every node: the table follows the reports after it.
	fixed := []fleet.Status{{Node: "alpha", Modules: []fleet.ModuleStatus{{ID: "price", Path: "/price.js", Version: 3, Serving: 5, Tried: 5}}}}
	now.Store(&fixed)
	writeFiles(t, dir, map[string]string{"price.js": "export const v = () => 5"})
	p.waitFor("the fleet after the change", `const rows = root.querySelectorAll('.fleet-table tr[data-node]'); return rows.length === 1 && rows[0].classList.contains('ok') && rows[0].textContent.includes('v3')`)
}
