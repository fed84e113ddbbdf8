// Package fleet reports what each node of a fleet serves. Like an Envoy
// xDS ACK/NACK, every node writes its status to a key-value bucket beside
// the module store: per module, the store revision it serves, the revision
// it last tried, and that attempt's error with its position. The entries
// expire when a node stops refreshing them, so the bucket lists the live
// nodes; Read and Summarize show drift and failures.
package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
	"github.com/nats-io/nats.go/jetstream"
)

// Status is one node's report.
type Status struct {
	Node    string         `json:"node"`
	Addr    string         `json:"addr,omitempty"` // its API, if it serves one
	Updated time.Time      `json:"updated"`
	Modules []ModuleStatus `json:"modules"`
	// Interval is how often the node reports: a reader tells a dead node
	// (killed, cut off) from a live one by the age of its last report,
	// long before the bucket's TTL drops its entry.
	Interval time.Duration `json:"intervalNs,omitempty"`
	// Age and Stale are not reported but set by Read: how long ago the
	// node reported (by the reader's clock against the node's, so the
	// clocks must agree to a second or so), and whether it has missed two
	// reports.
	Age   time.Duration `json:"ageNs,omitempty"`
	Stale bool          `json:"stale,omitempty"`
	// StoreLost says the module store lost its sources (the NATS server
	// lost its data) and none was written since: the node serves what it
	// had loaded (natskv.Store.Lost).
	StoreLost string `json:"storeLost,omitempty"`
}

// StaleAfter is how old a report is once its node has missed two: such a
// node is listed stale. It is at least a second: a report is a NATS put, and a loaded machine (a
// collector's pause, a busy scheduler) delays one by a few hundred
// milliseconds; a node reporting every 100 ms is not dead for that.
func (s Status) StaleAfter() time.Duration { return max(2*s.Interval, minStaleAfter) }

const minStaleAfter = time.Second

// ModuleStatus is what a node serves of one module.
type ModuleStatus struct {
	ID      string `json:"id"`
	Path    string `json:"path"`
	Version int    `json:"version"` // 0 while it has none (failed first load)
	// Serving is the store revision of the source it serves (0 when that
	// source is no longer among the revisions the store keeps); Tried is
	// the store's latest revision of the path, the one it last tried.
	Serving  uint64           `json:"serving"`
	Tried    uint64           `json:"tried"`
	Error    string           `json:"error,omitempty"` // why Tried does not serve
	Position *hotmod.Position `json:"position,omitempty"`
	// Rollout: the node runs a rollout's source, pinned (see Rollout).
	Rollout bool `json:"rollout,omitempty"`
	// Figures are its calls while a rollout of it runs.
	Figures *Figures `json:"figures,omitempty"`
	// Deleted: the store's latest revision of the source deletes it, and
	// the node still serves the module, because a module it keeps imports
	// it (Error says which); Tried is the deletion's revision.
	Deleted bool `json:"deleted,omitempty"`
}

// Behind reports whether the module does not serve the store's latest
// source, which it has (a deleted source is Deleted, not behind).
func (m ModuleStatus) Behind() bool { return !m.Deleted && m.Serving != m.Tried }

// OpenStatus opens (or makes) the status bucket of the module store named
// bucket: entries expire after ttl, so a node must refresh within it.
func OpenStatus(ctx context.Context, js jetstream.JetStream, bucket string, ttl time.Duration) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucket + "-status", TTL: ttl, History: 1, Description: "hotmod node status",
	})
	if err != nil {
		return nil, fmt.Errorf("fleet: status bucket of %q: %w", bucket, err)
	}
	return kv, nil
}

// Reporter writes a node's status: at start, shortly after each runtime
// event, and every Interval.
type Reporter struct {
	Node     string
	Addr     string
	Runtime  *hotmod.Runtime
	Store    vfs.Store // the module store; a vfs.Historian gives revisions
	Status   jetstream.KeyValue
	Interval time.Duration // default 5s; the bucket's TTL should be a few of them
	Logger   *slog.Logger  // default slog.Default()
	// Follower, if set, is the node's rollout follower: its figures of
	// modules under an AutoAbort rollout go into the report.
	Follower *Follower

	mu     sync.Mutex
	served map[string]served // by source path: the revision a source was found at
	// While Follow watches the store, paths holds what its events said
	// of each source path, so a report reads nothing of an unchanged
	// module (see revisions.go).
	watching bool
	paths    map[string]*pathState
	lost     bool // the store was lost at the last report
}

// served remembers which store revision holds a serving source, so that
// a report reads the store's history once per module, not every kept
// revision of it each time.
type served struct {
	sum [32]byte
	rev uint64
}

// Run reports until ctx ends, then removes the node's entry.
func (r *Reporter) Run(ctx context.Context) error {
	if err := validNode(r.Node); err != nil {
		return err
	}
	interval := r.interval()
	events := r.Runtime.Events(ctx)
	r.Follow(ctx)
	k, keep := as[keeper](r.Store)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var soon <-chan time.Time
	report := func() {
		rctx, cancel := context.WithTimeout(ctx, interval)
		defer cancel()
		if keep {
			// A NATS server that loses its data loses this bucket too:
			// the module store makes it again with its own. Tried until
			// it took (a request lost to a reconnection fails it).
			keep = k.Keep(rctx, r.Status) != nil
		}
		if err := r.Report(rctx); err != nil && ctx.Err() == nil {
			r.log().Warn("fleet status not written; it is written again at the next change or tick", "node", r.Node, "err", err)
		}
	}
	report()
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = r.Status.Delete(dctx, r.Node)
			return nil
		case _, ok := <-events:
			if !ok {
				return nil
			}
			if soon == nil {
				soon = time.After(50 * time.Millisecond) // one report for a burst
			}
		case <-soon:
			soon = nil
			report()
		case <-tick.C:
			report()
		}
	}
}

func (r *Reporter) interval() time.Duration {
	if r.Interval <= 0 {
		return 5 * time.Second
	}
	return r.Interval
}

// Report writes the node's status once. Unless Follow (or Run) follows
// the store's changes, it reads every module's history.
func (r *Reporter) Report(ctx context.Context) error {
	st := Status{Node: r.Node, Addr: r.Addr, Updated: time.Now().UTC(), Modules: []ModuleStatus{}, Interval: r.interval()}
	if l, ok := as[loser](r.Store); ok {
		err := l.Lost()
		if err != nil {
			st.StoreLost = err.Error()
		}
		r.lostNow(err != nil)
	}
	for _, m := range r.Runtime.Modules() {
		st.Modules = append(st.Modules, r.module(ctx, m))
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = r.Status.Put(ctx, r.Node, b)
	return err
}

// module is m's status on this node: the store revision whose source it
// serves, found by content among the revisions the store keeps.
func (r *Reporter) module(ctx context.Context, m *hotmod.Module) ModuleStatus {
	out := r.moduleStore(ctx, m)
	if why := r.Follower.refusal(out.ID); why != "" {
		out.Error, out.Position = why, nil
	}
	return out
}

// moduleStore is m's status as the store's revisions say.
func (r *Reporter) moduleStore(ctx context.Context, m *hotmod.Module) ModuleStatus {
	ms := m.Stats()
	out := ModuleStatus{ID: ms.ID, Path: ms.SourcePath, Version: ms.Version, Rollout: m.Pinned(), Figures: r.Follower.figures(ms.ID)}
	if ms.LastError != "" {
		out.Error, out.Position = ms.LastError, ms.LastErrorPosition
	}
	h, ok := r.Store.(vfs.Historian)
	if !ok {
		return out
	}
	if r.isWatching() {
		return r.learned(ctx, h, m, ms, out)
	}
	revs, err := h.History(ctx, ms.SourcePath)
	if err != nil || len(revs) == 0 {
		return out
	}
	out.Tried = revs[0].Rev
	out.Deleted = revs[0].Op == vfs.Deleted
	src, err := m.Source(ms.Version)
	if err != nil {
		return out
	}
	want := sha256.Sum256([]byte(src))
	out.Serving = r.servingRevision(ctx, h, ms.SourcePath, want, revs)
	if !out.Behind() && !out.Deleted {
		out.Error, out.Position = "", nil // an earlier failure the store has since fixed
	}
	return out
}

// servingRevision is the kept revision of path whose content has the
// digest want, or 0.
func (r *Reporter) servingRevision(ctx context.Context, h vfs.Historian, path string, want [32]byte, revs []vfs.Revision) uint64 {
	r.mu.Lock()
	known, ok := r.served[path]
	r.mu.Unlock()
	if ok && known.sum == want && slices.ContainsFunc(revs, func(rv vfs.Revision) bool { return rv.Rev == known.rev }) {
		// Still kept; but the newest revision may hold the same source
		// again, and then it is the one served.
		if newest := revs[0]; newest.Rev == known.rev || newest.Op == vfs.Deleted {
			return known.rev
		} else if b, err := h.ReadRevision(ctx, path, newest.Rev); err != nil || sha256.Sum256(b) != want {
			return known.rev
		}
	}
	for _, rev := range revs {
		if rev.Op == vfs.Deleted {
			continue
		}
		if b, err := h.ReadRevision(ctx, path, rev.Rev); err == nil && sha256.Sum256(b) == want {
			r.mu.Lock()
			if r.served == nil {
				r.served = map[string]served{}
			}
			r.served[path] = served{sum: want, rev: rev.Rev}
			r.mu.Unlock()
			return rev.Rev
		}
	}
	return 0
}

// Read lists the statuses in the bucket, by node name, each with its Age,
// and Stale set when its node has missed two reports.
func Read(ctx context.Context, status jetstream.KeyValue) ([]Status, error) {
	l, err := status.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return []Status{}, nil
		}
		return nil, err
	}
	defer l.Stop()
	out := []Status{}
	for k := range l.Keys() {
		e, err := status.Get(ctx, k)
		if err != nil {
			continue // expired meanwhile
		}
		var st Status
		if json.Unmarshal(e.Value(), &st) == nil {
			st.Age = max(time.Since(st.Updated), 0)
			st.Stale = st.Interval > 0 && st.Age > st.StaleAfter()
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Node, b.Node) })
	return out, nil
}

// validNode checks a node name: it is a key of the status bucket.
func validNode(n string) error {
	if n == "" || len(n) > 128 {
		return fmt.Errorf("fleet: node name %q: 1 to 128 letters, digits, '-' or '_'", n)
	}
	for _, c := range n {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("fleet: node name %q: 1 to 128 letters, digits, '-' or '_'", n)
		}
	}
	return nil
}

// NodeName makes a valid node name of any text (a host name and port).
func NodeName(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	n := b.String()
	if n == "" {
		n = "node"
	}
	return n[:min(len(n), 128)]
}
