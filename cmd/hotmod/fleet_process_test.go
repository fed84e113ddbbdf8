package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// goBuild builds a main package into dir, from this module's dependencies
// (the module cache), and returns the binary's path.
func goBuild(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, name)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// process starts bin with args until the test ends, and returns the first
// line of its output that contains want.
func process(t *testing.T, bin, want string, args ...string) string {
	t.Helper()
	_, line := startProcess(t, bin, want, args...)
	return line
}

// startProcess is process, and returns the command too: a test may kill
// it before the end.
func startProcess(t *testing.T, bin, want string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody waits for more: drop
			}
		}
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s %v ended before printing %q", filepath.Base(bin), args, want)
			}
			if strings.Contains(l, want) {
				return cmd, l
			}
		case <-deadline:
			t.Fatalf("%s %v did not print %q within 30s", filepath.Base(bin), args, want)
		}
	}
}

// A fleet of real processes on loopback: a nats-server and three
// `hotmod serve --nats` nodes. A put on one node reaches the others, the
// fleet lists every node, and a rollout reaches only its node until it is
// promoted.
func TestFleetOfProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a fleet of processes")
	}
	dir := t.TempDir()
	natsBin := goBuild(t, dir, "github.com/nats-io/nats-server/v2", "nats-server")
	hotmodBin := goBuild(t, dir, "github.com/hotmod/hotmod/cmd/hotmod", "hotmod")
	port := freePort(t)
	process(t, natsBin, "Server is ready", "-js", "-sd", filepath.Join(dir, "js"), "-a", "127.0.0.1", "-p", fmt.Sprint(port))
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", port)
	var urls []string
	for i := 1; i <= 3; i++ {
		line := process(t, hotmodBin, "dashboard at http://", "serve", "--nats", natsURL, "--addr", "127.0.0.1:0",
			"--node", fmt.Sprintf("n%d", i), "--compile-cache", "")
		urls = append(urls, strings.TrimSuffix(line[strings.Index(line, "http://"):], "/"))
	}
	eventually := func(what string, url string, args []string, want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			out, _, _ := runCLI(t, url, "", args...)
			if strings.Contains(out, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v gives %q, want %q", what, args, out, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ok(t, urls[0], "export const quote = (n) => n * 2", "put", "/price.js", "-")
	for _, u := range urls {
		eventually("the put reached every node", u, []string{"call", "price", "quote", "21"}, "42")
	}
	for _, n := range []string{"n1", "n2", "n3"} {
		eventually("every node in the fleet", urls[2], []string{"fleet"}, n+"  ")
	}
	ok(t, urls[0], "export const quote = (n) => n * 3", "rollout", "start", "/price.js", "-", "--nodes", "n2")
	eventually("the rollout reached n2", urls[1], []string{"call", "price", "quote", "21"}, "63")
	for _, u := range []string{urls[0], urls[2]} {
		if out := ok(t, u, "", "call", "price", "quote", "21"); strings.TrimSpace(out) != "42" {
			t.Errorf("a node outside the rollout serves %q", out)
		}
	}
	ok(t, urls[2], "", "rollout", "promote", "/price.js")
	for _, u := range urls {
		eventually("the promotion reached every node", u, []string{"call", "price", "quote", "21"}, "63")
	}
}
