package hotmod_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

// TestFailedImportSaysWhatWasWritten: a failed import names the import
// statement the author wrote at its position, not the require esbuild made
// of it or goja's GoError; the paths tried never repeat an extension.
func TestFailedImportSaysWhatWasWritten(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/imp.ts":   "import { x } from './util'\nexport const y = x",
		"/side.mjs": "\n\nimport './gone.js'\nexport const y = 1",
		"/req.js":   "const u = require('./dep2.js')\nmodule.exports = u",
		"/mixed.js": "export const y = 1\nexport function f() { return require('./nope') }",
		"/dyn.js":   "export async function f() { return import('./later.js') }",
	})
	for _, c := range []struct {
		path, call string
		want       []string
	}{
		{"/imp.ts", "", []string{`/imp.ts:1:19: Error: import "./util": not found`, "/util.ts"}},
		{"/side.mjs", "", []string{`/side.mjs:3:8: Error: import "./gone.js"`}},
		{"/req.js", "", []string{`/req.js:1:11: Error: require("./dep2.js")`, "(tried /dep2.js, /dep2.js/index.js, /dep2.js/index.ts)"}},
		{"/mixed.js", "f", []string{`/mixed.js:2:30: Error: require("./nope")`}},
		{"/dyn.js", "f", []string{`Error: import("./later.js")`}},
	} {
		id := strings.TrimPrefix(c.path[:strings.LastIndexByte(c.path, '.')], "/")
		m, err := e.rt.CreateModule(e.ctx, id, c.path)
		if c.call != "" {
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Call(e.ctx, c.call)
		}
		var je *hotmod.JSError
		if !errors.As(err, &je) {
			t.Errorf("%s: %v, want a *JSError", c.path, err)
			continue
		}
		msg := err.Error()
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not say %q", c.path, msg, w)
			}
		}
		if strings.Contains(msg, "GoError") || strings.Contains(msg, ".js.js") || strings.Contains(msg, ".js.ts") {
			t.Errorf("%s: %q names goja's internals or an extension twice", c.path, msg)
		}
	}
	// The thrown Error is Node's: a module can tell a missing file apart.
	e.write("/probe.js", "let code\ntry { require('./absent.js') } catch (err) { code = [err.name, err.code] }\nmodule.exports = { code }")
	m := e.create("probe", "/probe.js")
	got, err := m.Get(e.ctx, "code")
	if err != nil || strings.Join(toStrings(got), ",") != "Error,MODULE_NOT_FOUND" {
		t.Errorf("caught: %v %v; want Error, MODULE_NOT_FOUND", got, err)
	}
}

func toStrings(v any) []string {
	s, _ := v.([]any)
	out := make([]string, len(s))
	for i, x := range s {
		out[i], _ = x.(string)
	}
	return out
}

// TestMissingImportCodesAreNodes: import() of a file that is not there
// rejects with the code Node 20's ES module loader gives, not require's
// (TestFailedImportSaysWhatWasWritten checks require's, MODULE_NOT_FOUND,
// which Node gives a CommonJS require).
func TestMissingImportCodesAreNodes(t *testing.T) {
	matchNode(t, []nodeCase{{
		name:     "import() of a missing file",
		code:     "try { await import('./absent.js') } catch (e) { return [e.name, e.code] }",
		recorded: `["Error","ERR_MODULE_NOT_FOUND"]`,
	}}, nil)
}
