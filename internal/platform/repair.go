package platform

import (
	"fmt"

	"github.com/dop251/goja"
)

// asyncIterator is Symbol.asyncIterator, which goja lacks. One symbol
// serves every realm, as goja's own well-known symbols do. esbuild's
// lowering of async generators and for-await looks the symbol up at run
// time (falling back to Symbol.for("Symbol.asyncIterator") when there is
// none), so the code it made finds this one.
var asyncIterator = goja.NewSymbol("Symbol.asyncIterator")

// repairEngine fills gaps of the goja engine that real code runs into.
func repairEngine(vm *goja.Runtime) error {
	sym := vm.Get("Symbol").ToObject(vm)
	if v := sym.Get("asyncIterator"); v == nil || goja.IsUndefined(v) {
		if err := sym.DefineDataProperty("asyncIterator", asyncIterator, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE); err != nil {
			return fmt.Errorf("platform: Symbol.asyncIterator: %w", err)
		}
	}
	if err := repairTypedArrayFrom(vm); err != nil {
		return err
	}
	if err := repairSort(vm); err != nil {
		return err
	}
	return repairRegExp(vm)
}

// repairTypedArrayFrom makes %TypedArray%.from take a primitive source as
// the language says (Uint8Array.from('abc', f) iterates the string; a
// number is an empty array-like): goja's throws "Value is not an object".
// Objects go to goja's own, unchanged.
func repairTypedArrayFrom(vm *goja.Runtime) error {
	ta := vm.Get("Int8Array").ToObject(vm).Prototype()
	orig, ok := goja.AssertFunction(ta.Get("from"))
	if !ok {
		return fmt.Errorf("platform: %%TypedArray%%.from is not a function")
	}
	arrayFrom, _ := goja.AssertFunction(vm.Get("Array").ToObject(vm).Get("from"))
	from := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		args := call.Arguments
		if len(args) > 0 {
			if _, isObj := args[0].(*goja.Object); !isObj && !goja.IsUndefined(args[0]) && !goja.IsNull(args[0]) {
				// The same list the language's own steps see: a string's
				// code points (its iterator), nothing for another primitive
				// (no iterator, no length).
				list, err := arrayFrom(goja.Undefined(), args[0])
				if err != nil {
					panic(err)
				}
				args = append([]goja.Value{list}, args[1:]...)
			}
		}
		v, err := orig(call.This, args...)
		if err != nil {
			panic(err)
		}
		return v
	}).ToObject(vm)
	_ = from.DefineDataProperty("name", vm.ToValue("from"), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	_ = from.DefineDataProperty("length", vm.ToValue(1), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	return ta.DefineDataProperty("from", from, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
}
