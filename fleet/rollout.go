package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
	"github.com/nats-io/nats.go/jetstream"
)

// A rollout sends a new source of one module to some nodes first: the
// nodes it selects (by name, or a percentage chosen by a stable hash of
// the node name) serve it, pinned, while the store keeps the old one;
// promoting it writes it to the store, so every node serves it; aborting
// it takes the selected nodes back to the store's source. Its state lives
// in a bucket beside the store, so it survives restarts of nodes and of
// the CLI: a node that starts while a rollout runs joins it.

// Rollout is a rollout's state.
type Rollout struct {
	Path    string    `json:"path"`
	Source  string    `json:"source"`
	Nodes   []string  `json:"nodes,omitempty"`   // the nodes that run it; else Percent
	Percent int       `json:"percent,omitempty"` // of the nodes, by a stable hash of their names
	State   string    `json:"state"`             // running, promoted or aborted
	Reason  string    `json:"reason,omitempty"`
	Started time.Time `json:"started"`
	// AutoAbort: while it runs, every node counts the module's calls, and
	// the rollout aborts by itself when its nodes' error rate rises more
	// than MaxErrorRise (default 0.05) above the other nodes', or their p99
	// passes MaxP99Ratio (default 3) times theirs, once its nodes have
	// served MinCalls (default 20).
	AutoAbort    bool    `json:"autoAbort,omitempty"`
	MinCalls     int64   `json:"minCalls,omitempty"`
	MaxErrorRise float64 `json:"maxErrorRise,omitempty"`
	MaxP99Ratio  float64 `json:"maxP99Ratio,omitempty"`
}

// Rollout states.
const (
	Running  = "running"
	Promoted = "promoted"
	Aborted  = "aborted"
)

// ErrNoRollout: no rollout runs for the path.
var ErrNoRollout = errors.New("no rollout")

// Selects reports whether node runs the rollout's source.
func (r Rollout) Selects(node string) bool {
	if len(r.Nodes) > 0 {
		return slices.Contains(r.Nodes, node)
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(node))
	return int(h.Sum32()%100) < r.Percent
}

// Rollouts is the rollout bucket of a module store.
type Rollouts struct {
	KV    jetstream.KeyValue
	Store vfs.Store // the module store: Promote writes the source to it
}

// OpenRollouts opens (or makes) the rollout bucket of the module store
// named bucket.
func OpenRollouts(ctx context.Context, js jetstream.JetStream, bucket string, store vfs.Store) (*Rollouts, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket + "-rollouts", History: 1, Description: "hotmod rollouts"})
	if err != nil {
		return nil, fmt.Errorf("fleet: rollout bucket of %q: %w", bucket, err)
	}
	if k, ok := store.(keeper); ok {
		// Made again with the module store's when NATS loses its data.
		if err := k.Keep(ctx, kv); err != nil {
			return nil, err
		}
	}
	return &Rollouts{KV: kv, Store: store}, nil
}

// Start starts a rollout of r.Source for r.Path, replacing one that runs.
func (rs *Rollouts) Start(ctx context.Context, r Rollout) (Rollout, error) {
	if err := vfs.ValidatePath(r.Path); err != nil {
		return r, err
	}
	if len(r.Nodes) == 0 && (r.Percent <= 0 || r.Percent > 100) {
		return r, fmt.Errorf("fleet: a rollout needs nodes, or a percentage from 1 to 100 (not %d)", r.Percent)
	}
	r.State, r.Reason, r.Started = Running, "", time.Now().UTC()
	return r, rs.put(ctx, r)
}

// Get returns the rollout of path, running or ended.
func (rs *Rollouts) Get(ctx context.Context, path string) (Rollout, error) {
	e, err := rs.KV.Get(ctx, natskv.Key(path))
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Rollout{}, fmt.Errorf("%w for %s", ErrNoRollout, path)
		}
		return Rollout{}, err
	}
	var r Rollout
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Rollout{}, fmt.Errorf("fleet: rollout of %s: %w", path, err)
	}
	return r, nil
}

// Promote writes the running rollout's source to the store (every node
// then serves it) and ends the rollout.
func (rs *Rollouts) Promote(ctx context.Context, path string) (Rollout, error) {
	r, err := rs.running(ctx, path)
	if err != nil {
		return r, err
	}
	if err := rs.Store.Write(ctx, r.Path, []byte(r.Source)); err != nil {
		return r, fmt.Errorf("fleet: promoting the rollout of %s: %w", path, err)
	}
	r.State = Promoted
	return r, rs.put(ctx, r)
}

// Abort ends the running rollout: its nodes go back to the store's source.
func (rs *Rollouts) Abort(ctx context.Context, path, reason string) (Rollout, error) {
	r, err := rs.running(ctx, path)
	if err != nil {
		return r, err
	}
	r.State, r.Reason = Aborted, reason
	return r, rs.put(ctx, r)
}

func (rs *Rollouts) running(ctx context.Context, path string) (Rollout, error) {
	r, err := rs.Get(ctx, path)
	if err == nil && r.State != Running {
		err = fmt.Errorf("%w for %s (the last one was %s)", ErrNoRollout, path, r.State)
	}
	return r, err
}

func (rs *Rollouts) put(ctx context.Context, r Rollout) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = rs.KV.Put(ctx, natskv.Key(r.Path), b)
	return err
}

// Follower makes a node take part in rollouts: it watches the rollout
// bucket and pins the modules of the rollouts that select it, and unpins
// them when their rollouts end. For a rollout with AutoAbort it profiles
// the module, and its Reporter publishes the figures (Reporter.Follower);
// with Status set it also judges the rollout from every node's figures.
type Follower struct {
	Node     string
	Runtime  *hotmod.Runtime
	Rollouts *Rollouts
	Status   jetstream.KeyValue // the nodes' reports, to judge AutoAbort rollouts
	Logger   *slog.Logger

	mu       sync.Mutex
	profiles map[string]*hotmod.Profile // by module id, while an AutoAbort rollout runs
}

// Figures are one module's calls on one node while an AutoAbort rollout
// runs, as a profile counts them.
type Figures struct {
	Calls  int64         `json:"calls"`
	Errors int64         `json:"errors"`
	P99    time.Duration `json:"p99Ns"`
}

// figures are module id's figures on this node, if a rollout profiles it.
func (f *Follower) figures(id string) *Figures {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	p := f.profiles[id]
	f.mu.Unlock()
	if p == nil {
		return nil
	}
	pm := p.Metrics()
	out := &Figures{Calls: pm.TotalCalls, Errors: pm.TotalErrors}
	for _, fm := range pm.Functions {
		out.P99 = max(out.P99, fm.P99)
	}
	return out
}

// profile starts or stops profiling module m for an AutoAbort rollout.
func (f *Follower) profile(m *hotmod.Module, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.profiles == nil {
		f.profiles = map[string]*hotmod.Profile{}
	}
	p := f.profiles[m.ID()]
	switch {
	case on && p == nil:
		if np, err := m.Profile(); err == nil {
			f.profiles[m.ID()] = np
		}
	case !on && p != nil:
		p.Stop()
		delete(f.profiles, m.ID())
	}
}

// judge aborts rollout r if its nodes regress against the others, as the
// nodes' reports say. Any node may do it; the first abort wins.
func (f *Follower) judge(ctx context.Context, r Rollout) {
	if f.Status == nil || !r.AutoAbort || r.State != Running {
		return
	}
	statuses, err := Read(ctx, f.Status)
	if err != nil {
		return
	}
	var canary, rest Figures
	for _, st := range statuses {
		for _, m := range st.Modules {
			if m.Path != r.Path || m.Figures == nil {
				continue
			}
			into := &rest
			if m.Rollout {
				into = &canary
			}
			into.Calls += m.Figures.Calls
			into.Errors += m.Figures.Errors
			into.P99 = max(into.P99, m.Figures.P99)
		}
	}
	if reason := regression(r, canary, rest); reason != "" {
		if _, err := f.Rollouts.Abort(ctx, r.Path, "regressed: "+reason); err == nil {
			f.log().Warn("rollout aborted: its nodes regressed", "path", r.Path, "reason", reason)
		}
	}
}

// regression says how the rollout's nodes' figures regressed against the
// others', or "".
func regression(r Rollout, canary, rest Figures) string {
	minCalls, rise, ratio := cmp.Or(r.MinCalls, 20), cmp.Or(r.MaxErrorRise, 0.05), cmp.Or(r.MaxP99Ratio, 3)
	if canary.Calls < minCalls {
		return ""
	}
	rate := func(f Figures) float64 {
		if f.Calls == 0 {
			return 0
		}
		return float64(f.Errors) / float64(f.Calls)
	}
	if rate(canary)-rate(rest) > rise {
		return fmt.Sprintf("error rate %.1f%% over %d calls on its nodes against %.1f%% over %d calls on the others (allowed: %.1f points more)",
			100*rate(canary), canary.Calls, 100*rate(rest), rest.Calls, 100*rise)
	}
	if rest.Calls >= minCalls && canary.P99 >= time.Millisecond && float64(canary.P99) > ratio*float64(rest.P99) {
		return fmt.Sprintf("p99 %v on its nodes against %v on the others (allowed: %.1f×)", canary.P99, rest.P99, ratio)
	}
	return ""
}

func (f *Follower) log() *slog.Logger {
	if f.Logger == nil {
		return slog.Default()
	}
	return f.Logger
}

// Run follows the rollouts until ctx ends.
func (f *Follower) Run(ctx context.Context) error {
	// A module loaded after its rollout started (a node starting, a new
	// module) joins it when it loads.
	events := f.Runtime.Events(ctx)
	w, err := f.Rollouts.KV.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer w.Stop()
	judging := time.NewTicker(250 * time.Millisecond)
	defer judging.Stop()
	running := map[string]Rollout{} // AutoAbort rollouts running, by path
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-judging.C:
			for _, r := range running {
				f.judge(ctx, r)
			}
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			if ev.Type != hotmod.EventCreated || ev.Path == "" {
				continue
			}
			if r, err := f.Rollouts.Get(ctx, ev.Path); err == nil && r.State == Running {
				f.apply(ctx, r)
			}
		case e, ok := <-w.Updates():
			if !ok {
				return nil
			}
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var r Rollout
			if json.Unmarshal(e.Value(), &r) == nil {
				if r.AutoAbort && r.State == Running {
					running[r.Path] = r
				} else {
					delete(running, r.Path)
				}
				f.apply(ctx, r)
			}
		}
	}
}

// apply brings the node's module in line with rollout r.
func (f *Follower) apply(ctx context.Context, r Rollout) {
	log := f.log()
	for _, m := range f.Runtime.Modules() {
		if m.SourcePath() != r.Path {
			continue
		}
		f.profile(m, r.State == Running && r.AutoAbort)
		var err error
		switch {
		case r.State == Running && r.Selects(f.Node):
			err = m.Pin(ctx, []byte(r.Source))
		case m.Pinned():
			err = m.Unpin(ctx)
		}
		if err != nil {
			log.Warn("rollout not applied on this node", "node", f.Node, "module", m.ID(), "state", r.State, "err", err)
		} else if r.State == Running && r.Selects(f.Node) {
			log.Info("rollout: this node runs the new source", "node", f.Node, "module", m.ID())
		}
	}
}

// NodeList parses a comma-separated list of node names (--nodes a,b).
func NodeList(s string) ([]string, error) {
	var out []string
	for n := range strings.SplitSeq(s, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if err := validNode(n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
