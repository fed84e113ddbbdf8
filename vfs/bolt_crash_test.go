package vfs_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod/vfs"
	bolt "go.etcd.io/bbolt"
)

// The crash test runs a child copy of this test binary that writes to a Bolt
// store until the parent kills it with SIGKILL, then checks the file the
// child left behind. The child announces each write before it starts
// ("intent") and after Write returned nil ("ack"), so the parent knows which
// writes must have survived and which single one may or may not have.
const (
	crashDBEnv   = "HOTMOD_BOLT_CRASH_DB"
	crashSeedEnv = "HOTMOD_BOLT_CRASH_SEED"

	crashRuns = 20
	// A small depth makes every run prune history, so pruning is among the
	// things a kill can interrupt.
	crashDepth = 3
	// crashStep bounds each wait on the child; crashWatchdog bounds the test.
	// Both are far above what a healthy run needs, so they fire only when
	// something is stuck.
	crashStep     = 15 * time.Second
	crashWatchdog = 90 * time.Second
	// crashChildLife stops an orphaned child that somehow outlived its
	// parent, so it cannot fill the disk.
	crashChildLife = 45 * time.Second
)

// No path is a parent directory of another, so no write fails with
// ErrConflict.
var crashPaths = []string{
	"/crash/a.js", "/crash/b.js", "/crash/c.json", "/crash/d.mjs", "/crash/big.bin",
	"/crash/sub/e.js", "/crash/sub/f.js", "/crash/sub/deep/g.js", "/crash/sub/deep/h.txt",
}

func crashHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// crashContent spans empty values, values inside one page, values of several
// pages and large overflow values, so overwrites grow and shrink nodes.
func crashContent(r *rand.Rand) []byte {
	var n int
	switch k := r.IntN(100); {
	case k < 5:
		n = 0
	case k < 50:
		n = 1 + r.IntN(512)
	case k < 85:
		n = 512 + r.IntN(8<<10)
	case k < 97:
		n = 8<<10 + r.IntN(56<<10)
	default:
		n = 64<<10 + r.IntN(192<<10)
	}
	b := make([]byte, 0, n+8)
	for len(b) < n {
		b = binary.LittleEndian.AppendUint64(b, r.Uint64())
	}
	return b[:n]
}

// TestBoltCrashHelper is the child of TestBoltCrash; run directly it does
// nothing.
func TestBoltCrashHelper(t *testing.T) {
	file := os.Getenv(crashDBEnv)
	if file == "" {
		return
	}
	// The parent reads stdout only; exiting (rather than t.Fatal) keeps the
	// reason on stdout where it will be seen.
	die := func(format string, args ...any) {
		fmt.Printf("crash error "+format+"\n", args...)
		os.Exit(3)
	}
	seed, err := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	if err != nil {
		die("seed: %v", err)
	}
	ctx := context.Background()
	s, err := vfs.OpenBolt(file, vfs.WithHistoryDepth(crashDepth), vfs.WithLockTimeout(5*time.Second))
	if err != nil {
		die("open: %v", err)
	}
	exists := map[string]bool{}
	names, err := s.List(ctx, "/crash")
	if err != nil {
		die("list: %v", err)
	}
	for _, n := range names {
		exists[n] = true
	}
	fmt.Println("crash ready")
	r := rand.New(rand.NewPCG(seed, 2))
	for start := time.Now(); time.Since(start) < crashChildLife; {
		p := crashPaths[r.IntN(len(crashPaths))]
		if exists[p] && r.IntN(10) == 0 {
			fmt.Printf("crash intent delete %s 0 -\n", p)
			err = s.Delete(ctx, p)
			exists[p] = false
		} else {
			data := crashContent(r)
			fmt.Printf("crash intent write %s %d %s\n", p, len(data), crashHash(data))
			err = s.Write(ctx, p, data)
			exists[p] = true
		}
		if err != nil {
			die("%s: %v", p, err)
		}
		// Write does not return the revision; this process is the only
		// writer, so the newest history entry is the one just committed.
		h, err := s.History(ctx, p)
		if err != nil {
			die("history %s: %v", p, err)
		}
		fmt.Printf("crash ack %d\n", h[0].Rev)
	}
	die("not killed after %v", crashChildLife)
}

type crashRec struct {
	path    string
	deleted bool
	size    int
	hash    string
}

// crashState is what the parent knows the store must hold: every revision
// it saw acknowledged (or found committed), per path the newest one and how
// many there were.
type crashState struct {
	known  map[uint64]crashRec
	last   map[string]uint64
	count  map[string]int
	maxRev uint64
}

func (st *crashState) add(rev uint64, rec crashRec) {
	st.known[rev] = rec
	st.last[rec.path] = rev
	st.count[rec.path]++
	st.maxRev = rev
}

// TestBoltCrash kills a writing child 20 times on one file. A killed process
// loses nothing the kernel already has, so this tests that commits are atomic
// and that Write returns only after its commit, not that fsync reaches the
// disk (which only a power cut could show).
func TestBoltCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: processes killed mid-write")
	}
	ctx, cancel := context.WithTimeout(t.Context(), crashWatchdog)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed) // chooses the children's writes; kill timing is not reproducible
	rng := rand.New(rand.NewPCG(seed, 1))
	file := filepath.Join(t.TempDir(), "crash.db")
	st := &crashState{known: map[uint64]crashRec{}, last: map[string]uint64{}, count: map[string]int{}}
	acks, early, adopted := 0, 0, 0
	var startup time.Duration // the slowest start to ready seen so far
	for run := range crashRuns {
		// Most kills come while the child writes; every fifth one comes at
		// any time from its start, which may be inside OpenBolt's own
		// transaction, or before the file is even opened. That window is
		// scaled by measured start-up times, which vary a lot with -race
		// and machine load.
		fromStart := run%5 == 4
		delay := time.Duration(rng.Int64N(int64(100 * time.Millisecond)))
		if fromStart {
			delay = time.Duration(rng.Int64N(int64(2 * startup)))
		}
		lines, took := crashChildRun(t, ctx, run, file, rng.Uint64(), fromStart, delay)
		startup = max(startup, took)
		n, pending := st.apply(t, run, lines)
		acks += n
		if !slices.Contains(lines, "crash ready") {
			early++
		}
		if st.verify(t, ctx, run, file, pending) {
			adopted++
		}
	}
	t.Logf("%d runs, %d killed before the store was open, %d acknowledged changes, %d committed but unacknowledged, newest revision %d",
		crashRuns, early, acks, adopted, st.maxRev)
	if acks < crashRuns {
		t.Fatalf("only %d acknowledged changes in %d runs: the children hardly wrote, so the test proved little", acks, crashRuns)
	}

	// The last run's revisions were not yet followed by a write; one more
	// shows the sequence still climbs after the final kill.
	s, err := vfs.OpenBolt(file, vfs.WithHistoryDepth(crashDepth))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(ctx, "/probe.js", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if h, err := s.History(ctx, "/probe.js"); err != nil || h[0].Rev <= st.maxRev {
		t.Fatalf("after the last kill a write got %+v, %v; want a revision above %d", h, err, st.maxRev)
	}
}

// crashChildRun starts the child, kills it delay after it reported ready (or
// after it started, if fromStart), waits for it to be gone and returns its
// stdout lines and how long it took to be ready (0 if fromStart).
func crashChildRun(t *testing.T, ctx context.Context, run int, file string, seed uint64, fromStart bool, delay time.Duration) ([]string, time.Duration) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBoltCrashHelper$", "-test.count=1", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+file, crashSeedEnv+"="+strconv.FormatUint(seed, 10))
	// Files rather than io.Writers: exec then starts no copying goroutines,
	// so Wait returns as soon as the child is dead.
	stderr, err := os.Create(filepath.Join(filepath.Dir(file), fmt.Sprintf("stderr-%d", run)))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, stderr
	if err := cmd.Start(); err != nil {
		pw.Close()
		pr.Close()
		t.Fatal(err)
	}
	pw.Close()
	started := time.Now()

	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	var lines []string
	ready, eof := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(eof)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for seen := false; sc.Scan(); {
			if sc.Text() == "crash ready" && !seen {
				close(ready)
				seen = true
			}
			lines = append(lines, sc.Text())
		}
	}()

	// The child must be gone before this returns, on every path: the next
	// run and the checks need the file to themselves.
	done := false
	defer func() {
		if done {
			return
		}
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(crashStep):
			t.Errorf("run %d: child pid %d still alive %v after SIGKILL", run, cmd.Process.Pid, crashStep)
		}
	}()
	fail := func(format string, args ...any) {
		t.Helper()
		_ = cmd.Process.Kill()
		out := "(stdout unavailable: the pipe is still open)"
		select {
		case <-eof:
			out = strings.Join(lines[max(0, len(lines)-10):], "\n")
		case <-time.After(crashStep):
		}
		errOut, _ := os.ReadFile(stderr.Name())
		t.Fatalf("run %d: %s\nchild stdout (tail):\n%s\nchild stderr:\n%s", run, fmt.Sprintf(format, args...), out, errOut)
	}
	wait := func(ch <-chan struct{}, d time.Duration, what string) bool {
		t.Helper()
		select {
		case <-ch:
			return true
		case <-time.After(d):
			return false
		case <-ctx.Done():
			fail("watchdog: the test ran longer than %v (%s)", crashWatchdog, what)
		}
		return false
	}

	var took time.Duration
	if !fromStart {
		select {
		case <-ready:
			took = time.Since(started)
		case <-eof:
			fail("child ended before it was ready")
		case <-time.After(crashStep):
			fail("child not ready after %v", crashStep)
		case <-ctx.Done():
			fail("watchdog: the test ran longer than %v (waiting for ready)", crashWatchdog)
		}
	}
	if wait(eof, delay, "before the kill") {
		fail("child ended on its own before the kill")
	}
	if err := cmd.Process.Kill(); err != nil {
		fail("kill: %v", err)
	}
	if !wait(eof, crashStep, "reading the child's output") {
		fail("child's stdout still open %v after SIGKILL", crashStep)
	}
	if !wait(exited, crashStep, "waiting for the child to exit") {
		fail("child still running %v after SIGKILL", crashStep)
	}
	done = true
	if cmd.ProcessState.Exited() {
		fail("child exited with %v instead of being killed", cmd.ProcessState)
	}
	return lines, took
}

// apply records the child's acknowledged changes and returns how many there
// were and the change it had announced but not acknowledged when it died, if
// any.
func (st *crashState) apply(t *testing.T, run int, lines []string) (int, *crashRec) {
	t.Helper()
	var pending *crashRec
	acks := 0
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != "crash" {
			continue
		}
		switch {
		case f[1] == "ready":
		case f[1] == "error":
			t.Fatalf("run %d: child failed: %s", run, l)
		case f[1] == "intent" && len(f) == 6 && pending == nil:
			size, err := strconv.Atoi(f[4])
			if err != nil {
				t.Fatalf("run %d: bad line %q", run, l)
			}
			pending = &crashRec{path: f[3], deleted: f[2] == "delete", size: size, hash: f[5]}
		case f[1] == "ack" && len(f) == 3 && pending != nil:
			rev, err := strconv.ParseUint(f[2], 10, 64)
			if err != nil {
				t.Fatalf("run %d: bad line %q", run, l)
			}
			if rev <= st.maxRev {
				t.Fatalf("run %d: %s got revision %d, not above %d: revisions went backwards", run, pending.path, rev, st.maxRev)
			}
			st.add(rev, *pending)
			pending = nil
			acks++
		default:
			t.Fatalf("run %d: unexpected line %q", run, l)
		}
	}
	return acks, pending
}

// verify checks the file the killed child left: bbolt's own consistency
// check, a clean OpenBolt, and that the store holds exactly the known
// changes, plus at most the one pending change, which is then known too. It
// reports whether the pending change was found committed.
func (st *crashState) verify(t *testing.T, ctx context.Context, run int, file string, pending *crashRec) (adopted bool) {
	t.Helper()
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) && st.maxRev == 0 {
		return false // killed before it created the file
	}

	// Checked before OpenBolt, whose own transaction would rewrite the meta
	// page the child left.
	db, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("run %d: bbolt open read-only: %v", run, err)
	}
	var problems []error
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, err)
		}
		return nil
	})
	db.Close()
	if err != nil || len(problems) > 0 {
		t.Fatalf("run %d: bbolt consistency check: %v %v", run, err, problems)
	}

	s, err := vfs.OpenBolt(file, vfs.WithHistoryDepth(crashDepth), vfs.WithLockTimeout(time.Second))
	if err != nil {
		t.Fatalf("run %d: reopen after the kill: %v", run, err)
	}
	defer s.Close()
	var want []string
	for _, p := range crashPaths {
		hist, err := s.History(ctx, p)
		if errors.Is(err, vfs.ErrNotFound) {
			if st.last[p] != 0 {
				t.Fatalf("run %d: %s: acknowledged revision %d lost, no history left", run, p, st.last[p])
			}
			if data, err := s.Read(ctx, p); !errors.Is(err, vfs.ErrNotFound) {
				t.Fatalf("run %d: %s: no history, yet Read gives %d bytes, %v", run, p, len(data), err)
			}
			continue
		} else if err != nil {
			t.Fatalf("run %d: History(%s): %v", run, p, err)
		}
		switch top := hist[0].Rev; {
		case top < st.last[p]:
			t.Fatalf("run %d: %s: acknowledged revision %d lost, newest is %d", run, p, st.last[p], top)
		case top > st.last[p]:
			// The child died after the commit but before its ack.
			if pending == nil || pending.path != p || adopted || top <= st.maxRev {
				t.Fatalf("run %d: %s: revision %d was never announced (pending %+v, newest known %d)", run, p, top, pending, st.maxRev)
			}
			st.add(top, *pending)
			adopted = true
		}

		if n := min(crashDepth, st.count[p]); len(hist) != n {
			t.Fatalf("run %d: %s: %d revisions kept, want %d: %+v", run, p, len(hist), n, hist)
		}
		for i, h := range hist {
			rec, ok := st.known[h.Rev]
			switch {
			case !ok || rec.path != p:
				t.Fatalf("run %d: %s: kept revision %d is not one of its known changes", run, p, h.Rev)
			case i > 0 && h.Rev >= hist[i-1].Rev:
				t.Fatalf("run %d: %s: history not newest first: %+v", run, p, hist)
			case (h.Op == vfs.Deleted) != rec.deleted || h.Size != rec.size:
				t.Fatalf("run %d: %s: revision %d is %v of %d bytes, want deleted=%v, %d bytes", run, p, h.Rev, h.Op, h.Size, rec.deleted, rec.size)
			case rec.deleted:
				continue
			}
			data, err := s.ReadRevision(ctx, p, h.Rev)
			if err != nil || crashHash(data) != rec.hash {
				t.Fatalf("run %d: %s: ReadRevision(%d) = %d bytes hash %s, %v; want hash %s", run, p, h.Rev, len(data), crashHash(data), err, rec.hash)
			}
		}

		cur := st.known[st.last[p]]
		data, err := s.Read(ctx, p)
		switch {
		case cur.deleted && !errors.Is(err, vfs.ErrNotFound):
			t.Fatalf("run %d: %s: deleted at revision %d, but Read gives %d bytes, %v", run, p, st.last[p], len(data), err)
		case !cur.deleted && (err != nil || crashHash(data) != cur.hash):
			t.Fatalf("run %d: %s: Read = %d bytes hash %s, %v; want revision %d, hash %s", run, p, len(data), crashHash(data), err, st.last[p], cur.hash)
		case !cur.deleted:
			want = append(want, p)
		}
	}
	slices.Sort(want)
	if got, err := s.List(ctx, "/crash"); err != nil || !slices.Equal(got, want) {
		t.Fatalf("run %d: List = %q, %v; want %q", run, got, err, want)
	}
	return adopted
}
