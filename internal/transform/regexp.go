package transform

import (
	"reflect"
	"strings"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/hotmod/hotmod/internal/platform"
)

// expandRegExps rewrites the \p{...} and \P{...} of every unicode-mode
// regular expression literal of prog as the character classes they name
// (platform.ExpandPropertyEscapes): goja would read them as the letter p
// and match nothing. A property ECMAScript does not know is a syntax error
// at the literal, as in Node (mapped: prog's positions go through a source
// map). Only a text that holds one pays for the walk.
func expandRegExps(name, text string, prog *ast.Program, mapped bool) error {
	if !mayHavePropertyEscape(text) {
		return nil
	}
	var err error
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if err != nil {
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			if re, ok := v.Interface().(*ast.RegExpLiteral); ok {
				if strings.ContainsRune(re.Flags, 'u') && platform.HasPropertyEscape(re.Pattern) {
					expanded, e := platform.ExpandPropertyEscapes(re.Pattern)
					if e != nil {
						p := prog.File.Position(int(re.Idx) - prog.File.Base())
						if mapped {
							p.Column++ // a source map's columns are 0-based
						}
						err = &SourceError{File: name, Line: p.Line, Column: p.Column,
							Message: "Invalid regular expression: /" + re.Pattern + "/" + re.Flags + ": " + e.Error()}
						return
					}
					re.Pattern = expanded
				}
				return
			}
			if _, ok := v.Interface().(*file.File); ok {
				return
			}
			walk(v.Elem())
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		}
	}
	walk(reflect.ValueOf(prog))
	return err
}

// mayHavePropertyEscape reports whether text holds a \p{ or \P{ that a
// regular expression literal could read as a property escape: one after
// an odd run of backslashes. In a literal, backslashes pair up as escapes,
// so after an even run the p is a plain letter; and a string that builds
// a pattern for `new RegExp` writes the backslash doubled (zod's emoji
// pattern, `\\p{Extended_Pictographic}`), which needs no rewriting here.
// The walk over the whole syntax tree that a match costs was 4-5 ms of
// each of zod's cached loads, for no literal at all.
func mayHavePropertyEscape(text string) bool {
	if !platform.HasPropertyEscape(text) {
		return false // the common case, in one fast search
	}
	for i := 2; i < len(text); i++ {
		if text[i] != '{' || (text[i-1] != 'p' && text[i-1] != 'P') || text[i-2] != '\\' {
			continue
		}
		n := 0
		for b := i - 2; b >= 0 && text[b] == '\\'; b-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
	}
	return false
}
