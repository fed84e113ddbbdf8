package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// errBadJSONArg marks a command-line value that looks like JSON but is not:
// passing it on as a string would move the typo into the module, where it
// surfaces as a confusing failure far from its cause.
var errBadJSONArg = errors.New("is not valid JSON")

// jsonArg turns one command-line value into JSON. A value that starts like
// a JSON array, object or string must be valid JSON; any other word that is
// not JSON (alice, 1.2.3) is taken as a string, so plain words need no
// quoting in the shell. what names the value in the error ("argument 2").
func jsonArg(what, s string) (json.RawMessage, error) {
	if json.Valid([]byte(s)) {
		return json.RawMessage(s), nil
	}
	t := strings.TrimLeft(s, " \t\r\n")
	if t == "" || !strings.ContainsRune(`[{"`, rune(t[0])) {
		b, _ := json.Marshal(s)
		return b, nil
	}
	var v any
	err := json.Unmarshal([]byte(s), &v)
	off := len(s) // an unexpected end is at the end
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && !strings.HasPrefix(se.Error(), "unexpected end") {
		off = int(se.Offset) - 1 // Offset counts the offending byte
	}
	off = min(off, len(s))
	line := 1 + strings.Count(s[:off], "\n")
	col := off - strings.LastIndexByte(s[:off], '\n') // 1-based
	reason := strings.TrimPrefix(err.Error(), "json: ")
	if off == len(s) {
		reason = "the text ends before the JSON value does"
	}
	return nil, &jsonArgError{what: what, line: line, col: col, offset: off, reason: reason, before: s[max(off-col+1, off-20):off]}
}

// jsonArgError says where in one argument JSON parsing stopped.
type jsonArgError struct {
	what              string
	line, col, offset int // 1-based line and column; offset is the byte offset from 0
	reason, before    string
}

func (e *jsonArgError) Error() string {
	pos := fmt.Sprintf("line %d column %d", e.line, e.col)
	if e.line == 1 {
		pos = fmt.Sprintf("column %d", e.col)
	}
	return fmt.Sprintf("%s %s at %s (after %s): %s; to pass text that starts with [, { or \", write it as a JSON string",
		e.what, errBadJSONArg, pos, e.before, e.reason)
}

func (e *jsonArgError) Unwrap() error { return errBadJSONArg }
