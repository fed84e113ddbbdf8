package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Issue 23 items 1 and 7: `hotmod stats` and `hotmod ls` show each
// version's calls, the canary's beside the serving version's, and the
// calls a module gets from other modules.
func TestStatsAndLsShowCallFigures(t *testing.T) {
	url, dir := startServer(t)
	src, err := os.ReadFile(filepath.Join(dir, "counter.js"))
	if err != nil {
		t.Fatal(err)
	}
	ok(t, url, string(src)+"\nexport const v2 = true\n", "canary", "counter", "40", "-")
	for i := range 20 {
		ok(t, url, "", "call", "counter", "increment", "--key", fmt.Sprintf("user-%d", i))
	}
	ok(t, url, "", "call", "checkout", "checkout", `"ann"`, `[{"sku":"a","price":2,"quantity":1}]`)

	out := ok(t, url, "", "stats")
	for _, want := range []string{"FROM MODULES", "realm 0: free"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lacks %q:\n%s", want, out)
		}
	}
	// counter's row: v1's calls, then the canary's row below it; the two
	// add up to the 20 keyed calls, and checkout's call came from a module.
	row := regexp.MustCompile(`(?m)^counter\s+v1\s+(\d+)\s+0\s+\S+ ms\s+1\s`).FindStringSubmatch(out)
	canary := regexp.MustCompile(`(?m)^\s+canary\s+v2 \(40%\)\s+(\d+)\s+0\s+\S+ ms`).FindStringSubmatch(out)
	if row == nil || canary == nil {
		t.Fatalf("stats rows:\n%s", out)
	}
	var a, b int
	fmt.Sscan(row[1], &a)
	fmt.Sscan(canary[1], &b)
	if a+b != 20 || a == 0 || b == 0 {
		t.Errorf("v1 %d calls and canary %d calls, want both > 0 and 20 in all:\n%s", a, b, out)
	}
	if !regexp.MustCompile(`(?m)^pricing\s+v1\s+0\s+0\s+-\s+1\s`).MatchString(out) {
		t.Errorf("pricing: no call from Go, one from checkout:\n%s", out)
	}

	ls := ok(t, url, "", "ls")
	want := fmt.Sprintf("v1: %d (0 err, p99 ", a)
	if !strings.Contains(ls, "CALLS") || !strings.Contains(ls, want) || !strings.Contains(ls, fmt.Sprintf("| canary v2: %d (0 err, p99 ", b)) ||
		!strings.Contains(ls, "+1 from modules") {
		t.Errorf("ls lacks the figures (%q, canary %d):\n%s", want, b, ls)
	}
}

// Issue 23 item 2: `hotmod stats` says what holds the realm while a
// runaway call runs.
func TestStatsNamesTheRealmsHolder(t *testing.T) {
	url, dir := startServer(t, func(o *serveOptions) { o.callTimeout = 4 * time.Second })
	if err := os.WriteFile(filepath.Join(dir, "thrower.js"), []byte("export function forever() { for (;;) {} }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(ok(t, url, "", "ls"), "thrower"); {
		if time.Now().After(deadline) {
			t.Fatal("thrower.js was not loaded")
		}
		time.Sleep(50 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { // ended by the server's CallTimeout: the watchdog
		defer close(done)
		runCLI(t, url, "", "call", "thrower", "forever")
	}()
	held := regexp.MustCompile(`realm 0: held by thrower\.forever for \d+(\.\d)? (s|ms)`)
	var out string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if out = ok(t, url, "", "stats"); held.MatchString(out) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats did not name the holder:\n%s", out)
		}
	}
	<-done
	if out := ok(t, url, "", "stats"); !strings.Contains(out, "realm 0: free") {
		t.Errorf("after the runaway:\n%s", out)
	}
}
