package vfs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/vfstest"
	bolt "go.etcd.io/bbolt"
)

func openBolt(t *testing.T, opts ...vfs.Option) *vfs.Bolt {
	t.Helper()
	b, err := vfs.OpenBolt(filepath.Join(t.TempDir(), "store.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBolt(t *testing.T) {
	vfstest.TestStore(t, func(t *testing.T) vfs.Store { return openBolt(t) })
}

func TestBoltHistoryDepth(t *testing.T) {
	b := openBolt(t, vfs.WithHistoryDepth(5))
	defer b.Close()
	testHistoryDepth(t, b)
}

func TestBoltSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "store.db")
	b, err := vfs.OpenBolt(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"one", "two", "three"} {
		if err := b.Write(ctx, "/m/a.js", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := b.History(ctx, "/m/a.js")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b, err = vfs.OpenBolt(file)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, err := b.Read(ctx, "/m/a.js"); err != nil || string(got) != "three" {
		t.Fatalf("after reopen Read = %q, %v", got, err)
	}
	after, err := b.History(ctx, "/m/a.js")
	if err != nil || len(after) != 3 {
		t.Fatalf("after reopen History = %+v, %v", after, err)
	}
	for i := range after {
		if after[i].Rev != before[i].Rev || after[i].Op != before[i].Op || !after[i].Time.Equal(before[i].Time) {
			t.Errorf("revision %d changed across reopen: %+v vs %+v", i, before[i], after[i])
		}
	}
	if after[0].Rev < after[1].Rev || after[1].Rev < after[2].Rev {
		t.Errorf("History not newest first: %+v", after)
	}
	if got, err := b.ReadRevision(ctx, "/m/a.js", after[2].Rev); err != nil || string(got) != "one" {
		t.Errorf("oldest revision after reopen = %q, %v", got, err)
	}
	// Revisions keep rising after a restart.
	if err := b.Write(ctx, "/m/a.js", []byte("four")); err != nil {
		t.Fatal(err)
	}
	if now, _ := b.History(ctx, "/m/a.js"); now[0].Rev <= after[0].Rev {
		t.Errorf("revision went from %d to %d across reopen", after[0].Rev, now[0].Rev)
	}
}

func TestBoltLocked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "store.db")
	b, err := vfs.OpenBolt(file)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = vfs.OpenBolt(file, vfs.WithLockTimeout(50*time.Millisecond))
	if !errors.Is(err, vfs.ErrLocked) || !strings.Contains(err.Error(), file) {
		t.Fatalf("second open: %v; want ErrLocked naming the file", err)
	}
}

func TestBoltCorrupt(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := vfs.OpenBolt(garbage); !errors.Is(err, vfs.ErrCorrupt) || !strings.Contains(err.Error(), garbage) {
		t.Errorf("garbage file: %v; want ErrCorrupt naming the file", err)
	}
	before, _ := os.ReadFile(garbage)
	if after, _ := os.ReadFile(garbage); string(before) != string(after) {
		t.Error("opening a corrupt file changed it")
	}

	// A healthy bbolt file that some other program owns is not ours to use.
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err })
	db.Close()
	if _, err := vfs.OpenBolt(foreign); !errors.Is(err, vfs.ErrCorrupt) {
		t.Errorf("foreign bbolt file: %v; want ErrCorrupt", err)
	}
}

func ExampleOpenBolt() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hotmod")
	check(err)
	defer os.RemoveAll(dir)
	store, err := vfs.OpenBolt(filepath.Join(dir, "modules.db"), vfs.WithHistoryDepth(10))
	check(err)
	defer store.Close()
	check(store.Write(ctx, "/pricing.js", []byte("export const rate = 1")))
	check(store.Write(ctx, "/pricing.js", []byte("export const rate = 2")))
	revs, err := store.History(ctx, "/pricing.js")
	check(err)
	old, err := store.ReadRevision(ctx, "/pricing.js", revs[1].Rev)
	check(err)
	fmt.Println(len(revs), revs[0].Op, string(old))
	// Output: 2 modified export const rate = 1
}
