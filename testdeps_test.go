package hotmod_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// testOnly are modules only hotmod's own tests need. `go mod tidy` in a
// program loads the tests of every package the program imports, so a test
// of a public package that imports one of them puts it (and what it needs)
// into every user's go.sum, and makes tidy fetch it.
var testOnly = []string{
	"github.com/nats-io/nats-server/",
	"github.com/chromedp/",
	"github.com/hotmod/hotmod/internal/natstest", // starts a nats-server
}

// TestPublicPackagesTestsImportNoTestOnlyModules: the tests of packages a
// program can import (not internal/, cmd/, examples/, bench/) import none
// of the test-only modules; tests that need them live in
// internal/fleettests and internal/dashboardtests, which nobody imports.
func TestPublicPackagesTestsImportNoTestOnlyModules(t *testing.T) {
	err := filepath.WalkDir(".", func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		switch first, _, _ := strings.Cut(filepath.ToSlash(dir), "/"); first {
		case "internal", "cmd", "examples", "bench", "compare", "testdata", "node_modules", "docs":
			return filepath.SkipDir
		}
		if strings.HasPrefix(d.Name(), ".") && dir != "." {
			return filepath.SkipDir
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		for _, f := range files {
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range parsed.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range testOnly {
					if strings.HasPrefix(p, bad) {
						t.Errorf("%s imports %s: it reaches the go.sum of every program that imports %s; move the test to an internal test package (internal/fleettests, internal/dashboardtests)", f, p, dir)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{"internal/fleettests/doc.go", "internal/dashboardtests/doc.go"} {
		if _, err := os.Stat(doc); err != nil {
			t.Error(err)
		}
	}
}
