package intl_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/hotmod/hotmod/internal/intl"
)

// show is how a snippet's value is compared: a string as it is, anything
// else as JSON.
const show = `(v) => typeof v === 'string' ? v : JSON.stringify(v)`

func newVM(t testing.TB) *goja.Runtime {
	t.Helper()
	vm := goja.New()
	if err := intl.Install(vm); err != nil {
		t.Fatal(err)
	}
	return vm
}

// run evaluates each snippet in hotmod's realm and returns show(value) or
// "throws <name>: <message>".
func run(t testing.TB, vm *goja.Runtime, snippets []string) []string {
	t.Helper()
	out := make([]string, len(snippets))
	f, err := vm.RunString(`(function (show) { return function (src) { try { return show((0, eval)(src)); } catch (e) { return 'throws ' + e.name + ': ' + e.message; } }; })(` + show + `)`)
	if err != nil {
		t.Fatal(err)
	}
	call, _ := goja.AssertFunction(f)
	for i, s := range snippets {
		v, err := call(goja.Undefined(), vm.ToValue(s))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		out[i] = v.String()
	}
	return out
}

// runNode evaluates the snippets in Node (TZ=UTC, the default locale
// en-US); it returns nil when node is not on PATH.
func runNode(t testing.TB, snippets []string) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Log("node is not on PATH: comparing with the recorded answers only")
		return nil
	}
	src, _ := json.Marshal(snippets)
	prog := `const show = ` + show + `; const out = ` + string(src) + `.map((s) => { try { return show((0, eval)(s)); } catch (e) { return 'throws ' + e.name + ': ' + e.message; } }); process.stdout.write(JSON.stringify(out));`
	cmd := exec.Command(node, "-e", prog)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LANG=en_US.UTF-8", "LC_ALL=en_US.UTF-8")
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMatchesNode(t *testing.T) {
	vm := newVM(t)
	snippets := make([]string, len(nodeCases))
	for i, c := range nodeCases {
		snippets[i] = c.js
	}
	got := run(t, vm, snippets)
	fromNode := runNode(t, snippets)
	for i, c := range nodeCases {
		if fromNode != nil && fromNode[i] != c.want {
			t.Errorf("%s\nnode now gives %q, recorded %q", c.js, fromNode[i], c.want)
		}
		if got[i] != c.want {
			t.Errorf("%s\n got %q\nnode %q", c.js, got[i], c.want)
		}
	}
}

// What hotmod's Intl does not support is a RangeError naming it, never an
// answer Node would not give.
func TestUnsupportedThrows(t *testing.T) {
	vm := newVM(t)
	cases := map[string]string{
		`new Intl.NumberFormat('pt-BR')`:                                                                                    `locale "pt-BR"`,
		`(1).toLocaleString(['xx', 'en'])`:                                                                                  `locale "xx"`,
		`new Intl.NumberFormat('en-IN')`:                                                                                    `locale "en-IN"`,
		`new Intl.DateTimeFormat('en-US-u-ca-buddhist')`:                                                                    `locale "en-US-u-ca-buddhist"`,
		`new Intl.NumberFormat('en', {notation: 'compact'})`:                                                                `notation: "compact"`,
		`new Intl.NumberFormat('en', {style: 'unit', unit: 'meter'})`:                                                       `style: "unit"`,
		`new Intl.NumberFormat('en', {style: 'currency', currency: 'USD', currencyDisplay: 'name'})`:                        `currencyDisplay: "name"`,
		`new Intl.NumberFormat('en', {roundingMode: 'floor'})`:                                                              `roundingMode: "floor"`,
		`new Intl.DateTimeFormat('en', {calendar: 'japanese'})`:                                                             `calendar: "japanese"`,
		`new Intl.DateTimeFormat('en', {fractionalSecondDigits: 3})`:                                                        `fractionalSecondDigits`,
		`new Intl.DateTimeFormat('en', {dayPeriod: 'short'})`:                                                               `dayPeriod`,
		`new Intl.DateTimeFormat('en', {timeZoneName: 'shortGeneric', hour: 'numeric'})`:                                    `shortGeneric`,
		`new Intl.Collator('en', {caseFirst: 'upper'})`:                                                                     `caseFirst: "upper"`,
		`new Intl.Collator('en', {ignorePunctuation: true})`:                                                                `ignorePunctuation`,
		`new Intl.DateTimeFormat('en', {timeZone: 'Africa/Casablanca', timeZoneName: 'long'}).format(Date.UTC(2020, 0, 1))`: `Africa/Casablanca`,
	}
	for src, want := range cases {
		_, err := vm.RunString(src)
		if err == nil {
			t.Errorf("%s: no error", src)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "RangeError: hotmod's Intl does not support") || !strings.Contains(msg, want) {
			t.Errorf("%s: %s, want a RangeError naming %s", src, msg, want)
		}
	}
}

// supportedLocalesOf answers for hotmod: a locale Node has but hotmod does
// not is left out.
func TestSupportedLocalesOf(t *testing.T) {
	vm := newVM(t)
	got := run(t, vm, []string{`Intl.NumberFormat.supportedLocalesOf(['pt-BR', 'de-de', 'ja', 'en-IN', 'zh-Hans-CN'])`})
	if want := `["de-DE","ja","zh-Hans-CN"]`; got[0] != want {
		t.Errorf("got %s, want %s", got[0], want)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// Every currency Node knows has Node's number of digits.
func TestCurrencyDigits(t *testing.T) {
	const prog = `Intl.supportedValuesOf('currency').map((c) => c + ' ' + new Intl.NumberFormat('en', {style: 'currency', currency: c}).resolvedOptions().maximumFractionDigits).join(',')`
	node := runNode(t, []string{prog})
	if node == nil {
		t.Skip("needs node")
	}
	vm := newVM(t)
	for _, e := range strings.Split(node[0], ",") {
		code, _, _ := strings.Cut(e, " ")
		got := run(t, vm, []string{`'` + code + ` ' + new Intl.NumberFormat('en', {style: 'currency', currency: '` + code + `'}).resolvedOptions().maximumFractionDigits`})
		if got[0] != e {
			t.Errorf("%s, node %s", got[0], e)
		}
	}
}

// BenchmarkInstall is what Intl adds to every realm's start.
func BenchmarkInstall(b *testing.B) {
	for i := 0; i < b.N; i++ {
		vm := goja.New()
		if err := intl.Install(vm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = goja.New()
	}
}
