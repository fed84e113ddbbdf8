package builtins

import (
	"testing"

	"github.com/dop251/goja"
)

// Every built-in evaluates, and require of each gives the same object
// twice within one Set.
func TestEveryBuiltinEvaluates(t *testing.T) {
	vm := goja.New()
	s := NewSet(vm, nil)
	for _, n := range Names() {
		v, err := s.Require(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		again, _ := s.Require(n)
		if v != again {
			t.Errorf("%s evaluated twice", n)
		}
	}
	if _, ok := Lookup("fs"); ok {
		t.Error("fs is not provided")
	}
	if !IsNode("fs") || IsNode("lodash") {
		t.Error("IsNode")
	}
}
