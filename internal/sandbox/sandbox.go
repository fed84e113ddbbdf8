// Package sandbox runs untrusted JavaScript snippets in QuickJS: a fresh VM
// for every run, no host access at all, hard limits on memory, time, stack
// and console output, and values copied in and out as JSON.
//
// A snippet is a function body (`return` and `await` allowed) that sees its
// variables as `context`. It is never pasted into a wrapper and trusted to
// stay inside: esbuild parses the wrapped text and goja's parser checks that
// the result is exactly one function expression, so text like
// `}), escape(), (function(){` is rejected before anything runs (QuickJS's
// own Function constructor would accept it).
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
	"github.com/evanw/esbuild/pkg/api"
	"github.com/go-sourcemap/sourcemap"
	"github.com/hotmod/hotmod/internal/engine"
	"github.com/hotmod/hotmod/internal/transform"
	"modernc.org/quickjs"
)

// File names the snippet in errors.
const File = "sandbox"

// ErrLimit matches every limit breach.
var ErrLimit = errors.New("hotmod: sandbox limit exceeded")

// ErrInput matches variables that cannot be copied into a sandbox.
var ErrInput = errors.New("hotmod: sandbox input cannot be copied")

// ErrResult matches results that cannot be copied out of a sandbox.
var ErrResult = errors.New("hotmod: sandbox result cannot be copied")

// LimitError says which limit a run broke.
type LimitError struct {
	Limit  string // "memory", "time", "stack" or "console"
	Detail string
	cause  error // the context's error when it ended the run
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("hotmod: sandbox %s limit exceeded: %s", e.Limit, e.Detail)
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Unwrap gives the context's error when the context ended the run.
func (e *LimitError) Unwrap() error { return e.cause }

// Limits bound one run. Zero fields take the defaults.
type Limits struct {
	Memory  int64         // bytes the VM may allocate; default 64 MiB
	Time    time.Duration // wall time; default 1 s (the context's deadline also applies)
	Stack   int64         // bytes of native QuickJS stack; default 256 KiB
	Console int           // bytes of console output kept; default 64 KiB
}

// Defaults fills zero fields.
func (l Limits) Defaults() Limits {
	if l.Memory <= 0 {
		l.Memory = 64 << 20
	}
	if l.Time <= 0 {
		l.Time = time.Second
	}
	if l.Stack <= 0 {
		l.Stack = 256 << 10
	}
	if l.Console <= 0 {
		l.Console = 64 << 10
	}
	return l
}

// stackSlots turns a native stack size into the unit of the Go port of
// QuickJS, whose frames live on the goroutine stack: 1 MiB of native stack is
// about 5000 slots, and each slot takes about 3 KiB of goroutine stack. The
// cap keeps any setting far from Go's 1 GB stack limit, which would end the
// process.
func stackSlots(bytes int64) uintptr {
	const perMiB, most = 5000, 20000
	return uintptr(min(max(bytes*perMiB>>20, 32), most))
}

// Undefined is the result of a snippet that returned undefined (or
// nothing), kept apart from null (nil).
type Undefined struct{}

func (Undefined) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// Line is one console call.
type Line struct {
	Level string `json:"level"`
	Text  string `json:"text"`
}

// Result is what a run produced.
type Result struct {
	Value    any           `json:"value"`
	Console  []Line        `json:"console"`
	Duration time.Duration `json:"duration"`
}

// Program is a checked snippet, compiled to QuickJS bytecode.
type Program struct {
	bytecode []byte
	smap     *sourcemap.Consumer
}

// Compile checks code and compiles it.
func Compile(code string) (*Program, error) {
	text := "(async function (context) {\n" + code + "\n});"
	// Dynamic import() is lowered to require(), which a sandbox does not
	// have: it rejects at run time, and goja's parser, which checks the
	// shape, cannot read import() itself.
	out := api.Transform(text, api.TransformOptions{
		Loader:         api.LoaderJS,
		Format:         api.FormatCommonJS,
		Target:         api.ESNext,
		Supported:      map[string]bool{"async-generator": false, "for-await": false, "dynamic-import": false},
		Sourcefile:     File,
		Sourcemap:      api.SourceMapExternal,
		SourcesContent: api.SourcesContentExclude,
		LogLevel:       api.LogLevelSilent,
	})
	if len(out.Errors) > 0 {
		m := out.Errors[0]
		e := &transform.SourceError{File: File, Message: m.Text}
		if m.Location != nil {
			e.Line, e.Column, e.LineText = m.Location.Line-1, m.Location.Column+1, m.Location.LineText
			// An error found at the wrapper's first or last line is at the
			// start or the end of the code.
			lines := strings.Split(code, "\n")
			switch {
			case e.Line < 1:
				e.Line, e.Column = 1, 1
			case e.Line > len(lines):
				e.Line, e.Column, e.LineText = len(lines), len(lines[len(lines)-1])+1, lines[len(lines)-1]
			}
		}
		return nil, e
	}
	if err := checkShape(string(out.Code), leadingUnmapped(out.Map)); err != nil {
		return nil, err
	}
	vm, err := quickjs.NewVM()
	if err != nil {
		return nil, err
	}
	defer vm.Close()
	bc, err := vm.Compile(string(out.Code), quickjs.EvalGlobal)
	if err != nil {
		return nil, fmt.Errorf("sandbox: compiling: %w", err)
	}
	p := &Program{bytecode: bc}
	p.smap, _ = sourcemap.Parse("", out.Map)
	return p, nil
}

// checkShape proves the transformed program is exactly one function
// expression, after the helper declarations esbuild may put in front (on
// lines that map to nothing in the source).
func checkShape(code string, helperLines int) error {
	prog, err := parser.ParseFile(nil, File, code, 0)
	if err != nil {
		return &transform.SourceError{File: File, Line: 1, Column: 1, Message: "the code is not a function body: " + err.Error()}
	}
	var body []ast.Statement
	for _, st := range prog.Body {
		if prog.File.Position(int(st.Idx0())-prog.File.Base()).Line > helperLines {
			body = append(body, st)
		}
	}
	if len(body) == 1 {
		if es, ok := body[0].(*ast.ExpressionStatement); ok {
			if _, ok := es.Expression.(*ast.FunctionLiteral); ok {
				return nil
			}
		}
	}
	return &transform.SourceError{File: File, Line: 1, Column: 1,
		Message: "the code must be a function body; it closes the function it is given and adds code outside it"}
}

func leadingUnmapped(smap []byte) int {
	var m struct {
		Mappings string `json:"mappings"`
	}
	if json.Unmarshal(smap, &m) != nil {
		return 0
	}
	return len(m.Mappings) - len(strings.TrimLeft(m.Mappings, ";"))
}

// prelude runs before the snippet. It builds console on the host's bounded
// sink, hides the sink, and defines the driver Go calls: it copies the input
// in with JSON.parse, awaits the snippet, and keeps the outcome as JSON for
// the host to collect. The globals it leaves cannot be overwritten.
const prelude = `(() => {
	const sink = globalThis.__hotmod_console;
	delete globalThis.__hotmod_console;
	const { parse, stringify } = JSON;
	const str = (v) => {
		if (typeof v === 'string') return v;
		try { const j = stringify(v); if (j !== undefined) return j; } catch {}
		return String(v);
	};
	const out = (level) => (...args) => { sink(level, args.map(str).join(' ')); };
	globalThis.console = { log: out('log'), info: out('info'), warn: out('warn'), error: out('error'), debug: out('debug'), trace: out('debug') };
	let outcome;
	const fixed = (name, value) => Object.defineProperty(globalThis, name, { value, writable: false, configurable: false, enumerable: false });
	fixed('__hotmod_drive', (fn, input) => {
		Promise.resolve().then(() => fn(parse(input))).then((v) => {
			if (v === undefined) { outcome = '{"undefined":true}'; return; }
			const j = stringify(v);
			outcome = j === undefined ? stringify({ bad: typeof v }) : '{"value":' + j + '}';
		}).catch((e) => {
			const o = e instanceof Error ? { name: String(e.name), message: String(e.message), stack: String(e.stack) } : { name: '', message: str(e), stack: '' };
			outcome = stringify({ error: o });
		});
	});
	fixed('__hotmod_outcome', () => outcome);
})()`

// preludeBytecode compiles the prelude once per process.
var preludeBytecode = sync.OnceValues(func() ([]byte, error) {
	vm, err := quickjs.NewVM()
	if err != nil {
		return nil, err
	}
	defer vm.Close()
	return vm.Compile(prelude, quickjs.EvalGlobal)
})

type outcome struct {
	Value     json.RawMessage `json:"value"`
	Undefined bool            `json:"undefined"`
	Bad       string          `json:"bad"`
	Error     *struct {
		Name, Message, Stack string
	} `json:"error"`
}

// Run executes the program once in a fresh VM.
func (p *Program) Run(ctx context.Context, vars map[string]any, lim Limits) (res Result, err error) {
	lim = lim.Defaults()
	input, err := encodeInput(vars)
	if err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()

	vm, err := quickjs.NewVM()
	if err != nil {
		return res, err
	}
	defer vm.Close()
	vm.SetMemoryLimit(uintptr(lim.Memory))
	vm.SetMaxStackSize(stackSlots(lim.Stack))

	sink := &console{max: lim.Console, vm: vm}
	if err := vm.RegisterHostFunc("__hotmod_console", sink.write); err != nil {
		return res, err
	}
	pre, err := preludeBytecode()
	if err != nil {
		return res, err
	}
	if _, err := vm.EvalBytecode(pre); err != nil {
		return res, fmt.Errorf("sandbox: prelude: %w", err)
	}

	// The time limit and the context's end both interrupt the VM.
	runCtx, cancel := context.WithTimeout(ctx, lim.Time)
	defer cancel()
	fired := make(chan struct{})
	stop := context.AfterFunc(runCtx, func() { defer close(fired); vm.Interrupt() })
	defer func() {
		if !stop() {
			<-fired
		}
	}()
	classify := func(err error) error {
		return p.classify(err, ctx, runCtx, sink, lim)
	}

	fn, err := vm.EvalBytecodeValue(p.bytecode)
	if err != nil {
		return res, classify(err)
	}
	_, err = vm.Call("__hotmod_drive", fn, input)
	fn.Free()
	if err != nil {
		return res, classify(err)
	}
	var raw string
	for {
		o, err := vm.Call("__hotmod_outcome")
		if err != nil {
			return res, classify(err)
		}
		if s, ok := o.(string); ok {
			raw = s
			break
		}
		n, err := vm.ExecutePendingJobs()
		if err != nil {
			return res, classify(err)
		}
		if runCtx.Err() != nil {
			return res, classify(errors.New("interrupted"))
		}
		if n == 0 {
			return res, fmt.Errorf("%w: the code awaits a promise that can never settle (a sandbox has no timers or I/O)", ErrResult)
		}
	}
	res.Console = sink.lines
	if sink.over {
		return res, classify(errors.New("interrupted"))
	}
	var out outcome
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return res, fmt.Errorf("%w: %v", ErrResult, err)
	}
	switch {
	case out.Error != nil:
		e := &engine.JSError{Name: out.Error.Name, Message: out.Error.Message}
		e.Stack, e.File, e.Line, e.Column = p.mapStack(out.Error.Stack)
		return res, p.classify(e, ctx, runCtx, sink, lim)
	case out.Bad != "":
		return res, fmt.Errorf("%w: the code returned a %s, which has no JSON form", ErrResult, out.Bad)
	case out.Undefined:
		res.Value = Undefined{}
	default:
		dec := json.NewDecoder(strings.NewReader(string(out.Value)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return res, fmt.Errorf("%w: %v", ErrResult, err)
		}
		res.Value = numbers(v)
	}
	return res, nil
}

// classify turns what QuickJS reported into a limit breach where it is one.
func (p *Program) classify(err error, ctx, runCtx context.Context, sink *console, lim Limits) error {
	name, msg := "", err.Error()
	var qe *quickjs.Error
	var je *engine.JSError
	switch {
	case errors.As(err, &qe):
		name, msg = qe.Name, qe.Message
	case errors.As(err, &je):
		name, msg = je.Name, je.Message
	}
	switch {
	case sink.over:
		return &LimitError{Limit: "console", Detail: fmt.Sprintf("more than %d bytes of console output", lim.Console)}
	case msg == "interrupted" || strings.HasSuffix(msg, ": interrupted"):
		if ctx.Err() != nil {
			return &LimitError{Limit: "time", Detail: "the context ended: " + ctx.Err().Error(), cause: ctx.Err()}
		}
		return &LimitError{Limit: "time", Detail: fmt.Sprintf("ran longer than %v", lim.Time), cause: runCtx.Err()}
	case name == "InternalError" && msg == "out of memory":
		return &LimitError{Limit: "memory", Detail: fmt.Sprintf("allocated more than %d bytes", lim.Memory)}
	case name == "RangeError" && msg == "invalid string length":
		return &LimitError{Limit: "memory", Detail: "a string longer than the engine's maximum (2^30-1 characters)"}
	case name == "InternalError" && msg == "stack overflow":
		return &LimitError{Limit: "stack", Detail: fmt.Sprintf("recursion deeper than a %d-byte stack allows", lim.Stack)}
	}
	if je != nil {
		return je
	}
	if qe != nil {
		e := &engine.JSError{Name: qe.Name, Message: qe.Message}
		e.Stack, e.File, e.Line, e.Column = p.mapStack(qe.Stack)
		return e
	}
	return err
}

// mapStack rewrites QuickJS frames ("at f (<eval>:3:10)") to places in the
// snippet, and returns the first one.
func (p *Program) mapStack(stack string) (string, string, int, int) {
	var file string
	var line, col int
	lines := strings.Split(strings.TrimRight(stack, "\n"), "\n")
	for i, l := range lines {
		open := strings.LastIndex(l, "(<eval>:")
		if open < 0 || p.smap == nil {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(l[open+len("(<eval>:"):], ")"), ":")
		if len(parts) != 2 {
			continue
		}
		gl, _ := strconv.Atoi(parts[0])
		gc, _ := strconv.Atoi(parts[1])
		_, _, sl, sc, ok := p.smap.Source(gl, gc-1)
		if !ok || sl < 2 {
			continue
		}
		sl-- // the wrapper's first line
		lines[i] = l[:open] + fmt.Sprintf("(%s:%d:%d)", File, sl, sc+1)
		if file == "" {
			file, line, col = File, sl, sc+1
		}
	}
	return strings.Join(lines, "\n"), file, line, col
}

type console struct {
	vm    *quickjs.VM
	max   int
	size  int
	over  bool
	lines []Line
}

func (c *console) write(args []any) (any, error) {
	if len(args) != 2 || c.over {
		return nil, nil
	}
	level, _ := args[0].(string)
	text, _ := args[1].(string)
	if c.size+len(text) > c.max {
		c.over = true
		c.vm.Interrupt() // stop the run now, not at its end
		return nil, nil
	}
	c.size += len(text)
	c.lines = append(c.lines, Line{Level: level, Text: text})
	return nil, nil
}

// encodeInput checks vars and copies them to JSON. Functions, channels,
// complex numbers, NaN and infinities, and cycles are rejected with the path
// of the offending value.
func encodeInput(vars map[string]any) (string, error) {
	if vars == nil {
		vars = map[string]any{}
	}
	if err := check(reflect.ValueOf(vars), "context", map[uintptr]bool{}); err != nil {
		return "", err
	}
	b, err := json.Marshal(vars)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInput, err)
	}
	return string(b), nil
}

func check(v reflect.Value, path string, onPath map[uintptr]bool) error {
	if !v.IsValid() {
		return nil
	}
	if _, ok := v.Interface().(json.Marshaler); ok && v.Kind() != reflect.Interface {
		return nil
	}
	switch v.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return fmt.Errorf("%w: %s is a Go %s, which has no JavaScript form", ErrInput, path, v.Kind())
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: %s is %v, which JSON cannot carry", ErrInput, path, f)
		}
	case reflect.Interface:
		return check(v.Elem(), path, onPath)
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Kind() != reflect.Slice || v.Len() > 0 {
			ptr := v.Pointer()
			if onPath[ptr] {
				return fmt.Errorf("%w: %s refers back to itself (a cycle)", ErrInput, path)
			}
			onPath[ptr] = true
			defer delete(onPath, ptr)
		}
		switch v.Kind() {
		case reflect.Pointer:
			return check(v.Elem(), path, onPath)
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				if err := check(it.Value(), fmt.Sprintf("%s.%v", path, it.Key()), onPath); err != nil {
					return err
				}
			}
			return nil
		}
		fallthrough
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // []byte travels as base64, as encoding/json does
		}
		for i := range v.Len() {
			if err := check(v.Index(i), fmt.Sprintf("%s[%d]", path, i), onPath); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				if err := check(v.Field(i), path+"."+f.Name, onPath); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// numbers turns json.Numbers into int64 where integral, else float64, as
// the goja side does.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && i >= -(1<<53) && i <= 1<<53 {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = numbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = numbers(x[k])
		}
	}
	return v
}
