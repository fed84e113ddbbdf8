// Package cputime reads the CPU time of the process and of the calling
// thread, for benchmarks that report CPU per call beside wall time: on a
// shared machine the wall figures move with other work, CPU time much
// less.
package cputime

import (
	"syscall"
	"time"
)

// Metered reports whether this platform measures CPU time; elsewhere
// Process and Thread return 0.
const Metered = true

// Process is the CPU time (user and system) of the process.
func Process() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// Thread is the CPU time of the calling thread: pin the goroutine
// (runtime.LockOSThread) for it to mean that goroutine's.
func Thread() time.Duration { return rusage(1) } // RUSAGE_THREAD

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
