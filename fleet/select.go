package fleet

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
)

// Errors of starting a rollout, usable with errors.Is.
var (
	// ErrUnknownNode: the rollout names a node that has no live status
	// (Rollout.AllowAbsent pre-stages it instead).
	ErrUnknownNode = errors.New("unknown node")
	// ErrNoNodeSelected: the rollout would run nowhere.
	ErrNoNodeSelected = errors.New("the rollout selects no node")
	// ErrInvalidRollout: the rollout asks for something that cannot be.
	ErrInvalidRollout = errors.New("invalid rollout")
)

// liveNodes are the names of the nodes whose last report is not stale,
// sorted.
func liveNodes(statuses []Status) []string {
	var out []string
	for _, st := range statuses {
		if !st.Stale {
			out = append(out, st.Node)
		}
	}
	slices.Sort(out)
	return out
}

// rank orders node names by FNV-1a of the name (ties by name), the order a
// percentage takes nodes in: the same on every machine, and a node's place
// moves only as nodes come and go.
func rank(nodes []string) []string {
	sum := func(n string) uint32 {
		h := fnv.New32a()
		_, _ = h.Write([]byte(n))
		return h.Sum32()
	}
	out := slices.Clone(nodes)
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(sum(a), sum(b)), strings.Compare(a, b)) })
	return out
}

// selectNodes resolves r's selection against the live nodes: a Percent
// becomes the first ceil(N × Percent / 100) of them by rank (at least
// one), and named nodes must be live unless AllowAbsent. The result is
// stored in the rollout, so every node reads the same list and nodes that
// start later do not change it.
func selectNodes(r Rollout, live []string) (Rollout, error) {
	if len(r.Nodes) > 0 {
		var absent []string
		for _, n := range r.Nodes {
			if !slices.Contains(live, n) {
				absent = append(absent, n)
			}
		}
		if len(absent) > 0 && !r.AllowAbsent {
			return r, fmt.Errorf("fleet: %w: %s has no live status (live nodes: %s); to pre-stage the rollout for nodes not started yet, allow absent nodes (--allow-absent)",
				ErrUnknownNode, strings.Join(absent, ", "), orNone(live))
		}
		r.Nodes = slices.Compact(slices.Sorted(slices.Values(r.Nodes)))
		r.Live = len(live)
		return r, nil
	}
	if len(live) == 0 {
		return r, fmt.Errorf("fleet: %w: no node is live to take %d%% of (name nodes, and allow absent ones, to pre-stage it)", ErrNoNodeSelected, r.Percent)
	}
	k := max((len(live)*r.Percent+99)/100, 1)
	r.Nodes = slices.Sorted(slices.Values(rank(live)[:k]))
	r.Live = len(live)
	return r, nil
}

func orNone(nodes []string) string {
	if len(nodes) == 0 {
		return "none"
	}
	return strings.Join(nodes, ", ")
}
