package vfs

import (
	"context"
	"sync"
)

// hub fans events out to watchers. Publishing never blocks: each watcher has
// its own queue that holds at most one pending event per path, merged with
// later ones, so memory is bounded by the number of distinct paths and the
// final state of every path is always delivered.
type hub struct {
	mu     sync.Mutex
	subs   map[*watcher]struct{}
	closed bool
}

type watcher struct {
	prefix  string
	out     chan Event
	wake    chan struct{}
	stop    chan struct{}
	mu      sync.Mutex
	order   []string
	pending map[string]Event
}

func newHub() *hub { return &hub{subs: make(map[*watcher]struct{})} }

// subscribe starts a watcher; the channel closes when ctx ends or the hub
// closes.
func (h *hub) subscribe(ctx context.Context, prefix string) (<-chan Event, error) {
	w := &watcher{
		prefix:  prefix,
		out:     make(chan Event),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		pending: make(map[string]Event),
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	h.subs[w] = struct{}{}
	h.mu.Unlock()
	go w.run(ctx, h)
	return w.out, nil
}

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.subs {
		if under(ev.Path, w.prefix) {
			w.push(ev)
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for w := range h.subs {
		close(w.stop)
	}
	h.subs = nil
}

func (h *hub) remove(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[w]; ok {
		delete(h.subs, w)
		close(w.stop)
	}
}

func (w *watcher) push(ev Event) {
	w.mu.Lock()
	if old, ok := w.pending[ev.Path]; ok {
		w.pending[ev.Path] = merge(old, ev)
	} else {
		w.pending[ev.Path] = ev
		w.order = append(w.order, ev.Path)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// merge folds a later event into a pending one so that the result still
// tells the watcher what it needs: a file it has not yet heard of stays
// "created", and one that came back after a deletion it has not yet heard of
// was, from its point of view, modified.
func merge(old, ev Event) Event {
	switch {
	case old.Op == Created && ev.Op == Modified:
		ev.Op = Created
	case old.Op == Deleted && ev.Op == Created:
		ev.Op = Modified
	}
	return ev
}

func (w *watcher) next() (Event, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.order) == 0 {
		return Event{}, false
	}
	p := w.order[0]
	w.order = w.order[1:]
	if len(w.order) == 0 {
		w.order = nil // let the backing array go after a burst
	}
	ev := w.pending[p]
	delete(w.pending, p)
	return ev, true
}

func (w *watcher) run(ctx context.Context, h *hub) {
	defer close(w.out)
	defer h.remove(w)
	for {
		ev, ok := w.next()
		if !ok {
			select {
			case <-w.wake:
				continue
			case <-ctx.Done():
				return
			case <-w.stop:
				return
			}
		}
		select {
		case w.out <- ev:
		case <-ctx.Done():
			return
		case <-w.stop:
			return
		}
	}
}

// Hub fans a store's events out to its watchers under the watch contract
// (see Event): publishing never blocks, a slow watcher gets each path's
// latest change, and every watch channel closes when its context ends or
// the hub closes. It is for Store implementations outside this package.
type Hub struct{ h *hub }

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{h: newHub()} }

// Subscribe starts a watch of the paths under prefix; it fails with
// ErrClosed once the hub is closed.
func (h *Hub) Subscribe(ctx context.Context, prefix string) (<-chan Event, error) {
	return h.h.subscribe(ctx, prefix)
}

// Publish hands ev to every watcher whose prefix it is under.
func (h *Hub) Publish(ev Event) { h.h.publish(ev) }

// Close closes every watch channel.
func (h *Hub) Close() { h.h.close() }
