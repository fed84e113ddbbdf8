package intl_test

import (
	"fmt"
	"strings"
	"testing"
)

// sweep is a deterministic program that makes n random cases (from a
// seeded generator) and returns their results; the same text runs in
// hotmod and in Node.
func sweep(body string, n int) string {
	return fmt.Sprintf(`(() => {
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) %% 2147483648; return seed %% n; };
  const pick = (xs) => xs[rnd(xs.length)];
  const out = [];
  for (let i = 0; i < %d; i++) { try { out.push(%s); } catch (e) { out.push('throws ' + e.name + ': ' + e.message); } }
  return out;
})()`, n, body)
}

const dateSweep = `(() => {
  const V = {era: [, 'short', 'long', 'narrow'], year: [, 'numeric', '2-digit'], month: [, 'numeric', '2-digit', 'short', 'long', 'narrow'], day: [, 'numeric', '2-digit'],
    weekday: [, 'short', 'long', 'narrow'], hour: [, 'numeric', '2-digit'], hour12: [, true, false], hourCycle: [, 'h11', 'h12', 'h23', 'h24'], minute: [, 'numeric', '2-digit'],
    second: [, 'numeric', '2-digit'], timeZoneName: [, 'short', 'long', 'shortOffset', 'longOffset']};
  const o = {};
  if (rnd(4) === 0) { for (const k of ['dateStyle', 'timeStyle']) { const v = pick([, 'full', 'long', 'medium', 'short']); if (v) o[k] = v; } if (rnd(2)) o.hour12 = !!rnd(2); }
  else for (const k in V) { const v = pick(V[k]); if (v !== undefined && rnd(2)) o[k] = v; }
  o.timeZone = pick(['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney', 'America/Los_Angeles', 'Europe/London', 'America/Sao_Paulo', 'Europe/Paris', 'Asia/Shanghai']);
  const t = Date.UTC(1900 + rnd(150), rnd(12), 1 + rnd(28), rnd(24), rnd(60), rnd(60)) + rnd(1000);
  const l = pick(['en', 'en-US', 'en-GB', 'de', 'de-DE', 'fr', 'fr-FR', 'es', 'es-ES', 'ja', 'ja-JP', 'zh', 'zh-CN']);
  const f = new Intl.DateTimeFormat(l, o);
  return JSON.stringify([l, o, t]) + ' ' + f.format(t) + ' ' + JSON.stringify(f.formatToParts(t)) + ' ' + JSON.stringify(f.resolvedOptions());
})()`

const numberSweep = `(() => {
  const o = {};
  const style = pick(['decimal', 'decimal', 'percent', 'currency']);
  o.style = style;
  if (style === 'currency') { o.currency = pick(['USD', 'EUR', 'JPY', 'GBP', 'CHF', 'CNY', 'KRW', 'BHD']); o.currencyDisplay = pick(['symbol', 'narrowSymbol', 'code']); if (rnd(4) === 0) o.currencySign = 'accounting'; }
  if (rnd(3) === 0) o.minimumIntegerDigits = 1 + rnd(4);
  if (rnd(3) === 0) o.maximumFractionDigits = rnd(6);
  if (rnd(3) === 0) o.minimumFractionDigits = Math.min(rnd(4), o.maximumFractionDigits === undefined ? 3 : o.maximumFractionDigits);
  if (rnd(5) === 0) { o.maximumSignificantDigits = 1 + rnd(6); if (rnd(2)) o.minimumSignificantDigits = 1 + rnd(o.maximumSignificantDigits); }
  if (rnd(4) === 0) o.useGrouping = pick([false, true, 'min2', 'always', 'auto']);
  if (rnd(4) === 0) o.signDisplay = pick(['auto', 'never', 'always', 'exceptZero', 'negative']);
  const mag = rnd(14) - 6;
  // Literal powers: goja's Math.pow is not V8's in the last bit.
  const x = pick([1, -1]) * (rnd(1000000) / 1000) * [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7][mag + 6] + (rnd(10) === 0 ? 0.5 : 0);
  const l = pick(['en', 'en-GB', 'de', 'fr', 'es', 'ja', 'zh']);
  const f = new Intl.NumberFormat(l, o);
  return JSON.stringify([l, o, x]) + ' ' + f.format(x) + ' ' + JSON.stringify(f.formatToParts(x)) + ' ' + JSON.stringify(f.resolvedOptions()) + ' ' + new Intl.PluralRules(l, {type: pick(['cardinal', 'ordinal'])}).select(Math.round(x));
})()`

const collatorSweep = `(() => {
  const alpha = ['a', 'b', 'c', 'A', 'B', 'á', 'à', 'ä', 'Ä', 'é', 'e', 'E', 'ñ', 'n', 'o', 'ö', 'ß', 's', 'z', 'Z', '1', '2', '10', ' ', '-', '_', '.', 'あ', 'ア', 'か', 'が', '日', '本', '中', '文', '一', '二', 'Å', 'æ', 'œ', 'ç', 'ü', 'y', 'ch', 'll'];
  const s = () => { let r = ''; for (let n = 1 + rnd(4); n > 0; n--) r += pick(alpha); return r; };
  const l = pick(['en', 'en-GB', 'de', 'fr', 'es', 'ja', 'zh']), o = {sensitivity: pick(['base', 'accent', 'case', 'variant']), numeric: !!rnd(2)};
  const a = s(), b = s();
  return JSON.stringify([l, o, a, b]) + ' ' + new Intl.Collator(l, o).compare(a, b);
})()`

const relativeAndListSweep = `(() => {
  const l = pick(['en', 'en-GB', 'de', 'fr', 'es', 'ja', 'zh', 'zh-CN', 'de-DE']);
  if (rnd(2)) {
    const v = pick([0, -0, 1, -1, 2, -2, 3, -3, 5, 10, 21, 100, 1000, 1234.5, 1.5, -0.5, 1000000, 2000000]);
    const u = pick(['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'days', 'years', 'seconds']);
    const f = new Intl.RelativeTimeFormat(l, {style: pick(['long', 'short', 'narrow']), numeric: pick(['always', 'auto'])});
    return f.format(v, u) + ' ' + JSON.stringify(f.formatToParts(v, u));
  }
  const words = ['a', 'b', 'iglesia', 'hierro', 'hielo', 'otro', 'hola', '8', '11', 'Ana', 'Irene', 'ola'];
  const xs = [];
  for (let n = rnd(5); n > 0; n--) xs.push(pick(words));
  const f = new Intl.ListFormat(l, {type: pick(['conjunction', 'disjunction', 'unit']), style: pick(['long', 'short', 'narrow'])});
  return f.format(xs) + ' ' + JSON.stringify(f.formatToParts(xs));
})()`

// TestSweepMatchesNode formats thousands of random option sets, locales,
// zones and instants in hotmod and in Node and compares every byte. It
// needs node on PATH.
func TestSweepMatchesNode(t *testing.T) {
	for name, body := range map[string]string{"DateTimeFormat": dateSweep, "NumberFormat": numberSweep, "Collator": collatorSweep, "RelativeTimeFormat+ListFormat": relativeAndListSweep} {
		t.Run(name, func(t *testing.T) {
			prog := sweep(body, 1500)
			node := runNode(t, []string{prog})
			if node == nil {
				t.Skip("needs node")
			}
			got := run(t, newVM(t), []string{prog})
			g, n := splitJSONArray(got[0]), splitJSONArray(node[0])
			if len(g) != len(n) {
				t.Fatalf("%d results, node %d", len(g), len(n))
			}
			bad, refused := 0, 0
			for i := range g {
				// A refusal is allowed (never a wrong answer): a zone
				// name where ICU's metazone changed (badZoneRanges).
				if strings.Contains(g[i], "throws RangeError: hotmod's Intl does not support") {
					refused++
					continue
				}
				if g[i] != n[i] {
					if bad++; bad <= 10 {
						t.Errorf("\n got %s\nnode %s", g[i], n[i])
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d differ", bad, len(g))
			}
			if refused > len(g)/20 {
				t.Errorf("%d of %d refused", refused, len(g))
			}
			t.Logf("%d cases, %d refused", len(g), refused)
		})
	}
}

// splitJSONArray splits show()'s JSON of an array of strings.
func splitJSONArray(s string) []string {
	var out []string
	if err := jsonUnmarshal(s, &out); err != nil {
		return []string{"not a JSON array: " + strings.TrimSpace(s)}
	}
	return out
}
