package transform

import (
	"slices"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/evanw/esbuild/pkg/api"
)

// esbuild writes its runtime helpers (__export, __toESM, __copyProps, ...)
// into every ES module it converts: each module then compiles them to
// bytecode and makes their closures again, some 6 KB and a fifth of the
// compile of a small module. hotmod makes them once per realm instead and
// passes them in, as parameters named like them; wrap drops a module's own
// definition of a helper when its text is exactly the shared one, so the
// module's references reach the parameter. A helper whose text differs
// keeps its own definition, which shadows the parameter.

// helperProbe is a source that makes esbuild emit every shared helper.
const helperProbe = "import d from './y'\nimport { a } from './z'\nexport * from './w'\nexport default d + a\n"

var helpers = sync.OnceValues(func() ([]string, map[string]string) {
	out := api.Transform(helperProbe, api.TransformOptions{Format: api.FormatCommonJS, Platform: api.PlatformNeutral})
	if len(out.Errors) > 0 {
		return nil, nil
	}
	code := string(out.Code)
	prog, err := goja.Parse("helpers", code)
	if err != nil {
		return nil, nil
	}
	var names []string
	texts := map[string]string{}
	base := prog.File.Base()
	for i, st := range prog.Body[:len(prog.Body)-1] {
		name, text, ok := helperDecl(st, prog.Body[i+1], code, base)
		if !ok {
			break
		}
		names = append(names, name)
		texts[name] = text
	}
	return names, texts
})

// Helpers are the names of the shared helpers, in the order HelpersSource
// returns their values.
func Helpers() []string {
	names, _ := helpers()
	return names
}

// HelpersProgram is a compiled script whose value is an array of the
// shared helpers, in the order of Helpers.
var HelpersProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("hotmod-helpers.js", helpersSource(), true)
})

func helpersSource() string {
	names, texts := helpers()
	var b strings.Builder
	b.WriteString("(function () {\n")
	for _, n := range names {
		b.WriteString(texts[n])
		b.WriteString(";\n")
	}
	b.WriteString("return [" + strings.Join(names, ", ") + "];\n})()")
	return b.String()
}

// helperDecl matches `var __name = ...` as esbuild writes a helper, and
// returns the name and the statement's text: up to the next statement, as
// goja's end of an expression may leave out a closing parenthesis.
func helperDecl(st, next ast.Statement, code string, base int) (string, string, bool) {
	vs, ok := st.(*ast.VariableStatement)
	if !ok || len(vs.List) != 1 {
		return "", "", false
	}
	id, ok := vs.List[0].Target.(*ast.Identifier)
	if !ok || !strings.HasPrefix(string(id.Name), "__") {
		return "", "", false
	}
	from, to := int(vs.Idx0())-base, int(next.Idx0())-base
	if from < 0 || to > len(code) || from > to {
		return "", "", false
	}
	return string(id.Name), strings.TrimRight(code[from:to], "; \t\r\n"), true
}

// dropSharedHelpers removes from the module body of the wrapped program
// the helper definitions that are exactly the shared ones. src is the text
// parsed.
func dropSharedHelpers(prog *ast.Program, src string) {
	_, texts := helpers()
	inner := innerFunction(prog)
	if inner == nil || len(texts) == 0 {
		return
	}
	body := inner.Body
	dropped := map[file.Idx]bool{}
	base := prog.File.Base()
	kept := body.List[:0:0]
	i := 0
	for ; i < len(body.List)-1; i++ {
		st := body.List[i]
		if es, ok := st.(*ast.ExpressionStatement); ok && i == 0 {
			if _, ok := es.Expression.(*ast.StringLiteral); ok { // "use strict"
				kept = append(kept, st)
				continue
			}
		}
		name, text, ok := helperDecl(st, body.List[i+1], src, base)
		if !ok {
			break
		}
		if texts[name] != text {
			kept = append(kept, st)
		} else {
			dropped[st.(*ast.VariableStatement).Var] = true
		}
	}
	if len(dropped) == 0 {
		return
	}
	body.List = append(kept, body.List[i:]...)
	// The parser hoisted the var declarations already: without this the
	// names would still be the function's own, and undefined.
	inner.DeclarationList = slices.DeleteFunc(inner.DeclarationList, func(d *ast.VariableDeclaration) bool {
		return dropped[d.Var]
	})
}

// innerFunction finds the function of the module body in wrap's calling
// convention: (function (params) { return (function () { BODY }).call(exports); })
func innerFunction(prog *ast.Program) *ast.FunctionLiteral {
	if len(prog.Body) == 0 {
		return nil
	}
	es, ok := prog.Body[0].(*ast.ExpressionStatement)
	if !ok {
		return nil
	}
	outer, ok := es.Expression.(*ast.FunctionLiteral)
	if !ok || outer.Body == nil || len(outer.Body.List) == 0 {
		return nil
	}
	ret, ok := outer.Body.List[0].(*ast.ReturnStatement)
	if !ok {
		return nil
	}
	call, ok := ret.Argument.(*ast.CallExpression)
	if !ok {
		return nil
	}
	dot, ok := call.Callee.(*ast.DotExpression)
	if !ok {
		return nil
	}
	inner, ok := dot.Left.(*ast.FunctionLiteral)
	if !ok || inner.Body == nil {
		return nil
	}
	return inner
}
