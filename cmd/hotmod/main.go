// Command hotmod runs the hotmod server and talks to a running one.
//
//	hotmod serve --dir ./modules            # serve a folder of modules, with the dashboard
//	hotmod ls                                # list modules
//	hotmod call counter increment 5          # call a function
//	hotmod reload counter                    # reload from source
//	hotmod events                            # follow the event stream
//
// Client commands find the server with --server or $HOTMOD_SERVER (default
// http://127.0.0.1:7070) and send --token or $HOTMOD_TOKEN if set.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := newRoot(stdin, stdout, stderr)
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "hotmod:", strings.TrimPrefix(err.Error(), "hotmod: "))
		return 1
	}
	return 0
}
