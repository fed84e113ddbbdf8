package hotmod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Call calls the exported function fn of m, as Module.Call does, and
// converts its result into a T by JSON's rules: a struct by its json tags,
// numbers into any numeric type that holds them. A result that does not fit
// is an error naming the field:
//
//	type Quote struct{ Total float64 `json:"total"` }
//	q, err := hotmod.Call[Quote](ctx, pricing, "quote", items)
//
// Module.Call itself returns JavaScript values as nil (null and undefined),
// bool, string, int64 (integral numbers that fit), float64, []any,
// map[string]any, time.Time (Date), []byte (Uint8Array) or a Function.
func Call[T any](ctx context.Context, m *Module, fn string, args ...any) (T, error) {
	var zero T
	out, err := m.Call(ctx, fn, args...)
	if err != nil {
		return zero, err
	}
	v, err := convertInto(out, reflect.TypeFor[T]())
	if err != nil {
		return zero, fmt.Errorf("call %s.%s: its result as %T: %w", m.id, fn, zero, err)
	}
	return v.Interface().(T), nil
}

// convertInto converts a value that came from JavaScript into type t by
// JSON's rules.
func convertInto(g any, t reflect.Type) (reflect.Value, error) {
	if g == nil {
		return reflect.Zero(t), nil
	}
	if gv := reflect.ValueOf(g); gv.Type().AssignableTo(t) {
		return gv, nil
	}
	b, err := json.Marshal(g)
	if err != nil {
		return reflect.Value{}, err
	}
	p := reflect.New(t)
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			where := "the value"
			if ute.Field != "" {
				where = "field " + ute.Field
			}
			return reflect.Value{}, fmt.Errorf("%s: a JavaScript %s where %s is wanted", where, ute.Value, ute.Type)
		}
		return reflect.Value{}, err
	}
	return p.Elem(), nil
}
