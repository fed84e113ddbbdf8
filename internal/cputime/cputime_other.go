//go:build !linux

// Package cputime reads the CPU time of the process and of the calling
// thread, for benchmarks that report CPU per call beside wall time: on a
// shared machine the wall figures move with other work, CPU time much
// less.
package cputime

import "time"

// Metered reports whether this platform measures CPU time; here it does
// not, and Process and Thread return 0.
const Metered = false

// Process is the CPU time of the process: 0 here.
func Process() time.Duration { return 0 }

// Thread is the CPU time of the calling thread: 0 here.
func Thread() time.Duration { return 0 }
