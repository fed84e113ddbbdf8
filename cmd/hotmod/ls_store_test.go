package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lsLine is the line of `hotmod ls` for module id.
func lsLine(t *testing.T, url, id string) string {
	t.Helper()
	for _, l := range strings.Split(ok(t, url, "", "ls"), "\n") {
		if strings.HasPrefix(l, id+" ") {
			return l
		}
	}
	t.Fatalf("hotmod ls lists no %s", id)
	return ""
}

// After a rollback `hotmod ls` says that the store holds a source that does
// not serve, instead of a bare "ok" (issue 23, item 3).
func TestLsSaysStoreNewerAfterRollback(t *testing.T) {
	url, dir := startServer(t)
	if l := lsLine(t, url, "counter"); !strings.HasSuffix(strings.TrimSpace(l), " ok") {
		t.Fatalf("counter before any change: %q, want ok", l)
	}
	src, err := os.ReadFile(filepath.Join(dir, "counter.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "counter.js"), append(src, "\n// v2\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(lsLine(t, url, "counter"), " v2 "); {
		if time.Now().After(deadline) {
			t.Fatalf("counter never reached v2: %q", lsLine(t, url, "counter"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	ok(t, url, "", "rollback", "counter")
	if l := lsLine(t, url, "counter"); !strings.Contains(l, " v1 ") || !strings.HasSuffix(strings.TrimSpace(l), "ok (store newer)") {
		t.Errorf("counter rolled back to v1: %q, want v1 and ok (store newer)", l)
	}
}
