package fleettests_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	hotfleet "github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/vfs"
)

// A node that stops reporting without removing its entry (killed: its
// reporter never runs again) is listed stale, with the age of its last
// report, once it has missed two reports; before, it was listed as it last
// reported until the bucket's TTL dropped it.
func TestFleetStaleNode(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	f.node() // n1, alive: it reports every 100 ms
	store := vfs.NewMem()
	defer store.Close()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	const interval = 100 * time.Millisecond
	dead := &hotfleet.Reporter{Node: "dead", Runtime: rt, Store: store, Status: f.status, Interval: interval}
	if err := dead.Report(ctx); err != nil {
		t.Fatal(err)
	}
	reported := time.Now()
	// Staleness is time passing: wait until two reports are missed.
	staleAfter := hotfleet.Status{Interval: interval}.StaleAfter()
	time.Sleep(time.Until(reported.Add(staleAfter + 20*time.Millisecond)))
	deadline := time.Now().Add(10 * time.Second)
	for {
		statuses, err := hotfleet.Read(ctx, f.status)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]hotfleet.Status{}
		for _, st := range statuses {
			got[st.Node] = st
		}
		d, live := got["dead"], got["n1"]
		if d.Interval != interval || !d.Stale || d.Age < staleAfter || d.Age > time.Since(reported)+time.Second {
			t.Fatalf("the dead node: stale %v, age %v, interval %v", d.Stale, d.Age, d.Interval)
		}
		if live.Node == "n1" && !live.Stale && live.Age <= live.StaleAfter() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live node is listed stale: %+v", live)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
