package engine

import (
	"errors"
	"fmt"
	"github.com/hotmod/hotmod/js"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// ErrStackOverflow matches errors from runaway recursion.
var ErrStackOverflow = errors.New("JavaScript call stack exceeded")

// JSError is js.JSError: the engine makes them.
type JSError = js.JSError

// Err turns what goja returns into hotmod's errors: exceptions become
// *JSError, stack overflows match ErrStackOverflow; other errors pass as is.
// Call it with the realm lock held (it reads the thrown value).
func Err(err error) error {
	if err == nil {
		return nil
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return fmt.Errorf("%w (raise Options.MaxCallStackSize if the recursion is meant)%s", ErrStackOverflow, at(so.Stack()))
	}
	var ex *goja.Exception
	if errors.As(err, &ex) && !isInterrupt(err) {
		e := FromValue(ex.Value())
		for _, f := range ex.Stack() {
			if p := f.Position(); p.Filename != "" && p.Line > 0 {
				e.File, e.Line, e.Column = p.Filename, p.Line, column(p.Filename, p.Line, p.Column)
				break
			}
		}
		return e
	}
	return err
}

func isInterrupt(err error) bool {
	var ie *goja.InterruptedError
	return errors.As(err, &ie)
}

func at(frames []goja.StackFrame) string {
	for _, f := range frames {
		if p := f.Position(); p.Filename != "" {
			return fmt.Sprintf(" at %s:%d:%d", p.Filename, p.Line, column(p.Filename, p.Line, p.Column))
		}
	}
	return ""
}

// FromValue describes a thrown or rejected value. For an Error object the
// place comes from the first frame of its stack.
func FromValue(v goja.Value) *JSError {
	e := &JSError{}
	obj, ok := v.(*goja.Object)
	if !ok || v == nil {
		e.Message = describe(v)
		return e
	}
	if name := obj.Get("name"); name != nil && !goja.IsUndefined(name) {
		e.Name = name.String()
	}
	if e.Name == "RangeError" { // the one name a limit of the realm throws
		e.Err = limitOf(obj)
	} else if c := obj.Get("value"); c != nil {
		if c, ok := c.Export().(goCause); ok {
			e.Err = c.error
		}
	}
	if msg := obj.Get("message"); msg != nil && !goja.IsUndefined(msg) {
		e.Message = msg.String()
	} else {
		e.Message = describe(v)
	}
	if st := obj.Get("stack"); st != nil && !goja.IsUndefined(st) {
		e.Stack = cleanStack(st.String())
		e.File, e.Line, e.Column = firstFrame(e.Stack)
	}
	return e
}

// NewError makes the Error to throw for err, a Go error from the program's
// own code (a host function's): its message is err's text, and FromValue
// gives err back to Go when it escapes. Other Go errors thrown in a realm (a
// failed require, say) are the runtime's and carry only their text, so that
// what they wrap does not pass for the caller's failure.
func NewError(vm *goja.Runtime, err error) *goja.Object {
	// goja's GoError is its one way to make an Error without the global
	// Error, which a module may have replaced. JavaScript cannot make a
	// goCause, so only Go decides what reaches Go as the cause; to the
	// module this is a plain Error.
	obj := vm.NewGoError(goCause{err})
	_ = obj.DefineDataProperty("name", vm.ToValue("Error"), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	_ = obj.DefineDataProperty("value", obj.Get("value"), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	return obj
}

// goCause marks the Go errors NewError throws.
type goCause struct{ error }

// cleanStack rewrites goja's frames ("at f (/m/a.js:3:8(12))", with a
// 0-based column once source-mapped, as all module code is, and a program
// counter) into the familiar "at f (/m/a.js:3:9)".
func cleanStack(stack string) string {
	lines := strings.Split(stack, "\n")
	for i, line := range lines {
		file, ln, col := frameOf(line)
		if file == "" {
			continue
		}
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		body := strings.TrimSpace(line)
		name := ""
		if j := strings.LastIndex(body, " ("); j >= 0 {
			name = strings.TrimPrefix(body[:j], "at ") + " "
		}
		if name != "" {
			lines[i] = fmt.Sprintf("%sat %s(%s:%d:%d)", indent, name, file, ln, column(file, ln, col))
		} else {
			lines[i] = fmt.Sprintf("%sat %s:%d:%d", indent, file, ln, column(file, ln, col))
		}
	}
	return strings.Join(lines, "\n")
}

// PatchFile starts the file name of a patch's program. A patch is compiled
// by goja without a source map, so goja's columns in it are 1-based (they
// are 0-based in source-mapped module code), and its first line starts with
// the "(" hotmod wraps it in.
const PatchFile = "patch:"

// column is the 1-based column of goja's position col in file.
func column(file string, line, col int) int {
	if strings.HasPrefix(file, PatchFile) {
		if line == 1 {
			col-- // the wrapper's "("
		}
		return max(col, 1)
	}
	return col + 1
}

// firstFrame reads "file:line:col" from the first module frame of a stack
// cleaned by cleanStack.
func firstFrame(stack string) (string, int, int) {
	for line := range strings.SplitSeq(stack, "\n") {
		if file, ln, col := frameOf(line); file != "" {
			return file, ln, col
		}
	}
	return "", 0, 0
}

// frameOf parses one stack line; "" when it is not a frame in a module.
func frameOf(line string) (string, int, int) {
	line = strings.TrimSpace(line)
	rest, ok := strings.CutPrefix(line, "at ")
	if !ok {
		return "", 0, 0
	}
	if i := strings.LastIndex(rest, " ("); i >= 0 {
		rest = rest[i+2:]
	}
	rest = strings.TrimSuffix(rest, ")")
	if i := strings.LastIndexByte(rest, '('); i >= 0 {
		rest = rest[:i] // drop goja's program counter
	}
	parts := strings.Split(rest, ":")
	if len(parts) < 3 {
		return "", 0, 0
	}
	col, err1 := strconv.Atoi(parts[len(parts)-1])
	ln, err2 := strconv.Atoi(parts[len(parts)-2])
	file := strings.Join(parts[:len(parts)-2], ":")
	if err1 == nil && err2 == nil && (strings.HasPrefix(file, "/") || strings.HasPrefix(file, PatchFile)) {
		return file, ln, col
	}
	return "", 0, 0
}

func describe(v goja.Value) string {
	if v == nil {
		return "undefined"
	}
	return v.String()
}
