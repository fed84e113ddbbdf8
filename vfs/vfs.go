// Package vfs is the virtual file system hotmod loads module sources from.
//
// A Store holds files by absolute, slash-separated paths and reports changes
// through Watch. Three stores ship here: Mem (in memory), Dir (a real folder,
// watched with fsnotify) and Bolt (an embedded bbolt database with per-path
// history). Every store passes the conformance suite in vfs/vfstest, so code
// written against Store behaves the same on each of them.
package vfs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store is a virtual file system. Every method is safe for concurrent use.
//
// Paths follow the rules of ValidatePath. A prefix (for List and Watch) is a
// directory path: "/" or "" selects everything, "/modules" selects
// "/modules/a.js" and "/modules/x/b.js" but not "/modules2/c.js".
type Store interface {
	// Read returns a copy of the file's content, or an error matching
	// ErrNotFound. A directory is not a file.
	Read(ctx context.Context, path string) ([]byte, error)
	// Write replaces the file atomically: a concurrent reader sees the old
	// or the new content, never a mix. It fails with ErrConflict when the
	// path is a directory or one of its parents is a file.
	Write(ctx context.Context, path string, data []byte) error
	// Delete removes the file, or fails with ErrNotFound.
	Delete(ctx context.Context, path string) error
	// List returns the paths of the files under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Watch reports changes under prefix until ctx ends, then closes the
	// channel. See the package documentation of the watch contract in Event.
	Watch(ctx context.Context, prefix string) (<-chan Event, error)
	// Close releases the store; open watch channels are closed and later
	// calls fail with ErrClosed.
	Close() error
}

// Historian is implemented by stores that keep earlier revisions of files.
type Historian interface {
	// History lists the kept revisions of path, newest first, deletions
	// included. A path the store has never held gives ErrNotFound.
	History(ctx context.Context, path string) ([]Revision, error)
	// ReadRevision returns the content path had at rev. A revision that is
	// not kept, or that is a deletion, gives ErrNotFound.
	ReadRevision(ctx context.Context, path string, rev uint64) ([]byte, error)
}

// RealPather is implemented by stores whose paths may be symbolic links
// (Dir): Node resolves a package to its real path, so that a package
// reached through a link (pnpm's node_modules/foo ->
// .pnpm/foo@1.0.0/node_modules/foo, a workspace's node_modules/@ws/lib ->
// ../../packages/lib) finds its own dependencies beside its real folder,
// and is one module however many links lead to it.
type RealPather interface {
	// RealPath returns p with every symbolic link in it followed: a clean
	// store path. A link that leads outside the store gives an error
	// matching ErrOutsideRoot that names p; a path that does not exist,
	// ErrNotFound.
	RealPath(ctx context.Context, p string) (string, error)
}

// Revision describes one kept version of a file.
type Revision struct {
	Rev  uint64    `json:"rev"`
	Op   Op        `json:"op"`
	Time time.Time `json:"time"`
	Size int       `json:"size"`
}

// Op is the kind of change an Event reports.
type Op uint8

// The changes a store reports.
const (
	Created Op = iota + 1
	Modified
	Deleted
)

func (o Op) String() string {
	switch o {
	case Created:
		return "created"
	case Modified:
		return "modified"
	case Deleted:
		return "deleted"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// MarshalText makes Op readable in JSON.
func (o Op) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText is the inverse of MarshalText.
func (o *Op) UnmarshalText(b []byte) error {
	switch string(b) {
	case "created":
		*o = Created
	case "modified":
		*o = Modified
	case "deleted":
		*o = Deleted
	default:
		return fmt.Errorf("vfs: unknown op %q", b)
	}
	return nil
}

// Event reports a change to one file.
//
// The watch contract, the same for every store: events for one path arrive
// in the order the changes happened; after any burst the last event a watcher
// receives for a path reflects the path's final state (reading it then gives
// the final content); a slow watcher never blocks writers, because pending
// events are coalesced per path instead of queued without bound or dropped;
// cancelling the watch context closes the channel; a prefix watch sees only
// paths under its prefix.
//
// Revision increases with every change a store makes. Mem and Bolt revisions
// are the ones History lists; Dir counts the changes it observed since the
// store was opened.
type Event struct {
	Path     string `json:"path"`
	Op       Op     `json:"op"`
	Revision uint64 `json:"revision"`
}

// Sentinel errors, usable with errors.Is on anything a store returns.
var (
	ErrNotFound    = errors.New("vfs: file not found")
	ErrInvalidPath = errors.New("vfs: invalid path")
	ErrConflict    = errors.New("vfs: path conflicts with an existing file or directory")
	ErrClosed      = errors.New("vfs: store is closed")
	ErrOutsideRoot = errors.New("vfs: path leads outside the store's root")
	ErrCorrupt     = errors.New("vfs: store file is corrupt")
	ErrLocked      = errors.New("vfs: store file is locked by another process")
)
