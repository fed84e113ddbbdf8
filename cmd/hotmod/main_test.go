package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// startServer runs `hotmod serve` on a random loopback port over a copy of
// examples/modules and returns its URL once the modules have loaded.
func startServer(t *testing.T, opts ...func(*serveOptions)) (url string, dir string) {
	t.Helper()
	dir = t.TempDir()
	for _, name := range []string{"counter.js", "pricing.ts", "checkout.js"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "modules", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	loaded := make(chan struct{})
	done := make(chan error, 1)
	var out syncBuf
	go func() {
		o := serveOptions{dir: dir, addr: "127.0.0.1:0", ready: func(a string) { ready <- a }, loaded: func() { close(loaded) }}
		for _, fn := range opts {
			fn(&o)
		}
		done <- serve(ctx, o, &out, &out)
	}()
	select {
	case addr := <-ready:
		select {
		case <-loaded:
		case <-time.After(30 * time.Second):
			cancel()
			t.Fatalf("the modules did not load:\n%s", out.String())
		}
		if !strings.Contains(out.String(), "3 modules loaded") {
			t.Errorf("no count of loaded modules:\n%s", out.String())
		}
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			if !strings.Contains(out.String(), "shutting down") {
				t.Errorf("no graceful shutdown:\n%s", out.String())
			}
		})
		return "http://" + addr, dir
	case err := <-done:
		cancel()
		t.Fatalf("serve ended: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	return "", ""
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// runCLI runs one command line against url.
func runCLI(t *testing.T, url, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"--server", url}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

func ok(t *testing.T, url, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := runCLI(t, url, stdin, args...)
	if code != 0 {
		t.Fatalf("hotmod %v: exit %d: %s", args, code, errOut)
	}
	return out
}

func TestCommands(t *testing.T) {
	url, dir := startServer(t)
	if out := ok(t, url, "", "ls"); !strings.Contains(out, "counter") || !strings.Contains(out, "pricing") || !strings.Contains(out, "/checkout.js") {
		t.Errorf("ls:\n%s", out)
	}
	var list struct {
		Modules []struct{ ID string } `json:"modules"`
	}
	if err := json.Unmarshal([]byte(ok(t, url, "", "ls", "--json")), &list); err != nil || len(list.Modules) != 3 {
		t.Errorf("ls --json: %v %+v", err, list)
	}
	if out := ok(t, url, "", "call", "counter", "increment", "alice", "5"); !strings.Contains(out, `"count": 5`) {
		t.Errorf("call:\n%s", out)
	}
	if out := ok(t, url, "", "call", "checkout", "checkout", "bob", `[{"sku":"a","price":10,"quantity":2}]`); !strings.Contains(out, `"total": 24`) {
		t.Errorf("call with JSON:\n%s", out)
	}
	_, errOut, code := runCLI(t, url, "", "call", "checkout", "checkout", "bob", "[]")
	if code == 0 || !strings.Contains(errOut, "an order needs items") || !strings.Contains(errOut, "/checkout.js:7:") {
		t.Errorf("a throwing call: exit %d, %q", code, errOut)
	}
	if out := ok(t, url, "", "reload", "counter"); !strings.Contains(out, "counter is at v2") {
		t.Errorf("reload: %s", out)
	}
	if out := ok(t, url, "", "rollback", "counter"); !strings.Contains(out, "back at v1") {
		t.Errorf("rollback: %s", out)
	}
	_, errOut, code = runCLI(t, url, "", "rollback", "counter", "7")
	if code != 1 || !strings.Contains(errOut, "version_not_kept") {
		t.Errorf("rollback to a version not kept: %d %q", code, errOut)
	}
	out := ok(t, url, "(original) => function (caller, by) { return original.call(this, caller, by * 10) }", "patch", "counter", "increment", "-")
	if !strings.Contains(out, "patch p1") {
		t.Fatalf("patch: %s", out)
	}
	// 5 from alice, 1 from bob's checkout, then 1 × 10 through the patch.
	if out := ok(t, url, "", "call", "counter", "increment", "carol", "1"); !strings.Contains(out, `"count": 16`) {
		t.Errorf("patched call: %s", out)
	}
	if out := ok(t, url, "", "unpatch", "p1"); !strings.Contains(out, "rolled back") {
		t.Errorf("unpatch: %s", out)
	}
	if out := ok(t, url, "", "profile", "counter", "--for", "50ms"); !strings.Contains(out, "FUNCTION") {
		t.Errorf("profile: %s", out)
	}
	if out := ok(t, url, "return context.a + context.b", "exec", "-", "--var", "a=1", "--var", "b=2"); strings.TrimSpace(out) != "3" {
		t.Errorf("exec: %q", out)
	}
	_, errOut, code = runCLI(t, url, "while (true) {}", "exec", "-", "--timeout", "50ms")
	if code != 1 || !strings.Contains(errOut, "time limit") {
		t.Errorf("exec over its time: %d %q", code, errOut)
	}
	if out := ok(t, url, "export function hello() { return 'hi' }", "put", "/greet.js", "-"); !strings.Contains(out, "wrote") {
		t.Errorf("put: %s", out)
	}
	if out := ok(t, url, "", "cat", "/greet.js"); out != "export function hello() { return 'hi' }" {
		t.Errorf("cat: %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "greet.js")); err != nil {
		t.Errorf("put did not reach the folder: %v", err)
	}
	_, errOut, code = runCLI(t, url, "", "history", "/greet.js")
	if code != 1 || !strings.Contains(errOut, "not_supported") {
		t.Errorf("history on a folder store: %d %q", code, errOut)
	}
	if out := ok(t, url, "", "stats"); !strings.Contains(out, "modules:") || !strings.Contains(out, "sandbox runs: 2") {
		t.Errorf("stats:\n%s", out)
	}
	_, errOut, code = runCLI(t, url, "", "call", "nope", "x")
	if code != 1 || !strings.HasPrefix(errOut, "hotmod: not found") {
		t.Errorf("unknown module: %d %q", code, errOut)
	}
	_, errOut, code = runCLI(t, "http://127.0.0.1:1", "", "ls")
	if code != 1 || !strings.Contains(errOut, "no hotmod server answers at http://127.0.0.1:1") {
		t.Errorf("no server: %d %q", code, errOut)
	}
	_, _, code = runCLI(t, url, "", "call", "counter")
	if code != 1 {
		t.Error("missing arguments must fail")
	}
	if out := ok(t, url, "", "call", "--help"); !strings.Contains(out, "Examples:") {
		t.Errorf("help without examples:\n%s", out)
	}
}

func TestEventsCommandFollows(t *testing.T) {
	url, dir := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := ioPipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--server", url, "events"}, strings.NewReader(""), pw, &bytes.Buffer{})
	}()
	// Edit a module's file as an editor would; the stream reports the reload.
	tmp := filepath.Join(dir, ".pricing.ts.swp")
	_ = os.WriteFile(tmp, []byte("export const taxRate: number = 0.1\nexport function quote() { return 1 }"), 0o644)
	_ = os.Rename(tmp, filepath.Join(dir, "pricing.ts"))
	line := pr.waitFor(t, "reloaded pricing v1→v2")
	if line == "" {
		t.Fatal("no reloaded line")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("events exit %d", code)
	}
}

func TestServeRules(t *testing.T) {
	err := serve(context.Background(), serveOptions{dir: t.TempDir(), addr: "0.0.0.0:0"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "without --token") {
		t.Errorf("non-loopback without a token: %v", err)
	}
	url, _ := startServer(t, func(o *serveOptions) { o.token = "s3cret" })
	_, errOut, code := runCLI(t, url, "", "ls")
	if code != 1 || !strings.Contains(errOut, "unauthorized") {
		t.Errorf("without the token: %d %q", code, errOut)
	}
	if out := ok(t, url, "", "--token", "s3cret", "ls"); !strings.Contains(out, "counter") {
		t.Errorf("with the token: %s", out)
	}
	// A missing folder is created, with --create even its parents.
	missing := filepath.Join(t.TempDir(), "fresh", "modules")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, serveOptions{dir: missing, create: true, addr: "127.0.0.1:0", ready: func(a string) { ready <- a }}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	<-ready
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(missing); err != nil {
		t.Errorf("folder not created: %v", err)
	}
}

// A tiny line pipe that a test can wait on.
type linePipe struct {
	mu    sync.Mutex
	lines []string
	buf   string
	more  chan struct{}
}

func ioPipe() (*linePipe, *linePipe) {
	p := &linePipe{more: make(chan struct{}, 1)}
	return p, p
}

func (p *linePipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.buf += string(b)
	for {
		i := strings.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.lines = append(p.lines, p.buf[:i])
		p.buf = p.buf[i+1:]
	}
	p.mu.Unlock()
	select {
	case p.more <- struct{}{}:
	default:
	}
	return len(b), nil
}

func (p *linePipe) waitFor(t *testing.T, s string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if strings.Contains(l, s) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		select {
		case <-p.more:
		case <-deadline:
			t.Fatalf("no line with %q in %q", s, p.lines)
		}
	}
}

// serve --db: the modules live in a bbolt file; a file put through the API
// is loaded, and its history is there.
func TestServeFromBolt(t *testing.T) {
	db := filepath.Join(t.TempDir(), "modules.db")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, serveOptions{db: db, addr: "127.0.0.1:0", ready: func(a string) { ready <- a }}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	url := "http://" + <-ready
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	// Follow the event stream: the loader's load and the reload are events.
	evCtx, stopEvents := context.WithCancel(context.Background())
	defer stopEvents()
	lines, w := ioPipe()
	go run(evCtx, []string{"--server", url, "events"}, strings.NewReader(""), w, &bytes.Buffer{})
	ok(t, url, "export function hi(who) { return 'hi ' + who }", "put", "/greet.js", "-")
	lines.waitFor(t, "created greet v1")
	ok(t, url, "export function hi(who) { return 'hello ' + who }", "put", "/greet.js", "-")
	lines.waitFor(t, "reloaded greet v1→v2")
	if out := ok(t, url, "", "call", "greet", "hi", "bolt"); !strings.Contains(out, "hello bolt") {
		t.Errorf("the module in the bbolt store serves %q", out)
	}
	out := ok(t, url, "", "history", "/greet.js")
	if strings.Count(out, "created")+strings.Count(out, "modified") != 2 {
		t.Errorf("history:\n%s", out)
	}
	// restore brings revision 1 back as the content; the module reloads.
	var hist struct {
		Revisions []struct{ Rev uint64 } `json:"revisions"`
	}
	if err := json.Unmarshal([]byte(ok(t, url, "", "history", "/greet.js", "--json")), &hist); err != nil || len(hist.Revisions) != 2 {
		t.Fatalf("history --json: %v %+v", err, hist)
	}
	first := fmt.Sprint(hist.Revisions[1].Rev)
	if out := ok(t, url, "", "restore", "/greet.js", "--revision", first); !strings.Contains(out, "restored /greet.js to revision "+first) {
		t.Errorf("restore:\n%s", out)
	}
	lines.waitFor(t, "reloaded greet v2→v3")
	if out := ok(t, url, "", "call", "greet", "hi", "bolt"); !strings.Contains(out, "hi bolt") {
		t.Errorf("after restore, greet serves %q", out)
	}
	if _, errOut, code := runCLI(t, url, "", "restore", "/greet.js"); code == 0 || !strings.Contains(errOut, "--revision") {
		t.Errorf("restore without a revision: exit %d, %s", code, errOut)
	}
	// rm deletes the file, and the module goes with it: nothing imports it.
	ok(t, url, "", "rm", "/greet.js")
	if _, _, code := runCLI(t, url, "", "cat", "/greet.js"); code == 0 {
		t.Error("cat of a removed file succeeded")
	}
	lines.waitFor(t, "removed greet")
	if out, _, code := runCLI(t, url, "", "call", "greet", "hi", "bolt"); code == 0 {
		t.Errorf("after rm, greet still serves %q", out)
	}
}

// The help's examples of call work on examples/modules as shipped; call
// without a function says how to use it; rescan loads what the store holds.
func TestCallExamplesAndRescan(t *testing.T) {
	url, dir := startServer(t)
	root := newRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	callCmd, _, err := root.Find([]string{"call"})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(callCmd.Example, "\n") {
		args := shellWords(strings.TrimSpace(line))
		if len(args) < 2 || args[0] != "hotmod" {
			continue
		}
		if _, errOut, code := runCLI(t, url, "", args[1:]...); code != 0 {
			t.Errorf("the help's example %q: exit %d: %s", line, code, errOut)
		}
	}
	if _, errOut, code := runCLI(t, url, "", "call", "counter"); code == 0 || !strings.Contains(errOut, "usage: hotmod call MODULE FUNCTION") {
		t.Errorf("call without a function: exit %d: %s", code, errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.js"), []byte("export const = 1"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := ok(t, url, "", "rescan")
	if !strings.Contains(out, "3 modules loaded, 1 failed") || !strings.Contains(out, "broken:") {
		t.Errorf("rescan:\n%s", out)
	}
}

// shellWords splits a command line as a shell would for the quoting the
// help's examples use: spaces, and single-quoted words.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// `hotmod put PATH DIR` writes a folder as one change: an export renamed in
// pricing.ts together with its use in checkout.js reloads both in one
// transaction, with no failed reload on the way; a batch with a write that
// fails leaves the store as it was.
func TestPutFolderIsOneTransaction(t *testing.T) {
	url, dir := startServer(t)
	pricing, err := os.ReadFile(filepath.Join(dir, "pricing.ts"))
	if err != nil {
		t.Fatal(err)
	}
	checkout, err := os.ReadFile(filepath.Join(dir, "checkout.js"))
	if err != nil {
		t.Fatal(err)
	}
	edit := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(edit, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pricing.ts", strings.Replace(string(pricing), "export function quote(", "export function price(", 1))
	write("checkout.js", strings.ReplaceAll(string(checkout), "quote", "price"))
	if out := ok(t, url, "", "put", "/", edit); !strings.Contains(out, "wrote 2 files") {
		t.Errorf("put of a folder:\n%s", out)
	}
	type mod struct {
		ID            string `json:"id"`
		Version       int    `json:"version"`
		FailedReloads int    `json:"failedReloads"`
		LastError     string `json:"lastError"`
	}
	versions := func() map[string]mod {
		var list struct{ Modules []mod }
		if err := json.Unmarshal([]byte(ok(t, url, "", "ls", "--json")), &list); err != nil {
			t.Fatal(err)
		}
		out := map[string]mod{}
		for _, m := range list.Modules {
			out[m.ID] = m
		}
		return out
	}
	deadline := time.Now().Add(10 * time.Second)
	for v := versions(); v["pricing"].Version != 2 || v["checkout"].Version != 2; v = versions() {
		if v["pricing"].FailedReloads+v["checkout"].FailedReloads > 0 {
			t.Fatalf("a reload failed on the way: %+v", v)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the folder's modules did not both reload: %+v", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out := ok(t, url, "", "call", "checkout", "checkout", "bob", `[{"sku":"a","price":10,"quantity":2}]`); !strings.Contains(out, `"total": 24`) {
		t.Errorf("checkout after the edit:\n%s", out)
	}

	// A path that cannot be written refuses the batch before anything is
	// written.
	bad := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bad, "counter.js"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"a-new.js": "export const x = 1", "counter.js/inner.js": "export const y = 2"} {
		if err := os.WriteFile(filepath.Join(bad, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, errOut, code := runCLI(t, url, "", "put", "/", bad); code == 0 || !strings.Contains(errOut, "conflict") {
		t.Errorf("a batch with a path under a file: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "a-new.js")); !os.IsNotExist(err) {
		t.Errorf("the refused batch left a-new.js in the store: %v", err)
	}

	// A write that fails midway (the batch makes /zz a folder, then writes
	// a file at /zz) puts back what the batch had written.
	body := `{"files":[{"path":"/zz/a.js","content":"` + base64.StdEncoding.EncodeToString([]byte("export const a = 1")) + `"},{"path":"/zz","content":""}]}`
	res, err := http.Post(url+"/api/files", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode < 400 || !strings.Contains(string(msg), "nothing of the batch was kept") {
		t.Errorf("a batch whose second write fails: %d %s", res.StatusCode, msg)
	}
	// Data after the batch (a second batch, garbage) is refused whole.
	two := `{"files":[{"path":"/y.js","content":""}]}{"files":[{"path":"/z.js","content":""}]}`
	if res, err := http.Post(url+"/api/files", "application/json", strings.NewReader(two)); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != http.StatusBadRequest {
		t.Errorf("two batches in one body: %d", res.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(dir, "y.js")); !os.IsNotExist(err) {
		t.Errorf("a refused body wrote y.js: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "zz", "a.js")); !os.IsNotExist(err) {
		t.Errorf("the failed batch left /zz/a.js in the store: %v", err)
	}
}

// A compile cache folder that cannot be made (no home, a file in the way)
// costs a warning, not the server.
func TestServeRunsWithoutAnUnusableCompileCache(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	url, _ := startServer(t, func(o *serveOptions) { o.compileCache = filepath.Join(blocker, "cache") })
	if out := ok(t, url, "", "call", "counter", "increment", "alice", "1"); !strings.Contains(out, `"count": 1`) {
		t.Errorf("call:\n%s", out)
	}
}

// --help never shows $HOTMOD_TOKEN's value, which is still used.
func TestTokenIsNotPrintedByHelp(t *testing.T) {
	t.Setenv("HOTMOD_TOKEN", "s3cret-value")
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"ls", "--help"}, strings.NewReader(""), &out, &errOut)
	if strings.Contains(out.String()+errOut.String(), "s3cret-value") {
		t.Errorf("--help prints the token:\n%s", out.String())
	}
	url, _ := startServer(t, func(o *serveOptions) { o.token = "s3cret-value"; o.addr = "127.0.0.1:0" })
	if out := ok(t, url, "", "ls"); !strings.Contains(out, "counter") {
		t.Errorf("the token from $HOTMOD_TOKEN was not sent:\n%s", out)
	}
}

// A missing token says how to give one; a server on every interface prints
// a URL a browser opens.
func TestMessagesAUserCanActOn(t *testing.T) {
	url, _ := startServer(t, func(o *serveOptions) { o.token = "s3cret" })
	t.Setenv("HOTMOD_TOKEN", "")
	if _, errOut, code := runCLI(t, url, "", "ls"); code == 0 || !strings.Contains(errOut, "--token or $HOTMOD_TOKEN") {
		t.Errorf("without the token: exit %d: %s", code, errOut)
	}
	for addr, want := range map[string]string{"0.0.0.0:7070": "http://localhost:7070/", "[::]:80": "http://localhost:80/", "127.0.0.1:9": "http://127.0.0.1:9/"} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := browserURL(a); got != want {
			t.Errorf("browserURL(%s) = %s, want %s", addr, got, want)
		}
	}
}

// Errors are one sentence with one "hotmod:", a listing says why a module
// failed, a FILE that is not there says how to pass code, and a server
// that is not running is named as such.
func TestErrorsReadAsOneSentence(t *testing.T) {
	url, dir := startServer(t)
	if err := os.WriteFile(filepath.Join(dir, "broken.js"), []byte("export const x = ;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, url, "", "rescan")
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"call", "pricing", "nope"}, "", `hotmod: call pricing.nope: pricing has no export "nope" (its functions: quote, subtotal)`},
		{[]string{"call", "counter", "count"}, "", "hotmod: call counter.count: not a function: it is a number"},
		{[]string{"reload", "broken"}, "", `hotmod: load broken failed at compile: /broken.js:1:18: Unexpected ";"`},
		{[]string{"exec", "return 1 +"}, "", `hotmod: no file "return 1 +" (give a file's name, or - to read standard input)`},
		{[]string{"exec", "-"}, "return 1 +\n", "hotmod: sandbox:1:11: Unexpected end of the code"},
		{[]string{"patch", "counter", "increment", "-"}, "(o) => function () {\n  return o(\n", "hotmod: patch:counter.increment:2:12: Unexpected end of the code"},
		{[]string{"patch", "counter", "nope", "-"}, "(o) => o", `hotmod: patch counter.nope: invalid patch: counter has no export "nope"`},
	} {
		_, errOut, code := runCLI(t, url, tc.stdin, tc.args...)
		if code == 0 || !strings.HasPrefix(errOut, tc.want) || strings.Count(errOut, "hotmod:") != 1 {
			t.Errorf("hotmod %s: exit %d:\n%s\nwant it to start %q, with one hotmod:", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
	if err := os.Remove(filepath.Join(dir, "broken.js")); err != nil {
		t.Fatal(err)
	}
	// The runtime drops a failed module whose source is deleted, so the
	// reload may find the source gone or the module already removed.
	if _, errOut, _ := runCLI(t, url, "", "reload", "broken"); !strings.HasPrefix(errOut, "hotmod: ") || !strings.Contains(errOut, "broken") || !strings.Contains(errOut, "not found") || strings.Count(errOut, "hotmod:") != 1 {
		t.Errorf("reload of a deleted source: %s", errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.js"), []byte("export const x = ;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, url, "", "rescan")
	if out := ok(t, url, "", "ls"); !strings.Contains(out, `failed at compile: /broken.js:1:18: Unexpected ";"`) || strings.Contains(out, "load broken") {
		t.Errorf("ls of a failed module:\n%s", out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if _, errOut, _ := runCLI(t, closed, "", "ls"); errOut != "hotmod: no hotmod server answers at "+closed+" (start one with `hotmod serve`, or pass --server or set $HOTMOD_SERVER)\n" {
		t.Errorf("no server: %q", errOut)
	}
}

// --json prints durations in milliseconds and empty lists as [].
func TestJSONOutputShapes(t *testing.T) {
	url, _ := startServer(t)
	decode := func(stdin string, args ...string) map[string]any {
		t.Helper()
		var v map[string]any
		out := ok(t, url, stdin, append(args, "--json")...)
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("hotmod %v --json: %v\n%s", args, err, out)
		}
		if strings.Contains(out, "null") {
			t.Errorf("hotmod %v --json has a null:\n%s", args, out)
		}
		return v
	}
	ok(t, url, "", "call", "counter", "increment", "2")
	ls := decode("", "ls")
	counter := ls["modules"].([]any)[1].(map[string]any)
	if counter["id"] != "counter" || counter["versions"].([]any)[0].(map[string]any)["tookMs"].(float64) <= 0 {
		t.Errorf("ls: %v", counter)
	}
	if p, ok := counter["patches"].([]any); !ok || len(p) != 0 {
		t.Errorf("no patches: %v", counter["patches"])
	}
	prof := decode("", "profile", "counter", "--for", "50ms")
	if _, ok := prof["durationMs"].(float64); !ok || prof["duration"] != nil {
		t.Errorf("profile: %v", prof)
	}
	if fs, ok := prof["functions"].([]any); !ok || len(fs) != 0 {
		t.Errorf("a profile with no calls lists functions %v", prof["functions"])
	}
	ex := decode("return 1", "exec", "-")
	if _, ok := ex["durationMs"].(float64); !ok || ex["value"] != 1.0 {
		t.Errorf("exec: %v", ex)
	}
	if c, ok := ex["console"].([]any); !ok || len(c) != 0 {
		t.Errorf("exec without console output: %v", ex["console"])
	}
	st := decode("", "stats")
	if _, ok := st["modules"].([]any); !ok {
		t.Errorf("stats: %v", st)
	}
}

func TestSnapshotCommands(t *testing.T) {
	url, dir := startServer(t)
	orig, err := os.ReadFile(filepath.Join(dir, "counter.js"))
	if err != nil {
		t.Fatal(err)
	}
	if out := ok(t, url, "", "snapshot", "before"); !strings.Contains(out, "snapshot before: 3 modules") {
		t.Errorf("snapshot: %s", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "counter.js"), append(orig, []byte("\nexport const added = 1\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(ok(t, url, "", "ls"), "v2") {
		if time.Now().After(deadline) {
			t.Fatal("the edit was not reloaded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out := ok(t, url, "", "restore-snapshot", "before"); !strings.Contains(out, "restored before: 3 modules") {
		t.Errorf("restore-snapshot: %s", out)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "counter.js")); string(now) != string(orig) {
		t.Errorf("the folder was not given the snapshot's source back: %q", now)
	}
	if out := ok(t, url, "", "snapshots"); strings.TrimSpace(out) != "before" {
		t.Errorf("snapshots: %q", out)
	}
	_, errOut, code := runCLI(t, url, "", "restore-snapshot", "nope")
	if code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("an unknown snapshot: %d %q", code, errOut)
	}
	_, errOut, code = runCLI(t, url, "", "snapshot", "../up")
	if code != 1 || !strings.Contains(errOut, "invalid snapshot name") {
		t.Errorf("a bad name: %d %q", code, errOut)
	}
}

func TestCanaryCommands(t *testing.T) {
	url, dir := startServer(t)
	src, err := os.ReadFile(filepath.Join(dir, "counter.js"))
	if err != nil {
		t.Fatal(err)
	}
	v2 := string(src) + "\nexport const canaried = () => true\n"
	if out := ok(t, url, v2, "canary", "counter", "100", "-"); !strings.Contains(out, "counter: v2 serves 100% of keyed calls, v1 the rest") {
		t.Errorf("canary: %s", out)
	}
	if out := ok(t, url, "", "call", "counter", "canaried", "--key", "alice"); strings.TrimSpace(out) != "true" {
		t.Errorf("a keyed call on a 100%% canary: %q", out)
	}
	if _, errOut, code := runCLI(t, url, "", "call", "counter", "canaried"); code != 1 || !strings.Contains(errOut, "no export") {
		t.Errorf("an unkeyed call reached the canary: %d %q", code, errOut)
	}
	if out := ok(t, url, "", "canary", "counter", "10"); !strings.Contains(out, "10%") {
		t.Errorf("canary percent: %s", out)
	}
	if out := ok(t, url, "", "promote", "counter"); !strings.Contains(out, "counter is at v2") {
		t.Errorf("promote: %s", out)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "counter.js")); string(now) != v2 {
		t.Errorf("promote did not write the canary's source to the folder: %q", now)
	}
	if _, errOut, code := runCLI(t, url, "", "abort", "counter"); code != 1 || !strings.Contains(errOut, "no_canary") {
		t.Errorf("abort without a canary: %d %q", code, errOut)
	}
	if _, errOut, code := runCLI(t, url, "", "canary", "counter", "120"); code != 1 || !strings.Contains(errOut, "0 to 100") {
		t.Errorf("canary 120: %d %q", code, errOut)
	}
}

// `hotmod call` of a function whose result JSON cannot hold prints the
// server's error naming the value and where, and exits non-zero: no "null".
func TestCallResultJSONCannotHold(t *testing.T) {
	url, dir := startServer(t)
	src := "export const nan = () => NaN\nexport const inf = () => Infinity\nexport const negInf = () => -Infinity\n" +
		"export const nested = () => ({ items: [1, { v: -Infinity }] })\n"
	if err := os.WriteFile(filepath.Join(dir, "nonjson.js"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, url, "", "rescan")
	for _, tc := range []struct{ fn, want string }{
		{"nan", "hotmod: call nonjson.nan: result is NaN: JSON cannot hold it (unrepresentable_result)\n"},
		{"inf", "hotmod: call nonjson.inf: result is Infinity: JSON cannot hold it (unrepresentable_result)\n"},
		{"negInf", "hotmod: call nonjson.negInf: result is -Infinity: JSON cannot hold it (unrepresentable_result)\n"},
		{"nested", "hotmod: call nonjson.nested: result.items[1].v is -Infinity: JSON cannot hold it (unrepresentable_result)\n"},
	} {
		for _, args := range [][]string{{"call", "nonjson", tc.fn}, {"call", "--json", "nonjson", tc.fn}} {
			out, errOut, code := runCLI(t, url, "", args...)
			if code == 0 || out != "" || errOut != tc.want {
				t.Errorf("hotmod %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", strings.Join(args, " "), code, out, errOut, tc.want)
			}
		}
	}
}

// A server that answers 200 with nothing where the CLI expects an answer
// (an older server, a proxy) is an error, not a printed null.
func TestCallOfAnEmptyAnswerIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	out, errOut, code := runCLI(t, srv.URL, "", "call", "m", "f")
	if code == 0 || out != "" || !strings.Contains(errOut, "the server's answer is empty") {
		t.Errorf("exit %d, stdout %q, stderr %q; want an error", code, out, errOut)
	}
}
