// Package natstest starts NATS JetStream servers for tests: in the test's
// process, and on loopback when a test needs a URL or a restart.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Start runs a JetStream server in the test's process, stopped when the
// test ends. opts may set fields (a listener with Host and Port -1, a
// MaxPayload); the store folder is the test's unless opts names one.
func Start(t testing.TB, opts server.Options) *server.Server {
	t.Helper()
	opts.JetStream, opts.NoLog, opts.NoSigs = true, true, true
	if opts.StoreDir == "" {
		opts.StoreDir = t.TempDir()
	}
	if opts.Port == 0 {
		opts.DontListen = true
	}
	srv, err := server.NewServer(&opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the nats-server did not start within 10s")
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// Connect opens a connection of its own to srv, closed when the test
// ends, and returns JetStream on it.
func Connect(t testing.TB, srv *server.Server, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	if srv.Addr() == nil {
		opts = append(opts, nats.InProcessServer(srv))
	}
	nc, err := nats.Connect(srv.ClientURL(), opts...)
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
