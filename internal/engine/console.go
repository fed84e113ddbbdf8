package engine

import (
	"context"
	"log/slog"
	"strings"

	"github.com/dop251/goja"
)

// Console returns a console whose methods log through the realm's logger
// with the module's id. The methods are made once per realm, on a prototype
// every console shares: each module's console holds only its id (some
// 5 KB a module less than a console of its own functions). A method called
// detached (`const log = console.log`) logs as the module whose code runs
// now. Call with the lock held.
func (r *Realm) Console(module string) *goja.Object {
	vm := r.vm
	if r.consoleProto == nil {
		r.consoleKey = goja.NewSymbol("hotmod.module")
		r.consoleProto = vm.NewObject()
		method := func(level slog.Level) goja.Value {
			return vm.ToValue(func(call goja.FunctionCall) goja.Value {
				if !r.log.Enabled(context.Background(), level) {
					return goja.Undefined()
				}
				id := "(global)"
				if this, ok := call.This.(*goja.Object); ok {
					if v := this.GetSymbol(r.consoleKey); v != nil && !goja.IsUndefined(v) {
						id = v.String()
					} else if r.owner != nil {
						id = r.owner.owner
					}
				} else if r.owner != nil {
					id = r.owner.owner
				}
				r.log.Log(context.Background(), level, r.format(call.Arguments), slog.String("module", id))
				return goja.Undefined()
			})
		}
		for name, level := range map[string]slog.Level{
			"log": slog.LevelInfo, "info": slog.LevelInfo, "debug": slog.LevelDebug, "trace": slog.LevelDebug,
			"warn": slog.LevelWarn, "error": slog.LevelError,
		} {
			_ = r.consoleProto.Set(name, method(level))
		}
	}
	c := vm.NewObject()
	_ = c.SetPrototype(r.consoleProto)
	_ = c.DefineDataPropertySymbol(r.consoleKey, vm.ToValue(module), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	return c
}

// format joins console arguments as browsers do: strings as they are,
// other values as JSON where they have one.
func (r *Realm) format(args []goja.Value) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = r.Inspect(a)
	}
	return strings.Join(parts, " ")
}

// Inspect renders a value for a log line.
func (r *Realm) Inspect(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if obj, ok := v.(*goja.Object); ok {
		switch obj.ClassName() {
		case "Function", "Error":
			return obj.String()
		}
		if s, err := r.jsonStringify(goja.Undefined(), v); err == nil && !goja.IsUndefined(s) {
			return s.String()
		}
	}
	return v.String()
}
