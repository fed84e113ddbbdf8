// Package sample keeps a bounded, uniform sample of durations and reads
// quantiles from it: what profiles, the server's live figures and the
// benchmarks report as p50 and p99.
package sample

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Add records d, the nth value seen (n counts d itself), in samples, a
// uniform sample of at most max of them (reservoir sampling), and returns
// the sample.
func Add(samples []time.Duration, max int, n int64, d time.Duration) []time.Duration {
	if len(samples) < max {
		return append(samples, d)
	}
	if j := rand.Int64N(n); j < int64(max) {
		samples[j] = d
	}
	return samples
}

// Quantile is the nearest-rank quantile q (0 to 1) of samples, which it
// does not change; 0 for none.
func Quantile(samples []time.Duration, q float64) time.Duration {
	return Quantiles(samples, q)[0]
}

// Quantiles is Quantile for several q, sorting a copy of samples once.
func Quantiles(samples []time.Duration, qs ...float64) []time.Duration {
	out := make([]time.Duration, len(qs))
	if len(samples) == 0 {
		return out
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	for k, q := range qs {
		i := int(q*float64(len(sorted))+0.999999) - 1
		out[k] = sorted[min(max(i, 0), len(sorted)-1)]
	}
	return out
}
