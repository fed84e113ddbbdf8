package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/sign"
	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
)

func (c *cli) keygen() *cobra.Command {
	var force bool
	return func() *cobra.Command {
		cmd := &cobra.Command{
			Use:   "keygen NAME",
			Short: "Make an ed25519 signing key: NAME.key (private, mode 0600) and NAME.pub",
			Long: "keygen writes the private key to NAME.key, readable only by you, and the public key to NAME.pub,\n" +
				"and prints the public key. Deployers sign with the private key (put --sign, rollout start --sign);\n" +
				"nodes started with --trust NAME.pub (or the printed key) serve only what it signed.\n" +
				"A key's id, the first 8 bytes of the SHA-256 of the public key in hex, names it in errors and status.",
			Example: "  hotmod keygen deploy\n  hotmod put --sign deploy.key /price.js price.js\n  hotmod serve --nats nats://127.0.0.1:4222 --trust deploy.pub",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				key, err := sign.Keygen(nil)
				if err != nil {
					return err
				}
				text, err := key.MarshalText()
				if err != nil {
					return err
				}
				flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
				if force {
					flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
				}
				priv, pub := args[0]+".key", args[0]+".pub"
				f, err := os.OpenFile(priv, flags, 0o600)
				if errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("%s exists: keygen does not replace a key (--force does)", priv)
				}
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(f, "# hotmod signing key %s: keep it secret\n%s\n", key.ID(), text)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return err
				}
				if err := os.WriteFile(pub, []byte(key.Public().String()+"\n"), 0o644); err != nil {
					return err
				}
				return c.report(map[string]string{"keyId": key.ID(), "publicKey": key.Public().String(), "privateKeyFile": priv, "publicKeyFile": pub},
					"key %s: private key in %s, public key in %s:\n%s\n", key.ID(), priv, pub, key.Public())
			},
		}
		cmd.Flags().BoolVar(&force, "force", false, "replace NAME.key and NAME.pub if they exist")
		return cmd
	}()
}

// loadTrust reads --trust values: literal public keys, or files holding one.
func loadTrust(values []string) ([]sign.PublicKey, error) {
	var out []sign.PublicKey
	for _, v := range values {
		text := v
		if !strings.HasPrefix(strings.TrimSpace(v), "hotmod-ed25519-") {
			b, err := os.ReadFile(v)
			if err != nil {
				return nil, fmt.Errorf("--trust %s: neither a public key nor a file of one: %w", v, err)
			}
			text = string(b)
		}
		k, err := sign.ParsePublicKey(text)
		if err != nil {
			return nil, fmt.Errorf("--trust %s: %w", v, err)
		}
		out = append(out, k)
	}
	return out, nil
}

func keyIDs(keys []sign.PublicKey) string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID()
	}
	return "key " + strings.Join(ids, ", key ")
}

// signer reads a --sign key file ("" for none).
func signer(file string) (*sign.PrivateKey, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--sign: %w", err)
	}
	k, err := sign.ParsePrivateKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("--sign %s: %w", file, err)
	}
	return &k, nil
}

// seal signs data as p's release and returns its stored form; without a
// key, data as it is.
func seal(key *sign.PrivateKey, p string, data []byte) ([]byte, error) {
	if key == nil {
		return data, nil
	}
	sig, err := signature(key, p, data)
	if err != nil {
		return nil, err
	}
	return sign.Seal(data, sig), nil
}

func signature(key *sign.PrivateKey, p string, data []byte) (string, error) {
	if key == nil {
		return "", nil
	}
	// The signature binds the path the store will hold: the one the
	// server makes of the argument.
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if err := vfs.ValidatePath(p); err != nil {
		return "", err
	}
	return sign.Sign(*key, p, data)
}

// natsStore opens the fleet's module store straight on NATS (--nats), for
// the writes a deployer makes with its own NATS identity.
func (c *cli) natsStore(ctx context.Context) (*natskv.Store, *nats.Conn, jetstream.JetStream, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	nc, js, err := c.nats.connect(ctx, "hotmod "+c.nats.bucket)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := natskv.Open(ctx, js, c.nats.bucket, natskv.Options{})
	if err != nil {
		nc.Close()
		return nil, nil, nil, fmt.Errorf("--nats %s: %w", redactURL(c.nats.url), err)
	}
	return s, nc, js, nil
}

// putNATS writes one file straight to the fleet's store.
func (c *cli) putNATS(ctx context.Context, p string, data []byte) error {
	s, nc, _, err := c.natsStore(ctx)
	if err != nil {
		return err
	}
	defer nc.Close()
	defer s.Close()
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if err := s.Write(ctx, p, data); err != nil {
		return fmt.Errorf("put %s on %s: %w", p, redactURL(c.nats.url), err)
	}
	return nil
}

// rolloutsNATS runs f on the fleet's rollouts straight on NATS.
func (c *cli) rolloutsNATS(ctx context.Context, f func(*fleet.Rollouts) (fleet.Rollout, error)) (fleet.Rollout, error) {
	s, nc, js, err := c.natsStore(ctx)
	if err != nil {
		return fleet.Rollout{}, err
	}
	defer nc.Close()
	defer s.Close()
	rs, err := fleet.OpenRollouts(ctx, js, c.nats.bucket, s)
	if err != nil {
		return fleet.Rollout{}, err
	}
	// The nodes' reports: a rollout selects among the live nodes.
	if rs.Status, err = js.KeyValue(ctx, c.nats.bucket+"-status"); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		return fleet.Rollout{}, err
	}
	return f(rs)
}

// fleetNATS reads every node's status straight from NATS.
func (c *cli) fleetNATS(ctx context.Context) ([]fleet.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nc, js, err := c.nats.connect(ctx, "hotmod fleet")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	kv, err := js.KeyValue(ctx, c.nats.bucket+"-status")
	if err != nil {
		return nil, fmt.Errorf("the status bucket of %s on %s: %w", c.nats.bucket, redactURL(c.nats.url), err)
	}
	return fleet.Read(ctx, kv)
}

// signedBy is what a put adds to its sentence when it signed.
func signedBy(key *sign.PrivateKey) string {
	if key == nil {
		return ""
	}
	return ", signed by key " + key.ID()
}
