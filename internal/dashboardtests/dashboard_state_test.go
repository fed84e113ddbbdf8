package dashboardtests_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/server"
)

// The dashboard items of issue 23 that this file covers: what serves after
// a rollback (3), narrow screens (4), a clean console (5), a server gone
// away, deleted failed modules and profiles that outlive the page (6).

func counterSrc(n int) string {
	return fmt.Sprintf("export let n = 0\nexport function inc() { return n += %d }\n", n)
}

// After a rollback the Source panel shows the serving version's text and
// says that the store holds a newer one; the roll-back choice starts over
// when the versions change instead of keeping one that skips a version.
func TestDashboardServingSourceAfterRollback(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"counter.js": counterSrc(1)})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 1200)
	p.waitFor("counter v1", `return $card('counter')?.querySelector('.module-version').textContent === 'v1'`)
	for n := 2; n <= 3; n++ {
		writeFiles(t, dir, map[string]string{"counter.js": counterSrc(n)})
		p.waitFor(fmt.Sprintf("counter v%d", n), fmt.Sprintf(`return $card('counter').querySelector('.module-version').textContent === 'v%d'`, n))
	}
	p.waitFor("roll back choices v2, v1", `return [...$card('counter').querySelectorAll('select.rollback-version option')].map(o => o.value).join(',') === '2,1'`)
	p.do("choose v2", `const s = $card('counter').querySelector('select.rollback-version'); s.value = '2'; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === '2'`)
	// v4 arrives: v3 is now the newest older version. A choice of v2
	// kept from before would roll back past it.
	writeFiles(t, dir, map[string]string{"counter.js": counterSrc(4)})
	p.waitFor("counter v4", `return $card('counter').querySelector('.module-version').textContent === 'v4'`)
	p.waitFor("roll back choices v3, v2", `return [...$card('counter').querySelectorAll('select.rollback-version option')].map(o => o.value).join(',') === '3,2'`)
	if got := eval[string](p, inWidget(`return $card('counter').querySelector('select.rollback-version').value`)); got != "3" {
		t.Errorf("after v4 arrived the roll back choice is v%s, want v3 (the choice starts over when the versions change)", got)
	}
	p.do("open the source", `$card('counter').querySelector('.source-section').open = true; return true`)
	p.waitFor("v4's source", `return $card('counter').querySelector('.source-view .line[data-line="2"] .code')?.textContent === 'export function inc() { return n += 4 }'`)
	if !eval[bool](p, inWidget(`return $card('counter').querySelector('.source-note').hidden`)) {
		t.Error("a note says the store holds another source while the store's source serves")
	}

	p.do("roll back", click("counter", "button.rollback"))
	p.waitFor("counter v3", `return $card('counter').querySelector('.module-version').textContent === 'v3'`)
	p.waitFor("v3's source, which serves", `return $card('counter').querySelector('.source-view .line[data-line="2"] .code')?.textContent === 'export function inc() { return n += 3 }'`)
	note := p.text(`$card('counter').querySelector('.source-note')`)
	if !strings.Contains(note, "store holds a newer source that is not serving") || eval[bool](p, inWidget(`return $card('counter').querySelector('.source-note').hidden`)) {
		t.Errorf("the source note: %q, want it shown, saying the store holds a newer source", note)
	}
	if got := p.text(`$card('counter').querySelector('.module-state')`); !strings.Contains(got, "newer source") {
		t.Errorf("the card's state: %q, want it to say the store holds a newer source", got)
	}
	if got := p.text(`$card('counter').querySelector('.source-where')`); got != "v3 (serving) · /counter.js" {
		t.Errorf("source toolbar: %q", got)
	}
	api := eval[map[string]any](p, `fetch('/api/modules/counter').then(r => r.json())`)
	if api["storeNewer"] != true || api["version"] != float64(3) {
		t.Errorf("GET /api/modules/counter after the rollback: version %v, storeNewer %v", api["version"], api["storeNewer"])
	}
	p.shot("serving-source")

	// The store's text is one click away, and Edit starts from what is shown.
	p.do("show the store's source", click("counter", "button.source-switch"))
	p.waitFor("v4's source again", `return $card('counter').querySelector('.source-view .line[data-line="2"] .code')?.textContent === 'export function inc() { return n += 4 }'`)
	p.do("back to the serving source", click("counter", "button.source-switch"))
	p.do("edit", click("counter", "button.edit"))
	p.waitFor("the editor holds v3", `return $card('counter').querySelector('textarea.source-edit').value.includes('n += 3')`)
	if got := p.text(`$card('counter').querySelector('.save-status')`); got != "" {
		t.Errorf("editing the serving source warns: %q", got)
	}
	p.do("cancel", click("counter", "button.cancel"))

	// The store's source serves again: no note.
	writeFiles(t, dir, map[string]string{"counter.js": counterSrc(5)})
	p.waitFor("counter v5", `return $card('counter').querySelector('.module-version').textContent === 'v5'`)
	p.waitFor("the note gone", `return $card('counter').querySelector('.source-note').hidden && $card('counter').querySelector('.source-view .line[data-line="2"] .code')?.textContent === 'export function inc() { return n += 5 }'`)
	if _, err := os.Stat(filepath.Join(dir, "counter.js")); err != nil {
		t.Fatal(err)
	}
}

// At 500 px wide, opening Source and Versions (and a diff) keeps every card
// within the window: long lines scroll inside their box, and every button
// stays on screen.
func TestDashboardNarrowScreen(t *testing.T) {
	dir := t.TempDir()
	long := "export const table = [" + strings.Repeat("'a long entry', ", 30) + "]\n"
	writeFiles(t, dir, map[string]string{
		"counter.js": counterSrc(1) + long,
		"broken.js":  "export const x = ;\n" + long,
	})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 500, 900)
	p.waitFor("counter v1", `return $card('counter')?.querySelector('.module-version').textContent === 'v1' && !!$card('broken')`)
	writeFiles(t, dir, map[string]string{"counter.js": counterSrc(2) + long + strings.Replace(long, "table", "table2", 1)})
	p.waitFor("counter v2", `return $card('counter').querySelector('.module-version').textContent === 'v2'`)
	p.do("open Source and Versions", `for (const s of root.querySelectorAll('.source-section, .versions-section')) s.open = true; return true`)
	p.waitFor("the sources shown", `return !!$card('counter').querySelector('.source-view .line[data-line="3"]') && !!$card('broken').querySelector('.source-view .line.failing')`)
	p.do("diff v1", click("counter", `tr[data-version="1"] button.diff`))
	p.waitFor("the diff", `return !!$card('counter').querySelector('.diff-view')`)
	p.shot("narrow")
	fit := eval[map[string]any](p, inWidget(`
		const w = innerWidth, bad = [];
		for (const b of root.querySelectorAll('button')) {
			const r = b.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue; // not shown
			if (r.left < 0 || r.right > w) bad.push((b.className || b.textContent) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
		}
		const wide = [...root.querySelectorAll('.module-item')].map(c => c.getBoundingClientRect().width).filter(x => x > w);
		return {scroll: document.scrollingElement.scrollWidth, inner: w, bad: bad.join('; '), wide: wide.join(',')}`))
	if fit["scroll"].(float64) > fit["inner"].(float64) {
		t.Errorf("the page is %v px wide in a %v px window (cards %v px wide)", fit["scroll"], fit["inner"], fit["wide"])
	}
	if fit["bad"] != "" {
		t.Errorf("buttons off screen: %v", fit["bad"])
	}
}

// Every view of the dashboard leaves the browser's console clean: no
// error, warning or failed request (issue 23, item 5).
func TestDashboardCleanConsole(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"counter.js": counterSrc(1),
		"other.js":   "export function ping() { return 'pong' }\n",
		"broken.js":  "export const x = ;\n",
	})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	p, c := openWatchedPage(t, "http://"+addr+"/", 1200, 1200)
	p.waitFor("the modules", `return $card('counter')?.querySelector('.module-version').textContent === 'v1' && !!$card('broken') && root.querySelector('.conn').textContent === 'live'`)
	c.quiet(t, "the first load")

	writeFiles(t, dir, map[string]string{"counter.js": counterSrc(2)})
	p.waitFor("counter v2", `return $card('counter').querySelector('.module-version').textContent === 'v2'`)
	p.do("open Source and Versions", `for (const s of root.querySelectorAll('.source-section, .versions-section')) s.open = true; return true`)
	p.do("diff v1", click("counter", `tr[data-version="1"] button.diff`))
	p.waitFor("the diff", `return !!$card('counter').querySelector('.diff-view')`)
	p.do("call ping", click("other", `.call-form[data-function="ping"] button.call`))
	p.waitFor("ping's result", `return !!$card('other').querySelector('.call-result.ok')`)
	p.do("roll back", click("counter", "button.rollback"))
	p.waitFor("counter v1, the serving source", `return $card('counter').querySelector('.module-version').textContent === 'v1' && !$card('counter').querySelector('.source-note').hidden`)
	p.do("start a profile", click("counter", "button.profile-toggle"))
	p.waitFor("the profile", `return $card('counter').querySelector('button.profile-toggle').textContent === 'Stop profile'`)
	p.do("stop the profile", click("counter", "button.profile-toggle"))
	p.waitFor("the profile stopped", `return $card('counter').querySelector('button.profile-toggle').textContent === 'Profile'`)
	c.quiet(t, "sources, versions, a diff, a call, a rollback, a profile")

	// Modules that go away: a serving one and a failed one deleted, one
	// removed by the API, and a new file that fails.
	removeFiles(t, dir, "other.js", "broken.js")
	p.waitFor("other and broken gone", `return !$card('other') && !$card('broken')`)
	if err := st.rt.RemoveModule(context.Background(), "counter"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("counter gone", `return !$card('counter')`)
	writeFiles(t, dir, map[string]string{"late.js": "export const y = ;\n", "slow.js": "const until = Date.now() + 300; while (Date.now() < until) {}\nexport const z = 1\n"})
	if _, err := st.rt.CreateModule(context.Background(), "late", "/late.js"); err == nil {
		t.Fatal("late loaded")
	}
	if _, err := st.rt.CreateModule(context.Background(), "slow", "/slow.js"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("late listed as failed, slow loaded", `return $card('late')?.querySelector('.module-version').textContent === 'failed to load' && $card('slow')?.querySelector('.module-version').textContent === 'v1'`)
	c.quiet(t, "modules deleted, removed, created")

	// A fleet node's page, with its fleet table.
	fst, faddr := startStack(t, dir, "127.0.0.1:0", func(o *server.Options) {
		o.Fleet = func(context.Context) ([]fleet.Status, error) {
			return []fleet.Status{{Node: "alpha", Modules: []fleet.ModuleStatus{{ID: "slow", Path: "/slow.js", Version: 1, Serving: 1, Tried: 1}}}}, nil
		}
	})
	defer fst.stop(t)
	fp, fc := openWatchedPage(t, "http://"+faddr+"/", 1200, 900)
	fp.waitFor("the fleet table", `return root.querySelectorAll('.fleet-table tr[data-node]').length === 1 && !root.querySelector('.fleet').hidden`)
	fc.quiet(t, "a fleet node")

	// A server with a token: the login view, then the modules.
	tst, taddr := startStack(t, dir, "127.0.0.1:0", func(o *server.Options) { o.Token = "s3cret" })
	defer tst.stop(t)
	tp, tc := openWatchedPage(t, "http://"+taddr+"/", 1200, 900)
	tp.waitFor("the login prompt", `const lp = root.querySelector('.login-prompt'); return !!lp && !lp.hidden`)
	tc.quiet(t, "the login view")
	tp.do("log in", `const i = root.querySelector('.login-prompt input.token'); i.value = 's3cret'; i.form.requestSubmit(); return true`)
	tp.waitFor("the modules, live", `return root.querySelector('.login-prompt').hidden && !!$card('slow') && root.querySelector('.conn').textContent === 'live'`)
	tc.quiet(t, "logged in")
}

func removeFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
}

// A server that goes away greys the page out: a banner says so, every
// control is disabled; all comes back when the server does (issue 23,
// item 6).
func TestDashboardDisconnected(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"counter.js": counterSrc(1)})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	p := openPage(t, "http://"+addr+"/", 1200, 900)
	p.waitFor("counter, live", `return !!$card('counter') && root.querySelector('.conn').textContent === 'live'`)
	if !eval[bool](p, inWidget(`return root.querySelector('.offline-banner').hidden && !root.querySelector('button.reload').matches(':disabled')`)) {
		t.Fatal("connected, yet the banner shows or Reload is disabled")
	}
	st.stop(t)
	p.waitFor("the banner", `const b = root.querySelector('.offline-banner'); return !b.hidden && b.textContent === 'disconnected from the server — retrying'`)
	p.shot("disconnected")
	enabled := eval[[]string](p, inWidget(`return [...root.querySelectorAll('button, input, select, textarea')].filter(b => !b.matches(':disabled') && !b.closest('.login-prompt')).map(b => b.className || b.tagName)`))
	if len(enabled) > 0 {
		t.Errorf("disconnected, these controls still act: %v", enabled)
	}
	if st := eval[map[string]any](p, `document.querySelector('hot-reload-widget').getStatus()`); st["state"] != "error" || st["message"] != "disconnected from the server — retrying" {
		t.Errorf("getStatus() while disconnected = %v", st)
	}
	st, _ = startStack(t, dir, addr)
	defer st.stop(t)
	p.waitFor("the banner gone, live again", `return root.querySelector('.offline-banner').hidden && root.querySelector('.conn').textContent === 'live'`)
	if !eval[bool](p, inWidget(`return !root.querySelector('button.reload').matches(':disabled') && !root.querySelector('button.cleanup').disabled`)) {
		t.Error("back online, Reload or Cleanup is still disabled")
	}
}

// A profile started from the page lives as long as the page renews it:
// it runs past its lifetime while the page is open, and stops by itself
// once the page is gone (issue 23, item 6).
func TestDashboardProfileEndsWithThePage(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"counter.js": counterSrc(1)})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 900)
	p.waitFor("counter", `return !!$card('counter') && root.querySelector('.conn').textContent === 'live'`)
	p.do("a short lifetime", `$w.profileTTL = 600; return true`)
	p.do("start a profile", click("counter", "button.profile-toggle"))
	p.waitFor("the profile running", `return $card('counter').querySelector('button.profile-toggle').textContent === 'Stop profile'`)
	running := func() []string {
		m, err := st.rt.Module("counter")
		if err != nil {
			t.Fatal(err)
		}
		return m.Stats().Profiles
	}
	if len(running()) != 1 {
		t.Fatalf("profiles running: %v, want the page's", running())
	}
	time.Sleep(1500 * time.Millisecond) // well past its 600 ms: the page renews it
	if len(running()) != 1 {
		t.Fatal("the profile stopped while the page that started it is open")
	}
	if err := chromedp.Do(p.ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for len(running()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the page is gone and its profile runs on: %v", running())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
