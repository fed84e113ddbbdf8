package hotmod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/hotmod/hotmod/vfs"
)

// Node's resolution of bare specifiers ("zod", "@scope/pkg/sub"), in the
// store: node_modules folders from the importer's folder up to the root,
// then the package's package.json: "exports" (subpaths, patterns, nested
// conditions) where it has one, else "module" (ES importers) or "main",
// else index files. An ES importer matches the "import" condition, a
// CommonJS one "require"; both match "node" and "default".

// errNotInstalled: no node_modules folder up from the importer has the
// package; a Node built-in of that name then serves (builtin.go).
var errNotInstalled = errors.New("not installed")

// conditionsFor are the export conditions an importer matches, in no
// particular order (the package's order decides).
func conditionsFor(esm bool) map[string]bool {
	if esm {
		return map[string]bool{"import": true, "node": true, "default": true}
	}
	return map[string]bool{"require": true, "node": true, "default": true}
}

// splitPackage splits a bare specifier into the package name and the
// subpath Node matches against "exports" ("." for the package itself).
func splitPackage(spec string) (name, subpath string, ok bool) {
	parts := strings.SplitN(spec, "/", 3)
	n := 1
	if strings.HasPrefix(spec, "@") {
		n = 2
	}
	if len(parts) < n || parts[0] == "" || (n == 2 && parts[1] == "") {
		return "", "", false
	}
	name = strings.Join(parts[:n], "/")
	subpath = "." + strings.TrimPrefix(spec, name)
	return name, subpath, true
}

// resolveBare returns the store path a bare specifier names from importer,
// before extensions are tried.
func (rt *Runtime) resolveBare(ctx context.Context, st *reads, importer, spec string, esm bool) (string, error) {
	name, subpath, ok := splitPackage(spec)
	if !ok {
		return "", fmt.Errorf("%w: %q is not a package name", ErrNotFound, spec)
	}
	var tried []string
	for dir := path.Dir(importer); ; dir = path.Dir(dir) {
		if path.Base(dir) == "node_modules" {
			// Node looks in no node_modules/node_modules.
			if dir == "/" {
				break
			}
			continue
		}
		pkgDir := path.Join(dir, "node_modules", name)
		tried = append(tried, pkgDir)
		manifest, err := rt.read(ctx, st, pkgDir+"/package.json")
		switch {
		case err == nil:
			real, err := rt.realPath(ctx, pkgDir)
			if err != nil {
				return "", err
			}
			return packageTarget(real, manifest, subpath, spec, esm)
		case !errors.Is(err, vfs.ErrNotFound):
			return "", err
		}
		if dir == "/" {
			break
		}
	}
	return "", fmt.Errorf("%w: package %q is %w (no package.json in %s)", ErrNotFound, name, errNotInstalled, strings.Join(tried, ", "))
}

// realPath is the package folder p with its symbolic links followed, as
// Node resolves a package (its --preserve-symlinks is off by default): a
// package that pnpm or a workspace links into node_modules runs from its
// real folder, where its own dependencies are, and is one module whichever
// link reached it. A store without links (vfs.RealPather) keeps p.
func (rt *Runtime) realPath(ctx context.Context, p string) (string, error) {
	rp, ok := rt.store.(vfs.RealPather)
	if !ok {
		return p, nil
	}
	return rp.RealPath(ctx, p)
}

// packageTarget applies a package.json to subpath.
func packageTarget(pkgDir string, manifest []byte, subpath, spec string, esm bool) (string, error) {
	var pkg struct {
		Main    any             `json:"main"` // a string, or anything (math-intrinsics has false): ignored
		Module  any             `json:"module"`
		Exports json.RawMessage `json:"exports"`
	}
	if err := json.Unmarshal(manifest, &pkg); err != nil {
		return "", fmt.Errorf("%s/package.json: %w", pkgDir, err)
	}
	if len(pkg.Exports) > 0 && !bytes.Equal(bytes.TrimSpace(pkg.Exports), []byte("null")) {
		exports, err := decodeOrdered(pkg.Exports)
		if err != nil {
			return "", fmt.Errorf("%s/package.json: exports: %w", pkgDir, err)
		}
		target, ok := exportsTarget(exports, subpath, conditionsFor(esm))
		if !ok {
			kind := "require"
			if esm {
				kind = "import"
			}
			return "", fmt.Errorf("%w: package %s does not export %q to an %s (its package.json \"exports\")", ErrNotFound, pkgDir, subpath, kind)
		}
		return path.Join(pkgDir, target), nil
	}
	if subpath != "." {
		return path.Join(pkgDir, subpath), nil
	}
	entry, _ := pkg.Main.(string)
	if module, _ := pkg.Module.(string); esm && module != "" {
		entry = module
	}
	if entry == "" {
		entry = "index.js"
	}
	return path.Join(pkgDir, entry), nil
}

// ordered is a JSON object with its keys in document order, which decides
// which export condition wins.
type ordered []member

type member struct {
	key   string
	value any // string, ordered, []any, nil
}

func decodeOrdered(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	return decodeValue(dec)
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var o ordered
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o = append(o, member{k.(string), v})
			}
			_, err := dec.Token() // }
			return o, err
		case '[':
			var a []any
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token() // ]
			return a, err
		}
	}
	return tok, nil
}

// exportsTarget matches subpath against a package's "exports".
func exportsTarget(exports any, subpath string, conds map[string]bool) (string, bool) {
	o, isObject := exports.(ordered)
	if !isObject || len(o) == 0 || !strings.HasPrefix(o[0].key, ".") {
		// Sugar: the whole value is the "." entry.
		if subpath != "." {
			return "", false
		}
		return conditionTarget(exports, "", conds)
	}
	for _, m := range o {
		if m.key == subpath {
			return conditionTarget(m.value, "", conds)
		}
	}
	// Patterns: the longest prefix before "*" wins.
	best, bestLen, star := -1, -1, ""
	for i, m := range o {
		pre, post, ok := strings.Cut(m.key, "*")
		if !ok || !strings.HasPrefix(subpath, pre) || !strings.HasSuffix(subpath, post) || len(subpath) < len(pre)+len(post) {
			continue
		}
		if len(pre) > bestLen {
			best, bestLen, star = i, len(pre), subpath[len(pre):len(subpath)-len(post)]
		}
	}
	if best < 0 {
		return "", false
	}
	return conditionTarget(o[best].value, star, conds)
}

// conditionTarget picks the target a value of "exports" gives: a string,
// the first matching condition of an object (nested), the first array
// element that resolves; null excludes.
func conditionTarget(v any, star string, conds map[string]bool) (string, bool) {
	switch t := v.(type) {
	case string:
		if !strings.HasPrefix(t, "./") {
			return "", false // Node refuses targets outside the package
		}
		return strings.ReplaceAll(t, "*", star), true
	case ordered:
		for _, m := range t {
			if conds[m.key] {
				if target, ok := conditionTarget(m.value, star, conds); ok {
					return target, true
				}
			}
		}
	case []any:
		for _, e := range t {
			if target, ok := conditionTarget(e, star, conds); ok {
				return target, true
			}
		}
	}
	return "", false
}
