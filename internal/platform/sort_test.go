package platform

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/dop251/goja"
)

// BenchmarkSort is Array.prototype.sort with a comparator: goja's own
// (native) against the platform's (sort.go), for arrays of n objects with a
// comparator of some weight (run: two for-of loops, as typed-function's)
// and of n numbers with (a, b) => a - b (runNumbers).
func BenchmarkSort(b *testing.B) {
	const setup = `
var data = {};
for (const n of [8, 30, 200]) {
  const a = [];
  let seed = n;
  for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; a.push({ k: seed % 97, p: [seed % 3, seed % 5] }); }
  data[n] = a;
}
function cmp(x, y) {
  let d = 0;
  for (const v of x.p) d += v;
  for (const v of y.p) d -= v;
  return x.k - y.k || d;
}
function run(n) { return data[n].slice().sort(cmp).length }
var nums = {};
for (const n of [8, 30, 200]) nums[n] = data[n].map((o) => o.k * 31 % 101);
function runNumbers(n) { return nums[n].slice().sort((a, b) => a - b).length }
`
	for _, impl := range []string{"native", "platform"} {
		for _, n := range []int{8, 30, 200} {
			for _, fn := range []string{"run", "runNumbers"} {
				b.Run(impl+"/"+fn+"/"+itoa(n), func(b *testing.B) {
					vm := goja.New()
					if impl == "platform" {
						if err := repairSort(vm); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := vm.RunString(setup); err != nil {
						b.Fatal(err)
					}
					run, _ := goja.AssertFunction(vm.Get(fn))
					arg := vm.ToValue(n)
					for b.Loop() {
						if _, err := run(goja.Undefined(), arg); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// TestSortStableAgainstGo holds the platform's sort against Go's stable sort over
// inputs that take each of its paths: short and long, random with few and
// many distinct keys, ascending, descending, sawtooth and runs that
// overlap at their ends only (the galloping).
func TestSortStableAgainstGo(t *testing.T) {
	vm := goja.New()
	if err := repairSort(vm); err != nil {
		t.Fatal(err)
	}
	check, err := vm.RunString(`(function (keys) {
  const a = keys.map((k, i) => ({ k, i }));
  let calls = 0;
  a.sort((x, y) => { calls++; return x.k - y.k });
  return [a.map((o) => o.i), calls];
})`)
	if err != nil {
		t.Fatal(err)
	}
	sortJS, _ := goja.AssertFunction(check)
	rng := rand.New(rand.NewPCG(1, 2))
	patterns := map[string]func(n int) []int{
		"random few keys": func(n int) []int { return fill(n, func(int) int { return rng.IntN(5) }) },
		"random":          func(n int) []int { return fill(n, func(int) int { return rng.IntN(1 << 20) }) },
		"ascending":       func(n int) []int { return fill(n, func(i int) int { return i }) },
		"descending":      func(n int) []int { return fill(n, func(i int) int { return -i }) },
		"equal":           func(n int) []int { return fill(n, func(int) int { return 7 }) },
		"sawtooth":        func(n int) []int { return fill(n, func(i int) int { return i % 37 }) },
		"descending pairs": func(n int) []int {
			return fill(n, func(i int) int { return -(i / 2) })
		},
		"blocks": func(n int) []int { return fill(n, func(i int) int { return (i%100)*1000 + i/100 }) },
	}
	for name, gen := range patterns {
		for _, n := range []int{0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 100, 257, 1000, 1215, 4099} {
			keys := gen(n)
			want := make([]int, n)
			for i := range want {
				want[i] = i
			}
			sort.SliceStable(want, func(x, y int) bool { return keys[want[x]] < keys[want[y]] })
			v, err := sortJS(goja.Undefined(), vm.ToValue(keys))
			if err != nil {
				t.Fatalf("%s, %d: %v", name, n, err)
			}
			res := v.Export().([]any)
			order := res[0].([]any)
			for i := range want {
				if order[i].(int64) != int64(want[i]) {
					t.Fatalf("%s, %d values: at %d got index %v, want %d", name, n, i, order[i], want[i])
				}
			}
			if name == "ascending" && n > 1 && res[1].(int64) != int64(n-1) {
				t.Errorf("ascending, %d values: %v comparisons, want %d", n, res[1], n-1)
			}
		}
	}
}

func fill(n int, f func(int) int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}
