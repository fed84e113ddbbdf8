package platform

import (
	"strings"
	"testing"
	"unicode"
)

func TestExpandPropertyEscapesRewritesOnlyPropertyEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`a\d+\\p{L}`:    `a\d+\\p{L}`, // an escaped backslash, then "p{L}"
		`\p{ASCII}`:     `[\u{0}-\u{7F}]`,
		`\P{ASCII}`:     `[^\u{0}-\u{7F}]`,
		`[\p{ASCII}x]`:  `[\u{0}-\u{7F}x]`,
		`[^\P{ASCII}]`:  `[^\u{80}-\u{10FFFF}]`,
		`\[\p{ASCII}\]`: `\[[\u{0}-\u{7F}]\]`,
		`é\p{Any}`:      `é[\u{0}-\u{10FFFF}]`,
	} {
		got, err := ExpandPropertyEscapes(in)
		if err != nil || got != want {
			t.Errorf("ExpandPropertyEscapes(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`\p{Nope}`, `\p{L`, `\p{sc=Nope}`, `\p{Block=Basic_Latin}`} {
		if _, err := ExpandPropertyEscapes(bad); err == nil || err.Error() != "Invalid property name" {
			t.Errorf("ExpandPropertyEscapes(%q): %v, want Invalid property name", bad, err)
		}
	}
}

// The tables Node's regular expressions gave agree with Go's unicode
// package where Unicode has not changed between their versions.
func TestPropertyTablesAgreeWithGoOnStableLetters(t *testing.T) {
	for body, table := range map[string]*unicode.RangeTable{
		"Lu": unicode.Lu, "Letter": unicode.L, "sc=Greek": unicode.Greek, "Script=Latin": unicode.Latin, "White_Space": unicode.White_Space,
	} {
		rs, err := propertyRanges(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		in := func(r rune) bool {
			for _, x := range rs {
				if x.lo <= r && r <= x.hi {
					return true
				}
			}
			return false
		}
		for r := rune(0); r < 0x800; r++ { // Unicode 16 added letters above (U+088F, U+1C89)
			if in(r) != unicode.Is(table, r) {
				t.Errorf("%s: U+%04X is %v in the table, %v in Go's", body, r, in(r), unicode.Is(table, r))
				break
			}
		}
	}
	if _, err := propertyRanges("scx=Hira"); err != nil {
		t.Error(err)
	}
	if !strings.Contains(unicodeProps, "alias Grek Greek") {
		t.Error("no script aliases")
	}
}
