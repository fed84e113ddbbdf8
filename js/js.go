// Package js holds what JavaScript hands back to Go through hotmod: its
// exceptions and syntax errors, why it was stopped, values that have no Go
// counterpart, and what a sandboxed run returns. The hotmod package names
// these same types (hotmod.JSError is js.JSError), so either name works
// with errors.As.
package js

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SourceError is a syntax or transform error at a place in a module's
// original source: use it with errors.As to show the user where.
type SourceError struct {
	File     string         // the store path of the source
	Line     int            // 1-based
	Column   int            // 1-based, counting bytes
	Message  string         // what is wrong there
	LineText string         // the source line, when known
	More     []*SourceError // further errors in the same source
}

func (e *SourceError) Error() string {
	msg := fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
	if n := len(e.More); n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return msg
}

// JSError is a JavaScript exception seen from Go: what was thrown, and
// where, in the original source (source maps applied). Use it with
// errors.As on what a call or load returns.
type JSError struct {
	Name    string // "TypeError", "Error", ... or "" for a thrown non-Error
	Message string
	Stack   string // JavaScript stack, one "at ..." frame a line
	File    string // where it was thrown; empty when no frame had a place
	Line    int    // 1-based
	Column  int    // 1-based
	// Err is what hotmod knows is behind the exception: the Go error a
	// host function returned or panicked with, or the limit of the realm
	// that threw it (ErrTooManyTimers), so that errors.Is and errors.As see
	// it through the JavaScript that let it pass; nil for every other.
	Err error
}

func (e *JSError) Error() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Column)
	}
	if e.Name != "" {
		b.WriteString(e.Name)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap gives Err.
func (e *JSError) Unwrap() error { return e.Err }

// ErrTooManyTimers matches the exception setTimeout, setInterval and
// setImmediate throw when the module version calling them already has
// Options.MaxTimers timers pending: a RangeError in JavaScript, a *JSError
// whose Err is this in Go. It is a *LimitError too (Limit "timers"), so
// errors.Is(err, ErrLimit) holds, as for every other bound.
var ErrTooManyTimers error = &LimitError{Limit: "timers", InModule: true,
	Detail: "too many timers pending in one module version (Options.MaxTimers)"}

// TimeoutError is returned when JavaScript was stopped before it finished:
// its context ended (it matches the context's error), it ran past its
// limit (Limit is set; it matches context.DeadlineExceeded), or the realm
// closed (it matches hotmod.ErrClosed).
type TimeoutError struct {
	Err   error         // why: the context's error, context.DeadlineExceeded, or ErrClosed
	Limit time.Duration // the limit it ran past, when that was the reason
	// File, Line and Column are where it was stopped, in the original
	// source (source maps applied); File is empty when no frame had one.
	File         string
	Line, Column int
}

func (e *TimeoutError) Error() string {
	msg := "javascript interrupted: " + e.Err.Error()
	if e.Limit > 0 {
		msg = fmt.Sprintf("javascript interrupted: ran past its %v limit", e.Limit)
	}
	if e.File != "" {
		msg += fmt.Sprintf(" (at %s:%d:%d)", e.File, e.Line, e.Column)
	}
	return msg
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Function stands for a JavaScript function in a value returned to Go
// (functions do not cross): its name, as JSON {"function": name}.
type Function struct {
	Name string `json:"function"`
}

// ErrLimit matches every limit breach, a sandbox's or a module's (each is
// a *LimitError).
var ErrLimit = errors.New("limit exceeded")

// LimitError says which limit a sandboxed run or a module broke. Use it
// with errors.As to tell the user which one; errors.Is(err, ErrLimit)
// holds for all.
type LimitError struct {
	// Limit is, for a sandbox, "memory", "time", "stack", "console" or "result" (a result
	// too large to copy out);
	// for a module, "result" (Options.MaxResultSize), "memory"
	// (Options.MaxMemory) or "timers" (Options.MaxTimers).
	Limit  string
	Detail string // what happened, with the limit's value
	Err    error  // the context's error, when the context ended the run
	// InModule is true for a module's limits, false for a sandbox's.
	InModule bool
}

func (e *LimitError) Error() string {
	if e.InModule {
		return fmt.Sprintf("%s limit exceeded: %s", e.Limit, e.Detail)
	}
	return fmt.Sprintf("hotmod: sandbox %s limit exceeded: %s", e.Limit, e.Detail)
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Unwrap gives the context's error when the context ended the run.
func (e *LimitError) Unwrap() error { return e.Err }

// Undefined is the value of a sandboxed snippet that returned undefined
// (or nothing), kept apart from null, which is nil. It is null in JSON.
type Undefined struct{}

func (Undefined) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// ConsoleLine is one console call a sandboxed snippet made.
type ConsoleLine struct {
	Level string `json:"level"` // "log", "info", "warn", "error", "debug"
	Text  string `json:"text"`
}

// SafeResult is what a sandboxed run returned: Value is JSON data (nil for
// null, Undefined{} for undefined; numbers are int64 when integral, else
// float64), Console the captured console output, Duration the run's time
// (durationMs in JSON).
type SafeResult struct {
	Value    any           `json:"value"`
	Console  []ConsoleLine `json:"console"`
	Duration time.Duration `json:"-"`
}

// MarshalJSON writes Duration as durationMs, and no console output as [].
func (r SafeResult) MarshalJSON() ([]byte, error) {
	type plain SafeResult
	if r.Console == nil {
		r.Console = []ConsoleLine{}
	}
	return json.Marshal(struct {
		plain
		DurationMS float64 `json:"durationMs"`
	}{plain(r), float64(r.Duration) / float64(time.Millisecond)})
}
