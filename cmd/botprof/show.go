package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"botprof/report"
)

// runShow implements `botprof show RUN`.
func runShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("botprof show", flag.ContinueOnError)
	fs.SetOutput(stdout)
	root := fs.String("results", "results", "results root where RUN is looked up")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: botprof show RUN\n\nPrints a results folder's summary (Markdown) to stdout.\n"+
			"RUN is a results folder, latest, an experiment name (its latest run), EXPERIMENT~N (N runs before), or a unique run-id prefix.\n")
		printDefaults(fs)
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{fmt.Sprintf("show: want 1 results folder, got %d", len(pos))}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, err := report.Resolve(*root, pos[0])
	if re := (*report.RefError)(nil); errors.As(err, &re) {
		return usageError{"show: " + err.Error()}
	} else if err != nil {
		return err
	}
	return report.Show(dir, stdout)
}
