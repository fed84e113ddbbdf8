package engine

import (
	"github.com/dop251/goja"
)

// Outcome is how a promise settled, already converted to Go.
type Outcome struct {
	Value any
	Err   error
}

// Settle inspects v. If it is not a promise, or one already settled, the
// outcome is returned at once (done = true). Otherwise a handler is attached
// and the outcome arrives on the channel once the promise settles, with
// convert applied to a fulfilled value under the lock; a nil convert is
// FromJS. Call with the lock held.
func (r *Realm) Settle(v goja.Value, convert func(goja.Value) (any, error)) (out Outcome, ch <-chan Outcome, done bool) {
	if convert == nil {
		convert = r.fromJS // the method value r.FromJS would be an allocation per call
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		val, err := convert(v)
		return Outcome{val, err}, nil, true
	}
	p := AsPromise(obj)
	if p == nil {
		val, err := convert(v)
		return Outcome{val, err}, nil, true
	}
	switch p.State() {
	case goja.PromiseStateFulfilled:
		val, err := convert(p.Result())
		return Outcome{val, err}, nil, true
	case goja.PromiseStateRejected:
		delete(r.rejections, p) // handled here, not unhandled
		return Outcome{Err: FromValue(p.Result())}, nil, true
	}
	c := make(chan Outcome, 1)
	onFulfilled := r.vm.ToValue(func(call goja.FunctionCall) goja.Value {
		val, err := convert(call.Argument(0))
		c <- Outcome{val, err}
		return goja.Undefined()
	})
	onRejected := r.vm.ToValue(func(call goja.FunctionCall) goja.Value {
		c <- Outcome{Err: FromValue(call.Argument(0))}
		return goja.Undefined()
	})
	if _, err := r.then(obj, onFulfilled, onRejected); err != nil {
		return Outcome{Err: Err(err)}, nil, true
	}
	return Outcome{}, c, false
}

// OnSettle calls fn when the promise settles, without changing what its
// other handlers see. Call with the lock held.
func (r *Realm) OnSettle(promise *goja.Object, fn func(rejected bool)) {
	ok := r.vm.ToValue(func(goja.FunctionCall) goja.Value { fn(false); return goja.Undefined() })
	fail := r.vm.ToValue(func(goja.FunctionCall) goja.Value { fn(true); return goja.Undefined() })
	_, _ = r.then(promise, ok, fail)
}

// AsPromise is obj as a promise, or nil. It asks the object's export type
// first: Export itself would copy a whole array or object (of a length the
// module chose) only to find it is not a promise.
func AsPromise(obj *goja.Object) *goja.Promise {
	if obj == nil || obj.ExportType() != typePromise {
		return nil
	}
	p, _ := obj.Export().(*goja.Promise)
	return p
}
