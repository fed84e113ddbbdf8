package bench

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/vfs/natskv"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

// BenchmarkFleetStatus measures what the fleet's status reports cost
// while nothing changes: 1,000 modules on each of 5 nodes, one op being a
// report round (every node writes its status once, what each does every
// Reporter.Interval). It reports the messages the nodes send to and
// receive from NATS per round: every request is one out, and a history
// read brings every kept revision in. Each Reporter follows the store's
// changes, as Run makes it do. The nodes share one Runtime (the
// store's side of a report is per node; loading 5,000 modules would only
// time goja).
func BenchmarkFleetStatus(b *testing.B) {
	const modules, nodes = 1000, 5
	ctx := context.Background()
	srv := natstest.Start(b, natsserver.Options{})
	op, err := natskv.Open(ctx, natstest.Connect(b, srv), "modules", natskv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer op.Close()
	for i := range modules {
		// Two revisions each, as after a deploy and a fix.
		for rev := range 2 {
			if err := op.Write(ctx, fmt.Sprintf("/m/f%d.js", i), fmt.Appendf(nil, "export const x = %d", i*10+rev)); err != nil {
				b.Fatal(err)
			}
		}
	}
	rt, err := hotmod.New(ctx, hotmod.Options{Store: op, DisableAutoReload: true, LoadTimeout: time.Minute, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	if rep, err := rt.LoadAll(ctx, "/"); err != nil || len(rep.Loaded) != modules {
		b.Fatalf("loaded %d of %d modules: %v", len(rep.Loaded), modules, err)
	}
	type node struct {
		rep   *fleet.Reporter
		stats func() (out, in uint64)
	}
	var ns []node
	for i := range nodes {
		js := natstest.Connect(b, srv)
		store, err := natskv.Open(ctx, js, "modules", natskv.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		status, err := fleet.OpenStatus(ctx, js, "modules", time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		nc := js.Conn()
		rep := &fleet.Reporter{Node: fmt.Sprintf("n%d", i), Runtime: rt, Store: store, Status: status}
		rep.Follow(ctx) // as Run does
		ns = append(ns, node{
			rep:   rep,
			stats: func() (uint64, uint64) { s := nc.Stats(); return s.OutMsgs, s.InMsgs },
		})
	}
	round := func() {
		for _, n := range ns {
			if err := n.rep.Report(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	counts := func() (out, in uint64) {
		for _, n := range ns {
			o, i := n.stats()
			out, in = out+o, in+i
		}
		return out, in
	}
	// The first round learns what each node serves; the steady state is
	// what every later tick costs.
	out0, in0 := counts()
	start := time.Now()
	round()
	first := time.Since(start)
	out1, in1 := counts()
	b.ResetTimer()
	for b.Loop() {
		round()
	}
	b.StopTimer()
	out2, in2 := counts()
	// After the loop: ResetTimer drops the metrics reported before it.
	b.ReportMetric(float64(first.Milliseconds()), "first-round-ms")
	b.ReportMetric(float64(out1-out0), "first-round-msgs-out")
	b.ReportMetric(float64(in1-in0), "first-round-msgs-in")
	b.ReportMetric(float64(out2-out1)/float64(b.N), "msgs-out/round")
	b.ReportMetric(float64(in2-in1)/float64(b.N), "msgs-in/round")
}
