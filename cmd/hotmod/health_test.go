package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	res, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// A node that stopped reporting is listed stale with its age; during a
// NATS outage hotmod fleet (and a store read) fails within 5 s saying NATS
// is unreachable, /healthz says degraded with the reason, and calls are
// still served. Before, fleet waited 30 s for "context deadline exceeded"
// and /healthz said ok.
func TestFleetStaleAndOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a fleet of processes and a NATS outage")
	}
	srv := natstest.Start(t, natsserver.Options{Host: "127.0.0.1", Port: -1})
	js := natstest.Connect(t, srv)
	ctx := context.Background()
	op, err := natskv.Open(ctx, js, "hotmod", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if err := op.Write(ctx, "/price.js", []byte("export const v = () => 1")); err != nil {
		t.Fatal(err)
	}
	url, lines := startServe(t, "--nats", srv.ClientURL(), "--addr", "127.0.0.1:0", "--node", "alpha", "--compile-cache", "")
	lines.waitFor(t, "1 modules loaded")

	// A node killed: it reported once, and its entry stays in the bucket.
	status, err := fleet.OpenStatus(ctx, js, "hotmod", time.Minute) // serve's TTL
	if err != nil {
		t.Fatal(err)
	}
	mem := vfs.NewMem()
	defer mem.Close()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: mem, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	const interval = 100 * time.Millisecond
	ghost := &fleet.Reporter{Node: "ghost", Runtime: rt, Store: mem, Status: status, Interval: interval}
	if err := ghost.Report(ctx); err != nil {
		t.Fatal(err)
	}
	// Two missed reports (at least a second): time itself is the event.
	time.Sleep(fleet.Status{Interval: interval}.StaleAfter() + 50*time.Millisecond)
	out := ok(t, url, "", "fleet")
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "ghost "):
			if !strings.Contains(l, "stale: no report for") || !strings.Contains(l, "(it reports every 100ms)") {
				t.Errorf("the dead node's line: %q", l)
			}
		case strings.HasPrefix(l, "alpha "):
			if !strings.Contains(l, " ago ") || strings.Contains(l, "stale") || !strings.HasSuffix(l, "ok") {
				t.Errorf("the live node's line: %q", l)
			}
		}
	}
	if !strings.Contains(out, "ghost ") || !strings.Contains(out, "alpha ") {
		t.Errorf("hotmod fleet:\n%s", out)
	}
	if code, body := get(t, url+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz with NATS up: %d %q", code, body)
	}

	srv.Shutdown()
	for _, args := range [][]string{{"fleet"}, {"cat", "/price.js"}, {"rollout", "status"}} {
		start := time.Now()
		_, errOut, code := runCLI(t, url, "", args...)
		if took := time.Since(start); code != 1 || took > 5*time.Second || !strings.Contains(errOut, "unreachable") {
			t.Errorf("hotmod %v with NATS down: exit %d after %v: %q", args, code, took, errOut)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get(t, url+"/healthz")
		if code == 200 && strings.HasPrefix(body, "degraded: NATS is unreachable") {
			t.Logf("/healthz: %s", strings.TrimSpace(body))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz with NATS down: %d %q", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if out := ok(t, url, "", "call", "price", "v"); strings.TrimSpace(out) != "1" {
		t.Errorf("a call during the outage: %q", out)
	}
	if code, body := get(t, url+"/readyz"); code != 200 {
		t.Errorf("/readyz during an outage, after the first load: %d %q", code, body)
	}
}

// /readyz fails (503) until the first load of the store's modules is
// done, here held up by a module whose top level never ends; before there
// was no /readyz.
func TestReadyzAfterFirstLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a-loop.js"), []byte("while (true) {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ok.js"), []byte("export const v = () => 1"), 0o644); err != nil {
		t.Fatal(err)
	}
	url, lines := startServe(t, "--dir", dir, "--addr", "127.0.0.1:0", "--load-timeout", "1s", "--compile-cache", "")
	if code, body := get(t, url+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not ready") {
		t.Errorf("/readyz while loading: %d %q", code, body)
	}
	if code, body := get(t, url+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz while loading: %d %q", code, body)
	}
	lines.waitFor(t, "1 modules loaded")
	if code, body := get(t, url+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz after the first load: %d %q", code, body)
	}
}
