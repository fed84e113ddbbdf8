// Command counter calls a hot module in a loop while you edit it.
//
//	go run ./examples/counter            # then edit examples/counter/modules/counter.js
//
// Every edit reloads the module without stopping the loop; the count it
// keeps survives through the module's __acceptHotReload hook, and a broken
// edit is reported while the last good version keeps counting.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"time"

	"github.com/hotmod/hotmod"
	"github.com/hotmod/hotmod/vfs"
)

func main() {
	dir := flag.String("dir", defaultDir(), "folder holding counter.js")
	every := flag.Duration("every", time.Second, "time between calls")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dir, *every, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// defaultDir is the modules folder next to this file, wherever it is run.
func defaultDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "modules")
}

// run calls counter.increment every tick until ctx ends, printing each
// result and each reload.
func run(ctx context.Context, dir string, every time.Duration, out io.Writer) error {
	store, err := vfs.NewDir(dir)
	if err != nil {
		return err
	}
	defer store.Close()
	logger := slog.New(slog.NewTextHandler(out, nil))
	rt, err := hotmod.New(ctx, hotmod.Options{Store: store, Logger: logger})
	if err != nil {
		return err
	}
	defer rt.Close(context.Background())
	counter, err := rt.CreateModule(ctx, "counter", "/counter.js")
	if err != nil {
		return err
	}
	defer rt.OnModuleUpdate("counter", func(u hotmod.Update) {
		fmt.Fprintf(out, "reloaded counter: version %d -> %d\n", u.Old, u.New)
	})()
	fmt.Fprintf(out, "calling counter.increment every %v; edit %s\n", every, filepath.Join(dir, "counter.js"))
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		callCtx, cancel := context.WithTimeout(ctx, time.Second)
		res, err := counter.Call(callCtx, "increment", "go")
		cancel()
		if err != nil && ctx.Err() == nil {
			fmt.Fprintln(out, "call failed:", err)
		} else if err == nil {
			fmt.Fprintf(out, "v%d %v\n", counter.Version(), res)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
