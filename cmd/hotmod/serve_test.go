package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/vfs/natskv"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

// A module whose top level never ends must not keep `hotmod serve` from
// listening: the API is how one finds and removes it.
func TestServeListensBeforeLoading(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"aaa-spin.js": "while (true) {}",
		"counter.js":  "export let n = 0\nexport function inc() { return ++n }",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out syncBuf
	go func() {
		done <- serve(ctx, serveOptions{dir: dir, addr: "127.0.0.1:0", ready: func(a string) { ready <- a }, loadTimeout: time.Second}, &out, &out)
	}()
	var url string
	select {
	case addr := <-ready:
		url = "http://" + addr
	case err := <-done:
		t.Fatalf("serve ended: %v\n%s", err, out.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not listen within 10s with a module that never finishes loading:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "loading modules from") {
		t.Errorf("the output does not say loading is under way:\n%s", out.String())
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, p := range []string{"/api/stats", "/healthz", "/"} {
		res, err := hc.Get(url + p)
		if err != nil {
			t.Fatalf("%s while a module loads: %v", p, err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("%s while a module loads: %d", p, res.StatusCode)
		}
	}
	// Within 10 s of the start the endless module is listed as failed,
	// with its error, and the other module serves.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st hotmod.Stats
		res, err := hc.Get(url + "/api/stats")
		if err == nil {
			err = json.NewDecoder(res.Body).Decode(&st)
			res.Body.Close()
		}
		states := map[string]hotmod.State{}
		for _, m := range st.Modules {
			states[m.ID] = m.State
			if m.ID == "aaa-spin" && m.State == hotmod.StateFailed && !strings.Contains(m.LastError, "limit") {
				t.Errorf("the endless module's error does not say it ran past its limit: %s", m.LastError)
			}
		}
		if err == nil && states["aaa-spin"] == hotmod.StateFailed && states["counter"] == hotmod.StateServing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("within 10s /api/stats did not list aaa-spin as failed and counter as serving: %v %+v\n%s", err, states, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := hc.Get(url + "/api/modules")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"state":"failed"`) {
		t.Errorf("/api/modules does not list the failed module: %d %s", res.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("serve did not stop while a module was loading:\n%s", out.String())
	}
}

// The serve flags reach the server: --allow-host names are answered
// without a token, and sandbox requests over --sandbox-max-* are refused.
func TestServeFlagsReachTheServer(t *testing.T) {
	url, lines := startServe(t, "--dir", t.TempDir(), "--addr", "127.0.0.1:0", "--allow-host", "devbox.test",
		"--sandbox-max-time", "200ms", "--sandbox-max-memory", "32MiB", "--sandbox-max-console", "1KiB", "--sandbox-max-stack", "128KiB",
		"--realms", "2")
	lines.waitFor(t, "0 modules loaded")

	get := func(host string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", url+"/api/stats", nil)
		req.Host = host
		res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := get("devbox.test:7070"); code != 200 {
		t.Errorf("--allow-host name: %d", code)
	}
	if code := get("attacker.example:7070"); code != 403 {
		t.Errorf("another name: %d, want 403", code)
	}
	if out := ok(t, url, "", "ls", "--json"); !strings.Contains(out, `"realms": 2`) {
		t.Errorf("--realms 2: ls --json says %s", out)
	}
	_, errOut, code := runCLI(t, url, "return 1", "exec", "-", "--timeout", "300ms")
	if code != 1 || !strings.Contains(errOut, "timeMs") || !strings.Contains(errOut, "200") {
		t.Errorf("a sandbox request over --sandbox-max-time: exit %d, %q", code, errOut)
	}
	if out := ok(t, url, "return 1", "exec", "-", "--timeout", "200ms"); strings.TrimSpace(out) != "1" {
		t.Errorf("at the maximum: %q", out)
	}
	_, errOut, code = runCLI(t, url, "console.log('x'.repeat(2000))", "exec", "-")
	if code != 1 || !strings.Contains(errOut, "console") {
		t.Errorf("the default console limit is capped by --sandbox-max-console: exit %d, %q", code, errOut)
	}
}

// serve gives modules a process.env of --env flags and NODE_ENV, which is
// "production" unless a flag says otherwise; never its own environment.
func TestServeEnvReachesModules(t *testing.T) {
	t.Setenv("HOTMOD_SERVE_SECRET", "leaked")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, `["production",null,null,["NODE_ENV"]]`},
		{[]string{"--env", "FOO=a=b", "--env", "NODE_ENV=development"}, `["development","a=b",null,["FOO","NODE_ENV"]]`},
	} {
		dir := t.TempDir()
		src := "export const env = () => JSON.stringify([process.env.NODE_ENV, process.env.FOO ?? null, process.env.HOTMOD_SERVE_SECRET ?? null, Object.keys(process.env).sort()])"
		if err := os.WriteFile(filepath.Join(dir, "env.js"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		url, lines := startServe(t, append([]string{"--dir", dir, "--addr", "127.0.0.1:0"}, tc.args...)...)
		lines.waitFor(t, "1 modules loaded")
		var got string
		if err := json.Unmarshal([]byte(ok(t, url, "", "call", "env", "env")), &got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("serve %v: process.env is %s, want %s", tc.args, got, tc.want)
		}
	}
}

func TestServeFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--sandbox-max-memory", "lots"},
		{"--sandbox-max-memory", "0"},
		{"--sandbox-max-console", "-1KiB"},
		{"--sandbox-max-stack", "1TiB"},
		{"--sandbox-max-time", "0s"},
		{"--allow-host", ""},
		{"--allow-host", "http://x.example/"},
		{"--realms", "0"},
		{"--probation-calls", "-1"},
		{"--realms", "65"},
		{"--env", "NOVALUE"},
		{"--env", "=x"},
	} {
		var errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		code := run(ctx, append([]string{"serve", "--dir", t.TempDir(), "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), &bytes.Buffer{}, &errOut)
		cancel()
		if code != 1 || !strings.Contains(errOut.String(), strings.TrimPrefix(args[0], "--")) {
			t.Errorf("%v: exit %d, %q", args, code, errOut.String())
		}
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"65536": 65536, "64KiB": 64 << 10, "256MiB": 256 << 20, "2GiB": 2 << 30, "100B": 100} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for in, want := range map[int64]string{64 << 20: "64MiB", 256 << 10: "256KiB", 1 << 30: "1GiB", 1000: "1000"} {
		b := byteSize(in)
		if got := b.String(); got != want {
			t.Errorf("String(%d) = %q, want %q", in, got, want)
		}
	}
}

// serve --nats: a node loads the bucket's modules and reloads on a put.
func TestServeOnNATS(t *testing.T) {
	srv := natstest.Start(t, natsserver.Options{Host: "127.0.0.1", Port: -1})
	js := natstest.Connect(t, srv)
	ctx0 := context.Background()
	op, err := natskv.Open(ctx0, js, "hotmod", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if err := op.Write(ctx0, "/price.js", []byte("export const v = () => 1")); err != nil {
		t.Fatal(err)
	}

	url, lines := startServe(t, "--nats", srv.ClientURL(), "--addr", "127.0.0.1:0", "--node", "alpha")
	lines.waitFor(t, "1 modules loaded")
	if out := ok(t, url, "", "call", "price", "v"); strings.TrimSpace(out) != "1" {
		t.Errorf("call: %q", out)
	}
	if err := op.Write(ctx0, "/price.js", []byte("export const v = () => 2")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.TrimSpace(ok(t, url, "", "call", "price", "v")) != "2" {
		if time.Now().After(deadline) {
			t.Fatal("the node did not reload on a put to the bucket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The node reports what it serves; a broken push shows there with
	// its position, while the old version serves on.
	if err := op.Write(ctx0, "/price.js", []byte("export const v = () => {")); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		out := ok(t, url, "", "fleet")
		if strings.Contains(out, "alpha") && strings.Contains(out, "failed: reload of price (version 2 keeps serving) failed at compile: /price.js:1:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hotmod fleet does not show the failed push:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out := ok(t, url, "", "call", "price", "v"); strings.TrimSpace(out) != "2" {
		t.Errorf("after a broken push the node serves %q", out)
	}
	// A rollout to this node, then its abort.
	if err := op.Write(ctx0, "/price.js", []byte("export const v = () => 2")); err != nil {
		t.Fatal(err)
	}
	if out := ok(t, url, "export const v = () => 9", "rollout", "start", "/price.js", "-", "--nodes", "alpha"); !strings.Contains(out, "rollout of /price.js started") {
		t.Errorf("rollout start: %q", out)
	}
	waitCall := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for strings.TrimSpace(ok(t, url, "", "call", "price", "v")) != want {
			if time.Now().After(deadline) {
				t.Fatalf("the node does not serve %s", want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitCall("9")
	if out := ok(t, url, "", "rollout", "abort", "/price.js"); !strings.Contains(out, "aborted") {
		t.Errorf("rollout abort: %q", out)
	}
	waitCall("2")
	if _, errOut, code := runCLI(t, url, "", "rollout", "promote", "/price.js"); code != 1 || !strings.Contains(errOut, "no_rollout") {
		t.Errorf("promote without a rollout: %d %q", code, errOut)
	}
	var errOut bytes.Buffer
	if code := run(ctx0, []string{"serve", "--nats", srv.ClientURL(), "--db", "x.db"}, strings.NewReader(""), &bytes.Buffer{}, &errOut); code != 1 || !strings.Contains(errOut.String(), "give one store") {
		t.Errorf("--nats with --db: %d %q", code, errOut.String())
	}
}

// startServe runs `hotmod serve` with args until the test ends, and
// returns its API's URL and its output.
func startServe(t *testing.T, args ...string) (string, *linePipe) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	lines, w := ioPipe()
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), w, w) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	line := lines.waitFor(t, "dashboard at http://")
	return strings.TrimSuffix(line[strings.Index(line, "http://"):], "/"), lines
}
