// The platform's globals that are object plumbing rather than data work:
// DOMException, Event, EventTarget, AbortController, AbortSignal,
// structuredClone, queueMicrotask, process, performance, crypto and the
// text codecs' classes. Go (platform.go and its kin) passes the natives:
// codecs, digests, random bytes, clocks, and goja_nodejs's Buffer and URL.
// Semantics and messages are Node 20's. Everything a method needs is
// captured here, before any module runs, so that a module replacing a
// built-in cannot change how another module's platform objects behave.
(function (g, natives) {
  'use strict';
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, keys } = Object;
  const { apply } = Reflect;
  const hasOwn = (o, k) => apply(Object.prototype.hasOwnProperty, o, [k]);
  const isArray = Array.isArray;
  const objectToString = Object.prototype.toString;
  const fnToString = Function.prototype.toString;
  const PromiseCtor = Promise, PromiseResolve = Promise.resolve, PromiseReject = Promise.reject;
  const then = Promise.prototype.then;
  const promiseResolve = (v) => apply(PromiseResolve, PromiseCtor, [v]);
  const promiseReject = (v) => apply(PromiseReject, PromiseCtor, [v]);
  const resolved = promiseResolve(undefined);
  const setTimeout = g.setTimeout;
  const consoleWarn = g.console.warn;
  const console = g.console;
  const MapCtor = Map, SetCtor = Set, DateCtor = Date, RegExpCtor = RegExp, ArrayBufferCtor = ArrayBuffer, DataViewCtor = DataView;
  const mapSet = Map.prototype.set, mapGet = Map.prototype.get, mapHas = Map.prototype.has, mapForEach = Map.prototype.forEach;
  const setAdd = Set.prototype.add, setForEach = Set.prototype.forEach;
  const mapSize = getOwnPropertyDescriptor(Map.prototype, 'size').get;
  const setSize = getOwnPropertyDescriptor(Set.prototype, 'size').get;
  const weakMapHas = WeakMap.prototype.has, weakSetHas = WeakSet.prototype.has;
  const dateGetTime = Date.prototype.getTime;
  const regexpSource = getOwnPropertyDescriptor(RegExp.prototype, 'source').get;
  const regexpFlags = getOwnPropertyDescriptor(RegExp.prototype, 'flags').get;
  const abByteLength = getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
  const abSlice = ArrayBuffer.prototype.slice;
  const TypedArray = getPrototypeOf(Int8Array);
  const taTag = getOwnPropertyDescriptor(TypedArray.prototype, Symbol.toStringTag).get;
  const taBuffer = getOwnPropertyDescriptor(TypedArray.prototype, 'buffer').get;
  const taByteOffset = getOwnPropertyDescriptor(TypedArray.prototype, 'byteOffset').get;
  const taByteLength = getOwnPropertyDescriptor(TypedArray.prototype, 'byteLength').get;
  const taLength = getOwnPropertyDescriptor(TypedArray.prototype, 'length').get;
  const dvBuffer = getOwnPropertyDescriptor(DataView.prototype, 'buffer').get;
  const dvByteOffset = getOwnPropertyDescriptor(DataView.prototype, 'byteOffset').get;
  const dvByteLength = getOwnPropertyDescriptor(DataView.prototype, 'byteLength').get;
  const typedArrays = {};
  for (const n of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) {
    if (typeof g[n] === 'function') typedArrays[n] = g[n];
  }
  const Uint8ArrayCtor = typedArrays.Uint8Array;
  const primitiveValueOf = [Boolean.prototype.valueOf, Number.prototype.valueOf, String.prototype.valueOf];
  if (typeof BigInt === 'function') primitiveValueOf.push(BigInt.prototype.valueOf);
  const errorCtors = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

  // brand runs a built-in's own method or getter on v: whether v is one of
  // its kind, without trusting Symbol.toStringTag or a prototype.
  const brand = (f, v) => { try { apply(f, v, []); return true; } catch (e) { return false; } };
  const typedArrayName = (v) => apply(taTag, v, []); // undefined for anything else

  // A global as Node defines one: writable, configurable; classes are not
  // enumerable, functions and namespaces are.
  const defineGlobal = (name, value, enumerable) =>
    defineProperty(g, name, { value, writable: true, enumerable: !!enumerable, configurable: true });
  const tag = (obj, name) =>
    defineProperty(obj, Symbol.toStringTag, { value: name, writable: false, enumerable: false, configurable: true });

  // Node's errors for bad arguments carry a code.
  const withCode = (e, code) => { defineProperty(e, 'code', { value: code, writable: true, enumerable: false, configurable: true }); return e; };
  const describe = (v) => {
    if (v == null) return ` Received ${v}`;
    if (typeof v === 'function') return ` Received function ${v.name || '<anonymous>'}`;
    if (typeof v === 'object') {
      const c = v.constructor;
      return c && c.name ? ` Received an instance of ${c.name}` : ' Received an instance of Object';
    }
    let shown = typeof v === 'string' ? `'${v.length > 28 ? v.slice(0, 25) + '...' : v}'` : String(v);
    if (typeof v === 'bigint') shown += 'n';
    return ` Received type ${typeof v} (${shown})`;
  };
  const argTypeError = (name, what, v) =>
    withCode(new TypeError(`The "${name}" argument must be ${what}.${describe(v)}`), 'ERR_INVALID_ARG_TYPE');
  const missingArg = (name) => withCode(new TypeError(`The "${name}" argument must be specified`), 'ERR_MISSING_ARGS');
  const illegalConstructor = () => withCode(new TypeError('Illegal constructor'), 'ERR_ILLEGAL_CONSTRUCTOR');
  const invalidThis = (type) => withCode(new TypeError(`Value of "this" must be of type ${type}`), 'ERR_INVALID_THIS');

  // ---- DOMException -------------------------------------------------
  const legacyCodes = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
    NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
    SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  };
  class DOMException extends Error {
    #name;
    constructor(message = '', options = 'Error') {
      super(`${message}`);
      if (options !== null && typeof options === 'object') {
        this.#name = 'name' in options ? `${options.name}` : 'Error';
        if ('cause' in options) {
          defineProperty(this, 'cause', { value: options.cause, writable: true, enumerable: false, configurable: true });
        }
      } else {
        this.#name = `${options}`;
      }
    }
    get name() { return this.#name; }
    get code() { return legacyCodes[this.#name] || 0; }
  }
  tag(DOMException.prototype, 'DOMException');
  const legacyConstants = ['INDEX_SIZE_ERR', 'DOMSTRING_SIZE_ERR', 'HIERARCHY_REQUEST_ERR', 'WRONG_DOCUMENT_ERR',
    'INVALID_CHARACTER_ERR', 'NO_DATA_ALLOWED_ERR', 'NO_MODIFICATION_ALLOWED_ERR', 'NOT_FOUND_ERR', 'NOT_SUPPORTED_ERR',
    'INUSE_ATTRIBUTE_ERR', 'INVALID_STATE_ERR', 'SYNTAX_ERR', 'INVALID_MODIFICATION_ERR', 'NAMESPACE_ERR',
    'INVALID_ACCESS_ERR', 'VALIDATION_ERR', 'TYPE_MISMATCH_ERR', 'SECURITY_ERR', 'NETWORK_ERR', 'ABORT_ERR',
    'URL_MISMATCH_ERR', 'QUOTA_EXCEEDED_ERR', 'TIMEOUT_ERR', 'INVALID_NODE_TYPE_ERR', 'DATA_CLONE_ERR'];
  legacyConstants.forEach((constant, i) => {
    defineProperty(DOMException, constant, { value: i + 1, enumerable: true });
    defineProperty(DOMException.prototype, constant, { value: i + 1, enumerable: true });
  });
  const domException = (message, name) => new DOMException(message, name);

  // ---- queueMicrotask, reporting ---------------------------------------
  // A job of the realm's promise queue: it runs once the JavaScript
  // running now returns, before any timer.
  const enqueue = (fn) => { apply(then, resolved, [fn]); };
  // What a listener or microtask throws is reported as Node reports an
  // uncaught exception, but the realm serves on: through a rejected job,
  // which the realm logs as an unhandled rejection.
  const report = (e) => { apply(then, resolved, [() => { throw e; }]); };
  function queueMicrotask(callback) {
    if (typeof callback !== 'function') throw argTypeError('callback', 'of type function', callback);
    enqueue(() => { callback(); });
  }

  // ---- Event, EventTarget --------------------------------------------
  let eventInternals;
  class Event {
    #type; #bubbles; #cancelable; #composed; #timeStamp;
    #defaultPrevented = false; #stopped = false; #propagationStopped = false;
    #target = null; #currentTarget = null; #phase = 0; #trusted = false;
    constructor(type, options = undefined) {
      if (arguments.length === 0) throw missingArg('type');
      if (options != null && typeof options !== 'object') throw argTypeError('options', 'of type object', options);
      this.#type = `${type}`;
      this.#bubbles = !!(options && options.bubbles);
      this.#cancelable = !!(options && options.cancelable);
      this.#composed = !!(options && options.composed);
      this.#timeStamp = natives.now();
    }
    get type() { return this.#type; }
    get bubbles() { return this.#bubbles; }
    get cancelable() { return this.#cancelable; }
    get composed() { return this.#composed; }
    get defaultPrevented() { return this.#cancelable && this.#defaultPrevented; }
    get returnValue() { return !this.defaultPrevented; }
    get timeStamp() { return this.#timeStamp; }
    get target() { return this.#target; }
    get currentTarget() { return this.#currentTarget; }
    get srcElement() { return this.#target; }
    get eventPhase() { return this.#phase; }
    get isTrusted() { return this.#trusted; }
    get cancelBubble() { return this.#propagationStopped; }
    set cancelBubble(v) { if (v) this.#propagationStopped = true; }
    composedPath() { return this.#phase !== 0 ? [this.#currentTarget] : []; }
    preventDefault() { this.#defaultPrevented = true; }
    stopPropagation() { this.#propagationStopped = true; }
    stopImmediatePropagation() { this.#propagationStopped = true; this.#stopped = true; }
    static {
      eventInternals = {
        is: (e) => #type in e,
        dispatching: (e) => e.#phase !== 0,
        begin(e, target) { e.#target = target; e.#currentTarget = target; e.#phase = 2; },
        end(e) { e.#currentTarget = null; e.#phase = 0; },
        stopped: (e) => e.#stopped,
        trust(e) { e.#trusted = true; return e; },
      };
    }
  }
  for (const [name, value] of [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]]) {
    defineProperty(Event, name, { value, enumerable: true });
    defineProperty(Event.prototype, name, { value, enumerable: true });
  }
  tag(Event.prototype, 'Event');

  class CustomEvent extends Event {
    #detail;
    constructor(type, options = undefined) {
      if (arguments.length === 0) throw missingArg('type');
      super(type, options);
      this.#detail = options && options.detail !== undefined ? options.detail : null;
    }
    get detail() { return this.#detail; }
  }
  tag(CustomEvent.prototype, 'CustomEvent');

  const flatten = (options) => {
    if (typeof options === 'boolean') return { capture: options, once: false, passive: false, signal: undefined };
    if (options == null) return { capture: false, once: false, passive: false, signal: undefined };
    return { capture: !!options.capture, once: !!options.once, passive: !!options.passive, signal: options.signal };
  };
  class EventTarget {
    #listeners = new MapCtor(); // type -> [{ callback, capture, once, removed }]
    addEventListener(type, callback, options = undefined) {
      if (arguments.length < 2) throw missingArg(arguments.length === 0 ? 'type' : 'listener');
      const { capture, once, signal } = flatten(options);
      if (callback == null) return;
      if (typeof callback !== 'function' && typeof callback !== 'object') {
        throw argTypeError('listener', 'an instance of EventListener', callback);
      }
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw argTypeError('options.signal', 'an instance of AbortSignal', signal);
      }
      if (signal && signal.aborted) return;
      type = `${type}`;
      let list = apply(mapGet, this.#listeners, [type]);
      if (!list) apply(mapSet, this.#listeners, [type, list = []]);
      for (const l of list) if (l.callback === callback && l.capture === capture) return;
      list.push({ callback, capture, once, removed: false });
      if (signal) {
        signal.addEventListener('abort', () => { this.removeEventListener(type, callback, options); }, { once: true });
      }
    }
    removeEventListener(type, callback, options = undefined) {
      const { capture } = flatten(options);
      const list = apply(mapGet, this.#listeners, [`${type}`]);
      if (!list) return;
      for (let i = 0; i < list.length; i++) {
        if (list[i].callback === callback && list[i].capture === capture) {
          list[i].removed = true;
          list.splice(i, 1);
          return;
        }
      }
    }
    dispatchEvent(event) {
      if (arguments.length === 0) throw missingArg('event');
      if (event === null || typeof event !== 'object' || !eventInternals.is(event)) {
        throw argTypeError('event', 'an instance of Event', event);
      }
      if (eventInternals.dispatching(event)) throw domException('The event is already being dispatched', 'InvalidStateError');
      eventInternals.begin(event, this);
      const list = apply(mapGet, this.#listeners, [event.type]);
      if (list) {
        for (const l of list.slice()) {
          if (l.removed) continue;
          if (l.once) this.removeEventListener(event.type, l.callback, { capture: l.capture });
          try {
            const cb = l.callback;
            if (typeof cb === 'function') apply(cb, this, [event]);
            else if (typeof cb.handleEvent === 'function') apply(cb.handleEvent, cb, [event]);
          } catch (e) {
            report(e);
          }
          if (eventInternals.stopped(event)) break;
        }
      }
      eventInternals.end(event);
      return !event.defaultPrevented;
    }
  }
  tag(EventTarget.prototype, 'EventTarget');

  // ---- AbortController, AbortSignal -----------------------------------
  const signalKey = Symbol('hotmod.signal');
  let signalInternals;
  class AbortSignal extends EventTarget {
    #aborted = false; #reason = undefined; #onabort = null; #onabortListener = null;
    constructor(key) {
      if (key !== signalKey) throw illegalConstructor();
      super();
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    get onabort() { return this.#onabort; }
    set onabort(fn) {
      this.#onabort = typeof fn === 'function' || (fn !== null && typeof fn === 'object') ? fn : null;
      if (this.#onabort && !this.#onabortListener) {
        this.#onabortListener = (e) => {
          const h = this.#onabort;
          if (typeof h === 'function') apply(h, this, [e]);
        };
        this.addEventListener('abort', this.#onabortListener);
      }
    }
    static abort(reason = undefined) {
      const s = new AbortSignal(signalKey);
      s.#aborted = true;
      s.#reason = reason === undefined ? domException('This operation was aborted', 'AbortError') : reason;
      return s;
    }
    static timeout(delay) {
      if (typeof delay !== 'number') throw argTypeError('delay', 'of type number', delay);
      if (!(delay >= 0 && delay <= 4294967295) || delay !== Math.trunc(delay)) {
        const e = new RangeError(`The value of "delay" is out of range. It must be >= 0 && <= 4294967295. Received ${delay}`);
        throw withCode(e, 'ERR_OUT_OF_RANGE');
      }
      const s = new AbortSignal(signalKey);
      setTimeout(() => { signalInternals.abort(s, domException('The operation was aborted due to timeout', 'TimeoutError')); }, delay);
      return s;
    }
    static any(signals) {
      if (signals == null || typeof signals[Symbol.iterator] !== 'function') {
        throw argTypeError('signals', 'an instance of Array', signals);
      }
      const list = [...signals];
      for (const s of list) {
        if (!(s instanceof AbortSignal)) throw argTypeError('signals', 'an instance of AbortSignal', s);
      }
      const out = new AbortSignal(signalKey);
      for (const s of list) {
        if (s.aborted) { out.#aborted = true; out.#reason = s.reason; return out; }
      }
      for (const s of list) {
        s.addEventListener('abort', () => { signalInternals.abort(out, s.reason); }, { once: true });
      }
      return out;
    }
    static {
      signalInternals = {
        make: () => new AbortSignal(signalKey),
        abort(s, reason) {
          if (s.#aborted) return;
          s.#aborted = true;
          s.#reason = reason;
          s.dispatchEvent(eventInternals.trust(new Event('abort')));
        },
      };
    }
  }
  tag(AbortSignal.prototype, 'AbortSignal');

  class AbortController {
    #signal = signalInternals.make();
    get signal() { return this.#signal; }
    abort(reason = undefined) {
      signalInternals.abort(this.#signal, reason === undefined ? domException('This operation was aborted', 'AbortError') : reason);
    }
  }
  tag(AbortController.prototype, 'AbortController');

  // ---- structuredClone ----------------------------------------------
  const cloneError = (what) => domException(`${what} could not be cloned.`, 'DataCloneError');
  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw withCode(new TypeError('The value argument must be specified'), 'ERR_MISSING_ARGS');
    if (options != null && typeof options !== 'object') throw argTypeError('options', 'of type object', options);
    const transfer = options && options.transfer;
    if (transfer != null && [...transfer].length > 0) {
      throw domException('structuredClone: the transfer option is not supported by hotmod', 'DataCloneError');
    }
    const memory = new MapCtor();
    const remember = (from, to) => { apply(mapSet, memory, [from, to]); return to; };
    const copyOwn = (from, to) => {
      for (const k of keys(from)) to[k] = clone(from[k]);
      return to;
    };
    const clone = (v) => {
      if (typeof v === 'symbol') throw cloneError(String(v));
      if (typeof v === 'function') throw cloneError(apply(fnToString, v, []));
      if (v === null || typeof v !== 'object') return v;
      if (apply(mapHas, memory, [v])) return apply(mapGet, memory, [v]);
      if (isArray(v)) {
        const out = remember(v, new Array(v.length));
        return copyOwn(v, out);
      }
      if (brand(dateGetTime, v)) return remember(v, new DateCtor(apply(dateGetTime, v, [])));
      if (brand(regexpFlags, v) && brand(regexpSource, v) && objectToString.call(v) === '[object RegExp]') {
        return remember(v, new RegExpCtor(apply(regexpSource, v, []), apply(regexpFlags, v, [])));
      }
      if (brand(abByteLength, v)) return remember(v, apply(abSlice, v, [0]));
      const ta = typedArrayName(v);
      if (ta !== undefined) {
        const buf = clone(apply(taBuffer, v, []));
        return remember(v, new typedArrays[ta](buf, apply(taByteOffset, v, []), apply(taLength, v, [])));
      }
      if (brand(dvByteLength, v)) {
        const buf = clone(apply(dvBuffer, v, []));
        return remember(v, new DataViewCtor(buf, apply(dvByteOffset, v, []), apply(dvByteLength, v, [])));
      }
      if (brand(mapSize, v)) {
        const out = remember(v, new MapCtor());
        const entries = [];
        apply(mapForEach, v, [(val, key) => { entries.push([key, val]); }]);
        for (const [key, val] of entries) apply(mapSet, out, [clone(key), clone(val)]);
        return out;
      }
      if (brand(setSize, v)) {
        const out = remember(v, new SetCtor());
        const members = [];
        apply(setForEach, v, [(val) => { members.push(val); }]);
        for (const val of members) apply(setAdd, out, [clone(val)]);
        return out;
      }
      for (const valueOf of primitiveValueOf) {
        if (brand(valueOf, v)) return remember(v, Object(apply(valueOf, v, [])));
      }
      if (brand(weakMapHas, v) || brand(weakSetHas, v) || v instanceof PromiseCtor) {
        throw cloneError(`#<${v instanceof PromiseCtor ? 'Promise' : brand(weakMapHas, v) ? 'WeakMap' : 'WeakSet'}>`);
      }
      if (objectToString.call(v) === '[object Error]') {
        const name = v.name;
        const Ctor = typeof name === 'string' && hasOwn(errorCtors, name) ? errorCtors[name] : Error;
        const out = remember(v, new Ctor());
        const own = (k) => getOwnPropertyDescriptor(v, k);
        if (own('message')) defineProperty(out, 'message', { value: `${v.message}`, writable: true, configurable: true });
        if (own('stack')) defineProperty(out, 'stack', { value: `${v.stack}`, writable: true, configurable: true });
        if (own('cause')) defineProperty(out, 'cause', { value: clone(v.cause), writable: true, configurable: true });
        return out;
      }
      return copyOwn(v, remember(v, {}));
    };
    return clone(value);
  }

  // ---- URL, URLSearchParams ---------------------------------------------
  // The WHATWG URL Standard's API over the standard's parser (url.go).
  const IteratorPrototype = getPrototypeOf(getPrototypeOf([][Symbol.iterator]()));
  const invalidURL = (input, base) => {
    const e = withCode(new TypeError('Invalid URL'), 'ERR_INVALID_URL');
    e.input = input;
    if (base !== undefined) e.base = base;
    return e;
  };
  let paramsInternals;
  class URLSearchParamsIterator {
    #params; #kind; #index = 0;
    constructor(key, params, kind) {
      if (key !== signalKey) throw illegalConstructor();
      this.#params = params;
      this.#kind = kind;
    }
    next() {
      if (this === null || typeof this !== 'object' || !(#kind in this)) throw invalidThis('URLSearchParamsIterator');
      const list = paramsInternals.list(this.#params);
      if (this.#index >= list.length) return { value: undefined, done: true };
      const [name, value] = list[this.#index++];
      return { value: this.#kind === 'keys' ? name : this.#kind === 'values' ? value : [name, value], done: false };
    }
  }
  Object.setPrototypeOf(URLSearchParamsIterator.prototype, IteratorPrototype);
  tag(URLSearchParamsIterator.prototype, 'URLSearchParams Iterator');

  class URLSearchParams {
    #list = [];
    #url = null; // the handle of the URL whose query this is
    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (typeof init === 'object' || typeof init === 'function') {
        if (typeof init[Symbol.iterator] === 'function') {
          for (const pair of init) {
            if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function') || typeof pair[Symbol.iterator] !== 'function') {
              throw withCode(new TypeError('Each query pair must be an iterable [name, value] tuple'), 'ERR_INVALID_TUPLE');
            }
            const p = [...pair];
            if (p.length !== 2) {
              throw withCode(new TypeError('Each query pair must be an iterable [name, value] tuple'), 'ERR_INVALID_TUPLE');
            }
            this.#list.push([`${p[0]}`, `${p[1]}`]);
          }
        } else {
          for (const key of Reflect.ownKeys(init)) {
            if (typeof key !== 'string') continue;
            const d = getOwnPropertyDescriptor(init, key);
            if (d && d.enumerable) this.#list.push([key, `${init[key]}`]);
          }
        }
        return;
      }
      let s = `${init}`;
      if (s[0] === '?') s = s.slice(1);
      this.#list = natives.formDecode(s);
    }
    #update() { if (this.#url !== null) natives.urlSetQuery(this.#url, natives.formEncode(this.#list)); }
    get size() { return this.#list.length; }
    append(name, value) {
      if (arguments.length < 2) throw withCode(new TypeError('The "name" and "value" arguments must be specified'), 'ERR_MISSING_ARGS');
      this.#list.push([`${name}`, `${value}`]);
      this.#update();
    }
    delete(name, value = undefined) {
      if (arguments.length < 1) throw missingArg('name');
      name = `${name}`;
      if (value === undefined) this.#list = this.#list.filter(p => p[0] !== name);
      else { value = `${value}`; this.#list = this.#list.filter(p => p[0] !== name || p[1] !== value); }
      this.#update();
    }
    get(name) {
      if (arguments.length < 1) throw missingArg('name');
      name = `${name}`;
      const p = this.#list.find(p => p[0] === name);
      return p ? p[1] : null;
    }
    getAll(name) {
      if (arguments.length < 1) throw missingArg('name');
      name = `${name}`;
      return this.#list.filter(p => p[0] === name).map(p => p[1]);
    }
    has(name, value = undefined) {
      if (arguments.length < 1) throw missingArg('name');
      name = `${name}`;
      if (value === undefined) return this.#list.some(p => p[0] === name);
      value = `${value}`;
      return this.#list.some(p => p[0] === name && p[1] === value);
    }
    set(name, value) {
      if (arguments.length < 2) throw withCode(new TypeError('The "name" and "value" arguments must be specified'), 'ERR_MISSING_ARGS');
      name = `${name}`;
      value = `${value}`;
      const i = this.#list.findIndex(p => p[0] === name);
      if (i < 0) this.#list.push([name, value]);
      else this.#list = this.#list.filter((p, j) => j <= i || p[0] !== name).map((p, j) => j === i ? [name, value] : p);
      this.#update();
    }
    sort() {
      // Stable, by the names' UTF-16 code units.
      this.#list = this.#list.map((p, i) => [p, i]).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(x => x[0]);
      this.#update();
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') throw argTypeError('callback', 'of type function', callback);
      for (let i = 0; i < this.#list.length; i++) {
        const [name, value] = this.#list[i];
        apply(callback, thisArg, [value, name, this]);
      }
    }
    keys() { return new URLSearchParamsIterator(signalKey, this, 'keys'); }
    values() { return new URLSearchParamsIterator(signalKey, this, 'values'); }
    entries() { return new URLSearchParamsIterator(signalKey, this, 'entries'); }
    toString() { return natives.formEncode(this.#list); }
    static {
      paramsInternals = {
        list: (p) => p.#list,
        link(p, handle) { p.#url = handle; p.#list = natives.formDecode(natives.urlGet(handle, 'query')); },
      };
    }
  }
  defineProperty(URLSearchParams.prototype, Symbol.iterator, {
    value: URLSearchParams.prototype.entries, writable: true, enumerable: false, configurable: true,
  });
  tag(URLSearchParams.prototype, 'URLSearchParams');

  class URL {
    #h; #params = null;
    constructor(input, base = undefined) {
      if (arguments.length === 0) throw missingArg('url');
      input = `${input}`;
      if (base !== undefined) base = `${base}`;
      const h = natives.urlParse(input, base);
      if (h === null) throw invalidURL(input, base);
      this.#h = h;
    }
    static canParse(input, base = undefined) {
      if (arguments.length === 0) throw missingArg('url');
      return natives.urlCanParse(`${input}`, base === undefined ? undefined : `${base}`);
    }
    get href() { return natives.urlGet(this.#h, 'href'); }
    set href(v) {
      v = `${v}`;
      if (!natives.urlSet(this.#h, 'href', v)) throw invalidURL(v);
      if (this.#params !== null) paramsInternals.link(this.#params, this.#h);
    }
    get origin() { return natives.urlGet(this.#h, 'origin'); }
    get protocol() { return natives.urlGet(this.#h, 'protocol'); }
    set protocol(v) { natives.urlSet(this.#h, 'protocol', `${v}`); }
    get username() { return natives.urlGet(this.#h, 'username'); }
    set username(v) { natives.urlSet(this.#h, 'username', `${v}`); }
    get password() { return natives.urlGet(this.#h, 'password'); }
    set password(v) { natives.urlSet(this.#h, 'password', `${v}`); }
    get host() { return natives.urlGet(this.#h, 'host'); }
    set host(v) { natives.urlSet(this.#h, 'host', `${v}`); }
    get hostname() { return natives.urlGet(this.#h, 'hostname'); }
    set hostname(v) { natives.urlSet(this.#h, 'hostname', `${v}`); }
    get port() { return natives.urlGet(this.#h, 'port'); }
    set port(v) { natives.urlSet(this.#h, 'port', `${v}`); }
    get pathname() { return natives.urlGet(this.#h, 'pathname'); }
    set pathname(v) { natives.urlSet(this.#h, 'pathname', `${v}`); }
    get search() { return natives.urlGet(this.#h, 'search'); }
    set search(v) {
      natives.urlSet(this.#h, 'search', `${v}`);
      if (this.#params !== null) paramsInternals.link(this.#params, this.#h);
    }
    get searchParams() {
      if (this.#params === null) {
        this.#params = new URLSearchParams();
        paramsInternals.link(this.#params, this.#h);
      }
      return this.#params;
    }
    get hash() { return natives.urlGet(this.#h, 'hash'); }
    set hash(v) { natives.urlSet(this.#h, 'hash', `${v}`); }
    toString() { return natives.urlGet(this.#h, 'href'); }
    toJSON() { return natives.urlGet(this.#h, 'href'); }
  }
  for (const name of ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname',
    'search', 'searchParams', 'hash', 'toString', 'toJSON']) {
    const d = getOwnPropertyDescriptor(URL.prototype, name);
    d.enumerable = true;
    defineProperty(URL.prototype, name, d);
  }
  tag(URL.prototype, 'URL');

  // ---- text --------------------------------------------------------
  // bytesOf views a BufferSource as a Uint8Array, or is undefined.
  const bytesOf = (v) => {
    if (v === null || typeof v !== 'object') return undefined;
    if (brand(abByteLength, v)) return new Uint8ArrayCtor(v);
    if (typedArrayName(v) !== undefined) return new Uint8ArrayCtor(apply(taBuffer, v, []), apply(taByteOffset, v, []), apply(taByteLength, v, []));
    if (brand(dvByteLength, v)) return new Uint8ArrayCtor(apply(dvBuffer, v, []), apply(dvByteOffset, v, []), apply(dvByteLength, v, []));
    return undefined;
  };
  const empty = () => new Uint8ArrayCtor(0);

  class TextEncoder {
    #brand = true;
    get encoding() { if (!(#brand in this)) throw invalidThis('TextEncoder'); return 'utf-8'; }
    encode(input = '') {
      if (this === null || typeof this !== 'object' || !(#brand in this)) throw invalidThis('TextEncoder');
      return natives.utf8Encode(`${input}`);
    }
    encodeInto(src, dest) {
      if (this === null || typeof this !== 'object' || !(#brand in this)) throw invalidThis('TextEncoder');
      if (typedArrayName(dest) !== 'Uint8Array') throw argTypeError('dest', 'an instance of Uint8Array', dest);
      const [read, written] = natives.utf8EncodeInto(`${src}`, dest);
      return { read, written };
    }
  }
  tag(TextEncoder.prototype, 'TextEncoder');

  const encodingOf = (label) => {
    switch (label) {
      case 'unicode-1-1-utf-8': case 'unicode11utf8': case 'unicode20utf8': case 'utf-8': case 'utf8': case 'x-unicode20utf8':
        return 'utf-8';
      case 'csunicode': case 'iso-10646-ucs-2': case 'ucs-2': case 'unicode': case 'unicodefeff': case 'utf-16': case 'utf-16le':
        return 'utf-16le';
    }
    return undefined;
  };
  class TextDecoder {
    #encoding; #fatal; #ignoreBOM; #state;
    constructor(encoding = 'utf-8', options = undefined) {
      const label = `${encoding}`.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '').toLowerCase();
      const name = encodingOf(label);
      if (name === undefined) {
        throw withCode(new RangeError(`The "${encoding}" encoding is not supported`), 'ERR_ENCODING_NOT_SUPPORTED');
      }
      if (options != null && typeof options !== 'object') throw argTypeError('options', 'of type object', options);
      this.#encoding = name;
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
      this.#state = natives.newDecoder(name, this.#fatal, this.#ignoreBOM);
    }
    get encoding() { return this.#encoding; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input = undefined, options = undefined) {
      if (this === null || typeof this !== 'object' || !(#state in this)) throw invalidThis('TextDecoder');
      const bytes = input === undefined ? empty() : bytesOf(input);
      if (bytes === undefined) {
        throw argTypeError('input', 'an instance of ArrayBuffer or ArrayBufferView', input);
      }
      if (options != null && typeof options !== 'object') throw argTypeError('options', 'of type object', options);
      return this.#state.decode(bytes, !!(options && options.stream));
    }
  }
  tag(TextDecoder.prototype, 'TextDecoder');

  function atob(input) {
    if (arguments.length === 0) throw missingArg('input');
    const r = natives.atob(`${input}`);
    if (typeof r === 'number') {
      throw domException(r === 1 ? 'Invalid character' : 'The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
    }
    return r;
  }
  function btoa(input) {
    if (arguments.length === 0) throw missingArg('input');
    const r = natives.btoa(`${input}`);
    if (r === null) throw domException('Invalid character', 'InvalidCharacterError');
    return r;
  }

  // ---- crypto ------------------------------------------------------
  const cryptoKey = Symbol('hotmod.crypto');
  class SubtleCrypto {
    constructor(key) { if (key !== cryptoKey) throw illegalConstructor(); }
    digest(algorithm, data) {
      try {
        if (arguments.length < 2) {
          throw withCode(new TypeError(`Failed to execute 'digest' on 'SubtleCrypto': 2 arguments required, but only ${arguments.length} present.`), 'ERR_MISSING_ARGS');
        }
        const name = algorithm !== null && typeof algorithm === 'object' ? algorithm.name : algorithm;
        const bytes = bytesOf(data);
        if (bytes === undefined) {
          throw argTypeError('data', 'an instance of ArrayBuffer, Buffer, TypedArray, or DataView', data);
        }
        const sum = natives.digest(`${name}`, bytes);
        if (sum === null) throw domException('Unrecognized algorithm name', 'NotSupportedError');
        return promiseResolve(sum);
      } catch (e) {
        return promiseReject(e);
      }
    }
  }
  tag(SubtleCrypto.prototype, 'SubtleCrypto');
  const subtle = new SubtleCrypto(cryptoKey);
  const integerArrays = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'BigInt64Array', 'BigUint64Array'];
  class Crypto {
    constructor(key) { if (key !== cryptoKey) throw illegalConstructor(); }
    get subtle() { return subtle; }
    getRandomValues(data) {
      if (arguments.length === 0) {
        throw withCode(new TypeError("Failed to execute 'getRandomValues' on 'Crypto': 1 argument required, but only 0 present."), 'ERR_MISSING_ARGS');
      }
      const name = typedArrayName(data);
      if (name === undefined || !integerArrays.includes(name)) {
        throw domException('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
      }
      if (apply(taByteLength, data, []) > 65536) {
        throw domException('The requested length exceeds 65,536 bytes', 'QuotaExceededError');
      }
      natives.randomFill(bytesOf(data));
      return data;
    }
    randomUUID() { return natives.randomUUID(); }
  }
  tag(Crypto.prototype, 'Crypto');
  const crypto = new Crypto(cryptoKey);

  // ---- performance ---------------------------------------------------
  const now = natives.now;
  const timeOrigin = natives.timeOrigin;
  class Performance extends EventTarget {
    constructor(key) { if (key !== cryptoKey) throw illegalConstructor(); super(); }
    now() { return now(); }
    get timeOrigin() { return timeOrigin; }
    toJSON() { return { timeOrigin }; }
  }
  tag(Performance.prototype, 'Performance');
  const performance = new Performance(cryptoKey);

  // ---- process -------------------------------------------------------
  // process.env is Options.Env, never the host's; like Node's, what is
  // assigned to it becomes a string.
  const env = new Proxy(natives.env, {
    set(target, key, value) { return Reflect.set(target, key, `${value}`); },
    defineProperty(target, key, d) {
      if ('value' in d) d = { value: `${d.value}`, writable: true, enumerable: true, configurable: true };
      return Reflect.defineProperty(target, key, d);
    },
  });
  const hrtimeBigint = natives.hrtimeBigint;
  const hrtimeNative = natives.hrtime;
  function hrtime(previous = undefined) {
    const [s, ns] = hrtimeNative();
    if (previous === undefined) return [s, ns];
    if (!isArray(previous)) throw argTypeError('time', 'an instance of Array', previous);
    if (previous.length !== 2) {
      throw withCode(new RangeError(`The value of "time" is out of range. It must be 2. Received ${previous.length}`), 'ERR_OUT_OF_RANGE');
    }
    let ds = s - previous[0], dns = ns - previous[1];
    if (dns < 0) { ds -= 1; dns += 1e9; }
    return [ds, dns];
  }
  hrtime.bigint = function bigint() { return hrtimeBigint(); };
  const process = {
    title: 'hotmod',
    version: `v${natives.nodeVersion}`,
    versions: { node: natives.nodeVersion, hotmod: natives.hotmodVersion },
    release: { name: 'node' },
    platform: natives.platform,
    arch: natives.arch,
    env,
    argv: [],
    argv0: 'hotmod',
    execArgv: [],
    cwd() { return '/'; },
    nextTick(callback, ...args) {
      if (typeof callback !== 'function') throw argTypeError('callback', 'of type function', callback);
      enqueue(() => { apply(callback, undefined, args); });
    },
    hrtime,
    uptime() { return now() / 1000; },
    emitWarning(warning, type = undefined) {
      const name = typeof type === 'string' ? type : (type && type.type) || (warning && warning.name) || 'Warning';
      const message = warning && typeof warning === 'object' ? warning.message : `${warning}`;
      apply(consoleWarn, console, [`(hotmod) ${name}: ${message}`]);
    },
  };
  tag(process, 'process');

  // ---- Buffer ------------------------------------------------------
  // goja_nodejs's Buffer, with what it lacks and packages use: the
  // encodings latin1 (binary), ascii, utf16le (ucs2) and base64url in
  // from and toString, encoding names in any case, isBuffer, isEncoding,
  // byteLength, compare, allocUnsafe, toJSON, and slice as a view.
  const Buffer = natives.Buffer;
  const bufferFrom = Buffer.from, bufferAlloc = Buffer.alloc, bufferToString = Buffer.prototype.toString;
  const taSubarray = TypedArray.prototype.subarray;
  const encodingName = (enc) => {
    switch (`${enc}`.toLowerCase()) {
      case 'utf8': case 'utf-8': return 'utf8';
      case 'hex': return 'hex';
      case 'base64': return 'base64';
      case 'base64url': return 'base64url';
      case 'latin1': case 'binary': return 'latin1';
      case 'ascii': return 'ascii';
      case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
    }
    return undefined;
  };
  const unknownEncoding = (enc) => withCode(new TypeError(`Unknown encoding: ${enc}`), 'ERR_UNKNOWN_ENCODING');
  const ownCodec = (enc) => enc === 'utf8' || enc === 'hex' || enc === 'base64';
  const methods = {
    from(value, encodingOrOffset, length) {
      if (typeof value === 'string') {
        const enc = encodingOrOffset === undefined ? 'utf8' : encodingName(encodingOrOffset);
        if (enc === undefined) throw unknownEncoding(encodingOrOffset);
        if (ownCodec(enc)) return apply(bufferFrom, Buffer, [value, enc]);
        return apply(bufferFrom, Buffer, [natives.bufferFromString(value, enc)]);
      }
      return apply(bufferFrom, Buffer, arguments);
    },
    isBuffer(v) { return v instanceof Buffer; },
    isEncoding(enc) { return typeof enc === 'string' && enc.length > 0 && encodingName(enc) !== undefined; },
    byteLength(v, encoding = 'utf8') {
      if (typeof v === 'string') return methods.from(v, encoding).length;
      const bytes = bytesOf(v);
      if (bytes === undefined) throw argTypeError('string', 'of type string or an instance of Buffer or ArrayBuffer', v);
      return bytes.length;
    },
    compare(a, b) {
      const x = bytesOf(a), y = bytesOf(b);
      if (x === undefined) throw argTypeError('buf1', 'an instance of Buffer or Uint8Array', a);
      if (y === undefined) throw argTypeError('buf2', 'an instance of Buffer or Uint8Array', b);
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    },
    allocUnsafe(size) { return apply(bufferAlloc, Buffer, [size]); },
    allocUnsafeSlow(size) { return apply(bufferAlloc, Buffer, [size]); },
  };
  for (const name of keys(methods)) {
    defineProperty(Buffer, name, { value: methods[name], writable: true, enumerable: true, configurable: true });
  }
  const protoMethods = {
    toString(encoding, start, end) {
      if (encoding === undefined) return apply(bufferToString, this, arguments);
      const enc = encodingName(encoding);
      if (enc === undefined) throw unknownEncoding(encoding);
      if (ownCodec(enc)) return apply(bufferToString, this, [enc, start, end]);
      const len = this.length;
      const s = start === undefined ? 0 : Math.max(0, Math.trunc(+start) || 0);
      const e = end === undefined ? len : Math.min(len, Math.trunc(+end) || 0);
      if (s >= e) return '';
      return natives.bufferToString(apply(taSubarray, this, [s, e]), enc);
    },
    toJSON() { return { type: 'Buffer', data: Array.from(this) }; },
    slice(start, end) { return apply(taSubarray, this, [start, end]); },
    compare(target) { return methods.compare(this, target); },
  };
  for (const name of keys(protoMethods)) {
    defineProperty(Buffer.prototype, name, { value: protoMethods[name], writable: true, enumerable: true, configurable: true });
  }

  // ---- the globals -------------------------------------------------
  defineGlobal('global', g, true);
  defineGlobal('process', process, false);
  defineGlobal('Buffer', Buffer, false);
  defineGlobal('URL', URL, false);
  defineGlobal('URLSearchParams', URLSearchParams, false);
  defineGlobal('TextEncoder', TextEncoder, false);
  defineGlobal('TextDecoder', TextDecoder, false);
  defineGlobal('atob', atob, true);
  defineGlobal('btoa', btoa, true);
  defineGlobal('crypto', crypto, true);
  defineGlobal('Crypto', Crypto, false);
  defineGlobal('SubtleCrypto', SubtleCrypto, false);
  defineGlobal('structuredClone', structuredClone, true);
  defineGlobal('queueMicrotask', queueMicrotask, true);
  defineGlobal('DOMException', DOMException, false);
  defineGlobal('Event', Event, false);
  defineGlobal('CustomEvent', CustomEvent, false);
  defineGlobal('EventTarget', EventTarget, false);
  defineGlobal('AbortController', AbortController, false);
  defineGlobal('AbortSignal', AbortSignal, false);
  defineGlobal('performance', performance, true);
  defineGlobal('Performance', Performance, false);
})
