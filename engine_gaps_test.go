package hotmod_test

import "testing"

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
