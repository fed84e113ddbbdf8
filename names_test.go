package hotmod_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
)

// TestCallOfMissingExport: a missing export is ErrNoExport, as the README
// promises, and still ErrNotFunction for code written against that; an
// export that is not a function is only ErrNotFunction.
func TestCallOfMissingExport(t *testing.T) {
	e := newEnv(t, map[string]string{"/m.js": "export const n = 1\nexport function f() { return 2 }"})
	m := e.create("m", "/m.js")
	_, err := m.Call(e.ctx, "nope")
	if !errors.Is(err, hotmod.ErrNoExport) || !errors.Is(err, hotmod.ErrNotFunction) {
		t.Errorf("Call of a missing export: %v; want ErrNoExport (and ErrNotFunction)", err)
	}
	if err == nil || !strings.Contains(err.Error(), `no export "nope"`) || !strings.Contains(err.Error(), "its functions: f") {
		t.Errorf("the message names neither the name nor what can be called: %v", err)
	}
	_, err = m.Call(e.ctx, "n")
	if !errors.Is(err, hotmod.ErrNotFunction) || errors.Is(err, hotmod.ErrNoExport) {
		t.Errorf("Call of a number export: %v; want ErrNotFunction only", err)
	}
	if _, err := m.Get(e.ctx, "nope"); !errors.Is(err, hotmod.ErrNoExport) {
		t.Errorf("Get of a missing export: %v", err)
	}
}

// TestRollbackZeroIsThePreviousVersion: 0 means the newest kept version
// before the current one in the Go API, as in the HTTP API and the CLI.
func TestRollbackZeroIsThePreviousVersion(t *testing.T) {
	e := newEnv(t, map[string]string{"/v.js": "export const v = () => 1"})
	m := e.create("v", "/v.js")
	if err := m.Rollback(e.ctx, 0); !errors.Is(err, hotmod.ErrVersionNotKept) || !strings.Contains(err.Error(), "no version before 1") {
		t.Errorf("Rollback(0) with one version: %v; want ErrVersionNotKept saying there is none before 1", err)
	}
	for _, src := range []string{"export const v = () => 2", "export const v = () => 3"} {
		e.write("/v.js", src)
		e.reload("v")
	}
	if err := m.Rollback(e.ctx, 0); err != nil {
		t.Fatalf("Rollback(0) at version 3: %v", err)
	}
	if got := e.call(m, "v"); m.Version() != 2 || got != int64(2) {
		t.Errorf("after Rollback(0): version %d serving %v; want 2", m.Version(), got)
	}
	if err := e.rt.RollbackModule(e.ctx, "v", 0); err != nil || m.Version() != 1 {
		t.Errorf("RollbackModule(0) at version 2: %v, version %d; want 1", err, m.Version())
	}
	if err := m.Rollback(e.ctx, 7); !errors.Is(err, hotmod.ErrVersionNotKept) {
		t.Errorf("Rollback(7): %v", err)
	}
}

// TestLookupNamesSayTheyRead: LookupProfile and LookupPatch find what
// ProfileModule and PatchFunction started; the old names still work.
func TestLookupNamesSayTheyRead(t *testing.T) {
	e := newEnv(t, map[string]string{"/m.js": "export function f(x) { return x }"})
	m := e.create("m", "/m.js")
	prof, err := m.Profile()
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Patch(e.ctx, "f", "(orig) => (x) => orig(x) + 1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.rt.LookupProfile(prof.ID()); err != nil || got != prof {
		t.Errorf("LookupProfile: %v, %v", got, err)
	}
	if got, err := e.rt.LookupPatch(p.ID()); err != nil || got != p {
		t.Errorf("LookupPatch: %v, %v", got, err)
	}
	if got, err := e.rt.Profile(prof.ID()); err != nil || got != prof { //nolint:staticcheck // the deprecated wrapper must keep working
		t.Errorf("deprecated Runtime.Profile: %v, %v", got, err)
	}
	if got, err := e.rt.Patch(p.ID()); err != nil || got != p { //nolint:staticcheck // the deprecated wrapper must keep working
		t.Errorf("deprecated Runtime.Patch: %v, %v", got, err)
	}
	if _, err := e.rt.LookupProfile("prof999"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("LookupProfile of an unknown id: %v", err)
	}
	if _, err := e.rt.LookupPatch("p999"); !errors.Is(err, hotmod.ErrNotFound) {
		t.Errorf("LookupPatch of an unknown id: %v", err)
	}
}
