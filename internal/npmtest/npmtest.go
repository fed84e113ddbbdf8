// Package npmtest installs pinned npm packages for tests and benchmarks.
package npmtest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Install installs pinned packages into a cache folder shared by test
// runs (the npm registry is the one network the tests use, here only) and
// returns the folder holding node_modules. `.ci/run` installs npm.
func Install(t testing.TB, pkgs ...string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(strings.Join(pkgs, " ")))
	root := filepath.Join(os.TempDir(), "hotmod-npm-cache", hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(root, "node_modules")); err == nil {
		return root
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("the npm package tests need npm (apt-get install -y npm; .ci/run installs it): %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(root), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(root), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	args := append([]string{"install", "--prefix", tmp, "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"}, pkgs...)
	cmd := exec.Command(npm, args...)
	done := make(chan struct{})
	var out []byte
	go func() { defer close(done); out, err = cmd.CombinedOutput() }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("npm install %v did not finish in 3 minutes", pkgs)
	}
	if err != nil {
		t.Fatalf("npm install %v: %v\n%s", pkgs, err, out)
	}
	// A concurrent run may have won: either copy is whole.
	if err := os.Rename(tmp, root); err != nil && !os.IsExist(err) {
		if _, statErr := os.Stat(filepath.Join(root, "node_modules")); statErr != nil {
			t.Fatal(err)
		}
	}
	return root
}
