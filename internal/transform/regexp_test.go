package transform

import "testing"

func TestMayHavePropertyEscape(t *testing.T) {
	for text, want := range map[string]bool{
		`const r = /\p{L}+/u`:                         true,
		`const r = /[\P{Lu}]/u`:                       true,
		`const r = /\\\p{L}/u`:                        true, // an escaped backslash, then \p{L}
		`const s = "^(\\p{Extended_Pictographic})+$"`: false,
		"const s = `\\\\p{L}`":                        false,
		`const r = /\\p{L}/u`:                         false, // a backslash, then the letters p{L}
		`const m = map{}; p{`:                         false,
		`\p{`:                                         true,
		`p{`:                                          false,
		``:                                            false,
	} {
		if got := mayHavePropertyEscape(text); got != want {
			t.Errorf("mayHavePropertyEscape(%q) = %v, want %v", text, got, want)
		}
	}
}
