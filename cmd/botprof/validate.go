package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"botprof/pipeline"
	"botprof/report"
)

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sets setFlags
	fs := flag.NewFlagSet("botprof validate", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Var(&sets, "set", "override a spec key, e.g. --set model.states=8 (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: botprof validate SPEC [--set key=value]...\n")
		printDefaults(fs)
	}
	spec, err := parseWithSpec(fs, args)
	if err != nil {
		return err
	}
	plan, err := pipeline.LoadPlan(spec, sets)
	if err != nil {
		return err
	}
	// The data files are found as a run finds them (not read: their hash
	// is checked when a run reads them).
	data, err := pipeline.DataFiles(plan)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok — experiment %s, %s\n", spec, plan.Name, report.Count(plan.Len(), "point"))
	for _, d := range data {
		fmt.Fprintf(stdout, "  data: %s\n", d)
	}
	for _, p := range plan.Points() {
		fmt.Fprintf(stdout, "  %s\n", p.Name)
	}
	return nil
}
