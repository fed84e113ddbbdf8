package transform

import (
	"reflect"
	"strings"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/token"
	"github.com/dop251/goja/unistring"
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
	reqs := bundleRequires(prog)
	note := func(target, init ast.Expression) {
		id, ok := target.(*ast.Identifier)
		if !ok || !strings.HasPrefix(string(id.Name), "import_") {
			return
		}
		if lit, ok := requireOf(init, reqs); ok {
			vars[string(id.Name)] = imp{string(lit.Value), lit.Idx}
		}
	}
	walk(reflect.ValueOf(prog), func(n any) {
		switch n := n.(type) {
		case *ast.Binding:
			if id, ok := n.Target.(*ast.Identifier); ok {
				note(id, n.Initializer)
			}
		case *ast.AssignExpression:
			// A module with top-level await assigns its imports in its
			// async body (see transpileAsync).
			if n.Operator == token.ASSIGN {
				note(n.Left, n.Right)
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
// returns the "x"; reqs are the require_x() of a bundle (bundleRequires).
func requireOf(e ast.Expression, reqs map[string]string) (*ast.StringLiteral, bool) {
	call, ok := e.(*ast.CallExpression)
	if !ok {
		return nil, false
	}
	callee, ok := call.Callee.(*ast.Identifier)
	if !ok {
		return nil, false
	}
	if spec, ok := reqs[string(callee.Name)]; ok && len(call.ArgumentList) == 0 {
		return &ast.StringLiteral{Idx: call.Idx0(), Value: unistring.String(spec)}, true
	}
	if len(call.ArgumentList) == 0 {
		return nil, false
	}
	switch callee.Name {
	case "require":
		s, ok := call.ArgumentList[0].(*ast.StringLiteral)
		return s, ok
	case "__toESM":
		return requireOf(call.ArgumentList[0], reqs)
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

// exportShape reads an ES module's exports from esbuild's CommonJS output
// of it: the names of its `__export(x_exports, { name: () => ..., ... })`
// and the specifiers of its `__reExport(x_exports, require("spec"), ...)`
// (export * from "spec"). esbuild puts both at the top of the module body.
//
// A module with top-level await (async) has its __reExport calls in its
// async body, and requires through its bundle's require_x functions.
func exportShape(prog *ast.Program, async bool) (names, reexports []string) {
	inner := innerFunction(prog)
	if inner == nil {
		return nil, nil
	}
	names = []string{}
	var calls []*ast.CallExpression
	var reqs map[string]string
	if async {
		reqs = bundleRequires(prog)
		walk(reflect.ValueOf(inner.Body), func(n any) {
			if call, ok := n.(*ast.CallExpression); ok {
				calls = append(calls, call)
			}
		})
	} else {
		for _, st := range inner.Body.List {
			if es, ok := st.(*ast.ExpressionStatement); ok {
				if call, ok := es.Expression.(*ast.CallExpression); ok {
					calls = append(calls, call)
				}
			}
		}
	}
	for _, call := range calls {
		callee, ok := call.Callee.(*ast.Identifier)
		if !ok || len(call.ArgumentList) < 2 {
			continue
		}
		switch callee.Name {
		case "__export":
			obj, ok := call.ArgumentList[1].(*ast.ObjectLiteral)
			if !ok {
				continue
			}
			for _, p := range obj.Value {
				if kv, ok := p.(*ast.PropertyKeyed); ok {
					switch k := kv.Key.(type) {
					case *ast.StringLiteral:
						names = append(names, string(k.Value))
					case *ast.Identifier:
						names = append(names, string(k.Name))
					}
				}
			}
		case "__reExport":
			if lit, ok := requireOf(call.ArgumentList[1], reqs); ok {
				reexports = append(reexports, string(lit.Value))
			}
		}
	}
	return names, reexports
}
