// gen.js records, from Node's ICU, the CLDR data hotmod's Intl formats
// with: date patterns, month/weekday/era/day-period names, time zone names,
// number symbols and patterns, currency symbols, relative-time and list
// patterns. Run from internal/intl:
// `TZ=UTC node gen/gen.js | gzip -9n > cldr.json.gz`.
// The data is CLDR's (Unicode license), as Node 20's ICU ships it.
'use strict';
const fs = require('fs');
const LOCALES = ['en-US', 'en-GB', 'de', 'fr', 'es', 'ja', 'zh'];
// Locales that format exactly as another: checked below on samples.
const ALIASES = { en: 'en-US', 'de-DE': 'de', 'fr-FR': 'fr', 'es-ES': 'es', 'ja-JP': 'ja', 'zh-CN': 'zh', 'zh-Hans': 'zh', 'zh-Hans-CN': 'zh' };
const REF = Date.UTC(2024, 2, 5, 14, 7, 9); // Tue 2024-03-05 14:07:09 UTC
const out = { node: process.version, icu: process.versions.icu, cldr: process.versions.cldr, aliases: ALIASES, locales: {}, zones: {} };

const names = [];
const nameIndex = new Map();
function nameID(list) {
  const k = JSON.stringify(list);
  if (!nameIndex.has(k)) { nameIndex.set(k, names.length); names.push(list); }
  return nameIndex.get(k);
}
const dtf = (l, o) => new Intl.DateTimeFormat(l, { timeZone: 'UTC', ...o });
const partsOf = (l, o, t) => dtf(l, o).formatToParts(t);
const nth = (parts, type, k) => parts.filter((p) => p.type === type)[k].value;

// pattern turns the options into a token list: a string is a literal; an
// array is [field, width] for numbers (1 or 2 digits), [field, "n", id] for
// names (id into names, indexed by month-1, weekday 0=Sunday, era 0=BC,
// hour for dayPeriod), ["hour", width, cycle], ["timeZoneName", style].
function pattern(l, o) {
  const parts = partsOf(l, o, REF);
  const seen = {};
  const toks = [];
  for (const p of parts) {
    const k = seen[p.type] = (seen[p.type] || 0) + 1;
    const i = k - 1;
    switch (p.type) {
      case 'literal': toks.push(p.value); break;
      case 'year':
        toks.push(['year', p.value === '24' ? 2 : 1]); break;
      case 'month':
        if (/^\d+$/.test(p.value)) toks.push(['month', p.value.length]);
        else toks.push(['month', 'n', nameID([...Array(12)].map((_, m) => nth(partsOf(l, o, Date.UTC(2024, m, 15, 14, 7, 9)), 'month', i)))]);
        break;
      case 'day': toks.push(['day', p.value.length]); break;
      case 'weekday':
        toks.push(['weekday', 'n', nameID([...Array(7)].map((_, d) => nth(partsOf(l, o, Date.UTC(2024, 2, 3 + d, 14, 7, 9)), 'weekday', i)))]); break;
      case 'era':
        toks.push(['era', 'n', nameID([Date.UTC(-100, 0, 15), REF].map((t) => nth(partsOf(l, o, t), 'era', i)))]); break;
      case 'dayPeriod':
        toks.push(['dayPeriod', 'n', nameID([...Array(24)].map((_, h) => nth(partsOf(l, o, Date.UTC(2024, 2, 5, h, 7, 9)), 'dayPeriod', i)))]); break;
      case 'hour': {
        const at = (h) => nth(partsOf(l, o, Date.UTC(2024, 2, 5, h, 7, 9)), 'hour', i);
        const h0 = +at(0), h12 = +at(12);
        const cycle = h0 === 12 ? 'h12' : h0 === 24 ? 'h24' : h12 === 0 ? 'h11' : 'h23';
        toks.push(['hour', at(1).length, cycle]);
        break;
      }
      case 'minute': case 'second': toks.push([p.type, p.value.length]); break;
      case 'timeZoneName': toks.push(['timeZoneName', o.timeZoneName || (o.timeStyle === 'full' ? 'long' : 'short')]); break;
      case 'fractionalSecond': toks.push(['fractionalSecond', p.value.length]); break;
      default: throw new Error('part ' + p.type + ' in ' + l + ' ' + JSON.stringify(o));
    }
  }
  // Merge adjacent literals.
  const merged = [];
  for (const t of toks) {
    if (typeof t === 'string' && typeof merged[merged.length - 1] === 'string') merged[merged.length - 1] += t;
    else merged.push(t);
  }
  return merged;
}

const V = (xs) => [undefined, ...xs];
const dateKeys = [];
for (const era of V(['short', 'long', 'narrow']))
  for (const year of V(['numeric', '2-digit']))
    for (const month of V(['numeric', '2-digit', 'short', 'long', 'narrow']))
      for (const day of V(['numeric', '2-digit']))
        for (const weekday of V(['short', 'long', 'narrow'])) dateKeys.push({ era, year, month, day, weekday });
const timeKeys = [];
for (const hour of V(['numeric', '2-digit']))
  for (const hour12 of hour ? [undefined, true, false] : [undefined])
    for (const minute of V(['numeric', '2-digit']))
      for (const second of V(['numeric', '2-digit']))
        for (const timeZoneName of V(['short', 'long', 'shortOffset', 'longOffset'])) timeKeys.push({ hour, hour12, minute, second, timeZoneName });
const clean = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const key = (o) => ['era', 'year', 'month', 'day', 'weekday', 'hour', 'hour12', 'minute', 'second', 'timeZoneName'].map((k) => o[k] === undefined ? '' : String(o[k])).join('|');
const empty = (o) => Object.keys(clean(o)).length === 0;

for (const l of LOCALES) {
  const L = { date: {}, time: {}, glue: {}, styles: {} };
  for (const d of dateKeys) if (!empty(d)) L.date[key(d)] = pattern(l, clean(d));
  for (const t of timeKeys) if (!empty(t)) {
    // A time zone name alone is not a time: the spec adds hour/minute/second.
    if (t.hour === undefined && t.minute === undefined && t.second === undefined) continue;
    L.time[key(t)] = pattern(l, clean(t));
  }
  // Glue: {1} is the date, {0} the time, by the date part's width.
  const glueDates = { full: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }, long: { year: 'numeric', month: 'long', day: 'numeric' }, medium: { year: 'numeric', month: 'short', day: 'numeric' }, short: { year: 'numeric', month: 'numeric', day: 'numeric' } };
  const T = { hour: 'numeric', minute: '2-digit' };
  for (const [g, d] of Object.entries(glueDates)) {
    const all = dtf(l, { ...d, ...T }).format(REF), ds = dtf(l, d).format(REF), ts = dtf(l, T).format(REF);
    if (!all.includes(ds) || !all.includes(ts)) throw new Error('glue ' + l + g);
    L.glue[g] = all.replace(ds, '{1}').replace(ts, '{0}');
  }
  for (const ds of V(['full', 'long', 'medium', 'short']))
    for (const ts of V(['full', 'long', 'medium', 'short']))
      for (const hour12 of ts ? [undefined, true, false] : [undefined]) {
        if (!ds && !ts) continue;
        const o = clean({ dateStyle: ds, timeStyle: ts, hour12 });
        L.styles[[ds || '', ts || '', hour12 === undefined ? '' : hour12].join('|')] = pattern(l, o);
      }
  // Default hour cycle and the resolved options of hour12.
  const ro = (o) => dtf(l, { hour: 'numeric', ...o }).resolvedOptions().hourCycle;
  L.hourCycle = { def: ro({}), h12: ro({ hour12: true }), h23: ro({ hour12: false }) };
  // Numbers.
  const nf = (o) => new Intl.NumberFormat(l, o);
  const np = (o, x) => nf(o).formatToParts(x);
  const sym = (type) => np({}, -1234567.5).find((p) => p.type === type).value;
  const numPattern = (o, x) => {
    const toks = [];
    for (const p of np(o, x)) {
      if (['integer', 'group', 'decimal', 'fraction'].includes(p.type)) { if (toks[toks.length - 1] !== '#') toks.push('#'); }
      else if (p.type === 'currency') toks.push('¤');
      else toks.push([p.type, p.value]);
    }
    return toks;
  };
  L.number = {
    decimal: sym('decimal'), group: sym('group'), minusSign: sym('minusSign'),
    plusSign: np({ signDisplay: 'always' }, 1).find((p) => p.type === 'plusSign').value,
    minGrouping: nf({}).format(1234).length === 4 ? 2 : 1,
    nan: nf({}).format(NaN), infinity: nf({}).format(Infinity),
    patterns: {},
  };
  for (const [name, o] of Object.entries({ decimal: {}, percent: { style: 'percent' }, currency: { style: 'currency', currency: 'EUR' }, accounting: { style: 'currency', currency: 'EUR', currencySign: 'accounting' } })) {
    L.number.patterns[name] = [numPattern(o, 1234.5), numPattern(o, -1234.5), numPattern({ ...o, signDisplay: 'always' }, 1234.5)];
  }
  L.currency = {};
  for (const c of Intl.supportedValuesOf('currency')) {
    const s = nf({ style: 'currency', currency: c }).formatToParts(1).find((p) => p.type === 'currency').value;
    const n = nf({ style: 'currency', currency: c, currencyDisplay: 'narrowSymbol' }).formatToParts(1).find((p) => p.type === 'currency').value;
    if (s !== c || n !== c) L.currency[c] = n === s ? [s] : [s, n];
  }
  // Time zone offset formats.
  const tzn = (z, s, t) => new Intl.DateTimeFormat(l, { timeZone: z, timeZoneName: s }).formatToParts(t).find((p) => p.type === 'timeZoneName').value;
  const JAN = Date.UTC(2024, 0, 15, 12);
  L.gmt = {
    zero: tzn('UTC', 'shortOffset', REF), longZero: tzn('UTC', 'longOffset', REF),
    short: tzn('Asia/Kolkata', 'shortOffset', REF), long: tzn('Asia/Kolkata', 'longOffset', REF),
    shortNeg: tzn('America/St_Johns', 'shortOffset', JAN), longNeg: tzn('America/St_Johns', 'longOffset', JAN),
    shortHour: tzn('Asia/Tokyo', 'shortOffset', REF),
  };
  // Relative time.
  L.relative = {};
  const pr = new Intl.PluralRules(l);
  const samples = [0, 1, 2, 3, 5, 11, 21, 100, 1000000, 1.5, 0.5];
  for (const unit of ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'])
    for (const style of ['long', 'short', 'narrow']) {
      const rtf = new Intl.RelativeTimeFormat(l, { style });
      const e = { future: {}, past: {}, auto: {} };
      for (const x of samples) {
        const cat = pr.select(x);
        for (const [dir, v] of [['future', x], ['past', -x]]) {
          const parts = rtf.formatToParts(v, unit);
          const s = parts.map((p) => p.type === 'literal' ? p.value : '{0}').join('').replace(/(\{0\})+/g, '{0}');
          if (e[dir][cat] !== undefined && e[dir][cat] !== s) throw new Error('rtf ' + l + unit + s);
          e[dir][cat] = s;
        }
      }
      const auto = new Intl.RelativeTimeFormat(l, { style, numeric: 'auto' });
      for (const v of [-2, -1, 0, 1, 2]) {
        const s = auto.format(v, unit);
        if (!/\d/.test(s)) e.auto[v] = s;
      }
      L.relative[unit + '|' + style] = e;
    }
  // Lists.
  L.list = {};
  for (const type of ['conjunction', 'disjunction', 'unit'])
    for (const style of ['long', 'short', 'narrow']) {
      const lf = new Intl.ListFormat(l, { type, style });
      const two = lf.format(['{0}', '{1}']);
      const three = lf.format(['{0}', '{1}', '{2}']);
      const four = lf.format(['{0}', '{1}', '{2}', '{3}']);
      // start: {0}X{1}, middle: {0}Y{1}, end: {0}Z{1}
      const m3 = three.match(/^\{0\}(.*)\{1\}(.*)\{2\}$/s), m4 = four.match(/^\{0\}(.*)\{1\}(.*)\{2\}(.*)\{3\}$/s);
      L.list[type + '|' + style] = { pair: two, start: m3[1], middle: m4[2], end: m3[2] };
    }
  out.locales[l] = L;
}
// Aliases format as their targets.
for (const [a, t] of Object.entries(ALIASES)) {
  const probe = (l) => [
    new Intl.DateTimeFormat(l, { dateStyle: 'full', timeStyle: 'full', timeZone: 'Europe/Berlin' }).format(REF),
    new Intl.DateTimeFormat(l, { year: 'numeric', month: 'short', day: 'numeric', weekday: 'short', hour: 'numeric', minute: 'numeric' }).format(REF),
    new Intl.NumberFormat(l, { style: 'currency', currency: 'USD' }).format(-1234.5), new Intl.NumberFormat(l).format(1234.5),
    new Intl.RelativeTimeFormat(l, { numeric: 'auto' }).format(-1, 'day'), new Intl.ListFormat(l).format(['a', 'b', 'c']),
  ].join('\n');
  if (probe(a) !== probe(t)) throw new Error('alias ' + a + ' differs from ' + t);
}
// Time zones: every tz database name Node accepts, with the name Node
// resolves it to, and per locale the short and long names in January and
// July of 2024 (by offset), where the short one is not the GMT format.
const zi = fs.readFileSync('/usr/share/zoneinfo/tzdata.zi', 'utf8').split('\n');
const zoneNames = new Set(['UTC']);
for (const line of zi) {
  const f = line.split(' ');
  if (f[0] === 'Z') zoneNames.add(f[1]);
  if (f[0] === 'L') zoneNames.add(f[2]);
}
out.zoneNames = {};
const resolved = new Set();
for (const z of [...zoneNames].sort()) {
  let r;
  try { r = new Intl.DateTimeFormat('en', { timeZone: z }).resolvedOptions().timeZone; } catch (e) { continue; }
  out.zoneNames[z] = r;
  resolved.add(z);
}
const offsetOf = (f, t) => {
  const p = f.formatToParts(t);
  const g = (k) => +p.find((x) => x.type === k).value;
  const y = p.find((x) => x.type === 'era').value === 'BC' ? 1 - g('year') : g('year');
  const d = new Date(0);
  d.setUTCFullYear(y, g('month') - 1, g('day'));
  d.setUTCHours(g('hour'), g('minute'), g('second'));
  return Math.round((d.getTime() - t) / 1000) / 60;
};
// ICU gives a zone the names of its metazone only from 1970 on (before,
// the GMT format). The names are recorded per offset the zone has had
// since 1970, sampled on the 15th of each month up to 2035, from the
// latest period with that offset. Where names by offset still differ from
// Node's (a zone that changed metazone), the ranges are recorded in
// badZoneRanges and hotmod throws there.
out.badZoneRanges = {};
out.namedBefore1970 = [];
const months = [];
for (let y = 1970; y <= 2035; y++) for (let m = 0; m < 12; m++) months.push(Date.UTC(y, m, 15));
for (const z of resolved) {
  const fOff = new Intl.DateTimeFormat('en-US', { timeZone: z, hourCycle: 'h23', era: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const tzf = {};
  const tzn = (l, style, t) => {
    const k = l + style;
    const f = tzf[k] || (tzf[k] = new Intl.DateTimeFormat(l, { timeZone: z, timeZoneName: style }));
    return f.formatToParts(t).find((p) => p.type === 'timeZoneName').value;
  };
  const samples = months.map((t) => ({ t, off: offsetOf(fOff, t) }));
  const repr = new Map();
  for (let i = samples.length - 1; i >= 0; i--) {
    const { t, off } = samples[i];
    if (!repr.has(off) && tzn('en-US', 'long', t) !== tzn('en-US', 'longOffset', t)) repr.set(off, t);
  }
  const zo = {};
  for (const [off, t] of repr) for (const l of LOCALES) {
    const e = {};
    const short = tzn(l, 'short', t), long = tzn(l, 'long', t);
    if (short !== tzn(l, 'shortOffset', t)) e.s = short;
    if (long !== tzn(l, 'longOffset', t)) e.l = long;
    if (Object.keys(e).length) { zo[l] = zo[l] || {}; zo[l][off] = e; }
  }
  if (Object.keys(zo).length) out.zones[z] = zo;
  // UTC has its names at all times.
  const t1960 = Date.UTC(1960, 0, 15);
  const early1970 = tzn('en-US', 'long', t1960) !== tzn('en-US', 'longOffset', t1960);
  if (early1970) out.namedBefore1970.push(z);
  // Residual differences, checked on en-US long and short and de long.
  const ranges = [];
  let lastGood = null, badFrom = undefined;
  const check = (t, off) => {
    for (const [l, style] of [['en-US', 'long'], ['en-US', 'short'], ['de', 'long']]) {
      const e = (t >= 0 || early1970) && zo[l] && zo[l][off];
      const v = e && (style === 'long' ? e.l : e.s);
      const want = v || tzn(l, style === 'long' ? 'longOffset' : 'shortOffset', t);
      if (tzn(l, style, t) !== want) return false;
    }
    return true;
  };
  const early = [];
  for (let y = 1900; y < 1970; y++) early.push(Date.UTC(y, 0, 15), Date.UTC(y, 6, 15));
  for (const { t, off } of early.map((t) => ({ t, off: offsetOf(fOff, t) })).concat(samples)) {
    if (check(t, off)) {
      if (badFrom !== undefined) { ranges.push([badFrom, t - 1]); badFrom = undefined; }
      lastGood = t;
    } else if (badFrom === undefined) badFrom = lastGood === null ? null : lastGood + 1;
  }
  if (badFrom !== undefined) ranges.push([badFrom, null]);
  if (ranges.length) out.badZoneRanges[z] = ranges;
}
out.names = names;
process.stdout.write(JSON.stringify(out));
