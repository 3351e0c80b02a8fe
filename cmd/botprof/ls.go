package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"botprof/report"
)

// runLs implements `botprof ls [results/]`.
func runLs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("botprof ls", flag.ContinueOnError)
	fs.SetOutput(stdout)
	experiment := fs.String("experiment", "", "list only the runs of this experiment")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: botprof ls [DIR] [--experiment NAME]\n\nLists the runs under DIR (default results): experiment, start time, points, status, best median auc_host, overrides.\n")
		printDefaults(fs)
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{fmt.Sprintf("ls: want at most 1 directory, got %d", len(pos))}
	}
	root := "results"
	if len(pos) == 1 {
		root = pos[0]
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return report.ListExperiment(root, *experiment, stdout)
}
