package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

func realms(n int) func(*hotmod.Options) { return func(o *hotmod.Options) { o.Realms = n } }

// perRealm calls fn until every realm of a 2-realm Runtime has answered,
// and returns each realm's answer by index. fn must return
// [realmIndex, value]. Calls with nothing else running alternate between
// the realms; the bound only keeps a broken spread from looping.
func perRealm(t *testing.T, e *env, m *hotmod.Module, fn string, args ...any) map[int64]any {
	t.Helper()
	out := map[int64]any{}
	for i := 0; i < 50 && len(out) < 2; i++ {
		v, err := m.Call(e.ctx, fn, args...)
		if err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
		pair := v.([]any)
		if _, seen := out[pair[0].(int64)]; !seen {
			out[pair[0].(int64)] = pair[1]
		}
	}
	if len(out) != 2 {
		t.Fatalf("%s reached realms %v in 50 calls, want both", fn, out)
	}
	return out
}

const realmCounter = `
let n = 0
const here = () => import.meta.hot.realm.index
export const inc = () => [here(), ++n]
export const count = () => [here(), n]
export const value = () => [here(), 'v1']
export const realm = () => import.meta.hot.realm
export function __acceptHotReload(old) { n = old.count()[1] }
`

func TestRealmsEachHaveTheirState(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/c.js": realmCounter}, realms(2))
	m := e.create("c", "/m/c.js")
	info, err := m.Call(e.ctx, "realm")
	if err != nil {
		t.Fatal(err)
	}
	if got := info.(map[string]any)["count"]; got != int64(2) {
		t.Errorf("import.meta.hot.realm = %v, want count 2", info)
	}
	calls := 40
	byRealm := map[int64][]int64{}
	for range calls {
		pair := e.call(m, "inc").([]any)
		byRealm[pair[0].(int64)] = append(byRealm[pair[0].(int64)], pair[1].(int64))
	}
	if len(byRealm) != 2 {
		t.Fatalf("calls ran in realms %v, want both", byRealm)
	}
	for idx, seq := range byRealm {
		// Each realm counts only the calls it served: 1, 2, 3, ...
		for i, n := range seq {
			if n != int64(i+1) {
				t.Fatalf("realm %d counted %v: its state is not its own", idx, seq)
			}
		}
	}
	// A reload carries each realm's state over from that realm's old
	// version: the accept hook gets its own realm's.
	want := perRealm(t, e, m, "count")
	e.write("/m/c.js", strings.Replace(realmCounter, "'v1'", "'v2'", 1))
	e.reload("c")
	if got := perRealm(t, e, m, "count"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts after the reload = %v, want each realm's own %v", got, want)
	}
}

func TestRealmsCallsRunBesideEachOther(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/h.js": `
import { started } from 'host:signal'
export function hold(ms) { started(); const end = Date.now() + ms; while (Date.now() < end) {} return import.meta.hot.realm.index }
export const where = () => import.meta.hot.realm.index
`}, realms(2))
	holding := make(chan struct{}, 1)
	if err := e.rt.NewHostModuleBuilder("signal").Func("started", func() { holding <- struct{}{} }).Register(e.ctx); err != nil {
		t.Fatal(err)
	}
	m := e.create("h", "/m/h.js")
	held := make(chan any, 1)
	go func() { v, _ := m.Call(context.Background(), "hold", 400); held <- v }()
	select {
	case <-holding: // hold has taken a realm
	case <-time.After(10 * time.Second):
		t.Fatal("hold did not start within 10s")
	}
	start := time.Now()
	other := e.call(m, "where")
	if waited := time.Since(start); waited > 200*time.Millisecond {
		t.Errorf("a call waited %v for a busy realm while the other was free", waited)
	}
	select {
	case h := <-held:
		t.Fatalf("hold returned (realm %v) before the second call: the test proves nothing", h)
	default:
	}
	select {
	case h := <-held:
		if h == other {
			t.Errorf("both calls ran in realm %v", h)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hold did not return within 10s")
	}
}

func TestRealmsReloadFailingInOneRealmChangesNone(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/c.js": realmCounter}, realms(2))
	m := e.create("c", "/m/c.js")
	events := e.events()
	perRealm(t, e, m, "inc")
	// Evaluates in realm 0, throws in realm 1.
	e.write("/m/c.js", strings.Replace(realmCounter, "'v1'", "'v2'", 1)+
		"if (import.meta.hot.realm.index === 1) throw new Error('not in realm one')\n")
	err := m.Reload(e.ctx)
	var re *hotmod.RealmError
	if !errors.As(err, &re) || re.Realm != 1 || !strings.Contains(err.Error(), "not in realm one") {
		t.Fatalf("reload = %v, want a RealmError of realm 1", err)
	}
	var rl *hotmod.ReloadError
	if !errors.As(err, &rl) || rl.Step != "evaluate" {
		t.Errorf("reload = %v, want a ReloadError at evaluate", err)
	}
	if m.Version() != 1 {
		t.Errorf("version %d after a failed reload, want 1", m.Version())
	}
	for idx, v := range perRealm(t, e, m, "value") {
		if v != "v1" {
			t.Errorf("realm %d serves %v after a reload that failed in realm 1, want v1", idx, v)
		}
	}
	if st := m.Stats(); st.PendingTimers != 0 {
		t.Errorf("%d timers left behind", st.PendingTimers)
	}
	// A failing accept hook in one realm refuses it in all of them too.
	e.write("/m/c.js", strings.NewReplacer("'v1'", "'v3'", "{ n = old.count()[1] }",
		"{ if (import.meta.hot.realm.index === 0) throw new Error('hook') }").Replace(realmCounter))
	if err := m.Reload(e.ctx); !errors.As(err, &re) || re.Realm != 0 || !errors.As(err, &rl) || rl.Step != "accept" {
		t.Fatalf("reload = %v, want realm 0's accept hook failure", err)
	}
	for idx, v := range perRealm(t, e, m, "value") {
		if v != "v1" {
			t.Errorf("realm %d serves %v, want v1", idx, v)
		}
	}
	// Events come once per module, not once per realm.
	e.write("/m/c.js", strings.Replace(realmCounter, "'v1'", "'v4'", 1))
	e.reload("c")
	n := 0
	for drained := false; !drained; {
		select {
		case ev := <-events:
			if ev.Type == hotmod.EventReloaded {
				n++
			}
		case <-time.After(100 * time.Millisecond):
			drained = true
		}
	}
	if n != 1 {
		t.Errorf("%d reloaded events for one reload, want 1", n)
	}
	for idx, v := range perRealm(t, e, m, "value") {
		if v != "v4" {
			t.Errorf("realm %d serves %v, want v4", idx, v)
		}
	}
}

func TestRealmsPatchesRollbacksAndProfilesReachEveryRealm(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/c.js": realmCounter}, realms(2))
	m := e.create("c", "/m/c.js")
	e.write("/m/c.js", strings.Replace(realmCounter, "'v1'", "'v2'", 1))
	e.reload("c")
	if err := m.Rollback(e.ctx, 1); err != nil {
		t.Fatal(err)
	}
	for idx, v := range perRealm(t, e, m, "value") {
		if v != "v1" {
			t.Errorf("realm %d serves %v after the rollback, want v1", idx, v)
		}
	}
	p, err := m.Patch(e.ctx, "value", "(original) => () => [original()[0], 'patched']")
	if err != nil {
		t.Fatal(err)
	}
	for idx, v := range perRealm(t, e, m, "value") {
		if v != "patched" {
			t.Errorf("realm %d: %v, want the patch", idx, v)
		}
	}
	if err := p.Rollback(); err != nil {
		t.Fatal(err)
	}
	for idx, v := range perRealm(t, e, m, "value") {
		if v != "v1" {
			t.Errorf("realm %d: %v after the patch's rollback, want v1", idx, v)
		}
	}
	// A factory that fails in one realm patches none.
	e.write("/m/mark.js", "globalThis.__realm = import.meta.hot.realm.index")
	e.create("mark", "/m/mark.js")
	_, err = m.Patch(e.ctx, "value", "(original) => { if (globalThis.__realm === 1) throw new Error('realm one'); return () => [0, 'half'] }")
	var re *hotmod.RealmError
	if !errors.As(err, &re) || re.Realm != 1 {
		t.Errorf("patch = %v, want realm 1's error", err)
	}
	for idx, v := range perRealm(t, e, m, "value") {
		if v != "v1" {
			t.Errorf("realm %d: %v after a patch that failed in realm 1, want v1", idx, v)
		}
	}
	if st := m.Stats(); len(st.Patches) != 0 {
		t.Errorf("patches %v after a failed patch", st.Patches)
	}
	prof, err := m.Profile()
	if err != nil {
		t.Fatal(err)
	}
	realmsSeen := perRealm(t, e, m, "inc")
	calls := 0
	for range 10 {
		e.call(m, "inc")
		calls++
	}
	metrics := prof.Stop()
	if len(realmsSeen) != 2 || metrics.TotalCalls < int64(calls+2) {
		t.Errorf("profile counted %d calls over realms %v, want at least %d from both", metrics.TotalCalls, realmsSeen, calls+2)
	}
}

func TestRealmsImportsHostModulesAndRemoval(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/lib.js": "let n = 0\nexport const bump = () => ++n\nimport.meta.hot.dispose(() => { globalThis.hostNote(import.meta.hot.realm.index) })",
		"/m/app.js": `import { bump } from './lib.js'
import { twice } from 'host:go'
export const run = () => [import.meta.hot.realm.index, [bump(), twice(21)]]`,
	}, realms(2))
	var disposed sync.Map
	if err := e.rt.NewHostModuleBuilder("go").Func("twice", func(n int) int { return 2 * n }).Register(e.ctx); err != nil {
		t.Fatal(err)
	}
	// A global the dispose callbacks report through, set in every realm
	// by a module of its own.
	note := e.rt.NewHostModuleBuilder("note").Func("note", func(i int) { disposed.Store(i, true) })
	if err := note.Register(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.write("/m/glue.js", "import { note } from 'host:note'\nglobalThis.hostNote = note")
	e.create("glue", "/m/glue.js")
	app := e.create("app", "/m/app.js")
	for idx, v := range perRealm(t, e, app, "run") {
		// The first call in each realm: the import loaded lib in both.
		if fmt.Sprint(v) != "[1 42]" {
			t.Errorf("realm %d: run() = %v, want [1 42] (lib loaded there, host module registered there)", idx, v)
		}
	}
	if st := e.rt.Stats(); st.TotalModules != 3 {
		t.Errorf("%d modules, want app, glue and the imported lib once", st.TotalModules)
	}
	if err := e.rt.RemoveModule(e.ctx, "m/lib"); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1} {
		if _, ok := disposed.Load(i); !ok {
			t.Errorf("lib was not disposed in realm %d", i)
		}
	}
}

func TestRealmsOptions(t *testing.T) {
	for _, n := range []int{-1, 65} {
		if _, err := hotmod.New(context.Background(), hotmod.Options{Store: newEnv(t, nil).store, Realms: n}); err == nil {
			t.Errorf("Realms %d accepted", n)
		}
	}
	e := newEnv(t, map[string]string{"/m/c.js": realmCounter}, realms(0)) // 0: the default
	m := e.create("c", "/m/c.js")
	info, err := m.Call(e.ctx, "realm")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(info) != "map[count:1 index:0]" || e.rt.Realms() != 1 {
		t.Errorf("import.meta.hot.realm = %v with the default of one realm", info)
	}
}

// Calls on several realms while reloads happen: no call fails, none sees
// two versions at once.
func TestRealmsCallsUnderReloads(t *testing.T) {
	src := func(v int) string {
		return fmt.Sprintf("export const a = () => %d\nexport const b = () => %d\nexport const both = () => [a(), b()]", v, v)
	}
	e := newEnv(t, map[string]string{"/m/x.js": src(0)}, realms(2))
	m := e.create("x", "/m/x.js")
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	var failed, torn, calls atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := m.Call(ctx, "both")
				calls.Add(1)
				if err != nil {
					failed.Add(1)
					continue
				}
				if p := v.([]any); p[0] != p[1] {
					torn.Add(1)
				}
			}
		})
	}
	for i := 1; i <= 30; i++ {
		e.write("/m/x.js", src(i))
		if err := m.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || torn.Load() != 0 || calls.Load() == 0 {
		t.Errorf("%d calls: %d failed, %d torn", calls.Load(), failed.Load(), torn.Load())
	}
	for range 4 {
		if v := fmt.Sprint(e.call(m, "both")); v != "[30 30]" {
			t.Errorf("after the reloads: %v, want [30 30] in every realm", v)
		}
	}
}

// A version whose export is a function in one realm and a number in another
// would fail a share of calls by chance: it is refused, on a first load and
// on a reload, and the serving version stays.
func TestVersionMustExportTheSameKindsInEveryRealm(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/odd.js": "export const f = import.meta.hot.realm.index === 0 ? () => 1 : 1",
		"/m/cjs.js": "if (import.meta.hot.realm.index === 1) exports.extra = 2; exports.g = () => 1",
		"/m/ok.js":  "export const f = () => 1",
	}, func(o *hotmod.Options) { o.Realms = 2 })
	for _, id := range []string{"odd", "cjs"} {
		_, err := e.rt.CreateModule(e.ctx, id, "/m/"+id+".js")
		if !errors.Is(err, hotmod.ErrRealmsDisagree) {
			t.Errorf("first load of %s = %v, want ErrRealmsDisagree", id, err)
		}
	}
	ok := e.create("ok", "/m/ok.js")
	e.write("/m/ok.js", "export const f = import.meta.hot.realm.index === 1 ? () => 2 : 'two'")
	err := e.rt.ReloadModule(e.ctx, "ok")
	var re *hotmod.ReloadError
	if !errors.Is(err, hotmod.ErrRealmsDisagree) || !errors.As(err, &re) || !strings.Contains(err.Error(), `"f" is`) {
		t.Fatalf("reload = %v, want ErrRealmsDisagree naming f", err)
	}
	for range 20 {
		if got := e.call(ok, "f"); got != int64(1) {
			t.Fatalf("after the refused reload: f() = %v, want version 1's 1", got)
		}
	}
}
