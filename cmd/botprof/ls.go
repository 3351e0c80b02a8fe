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
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: botprof ls [DIR]\n\nLists the runs under DIR (default results): experiment, start time, points, best median auc_host.\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return fmt.Errorf("ls: want at most 1 directory, got %d", fs.NArg())
	}
	root := "results"
	if fs.NArg() == 1 {
		root = fs.Arg(0)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return report.List(root, stdout)
}
