package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEditWhileRunning runs the example on a copy of its module, edits the
// file as an editor would, and checks that the count carries on.
func TestEditWhileRunning(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(defaultDir(), "counter.js"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "counter.js")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, dir, 5*time.Millisecond, w); w.Close() }()

	lines := bufio.NewScanner(r)
	next := func(want string) string {
		t.Helper()
		for lines.Scan() {
			if strings.Contains(lines.Text(), want) {
				return lines.Text()
			}
		}
		t.Fatalf("output ended before %q", want)
		return ""
	}
	next("count:3")
	edited := strings.Replace(string(src), "`hello ${caller}`", "`hi again ${caller}`", 1)
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
	next("reloaded counter: version 1 -> 2")
	line := next("hi again go")
	if !strings.HasPrefix(line, "v2 ") || strings.Contains(line, "count:1 ") {
		t.Errorf("after the edit: %q; want version 2 with the count carried on", line)
	}
	cancel()
	go io.Copy(io.Discard, r)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
