// Command hostfn shows host modules: Go functions and values that hot
// modules import as "host:NAME".
//
//	go run ./examples/hostfn             # quotes a few orders and exits
//	go run ./examples/hostfn -watch      # quotes every second; edit modules/rules.js meanwhile
//
// The Go program keeps the data (stock and prices); the pricing rules live in
// modules/rules.js and change without a restart.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

func main() {
	dir := flag.String("dir", defaultDir(), "folder holding rules.js")
	watch := flag.Bool("watch", false, "quote every second until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dir, *watch, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// defaultDir is the modules folder next to this file, wherever it is run.
func defaultDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "modules")
}

// shop is the Go side: what the rules may ask of it.
type shop struct {
	stock  map[string]int
	prices map[string]float64
}

var errUnknownSKU = errors.New("unknown sku")

func (s *shop) price(ctx context.Context, sku string) (float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p, ok := s.prices[sku]
	if !ok {
		return 0, fmt.Errorf("%w %q", errUnknownSKU, sku)
	}
	return p, nil
}

func run(ctx context.Context, dir string, watch bool, out io.Writer) error {
	store, err := vfs.NewDir(dir)
	if err != nil {
		return err
	}
	defer store.Close()
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, DisableAutoReload: !watch})
	if err != nil {
		return err
	}
	defer rt.Close(context.Background())

	s := &shop{
		stock:  map[string]int{"apple": 40, "pear": 3, "plum": 12},
		prices: map[string]float64{"apple": 0.5, "pear": 0.8},
	}
	err = rt.NewHostModuleBuilder("shop").
		Func("stock", func(sku string) int { return s.stock[sku] }).
		Func("price", s.price).
		Value("currency", "EUR").
		Register(ctx)
	if err != nil {
		return err
	}
	rules, err := rt.CreateModule(ctx, "rules", "/rules.js")
	if err != nil {
		return err
	}
	for {
		for _, order := range []struct {
			sku string
			qty int
		}{{"apple", 12}, {"pear", 5}, {"plum", 2}} {
			q, err := rules.Call(ctx, "quote", order.sku, order.qty)
			switch {
			case errors.Is(err, errUnknownSKU):
				// price's own error, come back through the rules
				fmt.Fprintf(out, "%s x%d: not sold here (%v)\n", order.sku, order.qty, err)
			case err != nil:
				fmt.Fprintf(out, "%s x%d: %v\n", order.sku, order.qty, err)
			default:
				fmt.Fprintf(out, "%s x%d: %v\n", order.sku, order.qty, q)
			}
		}
		if !watch {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}
