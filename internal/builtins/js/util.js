'use strict';
// exports.format is goja_nodejs's; the rest is here.
const custom = Symbol.for('nodejs.util.inspect.custom');
function quote(s) {
	const q = s.includes("'") ? (s.includes('"') ? (s.includes('`') ? "'" : '`') : '"') : "'";
	return q + s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(new RegExp(q, 'g'), '\\' + q) + q;
}
function key(k) {
	if (typeof k === 'symbol') return '[' + k.toString() + ']';
	return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : quote(k);
}
// inspect is a one-line subset of Node's: no colors, no line breaking.
function inspect(value, opts) {
	const depth = opts && opts.depth !== undefined ? (opts.depth === null ? Infinity : opts.depth) : 2;
	const seen = [];
	function fmt(v, level, top) {
		switch (typeof v) {
		case 'string': return top ? quote(v) : quote(v);
		case 'number': return Object.is(v, -0) ? '-0' : String(v);
		case 'bigint': return v + 'n';
		case 'undefined': return 'undefined';
		case 'boolean': return String(v);
		case 'symbol': return v.toString();
		case 'function': {
			const name = v.name ? ': ' + v.name : ' (anonymous)';
			const cls = /^class\b/.test(Function.prototype.toString.call(v));
			const extra = Object.keys(v);
			const base = cls ? '[class ' + (v.name || '(anonymous)') + ']' : '[Function' + name + ']';
			if (extra.length === 0 || level > depth) return base;
			return base + ' ' + props(v, extra, level);
		}
		}
		if (v === null) return 'null';
		if (typeof v[custom] === 'function' && v[custom] !== inspect) {
			const r = v[custom](depth - level, Object.assign({}, opts), inspect);
			return typeof r === 'string' ? r : fmt(r, level);
		}
		if (seen.includes(v)) return '[Circular *1]';
		if (v instanceof Date) return isNaN(v) ? 'Invalid Date' : v.toISOString();
		if (v instanceof RegExp) return String(v);
		if (v instanceof Error) return v.stack || String(v);
		if (typeof v.then === 'function' && v instanceof Promise) return 'Promise { <unknown> }';
		const ctor = v.constructor && v.constructor.name;
		if (level > depth) return Array.isArray(v) ? '[Array]' : '[' + (ctor || 'Object') + ']';
		seen.push(v);
		try {
			if (Array.isArray(v)) {
				const items = v.map((x) => fmt(x, level + 1));
				const extra = Object.keys(v).filter((k) => !/^\d+$/.test(k));
				for (const k of extra) items.push(key(k) + ': ' + fmt(v[k], level + 1));
				return items.length ? '[ ' + items.join(', ') + ' ]' : '[]';
			}
			if (v instanceof Map) {
				const items = [...v].map(([k, x]) => fmt(k, level + 1) + ' => ' + fmt(x, level + 1));
				return 'Map(' + v.size + ') ' + (items.length ? '{ ' + items.join(', ') + ' }' : '{}');
			}
			if (v instanceof Set) {
				const items = [...v].map((x) => fmt(x, level + 1));
				return 'Set(' + v.size + ') ' + (items.length ? '{ ' + items.join(', ') + ' }' : '{}');
			}
			if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
				const items = Array.from(v, (x) => fmt(x, level + 1));
				return ctor + '(' + v.length + ') ' + (items.length ? '[ ' + items.join(', ') + ' ]' : '[]');
			}
			const keys = Object.keys(v).concat(Object.getOwnPropertySymbols(v).filter((s) => Object.prototype.propertyIsEnumerable.call(v, s)));
			const proto = Object.getPrototypeOf(v);
			const prefix = proto === null ? '[Object: null prototype] ' : ctor && ctor !== 'Object' ? ctor + ' ' : '';
			return prefix + props(v, keys, level);
		} finally {
			seen.pop();
		}
	}
	function props(v, keys, level) {
		if (keys.length === 0) return '{}';
		return '{ ' + keys.map((k) => key(k) + ': ' + fmt(v[k], level + 1)).join(', ') + ' }';
	}
	return fmt(value, 0, true);
}
inspect.custom = custom;
inspect.defaultOptions = { depth: 2 };
exports.inspect = inspect;

exports.inherits = function inherits(ctor, superCtor) {
	Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
	Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
};
const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');
exports.promisify = function promisify(original) {
	if (typeof original !== 'function') {
		const e = new TypeError('The "original" argument must be of type function');
		e.code = 'ERR_INVALID_ARG_TYPE';
		throw e;
	}
	if (original[kCustomPromisify]) return original[kCustomPromisify];
	function fn(...args) {
		return new Promise((resolve, reject) => {
			original.call(this, ...args, (err, ...values) => (err ? reject(err) : resolve(values[0])));
		});
	}
	Object.setPrototypeOf(fn, Object.getPrototypeOf(original));
	Object.defineProperty(fn, kCustomPromisify, { value: fn, configurable: true });
	return fn;
};
exports.promisify.custom = kCustomPromisify;
exports.callbackify = function callbackify(original) {
	return function (...args) {
		const cb = args.pop();
		original.apply(this, args).then((v) => cb(null, v), (e) => cb(e));
	};
};
exports.deprecate = function deprecate(fn) { return fn; }; // hotmod has no process warnings

function isDeepStrictEqual(a, b, strict = true, memo = []) {
	if (strict ? Object.is(a, b) : a == b || (a !== a && b !== b)) return true;
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
		return false;
	}
	if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
	const tag = Object.prototype.toString.call(a);
	if (tag !== Object.prototype.toString.call(b)) return false;
	if (Array.isArray(a) !== Array.isArray(b)) return false;
	if (a instanceof Date) { if (a.getTime() !== b.getTime()) return false; }
	else if (a instanceof RegExp) { if (String(a) !== String(b) || a.lastIndex !== b.lastIndex) return false; }
	else if (a instanceof Error) { if (a.message !== b.message || a.name !== b.name) return false; }
	else if (strict && (a instanceof Number || a instanceof String || a instanceof Boolean)) { if (!Object.is(a.valueOf(), b.valueOf())) return false; }
	for (const [x, y] of memo) if (x === a && y === b) return true;
	memo = memo.concat([[a, b]]);
	if (ArrayBuffer.isView(a)) {
		if (a.length !== b.length) return false;
		for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(!strict && a[i] == b[i])) return false;
	}
	if (a instanceof Set) {
		if (a.size !== b.size) return false;
		outer: for (const x of a) {
			if (b.has(x)) continue;
			if (typeof x !== 'object' || x === null) return false;
			for (const y of b) if (isDeepStrictEqual(x, y, strict, memo)) continue outer;
			return false;
		}
	}
	if (a instanceof Map) {
		if (a.size !== b.size) return false;
		for (const [k, v] of a) {
			if (!b.has(k) || !isDeepStrictEqual(v, b.get(k), strict, memo)) return false;
		}
	}
	const ka = Object.keys(a), kb = Object.keys(b);
	if (ka.length !== kb.length) return false;
	for (const k of ka) {
		if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
		if (!isDeepStrictEqual(a[k], b[k], strict, memo)) return false;
	}
	if (strict) {
		const sa = Object.getOwnPropertySymbols(a).filter((s) => Object.prototype.propertyIsEnumerable.call(a, s));
		const sb = Object.getOwnPropertySymbols(b).filter((s) => Object.prototype.propertyIsEnumerable.call(b, s));
		if (sa.length !== sb.length) return false;
		for (const s of sa) if (!isDeepStrictEqual(a[s], b[s], strict, memo)) return false;
	}
	return true;
}
exports.isDeepStrictEqual = (a, b) => isDeepStrictEqual(a, b, true);
Object.defineProperty(exports, '_isDeepEqual', { value: isDeepStrictEqual }); // for assert

const tag = (v) => Object.prototype.toString.call(v);
exports.types = {
	isDate: (v) => v instanceof Date,
	isRegExp: (v) => v instanceof RegExp,
	isPromise: (v) => v instanceof Promise,
	isMap: (v) => v instanceof Map,
	isSet: (v) => v instanceof Set,
	isWeakMap: (v) => v instanceof WeakMap,
	isWeakSet: (v) => v instanceof WeakSet,
	isNativeError: (v) => v instanceof Error,
	isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
	isUint8Array: (v) => v instanceof Uint8Array,
	isArrayBuffer: (v) => v instanceof ArrayBuffer,
	isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer),
	isDataView: (v) => v instanceof DataView,
	isGeneratorFunction: (v) => tag(v) === '[object GeneratorFunction]' || tag(v) === '[object AsyncGeneratorFunction]',
	isAsyncFunction: (v) => tag(v) === '[object AsyncFunction]' || tag(v) === '[object AsyncGeneratorFunction]',
	isBoxedPrimitive: (v) => v instanceof Number || v instanceof String || v instanceof Boolean,
};
exports.isArray = Array.isArray;
if (typeof TextEncoder !== 'undefined') exports.TextEncoder = TextEncoder;
if (typeof TextDecoder !== 'undefined') exports.TextDecoder = TextDecoder;
