package vfs

import "time"

// Option configures a store. Each option says which stores it applies to;
// the others ignore it.
type Option func(*options)

type options struct {
	historyDepth int
	window       time.Duration
	lockTimeout  time.Duration
}

// DefaultHistoryDepth is how many revisions of a path Mem and Bolt keep.
const DefaultHistoryDepth = 50

// DefaultCoalesceWindow is how long Dir waits for a burst of file system
// events on one path to settle before it reports one event.
const DefaultCoalesceWindow = 25 * time.Millisecond

func buildOptions(opts []Option) options {
	o := options{historyDepth: DefaultHistoryDepth, window: DefaultCoalesceWindow, lockTimeout: time.Second}
	for _, fn := range opts {
		fn(&o)
	}
	return o
}

// WithHistoryDepth sets how many revisions per path Mem and Bolt keep
// (at least 1; deletions count as revisions).
func WithHistoryDepth(n int) Option {
	return func(o *options) { o.historyDepth = max(n, 1) }
}

// WithCoalesceWindow sets Dir's coalescing window (at least 1 ms).
func WithCoalesceWindow(d time.Duration) Option {
	return func(o *options) { o.window = max(d, time.Millisecond) }
}

// WithLockTimeout sets how long OpenBolt waits for another process to
// release the database file before failing with ErrLocked.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = max(d, time.Millisecond) }
}
