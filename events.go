package hotmod

import (
	"context"
	"sync"
	"time"
)

// EventType names a lifecycle event.
type EventType string

// The events a Runtime reports.
const (
	EventCreated       EventType = "created"
	EventReloaded      EventType = "reloaded"
	EventReloadFailed  EventType = "reload-failed"
	EventRolledBack    EventType = "rolled-back"
	EventRemoved       EventType = "removed"
	EventSourceChanged EventType = "source-changed"
	EventSourceDeleted EventType = "source-deleted"
	// EventRecovered: the store holds the serving version's source again
	// (a broken save undone), so the module's last error is cleared.
	EventRecovered EventType = "recovered"
	// EventDeleteRefused: the store deleted the source of a module that a
	// loaded module still imports, so it keeps serving; Error names the
	// importers (an *InUseError). It is removed once none imports it.
	EventDeleteRefused  EventType = "delete-refused"
	EventCleanup        EventType = "cleanup"
	EventPatched        EventType = "patched"
	EventUnpatched      EventType = "unpatched"
	EventPatchDropped   EventType = "patch-dropped"
	EventProfileStarted EventType = "profile-started"
	EventProfileStopped EventType = "profile-stopped"
	// EventCustom: a module called import.meta.hot.send(name, data).
	EventCustom EventType = "custom"
	// EventSnapshotTaken and EventSnapshotRestored: Runtime.Snapshot and
	// Runtime.Restore; Name is the snapshot's.
	EventSnapshotTaken    EventType = "snapshot-taken"
	EventSnapshotRestored EventType = "snapshot-restored"
	// EventProbationStarted: a reloaded version is on probation
	// (Options.Probation); EventProbationPassed: it served its window
	// without regressing (Reason sums it up); EventAutoRolledBack: it
	// regressed and the module rolled back by itself (Version is the one
	// serving again, OldVersion the one rolled back, Reason which figure
	// regressed, by how much, over how many calls).
	EventProbationStarted EventType = "probation-started"
	EventProbationPassed  EventType = "probation-passed"
	EventAutoRolledBack   EventType = "auto-rolled-back"
	// EventCanaryStarted: a canary serves Percent% of keyed calls (also
	// when its percentage changes); EventCanaryPromoted: it swapped in;
	// EventCanaryAborted: it was dropped, Reason says why.
	EventCanaryStarted  EventType = "canary-started"
	EventCanaryPromoted EventType = "canary-promoted"
	EventCanaryAborted  EventType = "canary-aborted"
)

// Event is one thing that happened in a Runtime.
type Event struct {
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"`
	Type       EventType `json:"type"`
	Module     string    `json:"module,omitempty"`
	Version    int       `json:"version,omitempty"`
	OldVersion int       `json:"oldVersion,omitempty"`
	Path       string    `json:"path,omitempty"`
	Error      string    `json:"error,omitempty"`
	Position   *Position `json:"position,omitempty"`
	Patch      string    `json:"patch,omitempty"`    // patch id, for patch events
	Function   string    `json:"function,omitempty"` // patched function
	Profile    string    `json:"profile,omitempty"`  // profile id, for profile events
	Name       string    `json:"name,omitempty"`     // a custom event's name, or a snapshot's
	Data       any       `json:"data,omitempty"`     // a custom event's data
	Reason     string    `json:"reason,omitempty"`   // why an automatic rollback happened, or a canary ended
	Percent    int       `json:"percent,omitempty"`  // a canary's share of keyed calls
	// Duration is how long the load, reload or rollback took, from the
	// first read of the source to the swap (created, reloaded, rolled-back);
	// durationMs in JSON.
	Duration time.Duration `json:"-"`
	// Dropped counts events this subscriber missed just before this one
	// because it read too slowly.
	Dropped int `json:"dropped,omitempty"`
}

// eventBus fans events out; a subscriber that falls more than its buffer
// behind loses events, and the next one it gets says how many.
type eventBus struct {
	mu     sync.Mutex
	seq    uint64
	subs   map[*eventSub]struct{}
	closed bool
}

type eventSub struct {
	ch      chan Event
	dropped int
}

const eventBuffer = 1024

func (b *eventBus) subscribe(ctx context.Context) <-chan Event {
	s := &eventSub{ch: make(chan Event, eventBuffer)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		close(s.ch)
		return s.ch
	}
	if b.subs == nil {
		b.subs = make(map[*eventSub]struct{})
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[s]; ok {
			delete(b.subs, s)
			close(s.ch)
		}
	})
	return s.ch
}

func (b *eventBus) emit(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	ev.Seq = b.seq
	ev.Time = time.Now()
	for s := range b.subs {
		e := ev
		e.Dropped = s.dropped
		select {
		case s.ch <- e:
			s.dropped = 0
		default:
			s.dropped++
		}
	}
}

func (b *eventBus) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		close(s.ch)
	}
	b.subs = nil
	b.closed = true
}
