package hotmod_test

import (
	"testing"

	"github.com/hotmod/hotmod"
)

// The platform's globals, each on Node's own documentation examples and
// the edges packages meet; every answer is Node 20's (nodecompare_test.go).

var urlCases = []nodeCase{
	{name: "URL parts", code: `
const u = new URL('https://user:pass@sub.example.com:8080/p/a/t/h?query=string#hash')
return [u.href, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin]`,
		recorded: `["https://user:pass@sub.example.com:8080/p/a/t/h?query=string#hash","https:","user","pass","sub.example.com:8080","sub.example.com","8080","/p/a/t/h","?query=string","#hash","https://sub.example.com:8080"]`},
	{name: "URL relative to a base", code: `return [new URL('/foo', 'https://example.org/').href, new URL('../x?y#z', 'https://a.b/c/d/e').href]`,
		recorded: `["https://example.org/foo","https://a.b/c/x?y#z"]`},
	{name: "URL punycode host", code: `return new URL('https://測試').href`,
		recorded: `"https://xn--g6w251d/"`},
	{name: "URL default port", code: `return [new URL('https://example.org:443').port, new URL('https://example.org:444').host]`,
		recorded: `["","example.org:444"]`},
	{name: "URL setters", code: `
const u = new URL('https://example.org/abc?123')
u.search = 'abc=xyz'
u.hash = 'top'
u.pathname = '/a b'
return u.href`,
		recorded: `"https://example.org/a%20b?abc=xyz#top"`},
	{name: "URL searchParams", code: `
const u = new URL('https://example.org/?abc=123')
const first = u.searchParams.get('abc')
u.searchParams.append('abc', 'xyz')
return [first, u.href, u.searchParams.getAll('abc')]`,
		recorded: `["123","https://example.org/?abc=123&abc=xyz",["123","xyz"]]`},
	{name: "URL invalid", code: `try { new URL('/foo') } catch (e) { return [e.name, e.code, e instanceof TypeError] }`,
		recorded: `["TypeError","ERR_INVALID_URL",true]`},
	{name: "URL toJSON and String", code: `const u = new URL('http://a.b/c'); return [JSON.stringify({u}), String(u), u.toString()]`,
		recorded: `["{\"u\":\"http://a.b/c\"}","http://a.b/c","http://a.b/c"]`},
	{name: "URL file", code: `const u = new URL('file:///m/x.js'); return [u.protocol, u.pathname, u.host, u.href]`,
		recorded: `["file:","/m/x.js","","file:///m/x.js"]`},
	{name: "URLSearchParams from a string", code: `const p = new URLSearchParams('?user=abc&query=xyz'); return [p.get('user'), p.has('query'), p.toString()]`,
		recorded: `["abc",true,"user=abc&query=xyz"]`},
	{name: "URLSearchParams from an object", code: `return new URLSearchParams({ user: 'abc', query: ['first', 'second'] }).toString()`,
		recorded: `"user=abc&query=first%2Csecond"`},
	{name: "URLSearchParams from pairs", code: `return new URLSearchParams([['user', 'abc'], ['query', 'first'], ['query', 'second']]).getAll('query')`,
		recorded: `["first","second"]`},
	{name: "URLSearchParams encoding", code: `const p = new URLSearchParams(); p.set('a', 'b c&d=é'); return [p.toString(), new URLSearchParams('a=b+c%20d').get('a')]`,
		recorded: `["a=b+c%26d%3D%C3%A9","b c d"]`},
	{name: "URLSearchParams sort and iterate", code: `const p = new URLSearchParams('z=1&a=2&m=3'); p.sort(); return [[...p], [...p.keys()], [...p.values()]]`,
		recorded: `[[["a","2"],["m","3"],["z","1"]],["a","m","z"],["2","3","1"]]`},
	{name: "URLSearchParams delete", code: `const p = new URLSearchParams('a=1&b=2&a=3'); p.delete('a'); return p.toString()`,
		recorded: `"b=2"`},
}

var textCases = []nodeCase{
	{name: "TextEncoder encode", code: `const e = new TextEncoder(); return [e.encoding, Array.from(e.encode('€')), Array.from(e.encode()), e.encode('a') instanceof Uint8Array]`,
		recorded: `["utf-8",[226,130,172],[],true]`},
	{name: "TextEncoder lone surrogate", code: `return Array.from(new TextEncoder().encode('a\ud800b'))`,
		recorded: `[97,239,191,189,98]`},
	{name: "TextEncoder astral", code: `return Array.from(new TextEncoder().encode('😀'))`,
		recorded: `[240,159,152,128]`},
	{name: "TextEncoder encodeInto", code: `
const u8 = new Uint8Array(5)
const r = new TextEncoder().encodeInto('añb€', u8)
return [r.read, r.written, Array.from(u8)]`,
		recorded: `[3,4,[97,195,177,98,0]]`},
	{name: "TextDecoder decode", code: `return new TextDecoder().decode(new Uint8Array([0xE2, 0x82, 0xAC, 0x61]))`,
		recorded: `"€a"`},
	{name: "TextDecoder replacement", code: `return Array.from(new TextDecoder().decode(new Uint8Array([0xE2, 0x82, 0x41, 0xFF, 0xF0, 0x9F, 0x98, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xF0, 0x9F])), c => c.codePointAt(0))`,
		recorded: `[65533,65,65533,65533,65533,65533,65533,65533,65533,65533]`},
	{name: "TextDecoder BOM", code: `
const bytes = new Uint8Array([0xEF, 0xBB, 0xBF, 0x61])
return [new TextDecoder().decode(bytes).length, new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).length]`,
		recorded: `[1,2]`},
	{name: "TextDecoder fatal", code: `
const d = new TextDecoder('utf-8', { fatal: true })
try { d.decode(new Uint8Array([0x61, 0xFF])) } catch (e) { return [d.fatal, e.name, e.message, e.code, d.decode(new Uint8Array([0x62]))] }`,
		recorded: `[true,"TypeError","The encoded data was not valid for encoding utf-8","ERR_ENCODING_INVALID_ENCODED_DATA","b"]`},
	{name: "TextDecoder stream", code: `
const d = new TextDecoder()
const a = d.decode(new Uint8Array([0x61, 0xE2, 0x82]), { stream: true })
const b = d.decode(new Uint8Array([0xAC]), { stream: true })
const c = d.decode(new Uint8Array([0xE2]))
return [a, b, c]`,
		recorded: `["a","€","�"]`},
	{name: "TextDecoder inputs", code: `
const d = new TextDecoder()
const bytes = new TextEncoder().encode('héllo')
return [d.decode(bytes.buffer), d.decode(new DataView(bytes.buffer, 1, 2)), d.decode(bytes.subarray(3)), d.decode(), d.decode(new Uint16Array([0x6968]))]`,
		recorded: `["héllo","é","llo","","hi"]`},
	{name: "TextDecoder bad input", code: `try { new TextDecoder().decode('x') } catch (e) { return [e.name, e.code] }`,
		recorded: `["TypeError","ERR_INVALID_ARG_TYPE"]`},
	{name: "TextDecoder utf-16le", code: `
const d = new TextDecoder('utf-16le')
return [d.encoding, d.decode(new Uint8Array([0x61, 0x00, 0x3D, 0xD8, 0x00, 0xDE])), d.decode(new Uint8Array([0x00, 0xD8])).codePointAt(0)]`,
		recorded: `["utf-16le","a😀",65533]`},
	{name: "TextDecoder labels", code: `return [new TextDecoder('UTF8').encoding, new TextDecoder(' unicode-1-1-utf-8 ').encoding, new TextDecoder('utf-16').encoding]`,
		recorded: `["utf-8","utf-8","utf-16le"]`},
	{name: "TextDecoder unknown label", code: `try { new TextDecoder('nope') } catch (e) { return [e.name, e.message, e.code] }`,
		recorded: `["RangeError","The \"nope\" encoding is not supported","ERR_ENCODING_NOT_SUPPORTED"]`},
	{name: "TextEncoder wrong this", code: `try { TextEncoder.prototype.encode.call({}, 'x') } catch (e) { return [e.name, e.code] }`,
		recorded: `["TypeError","ERR_INVALID_THIS"]`},
	{name: "atob and btoa", code: `return [btoa('Hello, world'), atob('SGVsbG8sIHdvcmxk'), atob(' SGVs\nbG8= '), atob('YQ'), btoa('\u00ff\u00fe'), btoa(undefined), atob(null).length]`,
		recorded: `["SGVsbG8sIHdvcmxk","Hello, world","Hello","a","//4=","dW5kZWZpbmVk",3]`},
	{name: "btoa beyond latin1", code: `try { btoa('€') } catch (e) { return [e.name, e.message, e.code, e instanceof DOMException] }`,
		recorded: `["InvalidCharacterError","Invalid character",5,true]`},
	{name: "atob invalid", code: `
const out = []
for (const s of ['a', 'YQ=', 'Y\u00e9Q', 'YQ==Y', 'YQ===']) {
  try { out.push(atob(s)) } catch (e) { out.push(e.name + ': ' + e.message) }
}
return out`,
		recorded: `["InvalidCharacterError: The string to be decoded is not correctly encoded.","InvalidCharacterError: Invalid character","InvalidCharacterError: Invalid character","InvalidCharacterError: Invalid character","InvalidCharacterError: Invalid character"]`},
	{name: "atob and btoa without an argument", code: `
const out = []
for (const f of [atob, btoa]) { try { f() } catch (e) { out.push(e.name, e.code) } }
return out`,
		recorded: `["TypeError","ERR_MISSING_ARGS","TypeError","ERR_MISSING_ARGS"]`},
}

var cryptoCases = []nodeCase{
	{name: "crypto.getRandomValues", code: `
const a = new Uint8Array(64)
const r = crypto.getRandomValues(a)
const b = crypto.getRandomValues(new Uint32Array(4))
return [r === a, new Set(a).size > 16, b.length, b instanceof Uint32Array, typeof crypto.getRandomValues(new BigInt64Array(1))[0]]`,
		recorded: `[true,true,4,true,"bigint"]`},
	{name: "crypto.getRandomValues errors", code: `
const out = []
for (const arg of [new Float32Array(1), new Uint8Array(65537), new DataView(new ArrayBuffer(1))]) {
  try { crypto.getRandomValues(arg) } catch (e) { out.push(e.name + ': ' + e.message) }
}
try { crypto.getRandomValues() } catch (e) { out.push(e.name) }
return out`,
		recorded: `["TypeMismatchError: The data argument must be an integer-type TypedArray","QuotaExceededError: The requested length exceeds 65,536 bytes","TypeMismatchError: The data argument must be an integer-type TypedArray","TypeError"]`},
	{name: "crypto.randomUUID", code: `
const ids = new Set()
for (let i = 0; i < 20; i++) ids.add(crypto.randomUUID())
return [ids.size, [...ids].every(id => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))]`,
		recorded: `[20,true]`},
	{name: "crypto.subtle.digest", code: `
const hex = (b) => Array.from(new Uint8Array(b), x => x.toString(16).padStart(2, '0')).join('')
const data = new TextEncoder().encode('hello')
const p = crypto.subtle.digest('SHA-256', data)
const out = [p instanceof Promise]
const h = await p
out.push(h instanceof ArrayBuffer, hex(h))
for (const alg of ['SHA-1', 'sha-384', { name: 'SHA-512' }]) out.push(hex(await crypto.subtle.digest(alg, data.buffer)))
out.push(hex(await crypto.subtle.digest('SHA-256', new DataView(data.buffer, 1, 3))))
return out`,
		recorded: `[true,true,"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d","59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f","9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043","baea96500997ff5cd6cfd26592a978d6b73d480b4ad33d002499cf0041ac9996"]`},
	{name: "crypto.subtle.digest unknown algorithm", code: `try { await crypto.subtle.digest('MD5', new Uint8Array(1)) } catch (e) { return [e.name, e.message, e instanceof DOMException] }`,
		recorded: `["NotSupportedError","Unrecognized algorithm name",true]`},
	{name: "crypto objects", code: `return [Object.prototype.toString.call(crypto), Object.prototype.toString.call(crypto.subtle), crypto instanceof Crypto, crypto.subtle instanceof SubtleCrypto]`,
		recorded: `["[object Crypto]","[object SubtleCrypto]",true,true]`},
}

var cloneCases = []nodeCase{
	{name: "structuredClone Date", code: `const d = new Date(1234567890123); const c = structuredClone(d); return [c instanceof Date, c.getTime(), c !== d]`,
		recorded: `[true,1234567890123,true]`},
	{name: "structuredClone Map and Set", code: `
const m = new Map([[1, { a: 1 }], ['k', new Set([1, 2])]])
const c = structuredClone(m)
return [c instanceof Map, c.get(1).a, c.get(1) !== m.get(1), c.get('k') instanceof Set, [...c.get('k')]]`,
		recorded: `[true,1,true,true,[1,2]]`},
	{name: "structuredClone cycles", code: `
const o = { name: 'o' }
o.self = o
o.list = [o]
const c = structuredClone(o)
return [c !== o, c.self === c, c.list[0] === c, c.name]`,
		recorded: `[true,true,true,"o"]`},
	{name: "structuredClone shared references", code: `const x = {}; const c = structuredClone([x, x, { x }]); return [c[0] === c[1], c[2].x === c[0], c[0] !== x]`,
		recorded: `[true,true,true]`},
	{name: "structuredClone buffers", code: `
const u = new Uint16Array([1, 2, 3])
const c = structuredClone(u)
const ab = new ArrayBuffer(8)
new Uint8Array(ab).set([1, 2, 3, 4, 5, 6, 7, 8])
const v = structuredClone({ a: new Uint8Array(ab, 2, 2), b: new Uint8Array(ab), d: new DataView(ab, 4, 4), ab })
return [c instanceof Uint16Array, Array.from(c), c.buffer !== u.buffer, v.a.buffer === v.b.buffer, v.a.buffer === v.ab, v.a.byteOffset, Array.from(v.a), v.d.getUint8(0), v.ab.byteLength]`,
		recorded: `[true,[1,2,3],true,true,true,2,[3,4],5,8]`},
	{name: "structuredClone other values", code: `
const c = structuredClone({ r: /a+/gi, n: new Number(3), s: new String('s'), b: new Boolean(false), big: 10n, u: undefined, nul: null, neg: -0, nan: NaN })
return [String(c.r), c.r instanceof RegExp, typeof c.n, c.n + 1, String(c.s), c.b.valueOf(), String(c.big), 'u' in c, c.nul, Object.is(c.neg, -0), Number.isNaN(c.nan)]`,
		recorded: `["/a+/gi",true,"object",4,"s",false,"10",true,null,true,true]`},
	{name: "structuredClone arrays", code: `const a = [1, , 3]; a.extra = 'x'; const c = structuredClone(a); return [Array.isArray(c), c.length, 1 in c, c.extra]`,
		recorded: `[true,3,false,"x"]`},
	{name: "structuredClone class instances", code: `
class P { constructor() { this.x = 1 } get y() { return 2 } m() {} }
const o = { get z() { return 3 } }
const c = structuredClone(new P())
return [c instanceof P, Object.getPrototypeOf(c) === Object.prototype, c.x, c.y, structuredClone(o).z, Object.getOwnPropertyDescriptor(structuredClone(o), 'z').value]`,
		recorded: `[false,true,1,null,3,3]`},
	{name: "structuredClone errors", code: `
const e = structuredClone(new RangeError('m', { cause: 1 }))
class MyError extends Error { constructor(m) { super(m); this.name = 'MyError'; this.extra = 1 } }
const f = structuredClone(new MyError('n'))
return [e instanceof RangeError, e.name, e.message, e.cause, typeof e.stack, f.constructor.name, f.name, f.message, f.extra]`,
		recorded: `[true,"RangeError","m",1,"string","Error","Error","n",null]`},
	{name: "structuredClone functions", code: `
const out = []
// A function's message quotes its source text, which esbuild reformats:
// only its end is compared.
for (const v of [() => {}, { f() { return 1 } }]) {
  try { structuredClone(v) } catch (e) { out.push([e.name, e.message.endsWith(' could not be cloned.'), e.code, e instanceof DOMException]) }
}
for (const v of [Symbol('s'), Promise.resolve(), new WeakMap()]) {
  try { structuredClone(v) } catch (e) { out.push([e.name, e.message, e.code, e instanceof DOMException]) }
}
return out`,
		recorded: `[["DataCloneError",true,25,true],["DataCloneError",true,25,true],["DataCloneError","Symbol(s) could not be cloned.",25,true],["DataCloneError","#<Promise> could not be cloned.",25,true],["DataCloneError","#<WeakMap> could not be cloned.",25,true]]`},
	{name: "structuredClone without an argument", code: `try { structuredClone() } catch (e) { return [e.name, e.code] }`,
		recorded: `["TypeError","ERR_MISSING_ARGS"]`},
}

var eventCases = []nodeCase{
	{name: "queueMicrotask order", code: `
const log = []
setTimeout(() => log.push('timeout'), 0)
queueMicrotask(() => log.push('micro'))
Promise.resolve().then(() => log.push('then'))
log.push('sync')
await new Promise(r => setTimeout(r, 20))
return log`,
		recorded: `["sync","micro","then","timeout"]`},
	{name: "queueMicrotask needs a function", code: `try { queueMicrotask(1) } catch (e) { return [e.name, e.message, e.code] }`,
		recorded: `["TypeError","The \"callback\" argument must be of type function. Received type number (1)","ERR_INVALID_ARG_TYPE"]`},
	{name: "AbortController", code: `
const ac = new AbortController()
const log = []
ac.signal.addEventListener('abort', (e) => log.push(e.type, e.isTrusted, e.target === ac.signal), { once: true })
const before = [ac.signal.aborted, ac.signal.reason]
ac.abort()
ac.abort()
return [before, log, ac.signal.aborted, ac.signal.reason.name, ac.signal.reason.message, ac.signal.reason instanceof DOMException, ac.signal.reason.code]`,
		recorded: `[[false,null],["abort",true,true],true,"AbortError","This operation was aborted",true,20]`},
	{name: "AbortController reason", code: `
const ac = new AbortController()
ac.abort(new Error('why'))
let thrown
try { ac.signal.throwIfAborted() } catch (e) { thrown = e.message }
return [ac.signal.reason.message, thrown]`,
		recorded: `["why","why"]`},
	{name: "AbortSignal.abort", code: `return [AbortSignal.abort().aborted, AbortSignal.abort().reason.name, AbortSignal.abort('r').reason]`,
		recorded: `[true,"AbortError","r"]`},
	{name: "AbortSignal.timeout", code: `
const alive = setTimeout(() => {}, 5000) // Node does not wait for the signal's own timer
const s = AbortSignal.timeout(10)
const before = s.aborted
await new Promise(r => s.addEventListener('abort', r))
clearTimeout(alive)
return [before, s.aborted, s.reason.name, s.reason.message, s.reason.code]`,
		recorded: `[false,true,"TimeoutError","The operation was aborted due to timeout",23]`},
	{name: "AbortSignal.timeout errors", code: `
const out = []
for (const v of [-1, '1', 1.5]) { try { AbortSignal.timeout(v) } catch (e) { out.push(e.name, e.code) } }
return out`,
		recorded: `["RangeError","ERR_OUT_OF_RANGE","TypeError","ERR_INVALID_ARG_TYPE","RangeError","ERR_OUT_OF_RANGE"]`},
	{name: "AbortSignal onabort", code: `
const ac = new AbortController()
const log = []
ac.signal.onabort = (e) => log.push('on' + e.type)
ac.signal.addEventListener('abort', () => log.push('listener'))
ac.abort()
return log`,
		recorded: `["onabort","listener"]`},
	{name: "AbortSignal.any", code: `
const a = new AbortController(), b = new AbortController()
const s = AbortSignal.any([a.signal, b.signal])
b.abort('b')
return [s.aborted, s.reason, AbortSignal.any([AbortSignal.abort('x')]).reason]`,
		recorded: `[true,"b","x"]`},
	{name: "AbortSignal cannot be constructed", code: `try { new AbortSignal() } catch (e) { return [e.name, e.message, e.code] }`,
		recorded: `["TypeError","Illegal constructor","ERR_ILLEGAL_CONSTRUCTOR"]`},
	{name: "listener with an abort signal", code: `
const t = new EventTarget(), ac = new AbortController()
let n = 0
t.addEventListener('x', () => n++, { signal: ac.signal })
t.dispatchEvent(new Event('x'))
ac.abort()
t.dispatchEvent(new Event('x'))
return n`,
		recorded: `1`},
	{name: "EventTarget dispatch", code: `
const t = new EventTarget()
const log = []
const h = (e) => log.push(e.type, e.target === t, e.currentTarget === t, e.eventPhase)
t.addEventListener('foo', h)
t.addEventListener('foo', h)
t.addEventListener('foo', { handleEvent(e) { log.push('object', this !== t) } })
const e = new Event('foo')
t.dispatchEvent(e)
t.removeEventListener('foo', h)
t.dispatchEvent(new Event('foo'))
return [log, e.eventPhase, e.currentTarget, e.target === t]`,
		recorded: `[["foo",true,true,2,"object",true,"object",true],0,null,true]`},
	{name: "Event cancel and stop", code: `
const t = new EventTarget()
const log = []
t.addEventListener('c', (e) => { log.push(1); e.preventDefault(); e.stopImmediatePropagation() })
t.addEventListener('c', () => log.push(2))
const r1 = t.dispatchEvent(new Event('c', { cancelable: true }))
const r2 = t.dispatchEvent(new Event('c'))
const once = []
t.addEventListener('o', () => once.push('o'), { once: true })
t.dispatchEvent(new Event('o'))
t.dispatchEvent(new Event('o'))
return [log, r1, r2, once]`,
		recorded: `[[1,1],false,true,["o"]]`},
	{name: "Event properties", code: `
const e = new Event('x', { bubbles: true, cancelable: true })
return [e.type, e.bubbles, e.cancelable, e.composed, e.defaultPrevented, e.isTrusted, typeof e.timeStamp, e.eventPhase, Event.AT_TARGET, Object.prototype.toString.call(e)]`,
		recorded: `["x",true,true,false,false,false,"number",0,2,"[object Event]"]`},
	{name: "CustomEvent", code: `const e = new CustomEvent('c', { detail: { n: 1 } }); return [e.detail.n, e instanceof Event, new CustomEvent('d').detail]`,
		recorded: `[1,true,null]`},
	{name: "Event and EventTarget errors", code: `
const out = []
try { new Event() } catch (e) { out.push(e.name, e.code) }
try { new EventTarget().dispatchEvent({ type: 'x' }) } catch (e) { out.push(e.name, e.code) }
return out`,
		recorded: `["TypeError","ERR_MISSING_ARGS","TypeError","ERR_INVALID_ARG_TYPE"]`},
	{name: "DOMException", code: `
const d = new DOMException('m', 'AbortError')
const t = new DOMException('n', { name: 'TimeoutError', cause: 7 })
return [d.name, d.message, d.code, d instanceof Error, Object.keys(d), String(d), t.name, t.code, t.cause, new DOMException().name, DOMException.ABORT_ERR, DOMException.DATA_CLONE_ERR]`,
		recorded: `["AbortError","m",20,true,[],"AbortError: m","TimeoutError",23,7,"Error",20,25]`},
	{name: "performance", code: `
const a = performance.now()
await new Promise(r => setTimeout(r, 30))
const b = performance.now()
return [typeof a, b - a >= 25, performance.timeOrigin > 1.6e12, Math.abs(performance.timeOrigin + b - Date.now()) < 1000, Object.prototype.toString.call(performance)]`,
		recorded: `["number",true,true,true,"[object Performance]"]`},
}

var bufferCases = []nodeCase{
	{name: "Buffer from and toString", code: `
return [Buffer.from('hello').toString('base64'), Buffer.from('aGVsbG8=', 'base64').toString(), Buffer.from([1, 2, 255]).toString('hex'),
  Buffer.from('€').length, Buffer.from('68656c6c6f', 'hex').toString('utf8'), Buffer.from('hello').toString('base64url')]`,
		recorded: `["aGVsbG8=","hello","0102ff",3,"hello","aGVsbG8"]`},
	{name: "Buffer alloc and concat", code: `return [Buffer.alloc(3, 'a').toString(), Buffer.alloc(2).toString('hex'), Buffer.concat([Buffer.from('a'), Buffer.from('bc')]).toString()]`,
		recorded: `["aaa","0000","abc"]`},
	{name: "Buffer is a Uint8Array", code: `const b = Buffer.from('hi'); return [b instanceof Uint8Array, b instanceof Buffer, b.length, b[0]]`,
		recorded: `[true,true,2,104]`},
	{name: "Buffer reads and writes", code: `
const b = Buffer.alloc(8)
b.writeUInt16BE(0x1234, 0)
b.writeInt32LE(-2, 2)
return [b.readUInt16BE(0), b.readInt32LE(2), b.readUInt8(0), b.toString('hex')]`,
		recorded: `[4660,-2,18,"1234feffffff0000"]`},
	{name: "Buffer equals", code: `return [Buffer.from('a').equals(Buffer.from('a')), Buffer.from('a').equals(Buffer.from('b'))]`,
		recorded: `[true,false]`},
	{name: "Buffer statics", code: `return [Buffer.isBuffer(Buffer.from('a')), Buffer.isBuffer(new Uint8Array(1)), Buffer.byteLength('€'), Buffer.byteLength('aGk=', 'base64'), Buffer.isEncoding('utf8'), Buffer.isEncoding('nope')]`,
		recorded: `[true,false,3,2,true,false]`},
	{name: "Buffer slices are Buffers", code: `const b = Buffer.from('hello'); const s = b.subarray(1, 3); return [s.toString(), Buffer.isBuffer(s), b.slice(3).toString()]`,
		recorded: `["el",true,"lo"]`},
	{name: "Buffer toJSON", code: `return JSON.stringify(Buffer.from('hi'))`,
		recorded: `"{\"type\":\"Buffer\",\"data\":[104,105]}"`},
	{name: "Buffer encodings", code: `
const b = Buffer.from('h\u00e9\u20ac', 'latin1')
return [Array.from(b), b.toString('binary'), Buffer.from('hé', 'ucs2').toString('hex'), Buffer.from('6800e900', 'hex').toString('utf16le'),
  Buffer.from([0xfb, 0xff]).toString('base64url'), Array.from(Buffer.from('-_8', 'base64url')), Buffer.from('Hi', 'UTF8').toString('HEX'),
  Buffer.from([0xe9, 0x41]).toString('ascii'), Buffer.from('hello').toString('latin1', 1, 3)]`,
		recorded: `[[104,233,172],"hé¬","6800e900","hé","-_8",[251,255],"4869","iA","el"]`},
	{name: "Buffer unknown encoding", code: `try { Buffer.from('x', 'nope') } catch (e) { return [e.name, e.message, e.code] }`,
		recorded: `["TypeError","Unknown encoding: nope","ERR_UNKNOWN_ENCODING"]`},
	{name: "Buffer slice is a view", code: `const b = Buffer.from('abc'); b.slice(1)[0] = 0x5a; return [b.toString(), Buffer.compare(Buffer.from('a'), Buffer.from('b')), Buffer.from('b').compare(Buffer.from('a')), Buffer.allocUnsafe(2).length]`,
		recorded: `["aZc",-1,1,2]`},
}

var processCases = []nodeCase{
	{name: "process basics", code: `
return [typeof process, Object.prototype.toString.call(process), process.version.split('.')[0], process.versions.node.split('.')[0], process.platform,
  process.cwd(), Array.isArray(process.argv), typeof process.nextTick, typeof process.hrtime.bigint(), process.hrtime().length, typeof process.uptime()]`,
		recorded: `["object","[object process]","v20","20","linux","/",true,"function","bigint",2,"number"]`},
	{name: "process.nextTick", code: `
const log = []
process.nextTick((a, b) => log.push(a + b), 1, 2)
log.push('sync')
await new Promise(r => setTimeout(r, 1))
return log`,
		recorded: `["sync",3]`},
	{name: "process.nextTick needs a function", code: `try { process.nextTick(1) } catch (e) { return [e.name, e.code] }`,
		recorded: `["TypeError","ERR_INVALID_ARG_TYPE"]`},
	{name: "process.env is strings", code: `process.env.NUM = 1; process.env.U = undefined; return [typeof process.env.NUM, process.env.NUM, process.env.U, delete process.env.NUM, 'NUM' in process.env]`,
		recorded: `["string","1","undefined",true,false]`},
	{name: "process.hrtime difference", code: `const t = process.hrtime(); await new Promise(r => setTimeout(r, 20)); const d = process.hrtime(t); return [d[0] * 1e9 + d[1] >= 15e6, d[1] < 1e9]`,
		recorded: `[true,true]`},
	{name: "global", code: `return [typeof global, global === globalThis, Object.getOwnPropertyDescriptor(globalThis, 'global').enumerable]`,
		recorded: `["object",true,true]`},
	{name: "global names", code: `
return ['process', 'Buffer', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'crypto', 'structuredClone',
  'queueMicrotask', 'AbortController', 'AbortSignal', 'EventTarget', 'Event', 'CustomEvent', 'DOMException', 'performance']
  .map(n => n + ':' + typeof globalThis[n] + ':' + Object.getOwnPropertyDescriptor(globalThis, n).enumerable)`,
		recorded: `["process:object:false","Buffer:function:false","URL:function:false","URLSearchParams:function:false","TextEncoder:function:false","TextDecoder:function:false","atob:function:true","btoa:function:true","crypto:object:true","structuredClone:function:true","queueMicrotask:function:true","AbortController:function:false","AbortSignal:function:false","EventTarget:function:false","Event:function:false","CustomEvent:function:false","DOMException:function:false","performance:object:true"]`},
}

func TestWebGlobalsMatchNode(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cases []nodeCase
	}{
		{"URL", urlCases}, {"text", textCases}, {"crypto", cryptoCases}, {"structuredClone", cloneCases},
		{"events", eventCases}, {"Buffer", bufferCases},
	} {
		t.Run(tc.name, func(t *testing.T) { matchNode(t, tc.cases, nil) })
	}
}

func TestProcessMatchesNode(t *testing.T) {
	matchNode(t, processCases, nil)
}

// process.env is Options.Env: exactly its entries, never the host's
// environment; Node started with the same environment says the same.
func TestProcessEnvComesFromOptionsEnv(t *testing.T) {
	t.Setenv("HOTMOD_HOST_SECRET", "leaked")
	cases := []nodeCase{
		{name: "env", code: `return [Object.keys(process.env).sort(), process.env.FOO, process.env.NODE_ENV, process.env.HOTMOD_HOST_SECRET]`,
			recorded: `[["FOO","NODE_ENV"],"bar","test",null]`},
	}
	env := map[string]string{"FOO": "bar", "NODE_ENV": "test"}
	matchNode(t, cases, env, func(o *hotmod.Options) { o.Env = env })
	// No Env, no entries (and never the host's).
	empty := []nodeCase{{name: "env", code: `return [Object.keys(process.env), process.env.NODE_ENV]`, recorded: `[[],null]`}}
	matchNode(t, empty, nil)
}

// What hotmod's process says of itself, where it differs from a node
// process on purpose: no command line, the store's root as the working
// folder, its own version.
func TestProcessDescribesHotmod(t *testing.T) {
	cases := []nodeCase{{name: "process", code: `return [process.argv, process.cwd(), typeof process.versions.hotmod, process.title, process.release.name]`}}
	got := hotmodAnswers(t, cases)["process"]
	if want := `[[],"/","string","hotmod","node"]`; got != want {
		t.Errorf("process = %s, want %s", got, want)
	}
}

// Under FrozenIntrinsics the platform's globals are frozen with the
// built-ins: no module can replace URL, process.env or a method of a
// platform class for the others, and the platform's objects still work.
func TestPlatformIsFrozenWithTheIntrinsics(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/poison.js": `
const tries = {
  'URL': () => { globalThis.URL = class { constructor() { this.href = 'forged' } } },
  'URL.prototype.toString': () => { URL.prototype.toString = () => 'forged' },
  'URLSearchParams.prototype.get': () => { URLSearchParams.prototype.get = () => 'forged' },
  'process.env.NODE_ENV': () => { process.env.NODE_ENV = 'development' },
  'process.cwd': () => { process.cwd = () => '/forged' },
  'Buffer.from': () => { Buffer.from = () => 'forged' },
  'Buffer.prototype.toString': () => { Buffer.prototype.toString = () => 'forged' },
  'crypto.randomUUID': () => { crypto.randomUUID = () => 'forged' },
  'crypto.subtle.digest': () => { Object.getPrototypeOf(crypto.subtle).digest = () => 'forged' },
  'structuredClone': () => { globalThis.structuredClone = () => 'forged' },
  'TextEncoder.prototype.encode': () => { TextEncoder.prototype.encode = () => 'forged' },
  'AbortController.prototype.abort': () => { AbortController.prototype.abort = () => {} },
  'EventTarget.prototype.dispatchEvent': () => { EventTarget.prototype.dispatchEvent = () => false },
  'performance.now': () => { performance.now = () => 0 },
  'Symbol.asyncIterator': () => { Symbol.asyncIterator = Symbol('forged') },
  'Uint8Array.from': () => { Object.getPrototypeOf(Uint8Array).from = () => 'forged' },
}
const outcome = {}
for (const [name, f] of Object.entries(tries)) {
  try { f(); outcome[name] = 'succeeded' } catch (e) { outcome[name] = e.name }
}
export const report = () => outcome
`,
		"/m/victim.js": `
export const check = () => {
  const u = new URL('https://example.org/a?x=1')
  u.searchParams.append('y', '2')
  const ac = new AbortController()
  let heard = false
  ac.signal.addEventListener('abort', () => { heard = true })
  ac.abort()
  const d = new TextDecoder()
  const text = d.decode(new Uint8Array([0xE2, 0x82]), { stream: true }) + d.decode(new Uint8Array([0xAC]))
  return [String(u), u.searchParams.get('x'), process.env.NODE_ENV, process.cwd(), Buffer.from('hi').toString('hex'),
    heard, text, typeof crypto.randomUUID(), structuredClone(new Map([[1, 2]])).get(1), typeof Symbol.asyncIterator,
    Array.from(Uint8Array.from('12')).join(),
    [URL, URL.prototype, process, process.env, Buffer, Buffer.prototype, crypto, AbortController.prototype, EventTarget.prototype, performance].every(Object.isFrozen)]
}
`,
	}, func(o *hotmod.Options) {
		o.FrozenIntrinsics = true
		o.Env = map[string]string{"NODE_ENV": "production"}
	})
	p := e.create("poison", "/m/poison.js")
	v := e.create("victim", "/m/victim.js")
	for name, outcome := range e.call(p, "report").(map[string]any) {
		if outcome != "TypeError" {
			t.Errorf("%s: %v, want a TypeError", name, outcome)
		}
	}
	got := e.call(v, "check").([]any)
	want := []any{"https://example.org/a?x=1&y=2", "1", "production", "/", "6869", true, "€", "string", int64(2), "symbol", "1,2", true}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("check()[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

// Every realm has the platform: an isolated module's private Runtime too,
// with the same Options.Env.
func TestIsolatedModulesHaveThePlatform(t *testing.T) {
	e := newEnv(t, map[string]string{
		"/m/iso.js": "export const probe = () => [typeof URL, typeof structuredClone, process.env.MODE, new TextEncoder().encode('é').length]",
	}, func(o *hotmod.Options) { o.Env = map[string]string{"MODE": "iso"} })
	m, err := e.rt.CreateModule(e.ctx, "iso", "/m/iso.js", hotmod.Isolated())
	if err != nil {
		t.Fatal(err)
	}
	got := e.call(m, "probe").([]any)
	want := []any{"function", "function", "iso", int64(2)}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("probe()[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}
