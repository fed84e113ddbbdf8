package vfs

import (
	"context"
	"io/fs"
	"slices"
	"sync"
	"time"
)

// Mem is a Store in memory, with history. It is meant for tests and for
// programs that embed their module sources.
type Mem struct {
	mu     sync.RWMutex
	files  map[string][]byte
	dirs   map[string]int // files below each directory
	hist   map[string][]memRev
	rev    uint64
	depth  int
	closed bool
	hub    *hub
}

type memRev struct {
	Revision
	data []byte
}

var (
	_ Store     = (*Mem)(nil)
	_ Historian = (*Mem)(nil)
)

// NewMem returns an empty in-memory store. WithHistoryDepth applies.
func NewMem(opts ...Option) *Mem {
	o := buildOptions(opts)
	return &Mem{
		files: make(map[string][]byte),
		dirs:  make(map[string]int),
		hist:  make(map[string][]memRev),
		depth: o.historyDepth,
		hub:   newHub(),
	}
}

func (m *Mem) check(ctx context.Context, op, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ValidatePath(p); err != nil {
		return err
	}
	if m.closed {
		return &fs.PathError{Op: op, Path: p, Err: ErrClosed}
	}
	return nil
}

func (m *Mem) Read(ctx context.Context, p string) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(ctx, "read", p); err != nil {
		return nil, err
	}
	data, ok := m.files[p]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: p, Err: ErrNotFound}
	}
	return slices.Clone(data), nil
}

func (m *Mem) Write(ctx context.Context, p string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx, "write", p); err != nil {
		return err
	}
	if m.dirs[p] > 0 {
		return &fs.PathError{Op: "write", Path: p, Err: ErrConflict}
	}
	if !parents(p, func(d string) bool { _, isFile := m.files[d]; return !isFile }) {
		return &fs.PathError{Op: "write", Path: p, Err: ErrConflict}
	}
	op := Modified
	if _, ok := m.files[p]; !ok {
		op = Created
		parents(p, func(d string) bool { m.dirs[d]++; return true })
	}
	data = slices.Clone(data)
	m.files[p] = data
	m.record(p, op, data)
	return nil
}

func (m *Mem) Delete(ctx context.Context, p string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx, "delete", p); err != nil {
		return err
	}
	if _, ok := m.files[p]; !ok {
		return &fs.PathError{Op: "delete", Path: p, Err: ErrNotFound}
	}
	delete(m.files, p)
	parents(p, func(d string) bool {
		if m.dirs[d]--; m.dirs[d] == 0 {
			delete(m.dirs, d)
		}
		return true
	})
	m.record(p, Deleted, nil)
	return nil
}

// record keeps the revision and tells watchers; the caller holds m.mu, so
// watchers learn of changes in the order they were made.
func (m *Mem) record(p string, op Op, data []byte) {
	m.rev++
	h := append(m.hist[p], memRev{Revision{Rev: m.rev, Op: op, Time: time.Now(), Size: len(data)}, data})
	if len(h) > m.depth {
		h = slices.Delete(h, 0, len(h)-m.depth)
	}
	m.hist[p] = h
	m.hub.publish(Event{Path: p, Op: op, Revision: m.rev})
}

func (m *Mem) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pre, err := ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, &fs.PathError{Op: "list", Path: pre, Err: ErrClosed}
	}
	var out []string
	for p := range m.files {
		if under(p, pre) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (m *Mem) Watch(ctx context.Context, prefix string) (<-chan Event, error) {
	pre, err := ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	return m.hub.subscribe(ctx, pre)
}

func (m *Mem) History(ctx context.Context, p string) ([]Revision, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(ctx, "history", p); err != nil {
		return nil, err
	}
	h := m.hist[p]
	if len(h) == 0 {
		return nil, &fs.PathError{Op: "history", Path: p, Err: ErrNotFound}
	}
	out := make([]Revision, len(h))
	for i, r := range h {
		out[len(h)-1-i] = r.Revision
	}
	return out, nil
}

func (m *Mem) ReadRevision(ctx context.Context, p string, rev uint64) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(ctx, "read", p); err != nil {
		return nil, err
	}
	for _, r := range m.hist[p] {
		if r.Rev == rev && r.Op != Deleted {
			return slices.Clone(r.data), nil
		}
	}
	return nil, &fs.PathError{Op: "read", Path: p, Err: ErrNotFound}
}

// Close drops the content and closes every watch channel.
func (m *Mem) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.files, m.hist, m.dirs = nil, nil, nil
	m.hub.close()
	return nil
}
