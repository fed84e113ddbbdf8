package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/fleet"
	"github.com/hotmod/hotmod/server"
	"github.com/hotmod/hotmod/sign"
	"github.com/spf13/cobra"
)

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	server, token  string
	asJSON         bool
	// nats: put, rollout and fleet with --nats talk to the fleet's NATS
	// themselves, with the deployer's own NATS identity.
	nats natsOptions
}

func (c *cli) client() *client {
	return &client{base: c.server, token: c.token, http: &http.Client{}}
}

// flagHints name the flag meant by one that hotmod does not have but other
// servers do.
var flagHints = map[string]string{
	"port":   "--addr HOST:PORT, e.g. --addr 127.0.0.1:7071",
	"host":   "--addr HOST:PORT, e.g. --addr 127.0.0.1:7070",
	"listen": "--addr HOST:PORT, e.g. --addr 127.0.0.1:7070",
	"bind":   "--addr HOST:PORT, e.g. --addr 127.0.0.1:7070",
}

// flagHint adds to an unknown flag's error the flag meant, and the usual
// pointer to --help.
func flagHint(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if hint, ok := flagHints[name]; ok {
			return fmt.Errorf("%s: hotmod %s takes %s", msg, cmd.Name(), hint)
		}
	}
	return fmt.Errorf("%w (see hotmod %s --help)", err, cmd.Name())
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "hotmod",
		Short:         "Hot module reload for Go services: the server and its client",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(stdin)
	pf := root.PersistentFlags()
	pf.StringVar(&c.server, "server", env("HOTMOD_SERVER", "http://127.0.0.1:7070"), "the server's URL ($HOTMOD_SERVER)")
	// The token's default is read when a command runs, not here: a flag's
	// default is printed by --help.
	pf.StringVar(&c.token, "token", "", "access token (default $HOTMOD_TOKEN)")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		if c.token == "" {
			c.token = os.Getenv("HOTMOD_TOKEN")
		}
	}
	pf.BoolVar(&c.asJSON, "json", false, "print JSON, for scripts")
	root.AddCommand(newServe(c), c.ls(), c.stats(), c.call(), c.reload(), c.rollback(), c.patch(), c.unpatch(),
		c.profile(), c.exec(), c.put(), c.rm(), c.cat(), c.history(), c.restore(), c.rescan(), c.events(),
		c.snapshot(), c.restoreSnapshot(), c.snapshots(), c.canary(), c.promote(), c.abort(), c.fleet(), c.rollout(), c.keygen())
	root.SetFlagErrorFunc(flagHint)
	return root
}

// report prints v as JSON under --json, and the sentence otherwise.
func (c *cli) report(v any, format string, args ...any) error {
	if c.asJSON {
		return c.printJSON(v)
	}
	_, err := fmt.Fprintf(c.stdout, format, args...)
	return err
}

func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readInput reads a FILE argument, or standard input for "-".
func (c *cli) readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(c.stdin)
	}
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no file %q (give a file's name, or - to read standard input)", name)
	}
	return b, err
}

func (c *cli) ls() *cobra.Command {
	return &cobra.Command{
		Use:     "ls",
		Short:   "List the loaded modules",
		Example: "  hotmod ls\n  hotmod ls --json | jq '.modules[].id'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Modules []server.ModuleDetail `json:"modules"`
				Realms  int                   `json:"realms"` // each runs every module, with its own state
			}
			if err := c.client().do(cmd.Context(), http.MethodGet, "/api/modules", nil, &out); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(out)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tVERSION\tKIND\tSOURCE\tEXPORTS\tCALLS\tSTATUS")
			for _, m := range out.Modules {
				status := "ok"
				switch {
				case m.State == hotmod.StateFailed:
					status = "failed" + cause(m.ID, m.LastError)
				case m.LastError != "":
					status = "last reload failed" + cause(m.ID, m.LastError)
				}
				if m.SourceDeleted {
					status = "source deleted"
				}
				if m.StoreNewer && !m.SourceDeleted {
					// What serves is not the file the user sees in the
					// store (a rollback, a failed reload): "ok" alone hid it.
					status += " (store newer)"
				}
				fmt.Fprintf(tw, "%s\tv%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Version, m.Kind, m.SourcePath, strings.Join(m.Exports, ","), callsOf(m.ModuleStats), status)
			}
			return tw.Flush()
		},
	}
}

func (c *cli) stats() *cobra.Command {
	return &cobra.Command{
		Use:     "stats",
		Short:   "Show the runtime's figures",
		Example: "  hotmod stats\n  hotmod stats --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var st hotmod.Stats
			if err := c.client().do(cmd.Context(), http.MethodGet, "/api/stats", nil, &st); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(st)
			}
			fmt.Fprintf(c.stdout, "modules: %d\nrealms: %d\nreloads: %d\nsandbox runs: %d (%d stopped by a limit)\n",
				st.TotalModules, st.Realms, st.TotalReloads, st.SandboxRuns, st.SandboxLimitBreaches)
			for _, r := range st.RealmHolders {
				switch {
				case r.Probe:
					fmt.Fprintf(c.stdout, "probe: loading %s for %s (a realm of its own: no call waits)\n", r.Module, heldFor(r.Held))
				case r.Busy:
					fmt.Fprintf(c.stdout, "realm %d: held by %s for %s\n", r.Index, r.Holder(), heldFor(r.Held))
				default:
					fmt.Fprintf(c.stdout, "realm %d: free\n", r.Index)
				}
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tVERSION\tCALLS\tERRORS\tP99\tFROM MODULES\tRELOADS\tFAILED\tROLLBACKS\tKEPT\tPATCHES\tLAST ERROR")
			for _, m := range st.Modules {
				f := serving(m)
				fmt.Fprintf(tw, "%s\tv%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%v\t%d\t%s\n", m.ID, m.Version, f.Calls, f.Errors, p99(f.P99, f.Calls),
					m.ModuleCalls, m.Reloads, m.FailedReloads, m.Rollbacks, m.KeptVersions, len(m.Patches), m.LastError)
				if cn := m.Canary; cn != nil {
					// The canary beside the version it would replace.
					fmt.Fprintf(tw, "  canary\tv%d (%d%%)\t%d\t%d\t%s\t%s\t\t\t\t\t\t\n", cn.Version, cn.Percent, cn.Calls, cn.Errors, p99(cn.P99, cn.Calls), "-")
				}
			}
			return tw.Flush()
		},
	}
}

// serving is the figures of m's serving version (zero if it has none).
func serving(m hotmod.ModuleStats) hotmod.VersionInfo {
	for _, v := range m.Versions {
		if v.Serving {
			return v
		}
	}
	return hotmod.VersionInfo{}
}

// p99 prints a p99 in milliseconds, or "-" for a version without calls.
func p99(d time.Duration, calls int64) string {
	if calls == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// heldFor prints how long a realm has been held: "4.2 s", "80 ms".
func heldFor(d time.Duration) string {
	if d >= time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
}

// callsOf is ls's CALLS column: the serving version's calls, errors and
// p99, then the canary's beside them when one runs, then the calls from
// other modules.
func callsOf(m hotmod.ModuleStats) string {
	f := serving(m)
	out := fmt.Sprintf("v%d: %d (%d err, p99 %s)", m.Version, f.Calls, f.Errors, p99(f.P99, f.Calls))
	if cn := m.Canary; cn != nil {
		out += fmt.Sprintf(" | canary v%d: %d (%d err, p99 %s)", cn.Version, cn.Calls, cn.Errors, p99(cn.P99, cn.Calls))
	}
	if m.ModuleCalls > 0 {
		out += fmt.Sprintf(" +%d from modules", m.ModuleCalls)
	}
	return out
}

func (c *cli) call() *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "call MODULE FUNCTION [JSON_ARG...]",
		Short: "Call a module's function and print its result as JSON",
		Long: "Each argument is JSON (5, \"text\", [1,2], {\"a\":1}); a word that is not JSON is passed as a string,\n" +
			"but an argument that starts with [, { or \" must be valid JSON: the error says where it is not.",
		Example: "  hotmod call counter increment alice 5\n" +
			"  hotmod call pricing quote '[{\"sku\": \"a\", \"price\": 10, \"quantity\": 2}]'",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return fmt.Errorf("call needs a module and a function\nusage: %s", cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			req := server.CallRequest{Function: args[1], Args: []json.RawMessage{}, Key: key}
			for i, a := range args[2:] {
				b, err := jsonArg(fmt.Sprintf("argument %d", i+1), a)
				if err != nil {
					return err
				}
				req.Args = append(req.Args, b)
			}
			var res server.CallResponse
			if err := c.client().do(cmd.Context(), http.MethodPost, modulePath(args[0], "/call"), req, &res); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(res)
			}
			return c.printJSON(res.Result)
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the caller's key (user, tenant): with a canary running, its share of keys goes to the canary")
	return cmd
}

func (c *cli) canary() *cobra.Command {
	return &cobra.Command{
		Use:   "canary MODULE PERCENT [FILE|-]",
		Short: "Serve PERCENT% of keyed calls from a new version: the store's source, or FILE",
		Long: "With FILE (or - for standard input) the canary runs that source, and promote writes it to the store; " +
			"without, it runs the store's source, or, if a canary runs, only its percentage changes. " +
			"Calls with --key are split by a stable hash of the key; others stay on the serving version.",
		Example: "  hotmod canary pricing 10 pricing-v2.js\n  hotmod canary pricing 50\n  hotmod promote pricing",
		Args:    cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			pct, err := strconv.Atoi(strings.TrimSuffix(args[1], "%"))
			if err != nil {
				return fmt.Errorf("PERCENT must be a number from 0 to 100, not %q", args[1])
			}
			req := server.CanaryRequest{Percent: pct}
			if len(args) == 3 {
				src, err := c.readInput(args[2])
				if err != nil {
					return err
				}
				s := string(src)
				req.Source = &s
			}
			var d server.ModuleDetail
			if err := c.client().do(cmd.Context(), http.MethodPost, modulePath(args[0], "/canary"), req, &d); err != nil {
				return err
			}
			if d.Canary == nil {
				return fmt.Errorf("the server reports no canary for %s", d.ID)
			}
			return c.report(d, "%s: v%d serves %d%% of keyed calls, v%d the rest\n", d.ID, d.Canary.Version, d.Canary.Percent, d.Version)
		},
	}
}

func (c *cli) promote() *cobra.Command {
	return &cobra.Command{
		Use:     "promote MODULE",
		Short:   "Make the module's canary its serving version",
		Example: "  hotmod promote pricing",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var d server.ModuleDetail
			if err := c.client().do(cmd.Context(), http.MethodPost, modulePath(args[0], "/canary/promote"), struct{}{}, &d); err != nil {
				return err
			}
			return c.report(d, "%s is at v%d\n", d.ID, d.Version)
		},
	}
}

func (c *cli) abort() *cobra.Command {
	return &cobra.Command{
		Use:     "abort MODULE",
		Short:   "Drop the module's canary: every call goes to the serving version",
		Example: "  hotmod abort pricing",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var d server.ModuleDetail
			if err := c.client().do(cmd.Context(), http.MethodDelete, modulePath(args[0], "/canary"), nil, &d); err != nil {
				return err
			}
			return c.report(d, "%s: canary dropped, v%d serves every call\n", d.ID, d.Version)
		},
	}
}

func (c *cli) reload() *cobra.Command {
	return &cobra.Command{
		Use:     "reload MODULE",
		Short:   "Reload a module from its source (the old version serves on if this fails)",
		Example: "  hotmod reload counter",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var d server.ModuleDetail
			if err := c.client().do(cmd.Context(), http.MethodPost, modulePath(args[0], "/reload"), nil, &d); err != nil {
				return err
			}
			return c.report(d, "%s is at v%d\n", d.ID, d.Version)
		},
	}
}

func (c *cli) rollback() *cobra.Command {
	return &cobra.Command{
		Use:     "rollback MODULE [VERSION]",
		Short:   "Go back to a kept version (by default the one before the current)",
		Example: "  hotmod rollback counter\n  hotmod rollback counter 2",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]int{"version": 0}
			if len(args) == 2 {
				v, err := strconv.Atoi(strings.TrimPrefix(args[1], "v"))
				if err != nil {
					return fmt.Errorf("VERSION must be a number, not %q", args[1])
				}
				body["version"] = v
			}
			var d server.ModuleDetail
			if err := c.client().do(cmd.Context(), http.MethodPost, modulePath(args[0], "/rollback"), body, &d); err != nil {
				return err
			}
			return c.report(d, "%s is back at v%d\n", d.ID, d.Version)
		},
	}
}

func (c *cli) patch() *cobra.Command {
	return &cobra.Command{
		Use:   "patch MODULE FUNCTION FILE|-",
		Short: "Replace a function until rollback or reload",
		Long:  "FILE holds a function expression that receives the original and returns the replacement.",
		Example: "  echo '(original) => (...args) => { console.log(args); return original(...args) }' | hotmod patch counter increment -\n" +
			"  hotmod patch pricing quote fix.js",
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := c.readInput(args[2])
			if err != nil {
				return err
			}
			var p map[string]any
			body := map[string]string{"function": args[1], "source": string(src)}
			if err := c.client().do(cmd.Context(), http.MethodPost, modulePath(args[0], "/patches"), body, &p); err != nil {
				return err
			}
			return c.report(p, "patch %v on %s.%s (unpatch with: hotmod unpatch %v)\n", p["id"], args[0], args[1], p["id"])
		},
	}
}

func (c *cli) unpatch() *cobra.Command {
	return &cobra.Command{
		Use:     "unpatch PATCH_ID",
		Short:   "Roll back one patch; the others stay",
		Example: "  hotmod unpatch p3",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p map[string]any
			if err := c.client().do(cmd.Context(), http.MethodDelete, "/api/patches/"+args[0], nil, &p); err != nil {
				return err
			}
			return c.report(p, "patch %s rolled back\n", args[0])
		},
	}
}

func (c *cli) profile() *cobra.Command {
	var dur time.Duration
	cmd := &cobra.Command{
		Use:     "profile MODULE",
		Short:   "Profile a module's calls for a while and print per-function figures",
		Example: "  hotmod profile counter --for 30s",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl := c.client()
			var pm hotmod.ProfileMetrics
			if err := cl.do(cmd.Context(), http.MethodPost, modulePath(args[0], "/profiles"), nil, &pm); err != nil {
				return err
			}
			if !c.asJSON {
				fmt.Fprintf(c.stderr, "profiling %s for %v (Ctrl-C stops early)…\n", args[0], dur)
			}
			select {
			case <-time.After(dur):
			case <-cmd.Context().Done():
			}
			// Stop even when interrupted: a profile left running costs calls.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 10*time.Second)
			defer cancel()
			if err := cl.do(ctx, http.MethodDelete, "/api/profiles/"+pm.ID, nil, &pm); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(pm)
			}
			fmt.Fprintf(c.stdout, "%s: %d calls, %d errors over %v (versions %v)\n", pm.Module, pm.TotalCalls, pm.TotalErrors, pm.Duration.Round(time.Millisecond), pm.Versions)
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "FUNCTION\tCALLS\tERRORS\tMEAN\tP50\tP99\tMAX\t")
			for _, f := range pm.Functions {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%v\t%v\t%v\t%v\t\n", f.Name, f.Calls, f.Errors, f.Mean, f.P50, f.P99, f.Max)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().DurationVar(&dur, "for", 10*time.Second, "how long to profile")
	return cmd
}

func (c *cli) exec() *cobra.Command {
	var vars []string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "exec FILE|-",
		Short: "Run an untrusted snippet in the sandbox (a function body; `context` holds --var values)",
		Example: "  echo 'return context.a + context.b' | hotmod exec - --var a=1 --var b=2\n" +
			"  hotmod exec check.js --var order='{\"total\": 12}' --timeout 200ms",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := c.readInput(args[0])
			if err != nil {
				return err
			}
			req := server.SandboxRequest{Code: string(code), Vars: map[string]any{}}
			req.Limits.TimeMS = timeout.Milliseconds()
			for _, kv := range vars {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--var takes NAME=JSON, not %q", kv)
				}
				raw, err := jsonArg("--var "+k, v)
				if err != nil {
					return err
				}
				var val any
				if err := json.Unmarshal(raw, &val); err != nil {
					return err
				}
				req.Vars[k] = val
			}
			var res server.SandboxResponse
			if err := c.client().do(cmd.Context(), http.MethodPost, "/api/sandbox", req, &res); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(res)
			}
			for _, l := range res.Console {
				fmt.Fprintf(c.stderr, "[%s] %s\n", l.Level, l.Text)
			}
			if res.Undefined {
				fmt.Fprintln(c.stdout, "undefined")
				return nil
			}
			return c.printJSON(res.Value)
		},
	}
	cmd.Flags().StringArrayVar(&vars, "var", nil, "NAME=JSON variable for context (repeatable)")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "time limit (default 1s, or the server's --sandbox-max-time if lower; more is refused)")
	return cmd
}

func (c *cli) put() *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "put PATH FILE|DIR|-",
		Short: "Write a file, or a folder's files, to the server's store (modules there reload, a folder's as one)",
		Long: "Write a file to the server's store at PATH. Given a folder, every file under it is written under\n" +
			"PATH in one request, as one change: the modules it touches reload in one transaction\n" +
			"(all or none), and if a write fails the store is left as it was.",
		Example: "  hotmod put /counter.js counter.js\n  cat rules.ts | hotmod put /rules.ts -\n" +
			"  hotmod put /node_modules ./node_modules\n" +
			"  hotmod put --sign deploy.key --nats nats://127.0.0.1:4222 --nats-creds deployer.creds /price.js price.js",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := signer(keyFile)
			if err != nil {
				return err
			}
			if info, err := os.Stat(args[1]); err == nil && info.IsDir() {
				if c.nats.url != "" {
					return fmt.Errorf("put --nats writes one file, not a folder (%s)", args[1])
				}
				return c.putDir(cmd.Context(), args[0], args[1], key)
			}
			data, err := c.readInput(args[1])
			if err != nil {
				return err
			}
			size := len(data)
			if data, err = seal(key, args[0], data); err != nil {
				return err
			}
			if c.nats.url != "" {
				if err := c.putNATS(cmd.Context(), args[0], data); err != nil {
					return err
				}
				return c.report(map[string]any{"path": args[0], "size": size, "signed": key != nil}, "wrote %d bytes to %s%s\n", size, args[0], signedBy(key))
			}
			res, err := c.client().request(cmd.Context(), http.MethodPut, filePath("/api/files", args[0]), strings.NewReader(string(data)), "application/octet-stream")
			if err != nil {
				return err
			}
			defer res.Body.Close()
			if c.asJSON {
				_, err = io.Copy(c.stdout, res.Body)
				return err
			}
			fmt.Fprintf(c.stdout, "wrote %d bytes to %s%s\n", size, args[0], signedBy(key))
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "sign", "", "sign with this private key file (hotmod keygen): nodes started with --trust serve only signed sources")
	c.nats.addFlags(cmd.Flags(), "write straight to this NATS server's fleet store, with your own NATS identity, instead of through --server")
	return cmd
}

// putDir writes every regular file under dir to the store under prefix, in
// one batch request.
func (c *cli) putDir(ctx context.Context, prefix, dir string, key *sign.PrivateKey) error {
	var batch server.FileBatch
	total := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // folders are walked; links and devices are not files of the folder
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		total += len(data)
		p = path.Join("/", prefix, filepath.ToSlash(rel))
		if data, err = seal(key, p, data); err != nil {
			return err
		}
		batch.Files = append(batch.Files, server.BatchFile{Path: p, Content: data})
		return nil
	})
	if err != nil {
		return err
	}
	if len(batch.Files) == 0 {
		return fmt.Errorf("%s has no files", dir)
	}
	body, err := json.Marshal(batch)
	if err != nil {
		return err
	}
	res, err := c.client().request(ctx, http.MethodPost, "/api/files", bytes.NewReader(body), "application/json")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if c.asJSON {
		_, err = io.Copy(c.stdout, res.Body)
		return err
	}
	fmt.Fprintf(c.stdout, "wrote %d files (%d bytes) under %s\n", len(batch.Files), total, path.Join("/", prefix))
	return nil
}

func (c *cli) rm() *cobra.Command {
	return &cobra.Command{
		Use:     "rm PATH",
		Short:   "Delete a file of the server's store: its module is unloaded (on every node of a fleet), unless a loaded module imports it",
		Example: "  hotmod rm /old-rules.js",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := c.client().request(cmd.Context(), http.MethodDelete, filePath("/api/files", args[0]), nil, "")
			if err != nil {
				return err
			}
			res.Body.Close()
			return c.report(map[string]any{"path": args[0], "deleted": true}, "deleted %s\n", args[0])
		},
	}
}

func (c *cli) restore() *cobra.Command {
	var rev uint64
	cmd := &cobra.Command{
		Use:     "restore PATH --revision N",
		Short:   "Write a file's earlier revision back as its content (stores with history; see history)",
		Example: "  hotmod history /counter.js\n  hotmod restore /counter.js --revision 12",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if rev == 0 {
				return fmt.Errorf("restore needs --revision N (hotmod history %s lists them)", args[0])
			}
			res, err := c.client().request(cmd.Context(), http.MethodGet, filePath("/api/files", args[0])+"?revision="+strconv.FormatUint(rev, 10), nil, "")
			if err != nil {
				return err
			}
			data, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				return err
			}
			res, err = c.client().request(cmd.Context(), http.MethodPut, filePath("/api/files", args[0]), bytes.NewReader(data), "application/octet-stream")
			if err != nil {
				return err
			}
			res.Body.Close()
			return c.report(map[string]any{"path": args[0], "revision": rev, "size": len(data)},
				"restored %s to revision %d (%d bytes)\n", args[0], rev, len(data))
		},
	}
	cmd.Flags().Uint64Var(&rev, "revision", 0, "the revision to bring back")
	return cmd
}

func (c *cli) rescan() *cobra.Command {
	return &cobra.Command{
		Use:     "rescan",
		Short:   "Load every module source in the store that is not loaded (and try failed ones again)",
		Example: "  hotmod rescan",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out server.RescanResponse
			if err := c.client().do(cmd.Context(), http.MethodPost, "/api/rescan", struct{}{}, &out); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(out)
			}
			fmt.Fprintf(c.stdout, "%d modules loaded, %d failed\n", len(out.Loaded), len(out.Failed))
			for _, id := range slices.Sorted(maps.Keys(out.Failed)) {
				fmt.Fprintf(c.stdout, "  %s: %s\n", id, out.Failed[id])
			}
			return nil
		},
	}
}

func (c *cli) cat() *cobra.Command {
	var rev uint64
	cmd := &cobra.Command{
		Use:     "cat PATH",
		Short:   "Print a file of the server's store",
		Example: "  hotmod cat /counter.js\n  hotmod cat /counter.js --revision 12",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := filePath("/api/files", args[0])
			if rev > 0 {
				p += "?revision=" + strconv.FormatUint(rev, 10)
			}
			res, err := c.client().request(cmd.Context(), http.MethodGet, p, nil, "")
			if err != nil {
				return err
			}
			defer res.Body.Close()
			_, err = io.Copy(c.stdout, res.Body)
			return err
		},
	}
	cmd.Flags().Uint64Var(&rev, "revision", 0, "an earlier revision (stores with history)")
	return cmd
}

func (c *cli) history() *cobra.Command {
	return &cobra.Command{
		Use:     "history PATH",
		Short:   "List a file's kept revisions, newest first",
		Example: "  hotmod history /counter.js",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Path      string `json:"path"`
				Revisions []struct {
					Rev  uint64    `json:"rev"`
					Op   string    `json:"op"`
					Time time.Time `json:"time"`
					Size int       `json:"size"`
				} `json:"revisions"`
			}
			if err := c.client().do(cmd.Context(), http.MethodGet, filePath("/api/history", args[0]), nil, &out); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(out)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REVISION\tOP\tTIME\tSIZE")
			for _, r := range out.Revisions {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\n", r.Rev, r.Op, r.Time.Format(time.RFC3339), r.Size)
			}
			return tw.Flush()
		},
	}
}

func (c *cli) events() *cobra.Command {
	return &cobra.Command{
		Use:     "events",
		Short:   "Follow the server's event stream (Ctrl-C stops)",
		Example: "  hotmod events\n  hotmod events --json | jq 'select(.type == \"reload-failed\")'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := c.client().request(cmd.Context(), http.MethodGet, "/events", nil, "")
			if err != nil {
				return err
			}
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 64<<10), 4<<20)
			for sc.Scan() {
				data, ok := strings.CutPrefix(sc.Text(), "data: ")
				if !ok {
					continue
				}
				var ev hotmod.Event
				if json.Unmarshal([]byte(data), &ev) != nil || ev.Type == "" {
					continue
				}
				if c.asJSON {
					fmt.Fprintln(c.stdout, data)
					continue
				}
				fmt.Fprintln(c.stdout, describe(ev))
			}
			if cmd.Context().Err() != nil {
				return nil
			}
			return sc.Err()
		},
	}
}

// cause is what follows "failed" in a listing: a module's error without
// the sentence's subject, which the listing's row already names ("load x
// failed at compile: /x.js:1:5: ..." is " at compile: /x.js:1:5: ...").
func cause(id, msg string) string {
	if strings.HasPrefix(msg, "load "+id+" failed") || strings.HasPrefix(msg, "reload of "+id+" ") {
		_, rest, _ := strings.Cut(msg, " failed")
		if strings.HasPrefix(rest, " at ") {
			return rest
		}
		msg = strings.TrimLeft(rest, ": ")
	}
	return ": " + msg
}

func describe(ev hotmod.Event) string {
	parts := []string{ev.Time.Format("15:04:05.000"), string(ev.Type)}
	if ev.Module != "" {
		parts = append(parts, ev.Module)
	}
	if ev.Version > 0 {
		v := fmt.Sprintf("v%d", ev.Version)
		if ev.OldVersion > 0 {
			v = fmt.Sprintf("v%d→v%d", ev.OldVersion, ev.Version)
		}
		parts = append(parts, v)
	}
	if ev.Duration > 0 {
		parts = append(parts, "in "+ev.Duration.Round(10*time.Microsecond).String())
	}
	for _, s := range []string{ev.Patch, ev.Function, ev.Profile, ev.Error} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func (c *cli) snapshot() *cobra.Command {
	return &cobra.Command{
		Use:     "snapshot NAME",
		Short:   "Record the source every module serves, under NAME, in the store",
		Example: "  hotmod snapshot before-sale\n  hotmod restore-snapshot before-sale",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var snap hotmod.Snapshot
			if err := c.client().do(cmd.Context(), http.MethodPost, "/api/snapshots", map[string]string{"name": args[0]}, &snap); err != nil {
				return err
			}
			return c.report(snap, "snapshot %s: %d modules\n", snap.Name, len(snap.Modules))
		},
	}
}

func (c *cli) restoreSnapshot() *cobra.Command {
	return &cobra.Command{
		Use:     "restore-snapshot NAME",
		Short:   "Bring every module of a snapshot back, all or none",
		Example: "  hotmod restore-snapshot before-sale",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var snap hotmod.Snapshot
			if err := c.client().do(cmd.Context(), http.MethodPost, "/api/snapshots/"+url.PathEscape(args[0])+"/restore", struct{}{}, &snap); err != nil {
				return err
			}
			return c.report(snap, "restored %s: %d modules serve the sources it recorded\n", snap.Name, len(snap.Modules))
		},
	}
}

func (c *cli) snapshots() *cobra.Command {
	return &cobra.Command{
		Use:   "snapshots",
		Short: "List the snapshots in the store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Snapshots []string `json:"snapshots"`
			}
			if err := c.client().do(cmd.Context(), http.MethodGet, "/api/snapshots", nil, &out); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(out)
			}
			for _, n := range out.Snapshots {
				fmt.Fprintln(c.stdout, n)
			}
			return nil
		},
	}
}

func (c *cli) fleet() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "fleet",
		Short:   "What every node of the server's fleet serves: revisions, drift, failures",
		Long:    "Each node of a fleet (hotmod serve --nats) reports, per module, the store revision it serves and the one it last tried, with that attempt's error.",
		Example: "  hotmod fleet --server http://127.0.0.1:7071\n  hotmod fleet --nats nats://127.0.0.1:4222 --nats-creds deployer.creds",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Nodes []fleet.Status `json:"nodes"`
			}
			if c.nats.url != "" {
				nodes, err := c.fleetNATS(cmd.Context())
				if err != nil {
					return err
				}
				out.Nodes = nodes
			} else if err := c.client().do(cmd.Context(), http.MethodGet, "/api/fleet", nil, &out); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(out)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tREPORTED\tMODULE\tVERSION\tREVISION\tSTATUS")
			for _, n := range out.Nodes {
				reported := age(n.Age) + " ago"
				if n.StoreLost != "" {
					fmt.Fprintf(tw, "%s\t%s\t-\t\t\t%s\n", n.Node, reported, nodeStatus(n, "store lost: "+n.StoreLost))
				}
				if len(n.Modules) == 0 {
					fmt.Fprintf(tw, "%s\t%s\t-\t\t\t%s\n", n.Node, reported, nodeStatus(n, "no modules"))
				}
				for _, m := range n.Modules {
					status := "ok"
					switch {
					case m.Deleted:
						status = fmt.Sprintf("deleted: revision %d deletes the source", m.Tried)
						if m.Error != "" {
							status += "; still serving: " + m.Error
						}
					case m.Error != "":
						status = fmt.Sprintf("revision %d failed: %s", m.Tried, m.Error)
					case m.Rollout:
						status = "rollout: serves the rollout's source"
					case m.Behind():
						status = fmt.Sprintf("behind: the store has revision %d", m.Tried)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\tv%d\t%d\t%s\n", n.Node, reported, m.ID, m.Version, m.Serving, nodeStatus(n, status))
				}
			}
			return tw.Flush()
		},
	}
	c.nats.addFlags(cmd.Flags(), "read the nodes' status straight from this NATS server, instead of through --server")
	return cmd
}

// nodeStatus is a module's status on node n, unless n has missed two
// reports: then what it last said may no longer hold.
func nodeStatus(n fleet.Status, status string) string {
	if n.Stale {
		return fmt.Sprintf("stale: no report for %s (it reports every %s); it said: %s", age(n.Age), n.Interval, status)
	}
	return status
}

// age prints a report's age to a tenth of a second, or a second once it is
// over a minute.
func age(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

func (c *cli) rollout() *cobra.Command {
	root := &cobra.Command{
		Use:   "rollout",
		Short: "Send a module's new source to some nodes of the fleet first",
		Long:  "The selected nodes serve the new source while the store keeps the old; promote writes it to the store, abort takes the nodes back.",
	}
	var nodes, keyFile string
	var percent int
	var autoAbort, allowAbsent bool
	c.nats.addFlags(root.PersistentFlags(), "start, promote or abort straight on this NATS server, with your own NATS identity, instead of through --server")
	start := &cobra.Command{
		Use:   "start PATH FILE|-",
		Short: "Start a rollout of FILE as PATH's source on --nodes or --percent of the nodes",
		Long: "--percent selects the first ceil(N × percent / 100) of the N live nodes (at least one), ranked by a\n" +
			"stable hash of their names; the selection is fixed when the rollout starts, so nodes that join later\n" +
			"do not change it. --nodes must name live nodes, unless --allow-absent pre-stages the rollout for\n" +
			"nodes that have not started. A rollout that would select no node is refused.",
		Example: "  hotmod rollout start /price.js price.js --nodes alpha\n  hotmod rollout start /price.js price.js --percent 10 --auto-abort",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := c.readInput(args[1])
			if err != nil {
				return err
			}
			names, err := fleet.NodeList(nodes)
			if err != nil {
				return err
			}
			if (len(names) == 0) == (percent == 0) {
				return fmt.Errorf("give --nodes or --percent")
			}
			if allowAbsent && len(names) == 0 {
				return fmt.Errorf("--allow-absent goes with --nodes: a percentage is of the live nodes")
			}
			key, err := signer(keyFile)
			if err != nil {
				return err
			}
			var ro fleet.Rollout
			req := fleet.Rollout{Path: args[0], Source: string(src), Nodes: names, Percent: percent, AutoAbort: autoAbort, AllowAbsent: allowAbsent}
			if req.Signature, err = signature(key, args[0], src); err != nil {
				return err
			}
			if c.nats.url != "" {
				ro, err = c.rolloutsNATS(cmd.Context(), func(rs *fleet.Rollouts) (fleet.Rollout, error) { return rs.Start(cmd.Context(), req) })
			} else {
				err = c.client().do(cmd.Context(), http.MethodPost, "/api/rollouts", req, &ro)
			}
			if err != nil {
				return err
			}
			of := fmt.Sprintf("named, of %d live nodes", ro.Live)
			if ro.Percent > 0 {
				of = fmt.Sprintf("%d%% of %d live nodes", ro.Percent, ro.Live)
			}
			from := fmt.Sprintf("store revision %d", ro.Revision)
			if ro.Revision == 0 {
				from = "no source in the store"
			}
			return c.report(ro, "rollout of %s started on %s (%s), from %s\n", ro.Path, strings.Join(ro.Nodes, ", "), of, from)
		},
	}
	start.Flags().StringVar(&nodes, "nodes", "", "the nodes that run the new source, comma-separated")
	start.Flags().IntVar(&percent, "percent", 0, "the share of the live nodes that run it, ranked by a stable hash of their names (at least one)")
	start.Flags().StringVar(&keyFile, "sign", "", "sign the source with this private key file: nodes started with --trust run only a signed rollout")
	start.Flags().BoolVar(&autoAbort, "auto-abort", false, "abort by itself if its nodes' error rate or p99 regresses against the other nodes'")
	start.Flags().BoolVar(&allowAbsent, "allow-absent", false, "accept --nodes that are not live (yet): they join the rollout when they start")
	var force bool
	promote := &cobra.Command{
		Use:   "promote PATH",
		Short: "Write the rollout's source to the store: every node serves it",
		Long: "promote writes onto the store revision the rollout started from: if PATH was written since, it\n" +
			"refuses, naming the newer revision, unless --force.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.endRollout(cmd.Context(), "promote", map[string]any{"path": args[0], "force": force},
				func(rs *fleet.Rollouts) (fleet.Rollout, error) {
					if force {
						return rs.ForcePromote(cmd.Context(), args[0])
					}
					return rs.Promote(cmd.Context(), args[0])
				})
		},
	}
	promote.Flags().BoolVar(&force, "force", false, "overwrite what was written to PATH since the rollout started")
	abort := &cobra.Command{
		Use:   "abort PATH",
		Short: "End the rollout: its nodes serve the store's source again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.endRollout(cmd.Context(), "abort", map[string]any{"path": args[0]},
				func(rs *fleet.Rollouts) (fleet.Rollout, error) {
					return rs.Abort(cmd.Context(), args[0], "aborted by hand")
				})
		},
	}
	root.AddCommand(start, promote, abort, c.rolloutStatus())
	return root
}

// endRollout promotes or aborts (verb) a rollout: straight on NATS with
// viaNATS when --nats is given, else through the server's API with body.
func (c *cli) endRollout(ctx context.Context, verb string, body any, viaNATS func(*fleet.Rollouts) (fleet.Rollout, error)) error {
	var ro fleet.Rollout
	var err error
	if c.nats.url != "" {
		ro, err = c.rolloutsNATS(ctx, viaNATS)
	} else {
		err = c.client().do(ctx, http.MethodPost, "/api/rollouts/"+verb, body, &ro)
	}
	if err != nil {
		return err
	}
	return c.report(ro, "rollout of %s %s\n", ro.Path, ro.State)
}

func (c *cli) rolloutStatus() *cobra.Command {
	return &cobra.Command{
		Use:     "status [PATH]",
		Short:   "Show the rollouts (or PATH's): source hash, nodes, calls, errors and p99 on and off its nodes, state and reason",
		Example: "  hotmod rollout status\n  hotmod rollout status /price.js --json",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := ""
			if len(args) == 1 {
				q = "?path=" + url.QueryEscape(args[0])
			}
			var out struct {
				Rollouts []fleet.RolloutStatus `json:"rollouts"`
			}
			if err := c.client().do(cmd.Context(), http.MethodGet, "/api/rollouts"+q, nil, &out); err != nil {
				return err
			}
			if c.asJSON {
				return c.printJSON(out)
			}
			if len(out.Rollouts) == 0 {
				_, err := fmt.Fprintln(c.stdout, "no rollouts")
				return err
			}
			for i, r := range out.Rollouts {
				if i > 0 {
					fmt.Fprintln(c.stdout)
				}
				state := r.State
				if r.Reason != "" {
					state += ": " + r.Reason
				}
				sel := strings.Join(r.Nodes, ", ")
				if r.Percent > 0 {
					sel += fmt.Sprintf(" (%d%% of %d live)", r.Percent, r.Live)
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "%s\t%s\n", r.Path, state)
				fmt.Fprintf(tw, "  source\tsha256 %s (%d bytes), from store revision %d, started %s\n", r.SourceHash[:12], r.SourceBytes, r.Revision, r.Started.Format(time.RFC3339))
				fmt.Fprintf(tw, "  nodes\t%s\n", sel)
				if r.State == fleet.Running || r.State == fleet.Promoting {
					fmt.Fprintf(tw, "  serving it\t%s\n", cmp.Or(strings.Join(r.Serving, ", "), "none yet"))
				}
				if f := r.Figures; f != nil {
					fmt.Fprintf(tw, "  on its nodes\t%d calls, %d errors, p99 %v\n", f.On.Calls, f.On.Errors, f.On.P99)
					fmt.Fprintf(tw, "  on the others\t%d calls, %d errors, p99 %v\n", f.Off.Calls, f.Off.Errors, f.Off.P99)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
