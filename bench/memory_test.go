package bench

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

// BenchmarkModuleMemory loads 1,000 one-line ES modules (imported by one
// module) and reports the heap each keeps: what hotmod itself costs a
// module, apart from what the module's code makes.
func BenchmarkModuleMemory(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	store := vfs.NewMem()
	var app strings.Builder
	for i := range n {
		if err := store.Write(ctx, fmt.Sprintf("/m/f%d.js", i), fmt.Appendf(nil, "export const x%d = %d", i, i)); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&app, "import { x%d } from './m/f%d.js'\n", i, i)
	}
	app.WriteString("export const loaded = true\n")
	if err := store.Write(ctx, "/app.js", []byte(app.String())); err != nil {
		b.Fatal(err)
	}
	var per float64
	for range b.N {
		h0 := heap()
		rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true, LoadTimeout: time.Minute, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rt.CreateModule(ctx, "app", "/app.js"); err != nil {
			b.Fatal(err)
		}
		if h1 := heap(); h1 > h0 {
			per += float64(h1-h0) / n
		}
		_ = rt.Close(ctx)
	}
	b.ReportMetric(per/float64(b.N)/1e3, "heap-KB/module")
	b.ReportMetric(0, "ns/op")
}
