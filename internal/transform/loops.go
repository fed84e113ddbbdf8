package transform

import (
	"reflect"
	"strings"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/token"
)

// loopMark is the name markEmptyLoops reads. Nothing defines it; reading it
// with typeof never throws.
const loopMark = "__hotmodLoop"

// markEmptyLoops gives every empty loop with a constant condition
// (while (true) {}, for (;;) {}, do {} while (1)) a body that goja maps to
// the loop's own position.
//
// goja records a source position only where it compiles an expression. It
// folds a constant condition away and an empty body compiles to nothing, so
// such a loop is a lone jump with no position of its own: an interrupt
// there (a timeout, the usual fate of such a loop) reported the position of
// the last expression compiled before the loop, on an earlier line or, after
// esbuild's source map, a line the file does not have. `typeof __hotmodLoop`
// is compiled (an undeclared name cannot be folded), cannot throw and has
// no effect; it costs a lookup per turn of a loop that does nothing else.
// A loop with a body or a variable condition already has positions.
func markEmptyLoops(prog *ast.Program, text string) {
	if !strings.Contains(text, "while") && !strings.Contains(text, "for") {
		return
	}
	walk(reflect.ValueOf(prog), func(n any) {
		switch l := n.(type) {
		case *ast.WhileStatement:
			if constant(l.Test) && empty(l.Body) {
				l.Body = loopBody(l.While)
			}
		case *ast.DoWhileStatement:
			if constant(l.Test) && empty(l.Body) {
				l.Body = loopBody(l.Do)
			}
		case *ast.ForStatement:
			if (l.Test == nil || constant(l.Test)) && l.Update == nil && empty(l.Body) {
				l.Body = loopBody(l.For)
			}
		}
	})
}

func loopBody(at file.Idx) ast.Statement {
	return &ast.ExpressionStatement{Expression: &ast.UnaryExpression{
		Operator: token.TYPEOF, Idx: at, Operand: &ast.Identifier{Idx: at, Name: loopMark},
	}}
}

// constant reports whether goja folds e away: literals and operators on
// them (while (1), while (!0)).
func constant(e ast.Expression) bool {
	switch e := e.(type) {
	case *ast.BooleanLiteral, *ast.NumberLiteral, *ast.StringLiteral, *ast.NullLiteral:
		return true
	case *ast.UnaryExpression:
		return !e.Postfix && e.Operator != token.TYPEOF && e.Operator != token.DELETE && constant(e.Operand)
	case *ast.BinaryExpression:
		return constant(e.Left) && constant(e.Right)
	}
	return false
}

// empty reports whether s compiles to no code: ; or {} or { ; }.
func empty(s ast.Statement) bool {
	switch s := s.(type) {
	case *ast.EmptyStatement:
		return true
	case *ast.BlockStatement:
		for _, st := range s.List {
			if _, ok := st.(*ast.EmptyStatement); !ok {
				return false
			}
		}
		return true
	}
	return false
}
