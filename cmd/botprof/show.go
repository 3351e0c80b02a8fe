package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"botprof/report"
)

// runShow implements `botprof show RUN`.
func runShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: botprof show RUN\n\nPrints a results folder's summary (Markdown) to stdout.\n")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usageError{fmt.Sprintf("show: want 1 results folder, got %d", len(pos))}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return report.Show(pos[0], stdout)
}
