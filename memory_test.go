package hotmod_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// goja has no heap limit of its own: Options.MaxMemory bounds how much the
// heap grows while one piece of JavaScript runs.

func TestMaxMemoryStopsARunawayAllocation(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/hog.js": `export function hog() { const a = []; for (;;) a.push('x'.repeat(1e6) + a.length) }
export const small = () => Array(1000).fill(1).length`,
		"/m/other.js": "export const hi = () => 'hi'",
	}, func(o *hotmod.Options) {
		o.MaxMemory = 64 << 20
		o.CallTimeout = 20 * time.Second
		o.LoadTimeout = 20 * time.Second
	})
	hog := e.create("hog", "/m/hog.js")
	other := e.create("other", "/m/other.js")
	var err error
	start := time.Now()
	within(t, 15*time.Second, "a call that allocates without end", func() { _, err = hog.Call(context.Background(), "hog") })
	var le *hotmod.LimitError
	if !errors.As(err, &le) || le.Limit != "memory" || !errors.Is(err, hotmod.ErrLimit) ||
		!strings.Contains(err.Error(), "Options.MaxMemory") || !strings.Contains(err.Error(), "/m/hog.js:1:") {
		t.Fatalf("call = %v, want a memory LimitError with the position", err)
	}
	t.Logf("stopped after %v: %v", time.Since(start), err)
	if got := e.call(hog, "small"); got != int64(1000) {
		t.Errorf("the same module after: %v", got)
	}
	if got := e.call(other, "hi"); got != "hi" {
		t.Errorf("another module after: %v", got)
	}
	// The same at load time.
	e.write("/m/boot.js", "const a = []; for (;;) a.push('y'.repeat(1e6) + a.length)")
	_, err = e.rt.CreateModule(context.Background(), "boot", "/m/boot.js")
	if !errors.As(err, &le) || le.Limit != "memory" {
		t.Errorf("a load that allocates without end: %v", err)
	}
}

// At the default limits, a module that allocates without end is stopped
// before the process runs out of memory. It runs in a child process, so
// that a failure cannot take the test binary down.
func TestEndlessAllocationAtDefaultLimitsLeavesTheProcessUp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a child process that allocates a gigabyte")
	}
	if os.Getenv("HOTMOD_HOG_CHILD") == "1" {
		e := newEnv(t, map[string]string{
			"/m/hog.js": "export function hog() { const a = []; for (;;) a.push('x'.repeat(1e7) + a.length) }",
		})
		hog := e.create("hog", "/m/hog.js")
		_, err := hog.Call(context.Background(), "hog")
		var le *hotmod.LimitError
		var te *hotmod.TimeoutError
		if !errors.As(err, &le) && !errors.As(err, &te) {
			t.Fatalf("call = %v, want a memory or time bound", err)
		}
		t.Logf("stopped by: %v", err)
		return
	}
	for _, line := range inChildProcess(t, "HOTMOD_HOG_CHILD") {
		if strings.Contains(line, "stopped by") {
			t.Log(strings.TrimSpace(line))
		}
	}
}
