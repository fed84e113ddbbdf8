package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Split is a rollout's module's calls on its nodes (On) and on the others
// (Off), as the nodes report them. Every node counts them while the
// rollout runs.
type Split struct {
	On  Figures `json:"on"`
	Off Figures `json:"off"`
}

// Summarize sums what the nodes report of r's module, on r's nodes and on
// the others. A node's p99 is its own; the sum's is the highest of them.
func Summarize(r Rollout, statuses []Status) Split {
	var s Split
	for _, st := range statuses {
		for _, m := range st.Modules {
			if m.Path != r.Path || m.Figures == nil {
				continue
			}
			into := &s.Off
			if m.Rollout {
				into = &s.On
			}
			into.Calls += m.Figures.Calls
			into.Errors += m.Figures.Errors
			into.P99 = max(into.P99, m.Figures.P99)
		}
	}
	return s
}

// RolloutStatus is what `hotmod rollout status` and GET /api/rollouts show
// of a rollout: the rollout without its source, the source's hash, the
// nodes that report serving it now, and its figures (live while it runs,
// as recorded when it ended otherwise).
type RolloutStatus struct {
	Path        string   `json:"path"`
	SourceHash  string   `json:"sourceHash"` // SHA-256, hex
	SourceBytes int      `json:"sourceBytes"`
	Nodes       []string `json:"nodes"`
	Percent     int      `json:"percent,omitempty"`
	Live        int      `json:"live,omitempty"`
	// Serving are the nodes whose status says they serve its source now.
	Serving   []string  `json:"serving"`
	Revision  uint64    `json:"revision"`
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	Started   time.Time `json:"started"`
	AutoAbort bool      `json:"autoAbort,omitempty"`
	Figures   *Split    `json:"figures,omitempty"`
}

// StatusOf is r's RolloutStatus given the nodes' statuses.
func StatusOf(r Rollout, statuses []Status) RolloutStatus {
	sum := sha256.Sum256([]byte(r.Source))
	out := RolloutStatus{Path: r.Path, SourceHash: hex.EncodeToString(sum[:]), SourceBytes: len(r.Source),
		Nodes: append([]string{}, r.Nodes...), Percent: r.Percent, Live: r.Live, Serving: []string{}, Revision: r.Revision,
		State: r.State, Reason: r.Reason, Started: r.Started, AutoAbort: r.AutoAbort, Figures: r.Final}
	if r.State != Running && r.State != Promoting {
		return out
	}
	for _, st := range statuses {
		for _, m := range st.Modules {
			if m.Path == r.Path && m.Rollout && !st.Stale {
				out.Serving = append(out.Serving, st.Node)
			}
		}
	}
	split := Summarize(r, statuses)
	out.Figures = &split
	return out
}
