package hotmod_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

// Snippets and patches are parsed inside a wrapper the user never wrote; a
// position must land in the user's text, never on the wrapper's lines.
func TestPositionsInWrappedCodeAreTheUsers(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/c.js": computeSrc})
	m := e.create("c", "/m/c.js")
	type pos struct {
		line, col int
		past      bool // reported as the code ending early
	}
	where := func(err error) (pos, string) {
		var se *hotmod.SourceError
		if errors.As(err, &se) {
			return pos{se.Line, se.Column, se.Message == "Unexpected end of the code: a bracket, a string or an expression is left open"}, se.Message
		}
		var je *hotmod.JSError
		if errors.As(err, &je) {
			return pos{je.Line, je.Column, false}, je.Message
		}
		return pos{}, fmt.Sprint(err)
	}
	for _, tc := range []struct {
		code string
		want pos
	}{
		{"return 1 +", pos{1, 11, true}},
		{"return 1 +\n", pos{1, 11, true}},
		{"const x = {", pos{1, 12, true}},
		{"let a = 1\nreturn (a +\n\n", pos{2, 12, true}},
		{"return 1 +* 2", pos{1, 11, false}},
		{"let x = 1;\nthrow new Error('boom')", pos{2, 1, false}},
	} {
		_, err := e.rt.ExecuteSafe(e.ctx, tc.code, nil)
		got, msg := where(err)
		if got.line != tc.want.line || got.past != tc.want.past || (tc.want.col != 1 && got.col != tc.want.col) {
			t.Errorf("exec %q: at %d:%d (end of code: %v) %q, want %+v", tc.code, got.line, got.col, got.past, msg, tc.want)
		}
	}
	for _, tc := range []struct {
		src  string
		want pos
	}{
		{"(o) => function () { return 1", pos{1, 30, true}},
		{"(o) => function () { return 1\n", pos{1, 30, true}},
		{"(o) => function () {\n  return o(\n", pos{2, 12, true}},
		{"(o) => function () { return 1 +* 2 }", pos{1, 32, false}},
	} {
		_, err := e.rt.PatchFunction(e.ctx, "c", "compute", tc.src)
		got, msg := where(err)
		if got != tc.want {
			t.Errorf("patch %q: at %d:%d (end of code: %v) %q, want %+v", tc.src, got.line, got.col, got.past, msg, tc.want)
		}
	}
	// A throw on the patch's first line is at the user's column, not one
	// to the right (the wrapper's opening parenthesis).
	if _, err := e.rt.PatchFunction(e.ctx, "c", "compute", "(o) => function () { throw new Error('p') }"); err != nil {
		t.Fatal(err)
	}
	_, err := m.Call(e.ctx, "compute", 1)
	var je *hotmod.JSError
	if !errors.As(err, &je) || je.Line != 1 || je.Column != 28 {
		t.Errorf("a throw in a patch: %v (%+v), want 1:28 (the new expression)", err, je)
	}
}

// A patch's frames in a stack are at the user's lines too.
func TestPatchStackFrames(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/c.js": computeSrc})
	m := e.create("c", "/m/c.js")
	if _, err := e.rt.PatchFunction(e.ctx, "c", "compute", "(o) =>\n  function () {\n    throw new Error('p')\n  }"); err != nil {
		t.Fatal(err)
	}
	_, err := m.Call(e.ctx, "compute", 1)
	var je *hotmod.JSError
	if !errors.As(err, &je) || je.Line != 3 || je.Column != 11 || !strings.Contains(je.Stack, "patch:c.compute:3:11") {
		t.Errorf("%v\n%+v", err, je)
	}
}
