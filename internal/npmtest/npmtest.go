// Package npmtest installs pinned npm packages for tests and benchmarks.
package npmtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	if testing.Short() {
		t.Skipf("-short: needs npm packages %v from the registry", pkgs)
	}
	root, err := Fetch(pkgs...)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Fetch is Install for a program (bench/compare): the folder, or why not.
func Fetch(pkgs ...string) (string, error) {
	sum := sha256.Sum256([]byte(strings.Join(pkgs, " ")))
	root := filepath.Join(os.TempDir(), "hotmod-npm-cache", hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(root, "node_modules")); err == nil {
		return root, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("the npm packages need npm (apt-get install -y npm; .ci/run installs it): %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(root), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(root), "install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	args := append([]string{"install", "--prefix", tmp, "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"}, pkgs...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, npm, args...).CombinedOutput()
	if ctx.Err() != nil {
		return "", fmt.Errorf("npm install %v did not finish in 3 minutes", pkgs)
	}
	if err != nil {
		return "", fmt.Errorf("npm install %v: %w\n%s", pkgs, err, out)
	}
	// A concurrent run may have won: either copy is whole.
	if err := os.Rename(tmp, root); err != nil && !os.IsExist(err) {
		if _, statErr := os.Stat(filepath.Join(root, "node_modules")); statErr != nil {
			return "", err
		}
	}
	return root, nil
}
