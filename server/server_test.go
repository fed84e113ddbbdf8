package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/server"
	"github.com/hotmod/hotmod/vfs"
)

const wait = 10 * time.Second

type fixture struct {
	t     *testing.T
	store vfs.Store
	rt    *hotmod.Runtime
	srv   *server.Server
	http  *httptest.Server
	token string
}

var files = map[string]string{
	"/counter.js": "export let count = 0\nexport function increment(by = 1) { count += by; return count }\nexport function boom() {\n  throw new Error('kaboom')\n}\nexport function spin() { while (true) {} }\nexport function __acceptHotReload(old) { count = old.count }",
	"/lib/tax.ts": "export const rate: number = 0.2\nexport function withTax(n: number): number { return n * (1 + rate) }",
	"/shop.js":    "import { withTax } from './lib/tax.ts'\nexport function total(n) { return withTax(n) }",
}

func newFixture(t *testing.T, opts ...func(*server.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, store: vfs.NewMem()}
	for p, src := range files {
		if err := f.store.Write(ctx, p, []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	metrics := server.NewMetrics()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: f.store, Logger: logger, ModuleID: server.ModuleID, OnCall: metrics.ObserveCall, DisableAutoReload: true})
	if err != nil {
		t.Fatal(err)
	}
	f.rt = rt
	metrics.Attach(rt)
	if _, _, err := (&server.Loader{Runtime: rt, Store: f.store, Logger: logger}).LoadAll(ctx); err != nil {
		t.Fatal(err)
	}
	o := server.Options{Runtime: rt, Store: f.store, Logger: logger, Metrics: metrics}
	for _, fn := range opts {
		fn(&o)
	}
	f.token = o.Token
	f.srv = server.New(o)
	f.http = httptest.NewServer(f.srv.Handler())
	t.Cleanup(func() {
		f.srv.Close()
		f.http.Close()
		_ = rt.Close(context.Background())
	})
	return f
}

type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.status, r.body)
	}
	return m
}

// errCode checks the error shape and returns the code.
func (r response) errCode(t *testing.T) string {
	t.Helper()
	var e server.ErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not the error shape (%d): %s", r.status, r.body)
	}
	return e.Error.Code
}

func (f *fixture) do(method, path string, body any, headers ...string) response {
	f.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "text/plain"
	case []byte:
		rd, ct = strings.NewReader(string(b)), "application/octet-stream"
	default:
		j, _ := json.Marshal(b)
		rd, ct = strings.NewReader(string(j)), "application/json"
	}
	req, err := http.NewRequest(method, f.http.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" { // net/http sends req.Host, not the header
			req.Host = headers[i+1]
			continue
		}
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, b, res.Header}
}

func expect(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if code != "" {
		if got := r.errCode(t); got != code {
			t.Fatalf("code %q, want %q: %s", got, code, r.body)
		}
	}
}

func TestModulesEndpoints(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/modules", nil)
	expect(t, r, 200, "")
	mods := r.json(t)["modules"].([]any)
	if len(mods) != 3 {
		t.Fatalf("modules = %s", r.body)
	}
	r = f.do("GET", "/api/modules/lib%2Ftax", nil)
	expect(t, r, 200, "")
	if d := r.json(t); d["id"] != "lib/tax" || d["kind"] != "esm" || d["version"] != 1.0 {
		t.Errorf("detail %s", r.body)
	}
	expect(t, f.do("GET", "/api/modules/nope", nil), 404, "not_found")
	r = f.do("POST", "/api/modules", map[string]any{"id": "second", "path": "/counter.js"})
	expect(t, r, 201, "")
	expect(t, f.do("POST", "/api/modules", map[string]any{"id": "second", "path": "/counter.js"}), 409, "conflict")
	expect(t, f.do("POST", "/api/modules", map[string]any{"id": "x", "path": "/missing.js"}), 404, "not_found")
	expect(t, f.do("POST", "/api/modules", map[string]any{"id": "", "path": "/counter.js"}), 400, "invalid")
	expect(t, f.do("POST", "/api/modules", map[string]any{"id": "y", "path": "/counter.js", "extra": 1}), 400, "invalid")
	expect(t, f.do("DELETE", "/api/modules/second", nil), 204, "")
	expect(t, f.do("GET", "/api/modules/second", nil), 404, "not_found")
}

func TestCallEndpoint(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.RequestTimeout = 200 * time.Millisecond; o.MaxArgsBytes = 1024 })
	r := f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment", "args": []any{5}})
	expect(t, r, 200, "")
	if m := r.json(t); m["result"] != 5.0 || m["version"] != 1.0 {
		t.Errorf("call = %s", r.body)
	}
	r = f.do("POST", "/api/modules/shop/call", map[string]any{"function": "total", "args": []any{10}})
	if m := r.json(t); m["result"] != 12.0 {
		t.Errorf("import chain = %s", r.body)
	}
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "nothing"}), 400, "not_function")
	r = f.do("POST", "/api/modules/counter/call", map[string]any{"function": "boom"})
	expect(t, r, 422, "js_error")
	var e server.ErrorBody
	_ = json.Unmarshal(r.body, &e)
	if p := e.Error.Position; p == nil || p.File != "/counter.js" || p.Line != 4 {
		t.Errorf("position %+v", p)
	}
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "spin"}), 504, "timeout")
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment"}), 200, "") // the realm is fine
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment", "args": []any{strings.Repeat("x", 2000)}}), 413, "too_large")
	expect(t, f.do("POST", "/api/modules/counter/call", `{"function": "increment"}`), 415, "unsupported_media_type")
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment", "argz": 1}), 400, "invalid")
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{}), 400, "invalid")
}

// A host function's error that escapes a call is the module's failure: the
// error it wraps (here the store's "not found") does not decide the answer.
func TestCallWhoseHostFunctionFailedIsAJSError(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.rt.NewHostModuleBuilder("db").
		Func("row", func(id string) (string, error) { return "", fmt.Errorf("row %s: %w", id, vfs.ErrNotFound) }).
		Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Write(ctx, "/rows.js", []byte("import { row } from 'host:db'\nexport const get = (id) => row(id)")); err != nil {
		t.Fatal(err)
	}
	expect(t, f.do("POST", "/api/modules", map[string]any{"id": "rows", "path": "/rows.js"}), 201, "")
	r := f.do("POST", "/api/modules/rows/call", map[string]any{"function": "get", "args": []any{"7"}})
	expect(t, r, 422, "js_error")
	if !strings.Contains(string(r.body), "Error: row 7: vfs: file not found") {
		t.Errorf("the message: %s", r.body)
	}
}

func TestReloadAndRollbackEndpoints(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment", "args": []any{41}})
	_ = f.store.Write(ctx, "/counter.js", []byte(strings.Replace(files["/counter.js"], "count += by", "count += by * 1", 1)))
	r := f.do("POST", "/api/modules/counter/reload", map[string]any{})
	expect(t, r, 200, "")
	if r.json(t)["version"] != 2.0 {
		t.Errorf("after reload %s", r.body)
	}
	expect(t, f.do("POST", "/api/modules/counter/reload", nil, "Content-Type", ""), 415, "unsupported_media_type")
	_ = f.store.Write(ctx, "/counter.js", []byte("export const = 1"))
	r = f.do("POST", "/api/modules/counter/reload", map[string]any{})
	expect(t, r, 422, "reload_failed")
	var e server.ErrorBody
	_ = json.Unmarshal(r.body, &e)
	if e.Error.Position == nil || e.Error.Position.File != "/counter.js" || e.Error.Position.Line != 1 {
		t.Errorf("reload failure position %+v", e.Error.Position)
	}
	r = f.do("POST", "/api/modules/counter/rollback", map[string]any{"version": 0})
	expect(t, r, 200, "")
	if r.json(t)["version"] != 1.0 {
		t.Errorf("rollback = %s", r.body)
	}
	r = f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment"})
	if r.json(t)["result"] != 42.0 {
		t.Errorf("state across reload and rollback: %s", r.body)
	}
	expect(t, f.do("POST", "/api/modules/counter/rollback", map[string]any{"version": 9}), 404, "version_not_kept")
	// Each kept version's source, for the dashboard's diff.
	r = f.do("GET", "/api/modules/counter/versions/2", nil)
	expect(t, r, 200, "")
	if v := r.json(t); v["version"] != 2.0 || v["serving"] != false || !strings.Contains(v["source"].(string), "count += by * 1") || v["tookMs"].(float64) <= 0 {
		t.Errorf("version 2 = %s", r.body)
	}
	r = f.do("GET", "/api/modules/counter", nil)
	if vs := r.json(t)["versions"].([]any); len(vs) != 2 || vs[1].(map[string]any)["serving"] != true {
		t.Errorf("versions = %s", r.body)
	}
	expect(t, f.do("GET", "/api/modules/counter/versions/9", nil), 404, "version_not_kept")
	expect(t, f.do("GET", "/api/modules/counter/versions/x", nil), 400, "invalid")
	expect(t, f.do("GET", "/api/modules/nope/versions/1", nil), 404, "not_found")
}

func TestPatchAndProfileEndpoints(t *testing.T) {
	f := newFixture(t)
	r := f.do("POST", "/api/modules/counter/patches", map[string]any{"function": "increment", "source": "(original) => function (by) { return original.call(this, by * 100) }"})
	expect(t, r, 201, "")
	pid := r.json(t)["id"].(string)
	if r := f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment", "args": []any{1}}); r.json(t)["result"] != 100.0 {
		t.Errorf("patched call = %s", r.body)
	}
	expect(t, f.do("POST", "/api/modules/counter/patches", map[string]any{"function": "increment", "source": "42"}), 400, "invalid")
	expect(t, f.do("POST", "/api/modules/counter/patches", map[string]any{"function": "increment", "source": "(o) => (x) => x +* 1"}), 422, "syntax_error")
	expect(t, f.do("DELETE", "/api/patches/"+pid, nil), 200, "")
	expect(t, f.do("DELETE", "/api/patches/"+pid, nil), 404, "not_found")

	r = f.do("POST", "/api/modules/counter/profiles", map[string]any{})
	expect(t, r, 201, "")
	prof := r.json(t)["id"].(string)
	for range 3 {
		f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment"})
	}
	r = f.do("GET", "/api/profiles/"+prof, nil)
	expect(t, r, 200, "")
	if m := r.json(t); m["totalCalls"] != 3.0 || m["running"] != true {
		t.Errorf("profile = %s", r.body)
	}
	r = f.do("DELETE", "/api/profiles/"+prof, nil)
	if m := r.json(t); m["running"] != false {
		t.Errorf("stopped profile = %s", r.body)
	}
	expect(t, f.do("GET", "/api/profiles/"+prof, nil), 404, "not_found")
}

func TestSandboxEndpoint(t *testing.T) {
	f := newFixture(t)
	r := f.do("POST", "/api/sandbox", map[string]any{"code": "console.log('hi'); return context.a * 2", "vars": map[string]any{"a": 21}})
	expect(t, r, 200, "")
	if m := r.json(t); m["value"] != 42.0 || m["undefined"] != false || len(m["console"].([]any)) != 1 {
		t.Errorf("sandbox = %s", r.body)
	}
	if m := f.do("POST", "/api/sandbox", map[string]any{"code": "return"}).json(t); m["undefined"] != true || m["value"] != nil {
		t.Errorf("undefined = %v", m)
	}
	r = f.do("POST", "/api/sandbox", map[string]any{"code": "while (true) {}", "limits": map[string]any{"timeMs": 50}})
	expect(t, r, 422, "limit")
	expect(t, f.do("POST", "/api/sandbox", map[string]any{"code": "return ("}), 422, "syntax_error")
	expect(t, f.do("POST", "/api/sandbox", map[string]any{"code": "throw new Error('x')"}), 422, "js_error")
}

func TestFileEndpoints(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.MaxSourceBytes = 64 })
	expect(t, f.do("PUT", "/api/files/new/mod.js", []byte("export const v = 1")), 200, "")
	r := f.do("GET", "/api/files/new/mod.js", nil)
	if r.status != 200 || string(r.body) != "export const v = 1" {
		t.Errorf("read = %d %q", r.status, r.body)
	}
	expect(t, f.do("PUT", "/api/files/new/mod.js", []byte("export const v = 2")), 200, "")
	r = f.do("GET", "/api/files?prefix=/new", nil)
	if got := r.json(t)["files"].([]any); len(got) != 1 || got[0] != "/new/mod.js" {
		t.Errorf("list = %s", r.body)
	}
	r = f.do("GET", "/api/history/new/mod.js", nil)
	revs := r.json(t)["revisions"].([]any)
	if len(revs) != 2 {
		t.Fatalf("history = %s", r.body)
	}
	first := revs[1].(map[string]any)["rev"].(float64)
	if r := f.do("GET", "/api/files/new/mod.js?revision="+jsonNumber(first), nil); string(r.body) != "export const v = 1" {
		t.Errorf("revision read = %q", r.body)
	}
	expect(t, f.do("PUT", "/api/files/big.js", []byte(strings.Repeat("x", 100))), 413, "too_large")
	expect(t, f.do("GET", "/api/files/big.js", nil), 404, "not_found")
	expect(t, f.do("PUT", "/api/files/a%5Cb.js", []byte("x")), 400, "invalid")
	expect(t, f.do("DELETE", "/api/files/new/mod.js", nil), 204, "")
	expect(t, f.do("GET", "/api/files/new/mod.js", nil), 404, "not_found")
	expect(t, f.do("GET", "/api/files/new/mod.js?revision=abc", nil), 400, "invalid")

	dirStore, err := vfs.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dirStore.Close()
	g := newFixture(t, func(o *server.Options) { o.Store = dirStore })
	expect(t, g.do("GET", "/api/history/x.js", nil), 501, "not_supported")
}

func jsonNumber(f float64) string { b, _ := json.Marshal(f); return string(b) }

func TestStatsCleanupAndErrors(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/stats", nil)
	if m := r.json(t); m["totalModules"] != 3.0 {
		t.Errorf("stats = %s", r.body)
	}
	expect(t, f.do("POST", "/api/cleanup", "please", "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type")
	r = f.do("POST", "/api/cleanup", map[string]any{})
	expect(t, r, 200, "")
	if m := r.json(t); m["totalModules"] != 0.0 {
		t.Errorf("after cleanup %s", r.body)
	}
	expect(t, f.do("GET", "/api/nothing/here", nil), 404, "not_found")
	expect(t, f.do("POST", "/", map[string]any{}), 405, "method_not_allowed")
	r = f.do("GET", "/", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "<hot-reload-widget>") || !strings.Contains(r.header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("dashboard: %d %s", r.status, r.header)
	}
	for _, asset := range []string{"/widget.js", "/widget.css", "/page.css"} {
		if r := f.do("GET", asset, nil); r.status != 200 || len(r.body) == 0 {
			t.Errorf("%s: %d", asset, r.status)
		}
	}
}

func TestTokenAndLoopbackRules(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.Token = "s3cret" })
	for _, p := range []string{"/api/modules", "/api/stats", "/events", "/metrics"} {
		expect(t, f.do("GET", p, nil, "Authorization", ""), 401, "unauthorized")
		expect(t, f.do("GET", p, nil, "Authorization", "Bearer wrong"), 401, "unauthorized")
	}
	expect(t, f.do("POST", "/api/cleanup", map[string]any{}, "Authorization", ""), 401, "unauthorized")
	expect(t, f.do("GET", "/api/stats", nil), 200, "")
	expect(t, f.do("GET", "/", nil, "Authorization", ""), 200, "") // the login page itself
	expect(t, f.do("GET", "/healthz", nil, "Authorization", ""), 200, "")

	// Without a token only loopback clients are served.
	open := newFixture(t)
	req := httptest.NewRequest("GET", "/api/modules", nil)
	req.RemoteAddr = "192.0.2.7:4444"
	rec := httptest.NewRecorder()
	open.srv.Handler().ServeHTTP(rec, req)
	expect(t, response{rec.Code, rec.Body.Bytes(), rec.Header()}, 403, "forbidden")
	// With a token, any address that has it is.
	req = httptest.NewRequest("GET", "/api/modules", nil)
	req.RemoteAddr = "192.0.2.7:4444"
	req.Header.Set("Authorization", "Bearer s3cret")
	rec = httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("remote client with the token: %d", rec.Code)
	}
	for addr, loop := range map[string]bool{"127.0.0.1:7070": true, "[::1]:0": true, "localhost:80": true, "0.0.0.0:7070": false, "10.0.0.1:7070": false, ":7070": false} {
		if server.IsLoopbackAddr(addr) != loop {
			t.Errorf("IsLoopbackAddr(%q) = %v", addr, !loop)
		}
	}
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	f := newFixture(t)
	expect(t, f.do("POST", "/api/cleanup", map[string]any{}, "Origin", "http://evil.example"), 403, "cross_site")
	expect(t, f.do("POST", "/api/cleanup", map[string]any{}, "Sec-Fetch-Site", "cross-site"), 403, "cross_site")
	expect(t, f.do("GET", "/api/modules", nil, "Sec-Fetch-Site", "cross-site"), 403, "cross_site")
	// A same-origin browser request goes through, and no CORS header is sent.
	r := f.do("GET", "/api/modules", nil, "Origin", f.http.URL, "Sec-Fetch-Site", "same-origin")
	expect(t, r, 200, "")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header sent")
	}
}

// sse reads Server-Sent Events.
type sse struct {
	t    *testing.T
	rd   *bufio.Reader
	stop context.CancelFunc
}

type sseEvent struct{ id, typ, data string }

func (f *fixture) events(lastID string) *sse {
	f.t.Helper()
	return f.eventsAt(f.http.URL, lastID)
}

// eventsAt follows /events of the server at base.
func (f *fixture) eventsAt(base, lastID string) *sse {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		f.t.Fatalf("events: %d %s", res.StatusCode, res.Header)
	}
	s := &sse{t: f.t, rd: bufio.NewReader(res.Body), stop: func() { cancel(); res.Body.Close() }}
	f.t.Cleanup(s.stop)
	return s
}

func (s *sse) next() sseEvent {
	s.t.Helper()
	done := make(chan sseEvent, 1)
	go func() {
		var ev sseEvent
		for {
			line, err := s.rd.ReadString('\n')
			if err != nil {
				close(done)
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "" && ev.typ != "":
				done <- ev
				return
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	select {
	case ev, ok := <-done:
		if !ok {
			s.t.Fatal("event stream ended")
		}
		return ev
	case <-time.After(wait):
		s.t.Fatal("no event")
	}
	return sseEvent{}
}

func (s *sse) until(typ string) sseEvent {
	s.t.Helper()
	for {
		if ev := s.next(); ev.typ == typ {
			return ev
		}
	}
}

func TestEventStreamResumes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	stream := f.events("")
	f.do("POST", "/api/modules/counter/reload", map[string]any{})
	first := stream.until("reloaded")
	var ev hotmod.Event
	if err := json.Unmarshal([]byte(first.data), &ev); err != nil || ev.Module != "counter" || ev.Version != 2 || !strings.Contains(first.id, "-") {
		t.Fatalf("event %+v (%v)", first, err)
	}
	stream.stop()
	// Two things happen while the client is away.
	_ = f.store.Write(ctx, "/counter.js", []byte("export const = "))
	f.do("POST", "/api/modules/counter/reload", map[string]any{})
	expect(t, f.do("POST", "/api/modules/counter/reload", map[string]any{"x": 1}), 400, "invalid") // no event
	f.do("POST", "/api/modules/counter/rollback", map[string]any{"version": 1})
	back := f.events(first.id)
	if got := back.next(); got.typ != "reload-failed" {
		t.Errorf("after reconnecting: %+v, want the missed reload-failed", got)
	}
	if got := back.next(); got.typ != "rolled-back" {
		t.Errorf("then %+v, want rolled-back", got)
	}
	// An id from another server run: start over.
	if got := f.events("0000-5").next(); got.typ != "reset" {
		t.Errorf("unknown boot: %+v, want reset", got)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment"})
	f.do("POST", "/api/modules/counter/call", map[string]any{"function": "boom"})
	f.do("POST", "/api/modules/counter/reload", map[string]any{})
	f.do("POST", "/api/sandbox", map[string]any{"code": "while(true){}", "limits": map[string]any{"timeMs": 20}})
	r := f.do("GET", "/metrics", nil)
	for _, want := range []string{
		"hotmod_modules 3",
		`hotmod_reloads_total{module="counter"} 1`,
		`hotmod_calls_total{function="increment",module="counter"} 1`,
		`hotmod_call_errors_total{function="boom",module="counter"} 1`,
		`hotmod_call_duration_seconds_count{function="increment",module="counter"} 1`,
		"hotmod_sandbox_runs_total 1",
		"hotmod_sandbox_limit_breaches_total 1",
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestLoaderFollowsNewFiles(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := vfs.NewMem()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, ModuleID: server.ModuleID, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	events := rt.Events(ctx)
	loader := &server.Loader{Runtime: rt, Store: store}
	if err := loader.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitEvent := func(typ hotmod.EventType, module string) {
		t.Helper()
		deadline := time.After(wait)
		for {
			select {
			case ev := <-events:
				if ev.Type == typ && ev.Module == module {
					return
				}
			case <-deadline:
				t.Fatalf("no %s event for %s", typ, module)
			}
		}
	}
	_ = store.Write(ctx, "/late/arrival.ts", []byte("export const n: number = 1"))
	waitEvent(hotmod.EventCreated, "late/arrival")
	_ = store.Write(ctx, "/broken.js", []byte("export const = 1"))
	waitEvent(hotmod.EventReloadFailed, "broken")
	_ = store.Write(ctx, "/broken.js", []byte("export const fixed = 1"))
	waitEvent(hotmod.EventCreated, "broken")
	_ = store.Write(ctx, "/data.json", []byte(`{}`))
	_ = store.Write(ctx, "/types.d.ts", []byte(`export type T = string`))
	_ = store.Write(ctx, "/last.js", []byte("export const last = 1"))
	waitEvent(hotmod.EventCreated, "last")
	if n := rt.Stats().TotalModules; n != 3 {
		t.Errorf("%d modules; JSON and .d.ts files load only when imported", n)
	}
	for p, id := range map[string]string{"/a.js": "a", "/lib/tax.ts": "lib/tax", "/x/y.test.mjs": "x/y.test"} {
		if got := server.ModuleID(p); got != id {
			t.Errorf("ModuleID(%s) = %s", p, got)
		}
	}
}

// A module whose top level never ends, pushed through the API, fails at
// LoadTimeout and stays listed as failed; every other module serves
// meanwhile and after, the failed one can be removed, and a call reaches
// only the module's own exports.
func TestEndlessModuleThroughTheAPIIsBounded(t *testing.T) {
	f := newFixture(t)
	if r := f.do("PUT", "/api/files/spin.js", "while (true) {}"); r.status != http.StatusOK && r.status != http.StatusCreated && r.status != http.StatusNoContent {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	done := make(chan response, 1)
	go func() { done <- f.do("POST", "/api/modules", map[string]string{"id": "spin", "path": "/spin.js"}) }()
	var r response
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("creating an endless module did not end")
	}
	if r.status != http.StatusUnprocessableEntity || r.errCode(t) != "ran_too_long" {
		t.Errorf("create: %d %s", r.status, r.body)
	}
	if r := f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment", "args": []any{1}}); r.status != http.StatusOK {
		t.Errorf("another module after the runaway: %d %s", r.status, r.body)
	}
	d := f.do("GET", "/api/modules/spin", nil).json(t)
	if d["state"] != "failed" || !strings.Contains(d["lastError"].(string), "limit") {
		t.Errorf("detail of the failed module: %v", d)
	}
	if r := f.do("POST", "/api/modules/spin/call", map[string]any{"function": "x"}); r.status != http.StatusConflict || r.errCode(t) != "not_loaded" {
		t.Errorf("call of a failed module: %d %s", r.status, r.body)
	}
	for _, fn := range []string{"constructor", "hasOwnProperty", "__proto__", "toString"} {
		if r := f.do("POST", "/api/modules/counter/call", map[string]any{"function": fn}); r.status != http.StatusBadRequest {
			t.Errorf("call of %q: %d %s", fn, r.status, r.body)
		}
	}
	if r := f.do("DELETE", "/api/modules/spin", nil); r.status >= 300 {
		t.Errorf("removing the failed module: %d %s", r.status, r.body)
	}
	if r := f.do("GET", "/api/modules/spin", nil); r.status != http.StatusNotFound {
		t.Errorf("after removal: %d", r.status)
	}
}

// The dashboard's call forms are for functions: the detail says which
// exports are, including after a reload changes them.
func TestModuleDetailNamesFunctions(t *testing.T) {
	f := newFixture(t)
	d := f.do("GET", "/api/modules/counter", nil).json(t)
	if got := fmt.Sprint(d["functions"]); got != "[__acceptHotReload boom increment spin]" {
		t.Errorf("functions of counter = %s (exports %v)", got, d["exports"])
	}
	if got := fmt.Sprint(f.do("GET", "/api/modules/lib%2Ftax", nil).json(t)["functions"]); got != "[withTax]" {
		t.Errorf("functions of lib/tax = %s", got)
	}
	ctx := context.Background()
	_ = f.store.Write(ctx, "/lib/tax.ts", []byte("export const withTax = 3\nexport const cyclic: any = {}; cyclic.self = cyclic\nexport function rate() { return 0 }"))
	expect(t, f.do("POST", "/api/modules/lib%2Ftax/reload", map[string]any{}), 200, "")
	if got := fmt.Sprint(f.do("GET", "/api/modules/lib%2Ftax", nil).json(t)["functions"]); got != "[rate]" {
		t.Errorf("after the reload, functions = %s", got)
	}
	expect(t, f.do("PUT", "/api/files/broken.js", "export const = 1"), 200, "")
	f.do("POST", "/api/rescan", map[string]any{})
	if d := f.do("GET", "/api/modules/broken", nil).json(t); d["state"] != "failed" || fmt.Sprint(d["functions"]) != "[]" {
		t.Errorf("a failed module: %v", d)
	}
}

// Calls show up in "stats" events (without an id, so that resuming is not
// disturbed) and in GET /api/live; so does a running profile's table.
func TestStatsEventsAndLiveHistory(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.StatsInterval = 20 * time.Millisecond })
	stream := f.events("")
	for range 5 {
		expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment"}), 200, "")
	}
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "boom"}), 422, "js_error")
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "nothing"}), 400, "not_function")
	// The calls may fall in two intervals; then the rate falls to 0.
	var calls, errs int64
	for calls < 6 {
		ev := stream.until("stats")
		if ev.id != "" {
			t.Fatalf("a stats event with an id: %+v", ev)
		}
		var st server.StatsEvent
		if err := json.Unmarshal([]byte(ev.data), &st); err != nil {
			t.Fatal(err)
		}
		p, ok := st.Modules["counter"]
		if !ok || p.Calls == 0 || p.Rate <= 0 || p.P99MS <= 0 || st.IntervalMS != 20 {
			t.Fatalf("stats %s", ev.data)
		}
		calls, errs = calls+p.Calls, errs+p.Errors
	}
	if calls != 6 || errs != 1 {
		t.Errorf("%d calls and %d errors counted, want 6 and 1 (a name that is no function is not counted)", calls, errs)
	}
	for {
		var st server.StatsEvent
		_ = json.Unmarshal([]byte(stream.until("stats").data), &st)
		if p, ok := st.Modules["counter"]; ok && p.Calls == 0 && p.Rate == 0 {
			break
		}
	}

	prof := f.do("POST", "/api/modules/counter/profiles", map[string]any{}).json(t)["id"].(string)
	for range 3 {
		f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment", "args": []any{2}})
	}
	for seen := false; !seen; {
		var st server.StatsEvent
		_ = json.Unmarshal([]byte(stream.until("stats").data), &st)
		for _, p := range st.Profiles {
			if p.ID == prof && p.TotalCalls == 3 && len(p.Functions) == 1 && p.Functions[0].Name == "increment" && p.Running {
				seen = true
			}
		}
	}

	var h server.LiveHistory
	r := f.do("GET", "/api/live", nil)
	expect(t, r, 200, "")
	if err := json.Unmarshal(r.body, &h); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, p := range h.Modules["counter"] {
		total += p.Calls
	}
	if total != 9 || len(h.Profiles) != 1 || h.Profiles[0].ID != prof || h.Profiles[0].TotalCalls != 3 {
		t.Errorf("live history: %s", r.body)
	}

	off := newFixture(t, func(o *server.Options) { o.StatsInterval = -1 })
	expect(t, off.do("GET", "/api/live", nil), 404, "not_supported")
}

// The runtime numbers the events it emitted before the server subscribed
// (the fixture's loads): a client that connects afresh has missed none of
// this server's, and must not be told to reset at the first event, which
// made the dashboard reload everything in the middle of a change.
func TestFreshEventStreamIsNotReset(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.StatsInterval = -1; o.EventBuffer = 2 })
	stream := f.events("")
	f.do("POST", "/api/modules/counter/reload", map[string]any{})
	first := stream.next()
	if first.typ != "reloaded" {
		t.Fatalf("first event of a fresh stream: %+v, want reloaded", first)
	}
	// A client that did miss events the buffer no longer holds is reset.
	stream.stop()
	for range 3 {
		f.do("POST", "/api/modules/counter/reload", map[string]any{})
	}
	if got := f.events(first.id).next(); got.typ != "reset" {
		t.Errorf("after missing more than the buffer: %+v, want reset", got)
	}
	// One that missed nothing the buffer dropped is not.
	back := f.events("")
	f.do("POST", "/api/modules/counter/reload", map[string]any{})
	for {
		ev := back.next()
		if ev.typ == "reset" {
			t.Fatalf("a fresh stream after evictions was reset")
		}
		if ev.typ == "reloaded" && strings.Contains(ev.data, `"version":6`) {
			break
		}
	}
}

// A symbolic link in a Dir store that leads outside its folder was refused
// by the store, and the API answered 500 "internal". It is the client's
// path that is refused: 403 "outside_root", naming the path.
func TestSymlinkOutsideTheStoreIsA4xx(t *testing.T) {
	ctx := context.Background()
	root, outside := t.TempDir(), t.TempDir()
	for name, src := range map[string]string{
		filepath.Join(outside, "secret.js"): "export const secret = 'outside'",
		filepath.Join(root, "uses.js"):      "import { secret } from './link.js'\nexport const get = () => secret",
	} {
		if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, "secret.js"), filepath.Join(root, "link.js")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "dirlink")); err != nil {
		t.Fatal(err)
	}
	dir, err := vfs.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: dir, Logger: logger, ModuleID: server.ModuleID, DisableAutoReload: true})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: dir, rt: rt, srv: server.New(server.Options{Runtime: rt, Store: dir, Logger: logger})}
	f.http = httptest.NewServer(f.srv.Handler())
	t.Cleanup(func() {
		f.srv.Close()
		f.http.Close()
		_ = rt.Close(ctx)
		_ = dir.Close()
	})
	for _, tc := range []struct {
		method, path, named string
		body                any
	}{
		{"POST", "/api/modules", "/link.js", map[string]any{"id": "link", "path": "/link.js"}},
		{"GET", "/api/files/link.js", "/link.js", nil},
		{"GET", "/api/files/dirlink/secret.js", "/dirlink/secret.js", nil},
	} {
		r := f.do(tc.method, tc.path, tc.body)
		var e server.ErrorBody
		_ = json.Unmarshal(r.body, &e)
		if r.status != http.StatusForbidden || e.Error.Code != "outside_root" || !strings.Contains(e.Error.Message, tc.named) {
			t.Errorf("%s %s %v: %d %s, want 403 outside_root naming %s", tc.method, tc.path, tc.body, r.status, r.body, tc.named)
		}
	}
	// A module that imports the link is a module that fails to load, as
	// with a missing import: 422 with the importing line, the reason named.
	r := f.do("POST", "/api/modules", map[string]any{"id": "uses", "path": "/uses.js"})
	var e server.ErrorBody
	_ = json.Unmarshal(r.body, &e)
	if r.status != http.StatusUnprocessableEntity || e.Error.Code != "reload_failed" || !strings.Contains(e.Error.Message, "/link.js: vfs: path leads outside the store's root") || e.Error.Position == nil {
		t.Errorf("importing the link: %d %s", r.status, r.body)
	}
}
