package vfs_test

import (
	"context"
	"fmt"
	"log"
	"testing"

	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/vfstest"
)

func TestMem(t *testing.T) {
	vfstest.TestStore(t, func(*testing.T) vfs.Store { return vfs.NewMem() })
}

func TestMemHistoryDepth(t *testing.T) {
	testHistoryDepth(t, vfs.NewMem(vfs.WithHistoryDepth(5)))
}

// testHistoryDepth writes 12 revisions to a store that keeps 5.
func testHistoryDepth(t *testing.T, s interface {
	vfs.Store
	vfs.Historian
}) {
	t.Helper()
	ctx := context.Background()
	for i := range 12 {
		if err := s.Write(ctx, "/d.js", fmt.Appendf(nil, "v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	revs, err := s.History(ctx, "/d.js")
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 5 {
		t.Fatalf("kept %d revisions, want 5", len(revs))
	}
	for i, r := range revs {
		got, err := s.ReadRevision(ctx, "/d.js", r.Rev)
		if want := fmt.Sprintf("v%d", 11-i); err != nil || string(got) != want {
			t.Errorf("revision %d: %q, %v; want %q", r.Rev, got, err, want)
		}
	}
}

func ExampleMem() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	check(store.Write(ctx, "/modules/greet.js", []byte(`export const hello = "world"`)))
	src, err := store.Read(ctx, "/modules/greet.js")
	check(err)
	paths, err := store.List(ctx, "/modules")
	check(err)
	revs, err := store.History(ctx, "/modules/greet.js")
	check(err)
	fmt.Println(string(src))
	fmt.Println(paths, len(revs), revs[0].Op)
	// Output:
	// export const hello = "world"
	// [/modules/greet.js] 1 created
}

// check ends an example that hits an error, as a program would.
func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
