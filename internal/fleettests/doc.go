// Package fleettests holds the tests that run hotmod runtimes as a fleet on
// an in-process NATS server. It has no code of its own.
//
// They live here rather than in package hotmod because `go mod tidy` in a
// program loads the tests of every package the program imports: as tests
// of package hotmod, they put nats-server (and its own dependencies) into
// the go.sum of every program that imports hotmod, and made its tidy fail
// offline. Nobody imports this package, so its test imports reach no one.
package fleettests
