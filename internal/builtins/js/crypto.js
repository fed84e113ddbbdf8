'use strict';
const { Buffer } = require('buffer');

function toU8(data, enc, what) {
	if (typeof data === 'string') data = Buffer.from(data, enc || 'utf8');
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	const err = new TypeError('The "' + what + '" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ' + (data === null ? 'null' : typeof data));
	err.code = 'ERR_INVALID_ARG_TYPE';
	throw err;
}
function ab(u8) { return u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength); }

class Hash {
	constructor(alg, key) {
		const st = internal.newHash(String(alg), key === undefined ? undefined : ab(toU8(key, 'utf8', 'key')));
		if (st === null) {
			const err = new Error(key === undefined ? 'Digest method not supported' : 'Invalid digest: ' + alg);
			if (key !== undefined) { err.name = 'TypeError'; err.code = 'ERR_CRYPTO_INVALID_DIGEST'; } else err.code = 'ERR_OSSL_EVP_UNSUPPORTED';
			throw err;
		}
		this._st = st;
		this._done = false;
	}
	update(data, enc) {
		if (this._done) { const e = new Error('Digest already called'); e.code = 'ERR_CRYPTO_HASH_FINALIZED'; throw e; }
		this._st.update(ab(toU8(data, enc, 'data')));
		return this;
	}
	digest(enc) {
		if (this._done) { const e = new Error('Digest already called'); e.code = 'ERR_CRYPTO_HASH_FINALIZED'; throw e; }
		this._done = true;
		const b = Buffer.from(this._st.digest());
		return enc === undefined || enc === 'buffer' ? b : b.toString(enc);
	}
}
class Hmac extends Hash {}

exports.createHash = (alg) => new Hash(alg);
exports.createHmac = (alg, key) => new Hmac(alg, key);
exports.Hash = Hash;
exports.Hmac = Hmac;
exports.getHashes = () => internal.hashes();
exports.randomBytes = function randomBytes(size, cb) {
	if (typeof size !== 'number' || !(size >= 0) || size % 1 !== 0) {
		const e = new RangeError('The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ' + size);
		e.code = 'ERR_OUT_OF_RANGE';
		throw e;
	}
	const b = Buffer.from(internal.random(size));
	if (typeof cb === 'function') { Promise.resolve().then(() => cb(null, b)); return; }
	return b;
};
exports.randomUUID = () => internal.uuid();
exports.getRandomValues = function getRandomValues(ta) {
	if (!ArrayBuffer.isView(ta) || ta instanceof Float32Array || ta instanceof Float64Array || ta instanceof DataView) {
		const e = new TypeError('The data argument must be an integer-type TypedArray');
		e.code = 'ERR_INVALID_ARG_TYPE';
		e.name = 'TypeMismatchError';
		throw e;
	}
	if (ta.byteLength > 65536) {
		const e = new Error("The ArrayBufferView's byte length (" + ta.byteLength + ') exceeds the number of bytes of entropy available via this API (65536)');
		e.name = 'QuotaExceededError';
		throw e;
	}
	new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength).set(new Uint8Array(internal.random(ta.byteLength)));
	return ta;
};
exports.randomFillSync = function randomFillSync(buf, offset, size) {
	const u8 = toU8(buf, undefined, 'buf');
	offset = offset === undefined ? 0 : offset;
	size = size === undefined ? u8.byteLength - offset : size;
	u8.set(new Uint8Array(internal.random(size)), offset);
	return buf;
};
exports.randomInt = function randomInt(min, max, cb) {
	if (max === undefined || typeof max === 'function') { cb = max; max = min; min = 0; }
	if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min > 2 ** 48 - 1) {
		const e = new RangeError('The value of "max" is out of range. It must be greater than the value of "min" (' + min + ') and at most 2^48-1 above it. Received ' + max);
		e.code = 'ERR_OUT_OF_RANGE';
		throw e;
	}
	const range = max - min;
	const limit = 2 ** 48 - (2 ** 48 % range);
	let x;
	do {
		const b = new Uint8Array(internal.random(6));
		x = ((b[0] * 256 + b[1]) * 256 + b[2]) * 2 ** 24 + ((b[3] * 256 + b[4]) * 256 + b[5]);
	} while (x >= limit);
	const n = min + (x % range);
	if (typeof cb === 'function') { Promise.resolve().then(() => cb(null, n)); return; }
	return n;
};
exports.webcrypto = { getRandomValues: exports.getRandomValues, randomUUID: exports.randomUUID };
