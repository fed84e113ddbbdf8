package hotmod

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/engine"
)

// Host modules give JavaScript modules what the Go program chooses to
// share: Go functions and values registered under a name, which modules
// import as "host:NAME", in the style of wazero's host module builder:
//
//	err := rt.NewHostModuleBuilder("db").
//		Func("query", func(ctx context.Context, sql string) ([]Row, error) { ... }).
//		Value("region", "eu-west-1").
//		Register(ctx)
//
//	// in a module: import { query, region } from "host:db"
//
// Arguments convert from JavaScript by JSON's rules into the parameters'
// types (a struct by its json tags; a mismatch is a TypeError naming the
// function and the argument); results convert to JavaScript as Call's
// arguments do. A function may take a context.Context first: it gets the
// context of the call or load that runs the JavaScript. It may return
// nothing, a value, an error, or a value and an error; a non-nil error is
// thrown as a JavaScript Error whose message is the Go error's text, and if
// the JavaScript lets it escape, the error of Call or of the load is a
// *JSError that wraps it (errors.Is finds the original). A panic is thrown
// the same way, as "NAME panicked: ...". A host function
// runs while the realm is held: it should return promptly, and honour its
// context.
//
// Registering a name again replaces the module: importers see the new
// functions and values through their live handle, without a reload.

// ErrHostModule: a host module definition that cannot be registered (a
// bad name, a value that is not a function where one is needed, an
// unsupported signature).
var ErrHostModule = errors.New("invalid host module")

// HostModuleBuilder collects the functions and values of a host module.
// Its methods are safe for concurrent use; errors surface at Register.
type HostModuleBuilder struct {
	rt   *Runtime
	name string

	mu      sync.Mutex
	names   []string
	entries map[string]any // a hostFunc or a value
	err     error
}

type hostFunc struct {
	fn  reflect.Value
	ctx bool // takes a context.Context first
}

// hostModule is a registered host module: the handle importers get stays,
// its exports are replaced at each registration.
type hostModule struct {
	exports []*goja.Object // by realm index; that realm's lock
	proxy   []*goja.Object // by realm index; that realm's lock
}

// NewHostModuleBuilder starts the definition of the host module that
// JavaScript imports as "host:" + name.
func (rt *Runtime) NewHostModuleBuilder(name string) *HostModuleBuilder {
	b := &HostModuleBuilder{rt: rt, name: name, entries: map[string]any{}}
	if name == "" || strings.ContainsAny(name, "\x00\n\r") || len(name) > maxIDLen {
		b.err = fmt.Errorf("%w: name %q (1 to %d bytes, no NUL or line breaks)", ErrHostModule, name, maxIDLen)
	}
	return b
}

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// Func adds a Go function as the export name.
func (b *HostModuleBuilder) Func(name string, fn any) *HostModuleBuilder {
	v := reflect.ValueOf(fn)
	var err error
	hf := hostFunc{fn: v}
	switch {
	case !v.IsValid() || v.Kind() != reflect.Func || v.IsNil():
		err = fmt.Errorf("%w: %s.%s is %T, not a function", ErrHostModule, b.name, name, fn)
	case v.Type().IsVariadic():
		err = fmt.Errorf("%w: %s.%s is variadic; take a slice instead", ErrHostModule, b.name, name)
	default:
		t := v.Type()
		hf.ctx = t.NumIn() > 0 && t.In(0) == contextType
		switch t.NumOut() {
		case 0, 1:
		case 2:
			if t.Out(1) != errorType {
				err = fmt.Errorf("%w: %s.%s returns two values; the second must be an error", ErrHostModule, b.name, name)
			}
		default:
			err = fmt.Errorf("%w: %s.%s returns %d values; at most a value and an error", ErrHostModule, b.name, name, t.NumOut())
		}
	}
	return b.add(name, hf, err)
}

// Value adds a Go value (converted as a Call argument is, at Register) as
// the export name.
func (b *HostModuleBuilder) Value(name string, v any) *HostModuleBuilder {
	return b.add(name, v, nil)
}

func (b *HostModuleBuilder) add(name string, entry any, err error) *HostModuleBuilder {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b
	}
	switch {
	case err != nil:
		b.err = err
	case name == "":
		b.err = fmt.Errorf("%w: %s: an export needs a name", ErrHostModule, b.name)
	case b.entries[name] != nil:
		b.err = fmt.Errorf("%w: %s.%s is defined twice", ErrHostModule, b.name, name)
	default:
		b.names = append(b.names, name)
		b.entries[name] = entry
	}
	return b
}

// Register makes the module importable as "host:NAME", replacing an
// earlier registration of that name (its importers then see this one).
func (b *HostModuleBuilder) Register(ctx context.Context) error {
	b.mu.Lock()
	names, entries, err := append([]string(nil), b.names...), b.entries, b.err
	b.mu.Unlock()
	if err != nil {
		return err
	}
	rt := b.rt
	n := len(rt.realms)
	made := make([]*goja.Object, n)
	held, err := rt.lockAll(ctx)
	if err != nil {
		return err
	}
	var once sync.Once
	unlock := func() { once.Do(held) }
	defer unlock()
	// Made in every realm first, then registered in all of them: a value
	// one realm cannot take leaves every realm as it was.
	_, err = firstErr(rt.eachLocked(ctx, rt.opts.CallTimeout, func(s *realm) error {
		vm := s.VM()
		exp := vm.NewObject()
		for _, n := range names {
			var v goja.Value
			if hf, ok := entries[n].(hostFunc); ok {
				v = rt.hostFunction(s, b.name+"."+n, hf)
			} else {
				var err error
				if v, err = s.ToJS(entries[n]); err != nil {
					return fmt.Errorf("%w: %s.%s: %v", ErrHostModule, b.name, n, err)
				}
			}
			if err := exp.DefineDataProperty(n, v, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
				return err
			}
		}
		if err := exp.DefineDataProperty("__esModule", vm.ToValue(true), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE); err != nil {
			return err
		}
		made[s.index] = exp
		return nil
	}))
	if err != nil {
		return err
	}
	rt.mu.Lock()
	h := rt.hosts[b.name]
	if h == nil {
		h = &hostModule{exports: make([]*goja.Object, n), proxy: make([]*goja.Object, n)}
		rt.hosts[b.name] = h
	}
	rt.mu.Unlock()
	rt.eachLocked(ctx, rt.opts.CallTimeout, func(s *realm) error {
		i := s.index
		h.exports[i] = made[i]
		if h.proxy[i] == nil {
			h.proxy[i] = s.LiveProxy(func() *goja.Object { return h.exports[i] },
				func(t *goja.Object, name string) goja.Value { return t.Get(name) }, false)
		}
		return nil
	})
	unlock()
	// Isolated modules' Runtimes get it too, now and when they start.
	def := &hostDef{name: b.name, names: names, entries: maps.Clone(entries)}
	rt.mu.Lock()
	rt.hostDefs[b.name] = def
	children := slices.Clone(rt.isolated)
	rt.mu.Unlock()
	for _, c := range children {
		if err := def.registerIn(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// hostDef is a registered host module's definition, kept to register it
// in the private Runtimes of isolated modules.
type hostDef struct {
	name    string
	names   []string
	entries map[string]any
}

func (d *hostDef) registerIn(ctx context.Context, rt *Runtime) error {
	b := rt.NewHostModuleBuilder(d.name)
	b.names, b.entries = slices.Clone(d.names), d.entries
	return b.Register(ctx)
}

// hostFunction is the JavaScript function of realm r that calls hf.
func (rt *Runtime) hostFunction(r *realm, name string, hf hostFunc) goja.Value {
	vm := r.VM()
	t := hf.fn.Type()
	first := 0
	if hf.ctx {
		first = 1
	}
	return vm.ToValue(func(call goja.FunctionCall) goja.Value {
		in := make([]reflect.Value, t.NumIn())
		if hf.ctx {
			in[0] = reflect.ValueOf(r.Context())
		}
		for i := first; i < t.NumIn(); i++ {
			arg, err := hostArg(r.FromJS, call.Argument(i-first), t.In(i))
			if err != nil {
				panic(vm.NewTypeError(fmt.Sprintf("%s: argument %d: %v", name, i-first+1, err)))
			}
			in[i] = arg
		}
		out := callHost(vm, name, hf.fn, in)
		if n := len(out); n > 0 && t.Out(n-1) == errorType {
			if err, _ := out[n-1].Interface().(error); err != nil {
				panic(engine.NewError(vm, err))
			}
			out = out[:n-1]
		}
		if len(out) == 0 {
			return goja.Undefined()
		}
		v, err := r.ToJS(out[0].Interface())
		if err != nil {
			panic(vm.NewTypeError(fmt.Sprintf("%s: its result: %v", name, err)))
		}
		return v
	})
}

// callHost calls the program's function fn. Its panic becomes the calling
// JavaScript's exception, not the end of the process; only its own: the
// exceptions this file throws are raised outside, so they never read as one.
func callHost(vm *goja.Runtime, name string, fn reflect.Value, in []reflect.Value) []reflect.Value {
	defer func() {
		if p := recover(); p != nil {
			switch p := p.(type) {
			case *goja.Exception, *goja.InterruptedError, *goja.StackOverflowError:
				panic(p) // the realm's own unwinding, passing through
			case error:
				panic(engine.NewError(vm, fmt.Errorf("%s panicked: %w", name, p)))
			default:
				panic(engine.NewError(vm, fmt.Errorf("%s panicked: %v", name, p)))
			}
		}
	}()
	return fn.Call(in)
}

// hostArg converts a JavaScript argument to a parameter of type t, by
// JSON's rules.
func hostArg(fromJS func(goja.Value) (any, error), v goja.Value, t reflect.Type) (reflect.Value, error) {
	g, err := fromJS(v)
	if err != nil {
		return reflect.Value{}, err
	}
	return convertInto(g, t)
}

// hostLocked returns the handle of the host module a "host:NAME" specifier
// names, in realm s. Call with s's lock held.
func (rt *Runtime) hostLocked(s *realm, spec string) (*goja.Object, error) {
	name := strings.TrimPrefix(spec, "host:")
	rt.mu.Lock()
	h := rt.hosts[name]
	rt.mu.Unlock()
	if h == nil || h.proxy[s.index] == nil {
		return nil, fmt.Errorf("%w: host module %q is not registered (Runtime.NewHostModuleBuilder)", ErrNotFound, name)
	}
	return h.proxy[s.index], nil
}
