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
	"github.com/hotmod/hotmod/js"
	"math"
	"reflect"
	"slices"
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
var ErrLimit = js.ErrLimit

// ErrInput matches variables that cannot be copied into a sandbox.
var ErrInput = errors.New("sandbox input cannot be copied")

// ErrResult matches results that cannot be copied out of a sandbox.
var ErrResult = errors.New("sandbox result cannot be copied")

// LimitError is js.LimitError: the sandbox makes them.
type LimitError = js.LimitError

// Limits bound one run. Zero fields take the defaults.
type Limits struct {
	Memory       int64         // bytes the VM may allocate; default 64 MiB
	Time         time.Duration // wall time; default 1 s (the context's deadline also applies)
	Stack        int64         // bytes of native QuickJS stack; default 256 KiB
	Console      int           // bytes of console output kept, a line break counting one; default 64 KiB
	ConsoleLines int           // console lines kept; default 1000
}

// The defaults of Limits: also the ceilings a server applies to clients.
const (
	DefaultMemory       = 64 << 20
	DefaultTime         = time.Second
	DefaultStack        = 256 << 10
	DefaultConsole      = 64 << 10
	DefaultConsoleLines = 1000
)

// Defaults fills zero fields.
func (l Limits) Defaults() Limits {
	if l.Memory <= 0 {
		l.Memory = DefaultMemory
	}
	if l.Time <= 0 {
		l.Time = DefaultTime
	}
	if l.Stack <= 0 {
		l.Stack = DefaultStack
	}
	if l.Console <= 0 {
		l.Console = DefaultConsole
	}
	if l.ConsoleLines <= 0 {
		l.ConsoleLines = DefaultConsoleLines
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

// Undefined, Line and Result are the js package's types: the sandbox makes
// them.
type (
	Undefined = js.Undefined
	Line      = js.ConsoleLine
)

// Result is js.SafeResult.
type Result = js.SafeResult

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
			var past bool
			e.Line, e.Column, e.LineText, past = transform.ClampToCode(code, m.Location.Line-1, m.Location.Column+1)
			if past {
				e.Message = transform.PastTheEnd
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

// prelude runs before the snippet. It takes the host's console sink and
// outcome channel off the global object (so the snippet can never reach
// them), builds console on the sink, and evaluates to the driver, which Go
// holds and calls: it copies the input in with JSON.parse, awaits the
// snippet, and reports the outcome. Everything the driver uses is captured
// before the snippet runs, and it wires its promise chain before the
// snippet's first line, so nothing the snippet redefines changes how its
// outcome is reported.
//
// The outcome is report(kind, text): kind is "value" (text is the JSON),
// "undefined", "bad" (text is the typeof), "error" (text is the error as
// JSON) or "result" (text is how far serialization got). A report()
// without arguments comes first and says the snippet settled: copying its
// outcome out allocates inside the VM, and a breach of the memory limit
// there throws out of the driver's reaction into a promise nobody awaits,
// so Go learns of it only as "settled but never reported".
const prelude = `(() => {
	const sink = globalThis.__hotmod_console;
	const report = globalThis.__hotmod_report;
	delete globalThis.__hotmod_console;
	delete globalThis.__hotmod_report;
	const { parse, stringify } = JSON;
	const { isArray } = Array;
	const String_ = String;
	const slice = Function.prototype.call.bind(String.prototype.slice);
	// bounded(most) is a replacer for stringify that hands every value back
	// as it is (so the JSON is the same) while it counts a lower bound of
	// the JSON built so far, each string before stringify copies it, and
	// throws tooLarge past most: a large outcome (a long string, one string
	// referenced many times) is refused before it is built, rather than by
	// the memory or time limit halfway through building it. Each stringify
	// counts on its own, since a toJSON may log while the result is built.
	const tooLarge = {};
	let counted = 0;
	const bounded = (most) => {
		let size = 0;
		return function (k, x) {
			const t = typeof x;
			if (t === 'undefined' || t === 'function' || t === 'symbol') return x;
			size += t === 'string' ? x.length + 2 : 1;
			if (k !== '' && !isArray(this)) size += k.length + 3;
			if (size > most) { counted = size; throw tooLarge; }
			return x;
		};
	};
	const str = (v, most) => {
		if (typeof v === 'string') return v;
		try { const j = stringify(v, bounded(most)); if (j !== undefined) return j; } catch (e) { if (e === tooLarge) throw e; }
		return String_(v);
	};
	// An error's text is cut, not refused: the error is what the caller
	// needs to see.
	const maxErrorText = 1 << 16;
	const cut = (s) => s.length > maxErrorText ? slice(s, 0, maxErrorText) + '... (' + (s.length - maxErrorText) + ' more characters)' : s;
	let consoleMost = 0;
	// A line longer than the console limit is sent as null: Go counts it
	// over the limit without copying it out.
	const out = (level) => (...args) => {
		let text = '';
		try {
			for (let i = 0; i < args.length; i++) {
				text += (i ? ' ' : '') + str(args[i], consoleMost);
				if (text.length > consoleMost) { text = null; break; }
			}
		} catch (e) { if (e !== tooLarge) throw e; text = null; }
		sink(level, text);
	};
	globalThis.console = { log: out('log'), info: out('info'), warn: out('warn'), error: out('error'), debug: out('debug'), trace: out('debug') };
	let resultMost = 0;
	const ok = (v) => {
		report();
		if (v === undefined) { report('undefined'); return; }
		let j;
		try { j = stringify(v, bounded(resultMost)); } catch (e) {
			if (e === tooLarge) { report('result', String_(counted)); return; }
			fail(e);
			return;
		}
		if (j === undefined) { report('bad', typeof v); return; }
		report('value', j);
	};
	const fail = (e) => {
		report();
		let o;
		try {
			o = e instanceof Error ? { name: cut(String_(e.name)), message: cut(String_(e.message)), stack: cut(String_(e.stack)) } : { name: '', message: cut(str(e, maxErrorText)), stack: '', nullish: e == null };
		} catch { o = { name: '', message: 'an error that cannot be described', stack: '' }; }
		report('error', stringify(o));
	};
	// The snippet is an async function, so it returns a native promise:
	// the captured then settles it, whatever the snippet does to
	// Promise.prototype.then meanwhile.
	const then = Promise.prototype.then;
	const call = Function.prototype.call.bind(then);
	return (fn, input, mostResult, mostConsole) => {
		resultMost = mostResult;
		consoleMost = mostConsole;
		call(Promise.resolve(), () => {
			let p;
			try { p = fn(parse(input)); } catch (e) { fail(e); return; }
			call(p, ok, fail);
		});
	};
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

type thrown struct {
	Name, Message, Stack string
	Nullish              bool
}

// resultShare is the share of the memory limit a result's JSON may take,
// in characters: copying it out holds the value, its JSON and the engine's
// UTF-8 copy of that in the VM at once.
const resultShare = 4

// Run executes the program once in a fresh VM.
func (p *Program) Run(ctx context.Context, vars map[string]any, lim Limits) (res Result, err error) {
	lim = lim.Defaults()
	input, err := encodeInput(vars)
	if err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, &LimitError{Limit: "time", Detail: "the context had ended before the run: " + err.Error(), Err: err}
	}
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()

	vm, err := quickjs.NewVM()
	if err != nil {
		return res, err
	}
	defer vm.Close()
	vm.SetMaxStackSize(stackSlots(lim.Stack))

	sink := &console{max: lim.Console, maxLines: lim.ConsoleLines, vm: vm}
	if err := vm.RegisterHostFunc("__hotmod_console", sink.write); err != nil {
		return res, err
	}
	var kind, text string
	settled, reported := false, false
	if err := vm.RegisterHostFunc("__hotmod_report", func(args []any) (any, error) {
		switch {
		case reported:
		case len(args) == 0:
			settled = true
		default:
			kind, _ = args[0].(string)
			if len(args) > 1 {
				text, _ = args[1].(string)
			}
			reported = true
		}
		return nil, nil
	}); err != nil {
		return res, err
	}

	// modernc quickjs clears a pending Interrupt and re-arms its eval
	// timeout at every call from Go into JavaScript, so an Interrupt sent
	// between two such calls is lost. The time limit is therefore the eval
	// timeout, set to what is left before every call; an ended context is
	// checked before every call and, while the run lasts, interrupted again
	// every millisecond.
	runCtx, cancel := context.WithTimeout(ctx, lim.Time)
	defer cancel()
	deadline, _ := runCtx.Deadline()
	classify := func(err error) error {
		return p.classify(err, ctx, runCtx, sink, lim)
	}
	arm := func() error {
		left := time.Until(deadline)
		if left <= 0 || runCtx.Err() != nil {
			return classify(errors.New("interrupted"))
		}
		return vm.SetEvalTimeout(left)
	}
	ran := make(chan struct{})
	defer close(ran)
	// Stopped on return, so that a run that ends in time starts no goroutine.
	stop := context.AfterFunc(runCtx, func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			vm.Interrupt()
			select {
			case <-ran:
				return
			case <-t.C:
			}
		}
	})
	defer stop()

	pre, err := preludeBytecode()
	if err != nil {
		return res, err
	}
	if err := arm(); err != nil {
		return res, err
	}
	drive, err := vm.EvalBytecodeValue(pre)
	if err != nil {
		return res, classify(fmt.Errorf("sandbox: prelude: %w", err))
	}
	defer drive.Free()
	// The host's own setup is not the snippet's to pay for: the limit
	// starts now, so that a tiny one is a memory breach of the snippet's,
	// not a failure to set up.
	vm.SetMemoryLimit(uintptr(lim.Memory))
	if err := arm(); err != nil {
		return res, err
	}
	fn, err := vm.EvalBytecodeValue(p.bytecode)
	if err != nil {
		return res, classify(err)
	}
	if err := arm(); err != nil {
		fn.Free()
		return res, err
	}
	mostResult := lim.Memory / resultShare
	_, err = drive.Call(quickjs.UndefinedValue, fn, input, mostResult, lim.Console)
	fn.Free()
	if err != nil {
		return res, classify(err)
	}
	for !reported {
		if err := arm(); err != nil {
			return res, err
		}
		n, err := vm.ExecutePendingJobs()
		if err != nil {
			return res, classify(err)
		}
		if sink.over {
			break
		}
		if n == 0 && !reported && settled {
			return res, &LimitError{Limit: "memory", Detail: fmt.Sprintf("allocated more than %d bytes while copying the outcome out of the VM", lim.Memory)}
		}
		if n == 0 && !reported {
			return res, fmt.Errorf("%w: the code awaits a promise that can never settle (a sandbox has no timers or I/O)", ErrResult)
		}
	}
	res.Console = sink.lines
	if sink.over {
		return res, classify(errors.New("interrupted"))
	}
	switch kind {
	case "error":
		var out thrown
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			return res, fmt.Errorf("%w: %v", ErrResult, err)
		}
		if out.Nullish {
			// QuickJS raises null when it runs out of memory while building
			// the error for running out of memory; nothing tells that apart
			// from code that throws null itself (measured: same value, same
			// type, no stack either way), so both count as the memory limit.
			return res, &LimitError{Limit: "memory", Detail: fmt.Sprintf("allocated more than %d bytes (the engine raised an empty exception, which it does when it cannot even build an error; code that throws null or undefined itself is reported the same way)", lim.Memory)}
		}
		e := &engine.JSError{Name: out.Name, Message: out.Message}
		e.Stack, e.File, e.Line, e.Column = p.mapStack(out.Stack)
		return res, p.classify(e, ctx, runCtx, sink, lim)
	case "result":
		return res, &LimitError{Limit: "result", Detail: fmt.Sprintf("the result's JSON form is more than %d characters (a quarter of the %d-byte memory limit: %s characters were counted when copying stopped)", mostResult, lim.Memory, text)}
	case "bad":
		return res, fmt.Errorf("%w: the code returned a %s, which has no JSON form", ErrResult, text)
	case "undefined":
		res.Value = Undefined{}
	case "value":
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return res, fmt.Errorf("%w: %v", ErrResult, err)
		}
		res.Value = numbers(v)
	default:
		return res, fmt.Errorf("%w: the driver reported %q", ErrResult, kind)
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
		return &LimitError{Limit: "console", Detail: fmt.Sprintf("more than %d bytes or %d lines of console output", lim.Console, lim.ConsoleLines)}
	// Only the engine's interruption (an InternalError, or the host's own
	// check before a call): a snippet's Error('interrupted') is its own.
	case msg == "interrupted" && (name == "InternalError" || name == ""), strings.HasSuffix(msg, ": interrupted") && name == "":
		// The eval timeout can stop a run a moment before the context's
		// own timer marks it done: its deadline decides.
		cause := ctx.Err()
		if d, ok := ctx.Deadline(); cause == nil && ok && !time.Now().Before(d) {
			cause = context.DeadlineExceeded
		}
		if cause != nil {
			return &LimitError{Limit: "time", Detail: "the context ended: " + cause.Error(), Err: cause}
		}
		return &LimitError{Limit: "time", Detail: fmt.Sprintf("ran longer than %v", lim.Time), Err: context.DeadlineExceeded}
	case name == "InternalError" && msg == "out of memory":
		return &LimitError{Limit: "memory", Detail: fmt.Sprintf("allocated more than %d bytes", lim.Memory)}
	case name == "RangeError" && msg == "invalid string length", name == "InternalError" && msg == "string too long":
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
	vm       *quickjs.VM
	max      int
	maxLines int
	size     int
	over     bool
	lines    []Line
}

func (c *console) write(args []any) (any, error) {
	if len(args) != 2 || c.over {
		return nil, nil
	}
	level, _ := args[0].(string)
	text, _ := args[1].(string)
	// A line costs its break too: empty lines are not free.
	if args[1] == nil || c.size+len(text)+1 > c.max || len(c.lines) >= c.maxLines {
		c.over = true
		c.vm.Interrupt() // stop the run now, not at its end
		return nil, nil
	}
	c.size += len(text) + 1
	c.lines = append(c.lines, Line{Level: level, Text: text})
	return nil, nil
}

// maxInputDepth bounds how deeply variables may nest: deeper data has no
// business in a snippet, and QuickJS's JSON.parse recurses.
const maxInputDepth = 256

// encodeInput checks vars and copies them to JSON. Functions, channels,
// complex numbers, NaN and infinities, cycles and nesting deeper than
// maxInputDepth are rejected with the path of the offending value. The
// check is linear in the size of vars: the path is only spelled out for an
// error.
func encodeInput(vars map[string]any) (string, error) {
	if vars == nil {
		vars = map[string]any{}
	}
	if err := check(reflect.ValueOf(vars), &inputPath{name: "context"}, 0, map[uintptr]bool{}); err != nil {
		return "", err
	}
	b, err := json.Marshal(vars)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInput, err)
	}
	return string(b), nil
}

// inputPath is where check is, kept as links to the parent so that a
// level costs the same however deep it is.
type inputPath struct {
	parent *inputPath
	name   string // a key, or "" for an index
	index  int
}

func (p *inputPath) String() string {
	var parts []string
	for ; p != nil; p = p.parent {
		switch {
		case p.parent == nil:
			parts = append(parts, p.name)
		case p.name == "":
			parts = append(parts, "["+strconv.Itoa(p.index)+"]")
		default:
			parts = append(parts, "."+p.name)
		}
	}
	slices.Reverse(parts)
	return strings.Join(parts, "")
}

func check(v reflect.Value, path *inputPath, depth int, onPath map[uintptr]bool) error {
	if !v.IsValid() {
		return nil
	}
	if depth > maxInputDepth {
		return fmt.Errorf("%w: %s nests deeper than %d levels", ErrInput, path, maxInputDepth)
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
		return check(v.Elem(), path, depth, onPath)
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
			return check(v.Elem(), path, depth, onPath)
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				if err := check(it.Value(), &inputPath{parent: path, name: fmt.Sprint(it.Key())}, depth+1, onPath); err != nil {
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
			if err := check(v.Index(i), &inputPath{parent: path, index: i}, depth+1, onPath); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				if err := check(v.Field(i), &inputPath{parent: path, name: f.Name}, depth+1, onPath); err != nil {
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
