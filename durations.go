package hotmod

import (
	"encoding/json"
	"math"
	"time"
)

// Durations are time.Duration in Go and milliseconds in JSON, as floats
// named ...Ms: what a dashboard, a script or jq reads without knowing that
// Go counts nanoseconds.

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fromMillis(f float64) time.Duration {
	return time.Duration(math.Round(f * float64(time.Millisecond)))
}

// MarshalJSON writes Duration as durationMs.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		plain
		DurationMS float64 `json:"durationMs,omitempty"`
	}{plain(e), millis(e.Duration)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	w := struct {
		*plain
		DurationMS float64 `json:"durationMs"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	e.Duration = fromMillis(w.DurationMS)
	return nil
}

// MarshalJSON writes Took and P99 as tookMs and p99Ms.
func (v VersionInfo) MarshalJSON() ([]byte, error) {
	type plain VersionInfo
	return json.Marshal(struct {
		plain
		TookMS float64 `json:"tookMs"`
		P99MS  float64 `json:"p99Ms"`
	}{plain(v), millis(v.Took), millis(v.P99)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *VersionInfo) UnmarshalJSON(b []byte) error {
	type plain VersionInfo
	w := struct {
		*plain
		TookMS float64 `json:"tookMs"`
		P99MS  float64 `json:"p99Ms"`
	}{plain: (*plain)(v)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	v.Took, v.P99 = fromMillis(w.TookMS), fromMillis(w.P99MS)
	return nil
}

// MarshalJSON writes P99 as p99Ms.
func (f VersionFigures) MarshalJSON() ([]byte, error) {
	type plain VersionFigures
	return json.Marshal(struct {
		plain
		P99MS float64 `json:"p99Ms"`
	}{plain(f), millis(f.P99)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *VersionFigures) UnmarshalJSON(b []byte) error {
	type plain VersionFigures
	w := struct {
		*plain
		P99MS float64 `json:"p99Ms"`
	}{plain: (*plain)(f)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	f.P99 = fromMillis(w.P99MS)
	return nil
}

// MarshalJSON writes P99 as p99Ms.
func (c CanaryStatus) MarshalJSON() ([]byte, error) {
	type plain CanaryStatus
	return json.Marshal(struct {
		plain
		P99MS float64 `json:"p99Ms"`
	}{plain(c), millis(c.P99)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *CanaryStatus) UnmarshalJSON(b []byte) error {
	type plain CanaryStatus
	w := struct {
		*plain
		P99MS float64 `json:"p99Ms"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	c.P99 = fromMillis(w.P99MS)
	return nil
}

// MarshalJSON writes Duration and TotalTime as durationMs and totalTimeMs,
// and empty lists as [].
func (pm ProfileMetrics) MarshalJSON() ([]byte, error) {
	type plain ProfileMetrics
	if pm.Versions == nil {
		pm.Versions = []int{}
	}
	if pm.Functions == nil {
		pm.Functions = []FunctionMetrics{}
	}
	return json.Marshal(struct {
		plain
		DurationMS  float64 `json:"durationMs"`
		TotalTimeMS float64 `json:"totalTimeMs"`
	}{plain(pm), millis(pm.Duration), millis(pm.TotalTime)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (pm *ProfileMetrics) UnmarshalJSON(b []byte) error {
	type plain ProfileMetrics
	w := struct {
		*plain
		DurationMS  float64 `json:"durationMs"`
		TotalTimeMS float64 `json:"totalTimeMs"`
	}{plain: (*plain)(pm)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	pm.Duration, pm.TotalTime = fromMillis(w.DurationMS), fromMillis(w.TotalTimeMS)
	return nil
}

type functionTimes struct {
	TotalMS float64 `json:"totalMs"`
	MinMS   float64 `json:"minMs"`
	MaxMS   float64 `json:"maxMs"`
	MeanMS  float64 `json:"meanMs"`
	P50MS   float64 `json:"p50Ms"`
	P99MS   float64 `json:"p99Ms"`
}

// MarshalJSON writes the durations as totalMs, minMs, maxMs, meanMs, p50Ms
// and p99Ms.
func (f FunctionMetrics) MarshalJSON() ([]byte, error) {
	type plain FunctionMetrics
	return json.Marshal(struct {
		plain
		functionTimes
	}{plain(f), functionTimes{millis(f.Total), millis(f.Min), millis(f.Max), millis(f.Mean), millis(f.P50), millis(f.P99)}})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *FunctionMetrics) UnmarshalJSON(b []byte) error {
	type plain FunctionMetrics
	w := struct {
		*plain
		functionTimes
	}{plain: (*plain)(f)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	t := w.functionTimes
	f.Total, f.Min, f.Max, f.Mean = fromMillis(t.TotalMS), fromMillis(t.MinMS), fromMillis(t.MaxMS), fromMillis(t.MeanMS)
	f.P50, f.P99 = fromMillis(t.P50MS), fromMillis(t.P99MS)
	return nil
}

// MarshalJSON writes P99 as p99Ms.
func (p ProbationStatus) MarshalJSON() ([]byte, error) {
	type plain ProbationStatus
	return json.Marshal(struct {
		plain
		P99MS float64 `json:"p99Ms"`
	}{plain(p), millis(p.P99)})
}

// MarshalJSON writes Duration as durationMs.
func (p Probation) MarshalJSON() ([]byte, error) {
	type plain Probation
	return json.Marshal(struct {
		plain
		DurationMS float64 `json:"durationMs"`
	}{plain(p), millis(p.Duration)})
}
