package fleettests_test

import (
	"context"
	"encoding/json"
	"fmt"
	hotfleet "github.com/hotmod/hotmod/fleet"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
	"github.com/nats-io/nats-server/v2/server"
)

// counting is a module store that counts the reads of history and of
// revisions, by path.
type counting struct {
	*natskv.Store
	mu    sync.Mutex
	reads map[string]int
}

func (c *counting) History(ctx context.Context, p string) ([]vfs.Revision, error) {
	c.count(p)
	return c.Store.History(ctx, p)
}

func (c *counting) ReadRevision(ctx context.Context, p string, rev uint64) ([]byte, error) {
	c.count(p)
	return c.Store.ReadRevision(ctx, p, rev)
}

func (c *counting) count(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads[p]++
}

// take returns the reads counted since the last take.
func (c *counting) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reads
	c.reads = map[string]int{}
	return r
}

// A report reads nothing of a module whose source and store revision did
// not change (Run learns the revisions from the store's watch); a change
// costs a read of that module's latest revision, and none of the others'.
func TestReportReadsOnlyWhatChanged(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js := natstest.Connect(t, natstest.Start(t, server.Options{}))
	nstore, err := natskv.Open(ctx, js, "m", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer nstore.Close()
	const n = 20
	for i := range n {
		if err := nstore.Write(ctx, fmt.Sprintf("/f%d.js", i), fmt.Appendf(nil, "export const v = () => %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := hotmod.New(ctx, hotmod.Options{Store: nstore, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	if rep, err := rt.LoadAll(ctx, "/"); err != nil || len(rep.Loaded) != n {
		t.Fatalf("LoadAll: %d loaded, %v", len(rep.Loaded), err)
	}
	status, err := hotfleet.OpenStatus(ctx, js, "m", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	reports, err := status.Watch(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	defer reports.Stop()
	store := &counting{Store: nstore, reads: map[string]int{}}
	r := &hotfleet.Reporter{Node: "n", Runtime: rt, Store: store, Status: status, Interval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	rctx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); _ = r.Run(rctx) }()
	defer func() { stop(); <-ran }()

	// next waits for a report that satisfies ok.
	var last hotfleet.Status
	next := func(what string, ok func(hotfleet.Status) bool) hotfleet.Status {
		t.Helper()
		for {
			select {
			case e := <-reports.Updates():
				if e == nil || len(e.Value()) == 0 {
					continue
				}
				var st hotfleet.Status
				if err := json.Unmarshal(e.Value(), &st); err != nil {
					t.Fatal(err)
				}
				last = st
				if ok(st) {
					return st
				}
			case <-ctx.Done():
				t.Fatalf("no report %s; the last: %+v", what, last)
			}
		}
	}
	module := func(st hotfleet.Status, p string) hotfleet.ModuleStatus {
		i := slices.IndexFunc(st.Modules, func(m hotfleet.ModuleStatus) bool { return m.Path == p })
		if i < 0 {
			t.Fatalf("no status of %s in %+v", p, st)
		}
		return st.Modules[i]
	}
	all := func(st hotfleet.Status) bool {
		return len(st.Modules) == n && !slices.ContainsFunc(st.Modules, func(m hotfleet.ModuleStatus) bool { return m.Serving == 0 || m.Behind() })
	}
	next("of every module serving", all)
	first := store.take()
	if len(first) != n {
		t.Errorf("the first reports read %d paths, want each of the %d once: %v", len(first), n, first)
	}
	for range 5 {
		next("of an unchanged fleet", all)
	}
	if got := store.take(); len(got) != 0 {
		t.Errorf("reports of unchanged modules read the store: %v", got)
	}

	// A new source of one module: its reload and its report read only it.
	f3 := module(next("", all), "/f3.js")
	if err := nstore.Write(ctx, "/f3.js", []byte("export const v = () => 33")); err != nil {
		t.Fatal(err)
	}
	st := next("of f3's new revision served", func(st hotfleet.Status) bool {
		m := module(st, "/f3.js")
		return all(st) && m.Version == 2 && m.Serving > f3.Serving
	})
	next("after it", all)
	if got := store.take(); !slices.Equal(slices.Collect(maps.Keys(got)), []string{"/f3.js"}) || got["/f3.js"] > 2 {
		t.Errorf("after a write of /f3.js, the reports read %v; want a read or two of /f3.js only", got)
	}

	// A broken source: behind, serving the revision it served, with no
	// history read.
	if err := nstore.Write(ctx, "/f4.js", []byte("export const v = () => {")); err != nil {
		t.Fatal(err)
	}
	served := module(st, "/f4.js").Serving
	next("of f4 behind", func(st hotfleet.Status) bool {
		m := module(st, "/f4.js")
		return m.Behind() && m.Error != "" && m.Serving == served
	})
	if got := store.take(); len(got) != 1 || got["/f4.js"] != 1 {
		t.Errorf("after a broken write of /f4.js, the reports read %v; want one read of /f4.js", got)
	}
}
