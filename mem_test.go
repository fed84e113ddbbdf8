package hotmod_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

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
