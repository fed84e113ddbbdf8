package intl

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the tz database inside the binary, for hosts without /usr/share/zoneinfo
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/collate"
	"golang.org/x/text/currency"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// supported maps each supported locale (canonical, no extensions) to the
// locale whose data it formats with.
var supported = map[string]string{
	"en": "en-US", "en-US": "en-US", "en-GB": "en-GB",
	"de": "de", "de-DE": "de",
	"fr": "fr", "fr-FR": "fr",
	"es": "es", "es-ES": "es",
	"ja": "ja", "ja-JP": "ja",
	"zh": "zh", "zh-CN": "zh", "zh-Hans": "zh", "zh-Hans-CN": "zh",
}

var wellFormed = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|[0-9]{3}))?(-([a-zA-Z0-9]{5,8}|[0-9][a-zA-Z0-9]{3}))*(-[0-9a-wyzA-WYZ](-[a-zA-Z0-9]{2,8})+)*(-x(-[a-zA-Z0-9]{1,8})+)?$`)

// canonicalize returns the canonical form of a BCP 47 tag (x/text's, with
// its alias mappings such as iw -> he), or "" when it is not well-formed.
// A well-formed tag x/text does not know (xx-yy) gets canonical case.
func canonicalize(tag string) string {
	if !wellFormed.MatchString(tag) {
		return ""
	}
	t, err := language.Parse(tag)
	if err == nil {
		return t.String()
	}
	if _, ok := err.(interface{ Subtag() string }); !ok {
		return ""
	}
	parts := strings.Split(tag, "-")
	private := false
	for i, p := range parts {
		switch {
		case i == 0 || private:
			p = strings.ToLower(p)
		case len(p) == 1:
			p = strings.ToLower(p)
			private = true // after a singleton, all lower case
		case len(p) == 4 && i == 1:
			p = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		case len(p) == 2 || (len(p) == 3 && p[0] >= '0' && p[0] <= '9'):
			p = strings.ToUpper(p)
		default:
			p = strings.ToLower(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, "-")
}

// currencySpacing reports whether a currency string's rune next to the
// number (its last when before, its first when after) asks for a no-break
// space there: CLDR's currency spacing, for a rune neither a symbol nor a
// separator (as "CHF 1.00", "$1.00").
func currencySpacing(cur string, before bool) bool {
	if cur == "" {
		return false
	}
	var r rune
	if before {
		r, _ = utf8.DecodeLastRuneInString(cur)
	} else {
		r, _ = utf8.DecodeRuneInString(cur)
	}
	return !unicode.IsSymbol(r) && !unicode.Is(unicode.Z, r)
}

// lookup returns the data locale of a canonical tag, or "" when hotmod's
// Intl does not support it (extensions are not supported).
func lookup(tag string) string {
	return supported[tag]
}

// digits rounds |x|·10^scale half away from zero on its shortest decimal
// form (as ICU does) and returns the integer and fraction digits, padded
// to the minimums. Significant digits, when maxSig > 0, win over fraction
// digits. stripIfInteger drops an all-zero fraction.
func digits(x float64, scale, minInt, minFrac, maxFrac, minSig, maxSig int, stripIfInteger bool) []string {
	x = math.Abs(x)
	var ds []byte
	point := 0
	if x != 0 {
		s := strconv.FormatFloat(x, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		e, _ := strconv.Atoi(exp)
		ds = []byte(strings.Replace(mant, ".", "", 1))
		point = e + 1 + scale
	}
	keep := point + maxFrac
	if maxSig > 0 {
		keep = maxSig
	}
	if keep < len(ds) {
		up := keep >= 0 && ds[keep] >= '5' // keep < 0: a zero digit follows
		ds = ds[:max(keep, 0)]
		if up {
			i := len(ds) - 1
			for ; i >= 0 && ds[i] == '9'; i-- {
				ds[i] = '0'
			}
			if i >= 0 {
				ds[i]++
			} else {
				ds = append([]byte{'1'}, ds...)
				point++
			}
		}
	}
	// Trim trailing zeros (they come back as padding).
	for len(ds) > 0 && ds[len(ds)-1] == '0' {
		ds = ds[:len(ds)-1]
	}
	if len(ds) == 0 {
		point = 0
	}
	var ip, fp string
	switch {
	case point <= 0:
		ip = "0"
		fp = strings.Repeat("0", -point) + string(ds)
	case point >= len(ds):
		ip = string(ds) + strings.Repeat("0", point-len(ds))
	default:
		ip, fp = string(ds[:point]), string(ds[point:])
	}
	if len(ds) == 0 {
		ip, fp = "0", ""
	}
	ip = strings.TrimLeft(ip, "0")
	if maxSig > 0 {
		sig := len(ip) + len(fp)
		if ip == "" {
			sig = len(strings.TrimLeft(fp, "0"))
			if sig == 0 {
				sig = 1 // "0" counts one significant digit
			}
		}
		if sig < minSig {
			fp += strings.Repeat("0", minSig-sig)
		}
	} else if len(fp) < minFrac {
		fp += strings.Repeat("0", minFrac-len(fp))
	}
	if stripIfInteger && strings.Trim(fp, "0") == "" {
		fp = ""
	}
	if len(ip) < minInt {
		ip = strings.Repeat("0", minInt-len(ip)) + ip
	}
	zero := "0"
	if strings.Trim(ip+fp, "0") == "" {
		zero = "1"
	}
	return []string{ip, fp, zero}
}

// pluralForm is the CLDR plural category of the formatted number int.frac
// in the language of a data locale.
func pluralForm(locale string, ordinal bool, ip, fp string) string {
	tag := language.MustParse(locale)
	ds := make([]byte, 0, len(ip)+len(fp))
	for _, c := range ip + fp {
		ds = append(ds, byte(c-'0'))
	}
	rules := plural.Cardinal
	if ordinal {
		rules = plural.Ordinal
	}
	f := rules.MatchDigits(tag, ds, len(ip), len(fp))
	base, _ := tag.Base()
	// CLDR 38 added "many" to French and Spanish cardinals (x/text has
	// CLDR 32): an integer multiple of a million.
	if !ordinal && f == plural.Other && (base.String() == "fr" || base.String() == "es") &&
		fp == "" && strings.Trim(ip, "0") != "" && strings.HasSuffix(ip, "000000") {
		return "many"
	}
	return formName(f)
}

func formName(f plural.Form) string {
	switch f {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

var locations sync.Map // tz database name -> *time.Location

// zone returns the tz database name and location of a time zone name
// (any case), and the name Node's ICU resolves it to.
func zone(name string) (loc *time.Location, resolved string, ok bool) {
	d := cldr()
	z, ok := d.zoneLower[strings.ToLower(name)]
	if !ok {
		return nil, "", false
	}
	if l, ok := locations.Load(z); ok {
		return l.(*time.Location), d.ZoneNames[z], true
	}
	l, err := time.LoadLocation(z)
	if err != nil {
		return nil, "", false
	}
	locations.Store(z, l)
	return l, d.ZoneNames[z], true
}

// wall is the wall clock of the instant ms in a zone: year, month, day,
// hour, minute, second, millisecond, weekday (0 = Sunday), offset in
// seconds.
func wall(name string, ms float64) []int {
	loc, _, ok := zone(name)
	if !ok {
		loc = time.UTC
	}
	sec := math.Floor(ms / 1000)
	t := time.Unix(int64(sec), int64(ms-sec*1000)*int64(time.Millisecond)).In(loc)
	_, off := t.Zone()
	return []int{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond() / int(time.Millisecond), int(t.Weekday()), off}
}

// zoneDisplay is the recorded short or long name of a zone at an instant
// (ms) and offset (seconds) in a locale; "" for the GMT format, which ICU
// uses before 1970 and for offsets with no metazone name; "!" where names
// by offset are known to differ from Node's (badZoneRanges).
func zoneDisplay(resolved, locale string, ms float64, offset int, style string) string {
	d := cldr()
	for _, r := range d.BadZoneRanges[resolved] {
		if (r[0] == nil || ms >= *r[0]) && (r[1] == nil || ms <= *r[1]) {
			return "!"
		}
	}
	if (ms < 0 && !slices.Contains(d.NamedBefore1970, resolved)) || offset%60 != 0 {
		return ""
	}
	e, ok := d.Zones[resolved][locale][strconv.Itoa(offset/60)]
	if !ok {
		return ""
	}
	if style == "long" {
		return e.Long
	}
	return e.Short
}

// currencyDigits is the number of fraction digits of a currency: ISO
// 4217's, as ECMA-402 asks; x/text's CLDR rounding where it agrees.
func currencyDigits(code string) int {
	if d, ok := isoDigits[code]; ok {
		return d
	}
	u, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

// isoDigits are the currencies whose digits in Node differ from x/text's
// (CLDR 32) standard rounding (TestCurrencyDigits checks them all).
var isoDigits = map[string]int{
	"AMD": 2, "GYD": 2, "MNT": 2, "MUR": 2, "RSD": 2, "TZS": 2, "UZS": 2, "HUF": 0,
}

// newCollator is a compare function over x/text's collation of a locale.
func newCollator(locale, sensitivity string, numeric bool) func(a, b string) int {
	var opts []collate.Option
	switch sensitivity {
	case "base":
		opts = append(opts, collate.IgnoreCase, collate.IgnoreDiacritics)
	case "accent":
		opts = append(opts, collate.IgnoreCase)
	case "case":
		opts = append(opts, collate.IgnoreDiacritics)
	}
	if numeric {
		opts = append(opts, collate.Numeric)
	}
	c := collate.New(language.MustParse(locale), opts...)
	var primary *collate.Collator
	if locale == "zh" {
		primary = collate.New(language.Chinese, collate.IgnoreCase, collate.IgnoreDiacritics, collate.IgnoreWidth)
	}
	var mu sync.Mutex
	return func(a, b string) int {
		mu.Lock()
		defer mu.Unlock()
		if primary != nil {
			if r, ok := hanFirst(primary, a, b); ok {
				return r
			}
		}
		return c.CompareString(a, b)
	}
}

// hanFirst gives Chinese collation's script order, which x/text's
// (CLDR 23) lacks: CLDR's zh orders Han (and Bopomofo) before the other
// scripts' letters ([reorder Hani Bopo]); x/text puts it after them. Where
// the first difference between a and b, rune by rune, sets a Han rune
// against another letter, and what comes before is the same at the
// primary level, Han comes first; otherwise x/text's order stands (ok is
// false).
func hanFirst(primary *collate.Collator, a, b string) (int, bool) {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		ha, hb := isHan(ra[i]), isHan(rb[i])
		if ha == hb || !(ha || unicode.IsLetter(ra[i])) || !(hb || unicode.IsLetter(rb[i])) {
			continue
		}
		if primary.CompareString(string(ra[:i]), string(rb[:i])) != 0 {
			return 0, false
		}
		if ha {
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Bopomofo, r) }
