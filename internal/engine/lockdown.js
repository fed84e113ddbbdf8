(function () {
  'use strict';
  const {
    freeze, isFrozen, getOwnPropertyNames, getOwnPropertySymbols, getOwnPropertyDescriptor,
    getPrototypeOf, defineProperty,
  } = Object;
  const overridable = ['constructor', 'toString', 'toLocaleString', 'valueOf', 'name', 'message', 'toJSON'];
  const prototypes = new Set();
  const seen = new Set();
  const queue = [];
  const g = globalThis;
  const add = (v) => {
    // The global object stays extensible, though globalThis and global
    // name it.
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || v === g || seen.has(v)) return;
    seen.add(v);
    queue.push(v);
  };
  const names = getOwnPropertyNames(g);
  for (const n of names) add(getOwnPropertyDescriptor(g, n).value);
  // Intrinsics with no global name.
  const hidden = [
    () => getPrototypeOf([][Symbol.iterator]()),
    () => getPrototypeOf(getPrototypeOf([][Symbol.iterator]())),
    () => getPrototypeOf(new Map()[Symbol.iterator]()),
    () => getPrototypeOf(new Set()[Symbol.iterator]()),
    () => getPrototypeOf(''[Symbol.iterator]()),
    () => getPrototypeOf(/x/[Symbol.matchAll]('x')),
    () => getPrototypeOf(function* () {}),
    () => getPrototypeOf(function* () {}).prototype,
    () => getPrototypeOf(async function () {}),
    () => getPrototypeOf(Int8Array),
  ];
  for (const f of hidden) {
    try { add(f()); } catch (e) { /* an intrinsic this engine lacks */ }
  }
  for (const v of queue) {
    if (typeof v === 'function' && v.prototype && typeof v.prototype === 'object') prototypes.add(v.prototype);
  }
  prototypes.add(Object.prototype);
  prototypes.add(Function.prototype);
  // The global object's [[Prototype]] is fixed, as the spec fixes
  // Object.prototype's (an immutable prototype exotic object). Freezing
  // would fix it too, but the global stays extensible so that modules may
  // add globals, and goja has no immutable-prototype objects: a module
  // could otherwise put a Proxy under the global object and see, and
  // answer, every other module's lookup of a missing global. The three
  // ways JavaScript sets a prototype are replaced, before the freeze below
  // makes them read-only, by versions that refuse the global object (and
  // allow setting the prototype it has, as the spec does). The built-ins
  // they wrap stay reachable only from here.
  const fixed = getPrototypeOf(g);
  const objectSet = Object.setPrototypeOf;
  const reflectSet = Reflect.setPrototypeOf;
  const protoSet = Function.prototype.call.bind(getOwnPropertyDescriptor(Object.prototype, '__proto__').set);
  const refuses = (o, p) => o === g && p !== fixed;
  const refusal = () => new TypeError('Cannot set the prototype of the global object (Options.FrozenIntrinsics)');
  const wrappers = {
    setPrototypeOf(o, p) {
      if (refuses(o, p)) throw refusal();
      return objectSet(o, p);
    },
    reflectSetPrototypeOf(o, p) {
      if (refuses(o, p)) return false;
      return reflectSet(o, p);
    },
    set __proto__(p) {
      if (refuses(this, p)) throw refusal();
      protoSet(this, p);
    },
  };
  defineProperty(wrappers.reflectSetPrototypeOf, 'name', { value: 'setPrototypeOf' });
  defineProperty(Object, 'setPrototypeOf', { value: wrappers.setPrototypeOf });
  defineProperty(Reflect, 'setPrototypeOf', { value: wrappers.reflectSetPrototypeOf });
  defineProperty(Object.prototype, '__proto__', { set: getOwnPropertyDescriptor(wrappers, '__proto__').set });
  // Tame the override mistake first: accessors replace the data
  // properties named above on every built-in prototype.
  // Every property of Object.prototype and Function.prototype: a function
  // object (lodash's _) or a plain one may define any of them as its own,
  // as in `_.bind = ...`. Elsewhere only the usual names: the others are
  // read on hot paths (Array.prototype.push), and an accessor costs a call.
  const everything = new Set([Object.prototype, Function.prototype]);
  for (const p of prototypes) {
    const keys = everything.has(p) ? getOwnPropertyNames(p) : overridable;
    for (const key of keys) {
      const d = getOwnPropertyDescriptor(p, key);
      if (!d || !('value' in d) || !d.configurable) continue;
      const value = d.value;
      defineProperty(p, key, {
        get() { return value; },
        set(v) {
          if (this === p) throw new TypeError('Cannot assign to read only property \'' + key + '\' of a frozen built-in (Options.FrozenIntrinsics)');
          defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
        },
        enumerable: d.enumerable,
        configurable: false,
      });
    }
  }
  while (queue.length > 0) {
    const o = queue.pop();
    if (!isFrozen(o)) {
      // A host object (a Go value goja wraps, as goja_nodejs's Buffer
      // keeps one under a symbol) cannot be frozen: its fields are Go's,
      // and JavaScript can neither add nor redefine them.
      try { freeze(o); } catch (e) { /* host object */ }
    }
    add(getPrototypeOf(o));
    for (const key of [...getOwnPropertyNames(o), ...getOwnPropertySymbols(o)]) {
      let d;
      try { d = getOwnPropertyDescriptor(o, key); } catch (e) { continue; }
      if (!d) continue;
      if ('value' in d) add(d.value);
      else { add(d.get); add(d.set); }
    }
  }
  // The global names the realm started with are read-only; new ones may
  // still be added (modules share state through globalThis).
  for (const n of names) {
    const d = getOwnPropertyDescriptor(g, n);
    if (d && d.configurable) {
      if ('value' in d) defineProperty(g, n, { writable: false, configurable: false });
      else defineProperty(g, n, { configurable: false });
    }
  }
})();
