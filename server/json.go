package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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
