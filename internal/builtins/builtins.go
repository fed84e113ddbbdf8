// Package builtins provides the Node built-in modules hotmod's realms
// have: buffer, url and util's format come from goja_nodejs; path (posix),
// events, assert, string_decoder, crypto's subset and the rest of util are
// written here, small, in JavaScript over a few Go functions.
package builtins

import (
	"embed"
	"fmt"
	"sort"
	"sync"

	"github.com/dop251/goja"
	nodebuffer "github.com/dop251/goja_nodejs/buffer"
	nodeurl "github.com/dop251/goja_nodejs/url"
	nodeutil "github.com/dop251/goja_nodejs/util"
)

// native is a goja_nodejs module: it fills module.exports.
type native func(vm *goja.Runtime, module *goja.Object)

// module is one built-in: a native part, a JavaScript part (js/NAME.js,
// run as a CommonJS body after the native part, with require for the other
// built-ins and the Go helpers as `internal`), or both.
type module struct {
	native native
	js     bool
	helper func(vm *goja.Runtime) *goja.Object // `internal` for the JavaScript part
}

var modules = map[string]module{
	"buffer":         {native: nodebuffer.Require, js: true},
	"url":            {native: nodeurl.Require},
	"util":           {native: nodeutil.Require, js: true},
	"path":           {js: true},
	"events":         {js: true},
	"assert":         {js: true},
	"string_decoder": {js: true},
	"crypto":         {js: true, helper: cryptoHelpers},
}

// aliases are subpath built-ins that are another one's export.
var aliases = map[string]string{"path/posix": "path", "assert/strict": "assert", "util/types": "util"}

// nodeBuiltins are the names Node has as built-ins (require('module').
// builtinModules of Node 20), provided here or not: a bare name among them
// that no package provides is a built-in hotmod lacks.
var nodeBuiltins = map[string]bool{}

func init() {
	for _, n := range []string{"assert", "assert/strict", "async_hooks", "buffer", "child_process", "cluster", "console",
		"constants", "crypto", "dgram", "diagnostics_channel", "dns", "dns/promises", "domain", "events", "fs",
		"fs/promises", "http", "http2", "https", "inspector", "module", "net", "os", "path", "path/posix",
		"path/win32", "perf_hooks", "process", "punycode", "querystring", "readline", "readline/promises", "repl",
		"stream", "stream/consumers", "stream/promises", "stream/web", "string_decoder", "sys", "timers",
		"timers/promises", "tls", "trace_events", "tty", "url", "util", "util/types", "v8", "vm", "wasi",
		"worker_threads", "zlib", "test"} {
		nodeBuiltins[n] = true
	}
}

// IsNode reports whether name (without "node:") is one of Node's built-in
// modules, whether hotmod provides it or not.
func IsNode(name string) bool { return nodeBuiltins[name] }

// Has reports whether hotmod provides the built-in name (without "node:").
func Has(name string) bool {
	_, ok := modules[name]
	if !ok {
		_, ok = aliases[name]
	}
	return ok
}

// Names are the built-ins provided, sorted.
func Names() []string {
	var out []string
	for n := range modules {
		out = append(out, n)
	}
	for n := range aliases {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

//go:embed js/*.js
var sources embed.FS

var (
	compileOnce sync.Once
	programs    map[string]*goja.Program
	compileErr  error
)

func compiled(name string) (*goja.Program, error) {
	compileOnce.Do(func() {
		programs = map[string]*goja.Program{}
		for n, m := range modules {
			if !m.js {
				continue
			}
			src, err := sources.ReadFile("js/" + n + ".js")
			if err != nil {
				compileErr = err
				return
			}
			p, err := goja.Compile("node:"+n, "(function (module, exports, require, internal) {"+string(src)+"\n})", true)
			if err != nil {
				compileErr = fmt.Errorf("node:%s: %w", n, err)
				return
			}
			programs[n] = p
		}
	})
	return programs[name], compileErr
}

// Lookup returns the loader of the built-in name (without "node:"), if
// hotmod provides it. Each call of load evaluates the built-in anew (with
// the built-ins it needs); a realm keeps one Set instead, so that its
// built-ins are evaluated once and share, say, one Buffer.
func Lookup(name string) (load func(vm *goja.Runtime) (goja.Value, error), ok bool) {
	if !Has(name) {
		return nil, false
	}
	return func(vm *goja.Runtime) (goja.Value, error) { return NewSet(vm, vm.Get("Buffer")).Require(name) }, true
}

// Set is the built-ins of one goja runtime, each evaluated once. Not safe
// for concurrent use (nor is the runtime).
type Set struct {
	vm      *goja.Runtime
	buffer  goja.Value // the realm's global Buffer class, if it has one
	exports map[string]goja.Value
}

// NewSet returns the built-ins of vm, none evaluated yet. buffer, if not
// nil, is the realm's global Buffer class: require('buffer').Buffer is
// the same class, as in Node, so each one's isBuffer knows the other's.
func NewSet(vm *goja.Runtime, buffer goja.Value) *Set {
	return &Set{vm: vm, buffer: buffer, exports: map[string]goja.Value{}}
}

// Require returns module.exports of the built-in name (without "node:"),
// evaluating it on first use.
func (s *Set) Require(name string) (goja.Value, error) {
	if v, ok := s.exports[name]; ok {
		return v, nil
	}
	if target, ok := aliases[name]; ok {
		v, err := s.Require(target)
		if err != nil {
			return nil, err
		}
		switch name {
		case "path/posix":
		case "assert/strict":
			v = v.ToObject(s.vm).Get("strict")
		case "util/types":
			v = v.ToObject(s.vm).Get("types")
		}
		s.exports[name] = v
		return v, nil
	}
	m, ok := modules[name]
	if !ok {
		return nil, fmt.Errorf("node:%s is not provided", name)
	}
	vm := s.vm
	module := vm.NewObject()
	var err error
	if ex := vm.Try(func() {
		_ = module.Set("exports", vm.NewObject())
		if m.native != nil {
			m.native(vm, module)
		}
		if name == "buffer" && s.buffer != nil && !goja.IsUndefined(s.buffer) {
			_ = module.Get("exports").ToObject(vm).Set("Buffer", s.buffer)
		}
		if m.js {
			p, cerr := compiled(name)
			if cerr != nil {
				err = cerr
				return
			}
			fnv, rerr := vm.RunProgram(p)
			if rerr != nil {
				err = rerr
				return
			}
			fn, _ := goja.AssertFunction(fnv)
			var internal goja.Value = goja.Undefined()
			if m.helper != nil {
				internal = m.helper(vm)
			}
			req := vm.ToValue(func(call goja.FunctionCall) goja.Value {
				v, err := s.Require(call.Argument(0).String())
				if err != nil {
					panic(vm.NewGoError(err))
				}
				return v
			})
			if _, err = fn(goja.Undefined(), module, module.Get("exports"), req, internal); err != nil {
				return
			}
		}
	}); ex != nil {
		err = ex
	}
	if err != nil {
		return nil, fmt.Errorf("node:%s: %w", name, err)
	}
	v := module.Get("exports")
	s.exports[name] = v
	return v, nil
}
