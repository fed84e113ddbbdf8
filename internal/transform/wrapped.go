package transform

import "strings"

// PastTheEnd is the message for a syntax error found after the last
// character of code that hotmod wrapped (a sandbox snippet, a patch): the
// parser reports it at the wrapper's closing bracket, which the user never
// wrote, so the message names what the user can fix instead.
const PastTheEnd = "Unexpected end of the code: a bracket, a string or an expression is left open"

// ClampToCode maps a 1-based position in wrapped text, already shifted so
// that line 1 is code's first line, onto code: a position past code's last
// non-blank character (in the wrapper's closing text) becomes the place
// just after it, and past reports that it was moved.
func ClampToCode(code string, line, col int) (l, c int, lineText string, past bool) {
	lines := strings.Split(strings.TrimRight(code, " \t\r\n"), "\n")
	last := len(lines)
	end := len(lines[last-1]) + 1
	switch {
	case line < 1:
		return 1, 1, lines[0], false
	case line > last, line == last && col > end:
		return last, end, lines[last-1], true
	}
	return line, col, lines[line-1], false
}
