//go:build race

package hotmod_test

// raceEnabled: the race detector slows goja five to ten times; tests that
// measure a load against a bound run in .ci/run's step without it.
const raceEnabled = true
