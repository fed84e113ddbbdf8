package vfs_test

import (
	"errors"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/vfstest"
)

func TestValidatePath(t *testing.T) {
	for p, rule := range vfstest.BadPaths {
		err := vfs.ValidatePath(p)
		var pe *vfs.PathError
		if !errors.As(err, &pe) || !errors.Is(err, vfs.ErrInvalidPath) || !strings.Contains(pe.Rule, rule) {
			t.Errorf("ValidatePath(%q) = %v, want a PathError for %q", p, err, rule)
		}
	}
	for _, p := range []string{"/a", "/a/b.js", "/.x", "/a..b", "/" + strings.Repeat("x", 1023)} {
		if err := vfs.ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v", p, err)
		}
	}
	if err := vfs.ValidatePath("/"); err == nil {
		t.Error("the root is not a file path")
	}
}

func TestValidatePrefix(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/": "/", "/a": "/a", "/a/": "/a", "/a/b": "/a/b"} {
		if got, err := vfs.ValidatePrefix(in); err != nil || got != want {
			t.Errorf("ValidatePrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"a", "/a//", "/a/../b", "//"} {
		if _, err := vfs.ValidatePrefix(in); !errors.Is(err, vfs.ErrInvalidPath) {
			t.Errorf("ValidatePrefix(%q) = %v, want ErrInvalidPath", in, err)
		}
	}
}

// FuzzValidatePath checks that every accepted path has the properties the
// stores rely on, and that every rejection is a PathError naming the path.
func FuzzValidatePath(f *testing.F) {
	for p := range vfstest.BadPaths {
		f.Add(p)
	}
	for _, p := range []string{"/a", "/a/b.js", "/", "/.x", "/a..b/c"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := vfs.ValidatePath(p)
		if err != nil {
			var pe *vfs.PathError
			if !errors.As(err, &pe) || pe.Path != p || pe.Rule == "" || !errors.Is(err, vfs.ErrInvalidPath) {
				t.Fatalf("ValidatePath(%q) = %#v: not a PathError naming the path and rule", p, err)
			}
			return
		}
		switch {
		case path.Clean(p) != p, !strings.HasPrefix(p, "/"), p == "/":
			t.Fatalf("accepted %q, which is not a clean absolute file path", p)
		case len(p) > vfs.MaxPathLen, !utf8.ValidString(p):
			t.Fatalf("accepted %q: too long or not UTF-8", p)
		case strings.ContainsAny(p, "\x00\\"), strings.Contains(p, "/../"), strings.HasSuffix(p, "/.."):
			t.Fatalf("accepted %q with a forbidden character or segment", p)
		}
		for _, r := range p {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("accepted %q with a control character", p)
			}
		}
	})
}
