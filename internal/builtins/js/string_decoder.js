'use strict';
const { Buffer } = require('buffer');
// StringDecoder: UTF-8 keeps an incomplete trailing character for the next
// write; other encodings decode each chunk whole.
function normalize(enc) {
	const e = String(enc === undefined || enc === null ? 'utf8' : enc).toLowerCase();
	if (e === 'utf-8' || e === 'utf8') return 'utf8';
	if (Buffer.isEncoding && !Buffer.isEncoding(e)) {
		const err = new TypeError('Unknown encoding: ' + enc);
		err.code = 'ERR_UNKNOWN_ENCODING';
		throw err;
	}
	return e;
}
function incomplete(u8) {
	// how many trailing bytes start a UTF-8 character not yet whole
	for (let back = 1; back <= 3 && back <= u8.length; back++) {
		const c = u8[u8.length - back];
		if ((c & 0xc0) === 0x80) continue; // continuation
		const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? back : 0;
	}
	return 0;
}
class StringDecoder {
	constructor(encoding) {
		this.encoding = normalize(encoding);
		this._pending = new Uint8Array(0);
	}
	write(buf) {
		if (typeof buf === 'string') return buf;
		const chunk = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
		let all = chunk;
		if (this._pending.length) {
			all = new Uint8Array(this._pending.length + chunk.length);
			all.set(this._pending);
			all.set(chunk, this._pending.length);
		}
		if (this.encoding !== 'utf8') return Buffer.from(all).toString(this.encoding);
		const keep = incomplete(all);
		this._pending = all.slice(all.length - keep);
		return Buffer.from(all.subarray(0, all.length - keep)).toString('utf8');
	}
	end(buf) {
		let out = buf === undefined ? '' : this.write(buf);
		if (this._pending.length) { out += '\ufffd'; this._pending = new Uint8Array(0); }
		return out;
	}
}
exports.StringDecoder = StringDecoder;
