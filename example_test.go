package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

// check ends an example that hits an error, as a program would.
func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// A module's state survives a reload through its __acceptHotReload hook.
func Example() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	check(store.Write(ctx, "/modules/counter.js", []byte(`
export let count = 0
export function increment(by = 1) { count += by; return count }
export function __acceptHotReload(old) { count = old.count }
`)))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())

	counter, err := rt.CreateModule(ctx, "counter", "/modules/counter.js")
	check(err)
	_, err = counter.Call(ctx, "increment", 41)
	check(err)

	// A new version: it counts in tens now, and keeps the count.
	check(store.Write(ctx, "/modules/counter.js", []byte(`
export let count = 0
export function increment(by = 1) { count += by * 10; return count }
export function __acceptHotReload(old) { count = old.count }
`)))
	check(rt.ReloadModule(ctx, "counter"))
	n, err := counter.Call(ctx, "increment")
	check(err)
	fmt.Println(n, counter.Version())
	// Output: 51 2
}

// The README's embedding snippet, as written there (on a folder made for
// the example).
func Example_embedding() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hotmod-example")
	check(err)
	defer os.RemoveAll(dir)
	check(os.WriteFile(filepath.Join(dir, "counter.js"), []byte("let n = 0\nexport const increment = (by) => n += by\n"), 0o644))

	store, err := vfs.NewDir(dir) // or vfs.NewMem(), vfs.OpenBolt("modules.db"), vfs.FromFS(embedded)
	check(err)
	defer store.Close()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store}) // watches the store: edits reload modules
	check(err)
	defer rt.Close(ctx) // ends calls in flight with ErrClosed; never hangs

	counter, err := rt.CreateModule(ctx, "counter", "/counter.js") // a stable handle
	check(err)
	n, err := counter.Call(ctx, "increment", 5) // always the current version; promises awaited
	check(err)
	n2, err := hotmod.Call[int](ctx, counter, "increment", 1) // the result as a Go type
	check(err)
	fmt.Println(n, n2)
	// Output: 5 6
}

// A broken version never serves: the error says where, the old one stays.
func ExampleRuntime_ReloadModule() {
	ctx := context.Background()
	store := vfs.NewMem()
	check(store.Write(ctx, "/price.ts", []byte("export const rate: number = 1.5")))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	price, err := rt.CreateModule(ctx, "price", "/price.ts")
	check(err)

	check(store.Write(ctx, "/price.ts", []byte("export const rate: number = \n")))
	err = rt.ReloadModule(ctx, "price")
	pos, _ := hotmod.PositionOf(err)
	rate, err := price.Get(ctx, "rate")
	check(err)
	fmt.Println(pos.File, pos.Line, pos.Column)
	fmt.Println(rate, price.Version())
	// Output:
	// /price.ts 2 1
	// 1.5 1
}

func ExampleRuntime_RollbackModule() {
	ctx := context.Background()
	store := vfs.NewMem()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	check(store.Write(ctx, "/greet.js", []byte("export const hello = () => 'hello'")))
	greet, err := rt.CreateModule(ctx, "greet", "/greet.js")
	check(err)
	check(store.Write(ctx, "/greet.js", []byte("export const hello = () => 'HELLO!!'")))
	check(rt.ReloadModule(ctx, "greet"))

	check(rt.RollbackModule(ctx, "greet", 1))
	s, err := greet.Call(ctx, "hello")
	check(err)
	fmt.Println(s, greet.Version(), rt.Stats().Modules[0].KeptVersions)
	// Output: hello 1 [2 1]
}

func ExampleRuntime_OnModuleUpdate() {
	ctx := context.Background()
	store := vfs.NewMem()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	check(store.Write(ctx, "/m.js", []byte("export const v = 1")))
	stop := rt.OnModuleUpdate("m", func(u hotmod.Update) {
		fmt.Printf("%s: version %d -> %d\n", u.ID, u.Old, u.New)
	})
	defer stop()
	_, err = rt.CreateModule(ctx, "m", "/m.js")
	check(err)
	check(rt.ReloadModule(ctx, "m"))
	// Output: m: version 1 -> 2
}

// Modules import each other by path and always get the current version.
func ExampleModule_Call() {
	ctx := context.Background()
	store := vfs.NewMem()
	check(store.Write(ctx, "/lib/tax.js", []byte("export const rate = 0.2")))
	check(store.Write(ctx, "/shop.ts", []byte(`
import { rate } from './lib/tax.js'
export async function total(items: { price: number }[]): Promise<number> {
	return items.reduce((sum, it) => sum + it.price, 0) * (1 + rate)
}`)))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	shop, err := rt.CreateModule(ctx, "shop", "/shop.ts")
	check(err)

	items := []map[string]any{{"price": 10}, {"price": 15}}
	before, err := shop.Call(ctx, "total", items)
	check(err)
	check(store.Write(ctx, "/lib/tax.js", []byte("export const rate = 0")))
	check(rt.ReloadModule(ctx, "lib/tax")) // the import is a module too, named as DefaultModuleID says
	after, err := shop.Call(ctx, "total", items)
	check(err)
	fmt.Println(before, after)

	_, err = shop.Call(ctx, "missing")
	fmt.Println(errors.Is(err, hotmod.ErrNotFunction))
	// Output:
	// 30 25
	// true
}

func ExampleRuntime_Events() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := vfs.NewMem()
	check(store.Write(ctx, "/job.js", []byte("export const v = 1")))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store})
	check(err)
	defer rt.Close(context.Background())
	events := rt.Events(ctx)
	_, err = rt.CreateModule(ctx, "job", "/job.js")
	check(err)
	// The Runtime watches its store: a write is a reload.
	check(store.Write(ctx, "/job.js", []byte("export const v = 2")))
	for ev := range events {
		fmt.Println(ev.Type, ev.Module, ev.Version)
		if ev.Type == hotmod.EventReloaded {
			break
		}
	}
	// Output:
	// created job 1
	// source-changed job 1
	// reloaded job 2
}

// A patch wraps one function; rolling it back restores exactly the original.
func ExampleRuntime_PatchFunction() {
	ctx := context.Background()
	store := vfs.NewMem()
	check(store.Write(ctx, "/calc.js", []byte("export function compute(x) { return x * 2 }")))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	calc, err := rt.CreateModule(ctx, "calc", "/calc.js")
	check(err)

	p, err := rt.PatchFunction(ctx, "calc", "compute", `
		function (originalCompute) {
			return function (...args) { return originalCompute.apply(this, args) + 1 }
		}`)
	check(err)
	patched, err := calc.Call(ctx, "compute", 20)
	check(err)
	check(p.Rollback())
	restored, err := calc.Call(ctx, "compute", 20)
	check(err)
	fmt.Println(patched, restored)
	// Output: 41 40
}

func ExampleRuntime_ProfileModule() {
	ctx := context.Background()
	store := vfs.NewMem()
	check(store.Write(ctx, "/svc.js", []byte("export async function fetchUser(id) { await null; if (id < 0) throw new Error('bad id'); return { id } }")))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	svc, err := rt.CreateModule(ctx, "svc", "/svc.js")
	check(err)

	prof, err := rt.ProfileModule("svc")
	check(err)
	for id := -1; id < 3; id++ {
		_, _ = svc.Call(ctx, "fetchUser", id) // id -1 throws: the profile counts it as an error
	}
	m := prof.Stop()
	f := m.Functions[0]
	fmt.Println(f.Name, f.Calls, f.Errors, f.P99 >= f.P50)
	// Output: fetchUser 4 1 true
}

// Untrusted code runs in a fresh QuickJS VM with limits and no host access.
func ExampleRuntime_ExecuteSafe() {
	ctx := context.Background()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: vfs.NewMem(), DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())

	res, err := rt.ExecuteSafe(ctx, `
		console.log('scoring', context.order.items.length, 'items')
		return context.order.items.reduce((sum, it) => sum + it.price, 0)`,
		map[string]any{"order": map[string]any{"items": []map[string]any{{"price": 3}, {"price": 4}}}})
	check(err)
	fmt.Println(res.Value, res.Console[0].Text)

	_, err = rt.ExecuteSafe(ctx, "while (true) {}", nil)
	var le *hotmod.LimitError
	fmt.Println(errors.As(err, &le), le.Limit)
	// Output:
	// 7 scoring 2 items
	// true time
}

// Options.Verify checks a new version before it serves: a version whose
// prices went wrong is refused, and the old one serves on.
func ExampleOptions_verify() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	check(store.Write(ctx, "/price.js", []byte("export const price = (n) => n * 12 / 10")))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true,
		Verify: func(ctx context.Context, c *hotmod.Candidate) error {
			p, err := c.Call(ctx, "price", 100)
			if err != nil {
				return err
			}
			if n, ok := p.(int64); !ok || n < 100 {
				return fmt.Errorf("price(100) = %v: below cost", p)
			}
			return nil
		}})
	check(err)
	defer rt.Close(context.Background())
	m, err := rt.CreateModule(ctx, "price", "/price.js")
	check(err)

	check(store.Write(ctx, "/price.js", []byte("export const price = (n) => n * 2 / 10")))
	err = m.Reload(ctx)
	var re *hotmod.ReloadError
	fmt.Println(errors.As(err, &re), re.Step, m.Version())
	fmt.Println(err)
	// A version that exports __verifyHotReload checks itself the same way.
	p, err := m.Call(ctx, "price", 10)
	check(err)
	fmt.Println(p)
	// Output:
	// true verify 1
	// reload of price (version 1 keeps serving) failed at verify: Options.Verify: price(100) = 20: below cost
	// 12
}

// A canary serves a share of keyed calls; a key stays on its version while
// the share grows; Promote makes it the serving version.
func ExampleModule_Canary() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	check(store.Write(ctx, "/greet.js", []byte(`export const hello = (name) => "Hello, " + name`)))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	m, err := rt.CreateModule(ctx, "greet", "/greet.js")
	check(err)

	check(m.CanarySource(ctx, []byte(`export const hello = (name) => "Hi, " + name`), 100))
	canary, err := m.CallKey(ctx, "user-7", "hello", "Ada")
	check(err)
	plain, err := m.Call(ctx, "hello", "Ada") // unkeyed calls stay on the serving version
	check(err)
	fmt.Println(canary, "|", plain)

	check(m.Promote(ctx))
	promoted, err := m.Call(ctx, "hello", "Ada")
	check(err)
	fmt.Println(promoted, m.Version())
	// Output:
	// Hi, Ada | Hello, Ada
	// Hi, Ada 2
}

// A snapshot records what every module serves; Restore brings it all back
// in one transaction.
func ExampleRuntime_Snapshot() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	check(store.Write(ctx, "/rate.js", []byte("export const rate = () => 0.2")))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	m, err := rt.CreateModule(ctx, "rate", "/rate.js")
	check(err)
	_, err = rt.Snapshot(ctx, "before-sale")
	check(err)

	check(store.Write(ctx, "/rate.js", []byte("export const rate = () => 0.5")))
	check(m.Reload(ctx))
	check(rt.Restore(ctx, "before-sale"))
	r, err := m.Call(ctx, "rate")
	check(err)
	src, err := store.Read(ctx, "/rate.js")
	check(err)
	fmt.Println(r, m.Version(), string(src))
	// Output: 0.2 3 export const rate = () => 0.2
}

// A profile started in one place is found by its id in another, here as
// the HTTP API does for GET /api/profiles/{id}.
func ExampleRuntime_LookupProfile() {
	ctx := context.Background()
	store := vfs.NewMem()
	check(store.Write(ctx, "/svc.js", []byte("export function ping() { return 'pong' }")))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	svc, err := rt.CreateModule(ctx, "svc", "/svc.js")
	check(err)
	started, err := svc.Profile() // starts one
	check(err)
	_, err = svc.Call(ctx, "ping")
	check(err)

	prof, err := rt.LookupProfile(started.ID()) // reads it
	check(err)
	f := prof.Stop().Functions[0]
	fmt.Println(f.Name, f.Calls)
	// Output: ping 1
}

// A patch made in one place is found by its id in another and rolled back.
func ExampleRuntime_LookupPatch() {
	ctx := context.Background()
	store := vfs.NewMem()
	check(store.Write(ctx, "/calc.js", []byte("export function double(x) { return x * 2 }")))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	calc, err := rt.CreateModule(ctx, "calc", "/calc.js")
	check(err)
	made, err := calc.Patch(ctx, "double", "(original) => (x) => original(x) + 1") // makes one
	check(err)

	p, err := rt.LookupPatch(made.ID()) // finds it
	check(err)
	check(p.Rollback())
	v, err := calc.Call(ctx, "double", 20)
	check(err)
	fmt.Println(v)
	// Output: 40
}

// Rollback to 0 goes back to the version before the current one.
func ExampleModule_Rollback() {
	ctx := context.Background()
	store := vfs.NewMem()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	check(store.Write(ctx, "/greet.js", []byte("export const hello = () => 'hello'")))
	greet, err := rt.CreateModule(ctx, "greet", "/greet.js")
	check(err)
	check(store.Write(ctx, "/greet.js", []byte("export const hello = () => 'HELLO!!'")))
	check(greet.Reload(ctx))

	check(greet.Rollback(ctx, 0))
	s, err := greet.Call(ctx, "hello")
	check(err)
	err = greet.Rollback(ctx, 0) // nothing is kept before version 1
	fmt.Println(s, greet.Version(), errors.Is(err, hotmod.ErrVersionNotKept))
	// Output: hello 1 true
}

// A canary's calls are counted from its first one, beside the serving
// version's: the figures to judge it by before Promote.
func ExampleCanaryStatus() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	check(store.Write(ctx, "/greet.js", []byte(`export const hello = (name) => "Hello, " + name`)))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	m, err := rt.CreateModule(ctx, "greet", "/greet.js")
	check(err)

	check(m.CanarySource(ctx, []byte(`export const hello = (name) => "Hi, " + name`), 50))
	for i := range 10 {
		_, err := m.CallKey(ctx, fmt.Sprintf("user-%d", i), "hello", "Ada")
		check(err)
	}
	c := m.Stats().Canary
	fmt.Printf("canary v%d: %d calls, %d errors\n", c.Version, c.Calls, c.Errors)
	fmt.Printf("serving v%d: %d calls, %d errors\n", c.Serving.Version, c.Serving.Calls, c.Serving.Errors)
	fmt.Println("all keyed calls counted:", c.Calls+c.Serving.Calls == 10)
	// Output:
	// canary v2: 6 calls, 0 errors
	// serving v1: 4 calls, 0 errors
	// all keyed calls counted: true
}

// RealmHolders names the call that holds a realm, and for how long: with
// one realm, a runaway stalls every other module until its deadline.
func ExampleRuntime_RealmHolders() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	check(store.Write(ctx, "/thrower.js", []byte(`export function forever() { for (;;) {} }`)))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	m, err := rt.CreateModule(ctx, "thrower", "/thrower.js")
	check(err)

	callCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := m.Call(callCtx, "forever")
		done <- err
	}()
	for {
		if st := rt.RealmHolders()[0]; st.Busy && st.Held >= 100*time.Millisecond {
			fmt.Println("realm", st.Index, "held by", st.Holder())
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	err = <-done
	fmt.Println("stopped by its deadline:", errors.Is(err, context.DeadlineExceeded))
	fmt.Println("busy after:", rt.RealmHolders()[0].Busy)
	// Output:
	// realm 0 held by thrower.forever
	// stopped by its deadline: true
	// busy after: false
}

// ModuleCalls counts the calls other modules make to a module's exported
// functions, which never pass through Go.
func ExampleModuleStats_moduleCalls() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	check(store.Write(ctx, "/add.js", []byte(`export function add(a, b) { return a + b }`)))
	check(store.Write(ctx, "/sum.js", []byte(`import { add } from './add.js'
export function sum(xs) { return xs.reduce((s, x) => add(s, x), 0) }`)))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(context.Background())
	add, err := rt.CreateModule(ctx, "add", "/add.js")
	check(err)
	sum, err := rt.CreateModule(ctx, "sum", "/sum.js")
	check(err)
	total, err := sum.Call(ctx, "sum", []any{1, 2, 3, 4})
	check(err)
	fmt.Println(total, "from", add.Stats().ModuleCalls, "calls of add")
	// Output:
	// 10 from 4 calls of add
}
