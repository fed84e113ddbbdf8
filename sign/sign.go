// Package sign signs hotmod releases with ed25519 and checks them.
//
// A release is a source at a path of the module store (or a rollout's
// source, or a snapshot file). Its signature binds the path and the
// content: the signed message is a version tag, the path and the SHA-256
// of the content, so a signature made for /a.js does not verify for /b.js.
// A signature does not bind a time: an older signed release of a path
// verifies as well as the newest (it was signed by the key's holder, and
// rolling back to it is legitimate).
//
// Keys are text, one line each (files may add lines starting with '#'):
//
//	hotmod-ed25519-key:<key id>:<seed, base64url>    the private key (keep secret)
//	hotmod-ed25519-pub:<key id>:<public key, base64url>
//
// The key id is the first 8 bytes of the SHA-256 of the public key, in
// hex: it names the key in signatures, errors and node status without
// giving it away. A signature is written <key id>:<signature, base64url>.
//
// In a store, a signed value is an envelope (see Seal): a header line with
// the signature, then the content. Store unwraps envelopes on every read
// and, given trusted keys, refuses a content whose signature is missing or
// wrong.
package sign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors, usable with errors.Is; a failed verification is an *Error that
// wraps one of them and names the path and the key id.
var (
	// ErrUnsigned: the content carries no signature.
	ErrUnsigned = errors.New("sign: no signature")
	// ErrBadSignature: the signature is not the named key's signature of
	// this path and content (forged, or made for another path or content).
	ErrBadSignature = errors.New("sign: signature does not verify")
	// ErrUntrustedKey: the signature names a key that is not trusted.
	ErrUntrustedKey = errors.New("sign: signed by a key that is not trusted")
	// ErrMalformed: a key, signature or envelope that cannot be parsed.
	ErrMalformed = errors.New("sign: malformed")
)

// Error is a failed verification.
type Error struct {
	Path  string // the path the content was read from or meant for
	KeyID string // the key the signature names; "" when unsigned
	Err   error  // ErrUnsigned, ErrBadSignature, ErrUntrustedKey or ErrMalformed
}

func (e *Error) Error() string {
	switch {
	case e.KeyID == "":
		return fmt.Sprintf("%v: %s", e.Err, e.Path)
	default:
		return fmt.Sprintf("%v: %s (key %s)", e.Err, e.Path, e.KeyID)
	}
}

func (e *Error) Unwrap() error { return e.Err }

const (
	privPrefix = "hotmod-ed25519-key:"
	pubPrefix  = "hotmod-ed25519-pub:"
	// msgTag versions the signed message, so that a later format cannot
	// be confused with this one.
	msgTag = "hotmod-signature-v1\n"
)

var b64 = base64.RawURLEncoding

// PublicKey is a key that verifies signatures.
type PublicKey struct {
	key ed25519.PublicKey
	id  string
}

// PrivateKey is a key that signs.
type PrivateKey struct {
	key ed25519.PrivateKey
	pub PublicKey
}

func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

func newPublic(pub ed25519.PublicKey) PublicKey { return PublicKey{key: pub, id: keyID(pub)} }

// Keygen makes a key pair from rand (crypto/rand.Reader when nil).
func Keygen(rand io.Reader) (PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return PrivateKey{}, err
	}
	return PrivateKey{key: priv, pub: newPublic(pub)}, nil
}

// ID is the key id.
func (k PublicKey) ID() string { return k.id }

// String is the key's text form, hotmod-ed25519-pub:<id>:<key>.
func (k PublicKey) String() string { return pubPrefix + k.id + ":" + b64.EncodeToString(k.key) }

// Public is the private key's public key.
func (k PrivateKey) Public() PublicKey { return k.pub }

// ID is the key id of its public key.
func (k PrivateKey) ID() string { return k.pub.id }

// MarshalText is the private key's text form, hotmod-ed25519-key:<id>:<seed>.
func (k PrivateKey) MarshalText() ([]byte, error) {
	if k.key == nil {
		return nil, fmt.Errorf("%w: an empty private key", ErrMalformed)
	}
	return []byte(privPrefix + k.pub.id + ":" + b64.EncodeToString(k.key.Seed())), nil
}

// keyLine finds the one line of text that starts with prefix, skipping
// blank lines and '#' comments, and returns its id and key fields.
func keyLine(text, prefix string) (id string, key []byte, err error) {
	var line string
	for l := range strings.Lines(text) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if line != "" {
			return "", nil, fmt.Errorf("%w: more than one key", ErrMalformed)
		}
		line = l
	}
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return "", nil, fmt.Errorf("%w: want a line %s<id>:<key>", ErrMalformed, prefix)
	}
	id, enc, ok := strings.Cut(rest, ":")
	if !ok {
		return "", nil, fmt.Errorf("%w: want a line %s<id>:<key>", ErrMalformed, prefix)
	}
	key, err = b64.DecodeString(enc)
	if err != nil {
		return "", nil, fmt.Errorf("%w: key %s: %v", ErrMalformed, id, err)
	}
	return id, key, nil
}

// ParsePublicKey reads a public key's text form (see the package
// documentation); the key id it states must be the key's.
func ParsePublicKey(text string) (PublicKey, error) {
	id, key, err := keyLine(text, pubPrefix)
	if err != nil {
		return PublicKey{}, err
	}
	if len(key) != ed25519.PublicKeySize {
		return PublicKey{}, fmt.Errorf("%w: public key %s has %d bytes, not %d", ErrMalformed, id, len(key), ed25519.PublicKeySize)
	}
	k := newPublic(key)
	if k.id != id {
		return PublicKey{}, fmt.Errorf("%w: public key says id %s but is %s", ErrMalformed, id, k.id)
	}
	return k, nil
}

// ParsePrivateKey reads a private key's text form.
func ParsePrivateKey(text string) (PrivateKey, error) {
	id, seed, err := keyLine(text, privPrefix)
	if err != nil {
		return PrivateKey{}, err
	}
	if len(seed) != ed25519.SeedSize {
		return PrivateKey{}, fmt.Errorf("%w: private key %s has %d bytes, not %d", ErrMalformed, id, len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	k := PrivateKey{key: priv, pub: newPublic(priv.Public().(ed25519.PublicKey))}
	if k.pub.id != id {
		return PrivateKey{}, fmt.Errorf("%w: private key says id %s but is %s", ErrMalformed, id, k.pub.id)
	}
	return k, nil
}

// message is what a signature signs: path and content, domain-separated.
func message(path string, content []byte) []byte {
	sum := sha256.Sum256(content)
	return fmt.Appendf(nil, "%s%s\n%x", msgTag, path, sum)
}

// Sign signs content as the release of path, and returns the signature's
// text form, <key id>:<signature>.
func Sign(key PrivateKey, path string, content []byte) (string, error) {
	if key.key == nil {
		return "", fmt.Errorf("%w: an empty private key", ErrMalformed)
	}
	return key.pub.id + ":" + b64.EncodeToString(ed25519.Sign(key.key, message(path, content))), nil
}

// KeyID is the key id a signature names, or "".
func KeyID(sig string) string {
	id, _, _ := strings.Cut(sig, ":")
	return id
}

// Verify checks that sig is a trusted key's signature of content as the
// release of path. It fails with an *Error wrapping ErrUnsigned (sig is
// empty), ErrUntrustedKey, ErrMalformed or ErrBadSignature.
func Verify(trusted []PublicKey, path string, content []byte, sig string) error {
	if sig == "" {
		return &Error{Path: path, Err: ErrUnsigned}
	}
	id, enc, ok := strings.Cut(sig, ":")
	raw, err := b64.DecodeString(enc)
	if !ok || err != nil || len(raw) != ed25519.SignatureSize {
		return &Error{Path: path, KeyID: id, Err: ErrMalformed}
	}
	for _, k := range trusted {
		if k.id == id {
			if !ed25519.Verify(k.key, message(path, content), raw) {
				return &Error{Path: path, KeyID: id, Err: ErrBadSignature}
			}
			return nil
		}
	}
	return &Error{Path: path, KeyID: id, Err: ErrUntrustedKey}
}

// envelopeMark starts a signed value. A source cannot begin with a NUL
// byte by accident, and a writer that is given one is refused (see
// Store.Write), so a value that starts with it is always an envelope.
var envelopeMark = []byte("\x00hotmod-signed:")

// Seal is the stored form of a signed content: a header line holding the
// signature, then the content unchanged.
func Seal(content []byte, sig string) []byte {
	out := make([]byte, 0, len(envelopeMark)+len(sig)+1+len(content))
	out = append(out, envelopeMark...)
	out = append(out, sig...)
	out = append(out, '\n')
	return append(out, content...)
}

// Open splits a stored value into its content and signature: a value that
// is not an envelope is its own content, with no signature.
func Open(value []byte) (content []byte, sig string, err error) {
	rest, ok := bytes.CutPrefix(value, envelopeMark)
	if !ok {
		return value, "", nil
	}
	s, content, ok := bytes.Cut(rest, []byte("\n"))
	if !ok || len(s) == 0 || len(s) > 256 {
		return nil, "", fmt.Errorf("%w: a signed value without its signature line", ErrMalformed)
	}
	return content, string(s), nil
}

// IsSealed reports whether value is an envelope.
func IsSealed(value []byte) bool { return bytes.HasPrefix(value, envelopeMark) }
