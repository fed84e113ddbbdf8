package transform

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/unistring"
	"github.com/evanw/esbuild/pkg/api"
)

// Top-level await and import().
//
// esbuild converts an ES module to CommonJS only without top-level await,
// and goja runs no ES module syntax. A module with top-level await is
// therefore built as a bundle of one lazily evaluated ES module: esbuild
// puts the body of such a module in an async init function (its function
// declarations hoisted outside it), and hotmod gives it each import as a
// virtual CommonJS module that requires the import from the loader. The
// entry of the bundle starts the init with import(), whose promise the
// module's program returns: the loader awaits it before the module counts
// as loaded (and before its importers run; see the loader).
//
// import() is lowered by esbuild to Promise.resolve().then(() =>
// __toESM(require(x))); wrap turns each such expression into a call of
// the loader's import, ImportParam(x), which loads x as require does and
// waits for x's own top-level await before it resolves with the namespace.

// ImportParam is the name of the loader's import() in the compiled
// program: the last parameter of the outer function, after the helpers.
const ImportParam = "__hotmod_import"

// asyncTail returns the promise the bundle's entry started.
const asyncTail = ";var __hotmod_tla; return __hotmod_tla;"

const (
	nsModule = "hotmod-module"
	nsImport = "hotmod-import"
	nsEntry  = "hotmod-entry"

	cjsSuffix = "#cjs"
)

// topLevelAwait reports whether esbuild refused a CommonJS build for
// top-level await.
func topLevelAwait(msgs []api.Message) bool {
	for _, m := range msgs {
		if !strings.Contains(m.Text, "Top-level await is currently not supported") &&
			!strings.Contains(m.Text, "Top-level \"for await\" is currently not supported") {
			return false
		}
	}
	return len(msgs) > 0
}

// transpileAsync builds a module with top-level await (see above). name is
// the file's name for esbuild (esbuildName).
func transpileAsync(file, name string, src []byte, o Options) (*transpiled, error) {
	var imports []string
	seen := map[string]bool{}
	contents := string(src)
	entry := "__hotmod_tla = import(" + quote(name) + ");"
	plugin := api.Plugin{Name: "hotmod-tla", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			switch {
			case a.Kind == api.ResolveEntryPoint:
				return api.OnResolveResult{Path: "entry", Namespace: nsEntry}, nil
			case a.Namespace == nsEntry:
				return api.OnResolveResult{Path: name, Namespace: nsModule}, nil
			case a.Namespace == nsModule:
				if !seen[a.Path] {
					seen[a.Path] = true
					imports = append(imports, a.Path)
				}
				if a.Kind == api.ResolveJSDynamicImport || a.Kind == api.ResolveJSRequireCall {
					return api.OnResolveResult{Path: a.Path, External: true}, nil
				}
				// The suffix keeps esbuild from taking the virtual module
				// of an .mjs import for an ES module.
				return api.OnResolveResult{Path: a.Path + cjsSuffix, Namespace: nsImport}, nil
			}
			return api.OnResolveResult{Path: a.Path, External: true}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: nsEntry}, func(api.OnLoadArgs) (api.OnLoadResult, error) {
			return api.OnLoadResult{Contents: &entry, Loader: api.LoaderJS}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: nsModule}, func(api.OnLoadArgs) (api.OnLoadResult, error) {
			return api.OnLoadResult{Contents: &contents, Loader: loaderFor(file)}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: nsImport}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			c := "module.exports = require(" + quote(strings.TrimSuffix(a.Path, cjsSuffix)) + ");"
			return api.OnLoadResult{Contents: &c, Loader: api.LoaderJS}, nil
		})
	}}
	opts := buildOptions(name, src, api.FormatESModule, o.Tsconfig)
	opts.Stdin = nil
	opts.EntryPoints = []string{"entry"}
	opts.Bundle = true
	opts.Plugins = []api.Plugin{plugin}
	out := api.Build(opts)
	if len(out.Errors) > 0 {
		return nil, sourceErrors(file, out.Errors)
	}
	return outputOf(&transpiled{kind: ESModule, async: true, imports: imports}, out, file, src, o)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// asyncSources names, in a bundle's source map, the module's own source
// file; the virtual modules keep their names.
func asyncSources(srcs []any, file string) []any {
	out := make([]any, len(srcs))
	for i, s := range srcs {
		out[i] = s
		if str, ok := s.(string); ok && strings.HasPrefix(str, nsModule+":") {
			out[i] = file
		}
	}
	return out
}

// dynamicImports turns esbuild's lowered import(x),
// Promise.resolve().then(() => __toESM(require(x))), into ImportParam(x).
// It returns the specifiers of the literal ones.
func dynamicImports(prog *ast.Program) []string {
	var specs []string
	walk(reflect.ValueOf(prog), func(n any) {
		call, ok := n.(*ast.CallExpression)
		if !ok {
			return
		}
		if arg, ok := loweredImport(call); ok {
			call.Callee = &ast.Identifier{Name: ImportParam, Idx: call.Idx0()}
			call.ArgumentList = []ast.Expression{arg}
			if lit, ok := arg.(*ast.StringLiteral); ok {
				specs = append(specs, string(lit.Value))
			}
		}
	})
	return specs
}

// loweredImport matches Promise.resolve().then(() => __toESM(require(x)))
// and returns x.
func loweredImport(call *ast.CallExpression) (ast.Expression, bool) {
	then, ok := call.Callee.(*ast.DotExpression)
	if !ok || then.Identifier.Name != "then" || len(call.ArgumentList) != 1 {
		return nil, false
	}
	inner, ok := then.Left.(*ast.CallExpression)
	if !ok || len(inner.ArgumentList) != 0 || !isName(inner.Callee, "Promise", "resolve") {
		return nil, false
	}
	arrow, ok := call.ArgumentList[0].(*ast.ArrowFunctionLiteral)
	if !ok || len(arrow.ParameterList.List) != 0 {
		return nil, false
	}
	body, ok := arrow.Body.(*ast.ExpressionBody)
	if !ok {
		return nil, false
	}
	toESM, ok := body.Expression.(*ast.CallExpression)
	if !ok || !isIdent(toESM.Callee, "__toESM") || len(toESM.ArgumentList) < 1 {
		return nil, false
	}
	req, ok := toESM.ArgumentList[0].(*ast.CallExpression)
	if !ok || len(req.ArgumentList) != 1 || !(isIdent(req.Callee, "require") || isIdent(req.Callee, "__require")) {
		return nil, false
	}
	return req.ArgumentList[0], true
}

func isIdent(e ast.Expression, name string) bool {
	id, ok := e.(*ast.Identifier)
	return ok && id.Name == unistring.String(name)
}

func isName(e ast.Expression, obj, prop string) bool {
	d, ok := e.(*ast.DotExpression)
	return ok && isIdent(d.Left, obj) && d.Identifier.Name == unistring.String(prop)
}

// bundleRequires maps, in the output of transpileAsync, each virtual
// module's require_x function to the specifier it requires.
func bundleRequires(prog *ast.Program) map[string]string {
	out := map[string]string{}
	walk(reflect.ValueOf(prog), func(n any) {
		b, ok := n.(*ast.Binding)
		if !ok {
			return
		}
		id, ok := b.Target.(*ast.Identifier)
		if !ok || !strings.HasPrefix(string(id.Name), "require_") {
			return
		}
		call, ok := b.Initializer.(*ast.CallExpression)
		if !ok || !isIdent(call.Callee, "__commonJS") || len(call.ArgumentList) != 1 {
			return
		}
		obj, ok := call.ArgumentList[0].(*ast.ObjectLiteral)
		if !ok || len(obj.Value) != 1 {
			return
		}
		kv, ok := obj.Value[0].(*ast.PropertyKeyed)
		if !ok {
			return
		}
		if lit, ok := kv.Key.(*ast.StringLiteral); ok {
			if spec, ok := strings.CutPrefix(string(lit.Value), nsImport+":"); ok {
				out[string(id.Name)] = strings.TrimSuffix(spec, cjsSuffix)
			}
		}
	})
	return out
}
