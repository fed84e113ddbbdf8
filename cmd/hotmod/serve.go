package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/server"
	"github.com/hotmod/hotmod/sign"
	"github.com/hotmod/hotmod/vfs"
	"github.com/hotmod/hotmod/vfs/natskv"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	dir, db, addr, token string
	// create makes every missing folder of dir; without it only dir itself
	// is made, in a folder that exists (see openDir).
	create bool
	// allowHosts are host names served without a token besides loopback.
	allowHosts []string
	// sandboxMax caps the limits of sandbox requests (zero: the defaults).
	sandboxMax hotmod.SafeOptions
	// loadTimeout and callTimeout bound module loads and calls.
	loadTimeout, callTimeout time.Duration
	// firstPass is Options.FirstPassBudget.
	firstPass time.Duration
	// realms is Options.Realms.
	realms int
	// testSiblings is Options.TestSiblings.
	testSiblings bool
	// probation is Options.Probation's window.
	probation hotmod.Probation
	// nats: a fleet's store, a JetStream key-value bucket, and how to
	// connect to it; node names this node in the fleet's status.
	nats natsOptions
	node string
	// trust: public keys (or files of them) of which a source, a rollout
	// or a snapshot must carry a signature (--trust).
	trust []string
	// compileCache keeps esbuild's output across starts ("" for none).
	compileCache string
	// env is what modules see as process.env (Options.Env): NODE_ENV is
	// "production" unless --env sets it.
	env map[string]string
	// ready, if set, is told the address once the server listens; loaded,
	// once the modules in the store have loaded (tests).
	ready  func(addr string)
	loaded func()
}

func newServe(c *cli) *cobra.Command {
	o := serveOptions{}
	var envFlags []string
	def := server.DefaultSandboxMax()
	maxMem, maxStack, maxConsole := byteSize(def.MemoryLimit), byteSize(def.StackLimit), byteSize(def.ConsoleLimit)
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve a folder (or bbolt file) of modules with the API, events, metrics and dashboard",
		Long: "serve listens, then loads every module under the store (id = path without extension) in the\n" +
			"background, reloads each one when its file changes, and serves the HTTP API, /events, /metrics and\n" +
			"the dashboard at /. It listens on loopback unless given --token; without a token it answers only\n" +
			"requests that name it localhost, *.localhost, 127.0.0.1 or [::1] (and --allow-host names), which\n" +
			"stops DNS rebinding pages. Sandbox requests may not ask for more than the --sandbox-max-* limits.\n" +
			"SIGINT or SIGTERM shuts it down gracefully.",
		Example: "  hotmod serve                                  # ./modules on 127.0.0.1:7070\n" +
			"  hotmod serve examples/modules                 # the same as --dir examples/modules\n" +
			"  hotmod serve --db modules.db --addr 127.0.0.1:8080\n" +
			"  hotmod serve --nats nats://127.0.0.1:4222 --addr 127.0.0.1:7071   # a fleet node\n" +
			"  hotmod serve --allow-host devbox.internal     # reached through an SSH tunnel by that name\n" +
			"  hotmod serve --sandbox-max-time 5s --sandbox-max-memory 256MiB\n" +
			"  hotmod serve --env API_URL=http://127.0.0.1:9000 --env NODE_ENV=development\n" +
			"  HOTMOD_TOKEN=s3cret hotmod serve --addr 0.0.0.0:7070",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if cmd.Flags().Changed("dir") || cmd.Flags().Changed("db") {
					return fmt.Errorf("give the folder as an argument or as --dir, not both (%s)", args[0])
				}
				o.dir = args[0]
			}
			stores := 0
			for _, name := range []string{"dir", "db", "nats"} {
				if cmd.Flags().Changed(name) {
					stores++
				}
			}
			if stores+min(len(args), 1) > 1 {
				return fmt.Errorf("give one store: a folder (DIR or --dir), --db or --nats")
			}
			if o.loadTimeout <= 0 || o.callTimeout <= 0 {
				return fmt.Errorf("--load-timeout and --call-timeout must be positive (%s, %s)", o.loadTimeout, o.callTimeout)
			}
			if o.node != "" && fleet.NodeName(o.node) != o.node {
				return fmt.Errorf("--node %q: a node name is 1 to 128 letters, digits, '-' or '_'", o.node)
			}
			if o.probation.Calls < 0 || o.probation.Duration < 0 {
				return fmt.Errorf("--probation-calls and --probation-for cannot be negative")
			}
			if o.realms < 1 || o.realms > 64 {
				return fmt.Errorf("--realms must be 1 to 64, not %d", o.realms)
			}
			if o.sandboxMax.ConsoleLineLimit <= 0 {
				return fmt.Errorf("--sandbox-max-console-lines must be positive, not %d", o.sandboxMax.ConsoleLineLimit)
			}
			if o.sandboxMax.TimeLimit <= 0 {
				return fmt.Errorf("--sandbox-max-time must be positive, not %s", o.sandboxMax.TimeLimit)
			}
			for _, h := range o.allowHosts {
				if strings.TrimSpace(h) == "" || strings.ContainsAny(h, "/ ") {
					return fmt.Errorf("--allow-host takes a host name, not %q", h)
				}
			}
			env, err := parseEnv(envFlags)
			if err != nil {
				return err
			}
			o.env = env
			o.sandboxMax.MemoryLimit, o.sandboxMax.StackLimit, o.sandboxMax.ConsoleLimit = int64(maxMem), int64(maxStack), int(maxConsole)
			o.token = c.token
			return serve(cmd.Context(), o, c.stdout, c.stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "./modules", "folder of modules (created if missing, in a folder that exists)")
	f.BoolVar(&o.create, "create", false, "make --dir's missing parent folders too (without it a missing parent is refused, as a likely typo)")
	f.StringVar(&o.db, "db", "", "bbolt file of modules, instead of --dir")
	o.nats.addFlags(f, "NATS server URL of a fleet's module store (a JetStream key-value bucket), instead of --dir: every node on it reloads on every change")
	f.StringArrayVar(&o.trust, "trust", nil, "a public key (hotmod-ed25519-pub:...) or a file holding one (repeatable): serve only sources, rollouts and snapshots signed by one of them (hotmod keygen, hotmod put --sign)")
	f.StringVar(&o.node, "node", "", "this node's name in the fleet's status, with --nats (default: host name and port)")
	f.StringVar(&o.addr, "addr", "127.0.0.1:7070", "listen address, HOST:PORT (a port alone is not enough)")
	f.StringVar(&o.compileCache, "compile-cache", defaultCompileCache(),
		`folder that keeps the JavaScript esbuild makes of each source, so a restart does not transpile a package again ("" for none)`)
	f.DurationVar(&o.firstPass, "first-pass", 100*time.Millisecond, "how long each module's top level may run in the first pass of loading a folder, before the slow ones get the whole --load-timeout (negative: one pass)")
	f.DurationVar(&o.loadTimeout, "load-timeout", 5*time.Second, "how long evaluating one version of a module may run (a module that never finishes loading is listed as failed)")
	f.IntVar(&o.probation.Calls, "probation-calls", 0, "watch each reloaded version for this many calls, and roll it back by itself if its error rate or p99 regresses")
	f.DurationVar(&o.probation.Duration, "probation-for", 0, "watch each reloaded version for this long (with --probation-calls: whichever ends first)")
	f.BoolVar(&o.testSiblings, "test-siblings", false, "before a module x.js serves a new version, run the functions x.test.js exports against it; a failing test keeps the old version")
	f.IntVar(&o.realms, "realms", 1, "goja realms running the modules: calls use that many cores, but each realm keeps its own module state (1 to 64)")
	f.DurationVar(&o.callTimeout, "call-timeout", 10*time.Second, "how long a call may run when its request sets no earlier deadline")
	f.StringArrayVar(&envFlags, "env", nil, `KEY=VALUE in the modules' process.env (repeatable); it holds only these and NODE_ENV, "production" unless given (never the server's own environment)`)
	f.StringArrayVar(&o.allowHosts, "allow-host", nil, "a host name (any port) to answer without a token, besides loopback (repeatable)")
	f.Var(&maxMem, "sandbox-max-memory", "the most memory a sandbox request may ask for")
	f.DurationVar(&o.sandboxMax.TimeLimit, "sandbox-max-time", def.TimeLimit, "the most time a sandbox request may ask for")
	f.Var(&maxStack, "sandbox-max-stack", "the most stack a sandbox request may ask for")
	f.Var(&maxConsole, "sandbox-max-console", "the most console output a sandbox request may ask for")
	f.IntVar(&o.sandboxMax.ConsoleLineLimit, "sandbox-max-console-lines", def.ConsoleLineLimit, "the most console lines a sandbox request may ask for")
	return cmd
}

// byteSize is a flag of bytes, written as a number with an optional KiB,
// MiB or GiB.
type byteSize int64

var units = []struct {
	suffix string
	shift  uint
}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}, {"", 0}}

func (b *byteSize) String() string {
	for _, u := range units[:3] {
		if n := int64(*b); n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Set(s string) error {
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt64>>u.shift {
			break
		}
		*b = byteSize(n << u.shift)
		return nil
	}
	return fmt.Errorf("want a positive size such as 65536, 64KiB or 256MiB, not %q", s)
}

func (b *byteSize) Type() string { return "size" }

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func openStore(ctx context.Context, o serveOptions, logger *slog.Logger, stdout io.Writer) (vfs.Store, string, error) {
	if o.nats.url != "" {
		nc, js, err := o.nats.connect(ctx, "hotmod serve")
		if err != nil {
			return nil, "", err
		}
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := natskv.Open(octx, js, o.nats.bucket, natskv.Options{Logger: logger})
		if err != nil {
			nc.Close()
			return nil, "", fmt.Errorf("--nats %s: %w", redactURL(o.nats.url), err)
		}
		return closingConn{s, nc, js}, fmt.Sprintf("bucket %s on %s", o.nats.bucket, redactURL(o.nats.url)), nil
	}
	if o.db != "" {
		s, err := vfs.OpenBolt(o.db)
		return s, o.db, err
	}
	if err := openDir(o.dir, o.create, stdout); err != nil {
		return nil, "", err
	}
	s, err := vfs.NewDir(o.dir)
	if err != nil {
		return nil, "", err
	}
	return s, s.Path(), nil
}

// errNoParent refuses a --dir whose parent folder is missing: making the
// whole chain would turn a typo in the path into an empty server that
// quietly watches a folder nobody edits.
var errNoParent = errors.New("its parent folder does not exist")

// openDir makes sure the module folder dir exists. A missing dir is made
// when its parent exists (hotmod serve in a fresh checkout), and said on
// stdout; a missing parent is refused unless create, which makes them all.
func openDir(dir string, create bool, stdout io.Writer) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("--dir %s is a file, not a folder (a bbolt file is served with --db)", dir)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if _, err := os.Stat(parent); errors.Is(err, fs.ErrNotExist) && !create {
		return fmt.Errorf("--dir %s: %w (%s); check the path, or pass --create to make the missing folders", dir, errNoParent, parent)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(stdout, "hotmod: created the empty folder %s: put modules there\n", cmp.Or(abs, dir))
	return nil
}

// checkAddr refuses a listen address net.Listen would misread or refuse
// with a message about something else: a bare port (7093) is no address,
// and reading it as a host would blame the missing token.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, perr := strconv.Atoi(addr); perr == nil {
			return fmt.Errorf("--addr %s needs a host as well as the port, e.g. --addr 127.0.0.1:%s (or :%s for every interface, which needs --token)", addr, addr, addr)
		}
		eg := "127.0.0.1:7070"
		if addr != "" && !strings.ContainsAny(addr, ":[]") {
			eg = net.JoinHostPort(addr, "7070") // a host alone
		}
		return fmt.Errorf("--addr %s is not HOST:PORT, e.g. --addr %s", addr, eg)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("--addr %s: the port must be a number from 0 to 65535, e.g. --addr %s", addr, net.JoinHostPort(cmp.Or(host, "127.0.0.1"), "7070"))
	}
	return nil
}

// listenError says what to do when the address cannot be had.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s is already in use (another hotmod serve?): stop it, or listen elsewhere with --addr, e.g. --addr %s", addr, nextPort(addr))
	}
	return fmt.Errorf("listening on %s: %w", addr, err)
}

// nextPort is addr with the port after its own, for a suggestion.
func nextPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n == 0 || n >= 65535 {
		return "127.0.0.1:7071"
	}
	return net.JoinHostPort(host, strconv.Itoa(n+1))
}

// closingConn is a natskv store that closes its connection with it.
type closingConn struct {
	*natskv.Store
	nc *nats.Conn
	js jetstream.JetStream
}

func (c closingConn) Close() error {
	err := c.Store.Close()
	c.nc.Close()
	return err
}

func serve(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	if err := checkAddr(o.addr); err != nil {
		return err
	}
	if !server.IsLoopbackAddr(o.addr) && o.token == "" {
		return fmt.Errorf("refusing to listen on %s without --token: anyone who can reach it could run code", o.addr)
	}
	// Loading reports from its own goroutine, and the logger from many:
	// one lock for both writers, which may be one and the same.
	var mu sync.Mutex
	stdout, stderr = &lockedWriter{mu: &mu, w: stdout}, &lockedWriter{mu: &mu, w: stderr}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	trusted, err := loadTrust(o.trust)
	if err != nil {
		return err
	}
	raw, where, err := openStore(ctx, o, logger, stdout)
	if err != nil {
		return err
	}
	defer raw.Close()
	// Every node unwraps signed values, so that signed and unsigned
	// releases read the same; with --trust it also refuses unsigned ones.
	store := sign.Wrap(raw, trusted)
	if len(trusted) > 0 {
		fmt.Fprintf(stdout, "hotmod: serving only releases signed by %s\n", keyIDs(trusted))
	}
	metrics := server.NewMetrics()
	if o.compileCache != "" {
		// The cache only saves time: a folder that cannot be made (no
		// home, a read-only one) costs a warning, not the server.
		if err := os.MkdirAll(o.compileCache, 0o700); err != nil {
			logger.Warn("running without a compile cache", "dir", o.compileCache, "err", err)
			o.compileCache = ""
		}
	}
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, Logger: logger, ModuleID: server.ModuleID, OnCall: metrics.ObserveCall,
		LoadTimeout: o.loadTimeout, CallTimeout: o.callTimeout, FirstPassBudget: o.firstPass, CompileCacheDir: o.compileCache, Realms: o.realms,
		TestSiblings: o.testSiblings, Probation: o.probation, Env: o.env})
	if err != nil {
		return err
	}
	defer func() {
		// Bounded: a module that will not let go cannot hold the process.
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := rt.Close(closeCtx); err != nil {
			logger.Error("closing the runtime", "err", err)
		}
	}()
	metrics.Attach(rt)

	// Listen before loading anything: a module that takes long to load, or
	// never finishes, must not keep the dashboard and the API from
	// answering, since they are how one finds and removes it.
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return listenError(o.addr, err)
	}
	sopts := server.Options{Runtime: rt, Store: store, Token: o.token, Logger: logger, Metrics: metrics,
		AllowedHosts: o.allowHosts, SandboxMax: o.sandboxMax}
	if cc, ok := raw.(closingConn); ok {
		// A fleet node: it reports what it serves, and lists the others.
		// A dead node is listed stale two report intervals (10 s) after
		// its last report; the entry stays a minute, so that fleet shows
		// the dead node and how long it has been silent, then drops it.
		status, err := fleet.OpenStatus(ctx, cc.js, o.nats.bucket, time.Minute)
		if err != nil {
			ln.Close()
			return err
		}
		node := o.node
		if node == "" {
			host, _ := os.Hostname()
			node = fleet.NodeName(host + "-" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		}
		// The bucket itself, not the verifying wrapper: a promote writes
		// onto the revision its rollout started from (natskv's WriteIf),
		// sealed as the deployer signed it.
		rollouts, err := fleet.OpenRollouts(ctx, cc.js, o.nats.bucket, cc.Store)
		if err != nil {
			ln.Close()
			return err
		}
		rollouts.Status = status
		fol := &fleet.Follower{Node: node, Runtime: rt, Rollouts: rollouts, Status: status, Logger: logger, Trust: trusted}
		rep := &fleet.Reporter{Node: node, Addr: browserURL(ln.Addr()), Runtime: rt, Store: store, Status: status,
			Follower: fol, Logger: logger}
		fleetCtx, stopFleet := context.WithCancel(ctx)
		reported, followed := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(reported)
			if err := rep.Run(fleetCtx); err != nil {
				logger.Error("fleet status off", "err", err)
			}
		}()
		go func() {
			defer close(followed)
			if err := fol.Run(fleetCtx); err != nil {
				logger.Error("this node does not follow rollouts", "err", err)
			}
		}()
		defer func() { stopFleet(); <-reported; <-followed }()
		sopts.Fleet = func(ctx context.Context) ([]fleet.Status, error) { return fleet.Read(ctx, status) }
		sopts.Rollouts = rollouts
		sopts.StoreHealth = natsHealth(cc.nc)
		fmt.Fprintf(stdout, "hotmod: fleet node %s\n", node)
	}
	ready := make(chan struct{})
	sopts.Ready = ready
	srv := server.New(sopts)
	loadCtx, stopLoading := context.WithCancel(ctx)
	defer stopLoading()
	// The watch goes in place before the store is listed, so that a file
	// written meanwhile is loaded by one or the other (both is harmless).
	loader := &server.Loader{Runtime: rt, Store: store, Logger: logger}
	if err := loader.Start(loadCtx); err != nil {
		ln.Close()
		return err
	}
	httpSrv := srv.HTTPServer()
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	fmt.Fprintf(stdout, "hotmod: dashboard at %s\nhotmod: loading modules from %s\n", browserURL(ln.Addr()), where)
	if o.ready != nil {
		o.ready(ln.Addr().String())
	}
	loadingDone := make(chan struct{})
	go func() {
		defer close(loadingDone)
		loaded, failed, err := loader.LoadAll(loadCtx)
		if loadCtx.Err() != nil {
			return // shutting down: the figures would count the interrupted loads as failures
		}
		if err == nil {
			// /readyz: the first load is done, failed modules and all.
			// Before the line below, so that whoever reads it finds the
			// server ready.
			close(ready)
		}
		switch {
		case err != nil:
			logger.Error("listing the modules to load failed", "store", where, "err", err)
			fmt.Fprintf(stdout, "hotmod: could not list the modules in %s: %v\n", where, err)
		case failed > 0:
			fmt.Fprintf(stdout, "hotmod: %d modules loaded from %s, %d failed (see the log; each loads when its file is fixed)\n", loaded, where, failed)
		default:
			fmt.Fprintf(stdout, "hotmod: %d modules loaded from %s\n", loaded, where)
		}
		if o.loaded != nil {
			o.loaded()
		}
	}()

	// Loading is interrupted before the runtime closes (the deferred
	// calls), but a load that ignores that cannot hold up the exit.
	stopAndWait := func() {
		stopLoading()
		select {
		case <-loadingDone:
		case <-time.After(15 * time.Second):
			logger.Warn("module loading did not stop in time; closing the runtime anyway")
		}
	}
	select {
	case err := <-served:
		stopAndWait()
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let the calls in flight finish, then stop loading
	// and dispose modules.
	fmt.Fprintln(stdout, "hotmod: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	err = httpSrv.Shutdown(shutdownCtx)
	stopAndWait()
	return err
}

// defaultCompileCache is hotmod's folder in the user's cache folder, or
// none where there is no such folder.
func defaultCompileCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "hotmod", "compile")
}

// browserURL is a URL a browser on this machine can open for addr: a
// server listening on every interface (0.0.0.0, [::]) is reached at
// localhost.
func browserURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// parseEnv makes process.env of --env KEY=VALUE flags: NODE_ENV is
// "production" unless one sets it, as packages (React, immer, ...) take
// their production paths only when told.
func parseEnv(flags []string) (map[string]string, error) {
	env := map[string]string{"NODE_ENV": "production"}
	for _, kv := range flags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsAny(k, "\x00") {
			return nil, fmt.Errorf("--env takes KEY=VALUE, not %q", kv)
		}
		env[k] = v
	}
	return env, nil
}
