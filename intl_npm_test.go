package hotmod_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/internal/npmtest"
	"github.com/hotmod/hotmod/vfs"
)

// intlPackages are the npm packages that need Intl, pinned: luxon formats
// and parses dates in time zones through Intl.DateTimeFormat, and
// cron-parser computes next dates in a time zone through luxon.
var intlPackages = []string{"luxon@3.5.0", "cron-parser@4.9.0"}

// intlBody is the body of a function of (luxon, cronParser) run in hotmod
// and, when node is on PATH, in Node on the same installed packages.
const intlBody = `
const { DateTime, Info } = luxon
const base = DateTime.fromISO('2024-03-04T00:00:00Z')
const out = [
  DateTime.fromISO('2024-03-10T06:30:00Z').setZone('America/New_York').toLocaleString(DateTime.DATETIME_FULL),
  DateTime.fromISO('2024-03-10T07:30:00Z').setZone('America/New_York').toLocaleString(DateTime.DATETIME_FULL),
  DateTime.fromISO('2024-07-01T12:00:00Z').setZone('Europe/Berlin').setLocale('de').toLocaleString(DateTime.DATETIME_HUGE),
  DateTime.fromISO('2024-07-01T12:00:00Z').setZone('Asia/Tokyo').setLocale('ja').toLocaleString(DateTime.DATETIME_MED_WITH_WEEKDAY),
  DateTime.fromISO('2024-07-01T12:00:00Z').setZone('Europe/Berlin').setLocale('fr').toLocaleString(DateTime.DATE_FULL),
  DateTime.fromISO('2024-07-01T12:00:00', { zone: 'Asia/Tokyo' }).toISO(),
  DateTime.fromISO('2024-11-03T01:30:00', { zone: 'America/New_York' }).plus({ hours: 1 }).toISO(),
  DateTime.fromObject({ year: 2024, month: 3, day: 30, hour: 12 }, { zone: 'Europe/Berlin' }).plus({ days: 1 }).toFormat('yyyy-MM-dd HH:mm ZZZZ ZZZZZ'),
  DateTime.fromISO('2024-01-15T12:00:00Z').setZone('America/New_York').toFormat('ZZZZ ZZZZZ z'),
  DateTime.fromISO('2024-03-01T00:00:00Z').toRelative({ base }),
  DateTime.fromISO('2024-03-05T00:00:00Z').toRelative({ base }),
  DateTime.fromISO('2024-03-01T00:00:00Z').setLocale('fr').toRelative({ base, unit: 'hours' }),
  DateTime.fromISO('2024-03-03T00:00:00Z').setLocale('de').toRelativeCalendar({ base }),
  DateTime.fromISO('2024-03-01T00:00:00Z').setLocale('es').toRelative({ base, style: 'short' }),
  Info.months('long', { locale: 'ja' }).join(' '),
  Info.weekdays('short', { locale: 'de' }).join(' '),
  DateTime.now().zoneName,
  DateTime.fromISO('2024-06-01T08:00:00Z').setZone('Asia/Kolkata').toLocaleString(DateTime.TIME_WITH_SHORT_OFFSET),
  DateTime.fromFormat('05/03/2024 14:07', 'dd/MM/yyyy HH:mm', { zone: 'Europe/Berlin' }).toUTC().toISO(),
]
const iso = (d) => d.toISOString()
const e1 = cronParser.parseExpression('0 9 * * 1-5', { currentDate: new Date('2024-03-08T00:00:00Z'), tz: 'America/New_York' })
out.push([e1.next(), e1.next(), e1.next()].map(iso).join(' '))
const e2 = cronParser.parseExpression('30 2 * * *', { currentDate: new Date('2024-03-09T00:00:00Z'), tz: 'America/New_York' })
out.push([e2.next(), e2.next(), e2.next()].map(iso).join(' '))
const e3 = cronParser.parseExpression('0 0 1 * *', { currentDate: new Date('2024-01-15T00:00:00Z'), tz: 'Asia/Tokyo' })
out.push([e3.next(), e3.next()].map(iso).join(' '))
const e4 = cronParser.parseExpression('*/15 * * * *', { currentDate: new Date('2024-10-27T00:50:00Z'), tz: 'Europe/Berlin' })
out.push([e4.next(), e4.next(), e4.next(), e4.prev()].map(iso).join(' '))
return out
`

// intlNodeWants are Node 20's answers (TZ=UTC).
var intlNodeWants = []any{
	"March 10, 2024 at 1:30 AM EST",
	"March 10, 2024 at 3:30 AM EDT",
	"Montag, 1. Juli 2024 um 14:00 Mitteleuropäische Sommerzeit",
	"2024年7月1日(月) 21:00",
	"1 juillet 2024",
	"2024-07-01T12:00:00.000+09:00",
	"2024-11-03T02:30:00.000-05:00",
	"2024-03-31 12:00 GMT+2 Central European Summer Time",
	"EST Eastern Standard Time America/New_York",
	"3 days ago",
	"in 1 day",
	"il y a 72 heures",
	"gestern",
	"hace 3 d",
	"1 2 3 4 5 6 7 8 9 10 11 12",
	"Mo Di Mi Do Fr Sa So",
	"UTC",
	"1:30:00 PM GMT+5:30",
	"2024-03-05T13:07:00.000Z",
	"2024-03-08T14:00:00.000Z 2024-03-11T13:00:00.000Z 2024-03-12T13:00:00.000Z",
	"2024-03-09T07:30:00.000Z 2024-03-10T07:30:00.000Z 2024-03-11T06:30:00.000Z",
	"2024-01-31T15:00:00.000Z 2024-02-29T15:00:00.000Z",
	"2024-10-27T01:00:00.000Z 2024-10-27T01:15:00.000Z 2024-10-27T01:30:00.000Z 2024-10-27T01:15:00.000Z",
}

// luxon and cron-parser, whose Intl use failed before hotmod had Intl,
// give Node's answers in a hotmod module, frozen intrinsics or not.
func TestIntlNPMPackagesGiveNodesResults(t *testing.T) {
	root := npmtest.Install(t, intlPackages...)
	if node, err := exec.LookPath("node"); err == nil {
		prog := "const f = new Function('luxon', 'cronParser', require('fs').readFileSync(0, 'utf8')); process.stdout.write(JSON.stringify(f(require('luxon'), require('cron-parser'))))"
		cmd := exec.Command(node, "-e", prog)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "TZ=UTC", "NODE_PATH="+filepath.Join(root, "node_modules"))
		cmd.Stdin = strings.NewReader(intlBody)
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("node: %v", err)
		}
		var fromNode []any
		if err := json.Unmarshal(b, &fromNode); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fromNode, intlNodeWants) {
			t.Errorf("node now gives %#v\nrecorded %#v", fromNode, intlNodeWants)
		}
	}
	for _, frozen := range []bool{false, true} {
		t.Run(fmt.Sprintf("frozen=%v", frozen), func(t *testing.T) {
			e := newEnv(t, nil, func(o *hotmod.Options) {
				o.Store = vfs.NewMem()
				// Results are checked here, not time: under -race on a busy
				// 2-core machine run() took over the default 10 s.
				o.LoadTimeout, o.CallTimeout = 2*time.Minute, 2*time.Minute
				o.FrozenIntrinsics = frozen
			})
			e.copyPackages(root)
			e.write("/app.mjs", `import * as luxon from "luxon"
import cronParser from "cron-parser"
export function run() {`+intlBody+`}`)
			m := e.create("app", "/app.mjs")
			got := e.call(m, "run").([]any)
			if len(got) != len(intlNodeWants) {
				t.Fatalf("run() = %#v\nNode gives %#v", got, intlNodeWants)
			}
			for i := range got {
				if got[i] != intlNodeWants[i] {
					t.Errorf("run()[%d] = %q\nNode gives  %q", i, got[i], intlNodeWants[i])
				}
			}
		})
	}
}
