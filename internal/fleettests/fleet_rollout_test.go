package fleettests_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	hotfleet "github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/vfs/natskv"
)

// --percent selects by rank among the live nodes, ceil(N × p / 100) and at
// least one, and the list is fixed when the rollout starts. Before, each
// node compared its own hash bucket with the percent: 10% or 20% of five
// nodes selected none, and a rollout naming a node that does not exist
// was accepted.
func TestFleetRolloutPercentSelectsByRank(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	op, err := natskv.Open(ctx, f.js, "modules", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = op.Close() })
	f.rollouts.Store = op
	f.put(op, "/price.js", "export const v = () => 1")
	var nodes []*hotmod.Runtime
	for range 5 {
		rt, _ := f.node()
		nodes = append(nodes, rt)
	}
	f.waitLive(5)
	// The rank, computed here on its own: FNV-1a of the name, ascending.
	ranked := []string{"n1", "n2", "n3", "n4", "n5"}
	sum := func(n string) uint32 { h := fnv.New32a(); h.Write([]byte(n)); return h.Sum32() }
	slices.SortFunc(ranked, func(a, b string) int { return cmp.Compare(sum(a), sum(b)) })
	for pct, want := range map[int]int{10: 1, 20: 1, 40: 2, 50: 3, 100: 5} {
		r, err := f.rollouts.Start(ctx, hotfleet.Rollout{Path: "/price.js", Source: "export const v = () => 2", Percent: pct})
		if err != nil {
			t.Fatalf("%d%%: %v", pct, err)
		}
		if wantNodes := slices.Sorted(slices.Values(ranked[:want])); !slices.Equal(r.Nodes, wantNodes) || r.Live != 5 {
			t.Errorf("%d%% of 5 nodes selects %v of %d live, want %v", pct, r.Nodes, r.Live, wantNodes)
		}
		if _, err := f.rollouts.Abort(ctx, "/price.js", "next"); err != nil {
			t.Fatal(err)
		}
	}
	serving(t, nodes, "price", int64(1))

	// 40%: the two first by rank serve it, the others do not.
	r, err := f.rollouts.Start(ctx, hotfleet.Rollout{Path: "/price.js", Source: "export const v = () => 2", Percent: 40})
	if err != nil {
		t.Fatal(err)
	}
	var on, off []*hotmod.Runtime
	for i, rt := range nodes {
		if slices.Contains(r.Nodes, fmt.Sprintf("n%d", i+1)) {
			on = append(on, rt)
		} else {
			off = append(off, rt)
		}
	}
	serving(t, on, "price", int64(2))
	for _, rt := range off {
		if v, _ := mustModule(t, rt, "price").Call(ctx, "v"); v != int64(1) {
			t.Errorf("a node outside the 40%% serves %v", v)
		}
	}
	// A node that joins later does not change the selection.
	late, _ := f.node()
	f.waitLive(6)
	if again, err := f.rollouts.Get(ctx, "/price.js"); err != nil || !slices.Equal(again.Nodes, r.Nodes) {
		t.Errorf("after a sixth node joined the rollout selects %v, %v; want %v", again.Nodes, err, r.Nodes)
	}
	if v, _ := mustModule(t, late, "price").Call(ctx, "v"); v != int64(1) {
		t.Errorf("the late node, not selected, serves %v", v)
	}

	// An unknown node is refused, unless pre-staged.
	_, err = f.rollouts.Start(ctx, hotfleet.Rollout{Path: "/price.js", Source: "export const v = () => 3", Nodes: []string{"n1", "n9"}})
	if !errors.Is(err, hotfleet.ErrUnknownNode) || !strings.Contains(err.Error(), "n9") {
		t.Errorf("a rollout naming n9: %v, want ErrUnknownNode naming n9", err)
	}
	if r, err := f.rollouts.Get(ctx, "/price.js"); err != nil || r.Source != "export const v = () => 2" {
		t.Errorf("a refused start replaced the running rollout: %+v, %v", r, err)
	}
	if r, err := f.rollouts.Start(ctx, hotfleet.Rollout{Path: "/price.js", Source: "export const v = () => 3", Nodes: []string{"n9"}, AllowAbsent: true}); err != nil || !slices.Equal(r.Nodes, []string{"n9"}) {
		t.Errorf("a pre-staged rollout for n9: %+v, %v", r, err)
	}
	// No live node: nothing to take a percentage of.
	empty, err := hotfleet.OpenStatus(ctx, f.js, "elsewhere", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	none := &hotfleet.Rollouts{KV: f.rollouts.KV, Store: op, Status: empty}
	if _, err := none.Start(ctx, hotfleet.Rollout{Path: "/price.js", Source: "x", Percent: 100}); !errors.Is(err, hotfleet.ErrNoNodeSelected) {
		t.Errorf("100%% of no live node: %v, want ErrNoNodeSelected", err)
	}
}

// Promote writes onto the store revision the rollout started from: a put
// made meanwhile is not overwritten (before, promote replaced it) unless
// forced, and promote and abort are compare-and-set on the rollout's
// entry, so of several at once exactly one wins.
func TestFleetPromoteRefusesNewerPuts(t *testing.T) {
	f, op, nodes := threeNodes(t, "export const v = () => 1")
	ctx := context.Background()
	r, err := f.rollouts.Start(ctx, hotfleet.Rollout{Path: "/price.js", Source: "export const v = () => 2", Nodes: []string{"n1"}})
	if err != nil {
		t.Fatal(err)
	}
	if rev, _ := op.Revision(ctx, "/price.js"); r.Revision != rev || rev == 0 {
		t.Fatalf("the rollout started from revision %d, the store is at %d", r.Revision, rev)
	}
	f.put(op, "/price.js", "export const v = () => 7")
	newer, _ := op.Revision(ctx, "/price.js")
	serving(t, nodes[1:], "price", int64(7))
	_, err = f.rollouts.Promote(ctx, "/price.js")
	var ce *hotfleet.ConflictError
	if !errors.Is(err, hotfleet.ErrConflict) || !errors.As(err, &ce) || ce.Newer != newer || ce.Started != r.Revision ||
		!strings.Contains(err.Error(), fmt.Sprintf("revision %d", newer)) {
		t.Fatalf("promote over a newer put: %v, want a conflict naming revision %d", err, newer)
	}
	if src, _ := op.Read(ctx, "/price.js"); string(src) != "export const v = () => 7" {
		t.Errorf("a refused promote wrote %q", src)
	}
	if r, _ := f.rollouts.Get(ctx, "/price.js"); r.State != hotfleet.Running {
		t.Errorf("after a refused promote the rollout is %s", r.State)
	}
	if r, err := f.rollouts.ForcePromote(ctx, "/price.js"); err != nil || r.State != hotfleet.Promoted {
		t.Fatalf("force promote: %+v, %v", r, err)
	}
	if src, _ := op.Read(ctx, "/price.js"); string(src) != "export const v = () => 2" {
		t.Errorf("force promote left %q", src)
	}
	serving(t, nodes, "price", int64(2))

	// Three promotes and three aborts at once: one wins, the others are
	// told, and the store agrees with the winner.
	for round := range 3 {
		src := fmt.Sprintf("export const v = () => %d", 10+round)
		if _, err := f.rollouts.Start(ctx, hotfleet.Rollout{Path: "/price.js", Source: src, Nodes: []string{"n2"}}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() {
				if i%2 == 0 {
					_, errs[i] = f.rollouts.Promote(ctx, "/price.js")
				} else {
					_, errs[i] = f.rollouts.Abort(ctx, "/price.js", "race")
				}
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, hotfleet.ErrConflict) && !errors.Is(err, hotfleet.ErrNoRollout):
				t.Errorf("a loser's error: %v", err)
			}
		}
		end, _ := f.rollouts.Get(ctx, "/price.js")
		stored, _ := op.Read(ctx, "/price.js")
		if won != 1 || (end.State == hotfleet.Promoted) != (string(stored) == src) {
			t.Errorf("round %d: %d winners (%v); the rollout is %s and the store holds %q", round, won, errs, end.State, stored)
		}
	}
}
