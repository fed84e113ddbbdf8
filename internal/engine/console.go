package engine

import (
	"context"
	"log/slog"
	"strings"

	"github.com/dop251/goja"
)

// Console returns a console object whose methods log through the realm's
// logger with attrs (the module id). Call with the lock held.
func (r *Realm) Console(attrs ...any) *goja.Object {
	vm := r.vm
	c := vm.NewObject()
	log := r.log.With(attrs...)
	method := func(level slog.Level) goja.Value {
		return vm.ToValue(func(call goja.FunctionCall) goja.Value {
			if log.Enabled(context.Background(), level) {
				log.Log(context.Background(), level, r.format(call.Arguments))
			}
			return goja.Undefined()
		})
	}
	for name, level := range map[string]slog.Level{
		"log": slog.LevelInfo, "info": slog.LevelInfo, "debug": slog.LevelDebug, "trace": slog.LevelDebug,
		"warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		_ = c.Set(name, method(level))
	}
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
