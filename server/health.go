package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// healthz says whether the server is alive, and "degraded" (still 200: it
// serves calls from what it has loaded) with the reason while its store is
// unreachable.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.storeHealth(); err != nil {
		_, _ = fmt.Fprintf(w, "degraded: %v\n", err)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 503 until the store's modules have first loaded
// (Options.Ready), so that a load balancer sends no calls to a node that
// would answer "not found" for modules it has not loaded yet.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.opts.Ready != nil {
		select {
		case <-s.opts.Ready:
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: the modules in the store have not loaded yet\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (s *Server) storeHealth() error {
	if s.opts.StoreHealth == nil {
		return nil
	}
	return s.opts.StoreHealth()
}

// storeAPI fails a request that needs the store at once while the store is
// unreachable: a NATS client buffers requests while it reconnects, so they
// would wait for the request's whole deadline and then say only that.
func (s *Server) storeAPI(h func(w http.ResponseWriter, r *http.Request) error) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.storeHealth(); err != nil {
			return apiError{http.StatusServiceUnavailable, "unreachable", err.Error()}
		}
		return h(w, r)
	}
}

// fleetAPI is storeAPI for the fleet's buckets, and also bounds the
// request by FleetTimeout: a connection that looks up while the server
// does not answer (JetStream down, a silent network) fails as unreachable
// within it rather than after the request's 30 s.
func (s *Server) fleetAPI(h func(w http.ResponseWriter, r *http.Request) error) func(w http.ResponseWriter, r *http.Request) error {
	return s.storeAPI(func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.FleetTimeout)
		defer cancel()
		err := h(w, r.WithContext(ctx))
		if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
			return apiError{http.StatusServiceUnavailable, "unreachable", fmt.Sprintf("the fleet's store is unreachable: no answer within %v", s.opts.FleetTimeout)}
		}
		return err
	})
}
