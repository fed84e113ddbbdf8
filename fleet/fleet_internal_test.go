package fleet

import (
	"context"
	"log/slog"
	"testing"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

// The revision a node serves follows the store: a broken write puts it
// behind with the error, and the good source written again puts it level.
func TestServingRevision(t *testing.T) {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	write := func(src string) {
		t.Helper()
		if err := store.Write(ctx, "/p.js", []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	write("export const v = () => 1")
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.CreateModule(ctx, "p", "/p.js")
	if err != nil {
		t.Fatal(err)
	}
	r := &Reporter{Node: "n", Runtime: rt, Store: store}
	first := r.module(ctx, m)
	if first.Behind() || first.Serving == 0 || first.Error != "" {
		t.Fatalf("after the first load: %+v", first)
	}
	write("export const v = () => {")
	_ = m.Reload(ctx)
	broken := r.module(ctx, m)
	if !broken.Behind() || broken.Serving != first.Serving || broken.Error == "" || broken.Position == nil {
		t.Errorf("after a broken write: %+v", broken)
	}
	write("export const v = () => 1") // the serving source again, at a newer revision
	level := r.module(ctx, m)
	if level.Behind() || level.Serving <= first.Serving || level.Error != "" {
		t.Errorf("with the serving source written again: %+v", level)
	}
}
