// Package intl gives goja realms the ECMA-402 Intl object: NumberFormat,
// DateTimeFormat, PluralRules, Collator, RelativeTimeFormat, ListFormat
// and getCanonicalLocales, for the locales en, de, fr, es, ja and zh (and
// their main regions), and makes the toLocaleString methods and
// String.prototype.localeCompare use it.
//
// golang.org/x/text parses and canonicalizes the language tags, selects
// plural categories, collates and knows currency digits; Go's tz database
// (embedded with time/tzdata) gives time zones. The formatting patterns,
// names and symbols are CLDR's as Node 20's ICU has them (cldr.json.gz,
// recorded by gen/gen.js), so results are Node's, byte for byte. A locale
// or option outside what is supported throws a RangeError naming it.
package intl

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/dop251/goja"
)

//go:embed intl.js
var intlJS string

var (
	progOnce sync.Once
	prog     *goja.Program
	progErr  error
)

// DefaultLocale is the locale used when none is given.
const DefaultLocale = "en-US"

// DefaultTimeZone is the time zone used when none is given: hotmod does
// not read the host's TZ, so that a module formats the same everywhere.
const DefaultTimeZone = "UTC"

// Install defines the global Intl in vm and points Number, BigInt, Date,
// String and Array's locale methods at it. Call it before freezing the
// intrinsics.
func Install(vm *goja.Runtime) error {
	progOnce.Do(func() { prog, progErr = goja.Compile("hotmod:intl.js", intlJS, true) })
	if progErr != nil {
		return progErr
	}
	f, err := vm.RunProgram(prog)
	if err != nil {
		return fmt.Errorf("intl: %w", err)
	}
	install, ok := goja.AssertFunction(f)
	if !ok {
		return fmt.Errorf("intl: intl.js is not a function")
	}
	// The natives are made with the implementation, on first use.
	_, err = install(goja.Undefined(), vm.ToValue(func() goja.Value { return natives(vm) }))
	if err != nil {
		return fmt.Errorf("intl: %w", err)
	}
	return nil
}

func natives(vm *goja.Runtime) goja.Value {
	n := vm.NewObject()
	set := func(name string, f any) {
		if err := n.Set(name, f); err != nil {
			panic(err)
		}
	}
	set("defaultLocale", DefaultLocale)
	set("defaultTimeZone", DefaultTimeZone)
	set("canonicalize", canonicalize)
	set("lookup", lookup)
	set("supported", func() []string {
		out := make([]string, 0, len(supported))
		for k := range supported {
			out = append(out, k)
		}
		return out
	})
	set("digits", digits)
	set("currencySpacing", currencySpacing)
	set("plural", pluralForm)
	set("zone", func(name string) string {
		_, r, ok := zone(name)
		if !ok {
			return ""
		}
		return r
	})
	set("wall", wall)
	set("zoneDisplay", zoneDisplay)
	set("currencyDigits", currencyDigits)
	set("currencySymbols", func(locale, code string) []string { return cldr().Locales[locale].Currency[code] })
	set("collator", newCollator)
	set("names", func(id int) []string { return cldr().Names[id] })
	set("localeData", func(locale string) string { return cldr().Locales[locale].small })
	set("pattern", func(locale, kind, key string) string {
		l := cldr().Locales[locale]
		switch kind {
		case "date":
			return string(l.Date[key])
		case "time":
			return string(l.Time[key])
		case "styles":
			return string(l.Styles[key])
		}
		return ""
	})
	return n
}
