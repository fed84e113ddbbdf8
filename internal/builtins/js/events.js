'use strict';
// Node's EventEmitter, the synchronous core.
const kCapture = Symbol('kCapture');
function checkListener(l) {
	if (typeof l !== 'function') {
		const e = new TypeError('The "listener" argument must be of type function. Received ' + (l === null ? 'null' : typeof l));
		e.code = 'ERR_INVALID_ARG_TYPE';
		throw e;
	}
}
function EventEmitter(opts) {
	EventEmitter.init.call(this, opts);
}
EventEmitter.prototype._events = undefined;
EventEmitter.prototype._eventsCount = 0;
EventEmitter.prototype._maxListeners = undefined;
let defaultMaxListeners = 10;
Object.defineProperty(EventEmitter, 'defaultMaxListeners', {
	enumerable: true,
	get() { return defaultMaxListeners; },
	set(n) { defaultMaxListeners = n; },
});
EventEmitter.errorMonitor = Symbol('events.errorMonitor');
EventEmitter.captureRejectionSymbol = Symbol.for('nodejs.rejection');
EventEmitter.init = function (opts) {
	if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
		this._events = Object.create(null);
		this._eventsCount = 0;
	}
	this._maxListeners = this._maxListeners || undefined;
	this[kCapture] = !!(opts && opts.captureRejections);
};
EventEmitter.prototype.setMaxListeners = function setMaxListeners(n) {
	if (typeof n !== 'number' || n < 0 || Number.isNaN(n)) {
		const e = new RangeError('The value of "n" is out of range. It must be a non-negative number. Received ' + n);
		e.code = 'ERR_OUT_OF_RANGE';
		throw e;
	}
	this._maxListeners = n;
	return this;
};
EventEmitter.prototype.getMaxListeners = function getMaxListeners() {
	return this._maxListeners === undefined ? defaultMaxListeners : this._maxListeners;
};
EventEmitter.prototype.emit = function emit(type, ...args) {
	const events = this._events;
	if (type === 'error' && events !== undefined && events[EventEmitter.errorMonitor] !== undefined) {
		this.emit(EventEmitter.errorMonitor, ...args);
	}
	const handler = events === undefined ? undefined : events[type];
	if (handler === undefined) {
		if (type === 'error') {
			const er = args[0];
			if (er instanceof Error) throw er;
			const err = new Error('Unhandled error.' + (er === undefined ? '' : ' (' + String(er) + ')'));
			err.code = 'ERR_UNHANDLED_ERROR';
			err.context = er;
			throw err;
		}
		return false;
	}
	if (typeof handler === 'function') {
		handler.apply(this, args);
	} else {
		for (const l of handler.slice()) l.apply(this, args);
	}
	return true;
};
function addListener(target, type, listener, prepend) {
	checkListener(listener);
	let events = target._events;
	if (events === undefined) {
		events = target._events = Object.create(null);
		target._eventsCount = 0;
	} else if (events.newListener !== undefined) {
		target.emit('newListener', type, listener.listener ? listener.listener : listener);
		events = target._events;
	}
	const existing = events[type];
	if (existing === undefined) {
		events[type] = listener;
		++target._eventsCount;
	} else {
		if (typeof existing === 'function') events[type] = prepend ? [listener, existing] : [existing, listener];
		else if (prepend) existing.unshift(listener);
		else existing.push(listener);
		const m = target.getMaxListeners();
		const list = events[type];
		if (m > 0 && list.length > m && !list.warned) {
			list.warned = true; // Node prints a MaxListenersExceededWarning; hotmod has no process warnings
		}
	}
	return target;
}
EventEmitter.prototype.addListener = function (type, listener) { return addListener(this, type, listener, false); };
EventEmitter.prototype.on = EventEmitter.prototype.addListener;
EventEmitter.prototype.prependListener = function (type, listener) { return addListener(this, type, listener, true); };
function onceWrapper(target, type, listener) {
	const state = { fired: false, target, type, listener };
	const wrapped = function (...args) {
		if (!state.fired) {
			state.target.removeListener(state.type, wrapped);
			state.fired = true;
			return state.listener.apply(state.target, args);
		}
	};
	wrapped.listener = listener;
	return wrapped;
}
EventEmitter.prototype.once = function once(type, listener) {
	checkListener(listener);
	this.on(type, onceWrapper(this, type, listener));
	return this;
};
EventEmitter.prototype.prependOnceListener = function (type, listener) {
	checkListener(listener);
	this.prependListener(type, onceWrapper(this, type, listener));
	return this;
};
EventEmitter.prototype.removeListener = function removeListener(type, listener) {
	checkListener(listener);
	const events = this._events;
	if (events === undefined) return this;
	const list = events[type];
	if (list === undefined) return this;
	if (list === listener || list.listener === listener) {
		if (--this._eventsCount === 0) this._events = Object.create(null);
		else delete events[type];
		if (events.removeListener) this.emit('removeListener', type, list.listener || listener);
	} else if (typeof list !== 'function') {
		let pos = -1;
		for (let i = list.length - 1; i >= 0; i--) {
			if (list[i] === listener || list[i].listener === listener) { pos = i; break; }
		}
		if (pos < 0) return this;
		const [removed] = list.splice(pos, 1);
		if (list.length === 1) events[type] = list[0];
		if (events.removeListener !== undefined) this.emit('removeListener', type, removed.listener || listener);
	}
	return this;
};
EventEmitter.prototype.off = EventEmitter.prototype.removeListener;
EventEmitter.prototype.removeAllListeners = function removeAllListeners(type) {
	const events = this._events;
	if (events === undefined) return this;
	if (events.removeListener === undefined) {
		if (arguments.length === 0) { this._events = Object.create(null); this._eventsCount = 0; }
		else if (events[type] !== undefined) {
			if (--this._eventsCount === 0) this._events = Object.create(null); else delete events[type];
		}
		return this;
	}
	if (arguments.length === 0) {
		for (const key of Reflect.ownKeys(events)) {
			if (key === 'removeListener') continue;
			this.removeAllListeners(key);
		}
		this.removeAllListeners('removeListener');
		this._events = Object.create(null);
		this._eventsCount = 0;
		return this;
	}
	const listeners = events[type];
	if (typeof listeners === 'function') this.removeListener(type, listeners);
	else if (listeners !== undefined) for (let i = listeners.length - 1; i >= 0; i--) this.removeListener(type, listeners[i]);
	return this;
};
function listeners(target, type, unwrap) {
	const events = target._events;
	if (events === undefined) return [];
	const l = events[type];
	if (l === undefined) return [];
	if (typeof l === 'function') return unwrap ? [l.listener || l] : [l];
	return unwrap ? l.map((x) => x.listener || x) : l.slice();
}
EventEmitter.prototype.listeners = function (type) { return listeners(this, type, true); };
EventEmitter.prototype.rawListeners = function (type) { return listeners(this, type, false); };
EventEmitter.prototype.listenerCount = function listenerCount(type, listener) {
	const events = this._events;
	if (events === undefined || events[type] === undefined) return 0;
	const l = events[type];
	if (typeof l === 'function') return listener == null || l === listener || l.listener === listener ? 1 : 0;
	if (listener == null) return l.length;
	return l.filter((x) => x === listener || x.listener === listener).length;
};
EventEmitter.listenerCount = (emitter, type) => emitter.listenerCount(type);
EventEmitter.prototype.eventNames = function eventNames() {
	return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
};
EventEmitter.once = function once(emitter, name) {
	return new Promise((resolve, reject) => {
		const onError = (err) => { emitter.removeListener(name, onEvent); reject(err); };
		const onEvent = (...args) => { if (name !== 'error') emitter.removeListener('error', onError); resolve(args); };
		emitter.once(name, onEvent);
		if (name !== 'error') emitter.once('error', onError);
	});
};
EventEmitter.EventEmitter = EventEmitter;
EventEmitter.usingDomains = false;
module.exports = EventEmitter;
