package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A fleet of five `hotmod serve --nats --trust` processes and a
// nats-server process, under the faults an operator meets: 300 signed
// puts while a node is killed (kill -9) and started again, NATS restarted
// with its data and then without it, and unsigned puts from anyone on
// NATS. Every node ends serving the last signed put, and no node ever
// answers from an unsigned source.
func TestFleetOfProcessesUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a fleet of processes under faults")
	}
	dir := t.TempDir()
	natsBin := goBuild(t, dir, "github.com/nats-io/nats-server/v2", "nats-server")
	hotmodBin := goBuild(t, dir, "github.com/hotmod/hotmod/cmd/hotmod", "hotmod")
	priv, pub := keypair(t, dir, "deploy")
	port := freePort(t)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", port)
	storeDir := filepath.Join(dir, "js")
	startNATS := func() *exec.Cmd {
		cmd, _ := startProcess(t, natsBin, "Server is ready", "-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", fmt.Sprint(port))
		return cmd
	}
	natsProc := startNATS()

	// put writes src to /price.js straight into NATS, as a deployer does;
	// it tries again while NATS is away.
	put := func(src string, extra ...string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			_, errOut, code := runCLI(t, "http://127.0.0.1:1", src, append([]string{"put", "/price.js", "-", "--nats", natsURL}, extra...)...)
			if code == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("put %q: %s", src, errOut)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	signed := func(i int) { put(fmt.Sprintf("export const v = () => %d", i), "--sign", priv) }
	signed(0)

	type node struct {
		name string
		mu   sync.Mutex
		cmd  *exec.Cmd
		url  string
	}
	startNode := func(n *node) {
		cmd, line := startProcess(t, hotmodBin, "dashboard at http://", "serve", "--nats", natsURL, "--addr", "127.0.0.1:0",
			"--node", n.name, "--compile-cache", "", "--trust", pub)
		n.mu.Lock()
		n.cmd, n.url = cmd, strings.TrimSuffix(line[strings.Index(line, "http://"):], "/")
		n.mu.Unlock()
	}
	nodes := make([]*node, 5)
	for i := range nodes {
		nodes[i] = &node{name: fmt.Sprintf("n%d", i+1)}
		startNode(nodes[i])
	}

	// call is one node's answer of price.v(), or an error.
	hc := &http.Client{Timeout: 5 * time.Second}
	call := func(n *node) (float64, error) {
		n.mu.Lock()
		url := n.url
		n.mu.Unlock()
		res, err := hc.Post(url+"/api/modules/price/call", "application/json", bytes.NewReader([]byte(`{"function":"v"}`)))
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		var body struct{ Result any }
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 {
			return 0, fmt.Errorf("status %d: %v", res.StatusCode, err)
		}
		f, ok := body.Result.(float64)
		if !ok {
			return 0, fmt.Errorf("result %v", body.Result)
		}
		return f, nil
	}
	// Calls on every node all along: an unsigned source answers -1.
	stop := make(chan struct{})
	var watchers sync.WaitGroup
	var answered, forged atomic.Int64
	for _, n := range nodes {
		watchers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if v, err := call(n); err == nil {
					answered.Add(1)
					if v < 0 {
						forged.Add(1)
						t.Errorf("%s served an unsigned source (it answered %v)", n.name, v)
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	defer func() { close(stop); watchers.Wait() }()

	unsigned := func() { put("export const v = () => -1") }
	const puts = 300
	for i := 1; i <= puts; i++ {
		switch i {
		case 50:
			unsigned()
		case 60:
			// A node dies without a word.
			n := nodes[2]
			n.mu.Lock()
			cmd := n.cmd
			n.mu.Unlock()
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
		case 120:
			startNode(nodes[2])
		case 150:
			// NATS restarts with its data.
			if err := natsProc.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			_ = natsProc.Wait()
			natsProc = startNATS()
		case 200:
			unsigned()
		case 220:
			// NATS restarts without its data.
			if err := natsProc.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = natsProc.Wait()
			if err := os.RemoveAll(storeDir); err != nil {
				t.Fatal(err)
			}
			natsProc = startNATS()
		case 260:
			unsigned()
		}
		signed(i)
	}

	// Every node ends serving the last signed put.
	for _, n := range nodes {
		deadline := time.Now().Add(60 * time.Second)
		for {
			v, err := call(n)
			if err == nil && v == puts {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s does not serve the last put: %v %v", n.name, v, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Every node is listed once it reported into the remade status
	// bucket (each reports within its 5 s interval).
	var out string
	deadline := time.Now().Add(30 * time.Second)
	for {
		out = ok(t, nodes[0].url, "", "fleet")
		missing := ""
		for _, n := range nodes {
			if !strings.Contains(out, n.name+"  ") {
				missing = n.name
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hotmod fleet does not list %s:\n%s", missing, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d answers during the faults, %d from an unsigned source\n%s", answered.Load(), forged.Load(), out)
}
