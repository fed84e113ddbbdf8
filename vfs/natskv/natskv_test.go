package natskv_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
	"github.com/hotmod/hotmod/vfs/vfstest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startServer runs a JetStream server in the test's process, without a
// listener, and returns a JetStream context on it.
func startServer(t *testing.T) jetstream.JetStream {
	t.Helper()
	srv, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), DontListen: true, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the embedded nats-server did not start within 10s")
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL(), nats.InProcessServer(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
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
