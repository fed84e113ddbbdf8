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
  const add = (v) => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) return;
    seen.add(v);
    queue.push(v);
  };
  const g = globalThis;
  const names = getOwnPropertyNames(g);
  for (const n of names) {
    if (n !== 'globalThis') add(getOwnPropertyDescriptor(g, n).value);
  }
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
    if (!isFrozen(o)) freeze(o);
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
