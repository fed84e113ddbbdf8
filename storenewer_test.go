package hotmod_test

import (
	"context"
	"testing"

	"github.com/hotmod/hotmod"
)

// After a rollback the serving version is not the store's source: Stats
// says so (issue 23, item 3), until the store's source serves again.
func TestStoreNewerAfterRollback(t *testing.T) {
	e := newEnv(t, map[string]string{"/m.js": "export const v = () => 1"})
	m := e.create("m", "/m.js")
	if m.Stats().StoreNewer {
		t.Fatal("v1 is the store's source, yet StoreNewer")
	}
	e.write("/m.js", "export const v = () => 2")
	e.reload("m")
	if m.Stats().StoreNewer {
		t.Fatal("v2 is the store's source, yet StoreNewer")
	}
	if err := m.Rollback(e.ctx, 1); err != nil {
		t.Fatal(err)
	}
	if st := m.Stats(); !st.StoreNewer || st.Version != 1 {
		t.Fatalf("rolled back to v1 with v2's source in the store: version %d, StoreNewer %v", st.Version, st.StoreNewer)
	}
	// Back to the version that runs the store's source: nothing newer.
	if err := m.Rollback(e.ctx, 2); err != nil {
		t.Fatal(err)
	}
	if m.Stats().StoreNewer {
		t.Error("v2 serves the store's source again, yet StoreNewer")
	}
	// A reload that fails at evaluation leaves the old version serving
	// and the store's source not.
	e.write("/m.js", "throw new Error('broken')")
	if err := e.rt.ReloadModule(e.ctx, "m"); err == nil {
		t.Fatal("the broken reload did not fail")
	}
	if !m.Stats().StoreNewer {
		t.Error("v2 serves, the store holds a source that failed: StoreNewer false")
	}
	// The store's source fixed: it serves, nothing newer.
	e.write("/m.js", "export const v = () => 3")
	e.reload("m")
	if st := m.Stats(); st.StoreNewer || st.Version != 3 {
		t.Errorf("v3 from the store: version %d, StoreNewer %v", st.Version, st.StoreNewer)
	}
}

// A module that failed its first load and whose source is then deleted is
// dropped from the runtime's list, with a removed event (issue 23, item
// 6): it serves nothing and nothing imports it, so nothing keeps it.
func TestFailedModuleDeletedIsRemoved(t *testing.T) {
	e := newEnv(t, map[string]string{"/ok.js": "export const y = 1", "/broken.js": "export const x = ;"}, autoReload)
	events := e.events()
	e.create("ok", "/ok.js")
	if _, err := e.rt.CreateModule(e.ctx, "broken", "/broken.js"); err == nil {
		t.Fatal("broken loaded")
	}
	m, err := e.rt.Module("broken")
	if err != nil || m.State() != hotmod.StateFailed {
		t.Fatalf("broken after its failed load: %v, %v (want listed as failed)", m, err)
	}
	if err := e.store.Delete(context.Background(), "/broken.js"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, typ(hotmod.EventRemoved, "broken"))
	for _, m := range e.rt.Modules() {
		if m.ID() == "broken" {
			t.Errorf("broken is still listed (%s) after its source was deleted", m.State())
		}
	}
	if _, err := e.rt.Module("broken"); err == nil {
		t.Error("Module(broken) still finds it")
	}
}
