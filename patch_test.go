package hotmod_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

const computeSrc = `
export function compute(x) { return 'o' + x }
export function scale(n) { return this.factor * n }
export const factor = 3
export const notAFunction = 1
`

func TestPatchBlueprintForm(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/c.js":   computeSrc,
		"/m/use.js": "import { compute } from './c.js'\nimport * as c from './c.js'\nexport function viaImport(x) { return [compute(x), c.compute(x)] }",
	})
	m := e.create("c", "/m/c.js")
	use := e.create("use", "/m/use.js")
	// The blueprint's own example.
	p, err := e.rt.PatchFunction(e.ctx, "c", "compute", `
  function(originalCompute) {
    return function(...args) {
      console.log('Compute called with:', args);
      return 'patched ' + originalCompute.apply(this, args);
    };
  }
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.call(m, "compute", 1); got != "patched o1" {
		t.Errorf("Go sees %v", got)
	}
	if got := e.call(use, "viaImport", 2); got.([]any)[0] != "patched o2" || got.([]any)[1] != "patched o2" {
		t.Errorf("an importer sees %v", got)
	}
	if !strings.Contains(e.logs.String(), "Compute called with: [1]") {
		t.Error("the patch's console.log did not reach the logger")
	}
	// `this` is kept: scale uses this.factor.
	if _, err := e.rt.PatchFunction(e.ctx, "c", "scale", "(original) => function (n) { return original.call(this, n) + 1 }"); err != nil {
		t.Fatal(err)
	}
	if got := e.call(m, "scale", 2); got != int64(7) {
		t.Errorf("scale(2) through a patch = %v, want 7", got)
	}
	// A patch is read through accessors; nothing outside can change it.
	if p.Module() != "c" || p.Function() != "compute" || p.Version() != 1 || !strings.Contains(p.Source(), "originalCompute") || p.Created().IsZero() {
		t.Errorf("patch %s: module %q function %q version %d created %v", p.ID(), p.Module(), p.Function(), p.Version(), p.Created())
	}
	if info := p.Info(); info.ID != p.ID() || info.Module != "c" || info.State != hotmod.PatchActive {
		t.Errorf("Info() = %+v", info)
	}
	if st := e.rt.Stats().Modules[0]; len(st.Patches) != 2 || st.Patches[0].ID != p.ID() || st.Patches[0].State != hotmod.PatchActive {
		t.Errorf("stats patches = %+v", st.Patches)
	}
	if err := p.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := e.call(m, "compute", 1); got != "o1" {
		t.Errorf("after rollback %v", got)
	}
	if err := p.Rollback(); err != nil {
		t.Errorf("a second rollback: %v", err)
	}
}

func TestPatchRejectsWhatIsNotAFactory(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/c.js": computeSrc})
	m := e.create("c", "/m/c.js")
	for _, tc := range []struct {
		name, fn, src string
		want          error
	}{
		{"a plain value", "compute", "42", hotmod.ErrInvalidPatch},
		{"a replacement instead of a factory", "compute", "function (x) { return x * 2 }", hotmod.ErrInvalidPatch},
		{"a factory returning a non-function", "compute", "(original) => 'nope'", hotmod.ErrInvalidPatch},
		{"text that escapes the expression", "compute", "function(){}), (globalThis.escaped = 1), (function(){}", hotmod.ErrInvalidPatch},
		{"statements", "compute", "1; globalThis.escaped = 1", nil},
		{"a name that is not a function", "notAFunction", "(o) => () => 1", hotmod.ErrInvalidPatch},
		{"a missing name", "missing", "(o) => () => 1", hotmod.ErrInvalidPatch},
		{"a factory that throws", "compute", "(o) => { throw new Error('no') }", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.rt.PatchFunction(e.ctx, "c", tc.fn, tc.src)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("PatchFunction: %v, want %v", err, tc.want)
			}
			if got := e.call(m, "compute", 1); got != "o1" {
				t.Errorf("a rejected patch changed compute: %v", got)
			}
			if st := e.rt.Stats().Modules[0]; len(st.Patches) != 0 {
				t.Errorf("a rejected patch is listed: %+v", st.Patches)
			}
		})
	}
	_, err := e.rt.PatchFunction(e.ctx, "c", "compute", "(original) => function (x) { return x +* 2 }")
	var se *hotmod.SourceError
	if !errors.As(err, &se) || se.Line != 1 || se.File != "patch:c.compute" {
		t.Errorf("syntax error: %v, want a SourceError in patch:c.compute at line 1", err)
	}
	if _, err := e.rt.PatchFunction(e.ctx, "nope", "compute", "(o) => o"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("unknown module: %v", err)
	}
	if v, _ := m.Get(e.ctx, "factor"); v != int64(3) {
		t.Error("module disturbed")
	}
	if got, _ := m.Get(e.ctx, "escaped"); got != nil {
		t.Error("text around a patch ran")
	}
}

func TestPatchesStackAndRollBackInAnyOrder(t *testing.T) {
	layer := func(tag string) string {
		return "(original) => function (...args) { return '" + tag + "(' + original.apply(this, args) + ')' }"
	}
	for _, order := range [][]string{{"A", "B", "C"}, {"B", "A", "C"}, {"C", "B", "A"}, {"B", "C", "A"}} {
		t.Run(strings.Join(order, ""), func(t *testing.T) {
			e := newEnv(t, map[string]string{"/m/c.js": computeSrc})
			m := e.create("c", "/m/c.js")
			patches := map[string]*hotmod.Patch{}
			for _, tag := range []string{"A", "B", "C"} {
				p, err := e.rt.PatchFunction(e.ctx, "c", "compute", layer(tag))
				if err != nil {
					t.Fatal(err)
				}
				patches[tag] = p
			}
			active := []string{"A", "B", "C"}
			want := func() string {
				s := "o1"
				for _, tag := range active {
					s = tag + "(" + s + ")"
				}
				return s
			}
			if got := e.call(m, "compute", 1); got != want() {
				t.Fatalf("stacked: %v, want %v", got, want())
			}
			for _, tag := range order {
				if err := patches[tag].Rollback(); err != nil {
					t.Fatal(err)
				}
				active = removeTag(active, tag)
				if got := e.call(m, "compute", 1); got != want() {
					t.Fatalf("after rolling back %s: %v, want %v", tag, got, want())
				}
			}
		})
	}
}

func removeTag(tags []string, tag string) []string {
	var out []string
	for _, t := range tags {
		if t != tag {
			out = append(out, t)
		}
	}
	return out
}

func TestReloadMakesPatchesStale(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/c.js": computeSrc})
	events := e.events()
	m := e.create("c", "/m/c.js")
	a, _ := e.rt.PatchFunction(e.ctx, "c", "compute", "(o) => (x) => 'A' + o(x)")
	b, _ := e.rt.PatchFunction(e.ctx, "c", "compute", "(o) => (x) => 'B' + o(x)")
	if got := e.call(m, "compute", 1); got != "BAo1" {
		t.Fatalf("stacked = %v", got)
	}
	e.write("/m/c.js", strings.Replace(computeSrc, "'o' + x", "'n' + x", 1))
	e.reload("c")
	for _, p := range []*hotmod.Patch{a, b} {
		if p.State() != hotmod.PatchStale {
			t.Errorf("%s is %s after a reload", p.ID(), p.State())
		}
		if err := p.Rollback(); !errors.Is(err, hotmod.ErrStalePatch) {
			t.Errorf("Rollback of a stale patch: %v, want ErrStalePatch", err)
		}
		ev := waitFor(t, events, func(ev hotmod.Event) bool { return ev.Type == hotmod.EventPatchDropped && ev.Patch == p.ID() })
		if ev.Module != "c" || ev.Function != "compute" {
			t.Errorf("patch-dropped event %+v", ev)
		}
	}
	if got := e.call(m, "compute", 1); got != "n1" {
		t.Errorf("after the reload compute = %v: patches must be gone", got)
	}
	if st := e.rt.Stats().Modules[0]; len(st.Patches) != 0 {
		t.Errorf("stale patches listed: %+v", st.Patches)
	}
	if _, err := e.rt.LookupPatch(a.ID()); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("Runtime.LookupPatch of a stale patch: %v", err)
	}
}
