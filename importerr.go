package hotmod

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/transform"
)

// importFailure is the Error a failed require, import or import() throws
// into the importer. It is named Error, as in Node: goja's own name for an
// error made in Go, GoError, means nothing to the module's author. A file
// that is not there has Node's code: MODULE_NOT_FOUND for require, and
// ERR_MODULE_NOT_FOUND for import and import(), as Node's ES module loader
// says (held to Node by TestMissingImportCodesAreNodes). err stays wrapped
// in it, as before, so that a dependency's timeout still reaches the
// loader as a *TimeoutError with the dependency's position.
// verb is "require", "import" (import()) or "import from" (a static
// import, which esbuild turned into a require).
func importFailure(vm *goja.Runtime, verb, spec string, err error) *goja.Object {
	what := fmt.Sprintf("%s(%q)", verb, spec) // require("./x"), import("./x")
	if verb == "import from" {
		what = fmt.Sprintf("import %q", spec)
	}
	obj := vm.NewGoError(fmt.Errorf("%s: %w", what, err))
	_ = obj.DefineDataProperty("name", vm.ToValue("Error"), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	if errors.Is(err, ErrNotFound) {
		code := "ERR_MODULE_NOT_FOUND"
		if verb == "require" {
			code = "MODULE_NOT_FOUND"
		}
		_ = obj.DefineDataProperty("code", vm.ToValue(code), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	}
	return obj
}

// requireVerb says what the author wrote for a require call that failed:
// esbuild turns an ES module's `import ... from "x"` into require("x"), and
// the error's position points into the import, so calling it require would
// name code the author never wrote. A require written in an ES module keeps
// its name: its line in the source says require.
func requireVerb(vm *goja.Runtime, m *Module, v *version) string {
	if v == nil || v.res == nil || v.res.Kind != transform.ESModule {
		return "require"
	}
	for _, f := range vm.CaptureCallStack(4, nil) {
		p := f.Position()
		if p.Filename != m.path || p.Line < 1 {
			continue
		}
		lines := strings.SplitN(v.res.Source, "\n", p.Line+1)
		if p.Line <= len(lines) && strings.Contains(lines[p.Line-1], "require") {
			return "require"
		}
		break
	}
	return "import from"
}
