package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/pflag"
)

// natsOptions are how every command that talks to NATS connects: the one
// place that turns flags into nats.Options, so serve, put, rollout and
// fleet accept the same authentication.
type natsOptions struct {
	url, bucket              string
	creds, nkey              string
	user, password           string
	ca, cert, key            string
	userFromEnv, passFromEnv bool
}

// Environment variables read when the matching flag is not given: a
// password on the command line shows in ps and shell history.
const (
	envNATSUser     = "HOTMOD_NATS_USER"
	envNATSPassword = "HOTMOD_NATS_PASSWORD"
)

// addFlags registers the connection flags on f; urlUsage says what --nats
// means for the command.
func (n *natsOptions) addFlags(f *pflag.FlagSet, urlUsage string) {
	f.StringVar(&n.url, "nats", "", urlUsage)
	f.StringVar(&n.bucket, "bucket", "hotmod", "the key-value bucket, with --nats")
	f.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (a user JWT and its nkey seed, as nsc writes it)")
	f.StringVar(&n.nkey, "nats-nkey", "", "file holding a NATS user nkey seed (SU...)")
	f.StringVar(&n.user, "nats-user", "", "NATS user name (default $"+envNATSUser+")")
	// Never a default: cobra prints defaults in --help.
	f.StringVar(&n.password, "nats-password", "", "NATS password (default $"+envNATSPassword+", which keeps it out of ps and shell history)")
	f.StringVar(&n.ca, "nats-ca", "", "PEM file of the CA that signed the NATS server's certificate (TLS)")
	f.StringVar(&n.cert, "nats-cert", "", "PEM client certificate for mutual TLS, with --nats-key")
	f.StringVar(&n.key, "nats-key", "", "PEM private key of --nats-cert")
}

// options checks the flags and turns them into nats options.
func (n *natsOptions) options(name string) ([]nats.Option, error) {
	user, password := n.user, n.password
	if user == "" {
		user = os.Getenv(envNATSUser)
	}
	if password == "" {
		password = os.Getenv(envNATSPassword)
	}
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1)}
	methods := 0
	if n.creds != "" {
		methods++
		if _, err := os.Stat(n.creds); err != nil {
			return nil, fmt.Errorf("--nats-creds: %w", err)
		}
		opts = append(opts, nats.UserCredentials(n.creds))
	}
	if n.nkey != "" {
		methods++
		o, err := nats.NkeyOptionFromSeed(n.nkey)
		if err != nil {
			return nil, fmt.Errorf("--nats-nkey %s: %w", n.nkey, err)
		}
		opts = append(opts, o)
	}
	if user != "" || password != "" {
		methods++
		if user == "" || password == "" {
			return nil, fmt.Errorf("--nats-user and --nats-password go together (or $%s and $%s)", envNATSUser, envNATSPassword)
		}
		opts = append(opts, nats.UserInfo(user, password))
	}
	if methods > 1 {
		return nil, errors.New("give one NATS identity: --nats-creds, --nats-nkey, or --nats-user with --nats-password")
	}
	if (n.cert == "") != (n.key == "") {
		return nil, errors.New("--nats-cert and --nats-key go together")
	}
	if n.ca != "" {
		opts = append(opts, nats.RootCAs(n.ca))
	}
	if n.cert != "" {
		opts = append(opts, nats.ClientCert(n.cert, n.key))
	}
	return opts, nil
}

// connect connects to --nats and returns JetStream on the connection.
// Errors name the URL without its password.
func (n *natsOptions) connect(ctx context.Context, name string) (*nats.Conn, jetstream.JetStream, error) {
	opts, err := n.options(name)
	if err != nil {
		return nil, nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		opts = append(opts, nats.Timeout(max(time.Until(deadline), time.Millisecond)))
	}
	nc, err := nats.Connect(n.url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("--nats %s: %s", redactURL(n.url), redactIn(err.Error(), n.url))
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// redactURL is a NATS URL (or comma-separated list of them) fit to print:
// a password, or a user that stands alone (NATS reads it as a token), is
// replaced by xxxxx.
func redactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			if strings.Contains(p, "@") {
				parts[i] = "xxxxx@" + p[strings.LastIndex(p, "@")+1:] // unparsable: keep only the host
			}
			continue
		}
		if _, ok := u.User.Password(); ok {
			parts[i] = u.Redacted()
		} else {
			u.User = url.User("xxxxx")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}

// redactIn removes the secrets of the URL list urls from text.
func redactIn(text, urls string) string {
	for p := range strings.SplitSeq(urls, ",") {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			continue
		}
		if pw, ok := u.User.Password(); ok && pw != "" {
			text = strings.ReplaceAll(text, pw, "xxxxx")
		} else if tok := u.User.Username(); tok != "" {
			text = strings.ReplaceAll(text, tok, "xxxxx")
		}
	}
	return text
}
