// Package platform installs into a goja realm what real JavaScript assumes
// of its host beyond the language: Node's `process` and `Buffer`, the web's
// everyday globals (URL, TextEncoder, atob, crypto, structuredClone,
// queueMicrotask, AbortController, EventTarget, performance, ...) and
// repairs of engine gaps (Symbol.asyncIterator, TypedArray.from on
// strings, `\p{...}` in regular expressions, Array.prototype.sort with a
// comparator). It is the one owner of those
// globals: every realm of every Runtime gets the same ones from Install,
// before the intrinsics are frozen (Options.FrozenIntrinsics), so they are
// frozen with them.
//
// Semantics are Node 20's. Where a library implements a piece well it is
// used: goja_nodejs's Buffer, github.com/nlnwa/whatwg-url's URL parser;
// the rest is written here, in Go where it is data work (text codecs,
// base64, crypto, Unicode tables) and in platform.js where it is object
// plumbing (URL's classes, events, abort signals, structuredClone). RATIONALE.md, "The platform", says which is which.
package platform

import (
	_ "embed"
	"fmt"
	"maps"
	"math/big"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/buffer"
)

// NodeVersion is the Node release whose semantics the platform follows,
// as process.version and process.versions.node report it. It is the line
// hotmod is checked against, not a claim to every API of that release.
const NodeVersion = "20.0.0"

// Options configure what Install puts in a realm.
type Options struct {
	// Env is process.env, exactly: the host's environment is never read.
	// nil is an empty environment.
	Env map[string]string
}

//go:embed platform.js
var platformJS string

var (
	compileOnce sync.Once
	compiled    *goja.Program
	compileErr  error
)

// program is platform.js compiled once for every realm of the process.
func program() (*goja.Program, error) {
	compileOnce.Do(func() {
		compiled, compileErr = goja.Compile("hotmod:platform", platformJS, true)
	})
	return compiled, compileErr
}

// Install puts the platform's globals into vm. Call it once, before any
// module code runs and before the intrinsics are frozen; it runs fixed
// code over the engine's own built-ins, so an error is a bug.
func Install(vm *goja.Runtime, opts Options) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("platform: %v", p)
		}
	}()
	prg, err := program()
	if err != nil {
		return fmt.Errorf("platform: %w", err)
	}
	global := vm.GlobalObject()
	if err := repairEngine(vm); err != nil {
		return err
	}

	// goja_nodejs's Buffer. Its Require fills the exports of a module
	// object of ours: no require registry is needed.
	bufExports := requireNative(vm, buffer.Require)

	natives := vm.NewObject()
	set := func(name string, v any) { _ = natives.Set(name, v) }
	set("Buffer", bufExports.Get("Buffer"))
	set("env", envObject(vm, opts.Env))
	set("platform", nodePlatform())
	set("arch", nodeArch())
	set("nodeVersion", NodeVersion)
	set("hotmodVersion", hotmodVersion())
	start := time.Now()
	set("timeOrigin", float64(start.UnixNano())/1e6)
	set("now", func() float64 { return float64(time.Since(start).Nanoseconds()) / 1e6 })
	set("hrtime", func() []int64 {
		ns := time.Since(start).Nanoseconds() + start.UnixNano()%1e9 // any origin will do: only differences mean anything
		return []int64{ns / 1e9, ns % 1e9}
	})
	set("hrtimeBigint", func() *big.Int {
		return big.NewInt(time.Since(start).Nanoseconds() + start.UnixNano()%1e9)
	})
	installText(vm, natives)
	installURL(vm, natives)
	installBuffer(vm, natives)
	installCrypto(vm, natives)

	fnv, err := vm.RunProgram(prg)
	if err != nil {
		return fmt.Errorf("platform: %w", err)
	}
	fn, ok := goja.AssertFunction(fnv)
	if !ok {
		return fmt.Errorf("platform: platform.js is not a function")
	}
	if _, err := fn(goja.Undefined(), global, natives); err != nil {
		return fmt.Errorf("platform: %w", err)
	}
	return nil
}

// requireNative runs a goja_nodejs module's Require into a fresh module
// object and returns its exports.
func requireNative(vm *goja.Runtime, require func(*goja.Runtime, *goja.Object)) *goja.Object {
	module := vm.NewObject()
	exports := vm.NewObject()
	_ = module.Set("exports", exports)
	require(vm, module)
	return module.Get("exports").ToObject(vm)
}

// envObject is the plain object process.env starts from: the entries of
// env, in name order.
func envObject(vm *goja.Runtime, env map[string]string) *goja.Object {
	o := vm.NewObject()
	for _, k := range slices.Sorted(maps.Keys(env)) {
		_ = o.Set(k, env[k])
	}
	return o
}

// nodePlatform is runtime.GOOS as Node names it (process.platform).
func nodePlatform() string {
	switch runtime.GOOS {
	case "windows":
		return "win32"
	case "illumos", "solaris":
		return "sunos"
	}
	return runtime.GOOS
}

// nodeArch is runtime.GOARCH as Node names it (process.arch).
func nodeArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x64"
	case "386":
		return "ia32"
	case "ppc64le":
		return "ppc64"
	}
	return runtime.GOARCH
}

// hotmodVersion is the version of the hotmod module in this binary
// (process.versions.hotmod), "devel" in a build from a work tree.
func hotmodVersion() string {
	const path = "github.com/hotmod/hotmod"
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Path == path && info.Main.Version != "" && info.Main.Version != "(devel)" {
			return info.Main.Version
		}
		for _, m := range info.Deps {
			if m.Path == path {
				return m.Version
			}
		}
	}
	return "devel"
}
