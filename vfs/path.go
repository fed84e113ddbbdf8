package vfs

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxPathLen is the longest path a store accepts, in bytes.
const MaxPathLen = 1024

// PathError says which rule a path broke. It matches ErrInvalidPath.
type PathError struct {
	Path string
	Rule string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("vfs: invalid path %q: %s", truncate(e.Path, 80), e.Rule)
}

// Is makes errors.Is(err, ErrInvalidPath) true.
func (e *PathError) Is(target error) bool { return target == ErrInvalidPath }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ValidatePath reports whether p is a valid file path: absolute,
// slash-separated, clean (no empty, "." or ".." segments, no trailing slash),
// valid UTF-8 without control characters or backslashes, and at most
// MaxPathLen bytes. The error is a *PathError naming the rule.
func ValidatePath(p string) error {
	if p == "/" {
		return &PathError{p, "the root is a directory, not a file"}
	}
	return validate(p)
}

// ValidatePrefix reports whether p is a valid directory prefix for List and
// Watch. It returns the canonical form: "" and "/" are the root, and one
// trailing slash is dropped.
func ValidatePrefix(p string) (string, error) {
	if p == "" || p == "/" {
		return "/", nil
	}
	q := strings.TrimSuffix(p, "/")
	if err := validate(q); err != nil {
		return "", &PathError{p, err.(*PathError).Rule}
	}
	return q, nil
}

func validate(p string) error {
	switch {
	case p == "":
		return &PathError{p, "empty"}
	case len(p) > MaxPathLen:
		return &PathError{p, fmt.Sprintf("longer than %d bytes", MaxPathLen)}
	case p[0] != '/':
		return &PathError{p, "not absolute (must start with /)"}
	case !utf8.ValidString(p):
		return &PathError{p, "not valid UTF-8"}
	}
	for _, r := range p {
		switch {
		case r == 0:
			return &PathError{p, "contains a NUL byte"}
		case r == '\\':
			return &PathError{p, "contains a backslash (use /)"}
		case r < 0x20 || r == 0x7f:
			return &PathError{p, "contains a control character"}
		}
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		switch seg {
		case "":
			return &PathError{p, "has an empty segment (// or a trailing /)"}
		case ".":
			return &PathError{p, "has a . segment"}
		case "..":
			return &PathError{p, "has a .. segment"}
		}
	}
	return nil
}

// under reports whether path p lies under the canonical prefix.
func under(p, prefix string) bool {
	if prefix == "/" {
		return true
	}
	return len(p) > len(prefix) && p[len(prefix)] == '/' && strings.HasPrefix(p, prefix)
}

// parents calls fn for every proper ancestor directory of p, nearest last.
func parents(p string, fn func(dir string) bool) bool {
	for i := 1; i < len(p); i++ {
		if p[i] == '/' && !fn(p[:i]) {
			return false
		}
	}
	return true
}
