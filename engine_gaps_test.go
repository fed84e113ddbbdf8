package hotmod_test

import (
	"strings"
	"testing"
)

// Engine gaps real packages ran into (nanoid, immer, ...), each checked
// against Node 20.
var engineGapCases = []nodeCase{
	{name: "Uint8Array.from a string with a map", code: `return Array.from(Uint8Array.from('abc', c => c.charCodeAt(0)))`,
		recorded: `[97,98,99]`},
	{name: "TypedArray.from primitives", code: `
let nullThrows
try { Uint8Array.from(null) } catch (e) { nullThrows = e.name }
return [Array.from(Uint8Array.from('12')), Uint8Array.from(5).length, Array.from(Float64Array.from('3')), Array.from(Uint16Array.from('😀', (c, i) => c.length * 10 + i)), nullThrows]`,
		recorded: `[[1,2],0,[3],[20],"TypeError"]`},
	{name: "TypedArray.from objects as before", code: `return [Array.from(Int8Array.from([1, 2], x => -x)), Array.from(Uint8Array.from(new Set([3, 4]))), Array.from(Uint8Array.from({ length: 2, 0: 7 })), Uint8Array.from.name, Uint8Array.from.length]`,
		recorded: `[[-1,-2],[3,4],[7,0],"from",1]`},
	{name: "nanoid", code: `
const urlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'
const nanoid = (size = 21) => {
  let id = ''
  const bytes = crypto.getRandomValues(new Uint8Array(size))
  while (size--) id += urlAlphabet[bytes[size] & 63]
  return id
}
const ids = new Set(Array.from({ length: 50 }, () => nanoid()))
return [ids.size, [...ids].every(id => /^[A-Za-z0-9_-]{21}$/.test(id))]`,
		recorded: `[50,true]`},
	{name: "Symbol.asyncIterator", code: `return [typeof Symbol.asyncIterator, Symbol.asyncIterator.toString(), Symbol.asyncIterator.description, Symbol.keyFor(Symbol.asyncIterator), Symbol.asyncIterator === Symbol.for('Symbol.asyncIterator')]`,
		recorded: `["symbol","Symbol(Symbol.asyncIterator)","Symbol.asyncIterator",null,false]`},
	{name: "for await over an async iterable", code: `
const it = { [Symbol.asyncIterator]() { let i = 0; return { next: async () => ({ done: i >= 3, value: i++ }) } } }
const out = []
for await (const x of it) out.push(x)
return out`,
		recorded: `[0,1,2]`},
	{name: "async generators", code: `
async function* g() { yield 1; await null; yield 2 }
const it = g()
const out = []
for await (const x of it) out.push(x)
return [out, typeof it[Symbol.asyncIterator], it[Symbol.asyncIterator]() === it]`,
		recorded: `[[1,2],"function",true]`},
	{name: "import.meta", code: `
return [import.meta.url, import.meta.filename, import.meta.dirname, new URL('./data.json', import.meta.url).href, typeof import.meta,
  Object.getOwnPropertyDescriptor(import.meta, 'url').enumerable]`,
		recorded: `["file:///m/x.mjs","/m/x.mjs","/m","file:///m/data.json","object",true]`},
}

func TestEngineGapsMatchNode(t *testing.T) {
	matchNode(t, engineGapCases, nil)
}

// \p{...} in unicode-mode regular expressions, literal and made at run
// time, against Node 20 (goja alone reads \p{L} as "p{L}").
var regexpCases = []nodeCase{
	{name: "\\p letters", code: `return [/\p{L}/u.test('é'), /^\p{Lu}+$/u.test('ÀB'), /^\p{Lu}+$/u.test('Àb'), /\P{L}/u.test('1'), /\P{L}/u.test('a'), /[\p{L}\d_]+/u.exec('héllo_1 x')[0]]`,
		recorded: `[true,true,false,true,false,"héllo_1"]`},
	{name: "\\p names and values", code: `
return [/\p{Letter}/u.test('ж'), /\p{gc=Lu}/u.test('Ж'), /\p{General_Category=Decimal_Number}/u.test('٣'), /\p{Script=Greek}/u.test('α'),
  /\p{sc=Grek}/u.test('a'), /\p{scx=Hira}/u.test('ー'), /\p{sc=Hira}/u.test('ー'), /^\p{Any}$/u.test('\u{10FFFF}'), /\p{ASCII}/u.test('é'), /\p{Assigned}/u.test('\u0378'),
  /\p{Alphabetic}/u.test('ª'), /\p{White_Space}/u.test('\u3000'), /\p{Lowercase}/u.test('ß'), /\p{ID_Start}/u.test('$'), /\p{XIDC}/u.test('٣')]`,
		recorded: `[true,true,true,true,false,true,false,true,false,false,true,true,true,false,true]`},
	{name: "\\p emoji", code: `return [/\p{Emoji_Presentation}/u.test('😀'), /^\p{Extended_Pictographic}$/u.test('❤'), /\p{Emoji}/u.test('#'), /\p{RI}/u.test('🇫'), '👍🏽 ok'.match(/\p{Emoji_Modifier}/u)[0].codePointAt(0)]`,
		recorded: `[true,true,true,true,127997]`},
	{name: "\\p in classes", code: `return [/[^\p{L}]/u.exec('ab1')[0], /[\P{L}]/u.exec('ab1')[0], /[\p{N}\p{P}]+/u.exec('a1,2!b')[0], 'a1b2'.replace(/[\p{L}]/gu, '_'), 'x y'.split(/\p{Zs}/u)]`,
		recorded: `["1","1","1,2!","_1_2",["x","y"]]`},
	{name: "\\p with other features", code: `return [/\p{L}+(?=!)/u.exec('héllo!')[0], /(\p{Lu})\1/u.test('ÉÉ'), /\p{Lu}/iu.test('é'), /^\p{L}{2}$/u.test('😀a'), /\p{L}/gu[Symbol.replace]('ab', 'x')]`,
		recorded: `["héllo",true,true,false,"xx"]`},
	{name: "\\p made at run time", code: `
const re = new RegExp('\\p{L}+', 'u')
return [re.exec('日本語 x')[0], RegExp('[\\P{L}]', 'u').test('1'), re instanceof RegExp, re.constructor === RegExp, /x/.constructor === RegExp, Object.prototype.toString.call(re),
  new RegExp(re, 'gu').global, 'a-b'.split(new RegExp('\\p{Pd}', 'u')), typeof RegExp.prototype.exec, RegExp.name, RegExp.length]`,
		recorded: `["日本語",true,true,true,true,"[object RegExp]",true,["a","b"],"function","RegExp",2]`},
	{name: "\\p without the u flag", code: `return [/\p{L}/.test('p{L}'), /\p{L}/.test('a'), new RegExp('\\p{L}').test('p{L}')]`,
		recorded: `[true,false,true]`},
	{name: "\\p unknown", code: `
const out = []
for (const p of ['\\p{Foo}', '\\p{sc=Foo}', '\\p{Block=Basic_Latin}', '\\p{L']) {
  try { new RegExp(p, 'u'); out.push('ok') } catch (e) { out.push(e.name + ': ' + e.message) }
}
return out`,
		recorded: `["SyntaxError: Invalid regular expression: /\\p{Foo}/u: Invalid property name","SyntaxError: Invalid regular expression: /\\p{sc=Foo}/u: Invalid property name","SyntaxError: Invalid regular expression: /\\p{Block=Basic_Latin}/u: Invalid property name","SyntaxError: Invalid regular expression: /\\p{L/u: Invalid property name"]`},
	{name: "RegExp subclass", code: `class R extends RegExp { exec(s) { return super.exec(s) } }; const r = new R('\\p{Lu}', 'u'); return [r.test('É'), r instanceof R, r instanceof RegExp]`,
		recorded: `[true,true,true]`},
}

func TestRegExpPropertyEscapesMatchNode(t *testing.T) {
	matchNode(t, regexpCases, nil)
}

// The flags goja lacks (d: hasIndices, v: unicodeSets) do not fail the
// module: esbuild makes each such literal a `new RegExp`, so the module
// loads, and the code that makes one throws a SyntaxError naming the flag
// at the literal's own position. A \p{...} ECMAScript does not know is a
// syntax error at the literal, as in Node.
func TestRegExpFlagsGojaLacksFailClearly(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/flags.ts": "export const ok = () => 1\nexport const indices = () =>\n  /a(b)/d.exec('ab')\nexport const sets = () => /[\\p{L}--[a-z]]/v.test('A')\n",
		"/m/bad.js":   "export const x = 1\nconst re =  /\\p{Nope}/u\n",
	})
	m := e.create("flags", "/m/flags.ts")
	if got := e.call(m, "ok"); got != int64(1) {
		t.Fatalf("ok() = %v", got)
	}
	for fn, want := range map[string]string{
		"indices": "/m/flags.ts:3:3: SyntaxError: Invalid regular expression: /a(b)/d: the hasIndices flag (d) is not supported by the goja engine",
		"sets":    "/m/flags.ts:4:27: SyntaxError: Invalid regular expression: /[\\p{L}--[a-z]]/v: the unicodeSets flag (v) is not supported by the goja engine",
	} {
		_, err := m.Call(e.ctx, fn)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v\nwant %s", fn, err, want)
		}
	}
	_, err := e.rt.CreateModule(e.ctx, "bad", "/m/bad.js")
	if want := "/m/bad.js:2:13: Invalid regular expression: /\\p{Nope}/u: Invalid property name"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a literal with an unknown property: %v\nwant %s", err, want)
	}
}
