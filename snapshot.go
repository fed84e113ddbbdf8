package hotmod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hotmod/hotmod/sign"
	"github.com/hotmod/hotmod/vfs"
)

// A snapshot records the source every module serves, under a name, in the
// store itself (SnapshotDir), so a Bolt store keeps it across restarts and
// every node of a shared store sees it. Restoring one is a single
// transaction: every module goes back to its recorded source, or none does.

// SnapshotDir is the store folder snapshots are kept in, one JSON file
// each. LoadAll and the store watcher leave it alone: it holds no modules.
const SnapshotDir = "/.hotmod/snapshots/"

var (
	// ErrInvalidName: a snapshot name is 1 to 64 letters, digits, '.', '_'
	// or '-', not starting with '.'.
	ErrInvalidName = errors.New("invalid snapshot name")
	snapshotName   = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$`)
)

// Snapshot is what a snapshot recorded.
type Snapshot struct {
	Name    string           `json:"name"`
	Taken   time.Time        `json:"taken"`
	Modules []SnapshotModule `json:"modules"`
}

// SnapshotModule is one module in a snapshot.
type SnapshotModule struct {
	ID      string `json:"id"`
	Path    string `json:"path"`
	Version int    `json:"version"`          // the version that served when it was taken
	Source  string `json:"source,omitempty"` // left out where an answer lists snapshots
	// Signature is the store's signature of Source as Path's release (see
	// package sign), when the store keeps one: restoring writes the
	// source back with it, and a store that trusts keys restores only
	// sources whose signature verifies.
	Signature string `json:"signature,omitempty"`
}

// releaseStore is a store that keeps signed releases (sign.Store).
type releaseStore interface {
	ReadUnverified(ctx context.Context, path string) ([]byte, error)
	VerifyRelease(path string, content []byte, sig string) error
	ReleaseSignature(ctx context.Context, path string, content []byte) (string, error)
}

func snapshotPath(name string) (string, error) {
	if !snapshotName.MatchString(name) {
		return "", fmt.Errorf("%w: %q (1 to 64 letters, digits, '.', '_' or '-', not starting with '.')", ErrInvalidName, name)
	}
	return SnapshotDir + name + ".json", nil
}

// Snapshot records, under name, the source every serving module serves
// now, and writes it to the store (replacing a snapshot of that name).
// Modules on their first load or failed are not in it.
func (rt *Runtime) Snapshot(ctx context.Context, name string) (Snapshot, error) {
	p, err := snapshotPath(name)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Name: name, Taken: time.Now().UTC(), Modules: []SnapshotModule{}}
	rs, _ := rt.store.(releaseStore)
	for _, m := range rt.Modules() {
		if v := m.cur.Load(); v != nil {
			sm := SnapshotModule{ID: m.id, Path: m.path, Version: v.n, Source: v.res.Source}
			if rs != nil {
				if sm.Signature, err = rs.ReleaseSignature(ctx, m.path, []byte(sm.Source)); err != nil {
					return Snapshot{}, fmt.Errorf("snapshot %s: the signature of %s: %w", name, m.path, err)
				}
			}
			snap.Modules = append(snap.Modules, sm)
		}
	}
	b, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		return Snapshot{}, err
	}
	if err := rt.store.Write(ctx, p, b); err != nil {
		return Snapshot{}, fmt.Errorf("snapshot %s: %w", name, err)
	}
	rt.events.emit(Event{Type: EventSnapshotTaken, Name: name})
	return snap, nil
}

// ReadSnapshot reads a snapshot from the store.
func (rt *Runtime) ReadSnapshot(ctx context.Context, name string) (Snapshot, error) {
	p, err := snapshotPath(name)
	if err != nil {
		return Snapshot{}, err
	}
	var b []byte
	if rs, ok := rt.store.(releaseStore); ok {
		// A snapshot is as trusted as its sources: each carries its own
		// signature, checked before it is restored.
		b, err = rs.ReadUnverified(ctx, p)
	} else {
		b, err = rt.store.Read(ctx, p)
	}
	if errors.Is(err, vfs.ErrNotFound) {
		return Snapshot{}, fmt.Errorf("%w: snapshot %q", ErrNotFound, name)
	}
	if err != nil {
		return Snapshot{}, err
	}
	var snap Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return Snapshot{}, fmt.Errorf("snapshot %s: %s is not a snapshot: %w", name, p, err)
	}
	return snap, nil
}

// Snapshots lists the names of the snapshots in the store, sorted.
func (rt *Runtime) Snapshots(ctx context.Context) ([]string, error) {
	paths, err := rt.store.List(ctx, SnapshotDir)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, p := range paths {
		if name, ok := strings.CutSuffix(path.Base(p), ".json"); ok && path.Dir(p)+"/" == SnapshotDir {
			out = append(out, name)
		}
	}
	return out, nil
}

// Restore brings every module of the snapshot back to the source it
// recorded, as one transaction (see ReloadModules): each recorded source
// is compiled and evaluated as a new version, with its accept hook and
// verification, and then all of them swap, or none does. Then the store is
// written with those sources, so that what serves is what the store holds.
// A module of the snapshot that no longer exists is an error naming it,
// before anything changes; modules made since are left as they are.
func (rt *Runtime) Restore(ctx context.Context, name string) error {
	snap, err := rt.ReadSnapshot(ctx, name)
	if err != nil {
		return err
	}
	if rs, ok := rt.store.(releaseStore); ok {
		for _, sm := range snap.Modules {
			if err := rs.VerifyRelease(sm.Path, []byte(sm.Source), sm.Signature); err != nil {
				return fmt.Errorf("restore %s: module %s: %w", name, sm.ID, err)
			}
		}
	}
	var mods []*Module
	var missing []string
	byID := map[string]SnapshotModule{}
	for _, sm := range snap.Modules {
		m, err := rt.Module(sm.ID)
		if err != nil || m.path != sm.Path {
			missing = append(missing, sm.ID)
			continue
		}
		mods = append(mods, m)
		byID[sm.ID] = sm
	}
	if len(missing) > 0 {
		return fmt.Errorf("restore %s: %w: the snapshot's modules %s no longer exist (with the same source path); create them first", name, ErrNotFound, strings.Join(missing, ", "))
	}
	shared := slices.DeleteFunc(slices.Clone(mods), func(m *Module) bool { return m.rt != rt })
	if err := rt.restore(ctx, shared, byID); err != nil {
		return fmt.Errorf("restore %s: %w", name, err)
	}
	// Isolated modules are not part of the transaction: each goes back on
	// its own, after it.
	for _, m := range mods {
		if m.rt != rt {
			if err := m.rt.restore(ctx, []*Module{m}, byID); err != nil {
				return fmt.Errorf("restore %s: the shared modules are restored, but the isolated %s: %w", name, m.id, err)
			}
		}
	}
	// The store gets the restored sources as one change: each event finds
	// its source already serving.
	release := rt.HoldReloads(ctx)
	defer release()
	for _, sm := range snap.Modules {
		data := []byte(sm.Source)
		if _, keeps := rt.store.(releaseStore); keeps && sm.Signature != "" {
			data = sign.Seal(data, sm.Signature)
		}
		if err := rt.store.Write(ctx, sm.Path, data); err != nil {
			return fmt.Errorf("restore %s: the modules serve the snapshot, but writing %s to the store failed: %w", name, sm.Path, err)
		}
	}
	rt.events.emit(Event{Type: EventSnapshotRestored, Name: name})
	return nil
}

// restore runs the transaction of Restore.
func (rt *Runtime) restore(ctx context.Context, mods []*Module, byID map[string]SnapshotModule) error {
	mods, release, err := lockReloads(ctx, mods)
	if err != nil {
		return err
	}
	defer release()
	var cs []*change
	for _, m := range mods {
		old, err := m.current()
		if err != nil {
			return err
		}
		m.abortCanaryLocked(ctx, "a snapshot is being restored")
		sm := byID[m.id]
		st := newReads()
		res, err := rt.compileFile(ctx, st, m.path, []byte(sm.Source))
		if err != nil {
			return m.fail(ctx, old, "compile", err)
		}
		if res.Hash == old.res.Hash {
			continue // it serves that source now
		}
		rt.prefetch(ctx, st, m.path, res)
		c, err := m.nextChange(ctx, old, res, st, time.Now())
		if err != nil {
			return err
		}
		cs = append(cs, c)
	}
	if len(cs) == 0 {
		return nil
	}
	slices.SortFunc(cs, func(a, b *change) int { return strings.Compare(a.m.id, b.m.id) })
	return rt.apply(ctx, cs)
}
