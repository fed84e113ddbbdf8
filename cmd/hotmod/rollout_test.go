package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/vfs/natskv"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

// eventuallyPrints runs the command line until its output contains want.
func eventuallyPrints(t *testing.T, url string, want string, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, _, _ := runCLI(t, url, "", args...)
		if strings.Contains(out, want) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("hotmod %v gives %q, want %q", args, out, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The rollout commands on three nodes: --percent prints the nodes it
// selected (10% of three is one, not none), an unknown node is refused
// unless --allow-absent, promote refuses to overwrite a newer put (exit 1,
// naming its revision) unless --force, and rollout status shows each
// rollout's source hash, nodes, figures, state and reason.
func TestRolloutCommands(t *testing.T) {
	srv := natstest.Start(t, natsserver.Options{Host: "127.0.0.1", Port: -1})
	js := natstest.Connect(t, srv)
	ctx := context.Background()
	op, err := natskv.Open(ctx, js, "hotmod", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if err := op.Write(ctx, "/price.js", []byte("export const v = () => 1")); err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	for _, n := range []string{"n1", "n2", "n3"} {
		u, lines := startServe(t, "--nats", srv.ClientURL(), "--addr", "127.0.0.1:0", "--node", n, "--compile-cache", "")
		lines.waitFor(t, "1 modules loaded")
		urls[n] = u
	}
	u := urls["n1"]
	for _, n := range []string{"n1", "n2", "n3"} {
		eventuallyPrints(t, u, n+"  ", "fleet")
	}

	out := ok(t, u, "export const v = () => 2", "rollout", "start", "/price.js", "-", "--percent", "10")
	var picked string
	if _, err := fmt.Sscanf(out, "rollout of /price.js started on %s (10%% of 3 live nodes)", &picked); err != nil || urls[picked] == "" {
		t.Fatalf("rollout start --percent 10: %q (%v)", out, err)
	}
	for n, nu := range urls {
		want := "1"
		if n == picked {
			want = "2"
		}
		if got := strings.TrimSpace(eventuallyPrints(t, nu, want, "call", "price", "v")); got != want {
			t.Errorf("%s serves %s, want %s", n, got, want)
		}
	}
	// The figures on and off its nodes: every node counts the calls.
	for range 5 {
		for _, nu := range urls {
			ok(t, nu, "", "call", "price", "v")
		}
	}
	sum := sha256.Sum256([]byte("export const v = () => 2"))
	// The nodes report what they serve and count: the status follows.
	wants := []string{"/price.js running", "sha256 " + hex.EncodeToString(sum[:])[:12], "nodes " + picked + " (10% of 3 live)",
		"serving it " + picked, "on its nodes", "on the others"}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := ok(t, u, "", "rollout", "status", "/price.js")
		words := strings.Join(strings.Fields(st), " ") // the columns' padding aside
		missing := ""
		for _, want := range wants {
			if !strings.Contains(words, want) {
				missing = want
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout status lacks %q:\n%s", missing, st)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if _, errOut, code := runCLI(t, u, "x", "rollout", "start", "/price.js", "-", "--nodes", "n1,n9"); code != 1 || !strings.Contains(errOut, "n9 has no live status") || !strings.Contains(errOut, "(unknown_node)") {
		t.Errorf("a rollout naming n9: exit %d, %q", code, errOut)
	}
	if out := ok(t, u, "x", "rollout", "status", "/price.js"); !strings.Contains(out, "running") || !strings.Contains(out, picked) {
		t.Errorf("a refused start changed the rollout:\n%s", out)
	}

	// A put while the rollout runs: promote refuses to overwrite it.
	if err := op.Write(ctx, "/price.js", []byte("export const v = () => 7")); err != nil {
		t.Fatal(err)
	}
	newer, _ := op.Revision(ctx, "/price.js")
	_, errOut, code := runCLI(t, u, "", "rollout", "promote", "/price.js")
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("newer /price.js, revision %d", newer)) || !strings.Contains(errOut, "(conflict)") {
		t.Errorf("promote over a newer put: exit %d, %q", code, errOut)
	}
	if b, _ := op.Read(ctx, "/price.js"); string(b) != "export const v = () => 7" {
		t.Errorf("a refused promote wrote %q", b)
	}
	if out := ok(t, u, "", "rollout", "promote", "/price.js", "--force"); !strings.Contains(out, "promoted") {
		t.Errorf("promote --force: %q", out)
	}
	for _, nu := range urls {
		eventuallyPrints(t, nu, "2", "call", "price", "v")
	}
	if _, errOut, code := runCLI(t, u, "", "rollout", "abort", "/price.js"); code != 1 || !strings.Contains(errOut, "the last one was promoted") {
		t.Errorf("abort after promote: exit %d, %q", code, errOut)
	}

	// Pre-staged for a node that has not started, then aborted with a
	// reason; --json gives GET /api/rollouts.
	if out := ok(t, u, "export const v = () => 3", "rollout", "start", "/price.js", "-", "--nodes", "n9", "--allow-absent"); !strings.Contains(out, "started on n9") {
		t.Errorf("--allow-absent: %q", out)
	}
	ok(t, u, "", "rollout", "abort", "/price.js")
	var got struct {
		Rollouts []fleet.RolloutStatus `json:"rollouts"`
	}
	if err := json.Unmarshal([]byte(ok(t, urls["n3"], "", "rollout", "status", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rollouts) != 1 || got.Rollouts[0].State != fleet.Aborted || got.Rollouts[0].Reason != "aborted by hand" ||
		strings.Join(got.Rollouts[0].Nodes, ",") != "n9" || got.Rollouts[0].Figures == nil {
		t.Errorf("rollout status --json: %+v", got.Rollouts)
	}
}
