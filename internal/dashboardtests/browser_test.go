package dashboardtests_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/server"
	"github.com/hotmod/hotmod/vfs"
)

const xssID = `<img src=x onerror="window.__xss=1">`

// stack is a whole `hotmod serve` on a folder and a fixed address.
type stack struct {
	store *vfs.Dir
	rt    *hotmod.Runtime
	srv   *server.Server
	http  *http.Server
	done  chan error
}

func startStack(t *testing.T, dir, addr string, opts ...func(*server.Options)) (*stack, string) {
	t.Helper()
	return startStackWith(t, dir, addr, nil, opts...)
}

// startStackWith is startStack with the runtime's options set by rtOpts.
func startStackWith(t *testing.T, dir, addr string, rtOpts func(*hotmod.Options), opts ...func(*server.Options)) (*stack, string) {
	t.Helper()
	ctx := context.Background()
	store, err := vfs.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	metrics := server.NewMetrics()
	ro := hotmod.Options{Store: store, Logger: logger, ModuleID: server.ModuleID, OnCall: metrics.ObserveCall}
	if rtOpts != nil {
		rtOpts(&ro)
	}
	rt, err := hotmod.New(ctx, ro)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := (&server.Loader{Runtime: rt, Store: store, Logger: logger}).LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	for deadline := time.Now().Add(wait); ; {
		if ln, err = net.Listen("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the old listener's port is being released
	}
	if err != nil {
		t.Fatal(err)
	}
	// Stats every 100 ms: sparklines and profile tables move within a test.
	o := server.Options{Runtime: rt, Store: store, Logger: logger, Metrics: metrics, StatsInterval: 100 * time.Millisecond}
	for _, fn := range opts {
		fn(&o)
	}
	s := &stack{store: store, rt: rt, srv: server.New(o), done: make(chan error, 1)}
	s.http = s.srv.HTTPServer()
	go func() { s.done <- s.http.Serve(ln) }()
	return s, ln.Addr().String()
}

func (s *stack) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-s.done; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("serve: %v", err)
	}
	_ = s.rt.Close(context.Background())
	s.store.Close()
}

func chromium(t *testing.T) string {
	if testing.Short() {
		t.Skip("-short: needs Chromium")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the dashboard test needs Chromium: apt-get install -y chromium (.ci/run installs it)")
	return ""
}

// page is a headless Chromium tab on the dashboard.
type page struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

// newPage starts a browser for the test, with a blank tab. Every action
// on the page ends within 90 s.
func newPage(t *testing.T, width, height int) *page {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(func() { cancel(); cancelBrowser(); cancelAlloc() })
	return &page{t: t, ctx: ctx, shots: t.TempDir()}
}

// openPage starts a browser for the test and opens url in it. Every
// action on the page ends within 90 s.
func openPage(t *testing.T, url string, width, height int) *page {
	t.Helper()
	p := newPage(t, width, height)
	if err := chromedp.Do(p.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	return p
}

// eval runs JavaScript in the page and decodes its value.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// do runs JavaScript in the widget (see inWidget) for its effect; it must
// return true, so that a missing element fails the test here.
func (p *page) do(what, js string) {
	p.t.Helper()
	if ok := eval[*bool](p, inWidget(js)); ok == nil || !*ok {
		p.t.Fatalf("%s: the page could not (%s)", what, js)
	}
}

// waitFor waits until the widget expression js is true. A predicate that
// throws counts as false: chromedp's poll would otherwise never settle and
// wait out the whole test's context instead of its own timeout.
func (p *page) waitFor(what, js string) {
	p.t.Helper()
	pred := inWidget(`try { ` + js + ` } catch (e) { return false }`)
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](pred, chromedp.WithPollingTimeout(wait), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		p.shot("failed-" + strings.NewReplacer(" ", "-", "/", "-").Replace(what))
		p.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// text is the text of the first element the widget expression js yields.
func (p *page) text(js string) string {
	p.t.Helper()
	s := eval[*string](p, inWidget(`const n = `+js+`; return n ? n.textContent : null`))
	if s == nil {
		return ""
	}
	return *s
}

// shot saves a screenshot under the test's temp dir and logs where.
func (p *page) shot(name string) string {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	file := filepath.Join(p.shots, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s (%d bytes)", file, len(png))
	// The temp dir goes with the test; HOTMOD_SHOTS keeps copies (the
	// README's screenshot is one).
	if keep := os.Getenv("HOTMOD_SHOTS"); keep != "" {
		if err := os.WriteFile(filepath.Join(keep, p.t.Name()+"-"+name+".png"), png, 0o644); err != nil {
			p.t.Errorf("keeping the screenshot: %v", err)
		}
	}
	return file
}

// inWidget evaluates JavaScript with `root` bound to the widget's shadow
// root, `$w` to the widget and `$card(id)` finding a module's card.
func inWidget(js string) string {
	return `(() => { const $w = document.querySelector('hot-reload-widget'); const root = $w?.shadowRoot; if (!root) return null; ` +
		`const $card = (id) => [...root.querySelectorAll('.module-item')].find(e => e.getAttribute('data-module-id') === id); ` + js + ` })()`
}

func versionOf(id string) string {
	return inWidget(`const card = $card(` + jsString(id) + `); return card ? card.querySelector('.module-version').textContent : null`)
}

func jsString(s string) string { b, _ := jsonMarshal(s); return string(b) }

func TestDashboardInChromium(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "counter.js")
	save := func(src string) { // as an editor saves: temp file, then rename
		tmp := filepath.Join(dir, ".counter.js.swp")
		if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, counter); err != nil {
			t.Fatal(err)
		}
	}
	save("export let n = 0\nexport function inc() { return ++n }")
	st, addr := startStack(t, dir, "127.0.0.1:0")
	if _, err := st.rt.CreateModule(context.Background(), xssID, "/counter.js"); err != nil {
		t.Fatal(err)
	}
	url := "http://" + addr + "/"
	p := openPage(t, url, 1200, 1000)
	ctx := p.ctx

	waitVersion := func(id, want string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](versionOf(id)+` === `+jsString(want), chromedp.WithPollingTimeout(wait))); err != nil {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[*string](versionOf(id)))
			t.Fatalf("%s never showed %s (shows %v): %v", id, want, got, err)
		}
	}
	waitVersion("counter", "v1")
	// A marker that a page reload would lose.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__marker = 'same page'`)); err != nil {
		t.Fatal(err)
	}

	save("export let n = 0\nexport function inc() { return n += 2 }")
	waitVersion("counter", "v2")

	// Roll back with the dashboard's own button.
	click := inWidget(`const card = $card('counter'); card.querySelector('button.rollback').click(); return true`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](click)); err != nil {
		t.Fatal(err)
	}
	waitVersion("counter", "v1")

	marker, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__marker`))
	if err != nil || marker != "same page" {
		t.Errorf("the page reloaded (marker %q, %v): updates must come from /events", marker, err)
	}

	// The hostile id is text, not markup.
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](inWidget(`const card = $card(`+jsString(xssID)+`); return card ? card.querySelector('.module-id').textContent : ''`)))
	imgs, err2 := chromedp.Run(ctx, chromedp.Evaluate[int](inWidget(`return root.querySelectorAll('img').length`)))
	xss, err3 := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__xss === 1`))
	err = errors.Join(err, err2, err3)
	if err != nil || shown != xssID || imgs != 0 || xss {
		t.Errorf("the id %q is shown as %q (%d img elements, script ran: %v, %v)", xssID, shown, imgs, xss, err)
	}

	status, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`document.querySelector('hot-reload-widget').getStatus()`))
	if err != nil {
		t.Fatal(err)
	}
	if status["state"] != "active" || status["primaryMetric"] != "2 modules" || status["secondaryMetric"] != "2 reloads" /* both modules run /counter.js */ || status["lastActivity"] == nil {
		t.Errorf("getStatus() = %v", status)
	}

	// The server restarts; the page reconnects by itself and follows the
	// new process.
	st.stop(t)
	st, _ = startStack(t, dir, addr)
	defer st.stop(t)
	waitVersion("counter", "v1")
	save("export let n = 0\nexport function inc() { return n += 3 }")
	waitVersion("counter", "v2")
	if marker, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__marker`)); err != nil || marker != "same page" {
		t.Errorf("the page reloaded across the server restart (marker %q)", marker)
	}

	p.shot("after-restart")
}

// wait bounds every wait of these tests for the server: a port released,
// a shutdown.
const wait = 10 * time.Second

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// module is the stack's module id, or the test's end.
func (s *stack) module(t *testing.T, id string) *hotmod.Module {
	t.Helper()
	m, err := s.rt.Module(id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
