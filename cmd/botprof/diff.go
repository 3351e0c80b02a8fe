package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"botprof/report"
)

// failIfFlags collects repeated --fail-if conditions.
type failIfFlags []report.Condition

func (f *failIfFlags) String() string {
	parts := make([]string, len(*f))
	for i, c := range *f {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

func (f *failIfFlags) Set(s string) error {
	c, err := report.ParseCondition(s)
	if err != nil {
		return err
	}
	*f = append(*f, c)
	return nil
}

// runDiff implements `botprof diff [flags] A B`.
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("botprof diff", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var opts report.DiffOptions
	var failIf failIfFlags
	root := fs.String("results", "results", "results root where A and B are looked up")
	fs.StringVar(&opts.Format, "format", "text", "output `format`: text, csv, json or markdown")
	fs.Float64Var(&opts.Alpha, "alpha", 0.05, "significance level of the Mann-Whitney U test")
	var metrics, filters, match listFlag
	fs.Var(&metrics, "metric", "keep only the rows of `METRIC` (auc_host, auc_window, margin, tpr_at_fpr0; a score kind such as viterbi for all its host rows; or viterbi[HOST]); repeatable or comma-separated")
	fs.Var(&filters, "filter", "keep only the points whose parameter KEY has VALUE (`KEY=VALUE`, e.g. model.states=4 or window.size=10; numbers compare as numbers; a run that does not sweep KEY is kept when its spec has VALUE); repeatable or comma-separated, all must hold")
	fs.Var(&match, "match", "pair the points of A and B that agree on the parameters `KEYS` (comma-separated, e.g. model.states; a run that does not sweep a key has its spec value), or none to pair every point of A with every point of B. Default: points pair by name (parameters minus model.seed), which needs both runs to sweep the same parameters; otherwise, or when no point pairs, diff stops and names the keys to give --match, never pairing silently")
	fs.StringVar(&opts.Correct, "correct", "none", "adjust the p-values of all rows tested for multiple comparisons: `none`, holm (family-wise error) or bh (Benjamini-Hochberg false discovery rate); stated in the output")
	fs.Var(&failIf, "fail-if", "exit 1 when the change B-A of a metric's medians meets `COND` and is significant at --alpha, e.g. 'auc_host<-0.01' (repeatable; a malformed condition or unknown metric exits 2)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: botprof diff [flags] A B\n\n"+
			"A and B are results folders, latest, experiment names (their latest run), EXPERIMENT~N, or run-id prefixes.\n"+
			"Compares two results folders point by point (parameters minus model.seed) over seeds:\n"+
			"median ± 95%% CI, Mann-Whitney U test, ~ where not significant; too few seeds for an\n"+
			"interval or a test are said in words.\n\n")
		printDefaults(fs)
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError{fmt.Sprintf("diff: want 2 results folders, got %d", len(pos))}
	}
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		// report.Compare reads 0 as "the default", so the flag is checked
		// here: --alpha 0 would become 0.05 without a word.
		return usageError{fmt.Sprintf("diff: --alpha %v: want 0 < alpha < 1 (see botprof diff --help)", opts.Alpha)}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opts.FailIf = failIf
	opts.Metrics = metrics
	for _, f := range filters {
		flt, err := report.ParseFilter(f)
		if err != nil {
			return usageError{"diff: --" + err.Error() + " (see botprof diff --help)"}
		}
		opts.Filters = append(opts.Filters, flt)
	}
	switch {
	case len(match) == 1 && match[0] == "none":
		opts.MatchAll = true
	case slices.Contains(match, "none"):
		return usageError{"diff: --match none pairs every point with every point; it takes no keys besides (see botprof diff --help)"}
	default:
		opts.Match = match
	}
	var dirs [2]string
	for i, ref := range pos {
		if dirs[i], err = report.Resolve(*root, ref); err != nil {
			if re := (*report.RefError)(nil); errors.As(err, &re) {
				return usageError{"diff: " + err.Error()}
			}
			return err
		}
	}
	err = report.Diff(dirs[0], dirs[1], opts, stdout)
	var ge *report.GateError
	var oe *report.OptionError
	if errors.As(err, &ge) || errors.As(err, &oe) {
		return usageError{"diff: " + err.Error() + " (see botprof diff --help)"}
	}
	return err
}

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}
