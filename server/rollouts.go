package server

import (
	"errors"
	"net/http"

	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/vfs"
)

// listRollouts answers GET /api/rollouts[?path=P]: every rollout, running
// or ended, with its nodes and its figures on and off them.
func (s *Server) listRollouts(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.rollouts()
	if err != nil {
		return err
	}
	path := r.URL.Query().Get("path")
	if path != "" {
		if err := vfs.ValidatePath(path); err != nil {
			return err
		}
	}
	all, err := rs.List(r.Context())
	if err != nil {
		return err
	}
	var statuses []fleet.Status
	if s.opts.Fleet != nil {
		if statuses, err = s.opts.Fleet(r.Context()); err != nil {
			return err
		}
	}
	out := []fleet.RolloutStatus{}
	for _, ro := range all {
		if path == "" || ro.Path == path {
			out = append(out, fleet.StatusOf(ro, statuses))
		}
	}
	if path != "" && len(out) == 0 {
		return apiError{http.StatusNotFound, "no_rollout", "no rollout of " + path}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"rollouts": out})
}

// rolloutError maps the fleet's rollout errors to statuses.
func rolloutError(err error) error {
	switch {
	case errors.Is(err, fleet.ErrNoRollout):
		return apiError{http.StatusNotFound, "no_rollout", err.Error()}
	case errors.Is(err, fleet.ErrConflict):
		return apiError{http.StatusConflict, "conflict", err.Error()}
	case errors.Is(err, fleet.ErrUnknownNode):
		return apiError{http.StatusBadRequest, "unknown_node", err.Error()}
	case errors.Is(err, fleet.ErrNoNodeSelected):
		return apiError{http.StatusBadRequest, "no_node_selected", err.Error()}
	case errors.Is(err, fleet.ErrInvalidRollout):
		return apiError{http.StatusBadRequest, "invalid", err.Error()}
	}
	return err
}
