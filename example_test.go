package hotmod_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

// A module's state survives a reload through its __acceptHotReload hook.
func Example() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	_ = store.Write(ctx, "/modules/counter.js", []byte(`
export let count = 0
export function increment(by = 1) { count += by; return count }
export function __acceptHotReload(old) { count = old.count }
`))
	rt, _ := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	defer rt.Close(context.Background())

	counter, _ := rt.CreateModule(ctx, "counter", "/modules/counter.js")
	_, _ = counter.Call(ctx, "increment", 41)

	// A new version: it counts in tens now, and keeps the count.
	_ = store.Write(ctx, "/modules/counter.js", []byte(`
export let count = 0
export function increment(by = 1) { count += by * 10; return count }
export function __acceptHotReload(old) { count = old.count }
`))
	_ = rt.ReloadModule(ctx, "counter")
	n, _ := counter.Call(ctx, "increment")
	fmt.Println(n, counter.Version())
	// Output: 51 2
}

// A broken version never serves: the error says where, the old one stays.
func ExampleRuntime_ReloadModule() {
	ctx := context.Background()
	store := vfs.NewMem()
	_ = store.Write(ctx, "/price.ts", []byte("export const rate: number = 1.5"))
	rt, _ := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	defer rt.Close(context.Background())
	price, _ := rt.CreateModule(ctx, "price", "/price.ts")

	_ = store.Write(ctx, "/price.ts", []byte("export const rate: number = \n"))
	err := rt.ReloadModule(ctx, "price")
	pos, _ := hotmod.PositionOf(err)
	rate, _ := price.Get(ctx, "rate")
	fmt.Println(pos.File, pos.Line, pos.Column)
	fmt.Println(rate, price.Version())
	// Output:
	// /price.ts 2 1
	// 1.5 1
}

func ExampleRuntime_RollbackModule() {
	ctx := context.Background()
	store := vfs.NewMem()
	rt, _ := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	defer rt.Close(context.Background())
	_ = store.Write(ctx, "/greet.js", []byte("export const hello = () => 'hello'"))
	greet, _ := rt.CreateModule(ctx, "greet", "/greet.js")
	_ = store.Write(ctx, "/greet.js", []byte("export const hello = () => 'HELLO!!'"))
	_ = rt.ReloadModule(ctx, "greet")

	_ = rt.RollbackModule(ctx, "greet", 1)
	s, _ := greet.Call(ctx, "hello")
	fmt.Println(s, greet.Version(), rt.Stats().Modules[0].KeptVersions)
	// Output: hello 1 [2 1]
}

func ExampleRuntime_OnModuleUpdate() {
	ctx := context.Background()
	store := vfs.NewMem()
	rt, _ := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	defer rt.Close(context.Background())
	_ = store.Write(ctx, "/m.js", []byte("export const v = 1"))
	stop := rt.OnModuleUpdate("m", func(u hotmod.Update) {
		fmt.Printf("%s: version %d -> %d\n", u.ID, u.Old, u.New)
	})
	defer stop()
	_, _ = rt.CreateModule(ctx, "m", "/m.js")
	_ = rt.ReloadModule(ctx, "m")
	// Output: m: version 1 -> 2
}

// Modules import each other by path and always get the current version.
func ExampleModule_Call() {
	ctx := context.Background()
	store := vfs.NewMem()
	_ = store.Write(ctx, "/lib/tax.js", []byte("export const rate = 0.2"))
	_ = store.Write(ctx, "/shop.ts", []byte(`
import { rate } from './lib/tax.js'
export async function total(items: { price: number }[]): Promise<number> {
	return items.reduce((sum, it) => sum + it.price, 0) * (1 + rate)
}`))
	rt, _ := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	defer rt.Close(context.Background())
	shop, _ := rt.CreateModule(ctx, "shop", "/shop.ts")

	items := []map[string]any{{"price": 10}, {"price": 15}}
	before, _ := shop.Call(ctx, "total", items)
	_ = store.Write(ctx, "/lib/tax.js", []byte("export const rate = 0"))
	_ = rt.ReloadModule(ctx, "/lib/tax.js") // the import is a module too, id = its path
	after, _ := shop.Call(ctx, "total", items)
	fmt.Println(before, after)

	_, err := shop.Call(ctx, "missing")
	fmt.Println(errors.Is(err, hotmod.ErrNotFunction))
	// Output:
	// 30 25
	// true
}

func ExampleRuntime_Events() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := vfs.NewMem()
	_ = store.Write(ctx, "/job.js", []byte("export const v = 1"))
	rt, _ := hotmod.New(ctx, hotmod.Options{Store: store})
	defer rt.Close(context.Background())
	events := rt.Events(ctx)
	_, _ = rt.CreateModule(ctx, "job", "/job.js")
	// The Runtime watches its store: a write is a reload.
	_ = store.Write(ctx, "/job.js", []byte("export const v = 2"))
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
	_ = store.Write(ctx, "/calc.js", []byte("export function compute(x) { return x * 2 }"))
	rt, _ := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	defer rt.Close(context.Background())
	calc, _ := rt.CreateModule(ctx, "calc", "/calc.js")

	p, err := rt.PatchFunction(ctx, "calc", "compute", `
		function (originalCompute) {
			return function (...args) { return originalCompute.apply(this, args) + 1 }
		}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	patched, _ := calc.Call(ctx, "compute", 20)
	_ = p.Rollback()
	restored, _ := calc.Call(ctx, "compute", 20)
	fmt.Println(patched, restored)
	// Output: 41 40
}

func ExampleRuntime_ProfileModule() {
	ctx := context.Background()
	store := vfs.NewMem()
	_ = store.Write(ctx, "/svc.js", []byte("export async function fetchUser(id) { await null; if (id < 0) throw new Error('bad id'); return { id } }"))
	rt, _ := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	defer rt.Close(context.Background())
	svc, _ := rt.CreateModule(ctx, "svc", "/svc.js")

	prof, _ := rt.ProfileModule("svc")
	for id := -1; id < 3; id++ {
		_, _ = svc.Call(ctx, "fetchUser", id)
	}
	m := prof.Stop()
	f := m.Functions[0]
	fmt.Println(f.Name, f.Calls, f.Errors, f.P99 >= f.P50)
	// Output: fetchUser 4 1 true
}

// Untrusted code runs in a fresh QuickJS VM with limits and no host access.
func ExampleRuntime_ExecuteSafe() {
	ctx := context.Background()
	rt, _ := hotmod.New(ctx, hotmod.Options{Store: vfs.NewMem(), DisableAutoReload: true})
	defer rt.Close(context.Background())

	res, _ := rt.ExecuteSafe(ctx, `
		console.log('scoring', context.order.items.length, 'items')
		return context.order.items.reduce((sum, it) => sum + it.price, 0)`,
		map[string]any{"order": map[string]any{"items": []map[string]any{{"price": 3}, {"price": 4}}}})
	fmt.Println(res.Value, res.Console[0].Text)

	_, err := rt.ExecuteSafe(ctx, "while (true) {}", nil)
	var le *hotmod.LimitError
	fmt.Println(errors.As(err, &le), le.Limit)
	// Output:
	// 7 scoring 2 items
	// true time
}
