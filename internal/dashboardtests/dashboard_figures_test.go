package dashboardtests_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// Issue 23 item 1 in Chromium: the canary bar shows the canary's calls,
// errors and p99 beside the serving version's, and they follow the calls
// by the event stream.
func TestDashboardCanaryFigures(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f.js": "export const f = () => 1"})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 900)
	p.waitFor("f", `return !!$card('f')`)
	m := st.module(t, "f")
	ctx := context.Background()
	if err := m.CanarySource(ctx, []byte("export const f = () => 2"), 40); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the canary bar", `const b = $card('f').querySelector('.canary'); return !!b && !b.hidden && !!b.querySelector('.canary-fig.fig-canary')`)
	onCanary := 0
	for i := range 20 {
		key := fmt.Sprintf("user-%d", i)
		if m.VersionForKey(key) == 2 {
			onCanary++
		}
		if _, err := m.CallKey(ctx, key, "f"); err != nil {
			t.Fatal(err)
		}
	}
	if onCanary == 0 || onCanary == 20 {
		t.Fatalf("%d of 20 keys on a 40%% canary: the test needs both sides", onCanary)
	}
	t.Cleanup(func() {
		if t.Failed() { // what the page showed, against what the runtime says
			t.Logf("the page: %q; the runtime: %+v", p.text(`$card('f').querySelector('.canary-figures')`), m.Stats().Canary)
		}
	})
	wantCanary := fmt.Sprintf("v2 canary: %d calls, 0 errors, p99 ", onCanary)
	wantServing := fmt.Sprintf("v1 serving: %d calls, 0 errors, p99 ", 20-onCanary)
	p.waitFor("both versions' figures", `const b = $card('f').querySelector('.canary');
		return b.querySelector('.canary-fig.fig-canary[data-version="2"]').textContent.startsWith(`+jsString(wantCanary)+`) &&
			b.querySelector('.canary-fig.fig-serving[data-version="1"]').textContent.startsWith(`+jsString(wantServing)+`)`)
	figs := p.text(`$card('f').querySelector('.canary-figures')`)
	if !regexp.MustCompile(`p99 \d+(\.\d+)? ms.*p99 \d+(\.\d+)? ms`).MatchString(figs) {
		t.Errorf("no p99 for both versions: %q", figs)
	}
	if text := p.text(`$card('f').querySelector('.canary-text')`); text != "v2 canary: 40% of keyed calls, v1 the rest" {
		t.Errorf("canary text %q", text)
	}
	p.shot("canary-figures")
}

// Issue 23 item 2 in Chromium: a banner names the call that holds the
// realm, and for how long, while it runs past half a second, and goes once
// it is stopped; it comes by the event stream.
func TestDashboardBlockedRealmBanner(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"thrower.js": "export function forever() { for (;;) {} }\n",
		"ok.js":      "export const ping = () => 'pong'\n",
	})
	st, addr := startStackWith(t, dir, "127.0.0.1:0", func(o *hotmod.Options) { o.CallTimeout, o.LoadTimeout = time.Minute, 3*time.Second })
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 900)
	p.waitFor("thrower", `return !!$card('thrower')`)
	if !eval[bool](p, inWidget(`return root.querySelector('.realm-banner').hidden`)) {
		t.Error("the banner shows with nothing held")
	}
	m := st.module(t, "thrower")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // the watchdog
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = m.Call(ctx, "forever")
	}()
	p.waitFor("the banner", `const b = root.querySelector('.realm-banner'); return !b.hidden && /^realm 0 held by thrower\.forever for \d+\.\d s/.test(b.textContent)`)
	held := func() float64 {
		s := regexp.MustCompile(`for (\d+\.\d) s`).FindStringSubmatch(p.text(`root.querySelector('.realm-banner .realm-held[data-realm="0"]')`))
		if s == nil {
			t.Fatal("no duration in the banner")
		}
		f, _ := strconv.ParseFloat(s[1], 64)
		return f
	}
	first := held()
	p.waitFor("the time held moving on", `const m = root.querySelector('.realm-banner').textContent.match(/for (\d+\.\d) s/); return !!m && Number(m[1]) >= `+strconv.FormatFloat(first+0.3, 'f', 1, 64))
	p.shot("blocked-realm")
	cancel()
	<-done
	p.waitFor("the banner gone", `return root.querySelector('.realm-banner').hidden`)

	// A new file whose top level never ends runs out of its first pass and
	// goes on in a probe's realm: named as such, with no call waiting.
	writeFiles(t, dir, map[string]string{"spin.js": "export const x = 1\nwhile (true) {}\n"})
	loaded := make(chan struct{})
	go func() { // as serve's loader does with a new file
		defer close(loaded)
		lctx, lcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer lcancel()
		_, _ = st.rt.LoadPaths(lctx, "/spin.js")
	}()
	defer func() { <-loaded }()
	p.waitFor("the probe's line", `const b = root.querySelector('.realm-banner'); return !b.hidden && /^loading spin for \d+\.\d s in a probe realm — no call waits on it/.test(b.textContent)`)
	p.shot("probe")
	p.waitFor("the banner gone after the probe", `return root.querySelector('.realm-banner').hidden`)
}

// Every card shows its serving version's calls since it was loaded, calls
// from other modules apart, and the stats events keep them current: what a
// canary's bar compares with is on the page before any canary starts.
func TestDashboardServingVersionFigures(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"f.js":   "export const f = () => 1\n",
		"use.js": "import { f } from './f.js'\nexport const g = () => f() + 1\n",
	})
	st, addr := startStack(t, dir, "127.0.0.1:0")
	defer st.stop(t)
	p := openPage(t, "http://"+addr+"/", 1200, 900)
	p.waitFor("f", `return !!$card('f')`)
	if !eval[bool](p, inWidget(`return $card('f').querySelector('.version-figs').hidden`)) {
		t.Error("figures shown before any call")
	}
	ctx := context.Background()
	f := st.module(t, "f")
	use, err := st.rt.Module("use")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := f.Call(ctx, "f"); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := use.Call(ctx, "g"); err != nil {
			t.Fatal(err)
		}
	}
	p.waitFor("f's figures", `const n = $card('f').querySelector('.version-figs');
		return !n.hidden && /^v1: 5 calls, 0 errors, p99 \d+(\.\d+)? ms · 3 from other modules since it was loaded$/.test(n.textContent)`)
	p.shot("serving-figures")
}
