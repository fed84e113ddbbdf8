package fleettests_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	hotfleet "github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/server"
	"github.com/hotmod/hotmod/vfs/natskv"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// warnings is defined in natskv_test.go.

// A fleet outlives its NATS server losing its data: the nodes that stayed
// up keep serving what they loaded (an empty store unloads nothing), warn,
// make the module, status and rollout buckets again, show the loss in
// their status, and serve the next put, though the new stream numbers its
// revisions from 1. A restart with the data is no loss.
func TestFleetHealsWhenNATSLosesItsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := natstest.Start(t, natsserver.Options{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir()})
	port := srv.Addr().(*net.TCPAddr).Port
	restart := func(dir string) {
		t.Helper()
		srv.Shutdown()
		srv.WaitForShutdown()
		srv = natstest.Start(t, natsserver.Options{Host: "127.0.0.1", Port: port, StoreDir: dir})
	}
	connect := func() jetstream.JetStream {
		return natstest.Connect(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	}
	opJS := connect()
	op, err := natskv.Open(ctx, opJS, "modules", natskv.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	put := func(src string) {
		t.Helper()
		if err := op.Write(ctx, "/price.js", []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	put("export const v = () => 1")

	var nodes []*hotmod.Runtime
	var stores []*natskv.Store
	var warned []warnings
	for i := range 2 {
		js := connect()
		w := make(warnings, 16)
		store, err := natskv.Open(ctx, js, "modules", natskv.Options{Logger: slog.New(w)})
		if err != nil {
			t.Fatal(err)
		}
		rt, err := hotmod.New(ctx, hotmod.Options{Store: store, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		nctx, stop := context.WithCancel(ctx)
		loader := &server.Loader{Runtime: rt, Store: store, Logger: slog.New(slog.DiscardHandler)}
		if err := loader.Start(nctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := loader.LoadAll(ctx); err != nil {
			t.Fatal(err)
		}
		status, err := hotfleet.OpenStatus(ctx, js, "modules", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hotfleet.OpenRollouts(ctx, js, "modules", store); err != nil {
			t.Fatal(err)
		}
		rep := &hotfleet.Reporter{Node: []string{"a", "b"}[i], Runtime: rt, Store: store, Status: status,
			Interval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
		reported := make(chan struct{})
		go func() { defer close(reported); _ = rep.Run(nctx) }()
		t.Cleanup(func() { stop(); <-reported; _ = rt.Close(context.Background()); _ = store.Close() })
		nodes, stores, warned = append(nodes, rt), append(stores, store), append(warned, w)
	}
	serving(t, nodes, "price", int64(1))

	// With its data: nothing lost, and the next put serves.
	restart(srv.StoreDir())
	put("export const v = () => 2")
	serving(t, nodes, "price", int64(2))
	for i, s := range stores {
		if err := s.Lost(); err != nil {
			t.Errorf("node %d: Lost after a restart with the data: %v", i, err)
		}
	}

	// Without it: every node warns, once, and keeps serving.
	restart(t.TempDir())
	for i, w := range warned {
		select {
		case <-w:
		case <-ctx.Done():
			t.Fatalf("node %d did not warn that the store was lost", i)
		}
		if !errors.Is(stores[i].Lost(), natskv.ErrLost) {
			t.Errorf("node %d: Lost() = %v", i, stores[i].Lost())
		}
	}
	serving(t, nodes, "price", int64(2))
	// The status bucket is back (hotmod fleet reads it), and each node's
	// status says the store was lost.
	fresh := natstest.Connect(t, srv)
	status, err := fresh.KeyValue(ctx, "modules-status")
	if err != nil {
		t.Fatalf("the status bucket was not made again: %v", err)
	}
	if _, err := fresh.KeyValue(ctx, "modules-rollouts"); err != nil {
		t.Errorf("the rollout bucket was not made again: %v", err)
	}
	sw, err := status.WatchAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Stop()
	for lost := map[string]bool{}; len(lost) < len(nodes); {
		select {
		case e := <-sw.Updates():
			var st hotfleet.Status
			if e != nil && json.Unmarshal(e.Value(), &st) == nil && st.StoreLost != "" {
				lost[st.Node] = true
			}
		case <-ctx.Done():
			t.Fatal("the nodes' statuses do not say the store was lost")
		}
	}
	if sts, err := hotfleet.Read(ctx, status); err != nil || len(sts) != len(nodes) {
		t.Errorf("fleet.Read after the loss: %d nodes, %v", len(sts), err)
	}
	// The operator puts the source again (revision 1 of the new stream):
	// every node serves it, and the loss is over.
	put("export const v = () => 3")
	serving(t, nodes, "price", int64(3))
	for i, s := range stores {
		if err := s.Lost(); err != nil {
			t.Errorf("node %d: Lost after a put: %v", i, err)
		}
		select {
		case msg := <-warned[i]:
			t.Errorf("node %d warned again: %s", i, msg)
		default:
		}
	}
}
