package vfs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hotmod/hotmod/vfs"
)

// FromFS serves an fs.FS (an embed.FS in a binary) as a read-only store.
func TestFromFS(t *testing.T) {
	ctx := context.Background()
	s := vfs.FromFS(fstest.MapFS{
		"modules/a.js":     {Data: []byte("export const a = 1")},
		"modules/lib/b.ts": {Data: []byte("export const b = 2")},
		"other.js":         {Data: []byte("x")},
	})
	if b, err := s.Read(ctx, "/modules/a.js"); err != nil || string(b) != "export const a = 1" {
		t.Errorf("Read: %q, %v", b, err)
	}
	for _, p := range []string{"/nope.js", "/modules"} {
		if _, err := s.Read(ctx, p); !errors.Is(err, vfs.ErrNotFound) {
			t.Errorf("Read(%s): %v, want ErrNotFound", p, err)
		}
	}
	if _, err := s.Read(ctx, "/../etc/passwd"); !errors.Is(err, vfs.ErrInvalidPath) {
		t.Errorf("Read of an invalid path: %v", err)
	}
	if got, err := s.List(ctx, "/modules"); err != nil || !slices.Equal(got, []string{"/modules/a.js", "/modules/lib/b.ts"}) {
		t.Errorf("List(/modules) = %v, %v", got, err)
	}
	if got, err := s.List(ctx, "/"); err != nil || len(got) != 3 {
		t.Errorf("List(/) = %v, %v", got, err)
	}
	if got, err := s.List(ctx, "/missing"); err != nil || len(got) != 0 {
		t.Errorf("List of a missing folder = %v, %v", got, err)
	}
	if err := s.Write(ctx, "/modules/a.js", nil); !errors.Is(err, vfs.ErrReadOnly) {
		t.Errorf("Write: %v, want ErrReadOnly", err)
	}
	if err := s.Delete(ctx, "/modules/a.js"); !errors.Is(err, vfs.ErrReadOnly) {
		t.Errorf("Delete: %v, want ErrReadOnly", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	ch, err := s.Watch(wctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	ch2, err := s.Watch(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for _, c := range []<-chan vfs.Event{ch, ch2} {
		if c == ch2 {
			_ = s.Close()
		}
		select {
		case ev, open := <-c:
			if open {
				t.Errorf("an event from a store that cannot change: %+v", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Watch did not close its channel when its context ended or the store closed")
		}
	}
	if _, err := s.Read(ctx, "/modules/a.js"); !errors.Is(err, vfs.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

// Modules embedded in the binary (here a MapFS standing in for an embed.FS).
func ExampleFromFS() {
	ctx := context.Background()
	store := vfs.FromFS(fstest.MapFS{"modules/rules.js": {Data: []byte("export const limit = 3")}})
	defer store.Close()
	paths, err := store.List(ctx, "/")
	check(err)
	src, err := store.Read(ctx, paths[0])
	check(err)
	fmt.Println(paths, string(src))
	// Output: [/modules/rules.js] export const limit = 3
}
