package server

import (
	"context"
	"log/slog"
	"slices"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

// ModuleID is the id `hotmod serve` gives the module at a store path:
// hotmod.DefaultModuleID, the Runtime's default, so a Runtime made with
// default Options names every module as the server does.
func ModuleID(p string) string { return hotmod.DefaultModuleID(p) }

// Loader keeps a Runtime's modules in step with a store: it loads every
// module source there, and loads new ones as they appear. A source that
// fails its first load is tried again (by the Runtime) when it, or a file it
// tried to import, changes. Reloads of loaded
// modules are the Runtime's own work.
type Loader struct {
	Runtime *hotmod.Runtime
	Store   vfs.Store
	Logger  *slog.Logger
}

// LoadAll loads every module source in the store (Runtime.LoadAll) and
// says how many loaded (or were loaded already, by an import or by Start)
// and how many failed; each failure is logged (the runtime logs each load)
// and is also in the runtime's events.
func (l *Loader) LoadAll(ctx context.Context) (loaded, failed int, err error) {
	rep, err := l.Runtime.LoadAll(ctx, "/")
	for id, ferr := range rep.Failed {
		l.log().Warn("module failed to load; it loads when its source, or a file it tried to import, changes", "module", id, "err", ferr)
	}
	if err != nil && ctx.Err() != nil {
		l.log().Info("loading interrupted", "err", err)
	}
	return len(rep.Loaded), len(rep.Failed), err
}

// Start watches the store and loads new sources until ctx ends. It returns
// once the watch is in place, so no file written after it is missed.
func (l *Loader) Start(ctx context.Context) error {
	events, err := l.Store.Watch(ctx, "/")
	if err != nil {
		return err
	}
	// A batch's second pass may hold its goroutine for LoadTimeout per
	// slow module (a probe each): later batches load beside it, at most
	// loadBatches at once, so a new good file does not wait behind an
	// endless one written just before it.
	slots := make(chan struct{}, loadBatches)
	go func() {
		for ev := range events {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			// Everything that arrived meanwhile loads as one batch (a put
			// of a folder, a fleet node catching up, files written while
			// the last batch loaded), in LoadPaths's two passes: one slow
			// or endless file does not delay the others.
			batch := l.newSources(nil, ev)
		more:
			for {
				select {
				case ev, ok := <-events:
					if !ok {
						break more
					}
					batch = l.newSources(batch, ev)
				default:
					break more
				}
			}
			if len(batch) == 0 {
				<-slots
				continue
			}
			go func() {
				defer func() { <-slots }()
				l.loadBatch(ctx, batch)
			}()
		}
	}()
	return nil
}

// loadBatches bounds how many batches of new sources load at once.
const loadBatches = 4

func (l *Loader) loadBatch(ctx context.Context, batch []string) {
	rep, err := l.Runtime.LoadPaths(ctx, batch...)
	if err != nil && ctx.Err() != nil {
		// Stopped, not broken: telling the user to fix it would mislead.
		l.log().Info("module load interrupted", "err", err)
		return
	}
	for id, ferr := range rep.Failed {
		l.log().Warn("module failed to load; it loads when its source is fixed", "module", id, "err", ferr)
	}
}

// newSources adds ev's path to batch if it is a source with no module yet
// (a loaded one the runtime reloads by itself).
func (l *Loader) newSources(batch []string, ev vfs.Event) []string {
	if ev.Op == vfs.Deleted || !l.Runtime.LoadsAsModule(ev.Path) || slices.Contains(batch, ev.Path) {
		return batch
	}
	if _, err := l.Runtime.Module(ModuleID(ev.Path)); err == nil {
		return batch
	}
	return append(batch, ev.Path)
}

func (l *Loader) log() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.Default()
}
