// Package transform turns a module source (JavaScript, TypeScript, ES module,
// CommonJS, script or JSON) into a compiled goja program with a uniform
// calling convention, a source map back to the original, and, for scripts,
// the list of top-level declarations that become its exports.
//
// esbuild's parser decides what a source is (its metafile reports "esm",
// "cjs" or nothing for a script) and lowers the two features goja lacks
// (async generators and for-await); goja's parser finds a script's top-level
// declarations. No regular expression looks at source code.
package transform

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hotmod/hotmod/js"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/parser"
	"github.com/evanw/esbuild/pkg/api"
)

// Kind is what a source turned out to be.
type Kind uint8

const (
	Script Kind = iota
	CommonJS
	ESModule
	JSON
)

func (k Kind) String() string {
	return [...]string{"script", "commonjs", "esm", "json"}[k]
}

// Params are the names the compiled program's outer function binds, in
// order; Helpers follow them. The module body sits in an inner function,
// so a module may declare any of these names itself without a clash; the
// loader declares nothing else.
var Params = []string{
	"exports", "require", "module", "__filename", "__dirname",
	"setTimeout", "clearTimeout", "setInterval", "clearInterval",
	"setImmediate", "clearImmediate", "console",
}

// Result is a compiled module source.
//
// Running Program gives a function of Params. Calling it evaluates the module
// with `this` = exports; for a Script it returns an object whose accessors
// read and write the script's top-level bindings (Exports lists them).
type Result struct {
	Kind    Kind
	Program *goja.Program
	Exports []string
	Imports []string // specifiers the source requires or imports, as written
	// DynamicImports are the specifiers of Imports that only import()
	// names (literally).
	DynamicImports []string
	Uses           []Use // an ES module's imports by name, for the import contract
	// An ES module's own export names, and the specifiers it re-exports
	// everything from (export * from), for the import contract.
	ExportNames []string
	ReExports   []string
	// ConstExports are the export names of an ES module (without
	// top-level await) whose value is fixed once it has been evaluated
	// (see constExports).
	ConstExports []string
	Hash         [32]byte
	// Source is the text compiled, as read: a kept version's source is
	// shown and diffed from it.
	Source string
	// Async: an ES module with top-level await. Calling the program
	// returns a promise that settles when its evaluation ends, with its
	// exports object (see asyncModule).
	Async bool
	// Config are the tsconfig.json paths the compile's options came from
	// or were looked for at (Options.Files).
	Config []string
}

// SourceError is js.SourceError: the compiler makes them.
type SourceError = js.SourceError

// Compiler compiles sources, caching the newest result of each path. A
// superseded source's result is not kept: only a kept version can use it,
// and the version holds it itself. Keeping every edit's program (as a cache
// by content would) kept 45 MB live after 300 edits of one 300-line file.
type Compiler struct {
	mu     sync.Mutex
	byPath map[string]*Result
	order  []string // paths, oldest insertion first, for the bound
	max    int
	disk   *diskCache
}

// NewCompiler returns a compiler whose cache holds up to max paths. With
// a dir, esbuild's output is also kept there by content, for every
// Compiler and process that uses the same dir (see diskCache).
func NewCompiler(max int, dir string) (*Compiler, error) {
	c := &Compiler{byPath: make(map[string]*Result), max: max}
	if dir != "" {
		d, err := openDiskCache(dir)
		if err != nil {
			return nil, err
		}
		c.disk = d
	}
	return c, nil
}

// Drop empties the cache.
func (c *Compiler) Drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.byPath)
	c.order = nil
}

// Cached reports whether a result for file compiled from src (with
// whatever options) is in the cache.
func (c *Compiler) Cached(file string, src []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.byPath[file]
	return ok && r.Source == string(src)
}

// cacheKey is the hash of everything a compile depends on. Without a
// tsconfig it is the hash of file and src alone, as it was before
// tsconfig.json was read.
func cacheKey(file string, src []byte, o Options) [32]byte {
	h := sha256.New()
	h.Write([]byte(file))
	h.Write([]byte{0})
	h.Write(src)
	if o.Tsconfig != "" || len(o.Files) > 0 || o.MetadataFrom != "" || o.Resolve != "" {
		h.Write([]byte{0})
		h.Write([]byte(o.Tsconfig))
		h.Write([]byte{0})
		h.Write([]byte(o.Resolve))
		for _, f := range o.Files {
			h.Write([]byte{0})
			h.Write([]byte(f))
		}
		h.Write([]byte{0})
		h.Write([]byte(o.MetadataFrom))
	}
	var key [32]byte
	h.Sum(key[:0])
	return key
}

// Options are what a tsconfig.json says about compiling a file (see the
// root package's tsconfig.go, which finds and merges them).
type Options struct {
	// Tsconfig is esbuild's TsconfigRaw: {"compilerOptions": {...}} with
	// the options esbuild reads. Empty: none (esbuild then reads no
	// tsconfig.json at all, from the disk or anywhere).
	Tsconfig string
	// Files are the store paths the options came from, or were looked
	// for at (a tsconfig.json that appears there would govern the file):
	// a change to one of them recompiles the file. Result.Config keeps
	// them.
	Files []string
	// Resolve is what else the file's tsconfig.json says that the
	// compile does not use but the module depends on ("paths" and
	// "baseUrl", which decide what its imports reach): it is part of the
	// hash, so that an edit of it is a change of the module.
	Resolve string
	// MetadataFrom, if set, is the tsconfig.json that asks for
	// emitDecoratorMetadata with experimentalDecorators. esbuild does not
	// emit decorator metadata, so a source with experimental decorators
	// fails to compile rather than run without the metadata tsc would
	// give it; a source without decorators is unaffected.
	MetadataFrom string
}

// Compile compiles src, which was read from file (a store path; its extension
// picks the loader), with no tsconfig.json. It is safe for concurrent use and
// never touches a realm.
func (c *Compiler) Compile(file string, src []byte) (*Result, error) {
	return c.CompileWith(file, src, Options{})
}

// CompileWith is Compile with the options of the file's tsconfig.json.
func (c *Compiler) CompileWith(file string, src []byte, o Options) (*Result, error) {
	key := cacheKey(file, src, o)
	c.mu.Lock()
	r, ok := c.byPath[file]
	c.mu.Unlock()
	if ok && r.Hash == key {
		return r, nil
	}
	r, err := compile(file, src, c.disk, key, o)
	if err != nil {
		return nil, err
	}
	r.Hash = key
	r.Source = string(src)
	r.Config = o.Files
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byPath[file]; !ok {
		c.order = append(c.order, file)
		if len(c.order) > c.max {
			delete(c.byPath, c.order[0])
			c.order = slices.Delete(c.order, 0, 1)
		}
	}
	c.byPath[file] = r
	return r, nil
}

func loaderFor(file string) api.Loader {
	switch path.Ext(file) {
	case ".ts", ".mts", ".cts":
		return api.LoaderTS
	case ".tsx":
		return api.LoaderTSX
	case ".jsx":
		return api.LoaderJSX
	}
	return api.LoaderJS
}

func compile(file string, src []byte, disk *diskCache, key [32]byte, o Options) (*Result, error) {
	if path.Ext(file) == ".json" {
		return compileJSON(file, src)
	}
	if r := direct(file, src, o); r != nil {
		return r, nil
	}
	out, ok := disk.get(key)
	if !ok {
		var err error
		if out, err = transpile(file, src, o); err != nil {
			return nil, err
		}
		disk.put(key, out)
	}
	r := &Result{Kind: out.kind, Imports: out.imports, Async: out.async}
	var tail string
	if r.Kind == Script {
		names, err := topLevelNames(file, out.code, leadingUnmapped(out.smap))
		if err != nil {
			return nil, err
		}
		r.Exports = names
		tail = accessors(names)
	}
	if out.async {
		tail = asyncTail
	}
	prg, parsed, err := wrap(file, out.code, tail, out.smap, r.Kind == ESModule)
	if err != nil {
		return nil, err
	}
	r.Program = prg
	for _, spec := range parsed.dynamic {
		if !slices.Contains(r.DynamicImports, spec) {
			r.DynamicImports = append(r.DynamicImports, spec)
		}
	}
	if r.Kind == ESModule {
		if len(r.Imports) > 0 {
			r.Uses = importUses(parsed.Program)
		}
		r.ExportNames, r.ReExports = exportShape(parsed.Program, out.async)
		if !out.async {
			r.ConstExports = constExports(parsed.Program)
		}
	}
	return r, nil
}

// transpiled is esbuild's part of a compile: what the source is, what it
// imports, and the code goja compiles, with its source map.
type transpiled struct {
	kind    Kind
	async   bool // top-level await: see transpileAsync
	imports []string
	code    string
	smap    []byte
}

// transpile runs esbuild on src. The CommonJS pass tells what the source
// is (esbuild's metafile says "esm", "cjs" or, for a script, nothing) and
// converts ES modules. A script takes a second pass that keeps its format,
// because the CommonJS output renames a script's own top-level `require`,
// `module` or `exports`, and those names are its exports.
func transpile(file string, src []byte, o Options) (*transpiled, error) {
	name := esbuildName(file)
	out := build(name, src, api.FormatCommonJS, o.Tsconfig)
	if len(out.Errors) > 0 {
		if topLevelAwait(out.Errors) {
			return transpileAsync(file, name, src, o)
		}
		return nil, sourceErrors(file, out.Errors)
	}
	kind, imports, err := classify(name, out.Metafile)
	if err != nil {
		return nil, err
	}
	if kind == Script && name != file {
		// An .mjs or .mts file is an ES module even without import or
		// export, as in Node; without them its CommonJS output is the
		// code as it is.
		kind = ESModule
	}
	if kind == Script {
		if out = build(name, src, api.FormatDefault, o.Tsconfig); len(out.Errors) > 0 {
			return nil, sourceErrors(file, out.Errors)
		}
	}
	return outputOf(&transpiled{kind: kind, imports: imports}, out, file, src, o)
}

// outputOf fills t with esbuild's output (the code and its source map) and
// refuses what decoratorMetadata refuses.
func outputOf(t *transpiled, out api.BuildResult, file string, src []byte, o Options) (*transpiled, error) {
	for _, f := range out.OutputFiles {
		if strings.HasSuffix(f.Path, ".map") {
			t.smap = f.Contents
		} else {
			t.code = string(f.Contents)
		}
	}
	if err := decoratorMetadata(file, t.code, src, o); err != nil {
		return nil, err
	}
	return t, nil
}

// decoratorMetadata refuses a source with experimental decorators when its
// tsconfig.json asks for emitDecoratorMetadata, which esbuild does not
// emit: tsc would give the decorators design:type and the like (what
// dependency injection reads through reflect-metadata), and the module
// would run differently without. esbuild's __decorateClass helper in the
// output, and not in the source, tells that the source has decorators.
func decoratorMetadata(file, code string, src []byte, o Options) error {
	const helper = "__decorateClass("
	if o.MetadataFrom == "" || !strings.Contains(code, helper) || bytes.Contains(src, []byte(helper)) {
		return nil
	}
	return &SourceError{File: file, Line: 1, Column: 1, Message: fmt.Sprintf(
		"%s sets emitDecoratorMetadata, which hotmod's compiler (esbuild) does not emit: this module's decorators would get no design:type/design:paramtypes/design:returntype metadata, unlike under tsc; set emitDecoratorMetadata to false (and give the metadata explicitly) to load it", o.MetadataFrom)}
}

// esbuildName is the name esbuild gets for file. esbuild takes .mjs and
// .mts for Node's mode, where a default import is always the whole
// CommonJS module, even one compiled from an ES module (__esModule); hotmod
// gives every importer the interop of .js, which respects __esModule. The
// source map still names file.
func esbuildName(file string) string {
	switch path.Ext(file) {
	case ".mjs":
		return strings.TrimSuffix(file, ".mjs") + ".js"
	case ".mts":
		return strings.TrimSuffix(file, ".mts") + ".ts"
	}
	return file
}

// supported are the features esbuild lowers for goja: async generators
// and for-await, which goja lacks; TC39 decorators (with `accessor`
// fields) and `using`/`await using` declarations, which goja lacks too
// (the realm defines Symbol.dispose and Symbol.asyncDispose, as Node 20
// does, for the lowered code and for the objects that implement them);
// import(), which becomes
// Promise.resolve().then(() => __toESM(require(x))) for wrap to turn into
// a call of the loader's own import (see dynamicImports); and regular
// expression literals with the d and v flags, which become
// `new RegExp(...)`, so that a module holding one loads and only the code
// that makes one fails, with a SyntaxError that says which flag, where it
// runs (internal/platform's RegExp).
var supported = map[string]bool{"async-generator": false, "for-await": false, "dynamic-import": false, "decorators": false, "using": false,
	"regexp-match-indices": false, "regexp-set-notation": false}

func build(file string, src []byte, format api.Format, tsconfig string) api.BuildResult {
	return api.Build(buildOptions(file, src, format, tsconfig))
}

// noTsconfig is the TsconfigRaw of a file no tsconfig.json governs: with
// one given, esbuild looks for none on the disk (Stdin has no folder, and
// the process's working directory is not the store).
const noTsconfig = "{}"

func buildOptions(file string, src []byte, format api.Format, tsconfig string) api.BuildOptions {
	if tsconfig == "" {
		tsconfig = noTsconfig
	}
	var define map[string]string
	if bytes.Contains(src, []byte("import.meta")) {
		// Any define makes esbuild process its table of known globals
		// again, a third of a small file's build: only a source that can
		// name import.meta pays for it. Its CommonJS output would make
		// import.meta an empty object; the loader gives each module a
		// module.meta instead (url, filename, dirname, hot).
		define = map[string]string{"import.meta.hot": "module.hot", "import.meta": "module.meta"}
	}
	return api.BuildOptions{
		Stdin:  &api.StdinOptions{Contents: string(src), Sourcefile: file, Loader: loaderFor(file)},
		Format: format,
		// Neutral, not the default browser: a browser build replaces
		// process.env.NODE_ENV by a constant, and processes its table of
		// known globals again on every build to do so.
		Platform:       api.PlatformNeutral,
		Target:         api.ESNext,
		TsconfigRaw:    tsconfig,
		Supported:      supported,
		Define:         define,
		Metafile:       true,
		Write:          false,
		Outfile:        "/out.js",
		Sourcemap:      api.SourceMapExternal,
		SourcesContent: api.SourcesContentExclude,
		Charset:        api.CharsetUTF8,
		LogLevel:       api.LogLevelSilent,
	}
}

// classify reads what esbuild's parser decided the source is, and what it
// imports, from the metafile.
func classify(file, metafile string) (Kind, []string, error) {
	var meta struct {
		Inputs map[string]struct {
			Format string `json:"format"`
		} `json:"inputs"`
		Outputs map[string]struct {
			Imports []struct {
				Path string `json:"path"`
			} `json:"imports"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(metafile), &meta); err != nil {
		return 0, nil, fmt.Errorf("transform %s: reading esbuild's metafile: %w", file, err)
	}
	var imports []string
	for _, o := range meta.Outputs {
		for _, imp := range o.Imports {
			imports = append(imports, imp.Path)
		}
	}
	switch meta.Inputs[file].Format {
	case "esm":
		return ESModule, imports, nil
	case "cjs":
		return CommonJS, imports, nil
	}
	return Script, imports, nil
}

func sourceErrors(file string, msgs []api.Message) error {
	var all []*SourceError
	for _, m := range msgs {
		e := &SourceError{File: file, Message: m.Text}
		if m.Location != nil {
			e.Line, e.Column, e.LineText = m.Location.Line, m.Location.Column+1, m.Location.LineText
		}
		all = append(all, e)
	}
	first := all[0]
	first.More = all[1:]
	return first
}

// wrap puts the module body in the calling convention of Params and compiles
// it. The wrapper takes the first line, so the source map gets one more
// unmapped line in front. An ES module is strict, as in every engine;
// esbuild's CommonJS output drops the implied "use strict", so the wrapper
// puts it back (on its own first line, so no position moves).
// sourceMapName is the URL of every program's source map; wrap's loader
// answers it.
const sourceMapName = "hotmod-source.map"

func wrap(file, code, tail string, smap []byte, strict bool) (*goja.Program, *wrapped, error) {
	return wrapWith(file, "", code, tail, smap, strict, nil)
}

// wrapWith is wrap with head written on the wrapper's own first line (so
// no position of code moves), and check run on the parsed program before
// it is compiled: an error from check is returned as is.
func wrapWith(file, head, code, tail string, smap []byte, strict bool, check func(*ast.Program) error) (*goja.Program, *wrapped, error) {
	var b strings.Builder
	b.Grow(len(code) + len(head) + len(tail) + 512)
	b.WriteString("(function (")
	b.WriteString(strings.Join(Params, ", "))
	for _, h := range Helpers() {
		b.WriteString(", " + h)
	}
	b.WriteString(", " + ImportParam)
	b.WriteString(") { return (function () {")
	if strict {
		b.WriteString(` "use strict";`)
	}
	b.WriteString(head)
	b.WriteString("\n")
	b.WriteString(code)
	b.WriteString("\n")
	b.WriteString(tail)
	b.WriteString("\n}).call(exports); })")
	var shifted []byte
	if smap != nil {
		var m map[string]any
		if err := json.Unmarshal(smap, &m); err == nil {
			m["mappings"] = ";" + shiftColumns(fmt.Sprint(m["mappings"]))
			if srcs, ok := m["sources"].([]any); ok && len(srcs) > 1 {
				m["sources"] = asyncSources(srcs, file)
			} else {
				m["sources"] = []string{file}
			}
			if shifted, err = json.Marshal(m); err == nil {
				// A URL, not the map inline: goja keeps the program's
				// text for its lifetime, and a data URL would keep the
				// map a second time, in base64.
				b.WriteString("\n//# sourceMappingURL=" + sourceMapName)
			}
		}
	}
	text := b.String()
	parsed, err := goja.Parse(file, text, parser.WithSourceMapLoader(func(string) ([]byte, error) {
		return shifted, nil
	}))
	if err != nil {
		return nil, nil, gojaSyntaxError(file, err, shifted != nil)
	}
	if check != nil {
		if err := check(parsed); err != nil {
			return nil, nil, err
		}
	}
	dropSharedHelpers(parsed, text)
	markEmptyLoops(parsed, text)
	dynamic := dynamicImports(parsed)
	if err := expandRegExps(file, text, parsed, shifted != nil); err != nil {
		return nil, nil, err
	}
	prg, err := goja.CompileAST(parsed, false)
	if err != nil {
		return nil, nil, gojaSyntaxError(file, err, shifted != nil)
	}
	return prg, &wrapped{parsed, dynamic}, nil
}

// wrapped is the parsed program wrap compiled, and the specifiers of its
// literal import() expressions.
type wrapped struct {
	*ast.Program
	dynamic []string
}

// gojaSyntaxError reports what goja could not compile after esbuild accepted
// it (a feature goja lacks); positions from goja's parser are already mapped
// through the source map.
func gojaSyntaxError(file string, err error, mapped bool) error {
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		p := list[0].Position
		return &SourceError{File: file, Line: p.Line, Column: p.Column, Message: list[0].Message + " (not supported by the goja engine)"}
	}
	var cse *goja.CompilerSyntaxError
	if errors.As(err, &cse) {
		line, col := 1, 1
		if cse.File != nil {
			p := cse.File.Position(cse.Offset)
			line, col = p.Line, p.Column
			if mapped {
				col++ // a source map's columns are 0-based
			}
		}
		return &SourceError{File: file, Line: line, Column: col, Message: cse.Message + " (not supported by the goja engine)"}
	}
	return fmt.Errorf("%s: %w", file, err)
}

func compileJSON(file string, src []byte) (*Result, error) {
	if err := json.Unmarshal(src, new(any)); err != nil {
		e := &SourceError{File: file, Line: 1, Column: 1, Message: "invalid JSON: " + err.Error()}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			e.Line, e.Column = lineCol(src, int(se.Offset)-1) // Offset is just past the bad byte
		}
		return nil, e
	}
	prg, _, err := wrap(file, "module.exports = "+string(src)+";", "", nil, false)
	if err != nil {
		return nil, err
	}
	return &Result{Kind: JSON, Program: prg}, nil
}

func lineCol(src []byte, off int) (int, int) {
	off = min(off, len(src))
	line := 1 + strings.Count(string(src[:off]), "\n")
	col := off - strings.LastIndexByte(string(src[:off]), '\n')
	return line, col
}

// leadingUnmapped counts the generated lines before the first one that maps
// to the original source: esbuild puts its helpers there.
func leadingUnmapped(smap []byte) int {
	var m struct {
		Mappings string `json:"mappings"`
	}
	if json.Unmarshal(smap, &m) != nil {
		return 0
	}
	n := 0
	for n < len(m.Mappings) && m.Mappings[n] == ';' {
		n++
	}
	return n
}

// accessors returns the statement that hands a script's top-level bindings to
// the loader: an object literal of getters and setters that name nothing but
// the bindings themselves, so it cannot clash with anything in the script.
func accessors(names []string) string {
	var b strings.Builder
	b.WriteString(";return {")
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		param := "v"
		if n == "v" {
			param = "w"
		}
		fmt.Fprintf(&b, "get %[1]s() { return %[1]s; }, set %[1]s(%[2]s) { %[1]s = %[2]s; }", n, param)
	}
	b.WriteString("};")
	return b.String()
}

// topLevelNames lists the names a script declares at its top level, in
// order: function (plain, async, generator), class, var, let and const,
// destructuring patterns included. Declarations on the first skip lines are
// esbuild's helpers and are left out.
func topLevelNames(name, code string, skip int) ([]string, error) {
	prog, err := parser.ParseFile(nil, name, code, 0)
	if err != nil {
		return nil, gojaSyntaxError(name, err, false)
	}
	f := prog.File
	var names []string
	seen := map[string]bool{}
	add := func(at file.Idx, n string) {
		if n == "" || seen[n] || f.Position(int(at)-f.Base()).Line <= skip {
			return
		}
		seen[n] = true
		names = append(names, n)
	}
	for _, st := range prog.Body {
		switch d := st.(type) {
		case *ast.FunctionDeclaration:
			if d.Function.Name != nil {
				add(d.Idx0(), d.Function.Name.Name.String())
			}
		case *ast.ClassDeclaration:
			if d.Class.Name != nil {
				add(d.Idx0(), d.Class.Name.Name.String())
			}
		case *ast.VariableStatement:
			for _, b := range d.List {
				bindingNames(b.Target, func(n string) { add(d.Idx0(), n) })
			}
		case *ast.LexicalDeclaration:
			for _, b := range d.List {
				bindingNames(b.Target, func(n string) { add(d.Idx0(), n) })
			}
		}
	}
	return names, nil
}

// bindingNames calls fn for every identifier a binding target declares.
func bindingNames(t ast.BindingTarget, fn func(string)) {
	switch t := t.(type) {
	case *ast.Identifier:
		fn(t.Name.String())
	case *ast.ObjectPattern:
		for _, p := range t.Properties {
			switch p := p.(type) {
			case *ast.PropertyShort:
				fn(p.Name.Name.String())
			case *ast.PropertyKeyed:
				patternNames(p.Value, fn)
			}
		}
		if t.Rest != nil {
			patternNames(t.Rest, fn)
		}
	case *ast.ArrayPattern:
		for _, e := range t.Elements {
			if e != nil {
				patternNames(e, fn)
			}
		}
		if t.Rest != nil {
			patternNames(t.Rest, fn)
		}
	}
}

// patternNames handles the expressions that stand for targets inside
// patterns: identifiers, nested patterns and defaults (x = 1).
func patternNames(e ast.Expression, fn func(string)) {
	switch e := e.(type) {
	case *ast.Identifier:
		fn(e.Name.String())
	case *ast.ObjectPattern:
		bindingNames(e, fn)
	case *ast.ArrayPattern:
		bindingNames(e, fn)
	case *ast.AssignExpression:
		patternNames(e.Left, fn)
	}
}

// shiftColumns moves every generated column of a source map one to the
// right. goja looks mappings up with a 1-based column where source maps are
// 0-based; shifted, the lookup lands on the right segment. Columns are
// delta-encoded within a line, so only each line's first segment changes.
func shiftColumns(mappings string) string {
	lines := strings.Split(mappings, ";")
	for i, line := range lines {
		if line == "" {
			continue
		}
		col, n := decodeVLQ(line)
		if n == 0 {
			continue
		}
		lines[i] = encodeVLQ(col+1) + line[n:]
	}
	return strings.Join(lines, ";")
}

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// decodeVLQ reads one base64 VLQ value, returning it and the bytes used.
func decodeVLQ(s string) (int, int) {
	v, shift := 0, 0
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(b64, s[i])
		if d < 0 {
			return 0, 0
		}
		v |= (d & 31) << shift
		shift += 5
		if d&32 == 0 {
			if v&1 == 1 {
				return -(v >> 1), i + 1
			}
			return v >> 1, i + 1
		}
	}
	return 0, 0
}

func encodeVLQ(v int) string { return string(appendVLQ(nil, v)) }
