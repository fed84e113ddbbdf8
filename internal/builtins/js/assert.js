'use strict';
const util = require('util');
const deepEqual = util._isDeepEqual;

class AssertionError extends Error {
	constructor(options) {
		const { message, actual, expected, operator } = options || {};
		super(message !== undefined ? String(message) : util.inspect(actual) + ' ' + operator + ' ' + util.inspect(expected));
		this.generatedMessage = message === undefined;
		this.code = 'ERR_ASSERTION';
		this.actual = actual;
		this.expected = expected;
		this.operator = operator;
	}
	get name() { return 'AssertionError'; }
}
function fail(actual, expected, message, operator, defaultMessage) {
	if (message instanceof Error) throw message;
	const err = new AssertionError({ message: message !== undefined ? message : defaultMessage, actual, expected, operator });
	if (message === undefined) err.generatedMessage = true;
	throw err;
}
function ok(value, message) {
	if (!value) fail(value, true, message, '==', arguments.length === 0 ? 'No value argument passed to `assert.ok()`' : 'The expression evaluated to a falsy value:\n\n  assert.ok(' + util.inspect(value) + ')\n');
}
function make(strict) {
	const assert = function assert(value, message) { ok.apply(null, arguments); };
	assert.ok = function (value, message) { ok.apply(null, arguments); };
	assert.AssertionError = AssertionError;
	assert.fail = function (message) {
		if (message instanceof Error) throw message;
		throw new AssertionError({ message: message === undefined ? 'Failed' : message, operator: 'fail' });
	};
	assert.equal = function equal(a, b, m) { if (!(a == b || (a !== a && b !== b))) fail(a, b, m, '==', util.inspect(a) + ' == ' + util.inspect(b)); };
	assert.notEqual = function notEqual(a, b, m) { if (a == b || (a !== a && b !== b)) fail(a, b, m, '!=', util.inspect(a) + ' != ' + util.inspect(b)); };
	assert.strictEqual = function strictEqual(a, b, m) { if (!Object.is(a, b)) fail(a, b, m, 'strictEqual', 'Expected values to be strictly equal:\n\n' + util.inspect(a) + ' !== ' + util.inspect(b) + '\n'); };
	assert.notStrictEqual = function notStrictEqual(a, b, m) { if (Object.is(a, b)) fail(a, b, m, 'notStrictEqual', 'Expected "actual" to be strictly unequal to: ' + util.inspect(b)); };
	assert.deepEqual = function deepEqualFn(a, b, m) { if (!deepEqual(a, b, strict)) fail(a, b, m, strict ? 'deepStrictEqual' : 'deepEqual', 'Expected values to be ' + (strict ? 'strictly' : 'loosely') + ' deep-equal:\n\n' + util.inspect(a) + '\n\nshould equal\n\n' + util.inspect(b)); };
	assert.notDeepEqual = function notDeepEqual(a, b, m) { if (deepEqual(a, b, strict)) fail(a, b, m, strict ? 'notDeepStrictEqual' : 'notDeepEqual', '"actual" deepEqual "expected"'); };
	assert.deepStrictEqual = function deepStrictEqual(a, b, m) { if (!deepEqual(a, b, true)) fail(a, b, m, 'deepStrictEqual', 'Expected values to be strictly deep-equal:\n\n' + util.inspect(a) + '\n\nshould equal\n\n' + util.inspect(b)); };
	assert.notDeepStrictEqual = function notDeepStrictEqual(a, b, m) { if (deepEqual(a, b, true)) fail(a, b, m, 'notDeepStrictEqual', 'Expected "actual" not to be strictly deep-equal to: ' + util.inspect(b)); };
	if (strict) {
		assert.equal = assert.strictEqual;
		assert.notEqual = assert.notStrictEqual;
	}
	function matches(err, expected, m, op) {
		if (expected === undefined) return;
		if (typeof expected === 'function') {
			if (expected.prototype !== undefined && err instanceof expected) return;
			if (Error.isPrototypeOf(expected) || expected === Error) fail(err, expected, m, op, 'The error is expected to be an instance of "' + expected.name + '". Received "' + (err && err.constructor && err.constructor.name) + '"');
			if (expected.call({}, err) === true) return;
			fail(err, expected, m, op, 'The validation function is expected to return "true". Received false');
		}
		if (expected instanceof RegExp) {
			if (expected.test(String(err))) return;
			fail(err, expected, m, op, 'The input did not match the regular expression ' + String(expected) + '. Input:\n\n' + util.inspect(String(err)) + '\n');
		}
		if (typeof expected === 'object' && expected !== null) {
			for (const k of Object.keys(expected)) {
				const want = expected[k];
				const got = err == null ? undefined : err[k];
				if (want instanceof RegExp && typeof got === 'string' ? !want.test(got) : !deepEqual(got, want, true)) {
					fail(err, expected, m, op, 'Expected values to be strictly deep-equal: ' + k + ': ' + util.inspect(got) + ' !== ' + util.inspect(want));
				}
			}
		}
	}
	assert.throws = function throws(fn, expected, m) {
		if (typeof expected === 'string') { m = expected; expected = undefined; }
		try { fn(); } catch (err) { matches(err, expected, m, 'throws'); return; }
		fail(undefined, expected, m, 'throws', 'Missing expected exception' + (expected && expected.name ? ' (' + expected.name + ').' : '.'));
	};
	assert.doesNotThrow = function doesNotThrow(fn, expected, m) {
		try { fn(); } catch (err) { fail(err, expected, typeof expected === 'string' ? expected : m, 'doesNotThrow', 'Got unwanted exception.\nActual message: "' + (err && err.message) + '"'); }
	};
	assert.rejects = async function rejects(p, expected, m) {
		if (typeof expected === 'string') { m = expected; expected = undefined; }
		try { await (typeof p === 'function' ? p() : p); } catch (err) { matches(err, expected, m, 'rejects'); return; }
		fail(undefined, expected, m, 'rejects', 'Missing expected rejection' + (expected && expected.name ? ' (' + expected.name + ').' : '.'));
	};
	assert.doesNotReject = async function doesNotReject(p, expected, m) {
		try { await (typeof p === 'function' ? p() : p); } catch (err) { fail(err, expected, m, 'doesNotReject', 'Got unwanted rejection.\nActual message: "' + (err && err.message) + '"'); }
	};
	assert.match = function match(s, re, m) { if (!re.test(s)) fail(s, re, m, 'match', 'The input did not match the regular expression ' + String(re) + '. Input:\n\n' + util.inspect(s) + '\n'); };
	assert.doesNotMatch = function doesNotMatch(s, re, m) { if (re.test(s)) fail(s, re, m, 'doesNotMatch', 'The input was expected to not match the regular expression ' + String(re) + '. Input:\n\n' + util.inspect(s) + '\n'); };
	assert.ifError = function ifError(err) { if (err !== null && err !== undefined) throw err; };
	return assert;
}
const assert = make(false);
assert.strict = make(true);
assert.strict.strict = assert.strict;
module.exports = assert;
