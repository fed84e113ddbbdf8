package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// An answer that cannot be encoded is an error answer: writeJSON encodes
// before it sends a status, so no handler can send 200 with an empty body.
func TestAnswerJSONCannotHoldIsAnErrorAnswer(t *testing.T) {
	s := &Server{opts: Options{RequestTimeout: time.Second}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h := s.apiHandler(func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, map[string]any{"figure": math.Inf(1)})
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/x", nil))
	var body ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusInternalServerError || body.Error.Code != "internal" {
		t.Errorf("%d %q, want 500 with the error shape", rec.Code, rec.Body)
	}
}
