package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

type row struct {
	Name  string `json:"name"`
	Total int    `json:"total"`
}

// Modules reach the Go program through host modules: functions (with the
// caller's context, Go errors thrown as Errors, arguments by JSON's rules
// into structs) and values; registering again replaces what importers see,
// without a reload.
func TestHostModules(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/app.ts": `
import { add, query, fail, region, sum, ctxValue, boom } from "host:db"
import * as db from "host:db"
export const run = () => [add(2, 3), region, query("x").map((r) => r.name + ":" + r.total), sum({ name: "a", total: 4 })]
export const failing = () => fail()
export const panics = () => { try { boom() } catch (e) { return 'caught: ' + e.message } }
export const ctx = () => ctxValue()
export const badArg = () => add("two", 3)
export const live = () => db.add(2, 3)
`})
	type key struct{}
	register := func(offset int) {
		t.Helper()
		err := e.rt.NewHostModuleBuilder("db").
			Func("add", func(a, b int) int { return a + b + offset }).
			Func("query", func(ctx context.Context, q string) ([]row, error) { return []row{{q, 1}, {q + q, 2}}, nil }).
			Func("fail", func() error { return errors.New("the database is down") }).
			Func("sum", func(r row) int { return r.Total * 10 }).
			Func("ctxValue", func(ctx context.Context) any { return ctx.Value(key{}) }).
			Func("boom", func() int { panic("out of range") }).
			Value("region", "eu-west-1").
			Register(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	register(0)
	m := e.create("app", "/m/app.ts")
	want := []any{int64(5), "eu-west-1", []any{"x:1", "xx:2"}, int64(40)}
	if got := e.call(m, "run"); !reflect.DeepEqual(got, want) {
		t.Errorf("run() = %#v, want %#v", got, want)
	}
	var je *hotmod.JSError
	if _, err := m.Call(e.ctx, "failing"); !errors.As(err, &je) || !strings.Contains(je.Message, "the database is down") {
		t.Errorf("a Go error: %v, want a JSError with its text", err)
	}
	if got := e.call(m, "panics"); got != "caught: db.boom panicked: out of range" {
		t.Errorf("a panicking host function: %v", got)
	}
	if _, err := m.Call(e.ctx, "badArg"); err == nil || !strings.Contains(err.Error(), "db.add: argument 1") {
		t.Errorf("a string for an int: %v", err)
	}
	ctx := context.WithValue(e.ctx, key{}, "from the caller")
	if got, err := m.Call(ctx, "ctx"); err != nil || got != "from the caller" {
		t.Errorf("the host function's context: %v, %v", got, err)
	}
	register(100)
	if got := e.call(m, "live"); got != int64(105) || m.Version() != 1 {
		t.Errorf("after registering again: add(2, 3) = %v (module v%d)", got, m.Version())
	}
}

func TestHostModuleErrors(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/missing.js": "import { x } from 'host:nope'\nexport const y = x"})
	for name, b := range map[string]*hotmod.HostModuleBuilder{
		"not a function": e.rt.NewHostModuleBuilder("a").Func("f", 42),
		"variadic":       e.rt.NewHostModuleBuilder("a").Func("f", func(xs ...int) {}),
		"two values":     e.rt.NewHostModuleBuilder("a").Func("f", func() (int, int) { return 1, 2 }),
		"twice":          e.rt.NewHostModuleBuilder("a").Value("v", 1).Value("v", 2),
		"no name":        e.rt.NewHostModuleBuilder(""),
	} {
		if err := b.Register(e.ctx); !errors.Is(err, hotmod.ErrHostModule) {
			t.Errorf("%s: %v, want ErrHostModule", name, err)
		}
	}
	_, err := e.rt.CreateModule(e.ctx, "missing", "/m/missing.js")
	if err == nil || !strings.Contains(err.Error(), `host module "nope" is not registered`) {
		t.Errorf("importing an unregistered host module: %v", err)
	}
}

func ExampleRuntime_NewHostModuleBuilder() {
	ctx := context.Background()
	store := vfs.NewMem()
	defer store.Close()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: true})
	check(err)
	defer rt.Close(ctx)
	check(store.Write(ctx, "/greet.js", []byte(`
import { user } from "host:app"
export const greet = (id) => "hello, " + user(id).name
`)))
	type User struct {
		Name string `json:"name"`
	}
	check(rt.NewHostModuleBuilder("app").
		Func("user", func(ctx context.Context, id int) (User, error) { return User{Name: fmt.Sprint("user ", id)}, nil }).
		Register(ctx))
	m, err := rt.CreateModule(ctx, "greet", "/greet.js")
	check(err)
	out, err := m.Call(ctx, "greet", 7)
	check(err)
	fmt.Println(out)
	// Output: hello, user 7
}

// An error a host function returns is what JavaScript catches: an Error
// whose message is the error's text, not a report of a panic; uncaught, it
// reaches the Go caller still matching the original error.
func TestHostFunctionErrorIsAnError(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/shop.js": `
import * as inv from "host:inv"
export function caught() {
  try { inv.stock('') } catch (e) { return [e instanceof Error, e.name, e.message, String(e)] }
}
export const uncaught = () => inv.stock('')
export async function later() { await null; return inv.stock('') }
`})
	errEmpty := errors.New("empty sku")
	err := e.rt.NewHostModuleBuilder("inv").
		Func("stock", func(sku string) (int, error) {
			if sku == "" {
				return 0, errEmpty
			}
			return 1, nil
		}).
		Register(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := e.create("shop", "/m/shop.js")
	want := []any{true, "Error", "empty sku", "Error: empty sku"}
	if got := e.call(m, "caught"); !reflect.DeepEqual(got, want) {
		t.Errorf("caught in JavaScript: %#v, want %#v", got, want)
	}
	for _, fn := range []string{"uncaught", "later"} {
		_, err := m.Call(e.ctx, fn)
		var je *hotmod.JSError
		if !errors.As(err, &je) || je.Message != "empty sku" || je.Name != "Error" {
			t.Errorf("%s: %v, want a JSError \"Error: empty sku\"", fn, err)
		}
		if !errors.Is(err, errEmpty) {
			t.Errorf("%s: %v does not match the host function's error", fn, err)
		}
		if err != nil && strings.Contains(err.Error(), "panicked") {
			t.Errorf("%s: %v speaks of a panic", fn, err)
		}
	}
}

// Only a Go panic in a host function says "panicked"; the TypeError of an
// argument that does not convert does not.
func TestHostFunctionPanicSaysPanicked(t *testing.T) {
	e := newEnv(t, map[string]string{"/m/app.js": `
import * as inv from "host:inv"
const catching = (f) => { try { f() } catch (e) { return [e instanceof Error, e.name, e.message] } }
export const boom = () => catching(() => inv.boom())
export const badArg = () => catching(() => inv.add("two", 3))
export const uncaught = () => inv.boomErr()
`})
	errBroken := errors.New("broken invariant")
	err := e.rt.NewHostModuleBuilder("inv").
		Func("boom", func() int { panic("out of range") }).
		Func("boomErr", func() { panic(errBroken) }).
		Func("add", func(a, b int) int { return a + b }).
		Register(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := e.create("app", "/m/app.js")
	if got, want := e.call(m, "boom"), []any{true, "Error", "inv.boom panicked: out of range"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a panic: %#v, want %#v", got, want)
	}
	got, _ := e.call(m, "badArg").([]any)
	if len(got) != 3 || got[0] != true || got[1] != "TypeError" || !strings.HasPrefix(got[2].(string), "inv.add: argument 1: ") {
		t.Errorf("an argument that does not convert: %#v, want a TypeError naming it", got)
	}
	_, err = m.Call(e.ctx, "uncaught")
	if err == nil || !strings.Contains(err.Error(), "inv.boomErr panicked: broken invariant") || !errors.Is(err, errBroken) {
		t.Errorf("a panic with an error, uncaught: %v, want it to say so and match the error", err)
	}
}
