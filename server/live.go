package server

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/sample"
)

// The dashboard draws call rates, p99s and profile tables live without
// polling: the server sums calls per module over short intervals and
// publishes a "stats" event after each interval in which something changed.
// Nothing is published, and no memory grows, while no call happens.

const (
	// livePoints is how many intervals of each module are kept: a minute
	// of sparkline at the default interval.
	livePoints = 60
	// liveSamples bounds the durations kept per module and interval for
	// its p99; beyond it a uniform sample of the interval's calls is kept.
	liveSamples = 256
	// HeldAfter is how long a realm must be held by one run before stats
	// events name it (StatsEvent.Realms): a call holds it for microseconds,
	// a load for milliseconds; half a second stalls everything else.
	HeldAfter = 500 * time.Millisecond
)

// LivePoint is one interval of calls to one module.
type LivePoint struct {
	Time  time.Time `json:"time"`  // the interval's end
	Calls int64     `json:"calls"` // from Go and from other modules
	// ModuleCalls is the part of Calls that other modules made (see
	// hotmod.ModuleStats.ModuleCalls): counted, not timed, never errors.
	ModuleCalls int64 `json:"moduleCalls"`
	// Serving is the serving version's figures since it was loaded, at
	// the interval's end: a page shows them without asking for the
	// module (nil in /api/live's history and when nothing serves).
	Serving *hotmod.VersionInfo `json:"serving,omitempty"`
	Errors  int64               `json:"errors"`
	Rate    float64             `json:"rate"`  // calls per second
	P99MS   float64             `json:"p99Ms"` // 0 when no call
}

// StatsEvent is the data of a "stats" event: the modules whose calls
// changed in the last interval (one that fell quiet gets one point with no
// calls), and the metrics of running profiles that counted a call since the
// last event or just started. Stats events carry no id: each one stands
// alone, and a client that missed one missed nothing the next one lacks
// but a point of a sparkline.
type StatsEvent struct {
	Time       time.Time               `json:"time"`
	IntervalMS float64                 `json:"intervalMs"`
	Modules    map[string]LivePoint    `json:"modules"`
	Profiles   []hotmod.ProfileMetrics `json:"profiles"`
	// Realms are the realms held by one run for HeldAfter or longer, and
	// by what (hotmod.Runtime.RealmHolders). Every event has it, empty
	// when none is: a stats event is also sent each interval while a
	// realm stays held, and once when the last one is let go, so that a
	// client shows the stall while it lasts and no longer.
	Realms []hotmod.RealmStatus `json:"realms"`
}

// LiveHistory is GET /api/live: what a client that has just connected needs
// to draw the sparklines and profile tables that stats events then update.
type LiveHistory struct {
	IntervalMS float64                 `json:"intervalMs"`
	Modules    map[string][]LivePoint  `json:"modules"` // oldest first
	Profiles   []hotmod.ProfileMetrics `json:"profiles"`
	Realms     []hotmod.RealmStatus    `json:"realms"` // as StatsEvent.Realms, now
}

type moduleLive struct {
	calls, errors int64
	fromModules   int64 // of calls, from other modules
	samples       []time.Duration
	ring          [livePoints]LivePoint
	n, next       int // points held; where the next one goes
	quiet         int // intervals in a row without calls
}

func (m *moduleLive) push(p LivePoint) {
	m.ring[m.next] = p
	m.next = (m.next + 1) % livePoints
	m.n = min(m.n+1, livePoints)
}

func (m *moduleLive) points() []LivePoint {
	out := make([]LivePoint, 0, m.n)
	for i := range m.n {
		out = append(out, m.ring[(m.next-m.n+i+livePoints)%livePoints])
	}
	return out
}

// profileMark is what the last event said of a running profile.
type profileMark struct{ calls, errors int64 }

type liveStats struct {
	rt       *hotmod.Runtime
	interval time.Duration
	publish  func(StatsEvent)

	mu   sync.Mutex
	mods map[string]*moduleLive
	// The modules' ModuleCalls at the last tick, to take the calls made
	// since: seeded when the ticks start, so that a module loaded later
	// counts from 0 (its calls before its first tick are in this feed's
	// time) while the modules loaded before count from then.
	moduleCalls map[string]int64
	held        bool                    // the last event named a held realm
	profiles    map[string]*profileMark // running profile id -> last published; nil mark: not yet
	last        time.Time               // the last tick

	stop context.CancelFunc
	done chan struct{}
}

func newLiveStats(rt *hotmod.Runtime, interval time.Duration, publish func(StatsEvent)) *liveStats {
	return &liveStats{rt: rt, interval: interval, publish: publish, mods: map[string]*moduleLive{}, moduleCalls: map[string]int64{}, profiles: map[string]*profileMark{}, last: time.Now()}
}

// start ticks until close. Profiles that run already are found in the
// runtime's stats; later ones come by event (see onEvent).
func (l *liveStats) start() {
	l.resync()
	for _, ms := range l.rt.Stats().Modules {
		l.moduleCalls[ms.ID] = ms.ModuleCalls
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.stop, l.done = cancel, make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.interval)
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				if ev, ok := l.tick(now); ok {
					l.publish(ev)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
}

// close stops the ticks and waits for the last one to end, so that nothing
// is published after it returns.
func (l *liveStats) close() {
	if l.stop != nil {
		l.stop()
		<-l.done
	}
}

// observe records one call; it is on every call's path, so it only counts.
func (l *liveStats) observe(module string, d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.mods[module]
	if m == nil {
		m = &moduleLive{}
		l.mods[module] = m
	}
	m.calls++
	if err != nil {
		m.errors++
	}
	m.samples = sample.Add(m.samples, liveSamples, m.calls, d)
}

// onEvent follows the profiles that start and stop. An event that says
// events were dropped before it may have hidden a start or a stop, so the
// set is read again from the runtime.
func (l *liveStats) onEvent(ev hotmod.Event) {
	if ev.Dropped > 0 {
		l.resync()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev.Type {
	case hotmod.EventProfileStarted:
		if _, ok := l.profiles[ev.Profile]; !ok {
			l.profiles[ev.Profile] = nil
		}
	case hotmod.EventProfileStopped:
		delete(l.profiles, ev.Profile)
	}
}

func (l *liveStats) resync() {
	running := map[string]bool{}
	for _, m := range l.rt.Stats().Modules {
		for _, id := range m.Profiles {
			running[id] = true
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.profiles {
		if !running[id] {
			delete(l.profiles, id)
		}
	}
	for id := range running {
		if _, ok := l.profiles[id]; !ok {
			l.profiles[id] = nil
		}
	}
}

// heldRealms are the realms held past HeldAfter now.
func heldRealms(rt *hotmod.Runtime) []hotmod.RealmStatus {
	out := []hotmod.RealmStatus{}
	for _, st := range rt.RealmHolders() {
		if st.Busy && st.Held >= HeldAfter {
			out = append(out, st)
		}
	}
	return out
}

// tick closes the interval that ends now and says what changed in it.
func (l *liveStats) tick(now time.Time) (StatsEvent, bool) {
	ev := StatsEvent{Time: now, IntervalMS: ms(l.interval), Modules: map[string]LivePoint{}, Profiles: []hotmod.ProfileMetrics{},
		Realms: heldRealms(l.rt)}
	// Calls from other modules never pass OnCall: the runtime counts
	// them, and each tick takes the difference.
	st := l.rt.Stats()
	l.mu.Lock()
	seen := make(map[string]bool, len(st.Modules))
	serving := make(map[string]*hotmod.VersionInfo, len(st.Modules))
	for _, ms := range st.Modules {
		seen[ms.ID] = true
		for i := range ms.Versions {
			if ms.Versions[i].Serving {
				serving[ms.ID] = &ms.Versions[i]
			}
		}
		last := l.moduleCalls[ms.ID]
		l.moduleCalls[ms.ID] = ms.ModuleCalls
		// A module removed and made again counts from 0: d < 0 is that.
		if d := ms.ModuleCalls - last; d > 0 {
			m := l.mods[ms.ID]
			if m == nil {
				m = &moduleLive{}
				l.mods[ms.ID] = m
			}
			m.calls += d
			m.fromModules += d
		}
	}
	for id := range l.moduleCalls {
		if !seen[id] {
			delete(l.moduleCalls, id)
		}
	}
	held := len(ev.Realms) > 0
	announce := held || l.held // while held, and once when let go
	l.held = held
	secs := now.Sub(l.last).Seconds()
	l.last = now
	for id, m := range l.mods {
		if m.calls == 0 {
			m.quiet++
			if m.quiet == 1 { // the rate fell to 0: say so once
				p := LivePoint{Time: now}
				m.push(p)
				ev.Modules[id] = p
			}
			if m.quiet >= livePoints { // nothing left to draw: forget it
				delete(l.mods, id)
			}
			continue
		}
		p := LivePoint{Time: now, Calls: m.calls, ModuleCalls: m.fromModules, Errors: m.errors, P99MS: ms(sample.Quantile(m.samples, 0.99))}
		if secs > 0 {
			p.Rate = float64(m.calls) / secs
		}
		m.push(p)
		p.Serving = serving[id] // the event's only: the history stays small
		ev.Modules[id] = p
		m.calls, m.fromModules, m.errors, m.samples, m.quiet = 0, 0, 0, m.samples[:0], 0
	}
	ids := slices.Sorted(maps.Keys(l.profiles))
	l.mu.Unlock()
	// Metrics sort each function's samples: not under the lock that every
	// call takes.
	for _, id := range ids {
		var pm hotmod.ProfileMetrics
		p, err := l.rt.LookupProfile(id)
		if err == nil {
			pm = p.Metrics()
		}
		l.mu.Lock()
		mark, tracked := l.profiles[id]
		switch {
		case !tracked: // stopped meanwhile
		case err != nil || !pm.Running:
			delete(l.profiles, id)
		case mark == nil || mark.calls != pm.TotalCalls || mark.errors != pm.TotalErrors:
			l.profiles[id] = &profileMark{pm.TotalCalls, pm.TotalErrors}
			ev.Profiles = append(ev.Profiles, pm)
		}
		l.mu.Unlock()
	}
	return ev, len(ev.Modules) > 0 || len(ev.Profiles) > 0 || announce
}

func (l *liveStats) history() LiveHistory {
	h := LiveHistory{IntervalMS: ms(l.interval), Modules: map[string][]LivePoint{}, Profiles: []hotmod.ProfileMetrics{}, Realms: heldRealms(l.rt)}
	l.mu.Lock()
	for id, m := range l.mods {
		if m.n > 0 {
			h.Modules[id] = m.points()
		}
	}
	ids := slices.Sorted(maps.Keys(l.profiles))
	l.mu.Unlock()
	for _, id := range ids {
		if p, err := l.rt.LookupProfile(id); err == nil {
			h.Profiles = append(h.Profiles, p.Metrics())
		}
	}
	return h
}

func (s *Server) liveHistory(w http.ResponseWriter, _ *http.Request) error {
	if s.live == nil {
		return apiError{http.StatusNotFound, "not_supported", "this server publishes no live figures (Options.StatsInterval < 0)"}
	}
	return writeJSON(w, http.StatusOK, s.live.history())
}

func (e StatsEvent) marshal() ([]byte, error) {
	return json.Marshal(e)
}
