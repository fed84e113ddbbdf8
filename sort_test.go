package hotmod_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
)

// sortCases hold Array.prototype.sort with a comparator (the platform's,
// internal/platform/sort.go) to Node's answers. Only
// comparators that define an order are compared, except where V8's
// binary insertion (arrays under 23 values) fixes the answer too.
var sortCases = []nodeCase{
	{name: "numbers", code: `return [5, 1, 4, 2, 3, 10, -1, 0].sort((a, b) => a - b)`,
		recorded: `[-1,0,1,2,3,4,5,10]`},
	{name: "stable, small", code: `
const a = [];
for (let i = 0; i < 20; i++) a.push({ k: i % 3, i });
return a.sort((x, y) => x.k - y.k).map((o) => o.k + ':' + o.i).join(' ')`,
		recorded: `"0:0 0:3 0:6 0:9 0:12 0:15 0:18 1:1 1:4 1:7 1:10 1:13 1:16 1:19 2:2 2:5 2:8 2:11 2:14 2:17"`},
	{name: "stable, large", code: `
const a = [];
let seed = 7;
for (let i = 0; i < 1000; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; a.push({ k: seed % 17, i }); }
a.sort((x, y) => x.k - y.k);
let ok = true;
for (let i = 1; i < a.length; i++) {
  if (a[i - 1].k > a[i].k || (a[i - 1].k === a[i].k && a[i - 1].i > a[i].i)) ok = false;
}
return [ok, a.length, a[0].k, a[999].k]`,
		recorded: `[true,1000,0,16]`},
	{name: "descending, large", code: `
const a = [];
for (let i = 0; i < 300; i++) a.push(i);
a.sort((x, y) => y - x);
return [a[0], a[1], a[150], a[299], a.length]`,
		recorded: `[299,298,149,0,300]`},
	{name: "undefined last, never compared", code: `
const seen = [];
const a = [3, undefined, 1, undefined, 2];
a.sort((x, y) => { seen.push(typeof x, typeof y); return x - y });
return [a.map(String), a.length, seen.includes('undefined')]`,
		recorded: `[["1","2","3","undefined","undefined"],5,false]`},
	{name: "holes go after undefined", code: `
const a = [3, , undefined, 1, , 2];
a.sort((x, y) => x - y);
return [a.length, Object.keys(a), a.map(String), 4 in a, 5 in a]`,
		recorded: `[6,["0","1","2","3"],["1","2","3","undefined",null,null],false,false]`},
	{name: "sparse array", code: `
const a = [];
a[10] = 'b'; a[3] = 'c'; a[7] = 'a';
a.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
return [a.length, Object.keys(a), a[0], a[1], a[2]]`,
		recorded: `[11,["0","1","2"],"a","b","c"]`},
	{name: "comparator returns strings", code: `return [3, 1, 2].sort((a, b) => String(a - b))`,
		recorded: `[1,2,3]`},
	{name: "comparator returns non-numeric strings and NaN", code: `
return [[3, 1, 2].sort(() => 'x'), [3, 1, 2].sort(() => NaN), [3, 1, 2].sort(() => -0)]`,
		recorded: `[[3,1,2],[3,1,2],[3,1,2]]`},
	{name: "comparator returns booleans", code: `
return [
  [3, 1, 2, 1].sort((a, b) => (a > b ? true : a < b ? -1 : false)),
  [3, 1, 2].sort((a, b) => a > b),
]`,
		recorded: `[[1,1,2,3],[3,1,2]]`},
	{name: "comparator returns objects", code: `
return [3, 1, 2].sort((a, b) => ({ valueOf: () => a - b }))`,
		recorded: `[1,2,3]`},
	{name: "comparator returns a BigInt", code: `return [2, 1].sort(() => 1n)`,
		recorded: `"threw TypeError: Cannot convert a BigInt value to a number"`},
	{name: "comparator's this", code: `
let self = 'unset';
[2, 1].sort(function () { 'use strict'; self = this; return 0 });
return String(self)`,
		recorded: `"undefined"`},
	{name: "array-like", code: `
const o = { length: 4, 0: 'd', 1: 'b', 3: 'a', 4: 'ignored' };
const r = Array.prototype.sort.call(o, (x, y) => (x < y ? -1 : x > y ? 1 : 0));
return [r === o, o]`,
		recorded: `[true,{"0":"a","1":"b","2":"d","4":"ignored","length":4}]`},
	{name: "array-like length conversion", code: `
const o = { length: '2.7', 0: 2, 1: 1, 2: 0 };
Array.prototype.sort.call(o, (x, y) => x - y);
const n = { length: -3, 0: 2, 1: 1 };
Array.prototype.sort.call(n, (x, y) => x - y);
return [o, n]`,
		recorded: `[{"0":1,"1":2,"2":0,"length":"2.7"},{"0":2,"1":1,"length":-3}]`},
	{name: "returns the same array", code: `const a = [2, 1]; return a.sort((x, y) => x - y) === a`,
		recorded: `true`},
	{name: "frozen array throws", code: `
const a = Object.freeze([2, 1]);
try { a.sort((x, y) => x - y) } catch (e) { return [e.name, a] }
return 'no throw'`,
		recorded: `["TypeError",[2,1]]`},
	{name: "frozen sorted array throws", code: `
const a = Object.freeze([1, 2]);
try { a.sort((x, y) => x - y) } catch (e) { return [e.name, a] }
return 'no throw'`,
		recorded: `["TypeError",[1,2]]`},
	{name: "comparator not callable", code: `
const out = [];
for (const c of [null, 1, 'f', {}, true]) {
  try { [2, 1].sort(c); out.push('no throw') } catch (e) { out.push(e.name) }
}
try { [].sort({}) } catch (e) { out.push('empty: ' + e.name) }
return out`,
		recorded: `["TypeError","TypeError","TypeError","TypeError","TypeError","empty: TypeError"]`},
	{name: "comparator checked before this", code: `
try { Array.prototype.sort.call(null, 1) } catch (e) { return e.message.includes('comparison') }`,
		recorded: `true`},
	{name: "null this", code: `
try { Array.prototype.sort.call(null, () => 0) } catch (e) { return e.name }
return 'no throw'`,
		recorded: `"TypeError"`},
	{name: "comparator that throws leaves the array", code: `
const a = [5, 4, 3, 2, 1, 0, 9, 8, 7, 6];
let n = 0;
try { a.sort((x, y) => { if (++n === 5) throw new RangeError('stop'); return x - y }) } catch (e) { return [e.name, e.message, a] }
return 'no throw'`,
		recorded: `["RangeError","stop",[5,4,3,2,1,0,9,8,7,6]]`},
	{name: "no comparator", code: `return [[10, 9, 1, undefined, , 2].sort().map(String), ['b', 'a', 'c'].sort(undefined)]`,
		recorded: `[["1","10","2","9","undefined",null],["a","b","c"]]`},
	{name: "strings and getters", code: `
let reads = 0;
const o = { length: 3, get 0() { reads++; return 'c' }, 1: 'a', 2: 'b' };
try { Array.prototype.sort.call(o, (x, y) => (x < y ? -1 : 1)) } catch (e) { return [e.name, reads] }
return [reads, o[1], o[2]]`,
		recorded: `["TypeError",1]`},
	{name: "the property", code: `
const d = Object.getOwnPropertyDescriptor(Array.prototype, 'sort');
return [typeof d.value, d.writable, d.enumerable, d.configurable, d.value.name, d.value.length, 'prototype' in d.value]`,
		recorded: `["function",true,false,true,"sort",1,false]`},
}

func TestSortMatchesNode(t *testing.T) {
	matchNode(t, sortCases, nil)
}

// Frozen intrinsics keep the same sort; only the property's attributes
// differ (frozen: read-only and non-configurable).
func TestSortMatchesNodeFrozenIntrinsics(t *testing.T) {
	cases := slices.DeleteFunc(slices.Clone(sortCases), func(c nodeCase) bool { return c.name == "the property" })
	matchNode(t, cases, nil, func(o *hotmod.Options) { o.FrozenIntrinsics = true })
}

// A sort over an array-like of the greatest length loops in Go: a call's
// deadline still stops it, and the realm serves the next call.
func TestSortOfAHugeArrayLikeEndsAtTheDeadline(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/s.js": "export function huge() { return Array.prototype.sort.call({ length: 2 ** 53 - 1 }, (a, b) => a - b) }\n" +
			"export function small() { return [3, 1, 2].sort((a, b) => a - b) }\n",
	})
	m := e.create("s", "/m/s.js")
	ctx, cancel := context.WithTimeout(e.ctx, 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := m.Call(ctx, "huge")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the huge sort ended with %v, want its deadline", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the huge sort was not stopped by its deadline: the realm is held")
	}
	if got := e.call(m, "small"); fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("after it: %v", got)
	}
}
