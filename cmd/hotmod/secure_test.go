package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/internal/natstest"
	"github.com/hotmod/hotmod/sign"
	"github.com/hotmod/hotmod/vfs/natskv"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// fleetServer starts a nats-server from the example configuration of a
// secured fleet, on a free loopback port.
func fleetServer(t *testing.T) *natsserver.Server {
	t.Helper()
	opts, err := natsserver.ProcessConfigFile(filepath.Join("..", "..", "examples", "fleet", "nats-server.conf"))
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.StoreDir = "127.0.0.1", -1, ""
	return natstest.Start(t, *opts)
}

// output is everything a serve printed so far.
func (p *linePipe) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n") + "\n" + p.buf
}

// eventually retries check until it returns "", for at most 15 s.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// callIs waits until the node at url answers want to price.v().
func callIs(t *testing.T, url, want string) {
	t.Helper()
	eventually(t, "the node serves "+want, func() string {
		out, errOut, _ := runCLI(t, url, "", "call", "price", "v")
		if strings.TrimSpace(out) == want {
			return ""
		}
		return out + errOut
	})
}

// The example configuration holds: a node's user serves the fleet and
// writes its own status, and nothing else (no source, no other node's
// status); a deployer's user puts sources and starts rollouts straight on
// NATS, and the nodes reload.
func TestSecuredFleetConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a secured fleet of processes")
	}
	srv := fleetServer(t)
	url := srv.ClientURL()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	deployer := []string{"--nats", url, "--nats-user", "deployer", "--nats-password", "change-me-deployer"}

	// Anonymous clients are not let in at all.
	if _, err := nats.Connect(url); err == nil {
		t.Fatal("an anonymous client connected")
	}
	if out, errOut, code := runCLI(t, "http://127.0.0.1:1", "export const v = () => 1", append([]string{"put", "/price.js", "-"}, deployer...)...); code != 0 {
		t.Fatalf("deployer put: %d %s %s", code, out, errOut)
	}
	// The password comes from the environment too.
	t.Setenv(envNATSPassword, "change-me-node-1")
	api, _ := startServe(t, "--nats", url, "--nats-user", "node-1", "--addr", "127.0.0.1:0", "--node", "node-1")
	callIs(t, api, "1")
	if out, errOut, code := runCLI(t, api, "export const v = () => 2", append([]string{"put", "/price.js", "-"}, deployer...)...); code != 0 {
		t.Fatalf("deployer put: %d %s %s", code, out, errOut)
	}
	callIs(t, api, "2")
	eventually(t, "the deployer reads the node's status", func() string {
		out, errOut, code := runCLI(t, api, "", append([]string{"fleet"}, deployer...)...)
		if code == 0 && strings.Contains(out, "node-1") && strings.Contains(out, "price") {
			return ""
		}
		return out + errOut
	})
	// The node's identity, straight on NATS: reads work, writes of a
	// source or another node's status do not.
	nc, err := nats.Connect(url, nats.UserInfo("node-1", "change-me-node-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := natskv.Open(ctx, js, "hotmod", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if b, err := store.Read(ctx, "/price.js"); err != nil || !strings.Contains(string(b), "2") {
		t.Errorf("the node reads: %q %v", b, err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 3*time.Second)
	if err := store.Write(wctx, "/price.js", []byte("export const v = () => 666")); err == nil {
		t.Error("the node's user wrote a source")
	}
	wcancel()
	status, err := fleet.OpenStatus(ctx, js, "hotmod", 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := json.Marshal(fleet.Status{Node: "node-2", Modules: []fleet.ModuleStatus{{ID: "price", Version: 99}}})
	wctx, wcancel = context.WithTimeout(ctx, 3*time.Second)
	if _, err := status.Put(wctx, "node-2", forged); err == nil {
		t.Error("node-1 wrote node-2's status")
	}
	wcancel()
	if _, err := status.Put(ctx, "node-1", forged); err != nil {
		t.Errorf("node-1 may write its own status: %v", err)
	}
	// Nor may a deployer forge a node's status.
	dc, err := nats.Connect(url, nats.UserInfo("deployer", "change-me-deployer"))
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	djs, err := jetstream.New(dc)
	if err != nil {
		t.Fatal(err)
	}
	dstatus, err := djs.KeyValue(ctx, "hotmod-status")
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel = context.WithTimeout(ctx, 3*time.Second)
	if _, err := dstatus.Put(wctx, "node-2", forged); err == nil {
		t.Error("the deployer wrote a node's status")
	}
	wcancel()
}

// keypair runs hotmod keygen in dir and returns the key files.
func keypair(t *testing.T, dir, name string) (priv, pub string) {
	t.Helper()
	base := filepath.Join(dir, name)
	out, errOut, code := runCLI(t, "http://127.0.0.1:1", "", "keygen", base)
	if code != 0 || !strings.Contains(out, "hotmod-ed25519-pub:") {
		t.Fatalf("keygen: %d %q %q", code, out, errOut)
	}
	if info, err := os.Stat(base + ".key"); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the private key file: %v %v", info, err)
	}
	if _, _, code := runCLI(t, "http://127.0.0.1:1", "", "keygen", base); code == 0 {
		t.Fatal("keygen replaced a key")
	}
	return base + ".key", base + ".pub"
}

// keyID is the key id keygen printed into a public key file.
func keyID(t *testing.T, pub string) string {
	t.Helper()
	b, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), ":")[1]
}

// A node started with --trust serves only signed releases: an unsigned
// put, a put signed by another key and a forged rollout entry (percent
// 100) are all refused; the node keeps serving the signed version, and
// its status names the refusal and the key.
func TestTrustRefusesForgeries(t *testing.T) {
	srv := natstest.Start(t, natsserver.Options{Host: "127.0.0.1", Port: -1})
	url := srv.ClientURL()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	priv, pub := keypair(t, dir, "deploy")
	otherPriv, otherPub := keypair(t, dir, "mallory")
	nats0 := []string{"--nats", url}

	put := func(src string, extra ...string) {
		t.Helper()
		if out, errOut, code := runCLI(t, "http://127.0.0.1:1", src, append(append([]string{"put", "/price.js", "-"}, nats0...), extra...)...); code != 0 {
			t.Fatalf("put: %d %s %s", code, out, errOut)
		}
	}
	put("export const v = () => 1", "--sign", priv)
	api, lines := startServe(t, "--nats", url, "--addr", "127.0.0.1:0", "--node", "alpha", "--trust", pub)
	lines.waitFor(t, "serving only releases signed by key "+keyID(t, pub))
	callIs(t, api, "1")

	// fleetError waits until the node's status reports an error holding
	// every word of want.
	fleetError := func(want ...string) {
		t.Helper()
		eventually(t, "hotmod fleet reports the refusal", func() string {
			out, errOut, _ := runCLI(t, api, "", "fleet", "--nats", url)
			for _, w := range want {
				if !strings.Contains(out, w) {
					return out + errOut
				}
			}
			return ""
		})
	}
	// Anyone on NATS writes an unsigned source.
	js := natstest.Connect(t, srv)
	raw, err := natskv.Open(ctx, js, "hotmod", natskv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.Write(ctx, "/price.js", []byte("export const v = () => 666")); err != nil {
		t.Fatal(err)
	}
	fleetError("no signature: /price.js")
	callIs(t, api, "1")
	// The status names the signed revision the node serves: a revision
	// whose signature it refuses is not read as "no answer".
	eventually(t, "the status names the revision served", func() string {
		out, errOut, _ := runCLI(t, api, "", "fleet", "--nats", url, "--json")
		var got struct{ Nodes []fleet.Status }
		if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Nodes) != 1 || len(got.Nodes[0].Modules) != 1 {
			return fmt.Sprintf("%v: %s %s", err, out, errOut)
		}
		if m := got.Nodes[0].Modules[0]; m.Serving != 1 || m.Tried != 2 {
			return fmt.Sprintf("serving %d, tried %d; want 1 and 2", m.Serving, m.Tried)
		}
		return ""
	})

	// A source signed by a key the node does not trust.
	put("export const v = () => 667", "--sign", otherPriv)
	fleetError("not trusted: /price.js (key " + keyID(t, otherPub) + ")")
	callIs(t, api, "1")

	// A signed release is served again.
	put("export const v = () => 2", "--sign", priv)
	callIs(t, api, "2")

	// A forged rollout entry that selects every node.
	rollouts, err := fleet.OpenRollouts(ctx, js, "hotmod", raw)
	if err != nil {
		t.Fatal(err)
	}
	if rollouts.Status, err = js.KeyValue(ctx, "hotmod-status"); err != nil { // percent is of the live nodes
		t.Fatal(err)
	}
	if _, err := rollouts.Start(ctx, fleet.Rollout{Path: "/price.js", Source: "export const v = () => 99", Percent: 100}); err != nil {
		t.Fatal(err)
	}
	fleetError("rollout of /price.js", "no signature")
	// One signed by another key, with its signature over another source.
	other, err := signer(otherPriv)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := signature(other, "/price.js", []byte("export const v = () => 1"))
	if _, err := rollouts.Start(ctx, fleet.Rollout{Path: "/price.js", Source: "export const v = () => 98", Percent: 100, Signature: sig}); err != nil {
		t.Fatal(err)
	}
	fleetError("rollout of /price.js", keyID(t, otherPub))
	time.Sleep(300 * time.Millisecond) // time for a wrong pin to show
	callIs(t, api, "2")
	if !strings.Contains(lines.output(), "rollout refused") {
		t.Errorf("the log does not report the refused rollout:\n%s", lines.output())
	}

	// A signed rollout runs, and promoting it stores the signed source,
	// which the node then serves from the store.
	if out, errOut, code := runCLI(t, api, "export const v = () => 3", "rollout", "start", "/price.js", "-", "--nodes", "alpha", "--sign", priv, "--nats", url); code != 0 {
		t.Fatalf("rollout start: %d %s %s", code, out, errOut)
	}
	callIs(t, api, "3")
	if out, errOut, code := runCLI(t, api, "", "rollout", "promote", "/price.js", "--nats", url); code != 0 {
		t.Fatalf("rollout promote: %d %s %s", code, out, errOut)
	}
	eventually(t, "the node serves the promoted source from the store, with no error", func() string {
		out, errOut, _ := runCLI(t, api, "", "fleet", "--nats", url)
		if strings.Contains(out, "alpha") && !strings.Contains(out, "failed") && !strings.Contains(out, "rollout") {
			return ""
		}
		return out + errOut
	})
	callIs(t, api, "3")

	// A snapshot nobody signed is not restored.
	if err := raw.Write(ctx, "/.hotmod/snapshots/evil.json", []byte(`{"name":"evil","modules":[{"id":"price","path":"/price.js","source":"export const v = () => 0"}]}`)); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, api, "", "restore-snapshot", "evil"); code == 0 || !strings.Contains(errOut, "no signature") {
		t.Errorf("an unsigned snapshot: %d %s", code, errOut)
	}
	callIs(t, api, "3")

	// A snapshot the trusting node takes keeps each source's signature,
	// so it restores there, and the store holds the restored source
	// signed: the node serves it from the store with no error.
	ok(t, api, "", "snapshot", "good")
	put("export const v = () => 4", "--sign", priv)
	callIs(t, api, "4")
	ok(t, api, "", "restore-snapshot", "good")
	callIs(t, api, "3")
	if b, err := raw.Read(ctx, "/price.js"); err != nil || !sign.IsSealed(b) {
		t.Errorf("the restored source is not stored signed: %q %v", b, err)
	}
	eventually(t, "the node serves the restored source from the store, with no error", func() string {
		out, errOut, _ := runCLI(t, api, "", "fleet", "--nats", url)
		if strings.Contains(out, "alpha") && !strings.Contains(out, "failed") {
			return ""
		}
		return out + errOut
	})
	callIs(t, api, "3")

	// A snapshot whose source carries another key's signature is refused,
	// naming the key.
	evil, err := signature(other, "/price.js", []byte("export const v = () => 5"))
	if err != nil {
		t.Fatal(err)
	}
	forged := fmt.Sprintf(`{"name":"forged","modules":[{"id":"price","path":"/price.js","source":"export const v = () => 5","signature":%q}]}`, evil)
	if err := raw.Write(ctx, "/.hotmod/snapshots/forged.json", []byte(forged)); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, api, "", "restore-snapshot", "forged"); code == 0 || !strings.Contains(errOut, keyID(t, otherPub)) {
		t.Errorf("a snapshot signed by an untrusted key: %d %s", code, errOut)
	}
	callIs(t, api, "3")
}

// A password in the NATS URL is never printed: not in the line that says
// where modules load from, not in a connection error.
func TestNATSPasswordRedacted(t *testing.T) {
	srv := fleetServer(t)
	u := strings.Replace(srv.ClientURL(), "nats://", "nats://node-1:change-me-node-1@", 1)
	api, lines := startServe(t, "--nats", u, "--addr", "127.0.0.1:0", "--node", "node-1")
	line := lines.waitFor(t, "loading modules from")
	if strings.Contains(lines.output(), "change-me-node-1") || !strings.Contains(line, "node-1:xxxxx@") {
		t.Errorf("the password is printed:\n%s", lines.output())
	}
	_ = api
	bad := strings.Replace(srv.ClientURL(), "nats://", "nats://node-1:wrong-s3cret@", 1)
	_, errOut, code := runCLI(t, "http://127.0.0.1:1", "", "fleet", "--nats", bad)
	if code == 0 || strings.Contains(errOut, "wrong-s3cret") || !strings.Contains(errOut, "xxxxx") {
		t.Errorf("a failed connection: %d %q", code, errOut)
	}
	for in, want := range map[string]string{
		"nats://a:b@h:1,nats://c:d@h:2": "nats://a:xxxxx@h:1,nats://c:xxxxx@h:2",
		"nats://tok3n@h:1":              "nats://xxxxx@h:1",
		"nats://h:1":                    "nats://h:1",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// Mutual TLS with a CA made in the test: a node with the CA, its client
// certificate and key serves; without the client certificate it is
// refused.
func TestNATSMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caPEM := makeCert(t, nil, nil, "test CA", true)
	_, _, srvPEM, srvKeyPEM := certPair(t, ca, caKey, "127.0.0.1", false)
	_, _, cliPEM, cliKeyPEM := certPair(t, ca, caKey, "node", true)
	files := map[string][]byte{"ca.pem": caPEM, "client.pem": cliPEM, "client-key.pem": cliKeyPEM}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	pair, err := tls.X509KeyPair(srvPEM, srvKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t, natsserver.Options{Host: "127.0.0.1", Port: -1, TLSVerify: true,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}})
	url := strings.Replace(srv.ClientURL(), "nats://", "tls://", 1)
	tlsFlags := []string{"--nats", url, "--nats-ca", filepath.Join(dir, "ca.pem"), "--nats-cert", filepath.Join(dir, "client.pem"), "--nats-key", filepath.Join(dir, "client-key.pem")}
	if out, errOut, code := runCLI(t, "http://127.0.0.1:1", "export const v = () => 7", append([]string{"put", "/price.js", "-"}, tlsFlags...)...); code != 0 {
		t.Fatalf("put over mutual TLS: %d %s %s", code, out, errOut)
	}
	api, _ := startServe(t, append([]string{"--addr", "127.0.0.1:0", "--node", "tls"}, tlsFlags...)...)
	callIs(t, api, "7")
	if _, errOut, code := runCLI(t, "http://127.0.0.1:1", "", "fleet", "--nats", url, "--nats-ca", filepath.Join(dir, "ca.pem")); code == 0 {
		t.Error("a client without a certificate connected")
	} else {
		t.Logf("without a client certificate: %s", strings.TrimSpace(errOut))
	}
	if _, errOut, code := runCLI(t, "http://127.0.0.1:1", "", "fleet", "--nats", url, "--nats-cert", filepath.Join(dir, "client.pem")); code == 0 || !strings.Contains(errOut, "go together") {
		t.Errorf("--nats-cert without --nats-key: %d %q", code, errOut)
	}
}

func makeCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, name string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// certPair makes a leaf certificate for host (a server) or a client,
// signed by ca, and returns it and its key in PEM.
func certPair(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, host string, client bool) (*x509.Certificate, *ecdsa.PrivateKey, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// A NATS user known by its nkey: --nats-nkey signs the server's challenge
// with the seed in a file; without it, or with another user's seed, the
// connection is refused.
func TestNATSNkey(t *testing.T) {
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := user.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t, natsserver.Options{Host: "127.0.0.1", Port: -1, Nkeys: []*natsserver.NkeyUser{{Nkey: pub}}})
	dir := t.TempDir()
	writeSeed := func(name string, kp nkeys.KeyPair) string {
		seed, err := kp.Seed()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, seed, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := writeSeed("user.nk", user)
	other, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	bad := writeSeed("other.nk", other)
	put := func(extra ...string) (string, int) {
		_, errOut, code := runCLI(t, "http://127.0.0.1:1", "export const v = () => 1", append([]string{"put", "/v.js", "-", "--nats", srv.ClientURL()}, extra...)...)
		return errOut, code
	}
	if errOut, code := put("--nats-nkey", good); code != 0 {
		t.Fatalf("put with the user's nkey: %d %s", code, errOut)
	}
	for _, extra := range [][]string{nil, {"--nats-nkey", bad}} {
		if errOut, code := put(extra...); code == 0 || !strings.Contains(strings.ToLower(errOut), "authorization") {
			t.Errorf("put %v: %d %s, want refused", extra, code, errOut)
		}
	}
	if errOut, code := put("--nats-nkey", filepath.Join(dir, "missing.nk")); code == 0 || !strings.Contains(errOut, "--nats-nkey") {
		t.Errorf("a missing seed file: %d %s", code, errOut)
	}
}
