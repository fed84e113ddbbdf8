package natskv_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
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
