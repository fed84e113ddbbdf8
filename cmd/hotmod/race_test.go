//go:build race

package main

// raceEnabled: the race detector slows goja five to ten times; tests that
// time loads against a bound run in .ci/run's step without it.
const raceEnabled = true
