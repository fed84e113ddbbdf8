//go:build !linux

package hotmod_test

import "time"

const cpuMetered = false

func processCPU() time.Duration { return 0 }
func threadCPU() time.Duration  { return 0 }
