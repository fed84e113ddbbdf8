package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The example's rules reach Go through the host module: stock and prices
// come from Go, and a Go error reaches the rules as a thrown Error, and the
// Go caller as itself.
func TestQuotes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	if err := run(ctx, defaultDir(), false, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"apple x12: map[currency:EUR ok:true sku:apple total:5.4]",
		"pear x5: map[ok:false reason:only 3 in stock sku:pear]",
		`plum x2: not sold here (call rules.quote: /rules.js:9:16: Error: unknown sku "plum")`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
