package transform

import (
	"os"
	"testing"

	"github.com/dop251/goja"
)

// BenchmarkMarkEmptyLoops is the price of the walk on every compile, to
// compare with the parse it follows (about 8% of it when measured).
func BenchmarkMarkEmptyLoops(b *testing.B) {
	src, err := os.ReadFile("../intl/intl.js")
	if err != nil {
		b.Skip(err)
	}
	prog, err := goja.Parse("x.js", string(src))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		markEmptyLoops(prog, string(src))
	}
}
