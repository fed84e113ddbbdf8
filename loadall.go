package hotmod

import (
	"context"
	"errors"
	"path"
	"strings"
)

// IsModuleSource reports whether a store path holds module code that
// LoadAll loads by itself: JavaScript and TypeScript, but not type
// declarations (.d.ts), JSON, or packages under node_modules, which load
// when something imports them.
func IsModuleSource(p string) bool {
	if strings.HasSuffix(p, ".d.ts") || strings.Contains(p, "/node_modules/") {
		return false
	}
	switch path.Ext(p) {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx":
		return true
	}
	return false
}

// DefaultModuleID is the id a module loaded by an import or by LoadAll gets
// unless Options.ModuleID says otherwise: its path without the leading slash
// and the extension ("/lib/tax.ts" is "lib/tax"), as a user would name it.
// Under node_modules the extension stays, because a package may ship
// index.js and index.mjs side by side and both may load.
func DefaultModuleID(p string) string {
	p = strings.TrimPrefix(p, "/")
	if strings.HasPrefix(p, "node_modules/") || strings.Contains(p, "/node_modules/") {
		return p
	}
	return strings.TrimSuffix(p, path.Ext(p))
}

// LoadReport is what LoadAll did: the ids of the modules that serve (loaded
// now, or before by an import or an earlier call) and, by id, why each of
// the others failed its first load. A failed module stays listed as
// StateFailed and loads when its source, or a file it tried to import,
// changes.
type LoadReport struct {
	Loaded []string
	Failed map[string]error
}

// LoadAll loads every module source under prefix (see LoadsAsModule),
// each as the module Options.ModuleID names (DefaultModuleID's by default), and
// reports each outcome. A module that fails does not stop the others; the
// error is for the store's listing failing, or ctx ending.
func (rt *Runtime) LoadAll(ctx context.Context, prefix string) (LoadReport, error) {
	rep := LoadReport{Loaded: []string{}, Failed: map[string]error{}}
	paths, err := rt.store.List(ctx, prefix)
	if err != nil {
		return rep, err
	}
	for _, p := range paths {
		if !rt.LoadsAsModule(p) {
			continue
		}
		id := rt.opts.ModuleID(p)
		_, err := rt.CreateModule(ctx, id, p)
		if errors.Is(err, ErrExists) {
			// Loaded by an import, an earlier call, or the store watcher,
			// whose load may still be under way: its outcome is the
			// report's.
			err = rt.outcome(ctx, id)
		}
		switch {
		case err == nil, errors.Is(err, ErrExists):
			rep.Loaded = append(rep.Loaded, id)
		case ctx.Err() != nil:
			return rep, ctx.Err()
		default:
			rep.Failed[id] = err
		}
	}
	return rep, nil
}

// outcome waits for a load of module id under way (bounded by ctx and the
// Runtime's close) and returns its failure, if it failed.
func (rt *Runtime) outcome(ctx context.Context, id string) error {
	m, err := rt.Module(id)
	if err != nil {
		return nil // removed meanwhile: nothing of this load to report
	}
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	m.unlockReload()
	if m.State() != StateFailed {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastErr
}
