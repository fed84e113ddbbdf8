package hotmod

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInUse is what an *InUseError matches.
var ErrInUse = errors.New("still imported")

// InUseError says why a module whose source the store deleted still
// serves: loaded modules import it. It is the module's last error (Stats,
// a fleet's status) and the Error of its EventDeleteRefused; the module is
// removed once none of them imports it.
type InUseError struct {
	Module    string
	Path      string
	Importers []string // the ids of the loaded modules that import it
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("the source of %s (%s) was deleted, but %s still imports it; it keeps serving until no loaded module imports it",
		e.Module, e.Path, strings.Join(e.Importers, ", "))
}

func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// removeDeleted removes the modules whose source a burst of store changes
// deleted, so that a deletion reaches every node of a fleet as a write
// does. The serving ones go as one prune: with every realm taken, those no
// loaded module imports (the others of mods aside) are retired together,
// with what only they imported; one that is still imported is refused,
// logged, and keeps serving until its last importer drops it (a reload's
// prune removes it then). A module with no version serves nothing and
// nothing imports it: it goes at once.
func (rt *Runtime) removeDeleted(mods []*Module) {
	var serving []*Module
	for _, m := range mods {
		if m.cur.Load() != nil {
			serving = append(serving, m)
			continue
		}
		ctx, cancel := context.WithTimeout(rt.bg, rt.opts.ReloadTimeout)
		// Its first load may be under way: the removal waits for it, and
		// a source written again meanwhile keeps it.
		if err := m.lockReload(ctx); err == nil {
			keep := !m.gone.Load() || m.cur.Load() != nil
			m.unlockReload()
			if keep {
				serving = append(serving, m)
			} else if err := rt.remove(ctx, m); err != nil && rt.bg.Err() == nil {
				rt.log.Warn("module whose source was deleted not removed", "module", m.id, "err", err)
			} else if err == nil {
				rt.log.Info("module removed: its source was deleted from the store", "module", m.id)
			}
		}
		cancel()
	}
	removed := rt.pruneOrphans(serving)
	ctx, cancel := context.WithTimeout(rt.bg, rt.opts.ReloadTimeout)
	defer cancel()
	for _, m := range serving {
		if slices.Contains(removed, m) || !m.gone.Load() || m.cur.Load() == nil {
			continue
		}
		err := &InUseError{Module: m.id, Path: m.path, Importers: rt.importersOf(ctx, m)}
		if len(err.Importers) == 0 {
			// The prune gave up (the runtime closing, a lock not had in
			// time): nothing to blame, and the next change tries again.
			continue
		}
		m.mu.Lock()
		m.lastErr = err
		m.mu.Unlock()
		rt.events.emit(Event{Type: EventDeleteRefused, Module: m.id, Path: m.path, Version: m.Version(), Error: err.Error()})
		rt.log.Warn("module source deleted, but loaded modules import it: it keeps serving", "module", m.id, "path", m.path, "importers", err.Importers)
	}
}

// importersOf lists the ids of the loaded modules whose serving version,
// in some realm, imports m. It takes every realm: a version's imports grow
// while it runs (a require inside a function).
func (rt *Runtime) importersOf(ctx context.Context, m *Module) []string {
	unlock, err := rt.lockAll(ctx)
	if err != nil {
		return nil
	}
	defer unlock()
	var out []string
	for _, imp := range rt.registered() {
		if imp == m || !importsModule(imp, m) {
			continue
		}
		out = append(out, imp.id)
	}
	slices.Sort(out)
	return out
}

// importsModule reports whether a serving version of imp imports m. Call with
// every realm taken.
func importsModule(imp, m *Module) bool {
	for _, in := range imp.in {
		if v := in.cur.Load(); v != nil {
			for _, d := range v.deps {
				if d == m {
					return true
				}
			}
		}
	}
	return false
}
