package fleettests_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	hotfleet "github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/internal/sample"
	"github.com/hotmod/hotmod/server"
	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// fleet is an embedded JetStream server and the nodes (Runtimes) that share
// one bucket on it.
type fleet struct {
	t        *testing.T
	srv      *natsserver.Server
	js       jetstream.JetStream // the operator's: writes as `hotmod put` would
	status   jetstream.KeyValue  // the nodes' reports
	rollouts *hotfleet.Rollouts
	nodes    int
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	srv := natstest.Start(t, natsserver.Options{})
	f := &fleet{t: t, srv: srv}
	f.js = f.connect()
	var err error
	if f.status, err = hotfleet.OpenStatus(context.Background(), f.js, "modules", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if f.rollouts, err = hotfleet.OpenRollouts(context.Background(), f.js, "modules", nil); err != nil {
		t.Fatal(err)
	}
	f.rollouts.Status = f.status
	return f
}

func (f *fleet) connect() jetstream.JetStream { return natstest.Connect(f.t, f.srv) }

// node starts a Runtime on the bucket over a connection of its own, and
// loads every module in it, as `hotmod serve --nats` would.
func (f *fleet) node() (*hotmod.Runtime, *natskv.Store) {
	f.t.Helper()
	ctx := context.Background()
	store, err := natskv.Open(ctx, f.connect(), "modules", natskv.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.t.Fatal(err)
	}
	// What `hotmod serve` does: load every module, and each new one.
	lctx, stop := context.WithCancel(ctx)
	loader := &server.Loader{Runtime: rt, Store: store, Logger: slog.New(slog.DiscardHandler)}
	if err := loader.Start(lctx); err != nil {
		f.t.Fatal(err)
	}
	if _, _, err := loader.LoadAll(ctx); err != nil {
		f.t.Fatal(err)
	}
	f.nodes++
	node := fmt.Sprintf("n%d", f.nodes)
	fol := &hotfleet.Follower{Node: node, Runtime: rt, Rollouts: f.rollouts, Status: f.status, Logger: slog.New(slog.DiscardHandler)}
	rep := &hotfleet.Reporter{Node: node, Runtime: rt, Store: store, Status: f.status, Follower: fol,
		Interval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	reported, followed := make(chan struct{}), make(chan struct{})
	go func() { defer close(reported); _ = rep.Run(lctx) }()
	go func() { defer close(followed); _ = fol.Run(lctx) }()
	f.t.Cleanup(func() { stop(); <-reported; <-followed; _ = rt.Close(context.Background()); _ = store.Close() })
	return rt, store
}

func (f *fleet) put(store vfs.Store, p, src string) {
	f.t.Helper()
	if err := store.Write(context.Background(), p, []byte(src)); err != nil {
		f.t.Fatal(err)
	}
}

// serving waits until every node's module id runs want from v.
func serving(t *testing.T, nodes []*hotmod.Runtime, id string, want any) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, rt := range nodes {
		for {
			m, err := rt.Module(id)
			if err == nil {
				if v, err := m.Call(context.Background(), "v"); err == nil && v == want {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("a node does not serve %s = %v within 10s", id, want)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func TestFleetOnNATS(t *testing.T) {
	f := newFleet(t)
	op, err := natskv.Open(context.Background(), f.js, "modules", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	f.put(op, "/price.js", "export const v = () => 1")
	var nodes []*hotmod.Runtime
	for range 3 {
		rt, _ := f.node()
		nodes = append(nodes, rt)
	}
	serving(t, nodes, "price", int64(1))

	// One put reloads every node; measured over 100 puts.
	var took []time.Duration
	for i := 2; i <= 101; i++ {
		start := time.Now()
		f.put(op, "/price.js", fmt.Sprintf("export const v = () => %d", i))
		serving(t, nodes, "price", int64(i))
		took = append(took, time.Since(start))
	}
	q := sample.Quantiles(took, 0.5, 0.99)
	t.Logf("put -> all 3 nodes serving the new version, over %d puts: p50 %v, p99 %v", len(took), q[0], q[1])

	// A syntax error pushed to the fleet: every node keeps serving, and
	// every node reports the same position.
	f.put(op, "/price.js", "export const v = () => {")
	var positions []string
	for _, rt := range nodes {
		m, _ := rt.Module("price")
		deadline := time.Now().Add(10 * time.Second)
		for m.Stats().LastError == "" && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		st := m.Stats()
		if st.LastErrorPosition == nil {
			t.Fatalf("a node reports no error position: %+v", st)
		}
		positions = append(positions, fmt.Sprint(*st.LastErrorPosition))
		if v, err := m.Call(context.Background(), "v"); err != nil || v != int64(101) {
			t.Errorf("a node serves %v, %v after a broken push, want 101", v, err)
		}
	}
	if len(slices.Compact(slices.Clone(positions))) != 1 {
		t.Errorf("the nodes report different positions: %v", positions)
	}
	// And each says so in the fleet's status: the revision it tried, its
	// error and position, and the older revision it serves.
	deadline := time.Now().Add(10 * time.Second)
	for {
		statuses, err := hotfleet.Read(context.Background(), f.status)
		if err != nil {
			t.Fatal(err)
		}
		failing := 0
		for _, st := range statuses {
			for _, m := range st.Modules {
				if m.ID == "price" && m.Error != "" && m.Behind() && m.Serving != 0 && m.Position != nil && fmt.Sprint(*m.Position) == positions[0] {
					failing++
				}
			}
		}
		if failing == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fleet's status does not show the failure on all three nodes: %+v", statuses)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A node stopped across two puts and a delete catches up on start.
	f.put(op, "/price.js", "export const v = () => 200")
	f.put(op, "/tax.js", "export const v = () => 0.2")
	serving(t, nodes, "tax", 0.2)
	_ = nodes[2].Close(context.Background())
	// 1,000 changes while it is away: ten modules written 100 times, a
	// new one, and a deletion.
	for i := range 998 {
		f.put(op, fmt.Sprintf("/m%d.js", i%10), fmt.Sprintf("export const v = () => %d", i))
	}
	f.put(op, "/price.js", "export const v = () => 300")
	f.put(op, "/rate.js", "export const v = () => 7")
	if err := op.Delete(context.Background(), "/tax.js"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	back, _ := f.node()
	serving(t, []*hotmod.Runtime{back}, "m9", int64(989)) // its last write, i = 989
	t.Logf("a node that missed 1,001 changes serves the final state %v after it starts", time.Since(start))
	serving(t, []*hotmod.Runtime{back, nodes[0], nodes[1]}, "price", int64(300))
	serving(t, []*hotmod.Runtime{back}, "rate", int64(7))
	if _, err := back.Module("tax"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("the returning node loaded the deleted tax module: %v", err)
	}
}

// A rollout reaches only its nodes; abort takes them back, promote takes
// every node forward through the store.
func TestFleetRollouts(t *testing.T) {
	f, op, nodes := threeNodes(t, "export const v = () => 1")
	ctx := context.Background()
	serving(t, nodes, "price", int64(1))

	if _, err := f.rollouts.Start(ctx, hotfleet.Rollout{Path: "/price.js", Source: "export const v = () => 2", Nodes: []string{"n2"}}); err != nil {
		t.Fatal(err)
	}
	serving(t, nodes[1:2], "price", int64(2))
	for _, i := range []int{0, 2} {
		if v, _ := mustModule(t, nodes[i], "price").Call(ctx, "v"); v != int64(1) {
			t.Errorf("node n%d, not in the rollout, serves %v", i+1, v)
		}
	}
	// A write to the store meanwhile does not move the rollout's node.
	f.put(op, "/price.js", "export const v = () => 3")
	serving(t, []*hotmod.Runtime{nodes[0], nodes[2]}, "price", int64(3))
	if v, _ := mustModule(t, nodes[1], "price").Call(ctx, "v"); v != int64(2) {
		t.Errorf("the rollout's node serves %v after a write to the store, want the rollout's 2", v)
	}
	// A node that starts while the rollout runs, and that it selects,
	// joins it once the module loads.
	f.nodes = 1 // the next node is n2 again: the same name, a new process
	late, _ := f.node()
	serving(t, []*hotmod.Runtime{late}, "price", int64(2))
	if _, err := f.rollouts.Abort(ctx, "/price.js", "by hand"); err != nil {
		t.Fatal(err)
	}
	serving(t, append(nodes, late), "price", int64(3))

	f.waitLive(3) // n2 is a new node of the same name
	r, err := f.rollouts.Start(ctx, hotfleet.Rollout{Path: "/price.js", Source: "export const v = () => 4", Percent: 100})
	if err != nil || !slices.Equal(r.Nodes, []string{"n1", "n2", "n3"}) {
		t.Fatal(r, err)
	}
	serving(t, nodes, "price", int64(4))
	if _, err := f.rollouts.Promote(ctx, "/price.js"); err != nil {
		t.Fatal(err)
	}
	if src, _ := op.Read(ctx, "/price.js"); string(src) != "export const v = () => 4" {
		t.Errorf("promote wrote %q to the store", src)
	}
	// Unpinned, every node serves the store's source, which is the same.
	deadline := time.Now().Add(10 * time.Second)
	for _, rt := range nodes {
		for mustModule(t, rt, "price").Pinned() {
			if time.Now().After(deadline) {
				t.Fatal("a node is still pinned after the promotion")
			}
			time.Sleep(time.Millisecond)
		}
	}
	serving(t, nodes, "price", int64(4))
	if _, err := f.rollouts.Promote(ctx, "/price.js"); !errors.Is(err, hotfleet.ErrNoRollout) {
		t.Errorf("a second promote: %v", err)
	}
}

func mustModule(t *testing.T, rt *hotmod.Runtime, id string) *hotmod.Module {
	t.Helper()
	m, err := rt.Module(id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A rollout whose nodes throw on 10% of calls aborts by itself, saying why.
func TestFleetRolloutAutoAbort(t *testing.T) {
	f, _, nodes := threeNodes(t, "export const f = (i) => i")
	ctx := context.Background()
	if _, err := f.rollouts.Start(ctx, hotfleet.Rollout{Path: "/price.js", Nodes: []string{"n1"}, AutoAbort: true,
		Source: "export const f = (i) => { if (i % 10 === 0) throw new Error('one in ten'); return i }"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for i := 1; ; i++ {
		for _, rt := range nodes {
			_, _ = mustModule(t, rt, "price").Call(ctx, "f", i)
		}
		r, err := f.rollouts.Get(ctx, "/price.js")
		if err != nil {
			t.Fatal(err)
		}
		if r.State == hotfleet.Aborted {
			// Its nodes' calls include a few made before they took the new
			// source: the rate is about, not exactly, 10%.
			if !strings.Contains(r.Reason, "regressed: error rate ") || !strings.Contains(r.Reason, "on its nodes against 0.0%") {
				t.Errorf("reason: %q", r.Reason)
			}
			t.Logf("aborted after %d calls per node: %s", i, r.Reason)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rollout did not abort itself within 20s")
		}
		if i%50 == 0 {
			time.Sleep(20 * time.Millisecond) // let the reports and the judges run
		}
	}
	// Its node goes back to the store's source.
	deadline = time.Now().Add(10 * time.Second)
	for {
		_, err := mustModule(t, nodes[0], "price").Call(ctx, "f", 10)
		if err == nil && !mustModule(t, nodes[0], "price").Pinned() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("n1 still runs the aborted rollout: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
}

// threeNodes starts a fleet whose store holds /price.js = src, with three
// nodes on it, and returns the operator's store too.
func threeNodes(t *testing.T, src string) (*fleet, *natskv.Store, []*hotmod.Runtime) {
	t.Helper()
	f := newFleet(t)
	op, err := natskv.Open(context.Background(), f.js, "modules", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = op.Close() })
	f.rollouts.Store = op
	f.put(op, "/price.js", src)
	var nodes []*hotmod.Runtime
	for range 3 {
		rt, _ := f.node()
		nodes = append(nodes, rt)
	}
	f.waitLive(3)
	return f, op, nodes
}

// waitLive waits until n nodes have live statuses (a rollout selects among
// them only), woken by each change to the status bucket.
func (f *fleet) waitLive(n int) []hotfleet.Status {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := f.status.WatchAll(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	defer w.Stop()
	for {
		statuses, err := hotfleet.Read(ctx, f.status)
		if err != nil {
			f.t.Fatal(err)
		}
		live := 0
		for _, st := range statuses {
			if !st.Stale {
				live++
			}
		}
		if live == n {
			return statuses
		}
		select {
		case _, ok := <-w.Updates():
			if ok {
				continue
			}
		case <-ctx.Done():
		}
		f.t.Fatalf("%d live nodes, want %d: %+v", live, n, statuses)
	}
}
