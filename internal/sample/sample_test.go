package sample

import (
	"testing"
	"time"
)

func TestQuantiles(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i))
	}
	got := Quantiles(s, 0.5, 0.99, 0, 1)
	if got[0] != 50 || got[1] != 99 || got[2] != 1 || got[3] != 100 {
		t.Errorf("Quantiles = %v", got)
	}
	if s[0] != 100 {
		t.Error("the samples were reordered")
	}
	if Quantile(nil, 0.99) != 0 {
		t.Error("no samples")
	}
}

func TestAddKeepsAUniformBoundedSample(t *testing.T) {
	var s []time.Duration
	const n, max = 100000, 100
	low := 0
	for i := int64(1); i <= n; i++ {
		s = Add(s, max, i, time.Duration(i))
	}
	if len(s) != max {
		t.Fatalf("%d samples kept, bound %d", len(s), max)
	}
	for _, d := range s {
		if d <= n/2 {
			low++
		}
	}
	// Uniform: about half from each half of the values (binomial, sd 5).
	if low < 25 || low > 75 {
		t.Errorf("%d of %d samples from the first half of the values", low, max)
	}
}
