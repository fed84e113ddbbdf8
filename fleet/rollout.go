package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/sign"
	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
	"github.com/nats-io/nats.go/jetstream"
)

// A rollout sends a new source of one module to some nodes first: the
// nodes it selects (by name, or a percentage of the live nodes, resolved
// to names when it starts) serve it, pinned, while the store keeps the old
// one; promoting it writes it to the store, so every node serves it;
// aborting it takes the selected nodes back to the store's source. Its
// state lives in a bucket beside the store, so it survives restarts of
// nodes and of the CLI: a node that starts while a rollout runs joins it.

// Rollout is a rollout's state.
type Rollout struct {
	Path   string `json:"path"`
	Source string `json:"source"`
	// Nodes are the nodes that run it. A rollout started with a Percent
	// has them resolved by Start, so that every node reads the same list.
	Nodes []string `json:"nodes,omitempty"`
	// Percent asks Start for that share of the live nodes (those whose
	// status is not stale): the first ceil(N × Percent / 100) by a stable
	// hash of their names, at least one.
	Percent int `json:"percent,omitempty"`
	// AllowAbsent lets Nodes name nodes with no live status: they join
	// the rollout when they start.
	AllowAbsent bool `json:"allowAbsent,omitempty"`
	// Live is how many nodes were live when it started.
	Live int `json:"live,omitempty"`
	// Revision is the store's revision of Path when it started (0: no
	// source); Promote writes onto that revision only.
	Revision uint64    `json:"revision,omitempty"`
	State    string    `json:"state"` // running, promoting, promoted or aborted
	Reason   string    `json:"reason,omitempty"`
	Started  time.Time `json:"started"`
	// Final are the figures on and off its nodes when it ended, if the
	// nodes' reports could be read then.
	Final *Split `json:"final,omitempty"`
	// AutoAbort: while it runs, every node counts the module's calls, and
	// the rollout aborts by itself when its nodes' error rate rises more
	// than MaxErrorRise (default 0.05) above the other nodes', or their p99
	// passes MaxP99Ratio (default 3) times theirs, once its nodes have
	// served MinCalls (default 20).
	AutoAbort    bool    `json:"autoAbort,omitempty"`
	MinCalls     int64   `json:"minCalls,omitempty"`
	MaxErrorRise float64 `json:"maxErrorRise,omitempty"`
	MaxP99Ratio  float64 `json:"maxP99Ratio,omitempty"`
	// Signature is a sign signature of Source as Path's release (what
	// hotmod put --sign makes): nodes with trusted keys run only a signed
	// rollout, and Promote stores the source with it.
	Signature string `json:"signature,omitempty"`
}

// Rollout states. Promoting is the moment between a promote's claim on
// the rollout and its write to the store: the nodes stay pinned, and an
// abort is refused.
const (
	Running   = "running"
	Promoting = "promoting"
	Promoted  = "promoted"
	Aborted   = "aborted"
)

// ErrNoRollout: no rollout runs for the path.
var ErrNoRollout = errors.New("no rollout")

// Selects reports whether node runs the rollout's source: whether Nodes
// names it. (A Percent is resolved to Nodes when the rollout starts.)
func (r Rollout) Selects(node string) bool { return slices.Contains(r.Nodes, node) }

// pins reports whether node serves the rollout's source now: it is
// selected, and the rollout runs or is being promoted.
func (r Rollout) pins(node string) bool {
	return (r.State == Running || r.State == Promoting) && r.Selects(node)
}

// Rollouts is the rollout bucket of a module store.
type Rollouts struct {
	KV jetstream.KeyValue
	// Store is the module store: Promote writes the source to it, with a
	// compare-and-set, so it must have Revision and WriteIf (natskv.Store).
	Store vfs.Store
	// Status is the nodes' status bucket (OpenStatus): Start selects among
	// the live nodes it lists, and Promote and Abort record the figures.
	Status jetstream.KeyValue
}

// casStore is a store that writes onto a known revision only.
type casStore interface {
	Revision(ctx context.Context, p string) (uint64, error)
	WriteIf(ctx context.Context, p string, data []byte, rev uint64) (uint64, error)
}

// OpenRollouts opens (or makes) the rollout bucket of the module store
// named bucket.
func OpenRollouts(ctx context.Context, js jetstream.JetStream, bucket string, store vfs.Store) (*Rollouts, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket + "-rollouts", History: 1, Description: "hotmod rollouts"})
	if err != nil {
		return nil, fmt.Errorf("fleet: rollout bucket of %q: %w", bucket, err)
	}
	if k, ok := as[keeper](store); ok {
		// Made again with the module store's when NATS loses its data.
		if err := k.Keep(ctx, kv); err != nil {
			return nil, err
		}
	}
	return &Rollouts{KV: kv, Store: store}, nil
}

// Start starts a rollout of r.Source for r.Path, replacing one that runs.
// It resolves the nodes r selects among the live ones (ErrUnknownNode,
// ErrNoNodeSelected) and records the store's revision of the path.
func (rs *Rollouts) Start(ctx context.Context, r Rollout) (Rollout, error) {
	if err := vfs.ValidatePath(r.Path); err != nil {
		return r, err
	}
	if (len(r.Nodes) == 0) == (r.Percent == 0) {
		return r, fmt.Errorf("fleet: %w: it needs nodes or a percentage, one of the two", ErrInvalidRollout)
	}
	if len(r.Nodes) == 0 && (r.Percent < 0 || r.Percent > 100) {
		return r, fmt.Errorf("fleet: %w: a percentage is from 1 to 100 (not %d)", ErrInvalidRollout, r.Percent)
	}
	for _, n := range r.Nodes {
		if err := validNode(n); err != nil {
			return r, fmt.Errorf("%w: %w", ErrInvalidRollout, err)
		}
	}
	cs, ok := rs.Store.(casStore)
	if !ok {
		return r, fmt.Errorf("fleet: the module store (%T) cannot write onto a revision, so a promotion could overwrite newer puts", rs.Store)
	}
	var live []string
	if rs.Status != nil {
		statuses, err := Read(ctx, rs.Status)
		if err != nil {
			return r, fmt.Errorf("fleet: reading the nodes' status: %w", err)
		}
		live = liveNodes(statuses)
	} else if !r.AllowAbsent || len(r.Nodes) == 0 {
		return r, fmt.Errorf("fleet: %w: without the status bucket there are no live nodes to select", ErrNoNodeSelected)
	}
	r, err := selectNodes(r, live)
	if err != nil {
		return r, err
	}
	if r.Revision, err = cs.Revision(ctx, r.Path); err != nil {
		return r, err
	}
	r.State, r.Reason, r.Started, r.Final = Running, "", time.Now().UTC(), nil
	b, err := json.Marshal(r)
	if err != nil {
		return r, err
	}
	_, err = rs.KV.Put(ctx, natskv.Key(r.Path), b)
	return r, err
}

// Get returns the rollout of path, running or ended.
func (rs *Rollouts) Get(ctx context.Context, path string) (Rollout, error) {
	r, _, err := rs.get(ctx, path)
	return r, err
}

// get is Get with the entry's revision, for a compare-and-set.
func (rs *Rollouts) get(ctx context.Context, path string) (Rollout, uint64, error) {
	e, err := rs.KV.Get(ctx, natskv.Key(path))
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Rollout{}, 0, fmt.Errorf("%w for %s", ErrNoRollout, path)
		}
		return Rollout{}, 0, err
	}
	var r Rollout
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Rollout{}, 0, fmt.Errorf("fleet: rollout of %s: %w", path, err)
	}
	return r, e.Revision(), nil
}

// List returns every rollout in the bucket, running or ended, by path.
func (rs *Rollouts) List(ctx context.Context) ([]Rollout, error) {
	l, err := rs.KV.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return []Rollout{}, nil
		}
		return nil, err
	}
	defer l.Stop()
	out := []Rollout{}
	for k := range l.Keys() {
		p, err := natskv.Path(k)
		if err != nil {
			continue // not a key Start wrote
		}
		r, err := rs.Get(ctx, p)
		if errors.Is(err, ErrNoRollout) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the listing ended early: say so rather than list part
	}
	slices.SortFunc(out, func(a, b Rollout) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// Promote writes the running rollout's source to the store (every node
// then serves it) and ends the rollout. The write is a compare-and-set on
// the store revision the rollout started from: if the path was written
// since, nothing is written and the error is a *ConflictError naming the
// newer revision (ForcePromote overwrites it). The rollout's entry changes
// by compare-and-set too: the promote first marks it promoting (its nodes
// stay pinned, aborts are refused), writes the store, then marks it
// promoted; if an abort or another promote came first, the error is a
// *ConflictError with the rollout's state.
func (rs *Rollouts) Promote(ctx context.Context, path string) (Rollout, error) {
	return rs.promote(ctx, path, false)
}

// ForcePromote is Promote that overwrites what was written to the store
// since the rollout started, and that finishes a promote that stopped
// half-way (a rollout left promoting).
func (rs *Rollouts) ForcePromote(ctx context.Context, path string) (Rollout, error) {
	return rs.promote(ctx, path, true)
}

func (rs *Rollouts) promote(ctx context.Context, path string, force bool) (Rollout, error) {
	r, erev, err := rs.get(ctx, path)
	if err != nil {
		return r, err
	}
	switch {
	case r.State == Promoting && !force:
		return r, &ConflictError{Path: r.Path, Entry: true, State: Promoting}
	case r.State != Running && r.State != Promoting:
		return r, fmt.Errorf("%w for %s (the last one was %s)", ErrNoRollout, path, r.State)
	}
	cs, ok := rs.Store.(casStore)
	if !ok {
		return r, fmt.Errorf("fleet: the module store (%T) cannot write onto a revision", rs.Store)
	}
	cur, err := cs.Revision(ctx, r.Path)
	if err != nil {
		return r, fmt.Errorf("fleet: promoting the rollout of %s: %w", path, err)
	}
	write := true
	if cur != r.Revision && !force {
		// The store's source is the rollout's already (someone put the
		// same bytes): nothing would be overwritten.
		if b, rerr := rs.Store.Read(ctx, r.Path); rerr != nil || !sameSource(b, r.Source) {
			return r, &ConflictError{Path: r.Path, Started: r.Revision, Newer: cur}
		}
		write = false
	}
	before := r
	if r.State == Running {
		r.State = Promoting
		if erev, err = rs.update(ctx, r, erev); err != nil {
			return before, err
		}
	}
	if write {
		if force {
			err = rs.Store.Write(ctx, r.Path, r.stored())
		} else {
			_, err = cs.WriteIf(ctx, r.Path, r.stored(), cur)
		}
	}
	if err != nil {
		// Written nothing: the rollout runs on, as before.
		if _, uerr := rs.update(ctx, before, erev); uerr != nil {
			err = errors.Join(err, fmt.Errorf("fleet: the rollout of %s stays promoting (promote with force to finish it): %w", path, uerr))
		}
		if errors.Is(err, vfs.ErrConflict) {
			if newer, rerr := cs.Revision(ctx, r.Path); rerr == nil {
				return before, &ConflictError{Path: r.Path, Started: r.Revision, Newer: newer}
			}
		}
		return before, fmt.Errorf("fleet: promoting the rollout of %s: %w", path, err)
	}
	r.State = Promoted
	r.Final = rs.figures(ctx, r)
	_, err = rs.update(ctx, r, erev)
	return r, err
}

// Abort ends the running rollout: its nodes go back to the store's source.
// It is a compare-and-set on the rollout's entry: if a promote or another
// abort came first, the error is a *ConflictError.
func (rs *Rollouts) Abort(ctx context.Context, path, reason string) (Rollout, error) {
	r, erev, err := rs.running(ctx, path)
	if err != nil {
		return r, err
	}
	r.State, r.Reason = Aborted, reason
	return rs.end(ctx, r, erev)
}

// end writes the ended rollout r, with the figures the nodes report, onto
// its entry's revision erev.
func (rs *Rollouts) end(ctx context.Context, r Rollout, erev uint64) (Rollout, error) {
	r.Final = rs.figures(ctx, r)
	_, err := rs.update(ctx, r, erev)
	return r, err
}

// figures are r's figures as the nodes report them now, or nil.
func (rs *Rollouts) figures(ctx context.Context, r Rollout) *Split {
	if rs.Status == nil {
		return nil
	}
	statuses, err := Read(ctx, rs.Status)
	if err != nil {
		return nil
	}
	split := Summarize(r, statuses)
	return &split
}

// update writes r onto its entry's revision erev and returns the new
// revision; a newer entry is a *ConflictError.
func (rs *Rollouts) update(ctx context.Context, r Rollout, erev uint64) (uint64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	n, err := rs.KV.Update(ctx, natskv.Key(r.Path), b, erev)
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		ce := &ConflictError{Path: r.Path, Entry: true}
		if now, _, gerr := rs.get(ctx, r.Path); gerr == nil {
			ce.State = now.State
		}
		return 0, ce
	}
	return n, err
}

func (rs *Rollouts) running(ctx context.Context, path string) (Rollout, uint64, error) {
	r, erev, err := rs.get(ctx, path)
	switch {
	case err == nil && r.State == Promoting:
		err = &ConflictError{Path: path, Entry: true, State: Promoting}
	case err == nil && r.State != Running:
		err = fmt.Errorf("%w for %s (the last one was %s)", ErrNoRollout, path, r.State)
	}
	return r, erev, err
}

// Follower makes a node take part in rollouts: it watches the rollout
// bucket and pins the modules of the rollouts that select it, and unpins
// them when their rollouts end. While a rollout runs it profiles the
// module, and its Reporter publishes the figures (Reporter.Follower); for
// an AutoAbort rollout, with Status set, it also judges the rollout from
// every node's figures.
type Follower struct {
	Node     string
	Runtime  *hotmod.Runtime
	Rollouts *Rollouts
	Status   jetstream.KeyValue // the nodes' reports, to judge AutoAbort rollouts
	Logger   *slog.Logger
	// Trust, if set, are the keys of which a running rollout must carry a
	// signature: the node refuses another, and reports why (see refuse).
	Trust []sign.PublicKey

	mu       sync.Mutex
	profiles map[string]*hotmod.Profile // by module id, while a rollout runs
	refused  map[string]string          // by module id: why its rollout was refused
}

// Figures are one module's calls on one node while a rollout of it runs,
// as a profile counts them.
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
	split := Summarize(r, statuses)
	canary, rest := split.On, split.Off
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
			if r, err := f.Rollouts.Get(ctx, ev.Path); err == nil && (r.State == Running || r.State == Promoting) {
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
		// Every running rollout is counted, not only an AutoAbort one:
		// its figures on and off its nodes are what rollout status shows.
		f.profile(m, r.State == Running || r.State == Promoting)
		if err := f.refuse(m.ID(), r); err != nil {
			log.Warn("rollout refused: its signature is missing or wrong; this node keeps serving the store's source", "node", f.Node, "module", m.ID(), "err", err)
			continue
		}
		var err error
		switch {
		case r.pins(f.Node):
			err = m.Pin(ctx, []byte(r.Source))
		case m.Pinned():
			err = m.Unpin(ctx)
		}
		if err != nil {
			log.Warn("rollout not applied on this node", "node", f.Node, "module", m.ID(), "state", r.State, "err", err)
		} else if r.pins(f.Node) {
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
