package transform

import (
	"bytes"
	"errors"
	"path"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja/ast"
)

// direct compiles, without esbuild, the one kind of source whose CommonJS
// form is the source itself plus a line of exports: a JavaScript ES module
// with no import of any kind, whose every `export` starts a line and
// declares a function, class or variable. esbuild costs 2-3 ms for 300
// lines whatever is asked of it, as much as goja's own compile (see
// RATIONALE, "A reload against the goja floor"), and a leaf module edited
// and reloaded is this shape more often than not.
//
// Every doubt returns nil, and the caller takes esbuild's way, which also
// reports any error: what goja cannot parse or compile (the syntax
// esbuild would lower: async generators, for await, decorators, using, the
// d and v regular-expression flags), an `export` or `import` anywhere else
// (a string, a comment, export default, export {...}), and what an ES
// module means differently from a function body (top-level this, await as
// a name, the loader's names declared by the module).
//
// The `export` words are blanked, not removed, so every other byte keeps
// its line and column; the source map is the identity, one segment at
// every place a token can start, which goja's positions always are.
func direct(file string, src []byte, o Options) (r *Result) {
	defer func() {
		// goja's parser panics on some sources esbuild's printing never
		// gives it ('\u{10FFFF}' in a string): those are esbuild's.
		if recover() != nil {
			r = nil
		}
	}()
	switch path.Ext(file) {
	case ".js", ".mjs":
	default:
		return nil
	}
	if o.Tsconfig != "" || o.MetadataFrom != "" || len(src) == 0 {
		return nil
	}
	for _, w := range directRefused {
		if bytes.Contains(src, w) {
			return nil
		}
	}
	code, decls, ok := blankExports(src)
	if !ok || len(decls) == 0 {
		return nil
	}
	// An ES module's namespace lists its names sorted, as esbuild's
	// __export does.
	slices.SortFunc(decls, func(a, b exportDecl) int { return strings.Compare(a.name, b.name) })
	var head strings.Builder
	head.WriteString(" var __hotmod_exports = {}; __export(__hotmod_exports, {")
	for i, d := range decls {
		if i > 0 {
			head.WriteString(", ")
		}
		head.WriteString(d.name + ": () => " + d.name)
	}
	head.WriteString("}); module.exports = __toCommonJS(__hotmod_exports);")
	check := func(prog *ast.Program) error {
		if !directShape(prog, decls) {
			return errNotDirect
		}
		return nil
	}
	prg, parsed, err := wrapWith(file, head.String(), code, "", identityMap(src), true, check)
	if err != nil {
		return nil
	}
	r = &Result{Kind: ESModule, Program: prg}
	r.ExportNames, r.ReExports = exportShape(parsed.Program, false)
	// The export setup is esbuild's: calls skip its getters as they do
	// for esbuild's output.
	r.ConstExports = constExports(parsed.Program)
	return r
}

var errNotDirect = errors.New("not for direct")

// directRefused are texts whose presence sends a source to esbuild: any
// import (statement, import.meta, import()); CommonJS's names and the
// loader's, which an ES module may declare as its own and esbuild would
// rename; arguments, which a module's top level does not have; and the
// line separators, which end a line for JavaScript and not for a source
// map.
var directRefused = [][]byte{
	[]byte("import"), []byte("require"), []byte("module"), []byte("exports"), []byte("arguments"),
	[]byte("__export"), []byte("__toCommonJS"), []byte("__hotmod"), []byte("\u2028"), []byte("\u2029"),
	[]byte(`\u{`), // goja's lexer panics on some; esbuild prints them as goja reads them
}

// exportDecl is one blanked `export`: where the declaration after it
// starts, and the name the text says it declares.
type exportDecl struct {
	at   int // offset in the source of the declaration's first keyword
	name string
}

// blankExports replaces every `export` of src by spaces and says what each
// declares, or refuses (ok false) a source with one that does not start a
// line and precede function, async function, class, const, let or var.
// What the text says is only a claim: directShape holds it against goja's
// parse, which alone knows what is code and what is a string or a comment.
func blankExports(src []byte) (string, []exportDecl, bool) {
	const kw = "export"
	var decls []exportDecl
	out := []byte(nil)
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte(kw))
		if j < 0 {
			break
		}
		at := i + j
		i = at + len(kw)
		if at > 0 && isNameByte(src[at-1]) || i < len(src) && isNameByte(src[i]) {
			continue // part of a longer name: the parse decides what it is
		}
		ls := bytes.LastIndexByte(src[:at], '\n') + 1
		if len(bytes.Trim(src[ls:at], " \t")) != 0 {
			return "", nil, false
		}
		k := i
		for k < len(src) && isSpace(src[k]) {
			k++
		}
		if k == i {
			return "", nil, false
		}
		word, rest := identAt(src, k)
		switch word {
		case "async":
			if w, _ := identAt(src, skipSpace(src, rest)); w != "function" {
				return "", nil, false
			}
			rest = skipSpace(src, rest) + len("function")
			fallthrough
		case "function", "class", "const", "let", "var":
			n := skipSpace(src, rest)
			if word != "class" && word != "const" && word != "let" && word != "var" && n < len(src) && src[n] == '*' {
				n = skipSpace(src, n+1)
			}
			name, _ := identAt(src, n)
			if name == "" {
				return "", nil, false
			}
			decls = append(decls, exportDecl{at: k, name: name})
		default:
			return "", nil, false
		}
		if out == nil {
			out = slices.Clone(src)
		}
		copy(out[at:], "      ")
	}
	if out == nil {
		return "", nil, true
	}
	return string(out), decls, true
}

func skipSpace(src []byte, i int) int {
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNameByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// identAt returns the identifier (ASCII, or refused) at src[i:] and the
// offset just past it.
func identAt(src []byte, i int) (string, int) {
	j := i
	for j < len(src) && isNameByte(src[j]) {
		if src[j] >= 0x80 {
			return "", i
		}
		j++
	}
	if j == i || src[i] >= '0' && src[i] <= '9' {
		return "", i
	}
	return string(src[i:j]), j
}

// directShape holds blankExports' claims against goja's parse of the
// wrapped source: each blanked export is followed by a top-level
// declaration of exactly the name claimed, the names are distinct, and
// the module's top level has no this and nothing anywhere is named await
// (both mean something else in an ES module than in a function body).
func directShape(prog *ast.Program, decls []exportDecl) bool {
	inner := innerFunction(prog)
	if inner == nil {
		return false
	}
	base := int(prog.File.Base())
	line1 := strings.IndexByte(prog.File.Source(), '\n') + 1 // the wrapper's line
	starts := make(map[int]ast.Statement, len(inner.Body.List))
	for _, st := range inner.Body.List {
		starts[int(st.Idx0())-base-line1] = st
	}
	seen := make(map[string]bool, len(decls))
	for _, d := range decls {
		if seen[d.name] {
			return false
		}
		seen[d.name] = true
		var names []string
		switch st := starts[d.at].(type) {
		case *ast.FunctionDeclaration:
			if st.Function.Name != nil {
				names = append(names, st.Function.Name.Name.String())
			}
		case *ast.ClassDeclaration:
			if st.Class.Name != nil {
				names = append(names, st.Class.Name.Name.String())
			}
		case *ast.VariableStatement:
			for _, b := range st.List {
				bindingNames(b.Target, func(n string) { names = append(names, n) })
			}
		case *ast.LexicalDeclaration:
			for _, b := range st.List {
				bindingNames(b.Target, func(n string) { names = append(names, n) })
			}
		}
		if len(names) != 1 || names[0] != d.name {
			return false
		}
	}
	ok := true
	for _, st := range inner.Body.List {
		moduleScope(reflect.ValueOf(st), true, &ok)
	}
	return ok
}

// moduleScope clears ok at a this in the module's own scope (top, not
// inside a function or class, arrows included) or an identifier await
// anywhere.
func moduleScope(v reflect.Value, top bool, ok *bool) {
	if !*ok {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Type() == fileType {
			return
		}
		switch n := v.Interface().(type) {
		case *ast.ThisExpression:
			if top {
				*ok = false
			}
			return
		case *ast.Identifier:
			if n.Name == "await" {
				*ok = false
			}
			return
		case *ast.FunctionLiteral, *ast.ClassLiteral:
			top = false
		}
		moduleScope(v.Elem(), top, ok)
	case reflect.Interface:
		if !v.IsNil() {
			moduleScope(v.Elem(), top, ok)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanInterface() {
				moduleScope(f, top, ok)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			moduleScope(v.Index(i), top, ok)
		}
	}
}

// identityMap is a source map from src to itself with a segment wherever
// a token can start: after a space, and at and after every character that
// cannot be part of a name. Generated columns count bytes, as goja's
// lookups do; original columns count UTF-16 units, as esbuild's maps and
// Node do.
func identityMap(src []byte) []byte {
	var m bytes.Buffer
	m.Grow(len(src) + 64)
	m.WriteString(`{"version":3,"sources":["m"],"names":[],"mappings":"`)
	var vlq []byte
	prevLine, prevCol, first := 0, 0, true
	line, lineStart, col16, lastGen := 0, 0, 0, 0
	emptyLine := true
	for i := 0; i <= len(src); i++ {
		if i == len(src) || src[i] == '\n' {
			if i == len(src) {
				break
			}
			m.WriteByte(';')
			line++
			lineStart, col16, emptyLine = i+1, 0, true
			continue
		}
		c := src[i]
		if c != ' ' && c != '\t' && c != '\r' && (i == lineStart || !isNameByte(c) || !isNameByte(src[i-1]) || src[i-1] == ' ' || src[i-1] == '\t') && (c < 0x80 || utf8.RuneStart(c)) {
			vlq = vlq[:0]
			if !emptyLine {
				m.WriteByte(',')
			}
			// A line's first generated column counts from 0, the others
			// from the segment before.
			if emptyLine {
				lastGen = 0
			}
			vlq = appendVLQ(vlq, i-lineStart-lastGen)
			vlq = appendVLQ(vlq, 0)
			if first {
				vlq = appendVLQ(vlq, line)
				first = false
			} else {
				vlq = appendVLQ(vlq, line-prevLine)
			}
			vlq = appendVLQ(vlq, col16-prevCol)
			m.Write(vlq)
			lastGen = i - lineStart
			prevLine, prevCol, emptyLine = line, col16, false
		}
		switch {
		case c < 0x80:
			col16++
		case c >= 0xF0:
			col16 += 2
		case utf8.RuneStart(c):
			col16++
		}
	}
	m.WriteString(`"}`)
	return m.Bytes()
}

func appendVLQ(b []byte, v int) []byte {
	u := v << 1
	if v < 0 {
		u = (-v)<<1 | 1
	}
	for {
		d := u & 31
		u >>= 5
		if u > 0 {
			d |= 32
		}
		b = append(b, b64[d])
		if u == 0 {
			return b
		}
	}
}
