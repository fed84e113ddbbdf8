package hotmod_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// TestRunawayLoopPositions: a loop stopped by its deadline is reported on
// the loop's own line, whatever its shape. goja gives an empty loop with a
// constant condition no position of its own, and an interrupt there named
// the last expression before it (1:14 for a loop on line 2), or after
// esbuild's source map a line the file does not have.
func TestRunawayLoopPositions(t *testing.T) {
	loops := map[string]string{
		"while":          "while (true) {}",
		"while-semi":     "while (1);",
		"for":            "for (;;) {}",
		"for-let":        "for (let i = 0; ; ) {}",
		"do-while":       "do {} while (true)",
		"while-body":     "while (true) { n++ }",
		"for-body":       "for (;;) { n += 2 }",
		"do-while-body":  "do { n++ } while (true)",
		"labelled-while": "outer: while (!0) {}",
	}
	type place struct {
		name string
		src  func(loop string) string // the loop is on line 3 of every source
		call bool
	}
	places := []place{
		{"top level", func(l string) string { return "export let n = 0\nexport const a = 1\n" + l + "\n" }, false},
		{"function", func(l string) string {
			return "export let n = 0\nexport function f() {\n  " + l + "\n}\nexport const b = () => n\n"
		}, true},
		{"script", func(l string) string { return "var n = 0\nvar a = 1\n" + l + "\n" }, false},
	}
	for _, ext := range []string{".js", ".ts"} {
		for _, pl := range places {
			for name, loop := range loops {
				src := pl.src(loop)
				if ext == ".ts" {
					src = strings.Replace(src, "export let n = 0", "export let n: number = 0", 1)
				}
				t.Run(fmt.Sprintf("%s/%s/%s", ext, pl.name, name), func(t *testing.T) {
					path := "/spin" + ext
					e := newEnv(t, map[string]string{path: src}, func(o *hotmod.Options) {
						o.LoadTimeout = 50 * time.Millisecond
						o.CallTimeout = 50 * time.Millisecond
					})
					m, err := e.rt.CreateModule(e.ctx, "spin", path)
					if pl.call {
						if err != nil {
							t.Fatal(err)
						}
						_, err = m.Call(e.ctx, "f")
					}
					var te *hotmod.TimeoutError
					if !errors.As(err, &te) {
						t.Fatalf("want a timeout, got %v", err)
					}
					pos, ok := hotmod.PositionOf(err)
					lines := strings.Count(src, "\n")
					if !ok || pos.File != path || pos.Line != 3 {
						t.Errorf("%q (%d lines): stopped at %+v (%v); want line 3, the loop", src, lines, pos, err)
					}
				})
			}
		}
	}
}
