'use strict';
// goja_nodejs's Buffer has from, alloc, concat and the prototype's
// toString, equals, read* and write*; the statics packages often use are
// added here.
// exports.Buffer is the realm's global Buffer when it has one (see
// builtins.NewSet), else goja_nodejs's own.
const Buffer = exports.Buffer;
const encodings = ['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'ascii', 'latin1', 'binary', 'ucs2', 'ucs-2', 'utf16le', 'utf-16le'];
// Under frozen intrinsics goja_nodejs's Buffer.from = ... fails silently:
// %TypedArray%.from, which Buffer inherits, is read-only. The constructor
// does what from does.
if (!Object.prototype.hasOwnProperty.call(Buffer, 'from')) {
	Object.defineProperty(Buffer, 'from', { value: function from(value, encOrOffset, length) { return new Buffer(value, encOrOffset, length); }, writable: true, enumerable: true, configurable: true });
}
const define = (o, name, fn) => { if (!(name in o)) Object.defineProperty(o, name, { value: fn, writable: true, configurable: true }); };
define(Buffer, 'isBuffer', function isBuffer(b) { return b instanceof Buffer; });
define(Buffer, 'isEncoding', function isEncoding(e) { return typeof e === 'string' && e.length > 0 && encodings.includes(e.toLowerCase()); });
define(Buffer, 'byteLength', function byteLength(s, enc) {
	if (typeof s !== 'string') return s.byteLength;
	return Buffer.from(s, enc).length;
});
define(Buffer, 'allocUnsafe', function allocUnsafe(n) { return Buffer.alloc(n); });
define(Buffer, 'allocUnsafeSlow', function allocUnsafeSlow(n) { return Buffer.alloc(n); });
function compare(a, b) {
	const n = Math.min(a.length, b.length);
	for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
	return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
define(Buffer, 'compare', compare);
define(Buffer.prototype, 'compare', function (other) { return compare(this, other); });
define(Buffer.prototype, 'toJSON', function toJSON() { return { type: 'Buffer', data: Array.from(this) }; });
define(Buffer.prototype, 'slice', function slice(start, end) { return this.subarray(start, end); });
exports.kMaxLength = 2 ** 32;
exports.constants = { MAX_LENGTH: exports.kMaxLength, MAX_STRING_LENGTH: 2 ** 29 - 24 };
