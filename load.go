package hotmod

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/builtins"
	"github.com/hotmod/hotmod/internal/engine"
	"github.com/hotmod/hotmod/internal/transform"
	"github.com/hotmod/hotmod/vfs"
)

const maxIDLen = 256

// CreateModule loads the module at sourcePath from the store as version 1
// and returns its handle. An id already in use gives ErrExists; a missing
// source, ErrNotFound; a broken one, a *ReloadError naming the file, line and
// column. Evaluating the source is bounded by Options.LoadTimeout (and ctx).
//
// A module whose source exists but fails to compile or evaluate stays
// registered in StateFailed: Module(id) returns it, Stats lists it with its
// error, and it loads by itself when its source changes, or when a file its
// load read or looked for (a missing import, extensions and index files
// probed, an import's own imports) is written, or on ReloadModule; auto
// reload must be on for the first two. CreateModule of a failed module's id
// tries again. Other modules that require sourcePath get this same handle.
func (rt *Runtime) CreateModule(ctx context.Context, id, sourcePath string, opts ...ModuleOption) (*Module, error) {
	return rt.createModule(ctx, id, sourcePath, 0, opts...)
}

// createModule is CreateModule with quick, if above 0, as the bound of the
// load's evaluation instead of LoadTimeout: a load that runs out of it
// fails with errRanPastFirstPass and leaves the module registered and
// StateLoading, as if never tried (see LoadAll).
func (rt *Runtime) createModule(ctx context.Context, id, sourcePath string, quick time.Duration, opts ...ModuleOption) (*Module, error) {
	if id == "" || len(id) > maxIDLen || strings.ContainsAny(id, "\x00\n\r") {
		return nil, fmt.Errorf("%w: %q (1 to %d bytes, no NUL or line breaks)", ErrInvalidID, id, maxIDLen)
	}
	if err := vfs.ValidatePath(sourcePath); err != nil {
		if !strings.HasPrefix(sourcePath, "/") && vfs.ValidatePath("/"+sourcePath) == nil {
			return nil, fmt.Errorf("%w: store paths start with /, as in %q", err, "/"+sourcePath)
		}
		return nil, err
	}
	var mo moduleOptions
	for _, o := range opts {
		o(&mo)
	}
	if mo.isolated {
		return rt.createIsolated(ctx, id, sourcePath)
	}
	m := newModule(rt, id, sourcePath)
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return nil, ErrClosed
	}
	if old, ok := rt.modules[id]; ok {
		if old.State() != StateFailed {
			if old.path == sourcePath {
				// The program asks for a module an import loaded: it is
				// the program's now, and never pruned.
				old.implicit.Store(false)
			}
			rt.mu.Unlock()
			return nil, fmt.Errorf("%w: %q", ErrExists, id)
		}
		if old.path == sourcePath {
			m = old // try its first load again
		} else {
			old.setState(StateRemoved)
			rt.unregisterLocked(old)
		}
	}
	// Registered while loading, so that an importer reaching sourcePath
	// meanwhile loads this module rather than a second copy of the file.
	rt.registerLocked(m)
	rt.mu.Unlock()

	if quick == registerOnly {
		m.setState(StateLoading)
		m.deferred.Store(true)
		return nil, errRanPastFirstPass
	}
	if err := m.lockReload(ctx); err != nil {
		rt.unregister(m)
		return nil, err
	}
	err := m.firstLoadLocked(ctx, false, quick)
	m.unlockReload()
	if err != nil {
		return nil, err
	}
	if err := rt.ensureWatching(); err != nil {
		rt.log.Error("auto reload is off", "err", err)
	}
	return m, nil
}

// firstLoadLocked loads version 1 of a module that has none: a new one, or
// a failed one. If an importer loaded it meanwhile, the source it read may
// be older than the one read here: it is then reloaded like any change.
// An auto load skips a source whose evaluation already failed: it would
// fail again, and it may be one that holds the realm for all of LoadTimeout.
// Call with the reload lock held.
//
// quick, if above 0, bounds the evaluation instead of LoadTimeout, and a
// load that runs out of it is not a failure: the version is discarded in
// every realm (its timers stopped, its dispose callbacks run), the module
// stays StateLoading with no error and no event, and errRanPastFirstPass
// says to load it again with the full LoadTimeout.
func (m *Module) firstLoadLocked(ctx context.Context, auto bool, quick time.Duration) error {
	rt := m.rt
	if m.cur.Load() != nil {
		return nil
	}
	wasFailed := m.State() == StateFailed
	prevErr := m.failure()
	m.setState(StateLoading)
	start := time.Now()
	res, st, step, err := rt.readAndCompile(ctx, m.path)
	if err == nil {
		m.readStore(res)
	}
	if err == nil && auto && wasFailed && res.Hash == m.failedHash {
		m.setState(StateFailed)
		return nil // nothing new: the failure of this very source was reported
	}
	if err == nil && wasFailed && quick == 0 && rt.opts.FirstPassBudget > 0 && bounded(prevErr) {
		// It last failed on a bound (an endless top level): a retry goes
		// through a probe first, so that it holds no serving realm for a
		// LoadTimeout again if it still does (see LoadPaths).
		if failed, err := m.probeLocked(ctx); failed {
			return err
		}
	}
	if err == nil {
		if err = rt.preloadAsync(ctx, m.path, res, st, quick); err != nil {
			step = "evaluate"
		}
	}
	loaded := false
	if err == nil {
		step = "evaluate"
		loaded, err = rt.loadEverywhere(ctx, m, res, st, start, quick)
	}
	var te *TimeoutError
	if quick > 0 && err != nil && m.cur.Load() == nil && errors.As(err, &te) && te.Limit == quick && errors.Is(err, context.DeadlineExceeded) {
		m.setState(StateLoading)
		m.deferred.Store(true)
		return errRanPastFirstPass
	}
	if err != nil {
		if res != nil {
			m.failedHash = res.Hash
		}
		m.mu.Lock()
		m.tried = st.paths(m.path)
		m.mu.Unlock()
		return m.loadFailed(step, err)
	}
	if loaded {
		return m.reloadLocked(ctx, true)
	}
	return nil
}

// loadFailed records a failed first load. The module stays registered as
// failed, to load when its source is fixed, unless it has no source at all.
func (m *Module) loadFailed(step string, err error) error {
	rt := m.rt
	if m.cur.Load() != nil {
		return err // loaded meanwhile by an import; this attempt is moot
	}
	err = &ReloadError{Module: m.id, Path: m.path, Step: step, Err: err}
	m.mu.Lock()
	m.lastErr = err
	m.mu.Unlock()
	if step == "read" && errors.Is(err, ErrNotFound) || errors.Is(err, ErrClosed) {
		m.setState(StateRemoved)
		rt.unregister(m)
	} else {
		m.setState(StateFailed)
	}
	rt.events.emit(Event{Type: EventReloadFailed, Module: m.id, Path: m.path, Error: err.Error(), Position: position(err)})
	return err
}

func (rt *Runtime) unregister(m *Module) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.unregisterLocked(m)
}

// registerLocked adds m to the registry (by id and by source path). Call
// with rt.mu held.
func (rt *Runtime) registerLocked(m *Module) {
	if rt.modules[m.id] == m {
		return
	}
	rt.modules[m.id] = m
	rt.byPath[m.path] = append(rt.byPath[m.path], m)
}

// unregisterLocked is the inverse of registerLocked. Call with rt.mu held.
func (rt *Runtime) unregisterLocked(m *Module) {
	if rt.modules[m.id] != m {
		return
	}
	delete(rt.modules, m.id)
	same := slices.DeleteFunc(rt.byPath[m.path], func(o *Module) bool { return o == m })
	if len(same) == 0 {
		delete(rt.byPath, m.path)
	} else {
		rt.byPath[m.path] = same
	}
}

// readAndCompile reads and compiles a module's source, and reads and
// compiles ahead what it imports: all of it before the realm is taken. The
// reads it made are returned for require to use under the realm.
func (rt *Runtime) readAndCompile(ctx context.Context, p string) (*transform.Result, *reads, string, error) {
	src, err := rt.store.Read(ctx, p)
	if err != nil {
		if errors.Is(err, vfs.ErrNotFound) {
			err = fmt.Errorf("%w: source %s: %w", ErrNotFound, p, err)
		}
		return nil, nil, "read", err
	}
	st := newReads()
	res, err := rt.compileFile(ctx, st, p, src)
	if err != nil {
		// st: the tsconfig.json paths it read, for a change there to
		// retry the load.
		return nil, st, "compile", err
	}
	rt.prefetch(ctx, st, p, res)
	return res, st, "", nil
}

// reads are the store reads one load made before it took the realm: each
// path it tried, with its source or as missing. A store may be a network
// hop away, so require reads from these while the realm is held, and reads
// the store only for what they lack (an import whose name is computed at
// run time). Safe for concurrent use (prefetch fills it in parallel).
type reads struct {
	mu      sync.Mutex
	files   map[string]staged
	configs map[string]*tsconfig // by folder: the tsconfig.json governing its files
}

func newReads() *reads { return &reads{files: make(map[string]staged)} }

// config returns the tsconfig found for the files of dir, if looked for.
func (st *reads) config(dir string) (*tsconfig, bool) {
	if st == nil {
		return nil, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	cfg, ok := st.configs[dir]
	return cfg, ok
}

func (st *reads) putConfig(dir string, cfg *tsconfig) {
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.configs == nil {
		st.configs = make(map[string]*tsconfig)
	}
	st.configs[dir] = cfg
}

func (st *reads) get(p string) (staged, bool) {
	if st == nil {
		return staged{}, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.files[p]
	return f, ok
}

func (st *reads) put(p string, f staged) {
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.files[p] = f
}

// paths are the paths st read or found missing, but for except; nil for a
// nil st.
func (st *reads) paths(except string) map[string]bool {
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[string]bool, len(st.files))
	for p := range st.files {
		out[p] = true
	}
	delete(out, except)
	return out
}

type staged struct {
	src     []byte
	missing bool
	res     *transform.Result // compiled by prefetch, so require does not hash the source again
}

// compile compiles file, or returns what prefetch compiled of it.
func (rt *Runtime) compile(ctx context.Context, st *reads, file string, src []byte) (*transform.Result, error) {
	if f, ok := st.get(file); ok && f.res != nil {
		return f.res, nil
	}
	return rt.compileFile(ctx, st, file, src)
}

// read reads p from st, else from the store, and records the answer.
func (rt *Runtime) read(ctx context.Context, st *reads, p string) ([]byte, error) {
	if f, ok := st.get(p); ok {
		if f.missing {
			return nil, fmt.Errorf("%w: %s", vfs.ErrNotFound, p)
		}
		return f.src, nil
	}
	b, err := rt.store.Read(ctx, p)
	switch {
	case err == nil:
		st.put(p, staged{src: b})
	case errors.Is(err, vfs.ErrNotFound):
		st.put(p, staged{missing: true})
	}
	return b, err
}

// loadEverywhere evaluates version 1 of m in every realm, all at once,
// from res and the reads st made ahead. If it fails in any realm it is
// undone in all of them. loaded reports that an importer had loaded m
// meanwhile (from a source that may be older than res).
//
// limit, if above 0, bounds the evaluation instead of LoadTimeout.
func (rt *Runtime) loadEverywhere(ctx context.Context, m *Module, res *transform.Result, st *reads, start time.Time, limit time.Duration) (loaded bool, err error) {
	if limit <= 0 {
		limit = rt.opts.LoadTimeout
	}
	unlock, err := rt.lockAll(ctx)
	if err != nil {
		return false, err
	}
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	had := make([]bool, len(rt.realms))
	waits := make([]<-chan engine.Outcome, len(rt.realms))
	errs := rt.eachLocked(ctx, limit, func(s *realm) error {
		if m.in[s.index].cur.Load() != nil {
			had[s.index] = true
			return nil
		}
		prev := s.staged
		s.staged = st
		defer func() { s.staged = prev }()
		if err := rt.loadLocked(s, m, res, start, false); err != nil {
			return err
		}
		err, ch := settleLocked(s, m.in[s.index].cur.Load())
		waits[s.index] = ch
		return err
	})
	_, err = firstErr(errs)
	if err == nil && slices.ContainsFunc(waits, func(ch <-chan engine.Outcome) bool { return ch != nil }) {
		// Top-level await: waited for with the realms free.
		unlock()
		unlock = nil
		_, err = rt.awaitOutcomes(ctx, waits, limit, "the top-level await of "+m.path)
		relocked, lerr := rt.lockAll(context.WithoutCancel(ctx))
		if lerr != nil {
			return false, lerr
		}
		unlock = relocked
	}
	if err == nil {
		err = sameExports(func(i int) *version {
			if had[i] {
				return nil
			}
			return m.in[i].cur.Load()
		}, len(rt.realms))
	}
	if err != nil {
		rt.eachLocked(context.WithoutCancel(ctx), rt.opts.LoadTimeout, func(s *realm) error {
			if in := m.in[s.index]; !had[s.index] && in.cur.Load() != nil {
				v := in.cur.Load()
				in.cur.Store(nil)
				m.syncHandle(s)
				rt.discardLocked(s, m, v)
			}
			return nil
		})
		return false, err
	}
	if m.publish(m.in[0].cur.Load(), start) {
		return false, nil
	}
	return true, nil
}

// loadLocked evaluates version 1 of m in realm s; publish makes it the
// module's version for Go too (if no other realm's load did first). Call
// with s's lock held.
func (rt *Runtime) loadLocked(s *realm, m *Module, res *transform.Result, start time.Time, publish bool) error {
	v, err := rt.evalLocked(s, m, res, 1, nil)
	if err != nil {
		return err
	}
	if err := rt.firstImportsLocked(s, m, v); err != nil {
		rt.discardLocked(s, m, v)
		return err
	}
	m.in[s.index].cur.Store(v)
	m.ensureProxy(s)
	if publish {
		m.publish(v, start)
	}
	return nil
}

// publish makes v, version 1 of m in one realm, the module's version for
// Go, unless m has one already; it reports whether it did.
func (m *Module) publish(v *version, start time.Time) bool {
	rt := m.rt
	if !m.cur.CompareAndSwap(nil, v) {
		return false
	}
	if rt.opts.Probation.on() {
		m.syncHealthHook() // the first version's calls are the first baseline
	}
	m.mu.Lock()
	m.maxVersion = 1
	v.served = time.Now()
	v.took = v.served.Sub(start)
	m.keep(v)
	m.lastErr = nil
	m.tried, m.changed = nil, nil
	m.mu.Unlock()
	m.setState(StateServing)
	rt.events.emit(Event{Type: EventCreated, Module: m.id, Path: m.path, Version: 1, Duration: v.took})
	level := slog.LevelInfo
	if strings.Contains(m.path, "/node_modules/") {
		level = slog.LevelDebug // a package's hundreds of files are one import of the user's
	}
	rt.log.Log(context.Background(), level, "module loaded", "module", m.id, "path", m.path)
	return true
}

// evalLocked runs a compiled source as a new version of m in realm s, next
// to the current one. On failure everything the version started is undone:
// its timers are cancelled and its dispose callbacks run. Call with s's lock
// held.
func (rt *Runtime) evalLocked(s *realm, m *Module, res *transform.Result, n int, hs *hotState) (*version, error) {
	vm := s.VM()
	if hs == nil {
		hs = &hotState{data: vm.NewObject()}
	}
	v := &version{n: n, res: res, scope: scope{s.NewTimers(m.id)}, hot: hs, fig: m.figuresFor(n)}
	module := vm.NewObject()
	exports := vm.NewObject()
	for k, val := range map[string]any{"exports": exports, "id": m.id, "filename": m.path, "loaded": false} {
		_ = module.Set(k, val)
	}
	// module.hot is made when first read: most modules (a package's files)
	// never read it, and it is a dozen functions.
	var hot *goja.Object
	_ = module.DefineAccessorProperty("hot", vm.ToValue(func(goja.FunctionCall) goja.Value {
		if hot == nil {
			hot = rt.hotObject(s, m, v)
		}
		return hot
	}), nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	// module.meta is import.meta (see transform), made when first read.
	var meta *goja.Object
	_ = module.DefineAccessorProperty("meta", vm.ToValue(func(goja.FunctionCall) goja.Value {
		if meta == nil {
			meta = importMeta(vm, module, m.path)
		}
		return meta
	}), nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	v.module = module
	// The realm is held by this load until the evaluation ends (see
	// RealmHolders); a nested load (an import) names itself meanwhile.
	held := s.holder.Swap(&holdSite{m: m, loading: true})
	defer s.holder.Store(held)
	fnv, err := vm.RunProgram(res.Program)
	if err != nil {
		v.scope.end()
		return nil, engine.Err(err)
	}
	fn, _ := goja.AssertFunction(fnv)
	timers := v.scope.timers.Functions()
	args := []goja.Value{exports, rt.requireFunc(s, m), module, vm.ToValue(m.path), vm.ToValue(path.Dir(m.path))}
	for _, name := range transform.Params[5 : len(transform.Params)-1] {
		args = append(args, timers[name])
	}
	args = append(args, s.Console(m.id))
	helpers, err := rt.helpersLocked(s)
	if err != nil {
		v.scope.end()
		return nil, err
	}
	args = append(args, helpers...)
	args = append(args, rt.importFunc(s, m))

	in := m.in[s.index]
	prev := in.loading
	in.loading = v
	leave := rt.enter(s, v)
	ret, err := fn(goja.Undefined(), args...)
	leave()
	in.loading = prev
	if err == nil && res.Kind == transform.Script {
		err = s.DefineAll(module.Get("exports"), ret)
	}
	if err == nil && res.Async {
		err = rt.awaitBody(s, m, v, ret)
	}
	if err != nil {
		rt.discardLocked(s, m, v)
		return nil, engine.Err(err)
	}
	if v.ready != nil {
		return v, nil // finishEval follows once the body settles
	}
	rt.finishEval(s, m, v)
	return v, nil
}

// finishEval records what a version exports once its evaluation ended.
// Call with s's lock held.
func (rt *Runtime) finishEval(s *realm, m *Module, v *version) {
	res, module := v.res, v.module
	_ = module.Set("loaded", true)
	if res.Kind == transform.ESModule {
		// An ES module's export names are fixed once it has run: listing
		// them later needs no realm, so a module that holds the realm (a
		// long load, a runaway call) does not hold up a listing of the
		// others.
		if exp := m.exportsOf(v); exp != nil {
			v.names, v.fns = m.listExports(s, exp)
		}
	}
	if len(rt.realms) > 1 {
		names, fns := v.names, v.fns
		if v.names == nil {
			if exp := m.exportsOf(v); exp != nil {
				names, fns = m.listExports(s, exp)
			}
		}
		v.kinds = make(map[string]bool, len(names))
		for _, k := range names {
			v.kinds[k] = false
		}
		for _, k := range fns {
			v.kinds[k] = true
		}
	}
}

// helpersLocked returns esbuild's runtime helpers, made once in the realm
// and shared by every module of the realm (see transform.Helpers). Call
// with s's lock held.
func (rt *Runtime) helpersLocked(s *realm) ([]goja.Value, error) {
	if s.helpers != nil {
		return s.helpers, nil
	}
	v, err := s.VM().RunProgram(transform.HelpersProgram())
	if err != nil {
		return nil, fmt.Errorf("esbuild's helpers: %w", engine.Err(err))
	}
	arr, _ := v.(*goja.Object)
	names := transform.Helpers()
	if arr == nil || arr.Get("length").ToInteger() != int64(len(names)) {
		return nil, fmt.Errorf("esbuild's helpers: %v for %d names", v, len(names))
	}
	list := make([]goja.Value, len(names))
	for i := range list {
		list[i] = arr.Get(strconv.Itoa(i))
	}
	s.helpers = list
	return list, nil
}

// requireFunc is the require of every version of m: it resolves specifiers
// relative to m's source and returns the live handle, in realm s, of the
// module there.
func (rt *Runtime) requireFunc(s *realm, m *Module) goja.Value {
	vm := s.VM()
	return vm.ToValue(func(call goja.FunctionCall) goja.Value {
		spec := call.Argument(0).String()
		exp, _, err := rt.requireValue(s, m, spec, false)
		if err != nil {
			in := m.in[s.index]
			v := in.loading
			if v == nil {
				v = in.cur.Load()
			}
			panic(importFailure(vm, requireVerb(vm, m, v), spec, err))
		}
		return exp
	})
}

// requireValue is what require(spec) from m gives in realm s, and the
// module it reached (nil for a host module). dynamic: for import(), which
// waits for the module's top-level await itself; require refuses a module
// whose top-level await is still pending. Call with s's lock held.
func (rt *Runtime) requireValue(s *realm, m *Module, spec string, dynamic bool) (goja.Value, *Module, error) {
	if strings.HasPrefix(spec, "host:") {
		h, err := rt.hostLocked(s, spec)
		return h, nil, err
	}
	in := m.in[s.index]
	v := in.loading
	if v == nil {
		v = in.cur.Load()
	}
	esm := v != nil && v.res.Kind == transform.ESModule
	if name, ok := strings.CutPrefix(spec, "node:"); ok {
		exp, err := rt.builtinLocked(s, m, name)
		return exp, nil, err
	}
	if builtins.Has(spec) {
		// A bare built-in name is the built-in, as in Node, even where
		// node_modules has a package of that name.
		exp, err := rt.builtinLocked(s, m, spec)
		return exp, nil, err
	}
	dep, err := rt.requireLocked(s, m.path, spec, esm)
	if errors.Is(err, errNotInstalled) && builtins.IsNode(spec) {
		// A built-in hotmod lacks, and no package of the name: what the
		// importer's package.json "browser" maps it to, else the error.
		exp, err := rt.builtinLocked(s, m, spec)
		return exp, nil, err
	}
	if err != nil && s.browserDepth < 8 && strings.Contains(err.Error(), lackingText) {
		// The module failed on a built-in hotmod lacks: what its package
		// maps it to in "browser", if it does.
		if _, file, _, rerr := rt.resolve(rt.bg, s.staged, m.path, spec, esm); rerr == nil && file != "" {
			if target, found, berr := rt.browserFileLocked(s, file); berr == nil && found && target != file {
				if target == "" {
					return s.VM().NewObject(), nil, nil
				}
				s.browserDepth++ // mappings that map to each other end
				defer func() { s.browserDepth-- }()
				return rt.requireValue(s, m, target, dynamic)
			}
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if v != nil {
		if v.deps == nil {
			v.deps = make(map[string]*Module)
		}
		v.deps[spec] = dep // for the import contract and invalidate's importers
	}
	if exp, ok := s.candidateExports(m, dep); ok {
		return exp, dep, nil
	}
	if dep.rt != rt {
		return rt.bridgeLocked(s, dep), dep, nil
	}
	if dv := dep.in[s.index].cur.Load(); dv != nil {
		if !dynamic && evaluating(dv) {
			return nil, nil, fmt.Errorf("%s is still evaluating its top-level await (import it with import(), or statically from an ES module loaded after it)", dep.path)
		}
		// A module that exports a primitive (module.exports = '') has
		// no object for a live handle to stand for: the importer gets
		// the value, as in Node.
		if ev := dv.module.Get("exports"); ev != nil {
			if _, isObject := ev.(*goja.Object); !isObject {
				return ev, dep, nil
			}
		}
	}
	return dep.in[s.index].proxy, dep, nil
}

// resolveExtensions are tried, in order, for a specifier without one.
var resolveExtensions = []string{"", ".js", ".ts", ".mjs", ".cjs", ".mts", ".cts", ".tsx", ".jsx", ".json", "/index.js", "/index.ts"}

// tsCounterparts are the TypeScript files a TypeScript importer may mean by
// a JavaScript name: Node's ESM, tsc, esbuild and Vite all let
// `import './util.js'` reach util.ts, the file that becomes util.js.
var tsCounterparts = map[string][]string{".js": {".ts", ".tsx"}, ".jsx": {".tsx"}, ".mjs": {".mts"}, ".cjs": {".cts"}}

// candidates are the store paths p may name, in the order they are tried:
// p itself, p with each extension unless it has one of them already (a
// name with an extension means that file: /dep.js.js is nobody's intent),
// its index files, and for a TypeScript importer the TypeScript counterpart
// of a JavaScript name.
func candidates(importer, p string) []string {
	out := make([]string, 0, len(resolveExtensions)+2)
	out = append(out, p)
	ext := path.Ext(p)
	switch path.Ext(importer) {
	case ".ts", ".tsx", ".mts", ".cts":
		for _, alt := range tsCounterparts[ext] {
			out = append(out, strings.TrimSuffix(p, ext)+alt)
		}
	}
	has := ext != "" && slices.Contains(resolveExtensions, ext)
	for _, e := range resolveExtensions[1:] {
		if !has || strings.HasPrefix(e, "/") {
			out = append(out, p+e)
		}
	}
	return out
}

// resolve finds what spec, imported from importer, names: a loaded module,
// or else the store file and its source.
// A bare specifier is resolved as Node does (resolve.go); esm tells whether
// the importer is an ES module, for package.json's conditions.
func (rt *Runtime) resolve(ctx context.Context, st *reads, importer, spec string, esm bool) (*Module, string, []byte, error) {
	var p string
	switch {
	case strings.HasPrefix(spec, "./"), strings.HasPrefix(spec, "../"), spec == ".", spec == "..":
		p = path.Join(path.Dir(importer), spec)
	case strings.HasPrefix(spec, "/"):
		p = path.Clean(spec)
	case strings.HasPrefix(spec, "host:"):
		return nil, "", nil, fmt.Errorf("%w: %q is a host module, not a file", ErrNotFound, spec)
	case strings.HasPrefix(spec, "node:"):
		return nil, "", nil, errLacking(spec)
	default:
		// tsconfig.json's "paths" and "baseUrl" first, as tsc does; then
		// node_modules.
		cfg, err := rt.tsconfigFor(ctx, st, importer)
		if err != nil {
			return nil, "", nil, err
		}
		for _, target := range cfg.pathTargets(spec) {
			m, file, src, found, err := rt.findFile(ctx, st, importer, target)
			if found || err != nil {
				return m, file, src, err
			}
		}
		if p, err = rt.resolveBare(ctx, st, importer, spec, esm); err != nil {
			return nil, "", nil, err
		}
	}
	m, file, src, found, err := rt.findFile(ctx, st, importer, p)
	if !found && err == nil {
		err = fmt.Errorf("%w: no file for %s in the store (tried %s)", ErrNotFound, spec, strings.Join(candidates(importer, p), ", "))
	}
	return m, file, src, err
}

// findFile looks for p, with resolution's extensions, as a loaded module
// or a store file.
func (rt *Runtime) findFile(ctx context.Context, st *reads, importer, p string) (*Module, string, []byte, bool, error) {
	for _, cand := range candidates(importer, p) {
		if vfs.ValidatePath(cand) != nil {
			continue
		}
		if m := rt.moduleAt(cand); m != nil {
			return m, cand, nil, true, nil
		}
		b, err := rt.read(ctx, st, cand)
		if err == nil {
			return nil, cand, b, true, nil
		}
		if !errors.Is(err, vfs.ErrNotFound) {
			return nil, "", nil, false, err
		}
	}
	return nil, "", nil, false, nil
}

// prefetch compiles, outside the realm and on every core, the files a
// compiled source imports that are not loaded yet, and theirs in turn, so
// that require finds them compiled in st and a load or reload does not
// compile while holding the realm. Failures are left for require to report.
//
// A fixed set of workers takes the imports from a queue: a goroutine per
// import would grow a fresh stack for every esbuild run.
func (rt *Runtime) prefetch(ctx context.Context, st *reads, file string, res *transform.Result) {
	p := &prefetcher{rt: rt, ctx: ctx, st: st, seen: map[string]bool{file: true}}
	p.more = sync.NewCond(&p.mu)
	p.addLocked(file, res)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(p.work)
	}
	wg.Wait()
}

type prefetcher struct {
	rt  *Runtime
	ctx context.Context
	st  *reads

	mu     sync.Mutex
	more   *sync.Cond // queue grew, or the last busy worker finished
	queue  []importRef
	busy   int
	seen   map[string]bool
	queued int
}

type importRef struct {
	importer, spec string
	esm            bool
}

// addLocked queues what the compiled importer imports. Call with p.mu held.
func (p *prefetcher) addLocked(importer string, res *transform.Result) {
	for _, spec := range res.Imports {
		if p.queued >= maxPrefetch {
			return
		}
		p.queued++
		p.queue = append(p.queue, importRef{importer, spec, res.Kind == transform.ESModule})
	}
	p.more.Broadcast()
}

// work compiles queued imports until the queue is empty and no worker can
// add to it.
func (p *prefetcher) work() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for len(p.queue) == 0 && p.busy > 0 {
			p.more.Wait()
		}
		if len(p.queue) == 0 || p.ctx.Err() != nil {
			p.more.Broadcast()
			return
		}
		ref := p.queue[len(p.queue)-1]
		p.queue = p.queue[:len(p.queue)-1]
		p.busy++
		p.mu.Unlock()
		file, res := p.compile(ref)
		p.mu.Lock()
		p.busy--
		if res != nil {
			p.addLocked(file, res)
		}
		p.more.Broadcast()
	}
}

func (p *prefetcher) compile(ref importRef) (string, *transform.Result) {
	m, file, src, err := p.rt.resolve(p.ctx, p.st, ref.importer, ref.spec, ref.esm)
	if err != nil || m != nil {
		return "", nil
	}
	p.mu.Lock()
	seen := p.seen[file]
	p.seen[file] = true
	p.mu.Unlock()
	if seen {
		return "", nil
	}
	res, err := p.rt.compileFile(p.ctx, p.st, file, src)
	if err != nil {
		return "", nil
	}
	p.st.put(file, staged{src: src, res: res})
	return file, res
}

// maxPrefetch bounds the imports one load follows ahead (lodash-es has
// some 650 files and 2,000 imports).
const maxPrefetch = 4096

// requireLocked returns the module spec names from importer, loaded in
// realm s. Call with s's lock held.
func (rt *Runtime) requireLocked(s *realm, importer, spec string, esm bool) (*Module, error) {
	// What the load read ahead is used first; a store read here holds the
	// realm, so it is bounded like the evaluation it is part of.
	ctx, cancel := context.WithTimeout(rt.bg, cmp.Or(rt.opts.LoadTimeout, rt.opts.ReloadTimeout))
	defer cancel()
	start := time.Now()
	existing, file, src, err := rt.resolve(ctx, s.staged, importer, spec, esm)
	if err != nil {
		return nil, err
	}
	if existing != nil && existing.rt != rt {
		return existing, nil // isolated: reached through a bridge
	}
	if existing == nil {
		// Another realm, evaluating the same importer at the same time,
		// may have registered it since.
		m, created, err := rt.registerImported(file)
		if err != nil {
			return nil, err
		}
		if created {
			return rt.loadRequired(ctx, s, m, file, src, start, true)
		}
		existing = m
	}
	m := existing
	in := m.in[s.index]
	if in.cur.Load() != nil || in.loading != nil {
		m.ensureProxy(s)
		return m, nil
	}
	if m.cur.Load() != nil {
		// It serves, but never ran in this realm (an import at call time
		// in another realm loaded it there only).
		if _, err := m.at(s); err != nil {
			return nil, err
		}
		return m, nil
	}
	// Registered without a version: its CreateModule has not reached the
	// realm yet, or its first load failed. The importer needs it now, so
	// it is loaded here, from the source as it is now.
	if src, err = rt.read(ctx, s.staged, m.path); err != nil {
		return nil, err
	}
	return rt.loadRequired(ctx, s, m, m.path, src, start, false)
}

// loadRequired loads m, which an import needs, in realm s from src; a
// module the import created is forgotten if it fails. Call with s's lock
// held.
func (rt *Runtime) loadRequired(ctx context.Context, s *realm, m *Module, file string, src []byte, start time.Time, created bool) (*Module, error) {
	// LoadTimeout bounds each module's own evaluation: a package of
	// thousands of files loads however long the whole graph takes, and an
	// endless one among them is stopped at its own bound.
	defer s.Nest(rt.opts.LoadTimeout)()
	res, err := rt.compile(ctx, s.staged, file, src)
	if err == nil {
		err = rt.loadLocked(s, m, res, start, true)
	}
	if err != nil {
		if created && m.cur.Load() == nil {
			m.setState(StateRemoved)
			rt.unregister(m)
		}
		return nil, err
	}
	return m, nil
}

// registerImported registers the module an import reaches at file, as an
// implicit one (pruned once nothing imports it), unless a module with its
// id is there already: then that one, if it runs file, and created is
// false. Another module's id taken by a different file is ErrExists.
func (rt *Runtime) registerImported(file string) (m *Module, created bool, err error) {
	id := rt.opts.ModuleID(file)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if other, ok := rt.modules[id]; ok {
		if other.path != file {
			return nil, false, fmt.Errorf("%w: %s would be module %q, which already runs %s (rename one, or name modules with Options.ModuleID)", ErrExists, file, id, other.path)
		}
		return other, false, nil
	}
	m = newModule(rt, id, file)
	m.implicit.Store(true)
	rt.registerLocked(m)
	return m, true, nil
}

// moduleAt finds the module whose source is p, preferring the one whose id
// is p itself.
func (rt *Runtime) moduleAt(p string) *Module {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if m, ok := rt.modules[p]; ok && m.path == p {
		return m
	}
	if same := rt.byPath[p]; len(same) > 0 {
		return same[0]
	}
	return nil
}

// RemoveModule disposes the module and forgets it; its handles then fail
// with ErrRemoved, and JavaScript importers see an empty module.
func (rt *Runtime) RemoveModule(ctx context.Context, id string) error {
	rt.mu.Lock()
	m, ok := rt.modules[id]
	rt.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: module %q", ErrNotFound, id)
	}
	return rt.remove(ctx, m)
}

func (rt *Runtime) remove(ctx context.Context, m *Module) error { return rt.removeModule(ctx, m, true) }

// removeModule removes m; with prune, the modules an import loaded that
// only m imported are pruned after it (Cleanup, which removes every
// module, does not).
func (rt *Runtime) removeModule(ctx context.Context, m *Module, prune bool) error {
	if m.rt != rt {
		// Isolated: its own Runtime removes it, then goes.
		err := m.rt.remove(ctx, m)
		if err == nil {
			rt.unregister(m)
			rt.mu.Lock()
			rt.isolated = slices.DeleteFunc(rt.isolated, func(c *Runtime) bool { return c == m.rt })
			rt.mu.Unlock()
			err = m.rt.Close(ctx)
		}
		return err
	}
	if err := m.lockReload(ctx); err != nil {
		return err
	}
	defer m.unlockReload()
	m.abortCanaryLocked(ctx, "the module was removed")
	var imported []*Module
	err := rt.runAll(ctx, rt.opts.LoadTimeout, func(s *realm) error {
		im := rt.retireLocked(s, m, StateRemoved)
		if s.index == 0 {
			imported = im
		}
		return nil
	})
	if err != nil {
		return err
	}
	rt.unregister(m)
	rt.events.emit(Event{Type: EventRemoved, Module: m.id, Path: m.path})
	if prune {
		// What it alone imported goes with it, once its lock is released.
		m.afterUnlock(func() { rt.pruneOrphans(imported) })
	}
	return nil
}

func position(err error) *Position {
	if p, ok := PositionOf(err); ok {
		return &p
	}
	return nil
}

// importMeta is a module's import.meta, as Node 20 makes it for a file:
// url (file:// and the store path), filename, dirname; and hot, the
// module's module.hot.
func importMeta(vm *goja.Runtime, module *goja.Object, p string) *goja.Object {
	meta := vm.NewObject()
	_ = meta.Set("dirname", path.Dir(p))
	_ = meta.Set("filename", p)
	_ = meta.Set("url", (&url.URL{Scheme: "file", Path: p}).String())
	_ = meta.DefineAccessorProperty("hot", vm.ToValue(func(goja.FunctionCall) goja.Value {
		return module.Get("hot")
	}), nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	return meta
}
