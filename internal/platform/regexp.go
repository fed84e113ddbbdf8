package platform

//go:generate sh -c "node gen/unicode.mjs $(go run gen/scripts.go)"

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// goja turns a regular expression into Go's syntax and reads `\p{L}` there
// as the identity escape `p` followed by `{L}`: /\p{L}/u matches "p{L}",
// never a letter, and no error says so. ExpandPropertyEscapes writes each
// \p{...} and \P{...} of a unicode-mode pattern as the character class of
// the code points it names, from Node 20's own tables (unicode_props.txt,
// made by gen/unicode.mjs), so the pattern means what it means in Node.
// The transform rewrites regular expression literals with it, and the
// realm's RegExp constructor rewrites patterns made at run time.

//go:embed unicode_props.txt
var unicodeProps string

type codeRange struct{ lo, hi rune }

var (
	propsOnce   sync.Once
	propsByKind map[string]map[string]string // kind ("gc", "sc", "scx", "binary") -> name -> encoded ranges
	scriptAlias map[string]string            // short script name -> long
	decoded     sync.Map                     // kind+"="+name -> []codeRange
)

func loadProps() {
	propsByKind = map[string]map[string]string{"gc": {}, "sc": {}, "scx": {}, "binary": {}}
	scriptAlias = map[string]string{}
	for _, line := range strings.Split(unicodeProps, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || strings.HasPrefix(line, "#") {
			continue
		}
		if f[0] == "alias" {
			scriptAlias[f[1]] = f[2]
			continue
		}
		if m := propsByKind[f[0]]; m != nil {
			m[f[1]] = f[2]
		}
	}
}

// decodeRanges reads the format of gen/unicode.mjs.
func decodeRanges(s string) []codeRange {
	parts := strings.Split(s, ",")
	out := make([]codeRange, 0, len(parts))
	prev := int64(-1)
	for _, p := range parts {
		gap, length, _ := strings.Cut(p, ".")
		g, _ := strconv.ParseInt(gap, 36, 64)
		lo := prev + g
		hi := lo
		if length != "" {
			n, _ := strconv.ParseInt(length, 36, 64)
			hi = lo + n
		}
		out = append(out, codeRange{rune(lo), rune(hi)})
		prev = hi
	}
	return out
}

func lookup(kind, name string) []codeRange {
	key := kind + "=" + name
	if v, ok := decoded.Load(key); ok {
		return v.([]codeRange)
	}
	enc, ok := propsByKind[kind][name]
	if !ok {
		return nil
	}
	rs := decodeRanges(enc)
	decoded.Store(key, rs)
	return rs
}

// The property names and values ECMAScript accepts, by their other names
// (ECMA-262, tables "Non-binary Unicode property aliases", "Binary Unicode
// property aliases" and "Value aliases and canonical values for the
// Unicode property General_Category").
var (
	gcAlias = map[string]string{
		"Other": "C", "Control": "Cc", "cntrl": "Cc", "Format": "Cf", "Unassigned": "Cn", "Private_Use": "Co",
		"Surrogate": "Cs", "Letter": "L", "Cased_Letter": "LC", "Lowercase_Letter": "Ll", "Modifier_Letter": "Lm",
		"Other_Letter": "Lo", "Titlecase_Letter": "Lt", "Uppercase_Letter": "Lu", "Mark": "M", "Combining_Mark": "M",
		"Spacing_Mark": "Mc", "Enclosing_Mark": "Me", "Nonspacing_Mark": "Mn", "Number": "N", "Decimal_Number": "Nd",
		"digit": "Nd", "Letter_Number": "Nl", "Other_Number": "No", "Punctuation": "P", "punct": "P",
		"Connector_Punctuation": "Pc", "Dash_Punctuation": "Pd", "Close_Punctuation": "Pe",
		"Final_Punctuation": "Pf", "Initial_Punctuation": "Pi", "Other_Punctuation": "Po",
		"Open_Punctuation": "Ps", "Symbol": "S", "Currency_Symbol": "Sc", "Modifier_Symbol": "Sk",
		"Math_Symbol": "Sm", "Other_Symbol": "So", "Separator": "Z", "Line_Separator": "Zl",
		"Paragraph_Separator": "Zp", "Space_Separator": "Zs",
	}
	binaryAlias = map[string]string{
		"AHex": "ASCII_Hex_Digit", "Alpha": "Alphabetic", "Bidi_C": "Bidi_Control", "Bidi_M": "Bidi_Mirrored",
		"CI": "Case_Ignorable", "CWCF": "Changes_When_Casefolded", "CWCM": "Changes_When_Casemapped",
		"CWKCF": "Changes_When_NFKC_Casefolded", "CWL": "Changes_When_Lowercased",
		"CWT": "Changes_When_Titlecased", "CWU": "Changes_When_Uppercased", "DI": "Default_Ignorable_Code_Point",
		"Dep": "Deprecated", "Dia": "Diacritic", "EBase": "Emoji_Modifier_Base", "EComp": "Emoji_Component",
		"EMod": "Emoji_Modifier", "EPres": "Emoji_Presentation", "ExtPict": "Extended_Pictographic",
		"Ext": "Extender", "Gr_Base": "Grapheme_Base", "Gr_Ext": "Grapheme_Extend", "Hex": "Hex_Digit",
		"IDSB": "IDS_Binary_Operator", "IDST": "IDS_Trinary_Operator", "IDC": "ID_Continue", "IDS": "ID_Start",
		"Ideo": "Ideographic", "Join_C": "Join_Control", "LOE": "Logical_Order_Exception", "Lower": "Lowercase",
		"NChar": "Noncharacter_Code_Point", "Pat_Syn": "Pattern_Syntax", "Pat_WS": "Pattern_White_Space",
		"QMark": "Quotation_Mark", "RI": "Regional_Indicator", "SD": "Soft_Dotted", "STerm": "Sentence_Terminal",
		"Term": "Terminal_Punctuation", "UIdeo": "Unified_Ideograph", "Upper": "Uppercase",
		"VS": "Variation_Selector", "WSpace": "White_Space", "space": "White_Space", "XIDC": "XID_Continue",
		"XIDS": "XID_Start",
	}
)

// propertyRanges resolves the body of \p{...}: the code points it names,
// or an error naming what it does not know.
func propertyRanges(body string) ([]codeRange, error) {
	propsOnce.Do(loadProps)
	if name, value, ok := strings.Cut(body, "="); ok {
		var kind string
		switch name {
		case "General_Category", "gc":
			kind = "gc"
			if v, ok := gcAlias[value]; ok {
				value = v
			}
		case "Script", "sc":
			kind = "sc"
		case "Script_Extensions", "scx":
			kind = "scx"
		default:
			return nil, fmt.Errorf("Invalid property name")
		}
		if kind != "gc" {
			if long, ok := scriptAlias[value]; ok {
				value = long
			}
		}
		if rs := lookup(kind, value); rs != nil {
			return rs, nil
		}
		return nil, fmt.Errorf("Invalid property name")
	}
	switch body {
	case "Any":
		return []codeRange{{0, 0x10FFFF}}, nil
	case "ASCII":
		return []codeRange{{0, 0x7F}}, nil
	case "Assigned":
		return complement(lookup("gc", "Cn")), nil
	}
	if v, ok := gcAlias[body]; ok {
		return lookup("gc", v), nil
	}
	if rs := lookup("gc", body); rs != nil {
		return rs, nil
	}
	if v, ok := binaryAlias[body]; ok {
		body = v
	}
	if rs := lookup("binary", body); rs != nil {
		return rs, nil
	}
	return nil, fmt.Errorf("Invalid property name")
}

func complement(rs []codeRange) []codeRange {
	var out []codeRange
	next := rune(0)
	for _, r := range rs {
		if r.lo > next {
			out = append(out, codeRange{next, r.lo - 1})
		}
		next = r.hi + 1
	}
	if next <= 0x10FFFF {
		out = append(out, codeRange{next, 0x10FFFF})
	}
	return out
}

func writeRanges(b *strings.Builder, rs []codeRange) {
	for _, r := range rs {
		fmt.Fprintf(b, `\u{%X}`, r.lo)
		if r.hi != r.lo {
			fmt.Fprintf(b, `-\u{%X}`, r.hi)
		}
	}
}

// HasPropertyEscape reports whether a pattern may hold \p{...} or \P{...}
// (a quick test: ExpandPropertyEscapes parses).
func HasPropertyEscape(pattern string) bool {
	return strings.Contains(pattern, `\p{`) || strings.Contains(pattern, `\P{`)
}

// ExpandPropertyEscapes rewrites every \p{...} and \P{...} of a
// unicode-mode (u flag) pattern as the character class of its code
// points; the rest of the pattern is left as it is. An unknown property
// is an error, with V8's message.
func ExpandPropertyEscapes(pattern string) (string, error) {
	if !HasPropertyEscape(pattern) {
		return pattern, nil
	}
	var b strings.Builder
	b.Grow(len(pattern) + 256)
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+2 < len(pattern) && (pattern[i+1] == 'p' || pattern[i+1] == 'P') && pattern[i+2] == '{':
			end := strings.IndexByte(pattern[i+3:], '}')
			if end < 0 {
				return "", fmt.Errorf("Invalid property name")
			}
			body := pattern[i+3 : i+3+end]
			rs, err := propertyRanges(body)
			if err != nil {
				return "", err
			}
			negate := pattern[i+1] == 'P'
			switch {
			case inClass && negate:
				writeRanges(&b, complement(rs))
			case inClass:
				writeRanges(&b, rs)
			case negate:
				b.WriteString("[^")
				writeRanges(&b, rs)
				b.WriteByte(']')
			default:
				b.WriteByte('[')
				writeRanges(&b, rs)
				b.WriteByte(']')
			}
			i += 3 + end
		case c == '\\' && i+1 < len(pattern):
			b.WriteByte(c)
			b.WriteByte(pattern[i+1]) // a multi-byte character's first byte: the rest follows as is
			i++
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// repairRegExp makes the realm's RegExp rewrite \p{...} in unicode-mode
// patterns made at run time (new RegExp('\\p{L}', 'u')), and refuse the
// flags goja lacks (d, v) with a message that says so rather than goja's
// "Invalid flags". RegExp becomes a Proxy of goja's constructor, which
// RegExp.prototype.constructor names too, so that instanceof, species and
// `re.constructor === RegExp` hold as before.
func repairRegExp(vm *goja.Runtime) error {
	orig := vm.Get("RegExp").ToObject(vm)
	origCall, _ := goja.AssertFunction(orig)
	construct, _ := goja.AssertFunction(vm.Get("Reflect").ToObject(vm).Get("construct"))
	syntaxError := vm.Get("SyntaxError").ToObject(vm)
	fail := func(pattern, flags, msg string) {
		e, _ := vm.New(syntaxError, vm.ToValue(fmt.Sprintf("Invalid regular expression: /%s/%s: %s", pattern, flags, msg)))
		panic(e)
	}
	rewrite := func(args []goja.Value) []goja.Value {
		if len(args) < 2 || goja.IsUndefined(args[1]) {
			return args
		}
		flags := args[1].String()
		if strings.ContainsAny(flags, "dv") {
			which := "the hasIndices flag (d)"
			if strings.ContainsRune(flags, 'v') {
				which = "the unicodeSets flag (v)"
			}
			src := ""
			if len(args) > 0 {
				if o, ok := args[0].(*goja.Object); ok && o.ClassName() == "RegExp" {
					src = o.Get("source").String()
				} else if !goja.IsUndefined(args[0]) {
					src = args[0].String()
				}
			}
			fail(src, flags, which+" is not supported by the goja engine (hotmod README: What runs)")
		}
		if !strings.ContainsRune(flags, 'u') {
			return args
		}
		if _, isObj := args[0].(*goja.Object); isObj || goja.IsUndefined(args[0]) {
			return args // a RegExp's source is expanded already
		}
		pattern := args[0].String()
		if !HasPropertyEscape(pattern) {
			return args
		}
		expanded, err := ExpandPropertyEscapes(pattern)
		if err != nil {
			fail(pattern, flags, err.Error())
		}
		out := append([]goja.Value(nil), args...)
		out[0] = vm.ToValue(expanded)
		return out
	}
	var proxy *goja.Object
	p := vm.NewProxy(orig, &goja.ProxyTrapConfig{
		Apply: func(target *goja.Object, this goja.Value, args []goja.Value) goja.Value {
			v, err := origCall(this, rewrite(args)...)
			if err != nil {
				panic(err)
			}
			return v
		},
		Construct: func(target *goja.Object, args []goja.Value, newTarget *goja.Object) *goja.Object {
			if newTarget == nil || newTarget.SameAs(proxy) {
				newTarget = target
			}
			v, err := construct(goja.Undefined(), target, vm.NewArray(toAny(rewrite(args))...), newTarget)
			if err != nil {
				panic(err)
			}
			return v.ToObject(vm)
		},
	})
	proxy = vm.ToValue(p).ToObject(vm)
	// goja's instanceof cannot use a Proxy as the constructor ("Expecting
	// a function in instanceof check"): RegExp answers it itself, as
	// Function.prototype[Symbol.hasInstance] would, for itself and for
	// classes that extend it.
	hasInstance, _ := goja.AssertFunction(vm.Get("Function").ToObject(vm).Get("prototype").ToObject(vm).GetSymbol(goja.SymHasInstance))
	hi := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		c := call.This
		if o, ok := c.(*goja.Object); ok && o.SameAs(proxy) {
			c = orig
		}
		v, err := hasInstance(c, call.Argument(0))
		if err != nil {
			panic(err)
		}
		return v
	}).ToObject(vm)
	_ = hi.DefineDataProperty("name", vm.ToValue("[Symbol.hasInstance]"), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	if err := orig.DefineDataPropertySymbol(goja.SymHasInstance, hi, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE); err != nil {
		return fmt.Errorf("platform: RegExp[Symbol.hasInstance]: %w", err)
	}
	proto := orig.Get("prototype").ToObject(vm)
	if err := proto.DefineDataProperty("constructor", proxy, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
		return fmt.Errorf("platform: RegExp.prototype.constructor: %w", err)
	}
	return vm.GlobalObject().DefineDataProperty("RegExp", proxy, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
}

func toAny(vs []goja.Value) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}
