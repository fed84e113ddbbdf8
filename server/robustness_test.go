package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

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
