package hotmod

import (
	"errors"
	"fmt"

	"github.com/hotmod/hotmod/internal/engine"
	"github.com/hotmod/hotmod/js"
	"github.com/hotmod/hotmod/vfs"
)

// Sentinel errors, usable with errors.Is. Their texts have no "hotmod:"
// prefix: they are always wrapped in a sentence that says what failed
// ("call pricing.quote: ..."), and a program or the CLI adds its own.
var (
	// ErrNotFound: no module has that id, or its source is missing (then
	// the error also matches vfs.ErrNotFound).
	ErrNotFound = errors.New("not found")
	// ErrExists: CreateModule with an id already in use.
	ErrExists = errors.New("module already exists")
	// ErrClosed: the Runtime is closed.
	ErrClosed = engine.ErrClosed
	// ErrRemoved: the handle's module was removed (RemoveModule, Cleanup).
	ErrRemoved = errors.New("module was removed")
	// ErrNotLoaded: the module has no version yet: its first load failed
	// (the error also carries that failure) or is still under way.
	ErrNotLoaded = errors.New("module is not loaded")
	// ErrNoExport: Get, Set or Call of a name the module does not export.
	// A Call's error also matches ErrNotFunction, which it matched before
	// ErrNoExport did, so that existing checks keep working.
	ErrNoExport = errors.New("no such export")
	// ErrNotFunction: Call of an export that is not a function (and, for
	// compatibility, of a name that is not exported at all: see ErrNoExport).
	ErrNotFunction = errors.New("not a function")
	// ErrReadOnly: Set of an export the module does not let others change.
	ErrReadOnly = errors.New("export is read-only")
	// ErrVersionNotKept: RollbackModule to a version that is not kept.
	ErrVersionNotKept = errors.New("version is not kept")
	// ErrDeclined is no longer returned: a module whose version called
	// hot.decline() reloads with its importers (README, import.meta.hot).
	ErrDeclined = errors.New("module declined hot updates")
	// ErrStackOverflow: runaway recursion in JavaScript.
	ErrStackOverflow = engine.ErrStackOverflow
	// ErrConvert: a value cannot cross between Go and JavaScript.
	ErrConvert = engine.ErrConvert
	// ErrInvalidID: an empty or over-long module id.
	ErrInvalidID = errors.New("invalid module id")
	// ErrTooManyTimers: a module started a timer while its version had
	// Options.MaxTimers pending, and did not catch the RangeError. The
	// error is also a *JSError.
	ErrTooManyTimers = js.ErrTooManyTimers
)

// noExportToCall is the error of a Call of a missing export: it is
// ErrNoExport, as documented, and ErrNotFunction, which callers checked
// before ErrNoExport was returned there. Its text is the sentence alone
// ("m has no export ..."): a sentinel's text before it would say the same
// thing twice.
type noExportToCall struct{ msg string }

func (e *noExportToCall) Error() string { return e.msg }
func (e *noExportToCall) Is(target error) bool {
	return target == ErrNoExport || target == ErrNotFunction
}

// SourceError is a syntax or transform error at a place in a module's
// original source: File, Line, Column (1-based), Message, LineText, More.
// Defined in package js, with its fields documented there.
type SourceError = js.SourceError

// JSError is a JavaScript exception: Name, Message, Stack, and File, Line,
// Column where it was thrown in the original source. Defined in package js.
type JSError = js.JSError

// TimeoutError is JavaScript stopped before it finished: Err (the
// context's error, context.DeadlineExceeded or ErrClosed), Limit, and
// File, Line, Column where it was stopped. Defined in package js.
type TimeoutError = js.TimeoutError

// Function stands for a JavaScript function in a value returned to Go.
// Defined in package js.
type Function = js.Function

// ReloadError says which module and which step of a load, reload or
// rollback failed. The running version is untouched when it is returned.
type ReloadError struct {
	Module  string
	Path    string // the module's source path
	Version int    // the version that was serving and still serves (0 for a first load)
	// Step is where it failed: "read", "compile", "evaluate", "accept",
	// "verify" (__verifyHotReload, Options.Verify or a sibling test file),
	// "imports" or "transaction" (another module of the
	// transaction failed).
	Step string
	Err  error
}

func (e *ReloadError) Error() string {
	what := "load " + e.Module
	if e.Version != 0 {
		what = fmt.Sprintf("reload of %s (version %d keeps serving)", e.Module, e.Version)
	}
	if e.Step == "read" && e.Path != "" && errors.Is(e.Err, vfs.ErrNotFound) {
		// The store's own wording ("vfs: file not found: /x.js") would be a
		// second sentence for one fact.
		return fmt.Sprintf("%s failed: source %s not found", what, e.Path)
	}
	return fmt.Sprintf("%s failed at %s: %v", what, e.Step, e.Err)
}

func (e *ReloadError) Unwrap() error { return e.Err }

// Position is a place in a module's original source.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// PositionOf returns where err happened in a module's source, if it says.
func PositionOf(err error) (Position, bool) {
	var se *SourceError
	if errors.As(err, &se) && se.File != "" {
		return Position{se.File, se.Line, se.Column}, true
	}
	var je *JSError
	if errors.As(err, &je) && je.File != "" {
		return Position{je.File, je.Line, je.Column}, true
	}
	var ie *ImportError
	if errors.As(err, &ie) {
		return Position{ie.File, ie.Line, ie.Column}, true
	}
	var te *TimeoutError
	if errors.As(err, &te) && te.File != "" {
		return Position{te.File, te.Line, te.Column}, true
	}
	return Position{}, false
}
