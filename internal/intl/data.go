package intl

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"io"
	"strings"
	"sync"
)

// cldr.json.gz is CLDR data as Node 20's ICU formats with it, recorded by
// gen/gen.js (`TZ=UTC node gen/gen.js | gzip -9n > cldr.json.gz`): date
// patterns by option set, names, time zone names, number symbols and
// patterns, currency symbols, relative-time and list patterns.
//
//go:embed cldr.json.gz
var cldrGz []byte

type cldrData struct {
	Node      string                                    `json:"node"`
	ICU       string                                    `json:"icu"`
	CLDR      string                                    `json:"cldr"`
	Aliases   map[string]string                         `json:"aliases"`
	Locales   map[string]*localeData                    `json:"locales"`
	Zones     map[string]map[string]map[string]zoneName `json:"zones"`
	ZoneNames map[string]string                         `json:"zoneNames"`
	Names     [][]string                                `json:"names"`
	// BadZoneRanges are the instants (ms, nil for unbounded) where a
	// zone's names by offset differ from Node's.
	BadZoneRanges map[string][][2]*float64 `json:"badZoneRanges"`
	// NamedBefore1970 are the zones with names before 1970 (UTC).
	NamedBefore1970 []string `json:"namedBefore1970"`

	zoneLower map[string]string // lower-case tz name -> tz database name
}

type zoneName struct {
	Short string `json:"s,omitempty"`
	Long  string `json:"l,omitempty"`
}

type localeData struct {
	Date      map[string]json.RawMessage `json:"date"`
	Time      map[string]json.RawMessage `json:"time"`
	Styles    map[string]json.RawMessage `json:"styles"`
	Glue      map[string]string          `json:"glue"`
	HourCycle map[string]string          `json:"hourCycle"`
	Number    json.RawMessage            `json:"number"`
	Currency  map[string][]string        `json:"currency"`
	GMT       map[string]string          `json:"gmt"`
	Relative  json.RawMessage            `json:"relative"`
	List      json.RawMessage            `json:"list"`

	small string // the JSON the JS side caches per realm
}

var (
	dataOnce sync.Once
	data     *cldrData
)

// cldr decodes the embedded data once per process, on first use.
func cldr() *cldrData {
	dataOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(cldrGz))
		if err != nil {
			panic(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			panic(err)
		}
		d := new(cldrData)
		if err := json.Unmarshal(b, d); err != nil {
			panic(err)
		}
		d.zoneLower = make(map[string]string, len(d.ZoneNames))
		for z := range d.ZoneNames {
			d.zoneLower[strings.ToLower(z)] = z
		}
		for _, l := range d.Locales {
			small := map[string]any{
				"glue": l.Glue, "hourCycle": l.HourCycle, "number": l.Number, "gmt": l.GMT,
				"relative": l.Relative, "list": l.List,
			}
			s, err := json.Marshal(small)
			if err != nil {
				panic(err)
			}
			l.small = string(s)
		}
		data = d
	})
	return data
}
