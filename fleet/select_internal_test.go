package fleet

import (
	"errors"
	"slices"
	"testing"
)

// A percentage is of the live nodes only: a stale status (a node that
// stopped reporting) is neither counted nor selected, and a named stale
// node is unknown.
func TestSelectionSkipsStaleNodes(t *testing.T) {
	statuses := []Status{{Node: "a"}, {Node: "b", Stale: true}, {Node: "c"}, {Node: "d"}}
	live := liveNodes(statuses)
	if !slices.Equal(live, []string{"a", "c", "d"}) {
		t.Fatalf("live: %v", live)
	}
	r, err := selectNodes(Rollout{Percent: 100}, live)
	if err != nil || !slices.Equal(r.Nodes, []string{"a", "c", "d"}) || r.Live != 3 {
		t.Errorf("100%%: %v, %d live, %v", r.Nodes, r.Live, err)
	}
	r, err = selectNodes(Rollout{Percent: 34}, live) // ceil(1.02) = 2
	if err != nil || len(r.Nodes) != 2 || !slices.Equal(r.Nodes, slices.Sorted(slices.Values(rank(live)[:2]))) {
		t.Errorf("34%% of 3: %v, %v", r.Nodes, err)
	}
	if _, err := selectNodes(Rollout{Nodes: []string{"b"}}, live); !errors.Is(err, ErrUnknownNode) {
		t.Errorf("a stale named node: %v, want ErrUnknownNode", err)
	}
	if r, err := selectNodes(Rollout{Nodes: []string{"b", "a", "a"}, AllowAbsent: true}, live); err != nil || !slices.Equal(r.Nodes, []string{"a", "b"}) {
		t.Errorf("pre-staged: %v, %v", r.Nodes, err)
	}
}
