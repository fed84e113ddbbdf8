package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// writeJSON answers v as JSON with status. It encodes before it writes, so
// a value JSON cannot hold is an error the caller turns into an error
// answer, never a status already sent with an empty or cut body.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		return fmt.Errorf("encoding the answer as JSON: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return nil
}

// unrepresentable names the first value inside v, data that came out of
// JavaScript (see hotmod.Module.Call), that JSON cannot hold, with its place
// below the name at: "result.items[2] is NaN: JSON cannot hold it". It is ""
// when there is none. Go can hold NaN and the infinities, so Call returns
// them; only an answer in JSON has to refuse them.
func unrepresentable(v any, at string) string {
	switch x := v.(type) {
	case float64:
		return nonFinite(x, at)
	case float32:
		return nonFinite(float64(x), at)
	case time.Time:
		// RFC 3339, which encoding/json writes a time in, has four-digit years.
		if y := x.Year(); y < 0 || y > 9999 {
			return fmt.Sprintf("%s is a Date in the year %d: JSON's dates (RFC 3339) cannot hold it", at, y)
		}
	case []any:
		for i, e := range x {
			if s := unrepresentable(e, fmt.Sprintf("%s[%d]", at, i)); s != "" {
				return s
			}
		}
	case [][2]any: // a Map whose keys are not all strings: its entries
		for i, kv := range x {
			for j, e := range kv {
				if s := unrepresentable(e, fmt.Sprintf("%s[%d][%d]", at, i, j)); s != "" {
					return s
				}
			}
		}
	case map[string]any:
		// Sorted, so that the same value always names the same place.
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if s := unrepresentable(x[k], member(at, k)); s != "" {
				return s
			}
		}
	}
	return ""
}

func nonFinite(f float64, at string) string {
	var what string
	switch {
	case math.IsNaN(f):
		what = "NaN"
	case math.IsInf(f, 1):
		what = "Infinity"
	case math.IsInf(f, -1):
		what = "-Infinity"
	default:
		return ""
	}
	return at + " is " + what + ": JSON cannot hold it"
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// member is the JavaScript expression for property k of at.
func member(at, k string) string {
	if identifier.MatchString(k) {
		return at + "." + k
	}
	return at + "[" + strconv.Quote(k) + "]"
}
