package hotmod_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// A call's result is copied into Go values: a module must not choose how
// much the process allocates, nor hold the realm past its bound while the
// copy runs.

const sparseModule = "export function f() { const a = []; a.length = 2**32 - 1; return a }"

// TestSparseArrayResultDoesNotCrashTheProcess runs the call in a child
// process: before the bound, the conversion allocated a Go slice of
// 2^32-1 elements and the runtime died with "fatal error: out of memory",
// which would take this test binary down with it.
func TestSparseArrayResultDoesNotCrashTheProcess(t *testing.T) {
	if os.Getenv("HOTMOD_SPARSE_CHILD") == "1" {
		e := newEnv(t, map[string]string{"/m/s.js": sparseModule})
		s := e.create("s", "/m/s.js")
		_, err := s.Call(context.Background(), "f")
		var le *hotmod.LimitError
		if !errors.As(err, &le) || le.Limit != "result" || !errors.Is(err, hotmod.ErrLimit) {
			t.Fatalf("call = %v, want a result LimitError", err)
		}
		if !strings.Contains(err.Error(), "4294967295 elements") {
			t.Errorf("the error does not say how large: %v", err)
		}
		return
	}
	inChildProcess(t, "HOTMOD_SPARSE_CHILD")
}

// inChildProcess runs the test that calls it again in a child process,
// with env set to 1 there, and fails with the child's fatal error if it
// died: for a test whose failure could take the test binary down (an out
// of memory). The test itself does its work when env is 1.
func inChildProcess(t *testing.T, env string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := string(out)
		if i := strings.Index(tail, "fatal error"); i >= 0 {
			tail = tail[i:min(len(tail), i+300)]
		}
		t.Fatalf("the child process failed (%v): %s", err, tail)
	}
	return strings.Split(string(out), "\n")
}

func TestLargeResultsAreRefusedByMaxResultSize(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/big.js": `
export function holes() { const a = []; a.length = 3e7; return a }
export function long() { return 'x'.repeat(2 ** 20) }
export function wide() { const o = {}; for (let i = 0; i < 2000; i++) o['k' + i] = i; return o }
export function nested() { return [Array(600).fill(1), Array(600).fill(2)] }
export function map() { const m = new Map(); for (let i = 0; i < 2000; i++) m.set('k' + i, i); return m }
export function bytes() { return new Uint8Array(2 ** 20) }
export function fits() { return { a: Array(100).fill('y'), s: 'z'.repeat(1000) } }
`}, func(o *hotmod.Options) {
		o.MaxResultSize = hotmod.ResultSize{Elements: 1000, Bytes: 1 << 16}
	})
	big := e.create("big", "/m/big.js")
	for fn, want := range map[string]string{
		"holes":  "an array of 30000000 elements",
		"long":   "a string of 1048576 bytes",
		"wide":   "more than 1000 elements",
		"nested": "more than 1000 elements",
		"map":    "more than 1000 elements",
		"bytes":  "a Uint8Array of 1048576 bytes",
	} {
		var err error
		within(t, 5*time.Second, "call "+fn, func() { _, err = big.Call(context.Background(), fn) })
		var le *hotmod.LimitError
		if !errors.As(err, &le) || le.Limit != "result" || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a result LimitError saying %q", fn, err, want)
		}
	}
	if _, err := big.Call(context.Background(), "fits"); err != nil {
		t.Errorf("a result within the bounds: %v", err)
	}
}

// Without an element bound, a large copy still stops at the call's time
// bound instead of holding the realm until it is done.
func TestLargeResultCopyStopsAtCallTimeout(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/big.js":   "export function holes() { const a = []; a.length = 1e7; return a }",
		"/m/other.js": "export const hi = () => 'hi'",
	}, short, func(o *hotmod.Options) { o.MaxResultSize = hotmod.ResultSize{Elements: -1} })
	big := e.create("big", "/m/big.js")
	other := e.create("other", "/m/other.js")
	var err error
	start := time.Now()
	within(t, 10*time.Second, "a copy of 1e7 holes", func() { _, err = big.Call(context.Background(), "holes") })
	var te *hotmod.TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call = %v (after %v), want a TimeoutError at CallTimeout", err, time.Since(start))
	}
	t.Logf("stopped after %v (CallTimeout 200ms)", time.Since(start))
	if got := e.call(other, "hi"); got != "hi" {
		t.Errorf("another module after: %v", got)
	}
}
