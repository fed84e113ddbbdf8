package fleettests_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
	"github.com/hotmod/hotmod/vfs/vfstest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startServer runs a JetStream server in the test's process and returns
// JetStream on it.
func startServer(t *testing.T) jetstream.JetStream {
	t.Helper()
	return natstest.Connect(t, natstest.Start(t, server.Options{}))
}

func TestConformance(t *testing.T) {
	js := startServer(t)
	var n atomic.Int64
	vfstest.TestStore(t, func(t *testing.T) vfs.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := natskv.Open(ctx, js, fmt.Sprintf("t%d", n.Add(1)), natskv.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Every valid path survives the trip to a key and back, and lands in the
// folder its prefix watches.
func TestKeyEncodingRoundTrips(t *testing.T) {
	js := startServer(t)
	ctx := context.Background()
	s, err := natskv.Open(ctx, js, "keys", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	paths := []string{"/a b.js", "/@scope/x.js", "/ü.js", "/lib/tax.ts", "/x=2E.js", "/.hidden/.x", "/a.b.c/d..e", "/%41/=", "/emoji/😀.js"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		var b strings.Builder
		for range 1 + r.IntN(4) {
			b.WriteByte('/')
			for range 1 + r.IntN(8) {
				c := rune(0x20 + r.IntN(0x250))
				if c == '/' || c == '\\' || c == 0x7f {
					c = 'x'
				}
				b.WriteRune(c)
			}
		}
		if vfs.ValidatePath(b.String()) == nil {
			paths = append(paths, b.String())
		}
	}
	w, err := s.Watch(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if err := s.Write(ctx, p, []byte(p)); err != nil {
			if strings.Contains(err.Error(), "conflict") {
				continue // a random path under another random file
			}
			t.Fatalf("Write(%q): %v", p, err)
		}
		got, err := s.Read(ctx, p)
		if err != nil || string(got) != p {
			t.Fatalf("Read(%q) = %q, %v", p, got, err)
		}
		select {
		case ev := <-w:
			if ev.Path != p {
				t.Fatalf("event for %q, want %q", ev.Path, p)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no event for %q", p)
		}
	}
}

// A source over the server's max payload goes to the object store; the
// store reads it, its history and its revisions as any other.
func TestLargeSources(t *testing.T) {
	js := natstest.Connect(t, natstest.Start(t, server.Options{MaxPayload: 64 << 10}))
	ctx := context.Background()
	s, err := natskv.Open(ctx, js, "big", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := strings.Repeat("export const x = 1\n", 20000) // 380 KB, over 64 KB
	for _, src := range []string{big, "small", big + "// 2"} {
		if err := s.Write(ctx, "/big.js", []byte(src)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Read(ctx, "/big.js"); err != nil || string(got) != src {
			t.Fatalf("Read = %d bytes, %v; want %d", len(got), err, len(src))
		}
	}
	revs, err := s.History(ctx, "/big.js")
	if err != nil || len(revs) != 3 || revs[2].Size != len(big) || revs[1].Size != len("small") {
		t.Fatalf("History = %+v, %v", revs, err)
	}
	if got, err := s.ReadRevision(ctx, "/big.js", revs[2].Rev); err != nil || string(got) != big {
		t.Errorf("ReadRevision of the first, large, revision: %d bytes, %v", len(got), err)
	}
}

// The watch goes on after the connection drops and comes back, and
// reports what changed meanwhile.
func TestWatchSurvivesReconnects(t *testing.T) {
	dir := t.TempDir()
	start := func(port int) *server.Server {
		return natstest.Start(t, server.Options{Host: "127.0.0.1", Port: port, StoreDir: dir})
	}
	srv := start(-1)
	port := srv.Addr().(*net.TCPAddr).Port
	js := natstest.Connect(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	ctx := context.Background()
	s, err := natskv.Open(ctx, js, "rc", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := s.Watch(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	expect := func(p string) {
		t.Helper()
		select {
		case ev := <-w:
			if ev.Path != p {
				t.Fatalf("event for %s, want %s", ev.Path, p)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("no event for %s", p)
		}
	}
	if err := s.Write(ctx, "/before.js", []byte("1")); err != nil {
		t.Fatal(err)
	}
	expect("/before.js")
	srv.Shutdown()
	srv.WaitForShutdown()
	srv = start(port)
	// Another node writes while this one may still be reconnecting.
	ojs := natstest.Connect(t, srv)
	o, err := natskv.Open(ctx, ojs, "rc", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := o.Write(ctx, "/during.js", []byte("2")); err != nil {
		t.Fatal(err)
	}
	expect("/during.js")
	if err := o.Write(ctx, "/after.js", []byte("3")); err != nil {
		t.Fatal(err)
	}
	expect("/after.js")
}

// warnings is a slog handler that hands every Warn record's message to a
// channel, so a test waits for the log line itself.
type warnings chan string

func (w warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w warnings) Handle(_ context.Context, r slog.Record) error {
	select {
	case w <- r.Message:
	default:
	}
	return nil
}
func (w warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w warnings) WithGroup(string) slog.Handler      { return w }

// A NATS server that comes back without its data (a new store folder) is
// noticed: the Store makes its bucket and the buckets it keeps again,
// logs one warning, reports Lost, reports no deletion of the sources that
// vanished, and sees every later write, though the new stream numbers its
// revisions from 1, below the last one seen. Coming back with its data is
// no loss.
func TestStreamLostAndRemade(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	data := t.TempDir()
	srv := natstest.Start(t, server.Options{Host: "127.0.0.1", Port: -1, StoreDir: data})
	port := srv.Addr().(*net.TCPAddr).Port
	restart := func(dir string) {
		t.Helper()
		srv.Shutdown()
		srv.WaitForShutdown()
		srv = natstest.Start(t, server.Options{Host: "127.0.0.1", Port: port, StoreDir: dir})
	}
	js := natstest.Connect(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	warned := make(warnings, 8)
	s, err := natskv.Open(ctx, js, "lost", natskv.Options{Logger: slog.New(warned)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	side, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "lost-status", TTL: time.Minute, History: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Keep(ctx, side); err != nil {
		t.Fatal(err)
	}
	w, err := s.Watch(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	expect := func(p string, op vfs.Op) {
		t.Helper()
		select {
		case ev := <-w:
			if ev.Path != p || ev.Op != op {
				t.Fatalf("event %s %v, want %s %v", ev.Path, ev.Op, p, op)
			}
		case <-ctx.Done():
			t.Fatalf("no event for %s", p)
		}
	}
	for i := range 5 {
		if err := s.Write(ctx, "/a.js", fmt.Appendf(nil, "a%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Write(ctx, "/b.js", []byte("b")); err != nil {
		t.Fatal(err)
	}
	for ev := range w {
		if ev.Path == "/b.js" {
			break
		}
	}

	// With its data: the same stream, nothing lost.
	restart(data)
	if err := s.Write(ctx, "/b.js", []byte("b2")); err != nil {
		t.Fatal(err)
	}
	expect("/b.js", vfs.Modified)
	if err := s.Lost(); err != nil {
		t.Fatalf("Lost after a restart with the data: %v", err)
	}

	// Without it.
	restart(t.TempDir())
	select {
	case msg := <-warned:
		if !strings.Contains(msg, "lost") {
			t.Errorf("warning %q", msg)
		}
	case <-ctx.Done():
		t.Fatal("no warning that the store was lost")
	}
	if err := s.Lost(); !errors.Is(err, natskv.ErrLost) {
		t.Fatalf("Lost() = %v, want ErrLost", err)
	}
	var le *natskv.LostError
	if !errors.As(s.Lost(), &le) || le.Seen < 7 {
		t.Errorf("Lost() = %#v", s.Lost())
	}
	// The kept bucket is back, with its settings.
	ojs := natstest.Connect(t, srv)
	if kv, err := ojs.KeyValue(ctx, "lost-status"); err != nil {
		t.Errorf("the kept bucket was not made again: %v", err)
	} else if st, err := kv.Status(ctx); err != nil || st.TTL() != time.Minute {
		t.Errorf("the kept bucket's status: %v, %v", st, err)
	}
	// Another node's write, revision 1 of the new stream, is seen, and so
	// is this Store's own.
	o, err := natskv.Open(ctx, ojs, "lost", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := o.Write(ctx, "/c.js", []byte("c")); err != nil {
		t.Fatal(err)
	}
	expect("/c.js", vfs.Created) // not a deletion of /a.js or /b.js first
	if err := s.Lost(); err != nil {
		t.Errorf("Lost() after a write: %v", err)
	}
	if err := s.Write(ctx, "/a.js", []byte("a again")); err != nil {
		t.Fatal(err)
	}
	expect("/a.js", vfs.Modified)
	if got, err := s.List(ctx, "/"); err != nil || !slices.Equal(got, []string{"/a.js", "/c.js"}) {
		t.Errorf("List = %q, %v", got, err)
	}
	select {
	case msg := <-warned:
		t.Errorf("a second warning: %q", msg)
	default:
	}
}

// A Store's own write finds the stream gone before its watch does: the
// write makes the bucket again and succeeds.
func TestWriteRemakesAGoneBucket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js := startServer(t)
	s, err := natskv.Open(ctx, js, "gone", natskv.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := s.Watch(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, "/x.js", []byte("1")); err != nil {
		t.Fatal(err)
	}
	<-w
	if err := js.DeleteKeyValue(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, "/y.js", []byte("2")); err != nil {
		t.Fatalf("a write after the bucket was deleted: %v", err)
	}
	select {
	case ev := <-w:
		if ev.Path != "/y.js" || ev.Op != vfs.Created {
			t.Fatalf("event %+v, want /y.js created", ev)
		}
	case <-ctx.Done():
		t.Fatal("no event for the write to the bucket made again")
	}
	if !errors.Is(s.Lost(), natskv.ErrLost) && s.Lost() != nil {
		t.Errorf("Lost() = %v", s.Lost())
	}
}

// A stream purged while the Store is connected is found by its periodic
// look: the sources are gone without a deletion, so none is reported
// deleted, Lost says so, and the next write ends it.
func TestPurgedStreamIsLostNotDeleted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js := startServer(t)
	warned := make(warnings, 4)
	s, err := natskv.Open(ctx, js, "p", natskv.Options{Logger: slog.New(warned), CheckInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := s.Watch(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, "/a.js", []byte("1")); err != nil {
		t.Fatal(err)
	}
	<-w
	stream, err := js.Stream(ctx, "KV_p")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-warned:
	case <-ctx.Done():
		t.Fatal("no warning that the purged store was lost")
	}
	if !errors.Is(s.Lost(), natskv.ErrLost) {
		t.Errorf("Lost() = %v", s.Lost())
	}
	if err := s.Write(ctx, "/b.js", []byte("2")); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w:
		if ev.Path != "/b.js" {
			t.Fatalf("event %+v, want /b.js (no deletion of /a.js)", ev)
		}
	case <-ctx.Done():
		t.Fatal("no event for the write after the purge")
	}
	if err := s.Lost(); err != nil {
		t.Errorf("Lost() after a write: %v", err)
	}
}
