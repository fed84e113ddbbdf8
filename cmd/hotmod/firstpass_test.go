package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/vfs/natskv"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

// Issue 24: one bad file delays no other module's first load. Loads went
// one at a time on the realm, so every module sorted after a looping file
// waited that file's whole LoadTimeout (5 s each).

// firstPassFiles is three looping files among twenty good ones; the
// looping ones sort first, where they delayed every other load.
func firstPassFiles(prefix string) map[string]string {
	files := map[string]string{}
	for i := range 3 {
		files[fmt.Sprintf("%sa-loop%d.js", prefix, i)] = "export const a = 1\nlet n = 0\nwhile (true) { n++ }"
	}
	for i := range 20 {
		files[fmt.Sprintf("%sgood%02d.js", prefix, i)] = fmt.Sprintf("export const ping = () => %d", i)
	}
	return files
}

// goodAnswerWithin calls every good module of firstPassFiles until each
// has answered, and fails if any first answers later than within after
// since.
func goodAnswerWithin(t *testing.T, url, prefix string, since time.Time, within time.Duration) {
	t.Helper()
	if raceEnabled {
		// Still checks that every good module answers and every endless
		// one fails; the bound is checked in .ci/run's step without -race.
		within = 30 * time.Second
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for i := range 20 {
		id := fmt.Sprintf("%sgood%02d", strings.TrimPrefix(prefix, "/"), i)
		wg.Go(func() {
			for {
				res, err := hc.Post(url+"/api/modules/"+neturl.PathEscape(id)+"/call", "application/json", bytes.NewReader([]byte(`{"function":"ping"}`)))
				if err == nil {
					var body struct{ Result any }
					derr := json.NewDecoder(res.Body).Decode(&body)
					res.Body.Close()
					if derr == nil && res.StatusCode == 200 && body.Result == float64(i) {
						if d := time.Since(since); d > within {
							t.Errorf("%s answered %v after the start, more than %v", id, d, within)
						}
						return
					}
				}
				if time.Since(since) > 30*time.Second {
					t.Errorf("%s never answered", id)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	t.Logf("every good module answered within %v of the start", time.Since(since))
}

// loopsEndFailed waits until the looping modules are listed failed, each
// with its position.
func loopsEndFailed(t *testing.T, url, prefix string) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		st, err := serverStats(url)
		failed := 0
		for _, m := range st.Modules {
			if strings.HasPrefix(m.ID, strings.TrimPrefix(prefix, "/")+"a-loop") && m.State == hotmod.StateFailed {
				want := fmt.Sprintf("%s%s.js:3:", prefix, strings.TrimPrefix(m.ID, strings.TrimPrefix(prefix, "/")))
				if !strings.Contains(m.LastError, want) || !strings.Contains(m.LastError, "limit") {
					t.Errorf("%s failed without its position %s: %s", m.ID, want, m.LastError)
				}
				failed++
			}
		}
		if failed == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the looping modules are not all listed failed: %v %+v", err, st.Modules)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverStats is GET /api/stats of the server at url.
func serverStats(url string) (hotmod.Stats, error) {
	var st hotmod.Stats
	res, err := (&http.Client{Timeout: 10 * time.Second}).Get(url + "/api/stats")
	if err != nil {
		return st, err
	}
	defer res.Body.Close()
	err = json.NewDecoder(res.Body).Decode(&st)
	return st, err
}

func TestServeLoadsGoodModulesFirst(t *testing.T) {
	dir := t.TempDir()
	for name, src := range firstPassFiles("") {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	url, _ := startServe(t, "--dir", dir, "--addr", "127.0.0.1:0", "--load-timeout", "2s")
	goodAnswerWithin(t, url, "", time.Now(), time.Second)
	loopsEndFailed(t, url, "/")
}

func TestRescanLoadsGoodModulesFirst(t *testing.T) {
	dir := t.TempDir()
	url, _ := startServe(t, "--dir", dir, "--addr", "127.0.0.1:0", "--load-timeout", "2s")
	if err := os.MkdirAll(filepath.Join(dir, "r"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range firstPassFiles("r/") {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	rescanned := make(chan string, 1)
	go func() {
		out, _, _ := runCLI(t, url, "", "rescan")
		rescanned <- out
	}()
	goodAnswerWithin(t, url, "/r/", start, time.Second)
	loopsEndFailed(t, url, "/r/")
	select {
	case out := <-rescanned:
		if !strings.Contains(out, "20 modules loaded, 3 failed") {
			t.Errorf("rescan: %s, want 20 loaded and 3 failed", strings.TrimSpace(out))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("rescan did not answer")
	}
}

func TestFleetNodeStartsWithGoodModulesFirst(t *testing.T) {
	srv := natstest.Start(t, natsserver.Options{Host: "127.0.0.1", Port: -1})
	js := natstest.Connect(t, srv)
	ctx := context.Background()
	op, err := natskv.Open(ctx, js, "hotmod", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	for name, src := range firstPassFiles("/") {
		if err := op.Write(ctx, name, []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	url, _ := startServe(t, "--nats", srv.ClientURL(), "--addr", "127.0.0.1:0", "--node", "n1", "--load-timeout", "2s")
	t.Logf("listening after %v", time.Since(start))
	goodAnswerWithin(t, url, "", time.Now(), time.Second)
	loopsEndFailed(t, url, "/")
}

// The store watcher's batches: an endless file's second pass (a probe of
// all of LoadTimeout) held the watcher, so good files written just after
// it, in a later batch, waited for it.
func TestWatcherLoadsGoodModulesFirst(t *testing.T) {
	dir := t.TempDir()
	url, _ := startServe(t, "--dir", dir, "--addr", "127.0.0.1:0", "--load-timeout", "2s")
	files := firstPassFiles("")
	for name, src := range files {
		if strings.HasPrefix(name, "a-loop") {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Once the endless files are listed, their batch is under way.
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := serverStats(url)
		if err == nil && len(st.Modules) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the endless files were never listed: %v %+v", err, st.Modules)
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	for name, src := range files {
		if !strings.HasPrefix(name, "a-loop") {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	goodAnswerWithin(t, url, "", start, time.Second)
	loopsEndFailed(t, url, "/")
}
