// Package vfstest holds the conformance suite every vfs.Store must pass, in
// the manner of testing/fstest: a store's own tests call TestStore with a
// function that opens a fresh, empty store.
package vfstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotmod/hotmod/vfs"
)

// Wait is how long the suite waits for an expected event before failing.
// Waits end as soon as the event arrives; nothing sleeps for a fixed time.
var Wait = 10 * time.Second

// TestStore runs the conformance suite. open must return a new, empty store;
// the suite closes it.
func TestStore(t *testing.T, open func(t *testing.T) vfs.Store) {
	newStore := func(t *testing.T) vfs.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() { s.Close() })
		return s
	}
	t.Run("ReadWriteDelete", func(t *testing.T) { testReadWriteDelete(t, newStore(t)) })
	t.Run("List", func(t *testing.T) { testList(t, newStore(t)) })
	t.Run("Conflict", func(t *testing.T) { testConflict(t, newStore(t)) })
	t.Run("PathRules", func(t *testing.T) { testPathRules(t, newStore(t)) })
	t.Run("Context", func(t *testing.T) { testContext(t, newStore(t)) })
	t.Run("WatchSequence", func(t *testing.T) { testWatchSequence(t, newStore(t)) })
	t.Run("WatchBurst", func(t *testing.T) { testWatchBurst(t, newStore(t)) })
	t.Run("WatchPrefix", func(t *testing.T) { testWatchPrefix(t, newStore(t)) })
	t.Run("WatchCancel", func(t *testing.T) { testWatchCancel(t, newStore(t)) })
	t.Run("WatchSlowWatcher", func(t *testing.T) { testSlowWatcher(t, newStore(t)) })
	t.Run("WatchMany", func(t *testing.T) { testWatchMany(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	// History is an optional extension: only stores that have it are held to it.
	if _, ok := newStore(t).(vfs.Historian); ok {
		t.Run("History", func(t *testing.T) { testHistory(t, newStore(t)) })
	}
	t.Run("Close", func(t *testing.T) { testClose(t, open(t)) })
}

func mustWrite(t *testing.T, s vfs.Store, p, content string) {
	t.Helper()
	if err := s.Write(context.Background(), p, []byte(content)); err != nil {
		t.Fatalf("Write(%s): %v", p, err)
	}
}

func read(t *testing.T, s vfs.Store, p string) string {
	t.Helper()
	b, err := s.Read(context.Background(), p)
	if err != nil {
		t.Fatalf("Read(%s): %v", p, err)
	}
	return string(b)
}

func watch(t *testing.T, s vfs.Store, prefix string) <-chan vfs.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := s.Watch(ctx, prefix)
	if err != nil {
		t.Fatalf("Watch(%q): %v", prefix, err)
	}
	return ch
}

// next waits for the next event whose path satisfies keep, failing after Wait.
func next(t *testing.T, ch <-chan vfs.Event, keep func(vfs.Event) bool) vfs.Event {
	t.Helper()
	deadline := time.NewTimer(Wait)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("watch channel closed early")
			}
			if keep == nil || keep(ev) {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("no event within %v", Wait)
		}
	}
}

func forPath(p string) func(vfs.Event) bool {
	return func(ev vfs.Event) bool { return ev.Path == p }
}

func testReadWriteDelete(t *testing.T, s vfs.Store) {
	ctx := context.Background()
	if _, err := s.Read(ctx, "/a.js"); !errors.Is(err, vfs.ErrNotFound) {
		t.Fatalf("Read of a missing file: %v, want ErrNotFound", err)
	}
	data := []byte("one")
	if err := s.Write(ctx, "/a.js", data); err != nil {
		t.Fatal(err)
	}
	data[0] = 'X' // the store must have kept its own copy
	if got := read(t, s, "/a.js"); got != "one" {
		t.Fatalf("Read = %q, want %q", got, "one")
	}
	got, _ := s.Read(ctx, "/a.js")
	got[0] = 'Y' // and must hand out copies
	if got := read(t, s, "/a.js"); got != "one" {
		t.Fatalf("Read after mutating a result = %q", got)
	}
	mustWrite(t, s, "/a.js", "two")
	if got := read(t, s, "/a.js"); got != "two" {
		t.Fatalf("Read after overwrite = %q", got)
	}
	mustWrite(t, s, "/empty.js", "")
	if got, err := s.Read(ctx, "/empty.js"); err != nil || len(got) != 0 {
		t.Fatalf("empty file: %q, %v; want empty content and no error", got, err)
	}
	mustWrite(t, s, "/deep/er/still/b.ts", "b")
	if got := read(t, s, "/deep/er/still/b.ts"); got != "b" {
		t.Fatalf("nested Read = %q", got)
	}
	if err := s.Delete(ctx, "/a.js"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx, "/a.js"); !errors.Is(err, vfs.ErrNotFound) {
		t.Fatalf("Read after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "/a.js"); !errors.Is(err, vfs.ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Read(ctx, "/deep/er"); !errors.Is(err, vfs.ErrNotFound) {
		t.Fatalf("Read of a directory: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "/deep/er"); !errors.Is(err, vfs.ErrNotFound) {
		t.Fatalf("Delete of a directory: %v, want ErrNotFound", err)
	}
	if got := read(t, s, "/deep/er/still/b.ts"); got != "b" {
		t.Fatalf("Delete of a directory touched its file: %q", got)
	}
	// Large content round-trips unchanged.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	if err := s.Write(ctx, "/big.bin", big); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Read(ctx, "/big.bin"); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("1 MiB file did not round-trip: %d bytes, %v", len(got), err)
	}
}

func testList(t *testing.T, s vfs.Store) {
	ctx := context.Background()
	for _, p := range []string{"/a/x.js", "/a/sub/y.js", "/ab/z.js", "/top.js"} {
		mustWrite(t, s, p, p)
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"/", []string{"/a/sub/y.js", "/a/x.js", "/ab/z.js", "/top.js"}},
		{"", []string{"/a/sub/y.js", "/a/x.js", "/ab/z.js", "/top.js"}},
		{"/a", []string{"/a/sub/y.js", "/a/x.js"}},
		{"/a/", []string{"/a/sub/y.js", "/a/x.js"}},
		{"/a/sub", []string{"/a/sub/y.js"}},
		{"/none", nil},
		{"/top.js", nil},
	} {
		got, err := s.List(ctx, tc.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tc.prefix, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
	if err := s.Delete(ctx, "/a/sub/y.js"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.List(ctx, "/a"); !slices.Equal(got, []string{"/a/x.js"}) {
		t.Errorf("List after Delete = %q", got)
	}
}

func testConflict(t *testing.T, s vfs.Store) {
	ctx := context.Background()
	mustWrite(t, s, "/x/y.js", "y")
	if err := s.Write(ctx, "/x", []byte("file over a folder")); !errors.Is(err, vfs.ErrConflict) {
		t.Fatalf("Write over a folder: %v, want ErrConflict", err)
	}
	if err := s.Write(ctx, "/x/y.js/z.js", []byte("file below a file")); !errors.Is(err, vfs.ErrConflict) {
		t.Fatalf("Write below a file: %v, want ErrConflict", err)
	}
	if got := read(t, s, "/x/y.js"); got != "y" {
		t.Fatalf("a failed write changed the store: %q", got)
	}
	if err := s.Delete(ctx, "/x/y.js"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, "/x", "now a file") // the folder went with its last file
}

// BadPaths are paths every store must reject, with the rule each breaks.
var BadPaths = map[string]string{
	"":                              "empty",
	"a.js":                          "not absolute",
	"/a/../b.js":                    "..",
	"/..":                           "..",
	"/a/./b.js":                     ". segment",
	"/a//b.js":                      "empty segment",
	"/a/":                           "empty segment",
	"/a\x00b":                       "NUL",
	`/a\b.js`:                       "backslash",
	"/a\nb":                         "control character",
	"/bad\xffutf8":                  "UTF-8",
	"/" + strings.Repeat("x", 1024): "longer than 1024",
}

func testPathRules(t *testing.T, s vfs.Store) {
	ctx := context.Background()
	for p, rule := range BadPaths {
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, vfs.ErrInvalidPath) {
				t.Errorf("%s(%q): %v, want ErrInvalidPath", op, p, err)
				return
			}
			var pe *vfs.PathError
			if !errors.As(err, &pe) || pe.Path != p || !strings.Contains(err.Error(), rule) {
				t.Errorf("%s(%q): error %q should be a *vfs.PathError naming the path and %q", op, p, err, rule)
			}
		}
		_, err := s.Read(ctx, p)
		check("Read", err)
		check("Write", s.Write(ctx, p, []byte("x")))
		check("Delete", s.Delete(ctx, p))
		if h, ok := s.(vfs.Historian); ok {
			_, err = h.History(ctx, p)
			check("History", err)
		}
	}
	if _, err := s.Read(ctx, "/"); !errors.Is(err, vfs.ErrInvalidPath) {
		t.Errorf("Read(/): %v, want ErrInvalidPath", err)
	}
	for _, prefix := range []string{"a", "/a/../b", "/a//b", "/x\x00"} {
		if _, err := s.List(ctx, prefix); !errors.Is(err, vfs.ErrInvalidPath) {
			t.Errorf("List(%q): %v, want ErrInvalidPath", prefix, err)
		}
		if _, err := s.Watch(ctx, prefix); !errors.Is(err, vfs.ErrInvalidPath) {
			t.Errorf("Watch(%q): %v, want ErrInvalidPath", prefix, err)
		}
	}
	if got, err := s.List(ctx, "/"); err != nil || len(got) != 0 {
		t.Errorf("rejected writes left files behind: %q, %v", got, err)
	}
	// Unusual but valid names work.
	for _, p := range []string{"/with space.js", "/ünïcödé/ß.ts", "/.hidden.js", "/a..b.js", "/" + strings.Repeat("y", 200)} {
		mustWrite(t, s, p, p)
		if got := read(t, s, p); got != p {
			t.Errorf("Read(%q) = %q", p, got)
		}
	}
}

func testContext(t *testing.T, s vfs.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Read(ctx, "/a.js"); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context: %v", err)
	}
	if err := s.Write(ctx, "/a.js", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context: %v", err)
	}
	if _, err := s.List(ctx, "/"); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context: %v", err)
	}
	if _, err := s.Read(context.Background(), "/a.js"); !errors.Is(err, vfs.ErrNotFound) {
		t.Errorf("a cancelled Write changed the store: %v", err)
	}
}

func testWatchSequence(t *testing.T, s vfs.Store) {
	ch := watch(t, s, "/")
	steps := []struct {
		op   vfs.Op
		do   func() error
		want string
	}{
		{vfs.Created, func() error { return s.Write(context.Background(), "/w/a.js", []byte("1")) }, "1"},
		{vfs.Modified, func() error { return s.Write(context.Background(), "/w/a.js", []byte("2")) }, "2"},
		{vfs.Deleted, func() error { return s.Delete(context.Background(), "/w/a.js") }, ""},
		{vfs.Created, func() error { return s.Write(context.Background(), "/w/a.js", []byte("3")) }, "3"},
	}
	var last uint64
	for i, st := range steps {
		if err := st.do(); err != nil {
			t.Fatal(err)
		}
		ev := next(t, ch, forPath("/w/a.js"))
		if ev.Op != st.op {
			t.Fatalf("step %d: event %v, want %v", i, ev.Op, st.op)
		}
		if ev.Revision <= last {
			t.Fatalf("step %d: revision %d after %d; revisions must increase", i, ev.Revision, last)
		}
		last = ev.Revision
		if st.op != vfs.Deleted {
			if got := read(t, s, "/w/a.js"); got != st.want {
				t.Fatalf("step %d: Read after event = %q, want %q", i, got, st.want)
			}
		}
	}
}

// testWatchBurst writes one file 100 times as fast as it can: the watcher
// must end on an event after which Read gives the last content, and the
// events it gets on the way must be in order.
func testWatchBurst(t *testing.T, s vfs.Store) {
	ch := watch(t, s, "/")
	const n = 100
	for i := range n {
		mustWrite(t, s, "/burst.js", fmt.Sprintf("v%d", i))
	}
	final := fmt.Sprintf("v%d", n-1)
	var last uint64
	for i := 0; ; i++ {
		ev := next(t, ch, forPath("/burst.js"))
		if i == 0 && ev.Op != vfs.Created {
			t.Fatalf("first event %v, want created", ev.Op)
		}
		if i > 0 && ev.Op != vfs.Modified {
			t.Fatalf("event %d is %v, want modified", i, ev.Op)
		}
		if ev.Revision <= last {
			t.Fatalf("revision %d after %d: events out of order", ev.Revision, last)
		}
		last = ev.Revision
		if read(t, s, "/burst.js") == final {
			break
		}
	}
}

func testWatchPrefix(t *testing.T, s vfs.Store) {
	all := watch(t, s, "/")
	only := watch(t, s, "/a")
	mustWrite(t, s, "/b/x.js", "b")
	mustWrite(t, s, "/ab/x.js", "ab")
	mustWrite(t, s, "/a/x.js", "a")
	seen := map[string]bool{}
	for len(seen) < 3 {
		seen[next(t, all, nil).Path] = true
	}
	// Whatever the prefix watcher may have wrongly queued is now ahead of
	// this sentinel.
	mustWrite(t, s, "/a/sentinel.js", "s")
	for {
		ev := next(t, only, nil)
		if !strings.HasPrefix(ev.Path, "/a/") {
			t.Fatalf("watch of /a saw %s", ev.Path)
		}
		if ev.Path == "/a/sentinel.js" {
			break
		}
	}
}

func testWatchCancel(t *testing.T, s vfs.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Watch(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, "/c.js", "c")
	cancel()
	deadline := time.After(Wait)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("channel not closed after the context was cancelled")
		}
	}
}

// testSlowWatcher has a watcher that reads nothing while 500 writes happen:
// the writers must not block, the queue must stay bounded, and the final state
// of every path must still arrive.
func testSlowWatcher(t *testing.T, s vfs.Store) {
	ch := watch(t, s, "/")
	const paths, rounds = 10, 50
	done := make(chan error, 1)
	go func() {
		for r := range rounds {
			for i := range paths {
				if err := s.Write(context.Background(), fmt.Sprintf("/slow/%d.js", i), fmt.Appendf(nil, "%d", r)); err != nil {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(Wait):
		t.Fatal("writers blocked by a watcher that does not read")
	}
	final := fmt.Sprint(rounds - 1)
	pending := map[string]bool{}
	for i := range paths {
		pending[fmt.Sprintf("/slow/%d.js", i)] = true
	}
	got := 0
	for len(pending) > 0 {
		ev := next(t, ch, nil)
		got++
		if read(t, s, ev.Path) == final {
			delete(pending, ev.Path)
		}
	}
	// One queued event per path, and one more per path for changes the
	// store reported after reading began (a folder's coalescing window).
	if got > 3*paths {
		t.Fatalf("a slow watcher got %d events for %d paths: the queue is not coalescing", got, paths)
	}
}

func testWatchMany(t *testing.T, s vfs.Store) {
	chans := []<-chan vfs.Event{watch(t, s, "/"), watch(t, s, "/"), watch(t, s, "/m")}
	mustWrite(t, s, "/m/x.js", "x")
	for i, ch := range chans {
		if ev := next(t, ch, nil); ev.Path != "/m/x.js" || ev.Op != vfs.Created {
			t.Fatalf("watcher %d got %+v", i, ev)
		}
	}
}

// testConcurrent runs writers, readers and listers at once (meant for -race)
// and checks that no reader ever sees a torn file.
func testConcurrent(t *testing.T, s vfs.Store) {
	ctx := context.Background()
	const writers, readers, writes, paths = 4, 4, 40, 5
	content := func(w, i int) []byte { return bytes.Repeat(fmt.Appendf(nil, "%d:%d;", w, i), 512) }
	whole := func(b []byte) bool {
		seg, _, ok := bytes.Cut(b, []byte(";"))
		return ok && bytes.Equal(b, bytes.Repeat(append(seg, ';'), 512))
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				if err := s.Write(ctx, fmt.Sprintf("/conc/%d.js", i%paths), content(w, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var rwg sync.WaitGroup
	for r := range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				b, err := s.Read(ctx, fmt.Sprintf("/conc/%d.js", (i+r)%paths))
				if err != nil && !errors.Is(err, vfs.ErrNotFound) {
					errs <- err
					return
				}
				if err == nil && !whole(b) {
					errs <- fmt.Errorf("torn read: %.40q…", b)
					return
				}
				if _, err := s.List(ctx, "/conc"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, _ := s.List(ctx, "/conc"); len(got) != paths {
		t.Errorf("List = %q, want %d files", got, paths)
	}
}

func testHistory(t *testing.T, s vfs.Store) {
	h := s.(vfs.Historian)
	ctx := context.Background()
	if _, err := h.History(ctx, "/h.js"); !errors.Is(err, vfs.ErrNotFound) {
		t.Fatalf("History of a path never written: %v, want ErrNotFound", err)
	}
	ch := watch(t, s, "/")
	for _, v := range []string{"v1", "v2", "v3"} {
		mustWrite(t, s, "/h.js", v)
	}
	revs, err := h.History(ctx, "/h.js")
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 3 {
		t.Fatalf("History has %d revisions, want 3: %+v", len(revs), revs)
	}
	for i, want := range []struct {
		op   vfs.Op
		data string
	}{{vfs.Modified, "v3"}, {vfs.Modified, "v2"}, {vfs.Created, "v1"}} {
		r := revs[i]
		if r.Op != want.op || r.Size != len(want.data) || r.Time.IsZero() {
			t.Errorf("revision %d = %+v, want op %v size %d", i, r, want.op, len(want.data))
		}
		if i > 0 && r.Rev >= revs[i-1].Rev {
			t.Errorf("History is not newest first: %+v", revs)
		}
		got, err := h.ReadRevision(ctx, "/h.js", r.Rev)
		if err != nil || string(got) != want.data {
			t.Errorf("ReadRevision(%d) = %q, %v; want %q", r.Rev, got, err, want.data)
		}
	}
	// An event's revision is the one History lists.
	var ev vfs.Event
	for ev.Revision != revs[0].Rev {
		ev = next(t, ch, forPath("/h.js"))
		if ev.Revision > revs[0].Rev {
			t.Fatalf("event revision %d is not in History %+v", ev.Revision, revs)
		}
	}
	if err := s.Delete(ctx, "/h.js"); err != nil {
		t.Fatal(err)
	}
	revs2, err := h.History(ctx, "/h.js")
	if err != nil {
		t.Fatalf("History after Delete: %v", err)
	}
	if len(revs2) != 4 || revs2[0].Op != vfs.Deleted {
		t.Fatalf("History after Delete = %+v, want a deletion on top", revs2)
	}
	if _, err := h.ReadRevision(ctx, "/h.js", revs2[0].Rev); !errors.Is(err, vfs.ErrNotFound) {
		t.Errorf("ReadRevision of a deletion: %v, want ErrNotFound", err)
	}
	if got, err := h.ReadRevision(ctx, "/h.js", revs[0].Rev); err != nil || string(got) != "v3" {
		t.Errorf("ReadRevision after Delete = %q, %v; want v3", got, err)
	}
	if _, err := h.ReadRevision(ctx, "/h.js", revs2[0].Rev+1000); !errors.Is(err, vfs.ErrNotFound) {
		t.Errorf("ReadRevision of an unknown revision: %v, want ErrNotFound", err)
	}
}

func testClose(t *testing.T, s vfs.Store) {
	ctx := context.Background()
	mustWrite(t, s, "/a.js", "a")
	ch := watch(t, s, "/")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	deadline := time.After(Wait)
	for closed := false; !closed; {
		select {
		case _, ok := <-ch:
			closed = !ok
		case <-deadline:
			t.Fatal("Close left a watch channel open")
		}
	}
	if _, err := s.Read(ctx, "/a.js"); !errors.Is(err, vfs.ErrClosed) {
		t.Errorf("Read after Close: %v, want ErrClosed", err)
	}
	if err := s.Write(ctx, "/a.js", nil); !errors.Is(err, vfs.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Watch(ctx, "/"); !errors.Is(err, vfs.ErrClosed) {
		t.Errorf("Watch after Close: %v, want ErrClosed", err)
	}
}
