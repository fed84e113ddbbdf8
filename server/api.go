package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/vfs"
)

// apiError is an error with its HTTP status and a stable code.
type apiError struct {
	status  int
	code    string
	message string
}

func (e apiError) Error() string { return e.message }

// ErrorBody is the shape of every error response.
type ErrorBody struct {
	Error struct {
		Code     string           `json:"code"`
		Message  string           `json:"message"`
		Position *hotmod.Position `json:"position,omitempty"`
	} `json:"error"`
}

// classify maps an error to a status and a code.
func classify(err error) (int, string) {
	err = outsideJS{err}
	var ae apiError
	var mbe *http.MaxBytesError
	var re *hotmod.ReloadError
	var se *hotmod.SourceError
	var je *hotmod.JSError
	var te *hotmod.TimeoutError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.code
	case errors.Is(err, hotmod.ErrNotLoaded):
		return http.StatusConflict, "not_loaded"
	case errors.As(err, &te) && te.Limit > 0:
		// The module ran past LoadTimeout or CallTimeout: its own doing,
		// not the request's deadline.
		return http.StatusUnprocessableEntity, "ran_too_long"
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, hotmod.ErrLimit):
		return http.StatusUnprocessableEntity, "limit"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "timeout"
	case errors.Is(err, hotmod.ErrNotFound), errors.Is(err, vfs.ErrNotFound), errors.Is(err, hotmod.ErrRemoved):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, vfs.ErrOutsideRoot):
		// A symbolic link in a Dir store that leads out of its folder: the
		// path names something the store will not serve, which is the
		// client's to fix (or the folder's owner's), not a server fault.
		return http.StatusForbidden, "outside_root"
	case errors.Is(err, hotmod.ErrVersionNotKept):
		return http.StatusNotFound, "version_not_kept"
	case errors.Is(err, hotmod.ErrNoCanary):
		return http.StatusNotFound, "no_canary"
	case errors.Is(err, hotmod.ErrExists), errors.Is(err, vfs.ErrConflict):
		return http.StatusConflict, "conflict"
	case errors.Is(err, hotmod.ErrStalePatch):
		return http.StatusConflict, "stale_patch"
	case errors.Is(err, hotmod.ErrReadOnly):
		return http.StatusConflict, "read_only"
	case errors.Is(err, hotmod.ErrDeclined):
		return http.StatusConflict, "declined"
	case errors.Is(err, hotmod.ErrNotFunction):
		return http.StatusBadRequest, "not_function"
	case errors.Is(err, hotmod.ErrInvalidID), errors.Is(err, vfs.ErrInvalidPath), errors.Is(err, hotmod.ErrConvert),
		errors.Is(err, hotmod.ErrSandboxInput), errors.Is(err, hotmod.ErrInvalidPatch), errors.Is(err, hotmod.ErrInvalidName),
		errors.Is(err, hotmod.ErrInvalidCanary):
		return http.StatusBadRequest, "invalid"
	case errors.As(err, &re):
		return http.StatusUnprocessableEntity, "reload_failed"
	case errors.As(err, &se):
		return http.StatusUnprocessableEntity, "syntax_error"
	case errors.As(err, &je):
		return http.StatusUnprocessableEntity, "js_error"
	case errors.Is(err, hotmod.ErrSandboxResult):
		return http.StatusUnprocessableEntity, "bad_result"
	case errors.Is(err, hotmod.ErrClosed), errors.Is(err, vfs.ErrClosed):
		return http.StatusServiceUnavailable, "closed"
	}
	return http.StatusInternalServerError, "internal"
}

// outsideJS is err's chain up to what JavaScript threw, and no further: a
// *JSError wraps the Go error of a host function that JavaScript let pass,
// and that error (a store's "not found", a context's deadline) is the
// module's failure, not what the request did.
type outsideJS struct{ err error }

func (o outsideJS) Error() string { return o.err.Error() }

func (o outsideJS) Is(target error) bool {
	if x, ok := o.err.(interface{ Is(error) bool }); ok && x.Is(target) {
		return true
	}
	return target != nil && reflect.TypeOf(target).Comparable() && o.err == target
}

func (o outsideJS) As(target any) bool {
	if t := reflect.ValueOf(target).Elem(); reflect.TypeOf(o.err).AssignableTo(t.Type()) {
		t.Set(reflect.ValueOf(o.err))
		return true
	}
	x, ok := o.err.(interface{ As(any) bool })
	return ok && x.As(target)
}

func (o outsideJS) Unwrap() []error {
	var inner []error
	switch x := o.err.(type) {
	case *hotmod.JSError:
	case interface{ Unwrap() error }:
		inner = []error{x.Unwrap()}
	case interface{ Unwrap() []error }:
		inner = x.Unwrap()
	}
	var out []error
	for _, e := range inner {
		if e != nil {
			out = append(out, outsideJS{e})
		}
	}
	return out
}

func writeError(w http.ResponseWriter, err error) {
	status, code := classify(err)
	var body ErrorBody
	body.Error.Code, body.Error.Message = code, err.Error()
	if p, ok := hotmod.PositionOf(err); ok {
		body.Error.Position = &p
	}
	_ = writeJSON(w, status, body) // strings and ints: it always encodes
}

// apiHandler bounds the request's time and turns a returned error into the
// error shape.
func (s *Server) apiHandler(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
		defer cancel()
		// A body read does not watch the context: without this deadline a
		// client trickling its body in keeps the handler past the timeout
		// (an embedder's http.Server may have no ReadTimeout at all).
		// Recorders and HTTP/2 streams without deadlines just decline.
		deadline, _ := ctx.Deadline()
		_ = http.NewResponseController(w).SetReadDeadline(deadline)
		if err := h(w, r.WithContext(ctx)); err != nil {
			// The server's own failures are errors; a client's mistakes
			// (and its timeouts) are the client's to see, not the log's.
			if status, _ := classify(err); status >= 500 && status != http.StatusGatewayTimeout {
				s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			} else {
				s.log.Debug("api request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
			}
			writeError(w, err)
		}
	})
}

// decode reads a JSON body of at most limit bytes into v, rejecting other
// content types, unknown fields and trailing data.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return apiError{http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return errSlowBody
		}
		return apiError{http.StatusBadRequest, "invalid", "reading the JSON body: " + err.Error()}
	}
	if dec.More() {
		return apiError{http.StatusBadRequest, "invalid", "the JSON body has data after its value"}
	}
	return nil
}

// errSlowBody is the error for a body that did not arrive within the
// request's timeout: the client's fault, not the server's.
var errSlowBody = apiError{http.StatusRequestTimeout, "request_timeout", "the request body did not arrive within the request timeout"}

// requireJSON is for actions that take no parameters: it refuses a request
// without a JSON content type even when it has no body (a cross-site form
// cannot send one), and any body but an empty object.
func requireJSON(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return apiError{http.StatusUnsupportedMediaType, "unsupported_media_type", "send Content-Type: application/json"}
	}
	if r.ContentLength == 0 {
		return nil
	}
	var none struct{}
	return decode(w, r, 1<<10, &none)
}

// ModuleDetail is a module's stats with its exports, and which of them are
// functions (the ones a call can name).
type ModuleDetail struct {
	hotmod.ModuleStats
	Exports   []string `json:"exports"`
	Functions []string `json:"functions"`
}

func (s *Server) detail(ctx context.Context, m *hotmod.Module) (ModuleDetail, error) {
	d := ModuleDetail{ModuleStats: m.Stats(), Exports: []string{}, Functions: []string{}}
	names, err := m.Exports(ctx)
	if errors.Is(err, hotmod.ErrNotLoaded) {
		return d, nil // listed with its state and error, and no exports
	}
	if err != nil {
		return d, err
	}
	if names != nil {
		d.Exports = names
	}
	fns, err := m.Functions(ctx)
	if errors.Is(err, hotmod.ErrNotLoaded) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	d.Functions = fns
	return d, nil
}

func (s *Server) module(r *http.Request) (*hotmod.Module, error) {
	return s.rt.Module(r.PathValue("id"))
}

// listModules lists every module, or those named by ?id= (any number):
// a module that is not there is left out rather than a 404, so that the
// dashboard can ask after a module that was just removed, or is on its
// first load, without an error in the browser's console. "fleet" says
// whether GET /api/fleet has anything to say, for the same reason.
func (s *Server) listModules(w http.ResponseWriter, r *http.Request) error {
	out := []ModuleDetail{}
	only := r.URL.Query()["id"]
	for _, m := range s.rt.Modules() {
		if len(only) > 0 && !slices.Contains(only, m.ID()) {
			continue
		}
		d, err := s.detail(r.Context(), m)
		if errors.Is(err, hotmod.ErrRemoved) {
			continue
		}
		if err != nil {
			return err
		}
		out = append(out, d)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"modules": out, "realms": s.rt.Realms(), "fleet": s.opts.Fleet != nil})
}

func (s *Server) createModule(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ID       string `json:"id"`
		Path     string `json:"path"`
		Isolated bool   `json:"isolated,omitempty"` // a realm of its own (hotmod.Isolated)
	}
	if err := decode(w, r, s.opts.MaxArgsBytes, &req); err != nil {
		return err
	}
	var opts []hotmod.ModuleOption
	if req.Isolated {
		opts = append(opts, hotmod.Isolated())
	}
	m, err := s.rt.CreateModule(r.Context(), req.ID, req.Path, opts...)
	if err != nil {
		return err
	}
	d, err := s.detail(r.Context(), m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

func (s *Server) getModule(w http.ResponseWriter, r *http.Request) error {
	m, err := s.module(r)
	if err != nil {
		return err
	}
	d, err := s.detail(r.Context(), m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) removeModule(w http.ResponseWriter, r *http.Request) error {
	if err := s.rt.RemoveModule(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// CallRequest is the body of a call.
type CallRequest struct {
	Function string            `json:"function"`
	Args     []json.RawMessage `json:"args"`
	// Key names the caller (user, tenant) for a module with a canary: the
	// keys in its share are served by the canary (Module.CallKey).
	Key string `json:"key,omitempty"`
}

// CallResponse is a call's result.
type CallResponse struct {
	Result     any     `json:"result"`
	Version    int     `json:"version"`
	DurationMS float64 `json:"durationMs"`
}

func (s *Server) callModule(w http.ResponseWriter, r *http.Request) error {
	m, err := s.module(r)
	if err != nil {
		return err
	}
	var req CallRequest
	if err := decode(w, r, s.opts.MaxArgsBytes, &req); err != nil {
		return err
	}
	if req.Function == "" {
		return apiError{http.StatusBadRequest, "invalid", `"function" is required`}
	}
	args := make([]any, len(req.Args))
	for i, a := range req.Args {
		if err := checkNumbers(a); err != nil {
			return apiError{http.StatusBadRequest, "invalid", fmt.Sprintf("argument %d: %v", i+1, err)}
		}
		args[i] = a
	}
	start := time.Now()
	version := m.VersionForKey(req.Key)
	res, err := m.CallKey(r.Context(), req.Key, req.Function, args...)
	if err != nil {
		return err
	}
	if msg := unrepresentable(res, "result"); msg != "" {
		return apiError{http.StatusUnprocessableEntity, "unrepresentable_result", fmt.Sprintf("call %s.%s: %s", m.ID(), req.Function, msg)}
	}
	return writeJSON(w, http.StatusOK, CallResponse{Result: res, Version: version, DurationMS: ms(time.Since(start))})
}

// CanaryRequest starts a canary or sets its percentage.
type CanaryRequest struct {
	Percent int `json:"percent"`
	// Source, if set, is the canary's source; else the store's (and if a
	// canary runs, only its percentage changes).
	Source *string `json:"source,omitempty"`
}

func (s *Server) startCanary(w http.ResponseWriter, r *http.Request) error {
	m, err := s.module(r)
	if err != nil {
		return err
	}
	var req CanaryRequest
	if err := decode(w, r, s.opts.MaxSourceBytes, &req); err != nil {
		return err
	}
	if req.Source != nil {
		err = m.CanarySource(r.Context(), []byte(*req.Source), req.Percent)
	} else {
		err = m.Canary(r.Context(), req.Percent)
	}
	if err != nil {
		return err
	}
	return s.getModule(w, r)
}

func (s *Server) promoteCanary(w http.ResponseWriter, r *http.Request) error {
	if err := requireJSON(w, r); err != nil {
		return err
	}
	m, err := s.module(r)
	if err != nil {
		return err
	}
	if err := m.Promote(r.Context()); err != nil {
		return err
	}
	return s.getModule(w, r)
}

func (s *Server) abortCanary(w http.ResponseWriter, r *http.Request) error {
	m, err := s.module(r)
	if err != nil {
		return err
	}
	if err := m.Abort(r.Context()); err != nil {
		return err
	}
	return s.getModule(w, r)
}

// checkNumbers rejects a JSON value holding a number that does not fit a
// float64 (1e999): JavaScript would not see the number that was sent, and
// the conversion into the realm would fail as if the server were at fault.
// It reads tokens, so its cost is linear in the size of the value whatever
// its nesting.
func checkNumbers(raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n, ok := tok.(json.Number); ok {
			if _, err := strconv.ParseFloat(string(n), 64); err != nil {
				return fmt.Errorf("the number %s is out of range: numbers must fit a 64-bit float (about ±1.8e308)", n)
			}
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (s *Server) reloadModule(w http.ResponseWriter, r *http.Request) error {
	if err := requireJSON(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.rt.ReloadModule(r.Context(), id); err != nil {
		return err
	}
	return s.getModule(w, r)
}

func (s *Server) rollbackModule(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Version int `json:"version"`
	}
	if err := decode(w, r, s.opts.MaxArgsBytes, &req); err != nil {
		return err
	}
	m, err := s.module(r)
	if err != nil {
		return err
	}
	// 0 is the newest kept version before the current one, for the API as
	// for the Go API.
	if err := s.rt.RollbackModule(r.Context(), m.ID(), req.Version); err != nil {
		return err
	}
	return s.getModule(w, r)
}

// VersionSource is a kept version and the source it runs.
type VersionSource struct {
	Version int       `json:"version"`
	Served  time.Time `json:"served"`
	TookMS  float64   `json:"tookMs"`
	Serving bool      `json:"serving"`
	Source  string    `json:"source"`
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	m, err := s.module(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return apiError{http.StatusBadRequest, "invalid", fmt.Sprintf("version %q is not a version number (1, 2, ...)", r.PathValue("n"))}
	}
	src, err := m.Source(n)
	if err != nil {
		return err
	}
	out := VersionSource{Version: n, Source: src}
	for _, v := range m.Versions() {
		if v.Version == n {
			out.Served, out.TookMS, out.Serving = v.Served, ms(v.Took), v.Serving
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) createPatch(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Function string `json:"function"`
		Source   string `json:"source"`
	}
	if err := decode(w, r, s.opts.MaxSourceBytes, &req); err != nil {
		return err
	}
	p, err := s.rt.PatchFunction(r.Context(), r.PathValue("id"), req.Function, req.Source)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, patchBody(p))
}

func patchBody(p *hotmod.Patch) map[string]any {
	return map[string]any{"id": p.ID(), "module": p.Module(), "function": p.Function(), "version": p.Version(), "state": p.State(), "created": p.Created()}
}

func (s *Server) deletePatch(w http.ResponseWriter, r *http.Request) error {
	p, err := s.rt.LookupPatch(r.PathValue("pid"))
	if err != nil {
		return err
	}
	if err := p.RollbackContext(r.Context()); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, patchBody(p))
}

// SandboxRequest runs a snippet. A limit of 0 takes the library default or
// the server's maximum (Options.SandboxMax), whichever is lower; a limit
// above the maximum is refused.
type SandboxRequest struct {
	Code   string         `json:"code"`
	Vars   map[string]any `json:"vars"`
	Limits struct {
		MemoryBytes  int64 `json:"memoryBytes"`
		TimeMS       int64 `json:"timeMs"`
		StackBytes   int64 `json:"stackBytes"`
		ConsoleBytes int   `json:"consoleBytes"`
		ConsoleLines int   `json:"consoleLines"`
	} `json:"limits"`
}

// sandboxLimits checks a request's limits against the server's maxima, so
// that no client can make a run take more memory, time or output than the
// operator allowed.
func (s *Server) sandboxLimits(req SandboxRequest) (hotmod.SafeOptions, error) {
	most, def := s.opts.SandboxMax, DefaultSandboxMax()
	check := func(name string, got, most, def int64, unit string) (int64, error) {
		switch {
		case got < 0:
			return 0, apiError{http.StatusBadRequest, "invalid", fmt.Sprintf("limits.%s must not be negative (0 takes the default)", name)}
		case got > most:
			return 0, apiError{http.StatusBadRequest, "invalid", fmt.Sprintf("limits.%s is %d %s, above this server's maximum of %d %s", name, got, unit, most, unit)}
		case got == 0:
			return min(def, most), nil
		}
		return got, nil
	}
	mem, err := check("memoryBytes", req.Limits.MemoryBytes, most.MemoryLimit, def.MemoryLimit, "bytes")
	if err != nil {
		return hotmod.SafeOptions{}, err
	}
	// Checked in milliseconds before converting, so that no request can
	// overflow a Duration; the default is taken as a Duration, so that a
	// maximum under 1 ms is not rounded to none.
	timeMS, err := check("timeMs", req.Limits.TimeMS, most.TimeLimit.Milliseconds(), def.TimeLimit.Milliseconds(), "ms")
	if err != nil {
		return hotmod.SafeOptions{}, err
	}
	timeLimit := time.Duration(timeMS) * time.Millisecond
	if req.Limits.TimeMS == 0 {
		timeLimit = min(def.TimeLimit, most.TimeLimit)
	}
	stack, err := check("stackBytes", req.Limits.StackBytes, most.StackLimit, def.StackLimit, "bytes")
	if err != nil {
		return hotmod.SafeOptions{}, err
	}
	console, err := check("consoleBytes", int64(req.Limits.ConsoleBytes), int64(most.ConsoleLimit), int64(def.ConsoleLimit), "bytes")
	if err != nil {
		return hotmod.SafeOptions{}, err
	}
	lines, err := check("consoleLines", int64(req.Limits.ConsoleLines), int64(most.ConsoleLineLimit), int64(def.ConsoleLineLimit), "lines")
	if err != nil {
		return hotmod.SafeOptions{}, err
	}
	return hotmod.SafeOptions{MemoryLimit: mem, TimeLimit: timeLimit, StackLimit: stack, ConsoleLimit: int(console), ConsoleLineLimit: int(lines)}, nil
}

// SandboxResponse is a snippet's outcome.
type SandboxResponse struct {
	Value      any                  `json:"value"`
	Undefined  bool                 `json:"undefined"`
	Console    []hotmod.ConsoleLine `json:"console"`
	DurationMS float64              `json:"durationMs"`
}

func (s *Server) sandbox(w http.ResponseWriter, r *http.Request) error {
	var req SandboxRequest
	if err := decode(w, r, s.opts.MaxArgsBytes, &req); err != nil {
		return err
	}
	limits, err := s.sandboxLimits(req)
	if err != nil {
		return err
	}
	sc, err := s.rt.CreateSafeContext(req.Code, limits)
	if err != nil {
		return err
	}
	res, err := sc.Run(r.Context(), req.Vars)
	if err != nil {
		return err
	}
	_, undef := res.Value.(hotmod.Undefined)
	if res.Console == nil {
		res.Console = []hotmod.ConsoleLine{}
	}
	return writeJSON(w, http.StatusOK, SandboxResponse{Value: res.Value, Undefined: undef, Console: res.Console, DurationMS: ms(res.Duration)})
}

func filePath(r *http.Request) string { return "/" + r.PathValue("path") }

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request) error {
	files, err := s.store.List(r.Context(), r.URL.Query().Get("prefix"))
	if err != nil {
		return err
	}
	if files == nil {
		files = []string{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"files": files})
}

func (s *Server) readFile(w http.ResponseWriter, r *http.Request) error {
	p := filePath(r)
	var data []byte
	var err error
	if rev := r.URL.Query().Get("revision"); rev != "" {
		n, perr := strconv.ParseUint(rev, 10, 64)
		if perr != nil {
			return apiError{http.StatusBadRequest, "invalid", "revision must be a number"}
		}
		h, ok := s.store.(vfs.Historian)
		if !ok {
			return apiError{http.StatusNotImplemented, "not_supported", errNoHistory}
		}
		data, err = h.ReadRevision(r.Context(), p, n)
	} else {
		data, err = s.store.Read(r.Context(), p)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(data)
	return nil
}

func (s *Server) writeFile(w http.ResponseWriter, r *http.Request) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxSourceBytes))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errSlowBody
	}
	if err != nil {
		return err
	}
	p := filePath(r)
	if err := s.store.Write(r.Context(), p, data); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"path": p, "size": len(data)})
}

// FileBatch is the body of POST /api/files: files written as one change, so
// that the modules they touch reload in one transaction.
type FileBatch struct {
	Files []BatchFile `json:"files"`
}

// BatchFile is one file of a FileBatch; Content is base64 in JSON.
type BatchFile struct {
	Path    string `json:"path"`
	Content []byte `json:"content"`
}

// writeFiles writes a batch of files back to back, so that the store's
// watchers see one burst. Every path is checked before anything is
// written, and a write that fails puts back what the batch had already
// changed: the store ends as it was, or with the whole batch.
func (s *Server) writeFiles(w http.ResponseWriter, r *http.Request) error {
	var batch FileBatch
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opts.MaxBatchBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&batch); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return errSlowBody
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return apiError{http.StatusBadRequest, "bad_request", "body: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return apiError{http.StatusBadRequest, "bad_request", "body: data after the batch"}
	}
	if len(batch.Files) == 0 {
		return apiError{http.StatusBadRequest, "bad_request", "files: at least one file is needed"}
	}
	seen := map[string]bool{}
	for i, f := range batch.Files {
		if err := vfs.ValidatePath(f.Path); err != nil {
			return apiError{http.StatusBadRequest, "bad_request", fmt.Sprintf("files[%d]: %v", i, err)}
		}
		if seen[f.Path] {
			return apiError{http.StatusBadRequest, "bad_request", fmt.Sprintf("files[%d]: %s is in the batch twice", i, f.Path)}
		}
		seen[f.Path] = true
		if int64(len(f.Content)) > s.opts.MaxSourceBytes {
			return apiError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("files[%d]: %s is over %d bytes", i, f.Path, s.opts.MaxSourceBytes)}
		}
	}
	// Undo needs what each path held; a store that cannot say refuses the
	// batch before it changes anything.
	ctx := r.Context()
	type before struct {
		data   []byte
		absent bool
	}
	prev := make([]before, len(batch.Files))
	for i, f := range batch.Files {
		data, err := s.store.Read(ctx, f.Path)
		switch {
		case errors.Is(err, vfs.ErrNotFound):
			prev[i].absent = true
		case err != nil:
			return err
		default:
			prev[i].data = data
		}
	}
	// However long the writes take, the runtime sees them as one change.
	release := s.rt.HoldReloads(ctx)
	defer release()
	for i, f := range batch.Files {
		if err := s.store.Write(ctx, f.Path, f.Content); err != nil {
			undo := context.WithoutCancel(ctx)
			for j := i - 1; j >= 0; j-- {
				p := batch.Files[j].Path
				if prev[j].absent {
					_ = s.store.Delete(undo, p)
				} else {
					_ = s.store.Write(undo, p, prev[j].data)
				}
			}
			return fmt.Errorf("files[%d] %s (nothing of the batch was kept): %w", i, f.Path, err)
		}
	}
	total := 0
	for _, f := range batch.Files {
		total += len(f.Content)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"files": len(batch.Files), "size": total})
}

// RescanResponse is what POST /api/rescan did: the ids that serve, and
// why each of the others failed its first load.
type RescanResponse struct {
	Loaded []string          `json:"loaded"`
	Failed map[string]string `json:"failed"`
}

// rescan loads every module source in the store that is not loaded, and
// tries failed ones again.
func (s *Server) rescan(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.rt.LoadAll(r.Context(), "/")
	if err != nil {
		return err
	}
	out := RescanResponse{Loaded: rep.Loaded, Failed: map[string]string{}}
	for id, ferr := range rep.Failed {
		out.Failed[id] = ferr.Error()
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteFile(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.Delete(r.Context(), filePath(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// errNoHistory says what keeps history rather than naming the store's Go
// type, which means nothing to someone at the command line.
const errNoHistory = "this store keeps only the current files, no history (a folder cannot): " +
	"serve a bbolt file (hotmod serve --db FILE) or a NATS bucket (--nats URL) to keep revisions"

func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	h, ok := s.store.(vfs.Historian)
	if !ok {
		return apiError{http.StatusNotImplemented, "not_supported", errNoHistory}
	}
	revs, err := h.History(r.Context(), filePath(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"path": filePath(r), "revisions": revs})
}

func (s *Server) stats(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, s.rt.Stats())
}

func (s *Server) cleanup(w http.ResponseWriter, r *http.Request) error {
	if err := requireJSON(w, r); err != nil {
		return err
	}
	if err := s.rt.Cleanup(r.Context()); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.rt.Stats())
}

// summarize is snap without its sources, for an answer that does not
// need them (GET /api/snapshots/{name} has them).
func summarize(snap hotmod.Snapshot) hotmod.Snapshot {
	mods := make([]hotmod.SnapshotModule, len(snap.Modules))
	for i, m := range snap.Modules {
		m.Source = ""
		mods[i] = m
	}
	snap.Modules = mods
	return snap
}

func (s *Server) listSnapshots(w http.ResponseWriter, r *http.Request) error {
	names, err := s.rt.Snapshots(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"snapshots": names})
}

func (s *Server) takeSnapshot(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, s.opts.MaxArgsBytes, &req); err != nil {
		return err
	}
	snap, err := s.rt.Snapshot(r.Context(), req.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, summarize(snap))
}

func (s *Server) getSnapshot(w http.ResponseWriter, r *http.Request) error {
	snap, err := s.rt.ReadSnapshot(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, snap)
}

func (s *Server) restoreSnapshot(w http.ResponseWriter, r *http.Request) error {
	if err := requireJSON(w, r); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := s.rt.Restore(r.Context(), name); err != nil {
		return err
	}
	snap, err := s.rt.ReadSnapshot(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, summarize(snap))
}

func (s *Server) fleet(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Fleet == nil {
		return apiError{http.StatusNotFound, "not_supported", "this server is not part of a fleet (hotmod serve --nats)"}
	}
	nodes, err := s.opts.Fleet(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"nodes": nodes})
}

func (s *Server) rollouts() (*fleet.Rollouts, error) {
	if s.opts.Rollouts == nil {
		return nil, apiError{http.StatusNotFound, "not_supported", "this server is not part of a fleet (hotmod serve --nats)"}
	}
	return s.opts.Rollouts, nil
}

func (s *Server) startRollout(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.rollouts()
	if err != nil {
		return err
	}
	var req fleet.Rollout
	if err := decode(w, r, s.opts.MaxSourceBytes, &req); err != nil {
		return err
	}
	ro, err := rs.Start(r.Context(), req)
	if err != nil {
		return rolloutError(err)
	}
	return writeJSON(w, http.StatusCreated, ro)
}

func (s *Server) promoteRollout(w http.ResponseWriter, r *http.Request) error {
	return s.endRollout(w, r, true)
}

func (s *Server) abortRollout(w http.ResponseWriter, r *http.Request) error {
	return s.endRollout(w, r, false)
}

func (s *Server) endRollout(w http.ResponseWriter, r *http.Request, promote bool) error {
	rs, err := s.rollouts()
	if err != nil {
		return err
	}
	var req struct {
		Path   string `json:"path"`
		Reason string `json:"reason,omitempty"`
		Force  bool   `json:"force,omitempty"` // promote over newer puts
	}
	if err := decode(w, r, s.opts.MaxArgsBytes, &req); err != nil {
		return err
	}
	var ro fleet.Rollout
	switch {
	case promote && req.Force:
		ro, err = rs.ForcePromote(r.Context(), req.Path)
	case promote:
		ro, err = rs.Promote(r.Context(), req.Path)
	default:
		ro, err = rs.Abort(r.Context(), req.Path, cmp.Or(req.Reason, "aborted by hand"))
	}
	if err != nil {
		return rolloutError(err)
	}
	return writeJSON(w, http.StatusOK, ro)
}
