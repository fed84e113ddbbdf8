package transform

import (
	"reflect"
	"strings"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
)

// Use is one name an ES module imports by name from a specifier, with the
// place of the import in the original source.
type Use struct {
	Spec   string
	Name   string
	Line   int
	Column int
}

// importUses finds an ES module's named imports in esbuild's CommonJS
// output of it. esbuild turns `import { a } from "x"` (and `import d`,
// `export { a } from "x"`) into `var import_x = require("x")`, optionally
// through __toESM, and each use into `import_x.a`. A namespace import keeps
// its own name (`var ns = ...`), and stays out: reading a name a namespace
// lacks is not an error in JavaScript. The AST is goja's, which maps
// positions through the source map.
func importUses(prog *ast.Program) []Use {
	type imp struct {
		spec string
		at   file.Idx
	}
	vars := map[string]imp{} // import_x -> "x"
	var dots []*ast.DotExpression
	walk(reflect.ValueOf(prog), func(n any) {
		switch n := n.(type) {
		case *ast.Binding:
			id, ok := n.Target.(*ast.Identifier)
			if !ok || !strings.HasPrefix(string(id.Name), "import_") {
				return
			}
			if lit, ok := requireOf(n.Initializer); ok {
				vars[string(id.Name)] = imp{string(lit.Value), lit.Idx}
			}
		case *ast.DotExpression:
			if id, ok := n.Left.(*ast.Identifier); ok && strings.HasPrefix(string(id.Name), "import_") {
				dots = append(dots, n)
			}
		}
	})
	if len(vars) == 0 {
		return nil
	}
	f := prog.File
	seen := map[[2]string]bool{}
	var uses []Use
	for _, d := range dots {
		im, ok := vars[string(d.Left.(*ast.Identifier).Name)]
		name := string(d.Identifier.Name)
		key := [2]string{im.spec, name}
		if !ok || seen[key] {
			continue
		}
		seen[key] = true
		p := f.Position(int(im.at) - f.Base())
		// Source maps count columns from 0; positions here count from 1.
		uses = append(uses, Use{Spec: im.spec, Name: name, Line: p.Line, Column: p.Column + 1})
	}
	return uses
}

// requireOf matches require("x") and __toESM(require("x"), ...), and
// returns the "x".
func requireOf(e ast.Expression) (*ast.StringLiteral, bool) {
	call, ok := e.(*ast.CallExpression)
	if !ok {
		return nil, false
	}
	callee, ok := call.Callee.(*ast.Identifier)
	if !ok || len(call.ArgumentList) == 0 {
		return nil, false
	}
	switch callee.Name {
	case "require":
		s, ok := call.ArgumentList[0].(*ast.StringLiteral)
		return s, ok
	case "__toESM":
		return requireOf(call.ArgumentList[0])
	}
	return nil, false
}

var fileType = reflect.TypeFor[*file.File]()

// walk calls fn for every AST node reachable from v.
func walk(v reflect.Value, fn func(any)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Type() == fileType {
			return
		}
		fn(v.Interface())
		walk(v.Elem(), fn)
	case reflect.Interface:
		if !v.IsNil() {
			walk(v.Elem(), fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanInterface() {
				walk(f, fn)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walk(v.Index(i), fn)
		}
	}
}
