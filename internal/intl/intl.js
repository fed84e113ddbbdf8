// hotmod's Intl (see intl.go). The function below runs once per realm with
// the Go natives, before any module, and defines the global Intl. It is a
// thin shell: the public constructors and methods, which build the
// implementation (makeImpl) on the realm's first use of Intl, so that a
// realm that never formats pays little for it.
(function (natives) {
  'use strict';
  const { defineProperty } = Object;
  const G = globalThis;
  let impl;
  const I = () => impl || (impl = makeImpl());
  const shell = {};
  const value = (o, k, v) => defineProperty(o, k, { value: v, writable: true, configurable: true });
  const named = (f, name, length) => {
    defineProperty(f, 'name', { value: name });
    defineProperty(f, 'length', { value: length });
    return f;
  };
  // Each class: its constructor, then its methods ([name, length]) and
  // getters (name).
  const classes = [
    ['NumberFormat', function (locales, options) { return I().NumberFormat(this, new.target, locales, options); }, [['formatToParts', 1], ['resolvedOptions', 0]], ['format']],
    ['DateTimeFormat', function (locales, options) { return I().DateTimeFormat(this, new.target, locales, options); }, [['formatToParts', 1], ['resolvedOptions', 0]], ['format']],
    ['PluralRules', function (locales, options) { I().PluralRules(this, new.target, locales, options); }, [['select', 1], ['resolvedOptions', 0]], []],
    ['Collator', function (locales, options) { return I().Collator(this, new.target, locales, options); }, [['resolvedOptions', 0]], ['compare']],
    ['RelativeTimeFormat', function (locales, options) { I().RelativeTimeFormat(this, new.target, locales, options); }, [['format', 2], ['formatToParts', 2], ['resolvedOptions', 0]], []],
    ['ListFormat', function (locales, options) { I().ListFormat(this, new.target, locales, options); }, [['format', 1], ['formatToParts', 1], ['resolvedOptions', 0]], []],
  ];
  const Intl = {};
  defineProperty(Intl, Symbol.toStringTag, { value: 'Intl', configurable: true });
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i], name = c[0], ctor = c[1], methods = c[2], getters = c[3];
    named(ctor, name, 0);
    const p = ctor.prototype;
    for (let j = 0; j < methods.length; j++) {
      const m = methods[j][0];
      value(p, m, named(function (a, b) { return I().protos[name][m].call(this, a, b); }, m, methods[j][1]));
    }
    for (let j = 0; j < getters.length; j++) {
      const g = getters[j];
      defineProperty(p, g, { get: named(function () { return Object.getOwnPropertyDescriptor(I().protos[name], g).get.call(this); }, 'get ' + g, 0), configurable: true });
    }
    defineProperty(p, Symbol.toStringTag, { value: 'Intl.' + name, configurable: true });
    value(ctor, 'supportedLocalesOf', named(function (locales, options) { return I().supportedLocalesOf(locales, options); }, 'supportedLocalesOf', 1));
    shell[name] = ctor;
    value(Intl, name, ctor);
  }
  value(Intl, 'getCanonicalLocales', named(function (locales) { return I().getCanonicalLocales(locales); }, 'getCanonicalLocales', 1));
  value(G, 'Intl', Intl);

  // The locale methods of the built-ins.
  const builtin = (obj, name, key, length) => value(obj, name, named(function (a, b) { return I().builtins[key].call(this, a, b); }, name, length));
  builtin(Number.prototype, 'toLocaleString', 'toLocaleString', 0);
  if (typeof BigInt === 'function') builtin(BigInt.prototype, 'toLocaleString', 'toLocaleStringBigInt', 0);
  builtin(Date.prototype, 'toLocaleString', 'Date.toLocaleString', 0);
  builtin(Date.prototype, 'toLocaleDateString', 'Date.toLocaleDateString', 0);
  builtin(Date.prototype, 'toLocaleTimeString', 'Date.toLocaleTimeString', 0);
  builtin(String.prototype, 'localeCompare', 'localeCompare', 1);
  builtin(Array.prototype, 'toLocaleString', 'Array.toLocaleString', 0);

  function makeImpl() {
    const N = natives();
    const G = globalThis;
    const { defineProperty, keys } = Object;
    const jsonParse = JSON.parse;
    const isArray = Array.isArray;
    const slots = new WeakMap();
    const DEFAULT = N.defaultLocale;

    const unsupported = (what) => new RangeError(`hotmod's Intl does not support ${what}`);
    function slot(o, kind, method) {
      const s = (typeof o === 'object' || typeof o === 'function') && o !== null ? slots.get(o) : undefined;
      if (!s || s.kind !== kind) throw new TypeError(`Method Intl.${kind}.prototype.${method} called on incompatible receiver ${typeof o === 'object' ? String(o && Object.prototype.toString.call(o)) : String(o)}`);
      return s;
    }

    // Locales.
    function canonicalList(locales) {
      if (locales === undefined) return [];
      const list = typeof locales === 'string' ? [locales] : locales;
      if (list === null) throw new TypeError('Cannot convert undefined or null to object');
      const o = Object(list);
      const len = Math.min(Math.max(Math.trunc(Number(o.length)) || 0, 0), 2 ** 32 - 1);
      const out = [];
      for (let i = 0; i < len; i++) {
        if (!(i in o)) continue;
        const v = o[i];
        if (typeof v !== 'string' && (typeof v !== 'object' || v === null)) throw new TypeError('Language ID should be string or object.');
        const tag = String(v);
        const c = N.canonicalize(tag);
        if (c === '') throw new RangeError(`Incorrect locale information provided: ${tag}`);
        if (!out.includes(c)) out.push(c);
      }
      return out;
    }
    // resolveLocale picks the first requested locale. Node would use it
    // whenever its ICU knows it, so one hotmod does not support is an error,
    // never a silent fallback to another locale. Of its Unicode extension
    // (-u-), the keys relevant to the constructor are kept when supported
    // (ca-gregory, nu-latn, hc-*, kn), refused otherwise; others are
    // dropped, as Node drops them.
    const EXT_VALUES = { ca: ['gregory'], nu: ['latn'], hc: ['h11', 'h12', 'h23', 'h24'], kn: ['', 'true', 'false'], kf: ['false'], co: [] };
    function resolveLocale(locales, relevant) {
      const list = canonicalList(locales);
      if (list.length === 0) return { locale: DEFAULT, data: N.lookup(DEFAULT), ext: {}, extLocale: () => DEFAULT };
      const tag = list[0];
      const parts = tag.split('-');
      const u = parts.indexOf('u');
      const base = (u < 0 ? parts : parts.slice(0, u)).join('-');
      const data = N.lookup(base);
      if (!data || (u < 0 && parts.some((p) => p.length === 1))) throw unsupported(`the locale "${tag}" (it supports ${supportedList().join(', ')})`);
      const ext = {};
      const kept = [];
      if (u >= 0) {
        let i = u + 1;
        while (i < parts.length) {
          if (parts[i].length === 1) throw unsupported(`the locale "${tag}" (an extension other than -u-)`);
          const key = parts[i++];
          const vals = [];
          while (i < parts.length && parts[i].length > 2) vals.push(parts[i++]);
          const v = vals.join('-');
          if (!relevant || !relevant.includes(key)) continue;
          if (!EXT_VALUES[key] || !EXT_VALUES[key].includes(v)) throw unsupported(`the locale "${tag}" (-u-${key}${v ? '-' + v : ''})`);
          ext[key] = v;
          kept.push(key);
        }
      }
      return { locale: base, data, ext, keep: kept, extLocale: (ext2) => { const ks = kept.filter((k) => ext2[k] !== undefined); return ks.length ? base + '-u-' + ks.map((k) => k + (ext2[k] ? '-' + ext2[k] : '')).join('-') : base; } };
    }
    let supportedCache;
    const supportedList = () => supportedCache || (supportedCache = N.supported().sort());
    function supportedLocalesOf(locales, options) {
      const list = canonicalList(locales);
      if (options !== undefined) getOption(toObject(options), 'localeMatcher', ['lookup', 'best fit'], 'best fit');
      return list.filter((l) => N.lookup(l) !== '');
    }
    const localeCache = new Map();
    function localeData(data) {
      let d = localeCache.get(data);
      if (!d) { d = jsonParse(N.localeData(data)); localeCache.set(data, d); }
      return d;
    }

    // Options.
    function toObject(o) {
      if (o === null) throw new TypeError('Cannot convert undefined or null to object');
      return Object(o);
    }
    function options(o) { return o === undefined ? Object.create(null) : toObject(o); }
    function getOption(o, name, values, fallback) {
      let v = o[name];
      if (v === undefined) return fallback;
      v = String(v);
      if (values && !values.includes(v)) throw new RangeError(`Value ${v} out of range for Intl options property ${name}`);
      return v;
    }
    function getBool(o, name, fallback) {
      const v = o[name];
      return v === undefined ? fallback : Boolean(v);
    }
    function getNumber(o, name, min, max, fallback) {
      let v = o[name];
      if (v === undefined) return fallback;
      v = Number(v);
      if (isNaN(v) || v < min || v > max) throw new RangeError(`${name} value is out of range.`);
      return Math.floor(v);
    }
    function refuse(o, name, allowed) {
      const v = o[name];
      if (v !== undefined && String(v) !== allowed) throw unsupported(`${name}: "${String(v)}" (only "${allowed}")`);
    }

    // The prototype methods by class: the shell's methods call these.
    const protos = {};
    function makeClass(name, ctor, proto) {
      protos[name] = proto;
      return ctor;
    }
    function boundGetter(kind, method, make) {
      return function () {
        const s = slot(this, kind, method);
        if (!s.bound) s.bound = make(this, s);
        return s.bound;
      };
    }

    // NumberFormat.
    function newNumberFormat(locales, opts, defaults) {
      const R = resolveLocale(locales, ['nu']);
      const { data } = R;
      const locale = R.ext.nu !== undefined ? R.extLocale(R.ext) : R.locale;
      const o = options(opts);
      getOption(o, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
      refuse(o, 'numberingSystem', 'latn');
      const style = getOption(o, 'style', ['decimal', 'percent', 'currency', 'unit'], defaults && defaults.style || 'decimal');
      if (style === 'unit') throw unsupported('style: "unit"');
      let cur = o.currency;
      if (cur !== undefined) {
        cur = String(cur);
        if (!/^[A-Za-z]{3}$/.test(cur)) throw new RangeError(`Invalid currency code : ${cur}`);
        cur = cur.toUpperCase();
      }
      const currencyDisplay = getOption(o, 'currencyDisplay', ['code', 'symbol', 'narrowSymbol', 'name'], 'symbol');
      const currencySign = getOption(o, 'currencySign', ['standard', 'accounting'], 'standard');
      if (style === 'currency' && cur === undefined) throw new TypeError('Currency code is required with currency style.');
      if (style === 'currency' && currencyDisplay === 'name') throw unsupported('currencyDisplay: "name"');
      const notation = getOption(o, 'notation', ['standard', 'scientific', 'engineering', 'compact'], 'standard');
      if (notation !== 'standard') throw unsupported(`notation: "${notation}"`);
      const cdigits = style === 'currency' ? N.currencyDigits(cur) : 0;
      const mnfdDefault = style === 'currency' ? cdigits : 0;
      const mxfdDefault = style === 'currency' ? cdigits : style === 'percent' ? 0 : 3;
      const minimumIntegerDigits = getNumber(o, 'minimumIntegerDigits', 1, 21, 1);
      const mnsd0 = o.minimumSignificantDigits, mxsd0 = o.maximumSignificantDigits;
      const r = { kind: 'NumberFormat', locale, data, style, minimumIntegerDigits };
      if (style === 'currency') Object.assign(r, { currency: cur, currencyDisplay, currencySign });
      const roundingIncrement = getNumber(o, 'roundingIncrement', 1, 5000, 1);
      if (roundingIncrement !== 1) throw unsupported(`roundingIncrement: ${roundingIncrement}`);
      const roundingMode = getOption(o, 'roundingMode', ['ceil', 'floor', 'expand', 'trunc', 'halfCeil', 'halfFloor', 'halfExpand', 'halfTrunc', 'halfEven'], 'halfExpand');
      if (roundingMode !== 'halfExpand') throw unsupported(`roundingMode: "${roundingMode}"`);
      const roundingPriority = getOption(o, 'roundingPriority', ['auto', 'morePrecision', 'lessPrecision'], 'auto');
      if (roundingPriority !== 'auto') throw unsupported(`roundingPriority: "${roundingPriority}"`);
      const trailingZeroDisplay = getOption(o, 'trailingZeroDisplay', ['auto', 'stripIfInteger'], 'auto');
      if (mnsd0 !== undefined || mxsd0 !== undefined) {
        r.minimumSignificantDigits = getNumber(o, 'minimumSignificantDigits', 1, 21, 1);
        r.maximumSignificantDigits = getNumber(o, 'maximumSignificantDigits', r.minimumSignificantDigits, 21, 21);
      } else {
        let mnfd = getNumber(o, 'minimumFractionDigits', 0, 100, undefined);
        let mxfd = getNumber(o, 'maximumFractionDigits', 0, 100, undefined);
        if (mnfd === undefined && mxfd === undefined) { mnfd = mnfdDefault; mxfd = mxfdDefault; }
        else if (mnfd === undefined) mnfd = Math.min(mnfdDefault, mxfd);
        else if (mxfd === undefined) mxfd = Math.max(mxfdDefault, mnfd);
        else if (mnfd > mxfd) throw new RangeError('maximumFractionDigits value is out of range.');
        r.minimumFractionDigits = mnfd;
        r.maximumFractionDigits = mxfd;
      }
      let g = o.useGrouping;
      let useGrouping;
      if (g === undefined) useGrouping = notation === 'compact' ? 'min2' : 'auto';
      else if (g === true) useGrouping = 'always';
      else if (g === false || g === null || g === 0 || g === '' ) useGrouping = false;
      else {
        g = String(g);
        if (g === 'true' || g === 'false') useGrouping = 'auto';
        else if (['min2', 'auto', 'always'].includes(g)) useGrouping = g;
        else throw new RangeError(`Value ${g} out of range for Intl.NumberFormat options property useGrouping`);
      }
      r.useGrouping = useGrouping;
      r.notation = notation;
      r.signDisplay = getOption(o, 'signDisplay', ['auto', 'never', 'always', 'exceptZero', 'negative'], 'auto');
      r.roundingMode = roundingMode;
      r.roundingIncrement = roundingIncrement;
      r.trailingZeroDisplay = trailingZeroDisplay;
      r.roundingPriority = roundingPriority;
      r.L = localeData(data).number;
      if (style === 'currency') {
        const syms = N.currencySymbols(data, cur);
        r.symbol = currencyDisplay === 'code' ? cur : !syms || !syms.length ? cur : currencyDisplay === 'narrowSymbol' ? (syms[1] || syms[0]) : syms[0];
        r.spaceAfter = N.currencySpacing(r.symbol, true);
        r.spaceBefore = N.currencySpacing(r.symbol, false);
      }
      return r;
    }
    function numberParts(s, x) {
      const L = s.L;
      const out = [];
      let negative, zero, ip, fp, special;
      if (typeof x === 'bigint') {
        negative = x < 0n;
        ip = String(negative ? -x : x);
        if (s.style === 'percent') ip += '00';
        fp = '0'.repeat(s.maximumSignificantDigits ? 0 : s.minimumFractionDigits);
        if (s.maximumSignificantDigits && ip.length > s.maximumSignificantDigits) {
          const d = N.digits(Number(ip), 0, s.minimumIntegerDigits, 0, 0, s.minimumSignificantDigits, s.maximumSignificantDigits, false);
          ip = d[0]; fp = d[1];
        }
        if (ip.length < s.minimumIntegerDigits) ip = '0'.repeat(s.minimumIntegerDigits - ip.length) + ip;
        zero = /^0*$/.test(ip + fp);
      } else {
        negative = x < 0 || Object.is(x, -0);
        if (isNaN(x)) { special = ['nan', L.nan]; negative = false; zero = false; }
        else if (!isFinite(x)) { special = ['infinity', L.infinity]; zero = false; }
        else {
          const d = N.digits(x, s.style === 'percent' ? 2 : 0, s.minimumIntegerDigits,
            s.minimumFractionDigits || 0, s.maximumFractionDigits || 0,
            s.minimumSignificantDigits || 0, s.maximumSignificantDigits || 0, s.trailingZeroDisplay === 'stripIfInteger');
          ip = d[0]; fp = d[1]; zero = d[2] === '1';
        }
      }
      let which = 0;
      switch (s.signDisplay) {
        case 'auto': which = negative ? 1 : 0; break;
        case 'always': which = negative ? 1 : 2; break;
        case 'exceptZero': which = zero ? 0 : negative ? 1 : 2; break;
        case 'negative': which = negative && !zero ? 1 : 0; break;
        case 'never': which = 0; break;
      }
      const patName = s.style === 'currency' ? (s.currencySign === 'accounting' ? 'accounting' : 'currency') : s.style;
      const pat = L.patterns[patName][which];
      for (let i = 0; i < pat.length; i++) {
        const t = pat[i];
        if (t === '#') {
          if (pat[i - 1] === '¤' && s.spaceAfter) out.push({ type: 'literal', value: '\u00a0' });
          if (special) out.push({ type: special[0], value: special[1] });
          else {
            const minGroup = s.useGrouping === false ? Infinity : s.useGrouping === 'always' ? 1 : s.useGrouping === 'min2' ? 2 : L.minGrouping;
            if (ip.length >= 3 + minGroup) {
              const first = ip.length % 3 || 3;
              out.push({ type: 'integer', value: ip.slice(0, first) });
              for (let j = first; j < ip.length; j += 3) {
                out.push({ type: 'group', value: L.group });
                out.push({ type: 'integer', value: ip.slice(j, j + 3) });
              }
            } else out.push({ type: 'integer', value: ip });
            if (fp) {
              out.push({ type: 'decimal', value: L.decimal });
              out.push({ type: 'fraction', value: fp });
            }
          }
          if (pat[i + 1] === '¤' && s.spaceBefore) out.push({ type: 'literal', value: '\u00a0' });
        } else if (t === '¤') out.push({ type: 'currency', value: s.symbol });
        else out.push({ type: t[0], value: t[1] });
      }
      return out;
    }
    const join = (parts) => { let r = ''; for (const p of parts) r += p.value; return r; };
    function toNumeric(v) {
      if (typeof v === 'bigint') return v;
      if (typeof v === 'object' && v !== null) { v = v.valueOf(); if (typeof v === 'bigint') return v; }
      return Number(v);
    }
    function NumberFormat(self, nt, locales, options) {
      const s = newNumberFormat(locales, options);
      const o = nt ? self : Object.create(shell.NumberFormat.prototype);
      slots.set(o, s);
      return o;
    }
    makeClass('NumberFormat', NumberFormat, {
      get format() {
        return boundGetter('NumberFormat', 'format', (self, s) => { const f = (v) => join(numberParts(s, toNumeric(v))); defineProperty(f, 'name', { value: '' }); return f; }).call(this);
      },
      formatToParts(v) { return numberParts(slot(this, 'NumberFormat', 'formatToParts'), toNumeric(v)); },
      resolvedOptions() {
        const s = slot(this, 'NumberFormat', 'resolvedOptions');
        const r = { locale: s.locale, numberingSystem: 'latn', style: s.style };
        if (s.style === 'currency') Object.assign(r, { currency: s.currency, currencyDisplay: s.currencyDisplay, currencySign: s.currencySign });
        r.minimumIntegerDigits = s.minimumIntegerDigits;
        for (const k of ['minimumFractionDigits', 'maximumFractionDigits', 'minimumSignificantDigits', 'maximumSignificantDigits']) if (s[k] !== undefined) r[k] = s[k];
        for (const k of ['useGrouping', 'notation', 'signDisplay', 'roundingMode', 'roundingIncrement', 'trailingZeroDisplay', 'roundingPriority']) r[k] = s[k];
        return r;
      },
    });

    // PluralRules.
    const CATEGORIES = {
      'en-US|cardinal': ['one', 'other'], 'en-US|ordinal': ['few', 'one', 'two', 'other'],
      'en-GB|cardinal': ['one', 'other'], 'en-GB|ordinal': ['few', 'one', 'two', 'other'],
      'de|cardinal': ['one', 'other'], 'de|ordinal': ['other'],
      'fr|cardinal': ['many', 'one', 'other'], 'fr|ordinal': ['one', 'other'],
      'es|cardinal': ['many', 'one', 'other'], 'es|ordinal': ['other'],
      'ja|cardinal': ['other'], 'ja|ordinal': ['other'], 'zh|cardinal': ['other'], 'zh|ordinal': ['other'],
    };
    function pluralOf(s, n) {
      if (!isFinite(n)) return 'other';
      const d = N.digits(n, 0, 1, s.minimumFractionDigits || 0, s.maximumFractionDigits || 0, s.minimumSignificantDigits || 0, s.maximumSignificantDigits || 0, false);
      return N.plural(s.data === 'en-GB' ? 'en' : s.data, s.type === 'ordinal', d[0], d[1]);
    }
    function PluralRules(self, nt, locales, options) {
      if (!nt) throw new TypeError("Constructor Intl.PluralRules requires 'new'");
      const o = options === undefined ? Object.create(null) : toObject(options);
      const type = getOption(o, 'type', ['cardinal', 'ordinal'], 'cardinal');
      const nf = newNumberFormat(locales, { minimumIntegerDigits: o.minimumIntegerDigits, minimumFractionDigits: o.minimumFractionDigits, maximumFractionDigits: o.maximumFractionDigits, minimumSignificantDigits: o.minimumSignificantDigits, maximumSignificantDigits: o.maximumSignificantDigits, localeMatcher: o.localeMatcher });
      nf.kind = 'PluralRules';
      // ICU's plural rules are per language: Node resolves en-GB to en.
      nf.locale = nf.locale.split('-')[0];
      nf.type = type;
      slots.set(self, nf);
    }
    makeClass('PluralRules', PluralRules, {
      select(n) { return pluralOf(slot(this, 'PluralRules', 'select'), Number(n)); },
      resolvedOptions() {
        const s = slot(this, 'PluralRules', 'resolvedOptions');
        const r = { locale: s.locale, type: s.type, minimumIntegerDigits: s.minimumIntegerDigits };
        for (const k of ['minimumFractionDigits', 'maximumFractionDigits', 'minimumSignificantDigits', 'maximumSignificantDigits']) if (s[k] !== undefined) r[k] = s[k];
        r.pluralCategories = CATEGORIES[s.data + '|' + s.type].slice();
        return r;
      },
    });

    // DateTimeFormat.
    const DATE_FIELDS = ['weekday', 'era', 'year', 'month', 'day'];
    const TIME_FIELDS = ['hour', 'minute', 'second'];
    const FIELD_VALUES = {
      weekday: ['narrow', 'short', 'long'], era: ['narrow', 'short', 'long'], year: ['2-digit', 'numeric'],
      month: ['2-digit', 'numeric', 'narrow', 'short', 'long'], day: ['2-digit', 'numeric'],
      hour: ['2-digit', 'numeric'], minute: ['2-digit', 'numeric'], second: ['2-digit', 'numeric'],
      timeZoneName: ['short', 'long', 'shortOffset', 'longOffset', 'shortGeneric', 'longGeneric'],
    };
    const STYLES = ['full', 'long', 'medium', 'short'];
    function newDateTimeFormat(locales, opts, required, defaults) {
      const R = resolveLocale(locales, ['ca', 'hc', 'nu']);
      const { data } = R;
      const o = options(opts);
      getOption(o, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
      refuse(o, 'calendar', 'gregory');
      refuse(o, 'numberingSystem', 'latn');
      const hour12 = o.hour12 === undefined ? undefined : Boolean(o.hour12);
      let hourCycle = getOption(o, 'hourCycle', ['h11', 'h12', 'h23', 'h24'], undefined);
      const ext = Object.assign({}, R.ext);
      if (hour12 !== undefined || hourCycle !== undefined) delete ext.hc;
      else if (ext.hc !== undefined) hourCycle = ext.hc;
      if (hour12 !== undefined) hourCycle = undefined;
      const locale = R.extLocale(ext);
      let tz = o.timeZone;
      if (tz === undefined) tz = N.defaultTimeZone;
      else {
        const name = String(tz);
        tz = N.zone(name);
        if (tz === '') throw new RangeError(`Invalid time zone specified: ${name}`);
      }
      const f = {};
      for (const k of ['weekday', 'era', 'year', 'month', 'day']) f[k] = getOption(o, k, FIELD_VALUES[k], undefined);
      const dayPeriod = getOption(o, 'dayPeriod', ['narrow', 'short', 'long'], undefined);
      for (const k of TIME_FIELDS) f[k] = getOption(o, k, FIELD_VALUES[k], undefined);
      const fsd = getNumber(o, 'fractionalSecondDigits', 1, 3, undefined);
      f.timeZoneName = getOption(o, 'timeZoneName', FIELD_VALUES.timeZoneName, undefined);
      getOption(o, 'formatMatcher', ['basic', 'best fit'], 'best fit');
      const dateStyle = getOption(o, 'dateStyle', STYLES, undefined);
      const timeStyle = getOption(o, 'timeStyle', STYLES, undefined);
      const s = { kind: 'DateTimeFormat', locale, data, timeZone: tz, dateStyle, timeStyle };
      const L = localeData(data);
      s.L = L;
      const explicit = DATE_FIELDS.concat(TIME_FIELDS, ['timeZoneName']).some((k) => f[k] !== undefined) || dayPeriod !== undefined || fsd !== undefined;
      if (dateStyle || timeStyle) {
        if (explicit) throw new TypeError(`Can't set option ${DATE_FIELDS.concat(TIME_FIELDS, ['timeZoneName']).find((k) => f[k] !== undefined) || 'fractionalSecondDigits'} when ${dateStyle ? 'dateStyle' : 'timeStyle'} is used`);
        if (required === 'date' && timeStyle && !dateStyle) throw new TypeError('Invalid option : timeStyle');
        if (required === 'time' && dateStyle && !timeStyle) throw new TypeError('Invalid option : dateStyle');
        let h12 = hour12;
        if (h12 === undefined && hourCycle !== undefined) h12 = hourCycle === 'h11' || hourCycle === 'h12';
        s.tokens = pattern(data, 'styles', [dateStyle || '', timeStyle || '', h12 === undefined || !timeStyle ? '' : h12].join('|'));
      } else {
        if (dayPeriod !== undefined) throw unsupported('the dayPeriod option');
        if (fsd !== undefined) throw unsupported('the fractionalSecondDigits option');
        let needDefaults = true;
        if ((required === 'date' || required === 'any') && ['weekday', 'year', 'month', 'day'].some((k) => f[k] !== undefined)) needDefaults = false;
        if ((required === 'time' || required === 'any') && TIME_FIELDS.some((k) => f[k] !== undefined)) needDefaults = false;
        if (needDefaults && (defaults === 'date' || defaults === 'all')) f.year = f.month = f.day = 'numeric';
        if (needDefaults && (defaults === 'time' || defaults === 'all')) f.hour = f.minute = f.second = 'numeric';
        let h12 = hour12;
        if (h12 === undefined && hourCycle !== undefined) h12 = hourCycle === 'h11' || hourCycle === 'h12';
        const hasDate = DATE_FIELDS.some((k) => f[k] !== undefined);
        const hasTime = TIME_FIELDS.some((k) => f[k] !== undefined);
        const dkey = [f.era, f.year, f.month, f.day, f.weekday, '', '', '', '', ''].map((v) => v || '').join('|');
        const tkey = ['', '', '', '', '', f.hour, f.hour === undefined || h12 === undefined ? '' : h12, f.minute, f.second, f.timeZoneName].map((v) => v === undefined ? '' : String(v)).join('|');
        let toks;
        if (hasTime || f.timeZoneName !== undefined) {
          // A zone name with no time field is glued to the date as a time.
          toks = hasTime ? pattern(data, 'time', tkey) : [['timeZoneName', f.timeZoneName]];
          if (hasDate) {
            const d = pattern(data, 'date', dkey);
            const g = f.month === 'long' ? (f.weekday === 'long' ? 'full' : 'long') : f.month === 'short' ? 'medium' : 'short';
            toks = glue(L.glue[g], d, toks);
          }
        } else toks = pattern(data, 'date', dkey);
        s.tokens = toks;
        s.fields = f;
      }
      if (hourCycle !== undefined && hour12 === undefined) s.tokens = s.tokens.map((t) => isArray(t) && t[0] === 'hour' ? [t[0], t[1], hourCycle] : t);
      const ht = s.tokens.find((t) => isArray(t) && t[0] === 'hour');
      if (ht) s.hourCycle = ht[2];
      return s;
    }
    const patternCache = new Map();
    function pattern(data, kind, key) {
      const k = data + '/' + kind + '/' + key;
      let p = patternCache.get(k);
      if (!p) {
        const j = N.pattern(data, kind, key);
        if (!j) throw unsupported(`this combination of date-time options in ${data}: ${key.replace(/\|+$/, '')}`);
        p = jsonParse(j);
        for (const t of p) if (isArray(t) && t[1] === 'n') t[2] = N.names(t[2]);
        patternCache.set(k, p);
      }
      return p;
    }
    function glue(g, date, time) {
      const out = [];
      const re = /\{([01])\}/g;
      let last = 0, m;
      const lit = (s) => { if (!s) return; if (typeof out[out.length - 1] === 'string') out[out.length - 1] += s; else out.push(s); };
      const put = (toks) => { for (const t of toks) typeof t === 'string' ? lit(t) : out.push(t); };
      while ((m = re.exec(g))) {
        lit(g.slice(last, m.index));
        put(m[1] === '1' ? date : time);
        last = re.lastIndex;
      }
      lit(g.slice(last));
      return out;
    }
    const pad = (n, w) => { const s = String(n); return s.length >= w ? s : '0'.repeat(w - s.length) + s; };
    function gmtFormat(s, offset, long) {
      const g = s.L.gmt;
      if (offset === 0) return long ? g.longZero : g.zero;
      const prefix = g.shortHour.replace(/[-+\u2212][\d:]+$/, '');
      const sample = offset < 0 ? (long ? g.longNeg : g.shortNeg) : (long ? g.long : g.short);
      const sign = sample.slice(prefix.length).match(/^[-+\u2212]/)[0];
      const a = Math.abs(offset), h = Math.floor(a / 3600), m = Math.floor(a / 60) % 60, sec = a % 60;
      const body = (long ? pad(h, 2) + ':' + pad(m, 2) : String(h) + (m || sec ? ':' + pad(m, 2) : '')) + (sec ? ':' + pad(sec, 2) : '');
      return prefix + sign + body;
    }
    function dateParts(s, x) {
      if (x === undefined) x = Date.now();
      else x = Number(x);
      if (!isFinite(x) || Math.abs(x) > 8.64e15) throw new RangeError('Invalid time value');
      x = Math.trunc(x) + 0;
      const w = N.wall(s.timeZone, x);
      const y = w[0], mo = w[1], d = w[2], h = w[3], mi = w[4], se = w[5], wd = w[7], off = w[8];
      const out = [];
      for (const t of s.tokens) {
        if (typeof t === 'string') { out.push({ type: 'literal', value: t }); continue; }
        let v;
        switch (t[0]) {
          case 'year': { const ye = y > 0 ? y : 1 - y; v = t[1] === 2 ? pad(ye % 100, 2) : String(ye); break; }
          case 'month': v = t[1] === 'n' ? t[2][mo - 1] : pad(mo, t[1]); break;
          case 'day': v = pad(d, t[1]); break;
          case 'weekday': v = t[2][wd]; break;
          case 'era': v = t[2][y > 0 ? 1 : 0]; break;
          case 'dayPeriod': v = t[2][h]; break;
          case 'hour': {
            const c = t[2];
            const hh = c === 'h12' ? (h % 12 || 12) : c === 'h11' ? h % 12 : c === 'h24' ? (h || 24) : h;
            v = pad(hh, t[1]);
            break;
          }
          case 'minute': v = pad(mi, t[1]); break;
          case 'second': v = pad(se, t[1]); break;
          case 'timeZoneName': {
            const st = t[1];
            if (st === 'short' || st === 'long') v = N.zoneDisplay(s.timeZone, s.data, x, off, st);
            if (v === '!') throw unsupported(`the ${st} name of the time zone ${s.timeZone} at ${new Date(x).toISOString()} (its metazone changed; use timeZoneName "shortOffset" or "longOffset")`);
            if (!v) v = gmtFormat(s, off, st === 'long' || st === 'longOffset');
            break;
          }
        }
        out.push({ type: t[0], value: v });
      }
      return out;
    }
    // V8 gives format() (and toLocaleString) a space where ICU's pattern,
    // and formatToParts, have U+202F NARROW NO-BREAK SPACE (before AM/PM).
    const formatDate = (s, d) => join(dateParts(s, d)).replace(/\u202f/g, ' ');
    function DateTimeFormat(self, nt, locales, options) {
      const s = newDateTimeFormat(locales, options, 'any', 'date');
      const o = nt ? self : Object.create(shell.DateTimeFormat.prototype);
      slots.set(o, s);
      return o;
    }
    makeClass('DateTimeFormat', DateTimeFormat, {
      get format() {
        return boundGetter('DateTimeFormat', 'format', (self, s) => { const f = (d) => formatDate(s, d); defineProperty(f, 'name', { value: '' }); return f; }).call(this);
      },
      formatToParts(d) { return dateParts(slot(this, 'DateTimeFormat', 'formatToParts'), d); },
      resolvedOptions() {
        const s = slot(this, 'DateTimeFormat', 'resolvedOptions');
        const r = { locale: s.locale, calendar: 'gregory', numberingSystem: 'latn', timeZone: s.timeZone };
        if (s.hourCycle) { r.hourCycle = s.hourCycle; r.hour12 = s.hourCycle === 'h11' || s.hourCycle === 'h12'; }
        if (s.dateStyle || s.timeStyle) {
          if (s.dateStyle) r.dateStyle = s.dateStyle;
          if (s.timeStyle) r.timeStyle = s.timeStyle;
          return r;
        }
        const present = {};
        for (const t of s.tokens) if (isArray(t)) present[t[0]] = t;
        for (const k of ['weekday', 'era', 'year', 'month', 'day', 'hour', 'minute', 'second', 'timeZoneName']) {
          const t = present[k];
          if (!t) continue;
          if (k === 'weekday' || k === 'era' || k === 'timeZoneName' || (k === 'month' && t[1] === 'n')) r[k] = s.fields[k];
          else r[k] = t[1] === 2 ? '2-digit' : 'numeric';
        }
        return r;
      },
    });

    // Collator.
    function Collator(self, nt, locales, options) {
      const R = resolveLocale(locales, ['co', 'kn', 'kf']);
      const { data } = R;
      const o = options === undefined ? Object.create(null) : toObject(options);
      const usage = getOption(o, 'usage', ['sort', 'search'], 'sort');
      getOption(o, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
      refuse(o, 'collation', 'default');
      const ext = Object.assign({}, R.ext);
      const kn = ext.kn === undefined ? undefined : ext.kn !== 'false';
      const numeric = getBool(o, 'numeric', kn === undefined ? false : kn);
      // Node keeps -u-kn in the locale even when the option overrides it.
      const locale = R.extLocale(ext);
      const caseFirst = getOption(o, 'caseFirst', ['upper', 'lower', 'false'], 'false');
      if (caseFirst !== 'false') throw unsupported(`caseFirst: "${caseFirst}"`);
      const sensitivity = getOption(o, 'sensitivity', ['base', 'accent', 'case', 'variant'], 'variant');
      const ignorePunctuation = getBool(o, 'ignorePunctuation', false);
      if (ignorePunctuation) throw unsupported('ignorePunctuation: true');
      const lang = data === 'en-US' || data === 'en-GB' ? 'en' : data;
      // ICU has collations for en-US (the root's), zh-CN and zh-Hans; Node
      // resolves the other regions to the language.
      const cbase = { 'en-GB': 'en', 'de-DE': 'de', 'fr-FR': 'fr', 'es-ES': 'es', 'ja-JP': 'ja' }[R.locale];
      const resolved = cbase ? cbase + locale.slice(R.locale.length) : locale;
      const s = { kind: 'Collator', locale: resolved, usage, sensitivity, ignorePunctuation, numeric, caseFirst, cmp: N.collator(lang, sensitivity, numeric) };
      const inst = nt ? self : Object.create(shell.Collator.prototype);
      slots.set(inst, s);
      return inst;
    }
    makeClass('Collator', Collator, {
      get compare() {
        return boundGetter('Collator', 'compare', (self, s) => { const f = (a, b) => s.cmp(String(a), String(b)); defineProperty(f, 'name', { value: '' }); return f; }).call(this);
      },
      resolvedOptions() {
        const s = slot(this, 'Collator', 'resolvedOptions');
        return { locale: s.locale, usage: s.usage, sensitivity: s.sensitivity, ignorePunctuation: s.ignorePunctuation, collation: 'default', numeric: s.numeric, caseFirst: s.caseFirst };
      },
    });

    // RelativeTimeFormat.
    const UNITS = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'];
    function RelativeTimeFormat(self, nt, locales, options) {
      if (!nt) throw new TypeError("Constructor Intl.RelativeTimeFormat requires 'new'");
      const R = resolveLocale(locales, ['nu']);
      const { data } = R;
      const locale = R.extLocale(R.ext);
      const o = options === undefined ? Object.create(null) : toObject(options);
      getOption(o, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
      refuse(o, 'numberingSystem', 'latn');
      const style = getOption(o, 'style', ['long', 'short', 'narrow'], 'long');
      const numeric = getOption(o, 'numeric', ['always', 'auto'], 'always');
      const nf = newNumberFormat(R.locale, {});
      slots.set(self, { kind: 'RelativeTimeFormat', locale, data, style, numeric, nf, L: localeData(data) });
    }
    function relativeParts(s, value, unit) {
      value = Number(value);
      unit = String(unit);
      if (!isFinite(value)) throw new RangeError(`Invalid time value ${value}`);
      const u = unit.endsWith('s') ? unit.slice(0, -1) : unit;
      if (!UNITS.includes(u)) throw new RangeError(`Invalid unit argument for format() '${unit}'`);
      const e = s.L.relative[u + '|' + s.style];
      if (s.numeric === 'auto' && String(Object.is(value, -0) ? 0 : value) in e.auto) return [{ type: 'literal', value: e.auto[String(Object.is(value, -0) ? 0 : value)] }];
      const past = value < 0 || Object.is(value, -0);
      const abs = Math.abs(value);
      const cat = pluralOf({ data: s.data, type: 'cardinal', maximumFractionDigits: 3, minimumFractionDigits: 0 }, abs);
      const dir = past ? e.past : e.future;
      const pat = dir[cat] || dir.other;
      const out = [];
      const i = pat.indexOf('{0}');
      if (i > 0) out.push({ type: 'literal', value: pat.slice(0, i) });
      for (const p of numberParts(s.nf, abs)) out.push({ type: p.type, value: p.value, unit: u });
      if (i + 3 < pat.length) out.push({ type: 'literal', value: pat.slice(i + 3) });
      return out;
    }
    makeClass('RelativeTimeFormat', RelativeTimeFormat, {
      format(value, unit) { return join(relativeParts(slot(this, 'RelativeTimeFormat', 'format'), value, unit)); },
      formatToParts(value, unit) { return relativeParts(slot(this, 'RelativeTimeFormat', 'formatToParts'), value, unit); },
      resolvedOptions() {
        const s = slot(this, 'RelativeTimeFormat', 'resolvedOptions');
        return { locale: s.locale, style: s.style, numeric: s.numeric, numberingSystem: 'latn' };
      },
    });

    // ListFormat.
    function ListFormat(self, nt, locales, options) {
      if (!nt) throw new TypeError("Constructor Intl.ListFormat requires 'new'");
      const { locale, data } = resolveLocale(locales);
      const o = options === undefined ? Object.create(null) : toObject(options);
      getOption(o, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
      const type = getOption(o, 'type', ['conjunction', 'disjunction', 'unit'], 'conjunction');
      const style = getOption(o, 'style', ['long', 'short', 'narrow'], 'long');
      slots.set(self, { kind: 'ListFormat', locale, data, type, style, P: localeData(data).list[type + '|' + style] });
    }
    function listStrings(list) {
      const out = [];
      if (list === undefined) return out;
      for (const v of list) {
        if (typeof v !== 'string') throw new TypeError(`Iterable yielded ${typeof v === 'symbol' ? 'a symbol' : String(v)} which is not a string`);
        out.push(v);
      }
      return out;
    }
    // Spanish "y" is "e" before an /i/ sound, "o" is "u" before an /o/ sound
    // (as ICU does it).
    function spanish(s, sep, next) {
      if (s.data !== 'es') return sep;
      if (sep.includes(' y ') && /^(i|hi)(?![aeiouáéíóú])/i.test(next) && !/^hi[aeou]/i.test(next)) return sep.replace(' y ', ' e ');
      if (sep.includes(' o ') && (/^(o|ho)/i.test(next) || /^8/.test(next) || /^11(\D|$)/.test(next))) return sep.replace(' o ', ' u ');
      return sep;
    }
    function listParts(s, list) {
      const xs = listStrings(list);
      const P = s.P;
      const out = [];
      const el = (v) => out.push({ type: 'element', value: v });
      const lit = (v) => { if (v) out.push({ type: 'literal', value: v }); };
      if (xs.length === 0) return out;
      if (xs.length === 1) { el(xs[0]); return out; }
      if (xs.length === 2) {
        const m = P.pair.match(/^(.*)\{0\}(.*)\{1\}(.*)$/s);
        lit(m[1]); el(xs[0]); lit(spanish(s, m[2], xs[1])); el(xs[1]); lit(m[3]);
        return out;
      }
      el(xs[0]);
      for (let i = 1; i < xs.length; i++) {
        const sep = i === 1 ? P.start : i === xs.length - 1 ? P.end : P.middle;
        lit(i === xs.length - 1 ? spanish(s, sep, xs[i]) : sep);
        el(xs[i]);
      }
      return out;
    }
    makeClass('ListFormat', ListFormat, {
      format(list) { return join(listParts(slot(this, 'ListFormat', 'format'), list)); },
      formatToParts(list) { return listParts(slot(this, 'ListFormat', 'formatToParts'), list); },
      resolvedOptions() {
        const s = slot(this, 'ListFormat', 'resolvedOptions');
        return { locale: s.locale, type: s.type, style: s.style };
      },
    });


    // The locale methods of the built-ins. Formatters for the default
    // locale and no options are made once per realm.
    const builtins = {};
    const method = (obj, name, fn) => {
      const prefix = obj === Date.prototype ? 'Date.' : obj === Array.prototype ? 'Array.' : '';
      const suffix = typeof BigInt === 'function' && obj === BigInt.prototype ? 'BigInt' : '';
      builtins[prefix + name + suffix] = fn;
    };
    const cache = new Map();
    const cached = (key, make) => { let v = cache.get(key); if (!v) { v = make(); cache.set(key, v); } return v; };
    const thisNumber = (v) => {
      if (typeof v === 'number') return v;
      if (typeof v === 'object' && v !== null) { const n = Number.prototype.valueOf.call(v); return n; }
      return Number.prototype.valueOf.call(v);
    };
    method(Number.prototype, 'toLocaleString', function (locales, options) {
      const x = thisNumber(this);
      const s = locales === undefined && options === undefined ? cached('n', () => newNumberFormat()) : newNumberFormat(locales, options);
      return join(numberParts(s, x));
    });
    if (typeof BigInt === 'function') {
      method(BigInt.prototype, 'toLocaleString', function (locales, options) {
        const x = BigInt.prototype.valueOf.call(this);
        const s = locales === undefined && options === undefined ? cached('n', () => newNumberFormat()) : newNumberFormat(locales, options);
        return join(numberParts(s, x));
      });
    }
    const dateValue = Date.prototype.valueOf;
    const dateMethod = (name, required, defaults) => method(Date.prototype, name, function (locales, options) {
      const t = dateValue.call(this);
      if (isNaN(t)) return 'Invalid Date';
      const s = locales === undefined && options === undefined ? cached(name, () => newDateTimeFormat(undefined, undefined, required, defaults)) : newDateTimeFormat(locales, options, required, defaults);
      return formatDate(s, t);
    });
    dateMethod('toLocaleString', 'any', 'all');
    dateMethod('toLocaleDateString', 'date', 'date');
    dateMethod('toLocaleTimeString', 'time', 'time');
    method(String.prototype, 'localeCompare', function (that, locales, options) {
      if (this === undefined || this === null) throw new TypeError('String.prototype.localeCompare called on null or undefined');
      const a = String(this), b = String(that);
      const s = locales === undefined && options === undefined ? cached('c', () => slots.get(new shell.Collator())) : slots.get(new shell.Collator(locales, options));
      return s.cmp(a, b);
    });
    method(Array.prototype, 'toLocaleString', function (locales, options) {
      const o = toObject(this);
      const len = Math.min(Math.max(Math.trunc(Number(o.length)) || 0, 0), 2 ** 53 - 1);
      let r = '';
      for (let i = 0; i < len; i++) {
        if (i > 0) r += ',';
        const v = o[i];
        if (v !== undefined && v !== null) r += String(v.toLocaleString(locales, options));
      }
      return r;
    });
    return {
      NumberFormat, DateTimeFormat, PluralRules, Collator, RelativeTimeFormat, ListFormat, protos, builtins,
      supportedLocalesOf, getCanonicalLocales: canonicalList,
    };
  }
});
