package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hotmod/hotmod/server"
)

// nonJSON is a module whose results JSON cannot hold, at the top and inside.
const nonJSON = `
export const nan = () => NaN
export const inf = () => Infinity
export const negInf = () => -Infinity
export const inArray = () => ({ items: [1, 2, NaN] })
export const inObject = () => [{ ok: 1, "a b": { deep: [-Infinity] } }]
export const inMap = () => new Map([[1, Infinity]])
export const farDate = () => ({ when: new Date(8.64e15) })
export const fine = () => ({ n: 1.5, big: 1e308, tiny: -0 })
`

// A call whose result JSON cannot hold (NaN, Infinity, -Infinity) is a
// clear 422 naming the value and where it is, never a 200 with an empty or
// invalid body; the module keeps serving.
func TestCallResultJSONCannotHold(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Write(context.Background(), "/nonjson.js", []byte(nonJSON)); err != nil {
		t.Fatal(err)
	}
	expect(t, f.do("POST", "/api/modules", map[string]any{"id": "nonjson", "path": "/nonjson.js"}), 201, "")
	for fn, want := range map[string]string{
		"nan":      "result is NaN: JSON cannot hold it",
		"inf":      "result is Infinity: JSON cannot hold it",
		"negInf":   "result is -Infinity: JSON cannot hold it",
		"inArray":  "result.items[2] is NaN: JSON cannot hold it",
		"inObject": `result[0]["a b"].deep[0] is -Infinity: JSON cannot hold it`,
		"inMap":    "result[0][1] is Infinity: JSON cannot hold it",
		"farDate":  "result.when is a Date in the year 275760",
	} {
		r := f.do("POST", "/api/modules/nonjson/call", map[string]any{"function": fn})
		if r.status != 422 {
			t.Errorf("%s: status %d, want 422: %q", fn, r.status, r.body)
			continue
		}
		if code := r.errCode(t); code != "unrepresentable_result" {
			t.Errorf("%s: code %q, want unrepresentable_result", fn, code)
		}
		if msg := r.errMessage(t); !strings.Contains(msg, want) {
			t.Errorf("%s: %q, want it to say %q", fn, msg, want)
		}
	}
	r := f.do("POST", "/api/modules/nonjson/call", map[string]any{"function": "fine"})
	expect(t, r, 200, "")
	var res server.CallResponse
	if err := json.Unmarshal(r.body, &res); err != nil || res.Version != 1 {
		t.Errorf("a result JSON can hold: %s (%v)", r.body, err)
	}
}

// A custom event whose data JSON cannot hold still reaches /events as JSON,
// saying what was left out, instead of an event with empty data.
func TestCustomEventDataJSONCannotHold(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Write(context.Background(), "/sender.js", []byte(
		"export const send = () => import.meta.hot.send('tick', { rate: NaN })")); err != nil {
		t.Fatal(err)
	}
	expect(t, f.do("POST", "/api/modules", map[string]any{"id": "sender", "path": "/sender.js"}), 201, "")
	stream := f.events("")
	expect(t, f.do("POST", "/api/modules/sender/call", map[string]any{"function": "send"}), 200, "")
	ev := stream.until("custom")
	var got map[string]any
	if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
		t.Fatalf("the event's data is not JSON: %q", ev.data)
	}
	if got["name"] != "tick" || !strings.Contains(got["error"].(string), "data.rate is NaN: JSON cannot hold it") {
		t.Errorf("the event: %s", ev.data)
	}
}
