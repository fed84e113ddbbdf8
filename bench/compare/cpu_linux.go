package main

import (
	"syscall"
	"time"
)

const cpuMetered = true

// processCPU and threadCPU are the CPU time (user and system) of the
// process and of the calling thread.
func processCPU() time.Duration { return rusage(syscall.RUSAGE_SELF) }
func threadCPU() time.Duration  { return rusage(1) } // RUSAGE_THREAD

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
