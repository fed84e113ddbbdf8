// Array.prototype.sort with a comparator, in JavaScript (see repair.go,
// repairSort). goja's own sort calls the comparator from Go for every
// comparison, a re-entry into the interpreter each time; here every
// comparison is an ordinary call inside it. A sort without a comparator
// still goes to goja's (its string comparison is Go's and fast).
//
// The steps are ECMA-262's (SortIndexedProperties with skip-holes, then
// the write-back): the comparator is checked before `this` is converted;
// the values are read once, HasProperty before Get, holes skipped; the
// sort works on that copy, so a comparator that throws leaves the object
// as it was; undefined values go last and are never passed to the
// comparator; its result is converted with ToNumber (a BigInt or Symbol
// throws) and NaN counts as 0; the values are written back with strict
// Set, then undefineds, then the rest deleted, each failing with a
// TypeError (a frozen array, a read-only index). The sort is stable and
// makes about as few comparisons as V8's TimSort (a comparison is the
// comparator's cost, which is the whole cost in an interpreter): natural
// runs, extended to TimSort's minimum run by binary insertion, then merged
// pairwise with galloping at both ends. Like V8 it compares the later
// value against the earlier, so that even a comparator that never returns
// a negative number leaves the order V8 leaves.
(function (nativeSort) {
  'use strict';
  const callNative = Function.prototype.call.bind(nativeSort);
  // Captured now: a module replacing a built-in must not change sort.
  const TypeErrorCtor = TypeError, ObjectCtor = Object, ArrayCtor = Array, floor = Math.floor;
  const MAX_LENGTH = 9007199254740991;

  // insertion sorts a[lo, hi) in place, stably, a[lo, from) being sorted.
  const insertion = (a, lo, from, hi, cmp) => {
    for (let i = from; i < hi; i++) {
      const x = a[i];
      let l = lo, r = i;
      while (l < r) {
        const m = (l + r) >>> 1;
        // A NaN or -0 result is not below 0: x goes after a[m].
        if (+cmp(x, a[m]) < 0) r = m;
        else l = m + 1;
      }
      for (let j = i; j > l; j--) a[j] = a[j - 1];
      a[l] = x;
    }
  };

  // runEnd is the end of the run that starts at lo: ascending (each value
  // not below the one before) or strictly descending, reversed in place.
  const runEnd = (a, lo, n, cmp) => {
    let hi = lo + 1;
    if (hi === n) return hi;
    if (+cmp(a[hi], a[lo]) < 0) {
      for (hi++; hi < n && +cmp(a[hi], a[hi - 1]) < 0; hi++);
      for (let i = lo, j = hi - 1; i < j; i++, j--) { const t = a[i]; a[i] = a[j]; a[j] = t; }
    } else {
      for (hi++; hi < n && !(+cmp(a[hi], a[hi - 1]) < 0); hi++);
    }
    return hi;
  };

  // minRun is TimSort's (and V8's): runs of 32 to 64 values, so that the
  // number of runs is a power of two or just under one.
  const minRun = (n) => {
    let r = 0;
    while (n >= 64) { r |= n & 1; n >>= 1; }
    return n + r;
  };

  // merge writes src[lo, mid) and src[mid, hi), each sorted, into dst.
  // Before merging it gallops: the values of the left run not above the
  // right run's first stay where they are, and so do the values of the
  // right run not below the left run's last; partly ordered input (which
  // typed-function's signature lists are) then costs few comparisons.
  const merge = (src, dst, lo, mid, hi, cmp) => {
    let k = lo;
    if (!(+cmp(src[mid], src[mid - 1]) < 0)) {
      for (; k < hi; k++) dst[k] = src[k];
      return;
    }
    // i: the first left value that src[mid] goes before.
    const x = src[mid];
    let i;
    if (+cmp(x, src[lo]) < 0) {
      i = lo;
    } else {
      let known = lo, ofs = 1;
      while (lo + ofs < mid - 1 && !(+cmp(x, src[lo + ofs]) < 0)) { known = lo + ofs; ofs = ofs * 2 + 1; }
      let l = known + 1, r = lo + ofs < mid - 1 ? lo + ofs : mid - 1;
      while (l < r) {
        const m = (l + r) >>> 1;
        if (+cmp(x, src[m]) < 0) r = m;
        else l = m + 1;
      }
      i = l;
    }
    // e: the first right value not below src[mid - 1], the left's last.
    const y = src[mid - 1];
    let e;
    if (+cmp(src[hi - 1], y) < 0) {
      e = hi;
    } else {
      let known = hi - 1, ofs = 1;
      while (hi - 1 - ofs > mid && !(+cmp(src[hi - 1 - ofs], y) < 0)) { known = hi - 1 - ofs; ofs = ofs * 2 + 1; }
      let l = hi - 1 - ofs > mid ? hi - 1 - ofs + 1 : mid + 1, r = known;
      while (l < r) {
        const m = (l + r) >>> 1;
        if (+cmp(src[m], y) < 0) l = m + 1;
        else r = m;
      }
      e = l;
    }
    for (; k < i; k++) dst[k] = src[k];
    let j = mid;
    while (i < mid && j < e) {
      if (+cmp(src[j], src[i]) < 0) dst[k++] = src[j++];
      else dst[k++] = src[i++];
    }
    while (i < mid) dst[k++] = src[i++];
    while (j < hi) dst[k++] = src[j++];
  };

  const sortValues = (items, cmp) => {
    const n = items.length;
    if (n < 2) return items;
    const min = minRun(n);
    const runs = [];
    for (let lo = 0; lo < n;) {
      let hi = runEnd(items, lo, n, cmp);
      const want = lo + min < n ? lo + min : n;
      if (hi < want) { insertion(items, lo, hi, want, cmp); hi = want; }
      runs[runs.length] = lo;
      lo = hi;
    }
    if (runs.length === 1) return items;
    runs[runs.length] = n;
    let src = items, dst = new ArrayCtor(n), bounds = runs;
    while (bounds.length > 2) {
      const next = [];
      let r = 0;
      for (; r + 2 < bounds.length; r += 2) {
        merge(src, dst, bounds[r], bounds[r + 1], bounds[r + 2], cmp);
        next[next.length] = bounds[r];
      }
      if (r + 1 < bounds.length) {
        for (let k = bounds[r]; k < bounds[r + 1]; k++) dst[k] = src[k];
        next[next.length] = bounds[r];
      }
      next[next.length] = n;
      const t = src; src = dst; dst = t;
      bounds = next;
    }
    return src;
  };

  const methods = {
    sort(comparefn) {
      if (comparefn === undefined) return callNative(this);
      if (typeof comparefn !== 'function') {
        throw new TypeErrorCtor('The comparison function must be either a function or undefined');
      }
      if (this === undefined || this === null) {
        throw new TypeErrorCtor('Array.prototype.sort called on null or undefined');
      }
      const obj = ObjectCtor(this);
      let len = +obj.length;
      len = len > 0 ? (len < MAX_LENGTH ? floor(len) : MAX_LENGTH) : 0;
      const items = [];
      let undefs = 0;
      for (let k = 0; k < len; k++) {
        if (k in obj) {
          const v = obj[k];
          if (v === undefined) undefs++;
          else items[items.length] = v;
        }
      }
      // Called from a local, the comparator gets `this` undefined.
      const sorted = sortValues(items, comparefn);
      let j = 0;
      for (; j < sorted.length; j++) obj[j] = sorted[j];
      for (const end = j + undefs; j < end; j++) obj[j] = undefined;
      for (; j < len; j++) delete obj[j];
      return obj;
    },
  };
  return methods.sort;
})
