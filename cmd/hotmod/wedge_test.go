package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// A serving version with two endless dispose callbacks, then a good
// version: while the reload runs, every other module answers within
// LoadTimeout + 1 s, and the module ends serving the good version (or
// failed with a timeout at a callback's position). Before, the second
// callback ran with no bound: the reload never returned and every call of
// every module waited for good, while /healthz said ok.
func TestServeSurvivesTwoEndlessDisposers(t *testing.T) {
	const loadTimeout = time.Second
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("w.js", `export const v = () => 1
import.meta.hot.dispose(() => { while (true) {} })
import.meta.hot.dispose(() => { while (true) {} })`)
	write("other.js", "export const ping = () => 'pong'")
	url, out := startServe(t, "--dir", dir, "--addr", "127.0.0.1:0", "--load-timeout", loadTimeout.String())
	hc := &http.Client{Timeout: 30 * time.Second}
	call := func(id, fn string) (any, int, time.Duration, error) {
		start := time.Now()
		res, err := hc.Post(url+"/api/modules/"+id+"/call", "application/json", bytes.NewReader([]byte(`{"function":"`+fn+`"}`)))
		if err != nil {
			return nil, 0, time.Since(start), err
		}
		defer res.Body.Close()
		var body struct {
			Result  any `json:"result"`
			Version int `json:"version"`
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		return body.Result, body.Version, time.Since(start), err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got, _, _, err := call("w", "v"); err == nil && got == float64(1) {
			if got, _, _, _ := call("other", "ping"); got == "pong" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the modules did not serve:\n%s", strings.Join(out.lines, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	write("w.js", "export const v = () => 2")
	var slowest time.Duration
	for end := time.Now().Add(3 * loadTimeout); time.Now().Before(end); {
		got, _, took, err := call("other", "ping")
		if err != nil || got != "pong" {
			t.Fatalf("other.ping during the reload: %v, %v (after %v)", got, err, took)
		}
		slowest = max(slowest, took)
		if took > loadTimeout+time.Second {
			t.Errorf("other.ping took %v during the reload, more than LoadTimeout + 1s", took)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("slowest other.ping during the reload: %v", slowest)
	deadline = time.Now().Add(10 * time.Second)
	for {
		got, _, _, err := call("w", "v")
		if err == nil && got == float64(2) {
			break
		}
		res, gerr := hc.Get(url + "/api/modules/w")
		var st hotmod.ModuleStats
		if gerr == nil {
			_ = json.NewDecoder(res.Body).Decode(&st)
			res.Body.Close()
		}
		if st.State == hotmod.StateFailed {
			if !strings.Contains(st.LastError, "limit") || !strings.Contains(st.LastError, "w.js:") {
				t.Errorf("failed, but not with a timeout at a callback's position: %s", st.LastError)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("w neither serves version 2 nor failed: v() = %v, %v; %+v", got, err, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
