package hotmod

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/engine"
	"github.com/hotmod/hotmod/vfs"
)

// A reload proves its version before the swap (the blueprint's "reload
// only if tests pass"): the version's own __verifyHotReload, the
// program's Options.Verify, and with Options.TestSiblings the test file
// next to its source. Each runs on the candidate, which nobody else can
// reach yet; any failure is the reload's, at step "verify", and the old
// version serves on.

// Candidate is a version of a module that is evaluated but not yet
// serving, handed to Options.Verify. It can be called like a Module; once
// Verify returns it is gone (its methods give ErrRemoved).
type Candidate struct {
	m      *Module
	c      *change
	closed atomic.Bool
}

// ID is the module's id.
func (c *Candidate) ID() string { return c.m.id }

// Version is the number the candidate serves under if it is swapped in.
func (c *Candidate) Version() int { return c.c.n }

// Serving is the version that serves now, and goes on serving if the
// candidate is refused.
func (c *Candidate) Serving() int { return c.c.old.n }

// Rollback reports whether the candidate is an older version coming back
// (RollbackModule), rather than a new source.
func (c *Candidate) Rollback() bool { return c.c.rollback }

// Call calls an export of the candidate, as Module.Call does.
func (c *Candidate) Call(ctx context.Context, name string, args ...any) (any, error) {
	if c.closed.Load() {
		return nil, fmt.Errorf("call %s.%s of candidate version %d: %w: Verify has returned", c.m.id, name, c.c.n, ErrRemoved)
	}
	return c.m.callOn(ctx, name, args, func(s *realm) (*version, error) {
		if c.closed.Load() {
			return nil, fmt.Errorf("candidate version %d: %w", c.c.n, ErrRemoved)
		}
		return c.c.in[s.index].nv, nil
	}, false)
}

// Exports lists the names the candidate exports.
func (c *Candidate) Exports(ctx context.Context) ([]string, error) {
	var out []string
	err := c.m.rt.runAny(ctx, c.m.rt.opts.CallTimeout, func(s *realm) error {
		s.hold(nil) // not a call (see realmhold.go)
		if c.closed.Load() {
			return fmt.Errorf("candidate version %d: %w", c.c.n, ErrRemoved)
		}
		if exp := c.m.exportsOf(c.c.in[s.index].nv); exp != nil {
			out = exp.Keys()
		}
		return nil
	})
	return out, err
}

// verifyInGo runs Options.Verify and the sibling test file on c's new
// version. Call with every realm free: the checks take them as calls do.
func (rt *Runtime) verifyInGo(ctx context.Context, c *change) error {
	vctx, cancel := context.WithTimeout(ctx, rt.verifyLimit())
	defer cancel()
	if rt.opts.Verify != nil {
		cand := &Candidate{m: c.m, c: c}
		err := rt.runVerify(vctx, cand)
		cand.closed.Store(true)
		if err != nil {
			return fmt.Errorf("Options.Verify: %w", err)
		}
	}
	if c.test != nil {
		return rt.runTests(vctx, c)
	}
	return nil
}

// verifyLimit bounds one version's Go-side checks.
func (rt *Runtime) verifyLimit() time.Duration {
	if rt.opts.LoadTimeout > 0 {
		return rt.opts.LoadTimeout
	}
	return rt.opts.ReloadTimeout
}

// runVerify calls Options.Verify, turning a panic into the reload's error.
func (rt *Runtime) runVerify(ctx context.Context, cand *Candidate) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panicked: %v", p)
		}
	}()
	return rt.opts.Verify(ctx, cand)
}

// LoadsAsModule reports whether LoadAll loads the source at p as a module:
// a module source (IsModuleSource) that is not, with Options.TestSiblings,
// a sibling test file.
func (rt *Runtime) LoadsAsModule(p string) bool {
	return IsModuleSource(p) && !(rt.opts.TestSiblings && IsTestFile(p))
}

// siblingTest is the path of the test file of the module source p:
// /lib/tax.ts has /lib/tax.test.ts.
func siblingTest(p string) string {
	ext := path.Ext(p)
	return strings.TrimSuffix(p, ext) + ".test" + ext
}

// IsTestFile reports whether p is a sibling test file (x.test.js): with
// Options.TestSiblings it is run against the candidates of x.js, and
// LoadAll does not load it as a module.
func IsTestFile(p string) bool {
	return strings.HasSuffix(strings.TrimSuffix(p, path.Ext(p)), ".test")
}

// readTests reads and compiles the sibling test file of a module source,
// if Options.TestSiblings asks for them and it exists; its imports are
// read ahead like a module's.
func (rt *Runtime) readTests(ctx context.Context, c *change) error {
	if !rt.opts.TestSiblings || c.rollback || IsTestFile(c.m.path) {
		return nil
	}
	p := siblingTest(c.m.path)
	src, err := rt.store.Read(ctx, p)
	if errors.Is(err, vfs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading its tests %s: %w", p, err)
	}
	st := newReads()
	res, err := rt.compileFile(ctx, st, p, src)
	if err != nil {
		return err
	}
	rt.prefetch(ctx, st, p, res)
	c.test, c.testSt, c.testPath = res, st, p
	return nil
}

// runTests evaluates c's sibling test file in realm 0, where importing the
// module under test gives the candidate, and calls every function it
// exports, awaiting returned promises. The first that throws or rejects
// refuses the version.
func (rt *Runtime) runTests(ctx context.Context, c *change) error {
	s := rt.realms[0]
	tm := newModule(rt, c.m.id+" tests", c.testPath)
	run := func(fn func() error) error {
		return s.Run(ctx, rt.opts.LoadTimeout, func(*goja.Runtime) error {
			prevC, prevS := s.candidates, s.staged
			s.candidates, s.staged = map[*Module]*version{c.m: c.in[0].nv}, c.testSt
			defer func() { s.candidates, s.staged = prevC, prevS }()
			return fn()
		})
	}
	var (
		tv    *version
		tests []string
	)
	err := run(func() error {
		var err error
		if tv, err = rt.evalLocked(s, tm, c.test, 1, nil); err != nil {
			return err
		}
		if exp := tm.exportsOf(tv); exp != nil {
			_, tests = tm.listExports(s, exp)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("its tests %s: %w", c.testPath, err)
	}
	defer func() {
		_ = s.Run(context.WithoutCancel(ctx), rt.opts.LoadTimeout, func(*goja.Runtime) error {
			rt.discardLocked(s, tm, tv)
			return nil
		})
	}()
	for _, name := range tests {
		var wait <-chan engine.Outcome
		err := run(func() error {
			fn, ok := goja.AssertFunction(tm.exportsOf(tv).Get(name))
			if !ok {
				return nil // no longer a function
			}
			leave := rt.enter(s, tv)
			ret, err := fn(goja.Undefined())
			leave()
			if err != nil {
				return engine.Err(err)
			}
			out, ch, done := s.Settle(ret, func(goja.Value) (any, error) { return nil, nil })
			if !done {
				wait = ch
			}
			return out.Err
		})
		if err == nil && wait != nil {
			select {
			case out := <-wait:
				err = out.Err
			case <-ctx.Done():
				err = fmt.Errorf("its promise did not settle: %w", context.Cause(ctx))
			case <-rt.closing():
				err = ErrClosed
			}
		}
		if err != nil {
			return fmt.Errorf("test %s in %s failed: %w", name, c.testPath, err)
		}
	}
	return nil
}

// candidateExports is what a require of dep gives in realm s: the
// candidate's exports while a sibling test file runs against it. Call with
// s's lock held.
func (s *realm) candidateExports(m *Module, dep *Module) (goja.Value, bool) {
	v, ok := s.candidates[dep]
	if !ok {
		return nil, false
	}
	exp := m.exportsOf(v)
	if exp == nil {
		return v.module.Get("exports"), true
	}
	return exp, true
}
