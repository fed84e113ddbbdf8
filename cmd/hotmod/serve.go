package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/server"
	"github.com/hotmod/hotmod/vfs"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	dir, db, addr, token string
	// ready, if set, is told the address once the server listens (tests).
	ready func(addr string)
}

func newServe(c *cli) *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a folder (or bbolt file) of modules with the API, events, metrics and dashboard",
		Long: "serve loads every module under the store (id = path without extension), reloads each one when its\n" +
			"file changes, and serves the HTTP API, /events, /metrics and the dashboard at /.\n" +
			"It listens on loopback unless given --token; SIGINT or SIGTERM shuts it down gracefully.",
		Example: "  hotmod serve                                  # ./modules on 127.0.0.1:7070\n" +
			"  hotmod serve --dir examples/modules\n" +
			"  hotmod serve --db modules.db --addr 127.0.0.1:8080\n" +
			"  HOTMOD_TOKEN=s3cret hotmod serve --addr 0.0.0.0:7070",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.token = c.token
			return serve(cmd.Context(), o, c.stdout, c.stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "./modules", "folder of modules (created if missing)")
	f.StringVar(&o.db, "db", "", "bbolt file of modules, instead of --dir")
	f.StringVar(&o.addr, "addr", "127.0.0.1:7070", "listen address")
	return cmd
}

func openStore(o serveOptions) (vfs.Store, string, error) {
	if o.db != "" {
		s, err := vfs.OpenBolt(o.db)
		return s, o.db, err
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return nil, "", err
	}
	s, err := vfs.NewDir(o.dir)
	if err != nil {
		return nil, "", err
	}
	return s, s.Path(), nil
}

func serve(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	if !server.IsLoopbackAddr(o.addr) && o.token == "" {
		return fmt.Errorf("refusing to listen on %s without --token: anyone who can reach it could run code", o.addr)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	store, where, err := openStore(o)
	if err != nil {
		return err
	}
	defer store.Close()
	metrics := server.NewMetrics()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, Logger: logger, ModuleID: server.ModuleID, OnCall: metrics.ObserveCall})
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
	loader := &server.Loader{Runtime: rt, Store: store, Logger: logger}
	if err := loader.LoadAll(ctx); err != nil {
		return err
	}
	loadCtx, stopLoading := context.WithCancel(ctx)
	defer stopLoading()
	if err := loader.Start(loadCtx); err != nil {
		return err
	}

	srv := server.New(server.Options{Runtime: rt, Store: store, Token: o.token, Logger: logger, Metrics: metrics})
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	httpSrv.RegisterOnShutdown(srv.Close)
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	fmt.Fprintf(stdout, "hotmod: %d modules from %s\nhotmod: dashboard at http://%s/\n", rt.Stats().TotalModules, where, ln.Addr())
	if o.ready != nil {
		o.ready(ln.Addr().String())
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let the calls in flight finish, then dispose modules
	// (the deferred Close calls).
	fmt.Fprintln(stdout, "hotmod: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return nil
}
