package hotmod

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/engine"
	"github.com/hotmod/hotmod/internal/transform"
)

// A reload is a transaction over one or more modules: every new version is
// evaluated and its accept hook run beside the serving ones, then the
// import contracts are checked (every name a loaded module imports must
// still be exported), then all swap or none does. Until the swap nothing a
// caller can see has changed.

// change is one module's part of a reload transaction.
type change struct {
	m        *Module
	old      *version // the serving version, as Go sees it
	res      *transform.Result
	st       *reads
	n        int
	rollback bool
	start    time.Time // the reload began: its duration is counted from here

	in   []changeIn // by realm index
	step string     // where it failed

	// The sibling test file, with Options.TestSiblings (see readTests).
	test     *transform.Result
	testSt   *reads
	testPath string
}

// changeIn is a change in one realm; the realm's lock guards it.
type changeIn struct {
	old  *version // the version serving in the realm (nil: never ran there)
	nv   *version
	wait <-chan engine.Outcome // a pending __acceptHotReload promise
	step string
}

// hook names the hook a pending wait is for.
func (in *changeIn) hook() string {
	switch in.step {
	case "verify":
		return "__verifyHotReload"
	case "evaluate":
		return "the top-level await"
	}
	return "__acceptHotReload"
}

// nv is the new version as Go sees it (realm 0's).
func (c *change) nv() *version { return c.in[0].nv }

// ReloadModules reloads several modules as one transaction: each new
// version is read, compiled and evaluated, each accept hook runs, the
// import contracts between them and every other loaded module are checked,
// and then all of them swap, or none does and every module keeps its
// serving version. The error is the *ReloadError of the module that failed.
// A module that has no version yet (its first load failed) is loaded first,
// on its own; if that fails, nothing else is reloaded.
func (rt *Runtime) ReloadModules(ctx context.Context, ids ...string) error {
	var mods, isolated []*Module
	for _, id := range ids {
		m, err := rt.Module(id)
		if err != nil {
			return err
		}
		switch {
		case m.rt != rt:
			isolated = append(isolated, m)
		case !slices.Contains(mods, m):
			mods = append(mods, m)
		}
	}
	if len(mods) > 0 {
		if err := rt.reloadTogether(ctx, mods, false); err != nil {
			return err
		}
	}
	// Isolated modules are not part of the transaction: each reloads on
	// its own, after it.
	for _, m := range isolated {
		if err := m.Reload(ctx); err != nil {
			return err
		}
	}
	return nil
}

// reloadTogether reloads mods as one transaction. An auto reload leaves out
// the modules whose source the serving version already runs.
func (rt *Runtime) reloadTogether(ctx context.Context, mods []*Module, auto bool) error {
	mods, forced, err := rt.declinedSet(ctx, mods)
	if err != nil {
		return err
	}
	if len(mods) == 1 {
		return mods[0].reloadOne(ctx, auto)
	}
	mods, release, err := lockReloads(ctx, mods)
	if err != nil {
		return err
	}
	defer release()
	var cs, alongside []*change
	for _, m := range mods {
		auto := auto && !forced[m]
		old := m.cur.Load()
		if old == nil {
			if m.State() == StateRemoved {
				return fmt.Errorf("%w: %q", ErrRemoved, m.id)
			}
			if auto && m.deferred.Load() {
				continue // the second pass reads the newest source anyway
			}
			if err := m.firstLoadLocked(ctx, auto, 0); err != nil {
				return err
			}
			continue
		}
		if handled, err := m.divertLocked(ctx, auto); handled {
			if err != nil {
				return err
			}
			continue
		}
		m.beginReload()
		defer m.endReload()
		start := time.Now()
		res, st, step, err := m.readSource(ctx)
		if err != nil {
			// The others' changes wait for this one's fix (see stale).
			for _, o := range mods {
				if o != m && o.cur.Load() != nil {
					o.stale.Store(true)
				}
			}
			return m.fail(ctx, old, step, err)
		}
		if auto && res.Hash == old.res.Hash {
			m.sourceServes()
			continue
		}
		c, err := m.nextChange(ctx, old, res, st, start)
		if err != nil {
			return err
		}
		if forced[m] {
			alongside = append(alongside, c)
		} else {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return nil // nothing changed: the importers of a declining module stay
	}
	return rt.apply(ctx, append(cs, alongside...))
}

// declinedSet adds to mods the modules that import, directly or not, a
// module of mods whose serving version called hot.decline(): Vite's old
// decline forced a full page reload when an update reached the module; a
// server's full reload evaluates the module and everything that imports it
// again, whatever they accept, in one transaction. forced are the modules
// added, which reload though their source is unchanged.
func (rt *Runtime) declinedSet(ctx context.Context, mods []*Module) ([]*Module, map[*Module]bool, error) {
	declining := false
	for _, m := range mods {
		if v := m.cur.Load(); v != nil && v.hot.declined.Load() {
			declining = true
		}
	}
	if !declining {
		return mods, nil, nil
	}
	unlock, err := rt.lockAll(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	all := rt.registered()
	set := slices.Clone(mods)
	forced := map[*Module]bool{}
	var queue []*Module
	for _, m := range mods {
		if v := m.cur.Load(); v != nil && v.hot.declined.Load() {
			queue = append(queue, m)
		}
	}
	for len(queue) > 0 {
		dep := queue[0]
		queue = queue[1:]
		for _, imp := range all {
			if imp.rt != rt || slices.Contains(set, imp) {
				continue
			}
			for _, in := range imp.in {
				if v := in.cur.Load(); v != nil && imports(v, dep) {
					set = append(set, imp)
					forced[imp] = true
					queue = append(queue, imp)
					break
				}
			}
		}
	}
	return set, forced, nil
}

// lockReloads takes the reload locks of mods, in id order so that two
// transactions never wait on each other, and returns mods in that order.
// release gives them back, then runs the callbacks the work under them
// queued: every lock is released first, because a callback may reload a
// module of the transaction.
func lockReloads(ctx context.Context, mods []*Module) (sorted []*Module, release func(), err error) {
	mods = slices.Clone(mods)
	slices.SortFunc(mods, func(a, b *Module) int { return strings.Compare(a.id, b.id) })
	var locked []*Module
	release = func() {
		var later []func()
		for _, m := range slices.Backward(locked) {
			later = append(later, m.release()...)
		}
		for _, fn := range later {
			fn()
		}
	}
	for _, m := range mods {
		if err := m.lockReload(ctx); err != nil {
			release()
			return nil, nil, err
		}
		locked = append(locked, m)
	}
	return mods, release, nil
}

// sourceServes records that the source is what serves again (a broken save
// undone): an error from a reload in between no longer describes it.
func (m *Module) sourceServes() {
	m.stale.Store(false)
	m.mu.Lock()
	was := m.lastErr != nil || m.sourceDeleted
	m.sourceDeleted = false
	m.lastErr = nil
	v := m.cur.Load()
	m.mu.Unlock()
	if was && v != nil {
		m.rt.events.emit(Event{Type: EventRecovered, Module: m.id, Path: m.path, Version: v.n})
	}
}

// nextChange starts the change of m from old to its next version, of res
// (read with st), with its sibling tests if they are asked for. Call with
// the reload lock held.
func (m *Module) nextChange(ctx context.Context, old *version, res *transform.Result, st *reads, start time.Time) (*change, error) {
	m.mu.Lock()
	n := m.maxVersion + 1
	m.mu.Unlock()
	c := m.rt.newChange(m, old, res, st, n, false, start)
	if err := m.rt.readTests(ctx, c); err != nil {
		return nil, m.fail(ctx, old, "verify", err)
	}
	return c, nil
}

// newChange starts a change of m from old to a new version n of res.
func (rt *Runtime) newChange(m *Module, old *version, res *transform.Result, st *reads, n int, rollback bool, start time.Time) *change {
	return &change{m: m, old: old, res: res, st: st, n: n, rollback: rollback, start: start, in: make([]changeIn, len(rt.realms))}
}

// apply runs the transaction of cs in every realm: each realm evaluates
// the new versions and runs their hooks, all realms at once; then the
// import contracts are checked, and every realm swaps, or none does. Call
// with every module's reload lock held.
func (rt *Runtime) apply(ctx context.Context, cs []*change) error {
	failed, err := rt.applyInRealms(ctx, cs, reloadSteps)
	if err != nil {
		if failed == nil {
			failed = cs[0] // no realm was reached (ctx, Close)
		}
		if failed.step == "" {
			failed.step = "evaluate"
		}
		for _, c := range cs {
			if c != failed {
				c.m.stale.Store(!c.rollback)
				c.m.fail(ctx, c.old, "transaction", fmt.Errorf("not applied: %s failed", failed.m.id))
			}
		}
		// A module refused because importers still use what it removed
		// has a good source: it goes again with the importers' fix.
		failed.m.stale.Store(failed.step == "imports" && !failed.rollback)
		return failed.m.fail(ctx, failed.old, failed.step, err)
	}
	for _, c := range cs {
		c.m.applied(c)
	}
	return nil
}

// applyInRealms is apply's work in the realms. It returns the change to
// blame for a failure (nil when no realm was reached). Its phases: every
// realm evaluates the new versions and runs their accept hooks; then their
// __verifyHotReload; then, with the realms free (the old versions serve
// calls meanwhile), Options.Verify and the sibling test files; then every
// realm swaps, or none does. A phase whose hooks return pending promises
// awaits them with the realms free.
func (rt *Runtime) applyInRealms(ctx context.Context, cs []*change, steps transactionSteps) (*change, error) {
	held, err := rt.lockAll(ctx)
	if err != nil {
		return nil, err
	}
	unlock := func() {
		if held != nil {
			held()
			held = nil
		}
	}
	defer unlock()
	// Vite's vite:beforeUpdate, before anything of the update runs, and
	// vite:afterUpdate once it serves; the payload is made once, if
	// anyone listens.
	first := invalidatedBy(ctx)
	payload := sync.OnceValue(func() any { return rt.viteUpdatePayload(cs, time.Now().UnixMilli(), first) })
	if steps.swaps() {
		rt.eachLocked(ctx, rt.opts.LoadTimeout, func(s *realm) error {
			rt.viteLocked(s, ViteBeforeUpdate, payload)
			return nil
		})
	}
	relock := func() error {
		if held != nil {
			return nil
		}
		// Under a context that cannot stop the clean-up.
		h, err := rt.lockAll(context.WithoutCancel(ctx))
		if err == nil {
			held = h
		}
		return err
	}
	fail := func(c *change, err error) (*change, error) {
		if relock() == nil {
			rt.discardEverywhere(ctx, cs)
		}
		// Else the Runtime closed meanwhile: the new versions' scopes end
		// with their realms.
		return c, err
	}
	for _, phase := range steps.phases(rt) {
		if err := relock(); err != nil {
			return fail(nil, err)
		}
		if c, err := rt.eachChange(ctx, cs, phase); err != nil {
			return fail(c, err)
		}
		if c, err := realmsAgree(cs); err != nil {
			c.step = "evaluate"
			return fail(c, err)
		}
		if pending(cs) {
			unlock()
			if c, err := rt.awaitHooks(ctx, cs); err != nil {
				return fail(c, err)
			}
		}
	}
	if steps.goVerify() && (rt.opts.Verify != nil || rt.opts.TestSiblings) {
		unlock()
		for _, c := range cs {
			if err := rt.verifyInGo(ctx, c); err != nil {
				c.step = "verify"
				return fail(c, err)
			}
		}
	}
	if !steps.swaps() {
		return nil, nil // the caller keeps the new versions (a canary)
	}
	if err := relock(); err != nil {
		return fail(nil, err)
	}
	if c, err := rt.checkImportsLocked(cs); err != nil {
		c.step = "imports"
		return fail(c, err)
	}
	lost := make([][]*Module, len(rt.realms))
	errs := rt.eachLocked(context.WithoutCancel(ctx), rt.opts.LoadTimeout, func(s *realm) error {
		s.invalidatedBy = first
		defer func() { s.invalidatedBy = "" }()
		for _, c := range cs {
			in := c.in[s.index]
			if in.old != nil {
				for _, d := range in.old.deps {
					if !imports(in.nv, d) {
						lost[s.index] = append(lost[s.index], d)
					}
				}
			}
			c.m.swapLocked(s, in.old, in.nv)
		}
		rt.viteLocked(s, ViteAfterUpdate, payload)
		return nil
	})
	if seeds := slices.Concat(lost...); len(seeds) > 0 {
		// A module an import loaded, that no loaded module imports any
		// more, is pruned once the transaction's locks are released.
		cs[0].m.afterUnlock(func() { rt.pruneOrphans(seeds) })
	}
	if _, err := firstErr(errs); err != nil {
		// The swap itself is Go code and callbacks that only log; only
		// Close ends it early.
		rt.log.Error("swapping new versions was cut short", "err", err)
	}
	return nil, nil
}

// transactionSteps are what a transaction does in the realms.
type transactionSteps int

const (
	// reloadSteps: a reload or rollback: evaluate, accept, verify (the
	// version's hook, then Options.Verify and sibling tests), swap.
	reloadSteps transactionSteps = iota
	// canarySteps: as a reload, without the swap: the new versions stay
	// evaluated beside the serving ones.
	canarySteps
	// promoteSteps: a canary swaps in, its accept hook run again on the
	// version serving now.
	promoteSteps
)

func (t transactionSteps) phases(rt *Runtime) []func(*realm, *change) error {
	if t == promoteSteps {
		return []func(*realm, *change) error{rt.reacceptLocked}
	}
	return []func(*realm, *change) error{rt.prepareLocked, rt.acceptPhaseLocked, rt.verifyLocked}
}

func (t transactionSteps) goVerify() bool { return t != promoteSteps }
func (t transactionSteps) swaps() bool    { return t != canarySteps }

// eachChange runs phase for every change in every realm at once, and
// returns the change whose phase failed first. Call with every realm taken.
func (rt *Runtime) eachChange(ctx context.Context, cs []*change, phase func(*realm, *change) error) (*change, error) {
	failedIn := make([]*change, len(rt.realms))
	errs := rt.eachLocked(ctx, rt.opts.LoadTimeout, func(s *realm) error {
		for _, c := range cs {
			s.Rebudget(rt.opts.LoadTimeout)
			failedIn[s.index] = c
			if err := phase(s, c); err != nil {
				return err
			}
		}
		failedIn[s.index] = nil
		return nil
	})
	i, err := firstErr(errs)
	if err == nil {
		return nil, nil
	}
	c := failedIn[i]
	if c != nil {
		c.step = c.in[i].step
	}
	return c, err
}

// pending reports whether a hook of cs returned a promise not yet settled.
func pending(cs []*change) bool {
	for _, c := range cs {
		for _, in := range c.in {
			if in.wait != nil {
				return true
			}
		}
	}
	return false
}

// discardEverywhere undoes every new version of cs in every realm. Call with
// every realm taken.
func (rt *Runtime) discardEverywhere(ctx context.Context, cs []*change) {
	rt.eachLocked(context.WithoutCancel(ctx), rt.opts.LoadTimeout, func(s *realm) error {
		rt.discardAllLocked(s, cs)
		return nil
	})
}

// prepareLocked evaluates c's new version in realm s beside the serving
// one and runs its accept hook. On failure the new version is discarded.
// Call with s's lock held.
func (rt *Runtime) prepareLocked(s *realm, c *change) error {
	m := c.m
	in := &c.in[s.index]
	old := m.in[s.index].cur.Load()
	in.old = old
	prev := s.staged
	s.staged = c.st
	defer func() { s.staged = prev }()
	in.step = "evaluate"
	var hs *hotState
	if old != nil {
		rt.lifecycleLocked(s, m, old, HotBeforeUpdate, "version", old.n, "next", c.n)
		var err error
		if hs, err = rt.nextData(s, m, old); err != nil {
			return err
		}
	}
	nv, err := rt.evalLocked(s, m, c.res, c.n, hs)
	if err != nil {
		return err
	}
	in.nv = nv
	// A top-level await is awaited before the accept hook runs (the
	// hook is an export, set when the body settles).
	err, in.wait = settleLocked(s, nv)
	return err
}

// acceptPhaseLocked runs the accept hook of c's new version in realm s,
// once its evaluation has settled. Call with s's lock held.
func (rt *Runtime) acceptPhaseLocked(s *realm, c *change) error {
	in := &c.in[s.index]
	if in.old == nil || in.nv == nil {
		return nil
	}
	return rt.acceptLocked(s, c)
}

// acceptLocked runs the new version's __acceptHotReload(old) in realm s; a
// pending promise is left in the change for awaitHooks. A failure leaves
// the new version for the transaction to discard. Call with s's lock held.
func (rt *Runtime) acceptLocked(s *realm, c *change) error {
	m, in := c.m, &c.in[s.index]
	in.step = "accept"
	hook, err := m.exportedHook(s, in.nv, "__acceptHotReload")
	if err != nil || hook == nil {
		return err
	}
	return rt.runHook(s, in, hook, m.exportsOf(in.nv), m.exportsOf(in.old))
}

// runHook calls a hook of in's new version with this and args; a pending
// promise is left in in.wait for awaitHooks. Call with s's lock held.
func (rt *Runtime) runHook(s *realm, in *changeIn, hook goja.Callable, this goja.Value, args ...goja.Value) error {
	s.Rebudget(rt.opts.LoadTimeout)
	leave := rt.enter(s, in.nv)
	ret, err := hook(this, args...)
	leave()
	if err != nil {
		return engine.Err(err)
	}
	out, ch, done := s.Settle(ret, func(goja.Value) (any, error) { return nil, nil })
	if !done {
		in.wait = ch
		return nil
	}
	return out.Err
}

// reacceptLocked runs a candidate's accept hook again, on the version
// serving now (a promoted canary carries the state it has now). Call with
// s's lock held.
func (rt *Runtime) reacceptLocked(s *realm, c *change) error {
	in := &c.in[s.index]
	in.old = c.m.in[s.index].cur.Load()
	if in.old == nil || in.nv == nil {
		return nil
	}
	return rt.acceptLocked(s, c)
}

// verifyLocked runs the new version's __verifyHotReload in realm s, if it
// exports one: a throw or a rejection refuses the version. Call with s's
// lock held.
func (rt *Runtime) verifyLocked(s *realm, c *change) error {
	in := &c.in[s.index]
	in.step = "verify"
	hook, err := c.m.exportedHook(s, in.nv, "__verifyHotReload")
	if err != nil || hook == nil {
		return err
	}
	return rt.runHook(s, in, hook, c.m.exportsOf(in.nv))
}

// awaitHooks waits for the pending hooks of cs in every realm, all within
// LoadTimeout, and returns the change whose hook failed.
func (rt *Runtime) awaitHooks(ctx context.Context, cs []*change) (*change, error) {
	var expired <-chan time.Time
	if d := rt.opts.LoadTimeout; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		expired = t.C
	}
	for _, c := range cs {
		for i := range c.in {
			if c.in[i].wait == nil {
				continue
			}
			var out engine.Outcome
			select {
			case out = <-c.in[i].wait:
			case <-ctx.Done():
				out.Err = fmt.Errorf("waiting for %s: %w", c.in[i].hook(), context.Cause(ctx))
			case <-expired:
				out.Err = fmt.Errorf("%s did not settle within LoadTimeout: %w", c.in[i].hook(),
					&TimeoutError{Err: context.DeadlineExceeded, Limit: rt.opts.LoadTimeout})
			case <-rt.closing():
				out.Err = fmt.Errorf("waiting for %s: %w", c.in[i].hook(), ErrClosed)
			}
			c.in[i].wait = nil
			if out.Err != nil {
				c.step = c.in[i].step
				if len(c.in) > 1 {
					out.Err = &RealmError{Realm: i, Err: out.Err}
				}
				return c, out.Err
			}
		}
	}
	return nil, nil
}

// discardAllLocked undoes every new version of cs in realm s. Call with
// s's lock held.
func (rt *Runtime) discardAllLocked(s *realm, cs []*change) {
	for _, c := range cs {
		in := &c.in[s.index]
		if in.nv != nil {
			rt.discardLocked(s, c.m, in.nv)
			in.nv = nil
		}
	}
}

// applied records a change that swapped in.
func (m *Module) applied(c *change) {
	rt := m.rt
	nv := c.nv()
	m.stale.Store(false)
	m.mu.Lock()
	m.maxVersion = max(m.maxVersion, c.n)
	m.keep(nv)
	m.lastReload = time.Now()
	nv.served, nv.took = m.lastReload, m.lastReload.Sub(c.start)
	m.lastErr = nil
	m.sourceDeleted = false
	typ := EventReloaded
	if c.rollback {
		m.rollbacks++
		typ = EventRolledBack
	} else {
		m.reloads++
	}
	m.mu.Unlock()
	rt.events.emit(Event{Type: typ, Module: m.id, Path: m.path, Version: c.n, OldVersion: c.old.n, Duration: nv.took})
	rt.log.Info("module "+string(typ), "module", m.id, "version", c.n, "previous", c.old.n)
	m.healthState().swapped(c.old.n, c.n, c.rollback)
	u := Update{Module: m, ID: m.id, Old: c.old.n, New: c.n, Rollback: c.rollback}
	m.afterUnlock(func() { rt.notify(u) })
}

// checkImportsLocked checks that every name a loaded module imports by name
// is exported by the version that will serve, where the transaction
// changes either side: the importer, the module it imports from, or a
// module that one re-exports from (export * from). It returns the change
// to blame: the module that lost the export, or the importer whose new
// version asks for a missing one. A violation the transaction does not
// touch is not its business. Call with every realm taken: it reads realm
// 0's versions, which import the same modules as every realm's.
func (rt *Runtime) checkImportsLocked(cs []*change) (*change, error) {
	next := make(map[*Module]*change, len(cs))
	for _, c := range cs {
		next[c.m] = c
	}
	after := func(m *Module) *version {
		if c, ok := next[m]; ok {
			return c.nv()
		}
		return m.cur.Load()
	}
	mods := rt.registered()
	shapes := map[*version]exportSet{}
	for _, imp := range mods {
		iv := after(imp)
		if iv == nil {
			continue
		}
		_, importerChanges := next[imp]
		var missing []string
		var first transform.Use
		var dep, blame *Module
		for _, u := range iv.res.Uses {
			d := iv.deps[u.Spec]
			if d == nil || (dep != nil && d != dep) {
				continue
			}
			if _, depChanges := next[d]; !importerChanges && !depChanges {
				if dv := d.cur.Load(); dv == nil || len(dv.res.ReExports) == 0 {
					continue // neither side changes: the usual case, and no set to build
				}
			}
			es := rt.exportSetLocked(d, after, next, shapes, nil)
			if es.open || es.names[u.Name] || (!importerChanges && es.changed == nil) {
				continue
			}
			if dep == nil {
				dep, first, blame = d, u, es.changed
			}
			missing = append(missing, u.Name)
		}
		if dep == nil {
			continue
		}
		err := &ImportError{Importer: imp.id, File: imp.path, Line: first.Line, Column: first.Column,
			Module: dep.id, Specifier: first.Spec, Missing: missing}
		if c, ok := next[blame]; ok && blame != nil {
			return c, err
		}
		return next[imp], err
	}
	return nil, nil
}

// exportSet is what a module version exports by name, for the import
// contract.
type exportSet struct {
	names   map[string]bool
	open    bool    // some of it cannot be known (CommonJS): nothing is missing
	changed *Module // the first module of the transaction it depends on, if any
}

// exportSetLocked is the export set of m as it will serve after the
// transaction: an ES module's own names and those of the modules it
// re-exports everything from; a script's names. CommonJS and JSON are
// open. Call with the realm lock held.
func (rt *Runtime) exportSetLocked(m *Module, after func(*Module) *version, next map[*Module]*change,
	cache map[*version]exportSet, visiting map[*Module]bool) exportSet {
	v := after(m)
	if v == nil || m.rt != rt {
		// An isolated module's exports are looked up through its bridge
		// at the time of the call: nothing to check here.
		return exportSet{open: true}
	}
	if es, ok := cache[v]; ok {
		return es
	}
	es := exportSet{names: map[string]bool{}}
	if _, ok := next[m]; ok {
		es.changed = m
	}
	switch v.res.Kind {
	case transform.ESModule:
		for _, n := range v.res.ExportNames {
			es.names[n] = true
		}
		if visiting == nil {
			visiting = map[*Module]bool{}
		}
		visiting[m] = true
		for _, spec := range v.res.ReExports {
			d := v.deps[spec]
			if d == nil || visiting[d] {
				es.open = es.open || d == nil
				continue
			}
			sub := rt.exportSetLocked(d, after, next, cache, visiting)
			es.open = es.open || sub.open
			if es.changed == nil {
				es.changed = sub.changed
			}
			for n := range sub.names {
				if n != "default" {
					es.names[n] = true
				}
			}
		}
		delete(visiting, m)
	case transform.Script:
		for _, n := range v.res.Exports {
			es.names[n] = true
		}
		es.names["default"] = true // a script's default import is its whole exports object
	default:
		es.open = true
	}
	cache[v] = es
	return es
}

// firstImportsLocked checks, on a module's first load in realm s, that
// every name version v imports by name from an ES module (or a script) is
// exported, as Node does when it links: a missing name, or a default
// import of an ES module without a default, fails the load at the
// importer's position. Call with s's lock held.
func (rt *Runtime) firstImportsLocked(s *realm, m *Module, v *version) error {
	if len(v.res.Uses) == 0 {
		return nil
	}
	after := func(d *Module) *version {
		if d == m {
			return v
		}
		return d.in[s.index].cur.Load()
	}
	shapes := map[*version]exportSet{}
	var missing []string
	var first transform.Use
	var dep *Module
	for _, u := range v.res.Uses {
		d := v.deps[u.Spec]
		if d == nil || (dep != nil && d != dep) {
			continue
		}
		es := rt.exportSetLocked(d, after, nil, shapes, nil)
		if es.open || es.names[u.Name] {
			continue
		}
		if dep == nil {
			dep, first = d, u
		}
		missing = append(missing, u.Name)
	}
	if dep == nil {
		return nil
	}
	return &ImportError{Importer: m.id, File: m.path, Line: first.Line, Column: first.Column,
		Module: dep.id, Specifier: first.Spec, Missing: missing, Load: true}
}

// ImportError refuses a reload that would leave a loaded module importing,
// by name, something its dependency no longer exports (an export renamed
// or removed without its importers). It comes wrapped in the *ReloadError
// of the module to blame, at step "imports".
type ImportError struct {
	Importer  string   // the importing module's id
	File      string   // the importer's source, where the import is
	Line      int      // 1-based
	Column    int      // 1-based
	Module    string   // the id of the module that lacks the names
	Specifier string   // as the importer wrote it
	Missing   []string // the names it imports that are not exported
	// Load: the importer's first load, not a reload, met the missing
	// names (Node refuses such an import at link time).
	Load bool
}

func (e *ImportError) Error() string {
	if e.Load {
		return fmt.Sprintf("%s:%d:%d: %s imports %s from %q (module %s), which does not export %s",
			e.File, e.Line, e.Column, e.Importer, strings.Join(e.Missing, ", "), e.Specifier, e.Module,
			map[bool]string{true: "it", false: "them"}[len(e.Missing) == 1])
	}
	return fmt.Sprintf("%s:%d:%d: %s imports %s from %q (module %s), which would no longer export %s",
		e.File, e.Line, e.Column, e.Importer, strings.Join(e.Missing, ", "), e.Specifier, e.Module,
		map[bool]string{true: "it", false: "them"}[len(e.Missing) == 1])
}
