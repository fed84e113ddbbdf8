// Package server is hotmod's HTTP face: a JSON API over a Runtime and its
// store, Server-Sent Events of every runtime event, Prometheus metrics, and
// the embedded dashboard built on the <hot-reload-widget> element.
//
// Security: without a token the handler answers loopback clients only, and
// only when they name a loopback host (see Options.AllowedHosts); with one,
// every API, event and metrics request must carry
// "Authorization: Bearer <token>" (compared in constant time). There is no
// CORS, and state-changing requests must be JSON from the same origin, so a
// cross-site form cannot trigger one. A refused request's body is never read.
package server

import (
	"cmp"
	"context"
	"crypto/subtle"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/vfs"
)

//go:embed web
var webFS embed.FS

// Options configure a Server. Runtime and Store are required.
type Options struct {
	Runtime *hotmod.Runtime
	Store   vfs.Store
	// Token, if set, is required from every API, event and metrics client.
	Token  string
	Logger *slog.Logger
	// Metrics, if set, is served at /metrics (see NewMetrics).
	Metrics *Metrics
	// MaxSourceBytes caps file and patch uploads (default 10 MiB);
	// MaxArgsBytes caps call arguments and sandbox requests (default 1 MiB).
	MaxSourceBytes int64
	MaxArgsBytes   int64
	// MaxBatchBytes caps a request that writes several files at once (a
	// folder such as a node_modules), JSON encoding included (default 64
	// MiB).
	MaxBatchBytes int64
	// RequestTimeout bounds every API request (default 30 s).
	RequestTimeout time.Duration
	// EventBuffer is how many events a reconnecting client can catch up
	// on (default 1024).
	EventBuffer int
	// StatsInterval is how often, while calls happen or a profile counts,
	// a "stats" event gives each module's call rate, errors and p99 and the
	// running profiles' metrics (default 1 s; below 0, never). Call figures
	// need Metrics, with its ObserveCall as the runtime's OnCall.
	StatsInterval time.Duration
	// Fleet, if set, lists what every node of the server's fleet serves
	// (GET /api/fleet): `hotmod serve --nats` reads the status bucket.
	Fleet func(ctx context.Context) ([]fleet.Status, error)
	// Rollouts, if set, starts, promotes and aborts the fleet's rollouts
	// (POST /api/rollouts, .../promote, .../abort) and lists them (GET
	// /api/rollouts).
	Rollouts *fleet.Rollouts
	// StoreHealth, if set, says whether the store can be reached: nil, or
	// why not. It runs on every /healthz and before every request that
	// needs the store, so it must be cheap: `hotmod serve --nats` reads
	// the NATS connection's state. While it fails /healthz says
	// "degraded" (200: calls are served from what is loaded), and the
	// file, history, fleet and rollout endpoints fail at once (503,
	// "unreachable").
	StoreHealth func() error
	// Ready, if set, is closed once the store's modules have first
	// loaded: /readyz answers 503 until then, 200 after.
	Ready <-chan struct{}
	// FleetTimeout bounds each request to the fleet's buckets (default
	// 4 s), so that `hotmod fleet` fails within 5 s when NATS does not
	// answer.
	FleetTimeout time.Duration
	// AllowedHosts are host names, besides the loopback ones, that a
	// server without a token answers to (any port). Without a token a
	// request must name the server by localhost, *.localhost, 127.0.0.1,
	// [::1] or one of these in its Host header: a page that rebinds its
	// own DNS name to 127.0.0.1 sends that name, and is refused. With a
	// token the Host is not checked.
	AllowedHosts []string
	// SandboxMax caps the limits a sandbox request may ask for; a request
	// over any of them is refused, and a request that leaves a limit at 0
	// gets the library default or this cap, whichever is lower. Zero
	// fields take DefaultSandboxMax's.
	SandboxMax hotmod.SafeOptions
}

// DefaultSandboxMax is the ceiling a Server puts on sandbox requests unless
// told otherwise: the library's own default limits, so that a client cannot
// ask for more than an embedder's ExecuteSafe would grant.
func DefaultSandboxMax() hotmod.SafeOptions { return hotmod.DefaultSafeOptions() }

// Server serves the API, events, metrics and dashboard.
type Server struct {
	opts   Options
	hosts  map[string]bool
	rt     *hotmod.Runtime
	store  vfs.Store
	log    *slog.Logger
	events *broker
	live   *liveStats // nil without stats events
	// unobserve stops the live figures' feed from Metrics.
	unobserve func()
	closeOnce sync.Once
	mux       *http.ServeMux
	leases    profileLeases // lifetimes of profiles started with one
}

// New builds a Server and starts relaying the runtime's events.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = 64 << 20
	}
	if opts.MaxSourceBytes <= 0 {
		opts.MaxSourceBytes = 10 << 20
	}
	if opts.MaxArgsBytes <= 0 {
		opts.MaxArgsBytes = 1 << 20
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.FleetTimeout <= 0 {
		opts.FleetTimeout = 4 * time.Second
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = 1024
	}
	if opts.StatsInterval == 0 {
		opts.StatsInterval = time.Second
	}
	def := DefaultSandboxMax()
	opts.SandboxMax.MemoryLimit = cmp.Or(max(opts.SandboxMax.MemoryLimit, 0), def.MemoryLimit)
	opts.SandboxMax.TimeLimit = cmp.Or(max(opts.SandboxMax.TimeLimit, 0), def.TimeLimit)
	opts.SandboxMax.StackLimit = cmp.Or(max(opts.SandboxMax.StackLimit, 0), def.StackLimit)
	opts.SandboxMax.ConsoleLimit = cmp.Or(max(opts.SandboxMax.ConsoleLimit, 0), def.ConsoleLimit)
	opts.SandboxMax.ConsoleLineLimit = cmp.Or(max(opts.SandboxMax.ConsoleLineLimit, 0), def.ConsoleLineLimit)
	s := &Server{opts: opts, rt: opts.Runtime, store: opts.Store, log: opts.Logger, mux: http.NewServeMux(), hosts: map[string]bool{}}
	for _, h := range opts.AllowedHosts {
		if h = hostName(h); h != "" {
			s.hosts[h] = true
		}
	}
	var observe func(hotmod.Event)
	if opts.StatsInterval > 0 {
		s.live = newLiveStats(opts.Runtime, opts.StatsInterval, func(ev StatsEvent) {
			b, err := ev.marshal()
			if err != nil {
				// Clients keep the last figures rather than get an empty event.
				s.log.Error("stats event not sent", "err", err)
				return
			}
			s.events.setStats(b)
		})
		observe = s.live.onEvent
		if opts.Metrics != nil {
			s.unobserve = opts.Metrics.observe(s.live.observe)
		}
	}
	s.events = newBroker(opts.Runtime, opts.EventBuffer, observe)
	if s.live != nil {
		s.live.start()
	}
	s.routes()
	return s
}

// Close ends every event stream and the stats events, so that
// http.Server.Shutdown need not wait for them; it is meant for
// RegisterOnShutdown.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.unobserve != nil {
			s.unobserve()
		}
		if s.live != nil {
			s.live.close()
		}
		s.leases.close()
		s.events.close()
	})
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.guard(s.mux) }

// HTTPServer returns an http.Server for Handler with timeouts that keep a
// slow or idle client from holding a connection: the headers must arrive
// within 10 s, the whole request within RequestTimeout, and the answer must
// be written within RequestTimeout and 10 s more (a request that times out
// still has time to say so). /events lifts the read and write deadlines for
// its own stream. Shutting it down ends the event streams. Set Addr (or
// call Serve with a listener); adjust the fields before serving if needed.
func (s *Server) HTTPServer() *http.Server {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.opts.RequestTimeout,
		WriteTimeout:      s.opts.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(s.Close)
	return hs
}

func (s *Server) routes() {
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		s.mux.Handle(pattern, s.apiHandler(h))
	}
	api("GET /api/modules", s.listModules)
	api("POST /api/modules", s.createModule)
	api("GET /api/modules/{id}", s.getModule)
	api("DELETE /api/modules/{id}", s.removeModule)
	api("POST /api/modules/{id}/call", s.callModule)
	api("POST /api/modules/{id}/reload", s.reloadModule)
	api("POST /api/modules/{id}/rollback", s.rollbackModule)
	api("POST /api/modules/{id}/canary", s.startCanary)
	api("POST /api/modules/{id}/canary/promote", s.promoteCanary)
	api("DELETE /api/modules/{id}/canary", s.abortCanary)
	api("GET /api/modules/{id}/versions/{n}", s.getVersion)
	api("POST /api/modules/{id}/patches", s.createPatch)
	api("DELETE /api/patches/{pid}", s.deletePatch)
	api("POST /api/modules/{id}/profiles", s.startProfile)
	api("GET /api/profiles/{pid}", s.getProfile)
	api("DELETE /api/profiles/{pid}", s.stopProfile)
	api("POST /api/profiles/{pid}/renew", s.renewProfile)
	api("POST /api/sandbox", s.sandbox)
	api("GET /api/files", s.storeAPI(s.listFiles))
	api("GET /api/files/{path...}", s.storeAPI(s.readFile))
	api("PUT /api/files/{path...}", s.storeAPI(s.writeFile))
	api("POST /api/files", s.storeAPI(s.writeFiles))
	api("DELETE /api/files/{path...}", s.storeAPI(s.deleteFile))
	api("GET /api/history/{path...}", s.storeAPI(s.history))
	api("GET /api/stats", s.stats)
	api("GET /api/live", s.liveHistory)
	api("POST /api/cleanup", s.cleanup)
	api("POST /api/rescan", s.rescan)
	api("GET /api/fleet", s.fleetAPI(s.fleet))
	api("GET /api/rollouts", s.fleetAPI(s.listRollouts))
	api("POST /api/rollouts", s.fleetAPI(s.startRollout))
	api("POST /api/rollouts/promote", s.fleetAPI(s.promoteRollout))
	api("POST /api/rollouts/abort", s.fleetAPI(s.abortRollout))
	api("GET /api/snapshots", s.listSnapshots)
	api("POST /api/snapshots", s.takeSnapshot)
	api("GET /api/snapshots/{name}", s.getSnapshot)
	api("POST /api/snapshots/{name}/restore", s.restoreSnapshot)
	api("/api/", func(w http.ResponseWriter, r *http.Request) error {
		return apiError{http.StatusNotFound, "not_found", "no such endpoint: " + r.Method + " " + r.URL.Path}
	})
	s.mux.HandleFunc("GET /events", s.streamEvents)
	if s.opts.Metrics != nil {
		s.mux.Handle("GET /metrics", s.opts.Metrics.Handler())
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	web, _ := fs.Sub(webFS, "web")
	files := http.FileServerFS(web)
	s.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			refuse(w, r, apiError{http.StatusMethodNotAllowed, "method_not_allowed", r.Method + " is not allowed here"})
			return
		}
		files.ServeHTTP(w, r)
	}))
}

// guard applies the access rules before anything else runs.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if s.opts.Token != "" {
			// Says so before any refusal: the dashboard asks /healthz
			// first and shows its login without a 401 in the console.
			h.Set("X-Hotmod-Token", "required")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		open := r.URL.Path == "/healthz" || !(strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/events" || r.URL.Path == "/metrics")
		switch {
		case s.opts.Token == "" && !isLoopback(r.RemoteAddr):
			refuse(w, r, apiError{http.StatusForbidden, "forbidden", "this server has no token, so it answers loopback clients only"})
		case s.opts.Token == "" && !s.hostAllowed(r.Host):
			refuse(w, r, apiError{http.StatusForbidden, "host_not_allowed", fmt.Sprintf(
				"this server has no token, so it answers only to loopback host names (localhost, 127.0.0.1, [::1]), not to Host %q; allow more names with Options.AllowedHosts (hotmod serve --allow-host)", r.Host)})
		case crossSite(r):
			refuse(w, r, apiError{http.StatusForbidden, "cross_site", "cross-site requests are refused"})
		case !open && s.opts.Token != "" && !s.authorized(r):
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotmod"`)
			// A wrong token and a missing one are fixed differently: say which.
			msg := "no token was sent: send Authorization: Bearer <token>"
			if r.Header.Get("Authorization") != "" {
				msg = "the token sent is not this server's token"
			}
			refuse(w, r, apiError{http.StatusUnauthorized, "unauthorized", msg})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// refuse answers a request without reading its body. Left alone, net/http
// would read up to 256 KiB of an unread body before answering, so a client
// trickling one in would hold the connection; closing the connection after
// the answer and expiring the read deadline make it give up on the body.
func refuse(w http.ResponseWriter, r *http.Request, err error) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
	writeError(w, err)
}

// hostAllowed reports whether a Host header names this server in a way a
// DNS rebinding page cannot: a loopback IP literal, localhost or a name
// under .localhost (reserved by RFC 6761, so no public DNS answers for it,
// and browsers resolve it to loopback themselves), or an allowed name.
func (s *Server) hostAllowed(hostport string) bool {
	h := hostName(hostport)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || s.hosts[h] {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// hostName is the host of a Host header or an allowed-host entry, without
// port or IPv6 brackets, in lower case and without a trailing dot (which
// names the same host).
func hostName(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) == 1
}

// crossSite reports a request a browser sent on behalf of another site.
// Reads of the dashboard's own files are fine; anything else is not.
func crossSite(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/events"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		return err != nil || u.Host != r.Host
	}
	return false
}

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopbackAddr reports whether a listen address only takes loopback
// connections ("127.0.0.1:7070", "[::1]:0", "localhost:7070").
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
