package sign_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hotmod/hotmod/sign"
	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/vfstest"
)

func keys(t *testing.T) (sign.PrivateKey, sign.PrivateKey) {
	t.Helper()
	a, err := sign.Keygen(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sign.Keygen(nil)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// A key's text form reads back as the same key; a key whose stated id
// is not its own is refused.
func TestKeyText(t *testing.T) {
	k, _ := keys(t)
	text, err := k.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := sign.ParsePrivateKey("# my key\n" + string(text) + "\n")
	if err != nil || k2.ID() != k.ID() || len(k.ID()) != 16 {
		t.Fatalf("private key round trip: %v %q %q", err, k2.ID(), k.ID())
	}
	pub, err := sign.ParsePublicKey(k.Public().String())
	if err != nil || pub.ID() != k.ID() {
		t.Fatalf("public key round trip: %v", err)
	}
	forged := strings.Replace(k.Public().String(), k.ID(), "0000000000000000", 1)
	if _, err := sign.ParsePublicKey(forged); !errors.Is(err, sign.ErrMalformed) {
		t.Errorf("a key with another id: %v", err)
	}
	if _, err := sign.ParsePublicKey(string(text)); !errors.Is(err, sign.ErrMalformed) {
		t.Errorf("a private key read as a public one: %v", err)
	}
}

// A signature binds the path and the content; only trusted keys verify.
func TestVerify(t *testing.T) {
	k, other := keys(t)
	trusted := []sign.PublicKey{k.Public()}
	src := []byte("export const v = () => 1")
	sig, err := sign.Sign(k, "/a.js", src)
	if err != nil {
		t.Fatal(err)
	}
	if err := sign.Verify(trusted, "/a.js", src, sig); err != nil {
		t.Fatal(err)
	}
	otherSig, _ := sign.Sign(other, "/a.js", src)
	cases := []struct {
		name, path, sig string
		src             []byte
		want            error
		keyID           string
	}{
		{"unsigned", "/a.js", "", src, sign.ErrUnsigned, ""},
		{"another path", "/b.js", sig, src, sign.ErrBadSignature, k.ID()},
		{"another content", "/a.js", sig, []byte("export const v = () => 2"), sign.ErrBadSignature, k.ID()},
		{"untrusted key", "/a.js", otherSig, src, sign.ErrUntrustedKey, other.ID()},
		{"garbage", "/a.js", k.ID() + ":!!", src, sign.ErrMalformed, k.ID()},
		{"forged bytes", "/a.js", k.ID() + ":" + strings.Repeat("A", 86), src, sign.ErrBadSignature, k.ID()},
	}
	for _, c := range cases {
		err := sign.Verify(trusted, c.path, c.src, c.sig)
		var se *sign.Error
		if !errors.Is(err, c.want) || !errors.As(err, &se) || se.KeyID != c.keyID || se.Path != c.path {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.keyID != "" && !strings.Contains(err.Error(), c.keyID) {
			t.Errorf("%s: the error does not name the key: %v", c.name, err)
		}
	}
}

// The verifying store serves only signed content, unwraps envelopes for
// every reader, and keeps each revision's signature in the history.
func TestStore(t *testing.T) {
	ctx := context.Background()
	k, other := keys(t)
	mem := vfs.NewMem()
	trusting := sign.NewStore(mem, []sign.PublicKey{k.Public()})
	plain := sign.NewStore(mem, nil)
	v1 := []byte("export const v = () => 1")
	sig, _ := sign.Sign(k, "/a.js", v1)
	if err := trusting.Write(ctx, "/a.js", sign.Seal(v1, sig)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*sign.Store{trusting, plain} {
		if b, err := s.Read(ctx, "/a.js"); err != nil || string(b) != string(v1) {
			t.Errorf("read: %q %v", b, err)
		}
	}
	// Unsigned and wrongly signed writes that reach the store by another
	// way (an anonymous put) are refused on read, with the key id.
	if err := mem.Write(ctx, "/a.js", []byte("export const v = () => 666")); err != nil {
		t.Fatal(err)
	}
	if _, err := trusting.Read(ctx, "/a.js"); !errors.Is(err, sign.ErrUnsigned) {
		t.Errorf("unsigned: %v", err)
	}
	if b, err := plain.Read(ctx, "/a.js"); err != nil || !strings.Contains(string(b), "666") {
		t.Errorf("a store without trusted keys reads unsigned sources: %q %v", b, err)
	}
	bad, _ := sign.Sign(other, "/a.js", []byte("x"))
	if err := mem.Write(ctx, "/a.js", sign.Seal([]byte("x"), bad)); err != nil {
		t.Fatal(err)
	}
	var se *sign.Error
	if _, err := trusting.Read(ctx, "/a.js"); !errors.Is(err, sign.ErrUntrustedKey) || !errors.As(err, &se) || se.KeyID != other.ID() {
		t.Errorf("another key: %v", err)
	}
	// A signature replayed onto another path does not verify.
	if err := mem.Write(ctx, "/b.js", sign.Seal(v1, sig)); err != nil {
		t.Fatal(err)
	}
	if _, err := trusting.Read(ctx, "/b.js"); !errors.Is(err, sign.ErrBadSignature) {
		t.Errorf("replayed onto /b.js: %v", err)
	}
	if err := trusting.Write(ctx, "/b.js", sign.Seal(v1, sig)); !errors.Is(err, sign.ErrBadSignature) {
		t.Errorf("a forged write is refused at once: %v", err)
	}
	// History keeps the signed first revision, which still verifies.
	revs, err := trusting.History(ctx, "/a.js")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := trusting.ReadRevision(ctx, "/a.js", revs[len(revs)-1].Rev); err != nil || string(b) != string(v1) {
		t.Errorf("the first revision: %q %v", b, err)
	}
	if _, err := trusting.ReadRevision(ctx, "/a.js", revs[0].Rev); !errors.Is(err, sign.ErrUntrustedKey) {
		t.Errorf("the last revision: %v", err)
	}
}

// Without trusted keys the wrapper is a store like any other.
func TestWrapConformance(t *testing.T) {
	vfstest.TestStore(t, func(t *testing.T) vfs.Store { return sign.Wrap(vfs.NewMem(), nil) })
}

func TestWrapKeepsInterfaces(t *testing.T) {
	if _, ok := sign.Wrap(vfs.NewMem(), nil).(vfs.Historian); !ok {
		t.Error("Mem's history is hidden")
	}
	dir, err := vfs.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	w := sign.Wrap(dir, nil)
	if _, ok := w.(vfs.RealPather); !ok {
		t.Error("Dir's RealPath is hidden")
	}
	if _, ok := w.(vfs.Historian); ok {
		t.Error("a Dir wrapper claims history")
	}
}
