'use strict';
// Node's path.posix, abridged from Node's lib/path.js.
function check(p, name) {
	if (typeof p !== 'string') {
		const e = new TypeError('The "' + (name || 'path') + '" argument must be of type string. Received ' + (p === null ? 'null' : typeof p));
		e.code = 'ERR_INVALID_ARG_TYPE';
		throw e;
	}
}
function normalizeString(path, allowAboveRoot) {
	let res = '';
	let lastSegmentLength = 0;
	let lastSlash = -1;
	let dots = 0;
	let code;
	for (let i = 0; i <= path.length; ++i) {
		if (i < path.length) code = path[i];
		else if (code === '/') break;
		else code = '/';
		if (code === '/') {
			if (lastSlash === i - 1 || dots === 1) {
				// nothing
			} else if (dots === 2) {
				if (res.length < 2 || lastSegmentLength !== 2 || !res.endsWith('..')) {
					if (res.length > 2) {
						const idx = res.lastIndexOf('/');
						if (idx === -1) { res = ''; lastSegmentLength = 0; } else { res = res.slice(0, idx); lastSegmentLength = res.length - 1 - res.lastIndexOf('/'); }
						lastSlash = i; dots = 0; continue;
					} else if (res.length !== 0) {
						res = ''; lastSegmentLength = 0; lastSlash = i; dots = 0; continue;
					}
				}
				if (allowAboveRoot) { res += res.length > 0 ? '/..' : '..'; lastSegmentLength = 2; }
			} else {
				if (res.length > 0) res += '/' + path.slice(lastSlash + 1, i);
				else res = path.slice(lastSlash + 1, i);
				lastSegmentLength = i - lastSlash - 1;
			}
			lastSlash = i; dots = 0;
		} else if (code === '.' && dots !== -1) {
			++dots;
		} else {
			dots = -1;
		}
	}
	return res;
}
const posix = {
	sep: '/',
	delimiter: ':',
	resolve(...args) {
		let resolved = '';
		let abs = false;
		for (let i = args.length - 1; i >= -1 && !abs; i--) {
			const p = i >= 0 ? args[i] : '/'; // hotmod's store has no working directory: its root
			check(p, 'paths[' + i + ']');
			if (p.length === 0) continue;
			resolved = p + '/' + resolved;
			abs = p[0] === '/';
		}
		resolved = normalizeString(resolved, !abs);
		if (abs) return '/' + resolved;
		return resolved.length > 0 ? resolved : '.';
	},
	normalize(p) {
		check(p);
		if (p.length === 0) return '.';
		const abs = p[0] === '/';
		const trailing = p[p.length - 1] === '/';
		p = normalizeString(p, !abs);
		if (p.length === 0) { if (abs) return '/'; return trailing ? './' : '.'; }
		if (trailing) p += '/';
		return abs ? '/' + p : p;
	},
	isAbsolute(p) { check(p); return p.length > 0 && p[0] === '/'; },
	join(...args) {
		if (args.length === 0) return '.';
		let joined;
		for (const a of args) { check(a); if (a.length > 0) joined = joined === undefined ? a : joined + '/' + a; }
		return joined === undefined ? '.' : posix.normalize(joined);
	},
	relative(from, to) {
		check(from, 'from'); check(to, 'to');
		if (from === to) return '';
		from = posix.resolve(from); to = posix.resolve(to);
		if (from === to) return '';
		const fromStart = 1, fromEnd = from.length, fromLen = fromEnd - fromStart;
		const toStart = 1, toLen = to.length - toStart;
		const length = fromLen < toLen ? fromLen : toLen;
		let lastCommonSep = -1;
		let i = 0;
		for (; i < length; i++) {
			const c = from[fromStart + i];
			if (c !== to[toStart + i]) break;
			else if (c === '/') lastCommonSep = i;
		}
		if (i === length) {
			if (toLen > length) {
				if (to[toStart + i] === '/') return to.slice(toStart + i + 1);
				if (i === 0) return to.slice(toStart + i);
			} else if (fromLen > length) {
				if (from[fromStart + i] === '/') lastCommonSep = i;
				else if (i === 0) lastCommonSep = 0;
			}
		}
		let out = '';
		for (i = fromStart + lastCommonSep + 1; i <= fromEnd; ++i) {
			if (i === fromEnd || from[i] === '/') out += out.length === 0 ? '..' : '/..';
		}
		return out + to.slice(toStart + lastCommonSep);
	},
	toNamespacedPath(p) { return p; },
	dirname(p) {
		check(p);
		if (p.length === 0) return '.';
		const hasRoot = p[0] === '/';
		let end = -1, matchedSlash = true;
		for (let i = p.length - 1; i >= 1; --i) {
			if (p[i] === '/') { if (!matchedSlash) { end = i; break; } } else matchedSlash = false;
		}
		if (end === -1) return hasRoot ? '/' : '.';
		if (hasRoot && end === 1) return '//';
		return p.slice(0, end);
	},
	basename(p, suffix) {
		if (suffix !== undefined) check(suffix, 'ext');
		check(p);
		let start = 0, end = -1, matchedSlash = true;
		if (suffix !== undefined && suffix.length > 0 && suffix.length <= p.length) {
			if (suffix === p) return '';
			let extIdx = suffix.length - 1, firstNonSlashEnd = -1;
			for (let i = p.length - 1; i >= 0; --i) {
				const c = p[i];
				if (c === '/') { if (!matchedSlash) { start = i + 1; break; } } else {
					if (firstNonSlashEnd === -1) { matchedSlash = false; firstNonSlashEnd = i + 1; }
					if (extIdx >= 0) {
						if (c === suffix[extIdx]) { if (--extIdx === -1) end = i; } else { extIdx = -1; end = firstNonSlashEnd; }
					}
				}
			}
			if (start === end) end = firstNonSlashEnd; else if (end === -1) end = p.length;
			return p.slice(start, end);
		}
		for (let i = p.length - 1; i >= 0; --i) {
			if (p[i] === '/') { if (!matchedSlash) { start = i + 1; break; } } else if (end === -1) { matchedSlash = false; end = i + 1; }
		}
		if (end === -1) return '';
		return p.slice(start, end);
	},
	extname(p) {
		check(p);
		let startDot = -1, startPart = 0, end = -1, matchedSlash = true, preDotState = 0;
		for (let i = p.length - 1; i >= 0; --i) {
			const c = p[i];
			if (c === '/') { if (!matchedSlash) { startPart = i + 1; break; } continue; }
			if (end === -1) { matchedSlash = false; end = i + 1; }
			if (c === '.') { if (startDot === -1) startDot = i; else if (preDotState !== 1) preDotState = 1; } else if (startDot !== -1) preDotState = -1;
		}
		if (startDot === -1 || end === -1 || preDotState === 0 || (preDotState === 1 && startDot === end - 1 && startDot === startPart + 1)) return '';
		return p.slice(startDot, end);
	},
	format(o) {
		if (o === null || typeof o !== 'object') {
			const e = new TypeError('The "pathObject" argument must be of type object. Received ' + (o === null ? 'null' : typeof o));
			e.code = 'ERR_INVALID_ARG_TYPE';
			throw e;
		}
		const dir = o.dir || o.root;
		const base = o.base || ((o.name || '') + (o.ext ? (o.ext[0] === '.' ? '' : '.') + o.ext : ''));
		if (!dir) return base;
		return dir === o.root ? dir + base : dir + '/' + base;
	},
	parse(p) {
		check(p);
		const ret = { root: '', dir: '', base: '', ext: '', name: '' };
		if (p.length === 0) return ret;
		const isAbsolute = p[0] === '/';
		let start;
		if (isAbsolute) { ret.root = '/'; start = 1; } else start = 0;
		let startDot = -1, startPart = 0, end = -1, matchedSlash = true, i = p.length - 1, preDotState = 0;
		for (; i >= start; --i) {
			const c = p[i];
			if (c === '/') { if (!matchedSlash) { startPart = i + 1; break; } continue; }
			if (end === -1) { matchedSlash = false; end = i + 1; }
			if (c === '.') { if (startDot === -1) startDot = i; else if (preDotState !== 1) preDotState = 1; } else if (startDot !== -1) preDotState = -1;
		}
		if (end !== -1) {
			const s = startPart === 0 && isAbsolute ? 1 : startPart;
			if (startDot === -1 || preDotState === 0 || (preDotState === 1 && startDot === end - 1 && startDot === startPart + 1)) {
				ret.base = ret.name = p.slice(s, end);
			} else {
				ret.name = p.slice(s, startDot);
				ret.base = p.slice(s, end);
				ret.ext = p.slice(startDot, end);
			}
		}
		if (startPart > 0) ret.dir = p.slice(0, startPart - 1); else if (isAbsolute) ret.dir = '/';
		return ret;
	},
};
posix.posix = posix;
posix.win32 = null; // not provided: hotmod's store paths are posix
module.exports = posix;
