package hotmod

import (
	"context"
	"errors"
	"fmt"
	"github.com/hotmod/hotmod/internal/transform"
	"slices"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
	"github.com/hotmod/hotmod/internal/engine"
)

var (
	// ErrStalePatch: the patch's module was reloaded or removed, which
	// dropped the patch (it was written against the old code).
	ErrStalePatch = errors.New("patch is stale: its module was reloaded")
	// ErrInvalidPatch: the patch source is not a factory
	// `(original) => replacement`, its factory did not return a function,
	// or the patched name is not a function export.
	ErrInvalidPatch = errors.New("invalid patch")
)

// PatchState is where a patch is in its life.
type PatchState string

const (
	PatchActive     PatchState = "active"
	PatchRolledBack PatchState = "rolled-back"
	PatchStale      PatchState = "stale"
)

// Patch replaces one exported function of a module's current version until
// it is rolled back or the module is reloaded. Every handle sees it: Go
// calls and other modules' imports.
type Patch struct {
	id, module, function, source string
	version                      int // the module version it patches
	created                      time.Time

	m     *Module
	mu    sync.Mutex
	state PatchState
}

// ID is the patch's id, unique in its Runtime ("patch1", ...): Runtime.Patch
// finds it, and its events carry it.
func (p *Patch) ID() string { return p.id }

// Module is the id of the module whose function it replaces.
func (p *Patch) Module() string { return p.module }

// Function is the name of the export it replaces.
func (p *Patch) Function() string { return p.function }

// Source is the factory's source, as given.
func (p *Patch) Source() string { return p.source }

// Version is the module version it patches; a reload makes it stale.
func (p *Patch) Version() int { return p.version }

// Created is when it took effect.
func (p *Patch) Created() time.Time { return p.created }

// Info is a snapshot of the patch, as Stats lists it.
func (p *Patch) Info() PatchInfo { return p.info() }

// PatchInfo describes a patch in Stats.
type PatchInfo struct {
	ID       string     `json:"id"`
	Module   string     `json:"module"`
	Function string     `json:"function"`
	Version  int        `json:"version"`
	Created  time.Time  `json:"created"`
	State    PatchState `json:"state"`
	Source   string     `json:"source"`
}

// State tells whether the patch is active, rolled back or stale.
func (p *Patch) State() PatchState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

func (p *Patch) info() PatchInfo {
	return PatchInfo{ID: p.id, Module: p.module, Function: p.function, Version: p.version, Created: p.created, State: p.State(), Source: p.source}
}

func (p *Patch) setState(s PatchState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = s
}

// Rollback removes exactly this patch; patches stacked above or below it
// stay. A stale patch gives ErrStalePatch; a second rollback does nothing.
func (p *Patch) Rollback() error { return p.RollbackContext(context.Background()) }

// RollbackContext is Rollback, waiting for the realms no longer than ctx.
func (p *Patch) RollbackContext(ctx context.Context) error {
	m := p.m
	rt := m.rt
	// Every realm is taken, so that no call is on its way through the
	// patch while it goes.
	unlock, err := rt.lockAll(ctx)
	if err != nil {
		return err
	}
	switch p.State() {
	case PatchStale:
		unlock()
		return fmt.Errorf("%w: %s on %s.%s (version %d)", ErrStalePatch, p.id, p.module, p.function, p.version)
	case PatchRolledBack:
		unlock()
		return nil
	}
	m.editHooks(func(h *hooks) {
		c := h.patches[p.function]
		if c == nil {
			return
		}
		c.layers = slices.DeleteFunc(c.layers, func(l *patchLayer) bool { return l.patch == p })
		if len(c.layers) == 0 {
			delete(h.patches, p.function)
		}
	})
	p.setState(PatchRolledBack)
	unlock()
	rt.forgetPatch(p)
	rt.events.emit(Event{Type: EventUnpatched, Module: p.module, Version: p.version, Patch: p.id, Function: p.function})
	return nil
}

// patchChain is the stack of patches on one function of one version.
// Each layer's factory got a trampoline as its "original" that calls
// whatever is below that layer now, so any layer can leave the stack and the
// others still call through to exactly what remains underneath. Each realm
// has its own functions: the fields are by realm index.
type patchChain struct {
	original []goja.Callable
	layers   []*patchLayer // bottom first
}

type patchLayer struct {
	patch    *Patch
	fn       []goja.Callable
	value    []goja.Value
	original []goja.Callable // the export when the patch was made
}

func (c *patchChain) top(realm int) goja.Value { return c.layers[len(c.layers)-1].value[realm] }

// below returns what the layer calls as its original in a realm; a layer
// no longer in the chain (rolled back or dropped, yet still called by
// someone who kept it) calls the export it was made over.
func (c *patchChain) below(realm int, l *patchLayer) goja.Callable {
	if c == nil {
		return l.original[realm]
	}
	i := slices.Index(c.layers, l)
	switch {
	case i < 0:
		return l.original[realm]
	case i == 0:
		return c.original[realm]
	}
	return c.layers[i-1].fn[realm]
}

// PatchFunction replaces the function export name of module id. source is a
// JavaScript function expression that receives the original function and
// returns the replacement, e.g.
//
//	(original) => function (...args) { console.log(args); return original.apply(this, args) }
//
// Anything else is rejected with ErrInvalidPatch (or a *SourceError for a
// syntax error) and changes nothing. Patches stack; a reload drops them.
func (rt *Runtime) PatchFunction(ctx context.Context, id, name, source string) (*Patch, error) {
	m, err := rt.Module(id)
	if err != nil {
		return nil, err
	}
	if m.rt != rt {
		return m.rt.PatchFunction(ctx, id, name, source) // isolated
	}
	file := fmt.Sprintf("%s%s.%s", engine.PatchFile, id, name)
	prg, err := compileFactory(file, source)
	if err != nil {
		return nil, err
	}
	n := len(rt.realms)
	layer := &patchLayer{fn: make([]goja.Callable, n), value: make([]goja.Value, n), original: make([]goja.Callable, n)}
	var version int
	unlock, err := rt.lockAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("patch %s.%s: %w", id, name, err)
	}
	defer unlock()
	// The factory runs in every realm; the patch takes effect in all of
	// them, once all have made their replacement, or in none.
	_, err = firstErr(rt.eachLocked(ctx, rt.opts.LoadTimeout, func(s *realm) error {
		vm := s.VM()
		v, err := m.at(s)
		if err != nil {
			return err
		}
		exp := m.exportsOf(v)
		var raw goja.Value = goja.Undefined()
		if exp != nil {
			raw = exp.Get(name)
		}
		original, ok := goja.AssertFunction(raw)
		if !ok {
			if raw == nil || goja.IsUndefined(raw) {
				return fmt.Errorf("%w: %s has no export %q", ErrInvalidPatch, id, name)
			}
			return fmt.Errorf("%w: it is %s, and only function exports can be patched", ErrInvalidPatch, typeOf(raw))
		}
		fv, err := vm.RunProgram(prg)
		if err != nil {
			return engine.Err(err)
		}
		factory, ok := goja.AssertFunction(fv)
		if !ok {
			return fmt.Errorf("%w: the source evaluates to %s, not a function that receives the original", ErrInvalidPatch, typeOf(fv))
		}
		layer.original[s.index] = original
		// The chain is looked up at each call: hooks are copied on every
		// edit, so the chain this patch joins now is not the one that
		// holds it later.
		i := s.index
		trampoline := vm.ToValue(func(call goja.FunctionCall) goja.Value {
			ret, err := m.hooks.Load().chain(name).below(i, layer)(call.This, call.Arguments...)
			if err != nil {
				panic(err)
			}
			return ret
		})
		leave := rt.enter(s, v)
		repl, err := factory(goja.Undefined(), trampoline)
		leave()
		if err != nil {
			return engine.Err(err)
		}
		fn, ok := goja.AssertFunction(repl)
		if !ok {
			return fmt.Errorf("%w: the factory returned %s, not a function; write (original) => function (...args) { ... }", ErrInvalidPatch, typeOf(repl))
		}
		layer.fn[i], layer.value[i] = fn, repl
		if i == 0 {
			version = v.n
		}
		return nil
	}))
	if err != nil {
		return nil, fmt.Errorf("patch %s.%s: %w", id, name, err)
	}
	p := &Patch{
		id: rt.nextPatchID(), module: id, function: name, source: source, version: version,
		created: time.Now(), m: m, state: PatchActive,
	}
	layer.patch = p
	m.editHooks(func(h *hooks) {
		c := h.patches[name]
		if c == nil {
			c = &patchChain{original: layer.original}
			h.patches[name] = c
		}
		c.layers = append(c.layers, layer)
	})
	rt.mu.Lock()
	rt.patches[p.id] = p
	rt.mu.Unlock()
	rt.events.emit(Event{Type: EventPatched, Module: id, Version: p.version, Patch: p.id, Function: name})
	return p, nil
}

// compileFactory checks that source is one function expression (plain,
// arrow or async) and compiles it. The check is on the parsed tree, so text
// that closes the parenthesis and adds statements of its own is rejected.
func compileFactory(file, source string) (*goja.Program, error) {
	text := "(" + source + "\n)"
	prog, err := parser.ParseFile(nil, file, text, 0)
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			pos := list[0].Position
			if pos.Line == 1 {
				pos.Column-- // the opening parenthesis
			}
			line, col, text, past := transform.ClampToCode(source, pos.Line, max(pos.Column, 1))
			msg := list[0].Message
			if past {
				msg = transform.PastTheEnd
			}
			return nil, &SourceError{File: file, Line: line, Column: col, Message: msg, LineText: text}
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidPatch, err)
	}
	ok := len(prog.Body) == 1
	if ok {
		es, isExpr := prog.Body[0].(*ast.ExpressionStatement)
		ok = isExpr
		if ok {
			switch es.Expression.(type) {
			case *ast.FunctionLiteral, *ast.ArrowFunctionLiteral:
			default:
				ok = false
			}
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: the source must be one function expression, (original) => replacement", ErrInvalidPatch)
	}
	return goja.Compile(file, text, false)
}

func (rt *Runtime) nextPatchID() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.patchSeq++
	return fmt.Sprintf("p%d", rt.patchSeq)
}

func (rt *Runtime) forgetPatch(p *Patch) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	delete(rt.patches, p.id)
}

// LookupPatch returns an active patch by its id (Patch.ID), to inspect or
// roll back one that another part of the program made. PatchFunction and
// Module.Patch make one.
func (rt *Runtime) LookupPatch(id string) (*Patch, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	p, ok := rt.patches[id]
	if !ok {
		return nil, fmt.Errorf("%w: patch %q", ErrNotFound, id)
	}
	return p, nil
}

// Patch is LookupPatch.
//
// Deprecated: the name read like Module.Patch, which makes a patch; use
// LookupPatch. Patch will be removed in the next release.
func (rt *Runtime) Patch(id string) (*Patch, error) { return rt.LookupPatch(id) }

// hooks is what is attached to a module's calls: patches of its current
// version and running profiles. A Module holds it behind an atomic pointer,
// nil when there is neither, so a plain call pays one atomic load.
type hooks struct {
	patches  map[string]*patchChain
	profiles []*Profile
	health   *health // while the module has a probation (see health.go)
}

func (h *hooks) chain(name string) *patchChain {
	if h == nil {
		return nil
	}
	return h.patches[name]
}

// unpatched is h for a version that does not serve (a canary, a
// candidate): no patches, and the profiles and probation only if measured.
func (h *hooks) unpatched(measured bool) *hooks {
	if !measured || h.empty() || (len(h.profiles) == 0 && h.health == nil) {
		return nil
	}
	return &hooks{profiles: h.profiles, health: h.health}
}

func (h *hooks) empty() bool { return len(h.patches) == 0 && len(h.profiles) == 0 && h.health == nil }

// editHooks replaces the hooks with an edited copy.
func (m *Module) editHooks(edit func(h *hooks)) {
	m.hooksMu.Lock()
	defer m.hooksMu.Unlock()
	// A deep copy: readers (calls, Stats) hold the old snapshot without a
	// lock, so nothing they can reach is ever written again.
	h := &hooks{patches: make(map[string]*patchChain)}
	if old := m.hooks.Load(); old != nil {
		for name, c := range old.patches {
			h.patches[name] = &patchChain{original: c.original, layers: slices.Clone(c.layers)}
		}
		h.profiles = slices.Clone(old.profiles)
		h.health = old.health
	}
	edit(h)
	if h.empty() {
		h = nil
	}
	m.hooks.Store(h)
	m.rt.handleGen.Add(1) // the handles catch up at their realm's next run
}

// dropPatchesLocked makes every patch of the module stale (a reload or a
// removal), and forgets the timing wrappers of realm s. Call with s's lock
// held and every other realm's: realm 0 does the Go side.
func (m *Module) dropPatchesLocked(s *realm) {
	m.in[s.index].wrappers = nil
	if s.index != 0 {
		return
	}
	h := m.hooks.Load()
	if h == nil || len(h.patches) == 0 {
		return
	}
	var dropped []*Patch
	m.editHooks(func(h *hooks) {
		for _, c := range h.patches {
			for _, l := range c.layers {
				dropped = append(dropped, l.patch)
			}
		}
		h.patches = map[string]*patchChain{}
	})
	for _, p := range dropped {
		p.setState(PatchStale)
		m.rt.forgetPatch(p)
		m.rt.events.emit(Event{Type: EventPatchDropped, Module: m.id, Version: p.version, Patch: p.id, Function: p.function})
	}
}

// lookup is what a property read through the module's JavaScript handle
// returns: the export, its patched replacement, and while a profile runs a
// timing wrapper (the same function object for every read). Call with
// s's lock held.
func (m *Module) lookup(s *realm, exp *goja.Object, name string) goja.Value {
	raw := exp.Get(name)
	h := m.hooks.Load()
	if h == nil {
		return raw
	}
	v := m.in[s.index].cur.Load()
	if v == nil || m.exportsOf(v) != exp {
		return raw // a version still loading (a cycle) has no hooks yet
	}
	fv := raw
	if c := h.patches[name]; c != nil {
		fv = c.top(s.index)
	}
	if len(h.profiles) == 0 && h.health == nil {
		return fv
	}
	fn, ok := goja.AssertFunction(fv)
	if !ok {
		return fv
	}
	return m.timingWrapper(s, name, fv.(*goja.Object), fn)
}

type wrapperKey struct {
	name string
	fn   *goja.Object
}

// timingWrapper returns the cached wrapper that times calls of fn made by
// other modules of realm s. Call with s's lock held.
func (m *Module) timingWrapper(s *realm, name string, key *goja.Object, fn goja.Callable) goja.Value {
	in := m.in[s.index]
	k := wrapperKey{name, key}
	if w, ok := in.wrappers[k]; ok {
		return w
	}
	if in.wrappers == nil {
		in.wrappers = make(map[wrapperKey]goja.Value)
	}
	w := s.VM().ToValue(func(call goja.FunctionCall) goja.Value {
		ret, err := m.invoke(s, m.hooks.Load(), in.cur.Load(), name, fn, call.This, call.Arguments)
		if err != nil {
			panic(err)
		}
		return ret
	})
	in.wrappers[k] = w
	return w
}
