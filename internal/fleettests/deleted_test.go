package fleettests_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	hotfleet "github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/vfs/natskv"
	"github.com/nats-io/nats.go/jetstream"
)

// A deletion in the shared store reaches every node as a write does: a
// module nothing imports is removed everywhere (and a node started after
// it never had it); one a loaded module imports is refused on every node,
// keeps serving, and every node's status says deleted, naming the
// importer, until the importer drops the import and it goes too.
func TestDeleteIsFleetWide(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	f := newFleet(t)
	op, err := natskv.Open(ctx, f.js, "modules", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	f.put(op, "/lib.js", "export const n = () => 1")
	f.put(op, "/app.js", "import { n } from './lib.js'\nexport const v = () => n() + 1")
	f.put(op, "/solo.js", "export const v = () => 5")
	var nodes []*hotmod.Runtime
	var events []<-chan hotmod.Event
	for range 2 {
		rt, _ := f.node()
		nodes = append(nodes, rt)
		events = append(events, rt.Events(ctx))
	}
	serving(t, nodes, "solo", int64(5))
	serving(t, nodes, "app", int64(2))

	if err := op.Delete(ctx, "/solo.js"); err != nil {
		t.Fatal(err)
	}
	for i, rt := range nodes {
		waitFor(t, events[i], typ(hotmod.EventRemoved, "solo"))
		if _, err := rt.Module("solo"); !errors.Is(err, hotmod.ErrNotFound) {
			t.Errorf("node %d still has solo: %v", i+1, err)
		}
	}
	late, _ := f.node()
	if _, err := late.Module("solo"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("a node started after the delete has solo: %v", err)
	}
	nodes = append(nodes, late)
	events = append(events, late.Events(ctx))
	serving(t, nodes, "app", int64(2))

	// lib is imported by app: the deletion is refused on every node.
	statuses, err := f.status.WatchAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer statuses.Stop()
	if err := op.Delete(ctx, "/lib.js"); err != nil {
		t.Fatal(err)
	}
	for i, rt := range nodes {
		ev := waitFor(t, events[i], typ(hotmod.EventDeleteRefused, "lib"))
		if !strings.Contains(ev.Error, "app") {
			t.Errorf("node %d refused the deletion of lib with %q, which does not name app", i+1, ev.Error)
		}
		m, err := rt.Module("lib")
		if err != nil {
			t.Fatalf("node %d removed lib, which app imports: %v", i+1, err)
		}
		if st := m.Stats(); !st.SourceDeleted || !strings.Contains(st.LastError, "app") {
			t.Errorf("node %d's stats of lib: %+v", i+1, st)
		}
	}
	serving(t, nodes, "app", int64(2))
	// Every node's status shows lib deleted, not behind, with the reason.
	deleted := map[string]bool{}
	for len(deleted) < len(nodes) {
		var e jetstream.KeyValueEntry
		select {
		case e = <-statuses.Updates():
		case <-ctx.Done():
			t.Fatalf("the status of %d nodes, not %d, shows lib deleted", len(deleted), len(nodes))
		}
		if e == nil || e.Operation() != jetstream.KeyValuePut {
			continue
		}
		var st hotfleet.Status
		if err := json.Unmarshal(e.Value(), &st); err != nil {
			t.Fatal(err)
		}
		for _, m := range st.Modules {
			if m.ID != "lib" {
				continue
			}
			if m.Behind() {
				t.Errorf("node %s reports lib behind: %+v", st.Node, m)
			}
			// Its refusal may come a report after the deletion's.
			if m.Deleted && strings.Contains(m.Error, "app") {
				if m.Serving == 0 || m.Tried <= m.Serving {
					t.Errorf("node %s reports lib as %+v", st.Node, m)
				}
				deleted[st.Node] = true
			}
		}
	}

	// app stops importing lib: lib goes on every node.
	f.put(op, "/app.js", "export const v = () => 3")
	for i, rt := range nodes {
		waitFor(t, events[i], typ(hotmod.EventRemoved, "lib"))
		if _, err := rt.Module("lib"); !errors.Is(err, hotmod.ErrNotFound) {
			t.Errorf("node %d still has lib after app dropped it: %v", i+1, err)
		}
	}
	serving(t, nodes, "app", int64(3))
}
