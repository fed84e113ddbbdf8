package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/server"
	"github.com/hotmod/hotmod/vfs"
)

// A page that rebinds its own DNS name to 127.0.0.1 reaches a server
// without a token from a loopback peer, but names itself in Host: it must
// not read, write or delete anything.
func TestRebindingHostRefusedWithoutToken(t *testing.T) {
	f := newFixture(t)
	const evil = "attacker.example:7070"
	r := f.do("GET", "/api/modules", nil, "Host", evil)
	expect(t, r, 403, "host_not_allowed")
	if !strings.Contains(r.errMessage(t), evil) {
		t.Errorf("the refusal does not name the Host: %s", r.body)
	}
	expect(t, f.do("PUT", "/api/files/evil.js", []byte("export const pwned = 1"), "Host", evil), 403, "host_not_allowed")
	expect(t, f.do("DELETE", "/api/modules/counter", nil, "Host", evil), 403, "host_not_allowed")
	expect(t, f.do("POST", "/api/modules/counter/call", map[string]any{"function": "increment"}, "Host", evil, "Origin", "http://"+evil), 403, "host_not_allowed")
	expect(t, f.do("GET", "/events", nil, "Host", evil), 403, "host_not_allowed")
	expect(t, f.do("GET", "/", nil, "Host", evil), 403, "host_not_allowed")
	for _, h := range []string{"attacker.example", "localhost.attacker.example", "127.0.0.1.nip.io:7070", "10.0.0.1:7070", "[::2]:7070"} {
		expect(t, f.do("GET", "/api/stats", nil, "Host", h), 403, "host_not_allowed")
	}
	// HTTP/1.0 allows no Host at all; no browser sends that, so refuse it.
	req := httptest.NewRequest("GET", "/api/stats", nil)
	req.Host, req.RemoteAddr = "", "127.0.0.1:5555"
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	expect(t, response{rec.Code, rec.Body.Bytes(), rec.Header()}, 403, "host_not_allowed")
	if _, err := f.store.Read(context.Background(), "/evil.js"); !errors.Is(err, vfs.ErrNotFound) {
		t.Errorf("the refused PUT wrote its file: %v", err)
	}
	if _, err := f.rt.Module("counter"); err != nil {
		t.Errorf("the refused DELETE removed the module: %v", err)
	}
	// Loopback names, with or without a port, in any case.
	for _, h := range []string{"localhost", "localhost:7070", "LOCALHOST:7070", "localhost.:7070", "app.localhost:7070", "127.0.0.1", "127.0.0.1:7070", "127.1.2.3:80", "[::1]", "[::1]:7070"} {
		expect(t, f.do("GET", "/api/stats", nil, "Host", h), 200, "")
	}

	// Names added by the operator are served too.
	g := newFixture(t, func(o *server.Options) { o.AllowedHosts = []string{"DevBox.internal", "[fd00::1]:9999"} })
	for _, h := range []string{"devbox.internal", "devbox.internal:7070", "[fd00::1]:7070"} {
		expect(t, g.do("GET", "/api/stats", nil, "Host", h), 200, "")
	}
	expect(t, g.do("GET", "/api/stats", nil, "Host", evil), 403, "host_not_allowed")

	// With a token the token is the guard, whatever the Host.
	tok := newFixture(t, func(o *server.Options) { o.Token = "s3cret" })
	expect(t, tok.do("GET", "/api/stats", nil, "Host", evil), 200, "")
	expect(t, tok.do("GET", "/api/stats", nil, "Host", evil, "Authorization", ""), 401, "unauthorized")
}

func (r response) errMessage(t *testing.T) string {
	t.Helper()
	r.errCode(t)
	var e server.ErrorBody
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Message
}

// rawRequest sends head (and the start of a body) on a new connection and
// never sends the rest; it returns the answer, and whether the server then
// closed the connection, both within the watchdog.
func rawRequest(t *testing.T, addr, head string, watchdog time.Duration) (*http.Response, string, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(watchdog))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	res, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("no answer within %v (the server is waiting for the body?): %v", watchdog, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	_, err = rd.ReadByte()
	return res, string(body), err == io.EOF
}

// A client that trickles a body in must not hold a connection when the
// server refuses it anyway: the answer comes at once, without the body,
// and the connection is closed.
func TestRefusedRequestBodyIsNotRead(t *testing.T) {
	tok := newFixture(t, func(o *server.Options) { o.Token = "s3cret" })
	open := newFixture(t)
	for _, tc := range []struct {
		name   string
		f      *fixture
		extra  string
		status int
	}{
		{"missing token", tok, "", 401},
		{"wrong token", tok, "Authorization: Bearer nope\r\n", 401},
		{"rebinding host", open, "", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := tc.f.http.Listener.Addr().String()
			if tc.f == open {
				host = "attacker.example"
			}
			head := "PUT /api/files/slow.js HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n" + tc.extra + "\r\nexport const"
			start := time.Now()
			res, body, closed := rawRequest(t, tc.f.http.Listener.Addr().String(), head, 5*time.Second)
			if res.StatusCode != tc.status || !strings.Contains(body, `"error"`) {
				t.Errorf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if !closed {
				t.Error("the connection stayed open after refusing a request whose body was not read")
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("refusing took %v", d)
			}
			if _, err := tc.f.store.Read(context.Background(), "/slow.js"); !errors.Is(err, vfs.ErrNotFound) {
				t.Errorf("the refused PUT wrote its file: %v", err)
			}
		})
	}
}

// An authorized client that sends its body too slowly gets 408 when the
// request timeout passes, even on an http.Server without ReadTimeout (the
// fixture's), instead of keeping the handler for as long as it likes.
func TestSlowBodyEndsAtRequestTimeout(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.Token = "s3cret"; o.RequestTimeout = 300 * time.Millisecond })
	addr := f.http.Listener.Addr().String()
	for _, tc := range []struct{ path, ct string }{
		{"/api/files/slow.js", "text/plain"},
		{"/api/modules/counter/call", "application/json"},
	} {
		head := "PUT " + tc.path + " HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer s3cret\r\nContent-Type: " + tc.ct + "\r\nContent-Length: 1000\r\n\r\n{\"function\":"
		if strings.HasSuffix(tc.path, "/call") {
			head = "POST" + strings.TrimPrefix(head, "PUT")
		}
		start := time.Now()
		res, body, _ := rawRequest(t, addr, head, 5*time.Second)
		if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(body, "request_timeout") {
			t.Errorf("%s: status %d, want 408 request_timeout: %s", tc.path, res.StatusCode, body)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: the slow body held the request %v, past its 300ms timeout", tc.path, d)
		}
	}
	if _, err := f.store.Read(context.Background(), "/slow.js"); !errors.Is(err, vfs.ErrNotFound) {
		t.Errorf("the timed-out PUT wrote its file: %v", err)
	}
}

// HTTPServer gives embedders the same timeouts as `hotmod serve`.
func TestHTTPServerHasTimeouts(t *testing.T) {
	f := newFixture(t, func(o *server.Options) { o.RequestTimeout = 5 * time.Second })
	hs := f.srv.HTTPServer()
	if hs.Handler == nil || hs.ReadHeaderTimeout <= 0 || hs.IdleTimeout <= 0 {
		t.Errorf("handler %v, ReadHeaderTimeout %v, IdleTimeout %v", hs.Handler, hs.ReadHeaderTimeout, hs.IdleTimeout)
	}
	if hs.ReadTimeout <= 0 || hs.ReadTimeout > 5*time.Second {
		t.Errorf("ReadTimeout %v: a request must be read within the request timeout", hs.ReadTimeout)
	}
	if hs.WriteTimeout <= 5*time.Second {
		t.Errorf("WriteTimeout %v: a request that times out must still have time to say so", hs.WriteTimeout)
	}
	// It serves, and shutting it down ends the event streams at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	f.eventsAt("http://"+ln.Addr().String(), "")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		t.Errorf("shutdown with an open event stream: %v", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("serve: %v", err)
	}
}

// An event stream lasts past the server's read and write timeouts, which
// are for ordinary requests.
func TestEventStreamOutlivesServerTimeouts(t *testing.T) {
	f := newFixture(t)
	hs := &http.Server{Handler: f.srv.Handler(), ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	stream := f.eventsAt("http://"+ln.Addr().String(), "")
	time.Sleep(700 * time.Millisecond) // past both timeouts
	if err := f.rt.ReloadModule(context.Background(), "counter"); err != nil {
		t.Fatal(err)
	}
	if ev := stream.until("reloaded"); !strings.Contains(ev.data, `"counter"`) {
		t.Errorf("event %+v", ev)
	}
}

// The server caps what a sandbox request may ask for: 2 GiB of memory or
// 20 s took the server with it before.
func TestSandboxLimitsCappedByServer(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		limit string
		value any
		max   string
	}{
		{"memoryBytes", 2 << 30, "67108864"},
		{"timeMs", 20000, "1000"},
		{"stackBytes", 1 << 30, "262144"},
		{"consoleBytes", 1 << 30, "65536"},
	} {
		r := f.do("POST", "/api/sandbox", map[string]any{"code": "return 1", "limits": map[string]any{tc.limit: tc.value}})
		expect(t, r, 400, "invalid")
		if msg := r.errMessage(t); !strings.Contains(msg, tc.limit) || !strings.Contains(msg, tc.max) {
			t.Errorf("%s: the message names neither the limit nor its maximum %s: %s", tc.limit, tc.max, msg)
		}
		r = f.do("POST", "/api/sandbox", map[string]any{"code": "return 1", "limits": map[string]any{tc.limit: -1}})
		expect(t, r, 400, "invalid")
	}
	// The maxima themselves are fine.
	r := f.do("POST", "/api/sandbox", map[string]any{"code": "return 1", "limits": map[string]any{"memoryBytes": 64 << 20, "timeMs": 1000, "stackBytes": 256 << 10, "consoleBytes": 64 << 10}})
	expect(t, r, 200, "")

	// An operator's maxima apply, and a limit left out takes the maximum
	// when it is below the library's default.
	g := newFixture(t, func(o *server.Options) {
		o.SandboxMax = hotmod.SafeOptions{ConsoleLimit: 100, MemoryLimit: 256 << 20}
	})
	expect(t, g.do("POST", "/api/sandbox", map[string]any{"code": "console.log('x'.repeat(500))"}), 422, "limit")
	expect(t, g.do("POST", "/api/sandbox", map[string]any{"code": "return 1", "limits": map[string]any{"consoleBytes": 101}}), 400, "invalid")
	expect(t, g.do("POST", "/api/sandbox", map[string]any{"code": "return 1", "limits": map[string]any{"memoryBytes": 128 << 20}}), 200, "")
	expect(t, g.do("POST", "/api/sandbox", map[string]any{"code": "return 1", "limits": map[string]any{"timeMs": 1001}}), 400, "invalid")
	if d := server.DefaultSandboxMax(); d.MemoryLimit != 64<<20 || d.TimeLimit != time.Second || d.StackLimit != 256<<10 || d.ConsoleLimit != 64<<10 {
		t.Errorf("DefaultSandboxMax = %+v, want the library defaults", d)
	}
}

// A Last-Event-ID of this boot beyond the newest event (2^64-1 silenced the
// client for good) is unknown: the client is told to reset, then follows.
func TestEventIDBeyondSequenceResets(t *testing.T) {
	f := newFixture(t)
	stream := f.events("")
	f.do("POST", "/api/modules/counter/reload", map[string]any{})
	boot, _, _ := strings.Cut(stream.until("reloaded").id, "-")
	stream.stop()
	version := 2
	for _, last := range []string{boot + "-18446744073709551615", boot + "-999999", boot + "-x"} {
		s := f.events(last)
		if ev := s.next(); ev.typ != "reset" {
			t.Errorf("Last-Event-ID %s: %+v, want reset", last, ev)
		}
		expect(t, f.do("POST", "/api/modules/counter/reload", map[string]any{}), 200, "")
		version++
		// The buffer is replayed first; the new reload must follow it.
		for {
			var ev hotmod.Event
			if err := json.Unmarshal([]byte(s.until("reloaded").data), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Version == version {
				break
			}
		}
		s.stop()
	}
}

// A number that does not fit a float64 is the client's mistake, named as
// such, not a server error.
func TestCallArgumentOverflowingFloat64Is400(t *testing.T) {
	f := newFixture(t)
	for body, arg := range map[string]string{
		`{"function":"increment","args":[1e999]}`:                       "argument 1",
		`{"function":"increment","args":[1,{"a":[true,-1e400]}]}`:       "argument 2",
		`{"function":"increment","args":[1,2,[[[[1E+1000]]]]]}`:         "argument 3",
		`{"function":"increment","args":[1,"1e999",{"n":1e999,"m":1}]}`: "argument 3",
	} {
		r := f.do("POST", "/api/modules/counter/call", body, "Content-Type", "application/json")
		expect(t, r, 400, "invalid")
		if msg := r.errMessage(t); !strings.Contains(msg, arg) || !strings.Contains(msg, "out of range") {
			t.Errorf("%s: %s, want it to name %s", body, msg, arg)
		}
	}
	r := f.do("POST", "/api/modules/counter/call", `{"function":"increment","args":[1.7e308]}`, "Content-Type", "application/json")
	expect(t, r, 200, "")
	r = f.do("POST", "/api/modules/counter/call", `{"function":"increment","args":[1e-400]}`, "Content-Type", "application/json")
	expect(t, r, 200, "")
}
