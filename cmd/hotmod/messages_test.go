package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeAddressMessages: a bare port, a port in use and --port each get
// a message that names the fix (--addr HOST:PORT), not the token.
func TestServeAddressMessages(t *testing.T) {
	serveErr := func(o serveOptions) string {
		t.Helper()
		o.dir = cmpOr(o.dir, t.TempDir())
		err := serve(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Fatalf("serve %+v: no error", o)
		}
		return err.Error()
	}
	if msg := serveErr(serveOptions{addr: "7093"}); !strings.Contains(msg, "needs a host") || !strings.Contains(msg, "127.0.0.1:7093") || strings.Contains(msg, "without --token") {
		t.Errorf("--addr 7093: %s", msg)
	}
	if msg := serveErr(serveOptions{addr: "localhost"}); !strings.Contains(msg, "localhost:7070") {
		t.Errorf("--addr localhost: %s", msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if msg := serveErr(serveOptions{addr: ln.Addr().String()}); !strings.Contains(msg, "already in use") || !strings.Contains(msg, "--addr 127.0.0.1:") {
		t.Errorf("a port in use: %s", msg)
	}
	_, errOut, code := runCLI(t, "http://127.0.0.1:1", "", "serve", "--port", "7093")
	if code == 0 || !strings.Contains(errOut, "--addr HOST:PORT") {
		t.Errorf("--port: %d %q", code, errOut)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestServeDirWithMissingParent: a --dir whose parent is missing is
// refused (a likely typo) unless --create; a missing folder in an existing
// one is made, and the output says so.
func TestServeDirWithMissingParent(t *testing.T) {
	base := t.TempDir()
	typo := filepath.Join(base, "porjects", "modules")
	err := serve(context.Background(), serveOptions{dir: typo, addr: "127.0.0.1:0"}, &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, errNoParent) || !strings.Contains(err.Error(), "--create") {
		t.Errorf("a missing parent: %v", err)
	}
	if _, err := os.Stat(filepath.Join(base, "porjects")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing parent was made: %v", err)
	}
	for _, c := range []struct {
		dir    string
		create bool
	}{{filepath.Join(base, "modules"), false}, {typo, true}} {
		var out bytes.Buffer
		if err := openDir(c.dir, c.create, &out); err != nil {
			t.Errorf("%s (create %v): %v", c.dir, c.create, err)
		}
		if fi, err := os.Stat(c.dir); err != nil || !fi.IsDir() || !strings.Contains(out.String(), "created the empty folder "+c.dir) {
			t.Errorf("%s: %v, output %q", c.dir, err, out.String())
		}
	}
	var out bytes.Buffer
	if err := openDir(typo, false, &out); err != nil || out.Len() != 0 {
		t.Errorf("an existing folder: %v %q", err, out.String())
	}
}

// TestTokenAndHistoryMessages: a wrong token reads differently from a
// missing one, and history on a folder store says what keeps history
// instead of naming a Go type.
func TestTokenAndHistoryMessages(t *testing.T) {
	url, _ := startServer(t, func(o *serveOptions) { o.token = "s3cret" })
	_, missing, _ := runCLI(t, url, "", "ls")
	_, wrong, _ := runCLI(t, url, "", "--token", "guess", "ls")
	if !strings.Contains(missing, "no token was sent") || !strings.Contains(missing, "pass the server's token") {
		t.Errorf("no token: %q", missing)
	}
	if !strings.Contains(wrong, "not this server's token") || !strings.Contains(wrong, "not the one the server was started with") || strings.Contains(wrong, "pass the server's token") {
		t.Errorf("a wrong token: %q", wrong)
	}
	_, errOut, code := runCLI(t, url, "", "--token", "s3cret", "history", "/counter.js")
	if code == 0 || !strings.Contains(errOut, "--db") || !strings.Contains(errOut, "--nats") || strings.Contains(errOut, "vfs.") {
		t.Errorf("history on a folder: %d %q", code, errOut)
	}
}
