package transform

import (
	"reflect"
	"slices"
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

// constExports finds the exports of an ES module whose value is fixed once
// its evaluation has ended: those whose esbuild getter is `() => x` for an
// x declared with its value at the module's top level (a function or class
// declaration, a var, let or const with an initializer) and never written
// anywhere else. A handle may then hold the value itself instead of the
// getter, and a call skip the getter's entry into JavaScript. The test is
// by name, not by scope, so a shadowing declaration or an assignment to a
// shadowing name keeps an export live: slower, never wrong. A module that
// uses eval or with, or that touches `module` other than through esbuild's
// `module.exports`, has none.
func constExports(prog *ast.Program) []string {
	inner := innerFunction(prog)
	if inner == nil {
		return nil
	}
	getters := map[string]string{} // export -> the local its getter returns
	for _, st := range inner.Body.List {
		es, ok := st.(*ast.ExpressionStatement)
		if !ok {
			continue
		}
		call, ok := es.Expression.(*ast.CallExpression)
		if !ok || len(call.ArgumentList) != 2 {
			continue
		}
		if callee, ok := call.Callee.(*ast.Identifier); !ok || callee.Name != "__export" {
			continue
		}
		obj, ok := call.ArgumentList[1].(*ast.ObjectLiteral)
		if !ok {
			continue
		}
		for _, p := range obj.Value {
			kv, ok := p.(*ast.PropertyKeyed)
			if !ok || kv.Computed {
				continue
			}
			var name string
			switch k := kv.Key.(type) {
			case *ast.StringLiteral:
				name = string(k.Value)
			case *ast.Identifier:
				name = string(k.Name)
			default:
				continue
			}
			arrow, ok := kv.Value.(*ast.ArrowFunctionLiteral)
			if !ok || len(arrow.ParameterList.List) != 0 {
				continue
			}
			body, ok := arrow.Body.(*ast.ExpressionBody)
			if !ok {
				continue
			}
			if id, ok := body.Expression.(*ast.Identifier); ok {
				getters[name] = string(id.Name)
			}
		}
	}
	if len(getters) == 0 {
		return nil
	}
	// The top-level declarations that give a name its value.
	declared := map[string]bool{}
	for _, st := range inner.Body.List {
		switch st := st.(type) {
		case *ast.FunctionDeclaration:
			if st.Function.Name != nil {
				declared[string(st.Function.Name.Name)] = true
			}
		case *ast.ClassDeclaration:
			if st.Class.Name != nil {
				declared[string(st.Class.Name.Name)] = true
			}
		case *ast.VariableStatement:
			initialized(st.List, declared)
		case *ast.LexicalDeclaration:
			initialized(st.List, declared)
		}
	}
	writes := map[string]int{}
	note := func(e any) {
		walk(reflect.ValueOf(e), func(n any) {
			switch n := n.(type) {
			case *ast.Identifier:
				writes[string(n.Name)]++
			case *ast.PropertyShort:
				writes[string(n.Name.Name)]++
			}
		})
	}
	var moduleRefs, moduleExports, moduleAssigns int
	opaque := false
	seen := map[*ast.Binding]bool{} // a var is also in its function's DeclarationList
	walk(reflect.ValueOf(inner.Body), func(n any) {
		switch n := n.(type) {
		case *ast.Identifier:
			switch n.Name {
			case "eval":
				opaque = true
			case "module":
				moduleRefs++
			}
		case *ast.WithStatement:
			opaque = true
		case *ast.DotExpression:
			if id, ok := n.Left.(*ast.Identifier); ok && id.Name == "module" && n.Identifier.Name == "exports" {
				moduleExports++
			}
		case *ast.FunctionDeclaration:
			if n.Function.Name != nil {
				writes[string(n.Function.Name.Name)]++
			}
		case *ast.ClassDeclaration:
			if n.Class.Name != nil {
				writes[string(n.Class.Name.Name)]++
			}
		case *ast.Binding:
			if !seen[n] {
				seen[n] = true
				note(n.Target)
			}
		case *ast.ForDeclaration:
			note(n.Target)
		case *ast.ForIntoExpression:
			note(n.Expression)
		case *ast.AssignExpression:
			switch l := n.Left.(type) {
			case *ast.Identifier:
				writes[string(l.Name)]++
			case *ast.ArrayPattern, *ast.ObjectPattern, *ast.ArrayLiteral, *ast.ObjectLiteral:
				note(l)
			case *ast.DotExpression:
				if id, ok := l.Left.(*ast.Identifier); ok && id.Name == "module" {
					moduleAssigns++
				}
			}
		case *ast.UnaryExpression:
			if n.Operator == token.INCREMENT || n.Operator == token.DECREMENT {
				note(n.Operand)
			}
		}
	})
	if opaque || moduleRefs != moduleExports || moduleAssigns != 1 {
		return nil
	}
	var out []string
	for name, local := range getters {
		if declared[local] && writes[local] == 1 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// initialized adds to names the identifiers list declares with a value.
func initialized(list []*ast.Binding, names map[string]bool) {
	for _, b := range list {
		if id, ok := b.Target.(*ast.Identifier); ok && b.Initializer != nil {
			names[string(id.Name)] = true
		}
	}
}
