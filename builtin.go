package hotmod

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/builtins"
	"github.com/hotmod/hotmod/vfs"
)

// Node's built-in modules (internal/builtins): "node:x" always names the
// built-in; a bare "x" names it only when no node_modules folder up from
// the importer has a package "x", as in Node. A built-in hotmod lacks
// (fs, http...) fails the import, unless the importer's package maps it in
// its package.json "browser" field (to false: an empty module; to a file:
// that file). Node ignores "browser"; hotmod reads it only for what it
// lacks, so a package gets Node's behaviour wherever hotmod can give it.

// lackingText ends the error for a Node built-in hotmod does not provide.
// It is matched in the error a failed evaluation gives, whose Go chain
// the JavaScript exception in between does not keep.
const lackingText = "is a Node built-in, which hotmod's realm does not have"

// errLacking is the error for a Node built-in hotmod does not provide.
func errLacking(spec string) error {
	if !strings.HasPrefix(spec, "node:") {
		spec = "node:" + spec
	}
	return fmt.Errorf("%w: %q %s", ErrNotFound, spec, lackingText)
}

// builtinLocked is module.exports of the built-in name (without "node:")
// in realm s, evaluated once per realm; for one hotmod lacks, what m's
// package maps it to in "browser". Call with s's lock held.
func (rt *Runtime) builtinLocked(s *realm, m *Module, name string) (goja.Value, error) {
	if builtins.Has(name) {
		if s.builtins == nil {
			s.builtins = builtins.NewSet(s.VM(), s.Buffer())
		}
		return s.builtins.Require(name)
	}
	target, found, err := rt.browserMapping(s, m.path, func(string) []string { return []string{name, "node:" + name} })
	switch {
	case err != nil:
		return nil, err
	case !found, target == name, target == "node:"+name:
		return nil, errLacking(name)
	case target == "":
		return s.VM().NewObject(), nil // mapped to false: an empty module
	}
	exp, _, err := rt.requireValue(s, m, target, false)
	return exp, err
}

// browserFileLocked is what the package of file (a module whose load
// failed on a built-in hotmod lacks) maps it to in its "browser" field.
// Call with s's lock held.
func (rt *Runtime) browserFileLocked(s *realm, file string) (target string, found bool, err error) {
	return rt.browserMapping(s, file, func(pkgDir string) []string {
		rel := "./" + strings.TrimPrefix(strings.TrimPrefix(file, pkgDir), "/")
		return []string{rel, strings.TrimSuffix(rel, path.Ext(rel))}
	})
}

// browserMapping is what the package.json nearest to importer maps the
// first of keys to in its "browser" field: found with target "" for
// false, else the store path (or the package name) of its replacement.
func (rt *Runtime) browserMapping(s *realm, importer string, keys func(pkgDir string) []string) (target string, found bool, err error) {
	ctx, cancel := context.WithTimeout(rt.bg, cmp.Or(rt.opts.LoadTimeout, rt.opts.ReloadTimeout))
	defer cancel()
	for dir := path.Dir(importer); ; dir = path.Dir(dir) {
		manifest, err := rt.read(ctx, s.staged, path.Join(dir, "package.json"))
		switch {
		case err == nil:
			return browserTarget(dir, manifest, keys(dir))
		case !errors.Is(err, vfs.ErrNotFound):
			return "", false, err
		}
		if dir == "/" || path.Base(dir) == "node_modules" {
			return "", false, nil
		}
	}
}

// browserTarget reads a package.json's "browser" map for the first of
// keys it has.
func browserTarget(pkgDir string, manifest []byte, keys []string) (string, bool, error) {
	var pkg struct {
		Browser json.RawMessage `json:"browser"`
	}
	if err := json.Unmarshal(manifest, &pkg); err != nil {
		return "", false, fmt.Errorf("%s/package.json: %w", pkgDir, err)
	}
	var m map[string]any
	if json.Unmarshal(pkg.Browser, &m) != nil { // absent, or a string (the browser's main)
		return "", false, nil
	}
	for _, k := range keys {
		switch t := m[k].(type) {
		case bool:
			if !t {
				return "", true, nil
			}
		case string:
			if strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../") {
				return path.Join(pkgDir, t), true, nil
			}
			return t, true, nil
		}
	}
	return "", false, nil
}
