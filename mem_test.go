package hotmod_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// soak skips a test of thousands of iterations unless HOTMOD_SOAK=1:
// .ci/run runs them in a step of their own, without the race detector.
func soak(t *testing.T) {
	t.Helper()
	if os.Getenv("HOTMOD_SOAK") != "1" {
		t.Skip("a soak test: set HOTMOD_SOAK=1 to run it")
	}
}

// memNow returns the Go heap after a full collection, and the resident set
// size (which includes QuickJS's memory, allocated outside the Go heap).
func memNow() (heap, rss uint64) {
	var ms runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			rss = pages * uint64(os.Getpagesize())
		}
	}
	return ms.HeapAlloc, rss
}
