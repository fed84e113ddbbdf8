package server

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/hotmod/hotmod"
)

// A profile started from a page should not outlive the page: a tab closed
// while it ran would leave it counting every call for ever. So a start may
// give the profile a lifetime (ttlMs), and the page renews it while it is
// open (POST /api/profiles/{pid}/renew); a profile not renewed in time is
// stopped. A lifetime tied to the page's event stream was the other way:
// but a stream outlives a tab that sleeps or loses its network until TCP
// says so, and a reconnecting stream would stop and restart profiles. A
// profile started without a lifetime (the CLI, a program) runs until
// stopped, as before.

// maxProfileTTL bounds a lifetime: a longer one is a profile without one,
// which a start simply leaves out.
const maxProfileTTL = 24 * time.Hour

// ProfileRequest is the optional body of a profile's start or renewal.
type ProfileRequest struct {
	// TTLMS is the profile's lifetime in milliseconds: it stops unless
	// renewed within it. 0 at a start: no lifetime; 0 at a renewal: the
	// lifetime it has.
	TTLMS int64 `json:"ttlMs,omitempty"`
}

// ProfileAnswer is a profile's metrics and, for one with a lifetime, when
// it stops unless renewed.
type ProfileAnswer struct {
	hotmod.ProfileMetrics
	Expires *time.Time `json:"expires,omitempty"`
}

// profileLeases are the lifetimes of profiles started with one.
type profileLeases struct {
	mu     sync.Mutex
	leases map[string]*lease // by profile id
	closed bool
}

type lease struct {
	ttl     time.Duration
	expires time.Time
	timer   *time.Timer
}

var errBadTTL = apiError{http.StatusBadRequest, "invalid", fmt.Sprintf("ttlMs must be between 0 and %d (%v)", maxProfileTTL.Milliseconds(), maxProfileTTL)}

// MarshalJSON is the metrics' own JSON with "expires" added: embedded, the
// metrics' MarshalJSON would be the whole answer's and leave it out.
func (a ProfileAnswer) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(a.ProfileMetrics)
	if err != nil || a.Expires == nil || len(b) < 2 || b[len(b)-1] != '}' {
		return b, err
	}
	e, err := json.Marshal(a.Expires)
	if err != nil {
		return nil, err
	}
	b = append(b[:len(b)-1:len(b)-1], `,"expires":`...)
	return append(append(b, e...), '}'), nil
}

func (r ProfileRequest) ttl() (time.Duration, error) {
	if r.TTLMS < 0 || r.TTLMS > maxProfileTTL.Milliseconds() {
		return 0, errBadTTL
	}
	return time.Duration(r.TTLMS) * time.Millisecond, nil
}

// profileRequest reads the optional body: none, or a ProfileRequest. It
// must say it is JSON either way, which a cross-site form cannot.
func profileRequest(w http.ResponseWriter, r *http.Request) (ProfileRequest, error) {
	var req ProfileRequest
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return req, apiError{http.StatusUnsupportedMediaType, "unsupported_media_type", "send Content-Type: application/json"}
	}
	if r.ContentLength == 0 {
		return req, nil
	}
	return req, decode(w, r, 1<<10, &req)
}

// hold gives profile id a lifetime of ttl from now (a renewal starts it
// over); stop runs when it runs out. It returns when that is.
func (l *profileLeases) hold(id string, ttl time.Duration, stop func()) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return time.Time{}
	}
	if l.leases == nil {
		l.leases = map[string]*lease{}
	}
	le := l.leases[id]
	if le == nil {
		le = &lease{}
		l.leases[id] = le
		le.timer = time.AfterFunc(ttl, func() {
			l.mu.Lock()
			if l.leases[id] != le {
				l.mu.Unlock()
				return
			}
			delete(l.leases, id)
			l.mu.Unlock()
			stop()
		})
	} else {
		le.timer.Reset(ttl)
	}
	le.ttl, le.expires = ttl, time.Now().Add(ttl)
	return le.expires
}

// ttlOf is the lifetime profile id has, if any.
func (l *profileLeases) ttlOf(id string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	le, ok := l.leases[id]
	if !ok {
		return 0, false
	}
	return le.ttl, true
}

// expires says when profile id stops unless renewed; nil: never.
func (l *profileLeases) expires(id string) *time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if le, ok := l.leases[id]; ok {
		t := le.expires
		return &t
	}
	return nil
}

// drop forgets profile id's lifetime (it was stopped otherwise).
func (l *profileLeases) drop(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if le, ok := l.leases[id]; ok {
		le.timer.Stop()
		delete(l.leases, id)
	}
}

// close stops every timer: a server that closes no longer stops profiles
// (they end with the runtime).
func (l *profileLeases) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for id, le := range l.leases {
		le.timer.Stop()
		delete(l.leases, id)
	}
}

func (s *Server) profileAnswer(pm hotmod.ProfileMetrics) ProfileAnswer {
	return ProfileAnswer{ProfileMetrics: pm, Expires: s.leases.expires(pm.ID)}
}

// expireProfile stops a profile whose page stopped renewing it.
func (s *Server) expireProfile(id string) {
	p, err := s.rt.LookupProfile(id)
	if err != nil {
		return // stopped meanwhile
	}
	p.Stop()
	s.log.Info("profile stopped: its lifetime ran out without a renewal (the page that started it is gone)", "profile", id, "module", p.Module())
}

// profileTTL is the lifetime a start or renewal asks for (0: none given).
func profileTTL(w http.ResponseWriter, r *http.Request) (time.Duration, error) {
	req, err := profileRequest(w, r)
	if err != nil {
		return 0, err
	}
	return req.ttl()
}

func (s *Server) startProfile(w http.ResponseWriter, r *http.Request) error {
	ttl, err := profileTTL(w, r)
	if err != nil {
		return err
	}
	p, err := s.rt.ProfileModule(r.PathValue("id"))
	if err != nil {
		return err
	}
	if ttl > 0 {
		id := p.ID()
		s.leases.hold(id, ttl, func() { s.expireProfile(id) })
	}
	return writeJSON(w, http.StatusCreated, s.profileAnswer(p.Metrics()))
}

func (s *Server) renewProfile(w http.ResponseWriter, r *http.Request) error {
	ttl, err := profileTTL(w, r)
	if err != nil {
		return err
	}
	p, err := s.rt.LookupProfile(r.PathValue("pid"))
	if err != nil {
		return err
	}
	if ttl == 0 {
		var ok bool
		if ttl, ok = s.leases.ttlOf(p.ID()); !ok {
			return apiError{http.StatusBadRequest, "invalid", fmt.Sprintf("profile %s has no lifetime to renew: give ttlMs", p.ID())}
		}
	}
	id := p.ID()
	s.leases.hold(id, ttl, func() { s.expireProfile(id) })
	return writeJSON(w, http.StatusOK, s.profileAnswer(p.Metrics()))
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.rt.LookupProfile(r.PathValue("pid"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.profileAnswer(p.Metrics()))
}

func (s *Server) stopProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.rt.LookupProfile(r.PathValue("pid"))
	if err != nil {
		return err
	}
	s.leases.drop(p.ID())
	return writeJSON(w, http.StatusOK, s.profileAnswer(p.Stop()))
}
