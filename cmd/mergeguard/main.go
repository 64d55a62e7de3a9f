// Command mergeguard is a GitHub App that stops unsafe changes before they
// merge. See README.md.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	// The time zone database, built in: freeze windows are computed in the
	// organization's zone wherever the binary runs, with the zone rules of
	// the Go release it was built with.
	_ "time/tzdata"

	"github.com/mergeguard/mergeguard/internal/cli"
)

func main() {
	ctx, stop := signalContext()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.ExitCode(err, os.Stderr))
}

// signalContext ends on SIGINT or SIGTERM, which start a graceful shutdown.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// run is the whole program, with its inputs and outputs passed in so that
// tests can run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return cli.Run(ctx, args, getenv, stdout, stderr)
}
