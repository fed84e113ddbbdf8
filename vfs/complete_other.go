//go:build !linux

package vfs

import "errors"

var errUnsupported = errors.New("vfs: no completion events on this system")

// completions is Linux-only (inotify's IN_CLOSE_WRITE); elsewhere Dir waits
// out its coalescing window for every change.
type completions struct{}

func newCompletions() (*completions, error) { return nil, errUnsupported }

func (c *completions) add(string) error      { return nil }
func (c *completions) events() <-chan string { return nil }
func (c *completions) close()                {}
