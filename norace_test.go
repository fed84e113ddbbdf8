//go:build !race

package hotmod_test

const raceEnabled = false
