package hotmod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/hotmod/hotmod/internal/transform"
	"github.com/hotmod/hotmod/vfs"
)

// TypeScript as tsc reads it: the nearest tsconfig.json, found by walking
// up from a module's folder in the store (not the disk), with its
// "extends" chain, governs how a TypeScript or JSX module compiles
// (esbuild's TsconfigRaw) and how its bare specifiers resolve ("paths",
// "baseUrl"). Every tsconfig.json path a module's compile read or looked
// for is in its read set (transform.Result.Config): a change to one
// reloads the modules it governs.
//
// Files under node_modules are not governed: a package ships compiled
// code, and tsc does not compile it either. Plain .js, .mjs and .cjs
// files are not governed (tsc compiles them only with allowJs), so a
// JavaScript project reads no tsconfig.json.

// tsconfigOptions are the compilerOptions esbuild reads from a
// tsconfig.json (https://esbuild.github.io/content-types/#tsconfig-json),
// but for paths and baseUrl, which the resolver applies here.
var tsconfigOptions = []string{
	"alwaysStrict", "strict", "target", "useDefineForClassFields",
	"experimentalDecorators", "verbatimModuleSyntax", "preserveValueImports",
	"importsNotUsedAsValues", "jsx", "jsxFactory", "jsxFragmentFactory",
	"jsxImportSource",
}

// tsconfig is what the tsconfig.json governing a file says.
type tsconfig struct {
	raw   string   // esbuild's TsconfigRaw; "" if no tsconfig.json governs
	files []string // the tsconfig.json paths read or looked for
	// metadataFrom is the file that sets emitDecoratorMetadata (with
	// experimentalDecorators): see transform.Options.
	metadataFrom string
	jsx, jsxFrom string
	baseURL      string  // absolute, or ""
	paths        ordered // "paths", in document order
	pathsBase    string  // what "paths" targets are relative to
}

// governed reports whether a tsconfig.json applies to file.
func governed(file string) bool {
	if strings.Contains(file, "/node_modules/") {
		return false
	}
	switch path.Ext(file) {
	case ".ts", ".tsx", ".mts", ".cts", ".jsx":
		return true
	}
	return false
}

// compileFile compiles file with the options of its tsconfig.json, read
// through st (so the paths are in the load's read set).
func (rt *Runtime) compileFile(ctx context.Context, st *reads, file string, src []byte) (*transform.Result, error) {
	cfg, err := rt.tsconfigFor(ctx, st, file)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return rt.compiler.Compile(file, src)
	}
	if ext := path.Ext(file); (ext == ".tsx" || ext == ".jsx") && (cfg.jsx == "preserve" || cfg.jsx == "react-native") {
		return nil, fmt.Errorf("%s: compilerOptions.jsx is %q, which leaves JSX in the output for another compiler, and the goja engine cannot run JSX: use \"react\", \"react-jsx\" or \"react-jsxdev\"", cfg.jsxFrom, cfg.jsx)
	}
	return rt.compiler.CompileWith(file, src, transform.Options{Tsconfig: cfg.raw, Files: cfg.files, MetadataFrom: cfg.metadataFrom, Resolve: cfg.resolveKey()})
}

// tsconfigFor finds and merges the tsconfig.json governing file; nil if
// file is not governed.
func (rt *Runtime) tsconfigFor(ctx context.Context, st *reads, file string) (*tsconfig, error) {
	if !governed(file) {
		return nil, nil
	}
	dir := path.Dir(file)
	if cfg, ok := st.config(dir); ok {
		return cfg, nil
	}
	var looked []string
	for d := dir; ; d = path.Dir(d) {
		p := path.Join(d, "tsconfig.json")
		looked = append(looked, p)
		b, err := rt.read(ctx, st, p)
		if err == nil {
			l := &tsLoader{rt: rt, ctx: ctx, st: st, files: looked}
			cfg, err := l.merged(p, b)
			if err != nil {
				return nil, err
			}
			st.putConfig(dir, cfg)
			return cfg, nil
		}
		if !errors.Is(err, vfs.ErrNotFound) {
			return nil, err
		}
		if d == "/" {
			break
		}
	}
	cfg := &tsconfig{files: looked}
	st.putConfig(dir, cfg)
	return cfg, nil
}

// tsLoader reads one tsconfig.json and what it extends.
type tsLoader struct {
	rt    *Runtime
	ctx   context.Context
	st    *reads
	files []string
	chain []string // the files being read, for a cycle
}

// layer is one file's compilerOptions, each with the file that set it.
type layer struct {
	opts map[string]json.RawMessage
	from map[string]string
}

func (l *tsLoader) merged(p string, b []byte) (*tsconfig, error) {
	ly, err := l.load(p, b)
	if err != nil {
		return nil, err
	}
	cfg := &tsconfig{files: l.files}
	keep := map[string]json.RawMessage{}
	for _, k := range tsconfigOptions {
		if v, ok := ly.opts[k]; ok {
			keep[k] = v
		}
	}
	raw, err := json.Marshal(map[string]any{"compilerOptions": keep})
	if err != nil {
		return nil, err
	}
	cfg.raw = string(raw)
	var on bool
	if json.Unmarshal(ly.opts["emitDecoratorMetadata"], &on) == nil && on {
		var exp bool
		if json.Unmarshal(ly.opts["experimentalDecorators"], &exp) == nil && exp {
			cfg.metadataFrom = ly.from["emitDecoratorMetadata"]
		}
	}
	var jsx string
	if json.Unmarshal(ly.opts["jsx"], &jsx) == nil {
		cfg.jsx, cfg.jsxFrom = strings.ToLower(jsx), ly.from["jsx"]
	}
	var base string
	if json.Unmarshal(ly.opts["baseUrl"], &base) == nil && base != "" {
		cfg.baseURL = path.Join(path.Dir(ly.from["baseUrl"]), base)
	}
	if raw, ok := ly.opts["paths"]; ok {
		v, err := decodeOrdered(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: compilerOptions.paths: %w", ly.from["paths"], err)
		}
		if o, ok := v.(ordered); ok {
			cfg.paths = o
			cfg.pathsBase = cmpOr(cfg.baseURL, path.Dir(ly.from["paths"]))
		}
	}
	return cfg, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// load reads p's compilerOptions over those of what it extends (in
// order, later ones winning), as tsc merges them: option by option.
func (l *tsLoader) load(p string, b []byte) (*layer, error) {
	if slices.Contains(l.chain, p) {
		return nil, fmt.Errorf("%s: \"extends\" makes a cycle: %s", p, strings.Join(append(l.chain, p), " -> "))
	}
	l.chain = append(l.chain, p)
	defer func() { l.chain = l.chain[:len(l.chain)-1] }()
	var doc struct {
		Extends         json.RawMessage            `json:"extends"`
		CompilerOptions map[string]json.RawMessage `json:"compilerOptions"`
	}
	if err := json.Unmarshal(jsonc(b), &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	var bases []string
	if len(doc.Extends) > 0 {
		var one string
		if json.Unmarshal(doc.Extends, &one) == nil {
			bases = []string{one}
		} else if err := json.Unmarshal(doc.Extends, &bases); err != nil {
			return nil, fmt.Errorf("%s: \"extends\" is neither a string nor an array of strings", p)
		}
	}
	ly := &layer{opts: map[string]json.RawMessage{}, from: map[string]string{}}
	for _, spec := range bases {
		bp, bb, err := l.find(path.Dir(p), spec)
		if err != nil {
			return nil, fmt.Errorf("%s: \"extends\": %w", p, err)
		}
		base, err := l.load(bp, bb)
		if err != nil {
			return nil, err
		}
		maps.Copy(ly.opts, base.opts)
		maps.Copy(ly.from, base.from)
	}
	for k, v := range doc.CompilerOptions {
		ly.opts[k] = v
		ly.from[k] = p
	}
	return ly, nil
}

// find reads the file an "extends" names from dir: a path (".json"
// optional), or a package's file in node_modules ("pkg" meaning
// pkg/tsconfig.json). Every path looked at joins the read set.
func (l *tsLoader) find(dir, spec string) (string, []byte, error) {
	var cands []string
	withJSON := func(p string) []string {
		if strings.HasSuffix(p, ".json") {
			return []string{p}
		}
		return []string{p, p + ".json"}
	}
	switch {
	case strings.HasPrefix(spec, "./"), strings.HasPrefix(spec, "../"), strings.HasPrefix(spec, "/"):
		cands = withJSON(path.Join(dir, spec))
	default:
		name, sub, ok := splitPackage(spec)
		if !ok {
			return "", nil, fmt.Errorf("%w: %q is not a path or a package name", ErrNotFound, spec)
		}
		for d := dir; ; d = path.Dir(d) {
			pkg := path.Join(d, "node_modules", name)
			if sub == "." {
				cands = append(cands, pkg+"/tsconfig.json")
			} else {
				cands = append(cands, withJSON(path.Join(pkg, sub))...)
			}
			if d == "/" {
				break
			}
		}
	}
	for _, c := range cands {
		if vfs.ValidatePath(c) != nil {
			continue
		}
		l.files = append(l.files, c)
		b, err := l.rt.read(l.ctx, l.st, c)
		if err == nil {
			return c, b, nil
		}
		if !errors.Is(err, vfs.ErrNotFound) {
			return "", nil, err
		}
	}
	return "", nil, fmt.Errorf("%w: %q (tried %s)", ErrNotFound, spec, strings.Join(cands, ", "))
}

// resolveKey is what of cfg decides resolution, for the compile's hash.
func (cfg *tsconfig) resolveKey() string {
	if cfg.baseURL == "" && len(cfg.paths) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(cfg.baseURL + "\x00" + cfg.pathsBase)
	for _, m := range cfg.paths {
		fmt.Fprintf(&b, "\x00%s=%v", m.key, m.value)
	}
	return b.String()
}

// pathTargets are the store paths tsconfig's "paths" and "baseUrl" give a
// bare specifier, in the order tsc tries them: the targets of the
// matching "paths" entry (the exact key, else the pattern with the
// longest prefix before its one "*"), then baseUrl/spec. The resolver
// takes the first that names a file, and Node's node_modules lookup if
// none does.
func (cfg *tsconfig) pathTargets(spec string) []string {
	if cfg == nil {
		return nil
	}
	var out []string
	match, star, bestLen := -1, "", -1
	for i, m := range cfg.paths {
		if m.key == spec {
			match, star = i, ""
			break
		}
		pre, post, ok := strings.Cut(m.key, "*")
		if !ok || strings.Contains(post, "*") || !strings.HasPrefix(spec, pre) || !strings.HasSuffix(spec, post) || len(spec) < len(pre)+len(post) {
			continue
		}
		if len(pre) > bestLen {
			match, bestLen, star = i, len(pre), spec[len(pre):len(spec)-len(post)]
		}
	}
	if match >= 0 {
		targets, _ := cfg.paths[match].value.([]any)
		for _, t := range targets {
			if s, ok := t.(string); ok {
				out = append(out, path.Join(cfg.pathsBase, strings.Replace(s, "*", star, 1)))
			}
		}
	}
	if cfg.baseURL != "" {
		out = append(out, path.Join(cfg.baseURL, spec))
	}
	return out
}

// jsonc turns tsconfig.json's JSON with comments and trailing commas into
// JSON: comments become spaces, then commas before a } or ] go.
func jsonc(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			j := stringEnd(b, i)
			out = append(out, b[i:j]...)
			i = j - 1
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			for i+1 < len(b) && b[i+1] != '\n' {
				i++
			}
			out = append(out, ' ')
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			end := bytes.Index(b[i+2:], []byte("*/"))
			if end < 0 {
				end = len(b) - i - 2
			}
			i += 2 + end + 1
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	clean := make([]byte, 0, len(out))
	for i := 0; i < len(out); i++ {
		switch c := out[i]; c {
		case '"':
			j := stringEnd(out, i)
			clean = append(clean, out[i:j]...)
			i = j - 1
		case ',':
			j := i + 1
			for j < len(out) && (out[j] == ' ' || out[j] == '\t' || out[j] == '\n' || out[j] == '\r') {
				j++
			}
			if j < len(out) && (out[j] == '}' || out[j] == ']') {
				continue
			}
			clean = append(clean, c)
		default:
			clean = append(clean, c)
		}
	}
	return clean
}

// stringEnd is the index just past the JSON string that starts at b[i].
func stringEnd(b []byte, i int) int {
	j := i + 1
	for ; j < len(b) && b[j] != '"'; j++ {
		if b[j] == '\\' {
			j++
		}
	}
	return min(j+1, len(b))
}
