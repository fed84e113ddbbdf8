package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hotmod/hotmod"
)

// broker keeps the last events of the runtime for clients that reconnect,
// and wakes the streams when a new one arrives. Event ids are
// "<boot>-<seq>": a client that comes back to a restarted server (another
// boot) is told to start over instead of waiting for ids that will not come.
//
// Besides the runtime's events it holds the newest stats event alone: stats
// are a snapshot each, so a slow client skips to the newest, and they stay
// out of the ring, where a busy minute of them would push out the lifecycle
// events a reconnecting client needs.
type broker struct {
	boot string
	mu   sync.Mutex
	ring []sseEvent
	last uint64 // the newest event's seq: no id of this boot is above it
	// evicted is the newest seq pushed out of the ring: a client that has
	// seen less missed it. (The ring's first seq says nothing of the kind:
	// the runtime numbers the events it emitted before the broker
	// subscribed, which no client of this server could have seen.)
	evicted  uint64
	max      int
	stats    []byte
	statsGen uint64        // counts stats events
	wake     chan struct{} // closed and replaced on every event
	done     chan struct{}
	once     sync.Once
	cancel   context.CancelFunc
}

type sseEvent struct {
	seq  uint64
	typ  string
	data []byte
}

// newBroker relays the runtime's events; each is also handed to observe,
// if set, before the streams see it.
func newBroker(rt *hotmod.Runtime, max int, observe func(hotmod.Event)) *broker {
	var b [4]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := context.WithCancel(context.Background())
	br := &broker{boot: hex.EncodeToString(b[:]), max: max, wake: make(chan struct{}), done: make(chan struct{}), cancel: cancel}
	events := rt.Events(ctx)
	go func() {
		for ev := range events {
			if observe != nil {
				observe(ev)
			}
			br.add(ev)
		}
	}()
	return br
}

func (b *broker) add(ev hotmod.Event) {
	data, err := json.Marshal(ev)
	if err != nil {
		// A custom event's data is a module's, and may hold what JSON
		// cannot (NaN): the event still goes out, saying what it lacks.
		// The rest of an event is strings, integers and a time.
		msg := unrepresentable(ev.Data, "data")
		if msg == "" {
			msg = "data: " + err.Error()
		}
		ev.Data, ev.Error = nil, msg
		data, _ = json.Marshal(ev)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ring = append(b.ring, sseEvent{seq: ev.Seq, typ: string(ev.Type), data: data})
	b.last = max(b.last, ev.Seq)
	if ev.Dropped > 0 { // the runtime dropped events this broker read too slowly
		b.evicted = max(b.evicted, ev.Seq-1)
	}
	if len(b.ring) > b.max {
		b.evicted = b.ring[len(b.ring)-b.max-1].seq
		b.ring = b.ring[len(b.ring)-b.max:]
	}
	close(b.wake)
	b.wake = make(chan struct{})
}

func (b *broker) setStats(data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats = data
	b.statsGen++
	close(b.wake)
	b.wake = make(chan struct{})
}

// pending is what a stream has not sent yet.
type pending struct {
	events   []sseEvent
	stats    []byte // the newest stats event, if newer than the stream's
	statsGen uint64
	wake     <-chan struct{} // closes on the next event
	gap      bool            // events the client has not seen were dropped
}

// since returns the events after seq and the stats event if there is one
// newer than statsGen.
func (b *broker) since(seq, statsGen uint64) pending {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := pending{wake: b.wake, statsGen: b.statsGen, gap: seq < b.evicted}
	for _, e := range b.ring {
		if e.seq > seq {
			p.events = append(p.events, e)
		}
	}
	if b.statsGen > statsGen {
		p.stats = b.stats
	}
	return p
}

// statsNow is the stats generation a new stream starts from: an old
// snapshot would show rates that no longer hold.
func (b *broker) statsNow() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.statsGen
}

func (b *broker) close() {
	b.once.Do(func() {
		b.cancel()
		close(b.done)
	})
}

// parseLastID reads a Last-Event-ID. An id of another boot starts over from
// the beginning of the buffer, and so does an id of this boot beyond the
// newest event: this server never sent it, and taking it at its word would
// wait for events that may never come (with 2^64-1, none ever would). The
// reason says why an id was not taken; it is empty for a good one.
func (b *broker) parseLastID(id string) (seq uint64, reason string) {
	boot, n, ok := strings.Cut(id, "-")
	if !ok || boot != b.boot {
		return 0, "server restarted"
	}
	seq, err := strconv.ParseUint(n, 10, 64)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil || seq > b.last {
		return 0, "unknown event id"
	}
	return seq, ""
}

const heartbeat = 15 * time.Second

// streamEvents serves GET /events as Server-Sent Events. A client that sends
// Last-Event-ID gets every buffered event it missed; one that missed more
// than the buffer holds, or comes from another server run, gets a "reset"
// event telling it to reload its state first.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, apiError{http.StatusInternalServerError, "internal", "streaming is not supported"})
		return
	}
	// The stream lasts as long as the client stays, so the server's
	// deadlines for ordinary requests must not end it: a write deadline
	// would cut it, and a read deadline would cancel its context.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	b := s.events
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	last := r.Header.Get("Last-Event-ID")
	var seq uint64
	known := false
	fmt.Fprintf(w, "retry: 2000\n\n")
	if last != "" {
		var reason string
		seq, reason = b.parseLastID(last)
		if known = reason == ""; !known {
			fmt.Fprintf(w, "event: reset\ndata: {\"reason\":%q}\n\n", reason)
		}
	}
	statsGen := b.statsNow()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		p := b.since(seq, statsGen)
		if p.gap && known {
			fmt.Fprintf(w, "event: reset\ndata: {\"reason\":\"missed events\"}\n\n")
		}
		for _, e := range p.events {
			fmt.Fprintf(w, "id: %s-%d\nevent: %s\ndata: %s\n\n", b.boot, e.seq, e.typ, e.data)
			seq = e.seq
		}
		if p.stats != nil {
			// No id: Last-Event-ID keeps naming the last runtime event.
			fmt.Fprintf(w, "event: stats\ndata: %s\n\n", p.stats)
		}
		statsGen = p.statsGen
		known = true
		flusher.Flush()
		select {
		case <-p.wake:
		case <-tick.C:
			fmt.Fprintf(w, ": keep-alive\n\n")
		case <-r.Context().Done():
			return
		case <-b.done:
			return
		}
	}
}
