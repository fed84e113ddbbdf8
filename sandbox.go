package hotmod

import (
	"context"
	"errors"
	"time"

	"github.com/hotmod/hotmod/internal/sandbox"
	"github.com/hotmod/hotmod/js"
)

// Sandbox errors, usable with errors.Is: every limit breach matches
// ErrLimit (and is a *LimitError saying which limit); bad variables match
// ErrSandboxInput; results without a JSON form match ErrSandboxResult.
var (
	ErrLimit         = js.ErrLimit
	ErrSandboxInput  = sandbox.ErrInput
	ErrSandboxResult = sandbox.ErrResult
)

// LimitError says which sandbox limit a run broke: Limit ("memory",
// "time", "stack", "console" or "result"), Detail, and Err, the context's
// error when the context ended the run. Defined in package js.
type LimitError = js.LimitError

// Undefined is the Value of a SafeResult whose code returned undefined (or
// nothing), as opposed to null, which is nil. Defined in package js.
type Undefined = js.Undefined

// ConsoleLine is one console call a sandboxed snippet made: Level, Text.
// Defined in package js.
type ConsoleLine = js.ConsoleLine

// SafeResult is what a sandboxed run returned: Value (JSON data; nil for
// null, Undefined{} for undefined), Console, Duration. Defined in package
// js.
type SafeResult = js.SafeResult

// SafeOptions are a sandbox's limits; zero fields take the defaults.
type SafeOptions struct {
	// MemoryLimit is how many bytes the VM may allocate. Default 64 MiB.
	// A result's JSON form may be at most a quarter of it, in characters
	// (the "result" limit): copying it out holds the value, its JSON and a
	// UTF-8 copy in the VM at once.
	MemoryLimit int64
	// TimeLimit bounds a run's wall time; the context's deadline applies
	// too. Default 1 s.
	TimeLimit time.Duration
	// StackLimit is the stack recursion may use, in bytes of native
	// QuickJS stack (1 MiB is about 5000 plain JavaScript frames). Values
	// above 4 MiB are capped so that no setting can overflow the Go stack.
	// Default 256 KiB.
	StackLimit int64
	// ConsoleLimit is how many bytes of console output a run may write,
	// each line's break counting one. Default 64 KiB.
	ConsoleLimit int
	// ConsoleLineLimit is how many console lines a run may write.
	// Default 1000.
	ConsoleLineLimit int
}

// DefaultSafeOptions are the limits a zero SafeOptions field takes; a
// server may use them as the ceilings of what its clients ask for.
func DefaultSafeOptions() SafeOptions {
	return SafeOptions{
		MemoryLimit: sandbox.DefaultMemory, TimeLimit: sandbox.DefaultTime, StackLimit: sandbox.DefaultStack,
		ConsoleLimit: sandbox.DefaultConsole, ConsoleLineLimit: sandbox.DefaultConsoleLines,
	}
}

func (o SafeOptions) limits() sandbox.Limits {
	return sandbox.Limits{Memory: o.MemoryLimit, Time: o.TimeLimit, Stack: o.StackLimit, Console: o.ConsoleLimit, ConsoleLines: o.ConsoleLineLimit}.Defaults()
}

// SafeContext is a checked, compiled snippet that can run many times, each
// run in a fresh QuickJS VM. Safe for concurrent use.
type SafeContext struct {
	rt   *Runtime
	prog *sandbox.Program
	lim  sandbox.Limits
}

// CreateSafeContext checks and compiles code for repeated runs. code is a
// function body (return and await allowed) that reads its variables from
// `context`; a syntax error, or text that tries to close the function it is
// given, is a *SourceError.
func (rt *Runtime) CreateSafeContext(code string, opts SafeOptions) (*SafeContext, error) {
	prog, err := sandbox.Compile(code)
	if err != nil {
		return nil, err
	}
	return &SafeContext{rt: rt, prog: prog, lim: opts.limits()}, nil
}

// Run executes the snippet with vars as `context`. Variables must be
// JSON-compatible: functions, channels and cycles are rejected with an error
// naming the variable. The run has no access to the host: no require or
// modules, no files or network, no timers, nothing of the Runtime's modules
// or of other runs.
func (sc *SafeContext) Run(ctx context.Context, vars map[string]any) (SafeResult, error) {
	res, err := sc.prog.Run(ctx, vars, sc.lim)
	sc.rt.sandboxRuns.Add(1)
	if errors.Is(err, ErrLimit) {
		sc.rt.sandboxBreaches.Add(1)
	}
	return res, err
}

// ExecuteSafe checks, compiles and runs code once with the default limits.
// See CreateSafeContext and SafeContext.Run.
func (rt *Runtime) ExecuteSafe(ctx context.Context, code string, vars map[string]any) (SafeResult, error) {
	sc, err := rt.CreateSafeContext(code, SafeOptions{})
	if err != nil {
		return SafeResult{}, err
	}
	return sc.Run(ctx, vars)
}
