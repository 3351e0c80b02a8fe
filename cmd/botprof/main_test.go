package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"botprof/pipeline"
	"botprof/report"
)

func TestExitCodes(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	var sink bytes.Buffer
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want int
	}{
		{"ok", ctx, nil, 0},
		{"help", ctx, flag.ErrHelp, 0},
		{"usage", ctx, usageError{"bad flag"}, 2},
		{"spec", ctx, fmt.Errorf("loading: %w", &pipeline.SpecError{File: "x.yaml", Line: 3, Msg: "bad"}), 2},
		{"failure", ctx, errors.New("boom"), 1},
		{"interrupted", cancelled, errors.New("stopped"), 130},
		{"cancel error", ctx, context.Canceled, 130},
	} {
		if got := exitCode(tc.ctx, tc.err, &sink); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, &out, &errb)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(errb.String(), "usage:") {
		t.Fatalf("err = %v, stderr = %q", err, errb.String())
	}
}

func TestValidateReportsFileLineAndPath(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "bad.yaml")
	os.WriteFile(spec, []byte("experiment: x\ndata:\n  path: a\nhosts:\n  profile: h\n  normal: [n]\nmodel:\n  states: many\n"), 0o644)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"validate", spec}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), spec+":8: model.states: expected an integer") {
		t.Fatalf("err = %v", err)
	}
	err = run(context.Background(), []string{"validate", "../../experiments/sweep.yaml"}, &out, &errb)
	if err != nil || !strings.Contains(out.String(), "45 points") || !strings.Contains(out.String(), "  data: ../../data/ctu13/s10/") {
		t.Fatalf("validate sweep.yaml: %v\n%s", err, out.String())
	}
}

// validate finds the data file as a run would: a missing one is an
// error at its spec line, not a spec that runs into it later.
func TestValidateChecksDataFile(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("experiment: x\ndata:\n  path: nosuch.netflow\nhosts:\n  profile: 10.0.0.1\n  normal: [10.0.0.2]\n"+
		"  infected: [10.0.0.3]\ndiscretize:\n  features: [{column: proto, kind: category}]\n"), 0o644)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"validate", spec}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), spec+":3: data.path: nosuch.netflow: no such file") {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
	if code := exitCode(context.Background(), err, &errb); code != 1 {
		t.Errorf("exit %d, want 1 (a data error, as in a run)", code)
	}
}

func TestRunHelpExplainsKeys(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"run", "--help"}, &out, &errb)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, k := range []string{"--set", "window.size", "model.restarts", "discretize.compat", "sweep"} {
		if !strings.Contains(out.String(), k) {
			t.Errorf("run --help does not explain %s", k)
		}
	}
}

func TestRunWritesResults(t *testing.T) {
	dir := t.TempDir()
	spec := writeSmallSpec(t, dir, `model: {n_iter: 3}
`)
	results := filepath.Join(dir, "results")
	var out, errb bytes.Buffer
	args := []string{"run", spec, "--quiet", "--results", results, "--cache", filepath.Join(dir, "cache"), "--set", "window.size=5"}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "results: "+results+"/cli/") {
		t.Fatalf("stdout does not say where the results are: %q", out.String())
	}
	runs, _ := filepath.Glob(filepath.Join(results, "cli", "*", "summary.md"))
	if len(runs) != 1 {
		t.Fatalf("summary.md files: %v", runs)
	}
	// A second run gets a new folder; run ids never overwrite.
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatal(err)
	}
	runs, _ = filepath.Glob(filepath.Join(results, "cli", "*", "manifest.json"))
	if len(runs) != 2 {
		t.Fatalf("manifests after two runs: %v", runs)
	}
	b, _ := os.ReadFile(runs[1])
	if !strings.Contains(string(b), `"window.size"`) && !strings.Contains(string(b), `"size": 5`) {
		t.Errorf("manifest does not record the --set override")
	}
}

func TestProgressSilentWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	if p := newProgress(&buf); p != nil {
		t.Error("progress bars on a buffer")
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p := newProgress(f); p != nil {
		t.Error("progress bars on a regular file")
	}
}

func TestFlagsAfterPositionalArguments(t *testing.T) {
	var out, errb bytes.Buffer
	a := "../../report/testdata/runs/a"
	err := run(context.Background(), []string{"diff", a, a, "--format", "csv"}, &out, &errb)
	if err != nil || !strings.HasPrefix(out.String(), "a_point,b_point,metric") {
		t.Fatalf("diff with trailing flags: %v\n%s%s", err, out.String(), errb.String())
	}
	err = run(context.Background(), []string{"show"}, &out, &errb)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("show without a folder: %v, want a usage error", err)
	}
}

// TestProfileFlags: --cpuprofile writes a pprof file (gzip) and --trace an
// execution trace ("go 1.xx trace" header), both of one run.
func TestProfileFlags(t *testing.T) {
	dir := t.TempDir()
	data, _ := filepath.Abs("../../pipeline/testdata/s10-small.netflow.labeled.zst")
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte(`experiment: prof
data: {path: `+data+`}
hosts: {profile: 147.32.84.204, normal: [147.32.84.134], infected: [147.32.84.165]}
model: {n_iter: 2}
window: {size: 5}
`), 0o644)
	cpu, tr := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "run.trace")
	var out, errb bytes.Buffer
	args := []string{"run", spec, "--quiet", "--no-cache", "--results", filepath.Join(dir, "results"),
		"--cpuprofile", cpu, "--trace", tr}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if b, err := os.ReadFile(cpu); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("cpu profile: %v, %d bytes, want a gzipped pprof file", err, len(b))
	}
	if b, err := os.ReadFile(tr); err != nil || !bytes.HasPrefix(b, []byte("go 1.")) || !bytes.Contains(b[:16], []byte(" trace")) {
		t.Errorf("trace: %v, starts %q, want a Go execution trace", err, b[:min(len(b), 16)])
	}
}

// A categorical model that gives some hosts probability 0 (score -Inf)
// used to write "-inf" metrics that the summary could not read: exit 1, no
// summary or figures, and ls/show failing for the whole folder. Now the run
// succeeds, the hosts carry the status zero_probability, and every reader
// works.
func TestZeroProbabilityScores(t *testing.T) {
	tmp := t.TempDir()
	results := filepath.Join(tmp, "results")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"run", "../../experiments/default.yaml", "--quiet", "--cache", filepath.Join(tmp, "cache"),
		"--results", results, "--set", "model.kind=categorical", "--set", "evaluate.score=loglik_per_window"}, &out, &errb)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	dirs, _ := filepath.Glob(filepath.Join(results, "default", "*"))
	if len(dirs) != 1 {
		t.Fatalf("runs: %v", dirs)
	}
	for _, f := range []string{"summary.md", "figures/scores_by_class.png", "figures/roc_host.svg"} {
		if _, err := os.Stat(filepath.Join(dirs[0], f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	scores, _ := os.ReadFile(filepath.Join(dirs[0], "scores.csv"))
	if !strings.Contains(string(scores), ",zero_probability,") || !strings.Contains(errb.String(), "score -Inf: the model gives its windows probability 0") {
		t.Errorf("no zero_probability status or warning:\n%s\n%s", scores, errb.String())
	}
	metrics, _ := os.ReadFile(filepath.Join(dirs[0], "metrics.json"))
	if !strings.Contains(string(metrics), `"-inf"`) {
		t.Errorf("metrics.json has no -inf margin (the case this test is about):\n%s", metrics)
	}
	for _, args := range [][]string{{"ls", results}, {"show", dirs[0]}} {
		out.Reset()
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// A finished run leaves exactly one folder, under its final name, with every
// file readable by others (summary.md was 0600).
func TestRunFolderCommitted(t *testing.T) {
	tmp := t.TempDir()
	results := filepath.Join(tmp, "results")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"run", "../../experiments/default.yaml", "--quiet", "--cache", filepath.Join(tmp, "cache"),
		"--results", results}, &out, &errb); err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	entries, _ := os.ReadDir(filepath.Join(results, "default"))
	if len(entries) != 1 || strings.HasPrefix(entries[0].Name(), ".") {
		t.Fatalf("results/default holds %v, want one committed run folder", entries)
	}
	dir := filepath.Join(results, "default", entries[0].Name())
	if !strings.Contains(out.String(), "results: "+dir) {
		t.Errorf("stdout names another folder:\n%s", out.String())
	}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
				t.Errorf("%s has mode %v, want 0644", path, st.Mode().Perm())
			}
		}
		return nil
	})
}

// A --fail-if on a metric that does not exist is a usage error (exit 2),
// not a failed gate (exit 1).
func TestDiffUnknownGateIsUsageError(t *testing.T) {
	a, b := "../../report/testdata/runs/a", "../../report/testdata/runs/b"
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"diff", a, b, "--fail-if", "auc_hots<0"}, &out, &errb)
	if code := exitCode(context.Background(), err, &errb); code != 2 {
		t.Errorf("unknown gate metric: exit %d (%v), want 2", code, err)
	}
	err = run(context.Background(), []string{"diff", a, b, "--fail-if", "auc_host<<0"}, &out, &errb)
	if code := exitCode(context.Background(), err, &errb); code != 2 {
		t.Errorf("malformed gate: exit %d (%v), want 2", code, err)
	}
}

// Help goes to stdout with exit 0, the same for "botprof help CMD" and
// "botprof CMD --help", with double-dash flags; a bad flag is one line that
// points to the help (exit 2), not the help itself.
func TestHelpAndUsageErrors(t *testing.T) {
	ctx := context.Background()
	for _, cmd := range []string{"run", "validate", "diff", "show", "ls", "slurm", "k8s"} {
		var a, b, errb bytes.Buffer
		err1 := run(ctx, []string{"help", cmd}, &a, &errb)
		err2 := run(ctx, []string{cmd, "--help"}, &b, &errb)
		if exitCode(ctx, err1, &errb) != 0 || exitCode(ctx, err2, &errb) != 0 {
			t.Errorf("%s: help exit codes %v %v", cmd, err1, err2)
		}
		if a.String() != b.String() || !strings.HasPrefix(a.String(), "usage: botprof "+cmd) {
			t.Errorf("%s: help differs or is not on stdout:\n%s\n---\n%s", cmd, a.String(), b.String())
		}
		if regexp.MustCompile(`\n  -[a-z]`).MatchString(a.String()) {
			t.Errorf("%s: single-dash flag in help:\n%s", cmd, a.String())
		}
		if errb.Len() > 0 {
			t.Errorf("%s: help wrote to stderr: %q", cmd, errb.String())
		}
	}
	var out, errb bytes.Buffer
	err := run(ctx, []string{"run", "--jobs", "abc", "x.yaml"}, &out, &errb)
	if exitCode(ctx, err, &bytes.Buffer{}) != 2 || out.Len()+errb.Len() > 0 || !strings.Contains(err.Error(), "see botprof run --help") {
		t.Errorf("--jobs abc: err %v, printed %q %q", err, out.String(), errb.String())
	}
	out.Reset()
	run(ctx, []string{"cache", "gc", "--help"}, &out, &errb)
	if !strings.Contains(out.String(), `(default "30d")`) {
		t.Errorf("gc default:\n%s", out.String())
	}
}

// The diff options that cannot apply are usage errors (exit 2); good ones
// narrow the output.
func TestDiffOptionsCLI(t *testing.T) {
	a, b := "../../report/testdata/runs/a", "../../report/testdata/runs/b"
	for _, args := range [][]string{
		{"--correct", "bonferroni"}, {"--filter", "model.states"}, {"--filter", "nosuch=1"},
		{"--metric", "auc_hots"}, {"--match", "nosuch"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"diff", a, b}, args...), &out, &errb)
		if code := exitCode(context.Background(), err, &errb); code != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, code, err)
		}
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"diff", a, b, "--metric", "auc_host", "--filter", "model.states=4", "--correct", "holm"}, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "adjusted for 2 tests by Holm") || strings.Contains(s, "model.states=2") || strings.Contains(s, "auc_window") {
		t.Errorf("narrowed diff:\n%s", s)
	}
}

// --alpha outside (0, 1) is a usage error: 0 became the default 0.05
// without a word, and NaN passed the check, so that nothing was ever
// significant and a --fail-if gate could not fail.
func TestDiffAlphaOutOfRange(t *testing.T) {
	a, b := "../../report/testdata/runs/a", "../../report/testdata/runs/b"
	for _, alpha := range []string{"0", "nan", "NaN", "-0.1", "1", "inf"} {
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"diff", a, b, "--alpha", alpha}, &out, &errb)
		if code := exitCode(context.Background(), err, &errb); code != 2 || !strings.Contains(err.Error(), "want 0 < alpha < 1") {
			t.Errorf("--alpha %s: exit %d (%v), want 2", alpha, code, err)
		}
	}
	if _, err := report.Compare(&report.Run{}, &report.Run{}, report.DiffOptions{Alpha: math.NaN()}); err == nil {
		t.Error("report.Compare accepts alpha NaN")
	}
}

// Negative --jobs and --max-points are usage errors; they were taken as
// 0 (all cores, no limit): --max-points -5 ran a 45-point sweep
// (experiments/sweep.yaml).
func TestRunNegativeCounts(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{{"--jobs", "-1"}, {"--max-points", "-5"}} {
		// A temporary results root and cache: the old behaviour ran the sweep.
		base := []string{"run", "../../experiments/default.yaml", "--quiet", "--results", t.TempDir(), "--cache", t.TempDir()}
		err := run(ctx, append(base, args...), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), args[0]+" "+args[1]+": want 0") || exitCode(ctx, err, &bytes.Buffer{}) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

// Flag errors name flags with two dashes, as the help and the README do
// (the flag package writes one).
func TestFlagErrorsDoubleDash(t *testing.T) {
	ctx := context.Background()
	for args, want := range map[string]string{
		"run --jobs abc x.yaml": `invalid value "abc" for flag --jobs`,
		"run --out x x.yaml":    "flag provided but not defined: --out",
		"run x.yaml --jobs":     "flag needs an argument: --jobs",
		"run --quiet=maybe x":   `invalid boolean value "maybe" for --quiet`,
	} {
		err := run(ctx, strings.Fields(args), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), want) || exitCode(ctx, err, &bytes.Buffer{}) != 2 {
			t.Errorf("botprof %s: %v, want %q (exit 2)", args, err, want)
		}
	}
}

// A signal that arrives once the points are computed, while the results
// folder is written, stops the run: exit 130 and only a .partial folder,
// which ls lists as partial (the run used to commit the folder and exit 0).
func TestInterruptWhileWritingResults(t *testing.T) {
	dir := t.TempDir()
	spec := writeSmallSpec(t, dir, `model: {n_iter: 3}
window: {size: 5}
`)
	results := filepath.Join(dir, "results")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	afterCompute = cancel
	defer func() { afterCompute = nil }()
	var out, errb bytes.Buffer
	err := run(ctx, []string{"run", spec, "--quiet", "--results", results, "--cache", filepath.Join(dir, "cache")}, &out, &errb)
	if code := exitCode(ctx, err, io.Discard); code != 130 {
		t.Fatalf("exit %d (%v), want 130\n%s", code, err, out.String())
	}
	entries, _ := os.ReadDir(filepath.Join(results, "cli"))
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".partial") {
		t.Fatalf("results/cli holds %v, want one .partial folder", entries)
	}
	out.Reset()
	if err := run(context.Background(), []string{"ls", results}, &out, &errb); err != nil || !strings.Contains(out.String(), "partial") {
		t.Errorf("ls: %v\n%s", err, out.String())
	}
}

// TestInterruptBeforeTheFirstPoint: a run stopped before any point ran
// (here: the signal came first; in a shard, maybe while waiting for
// another process's claim on the data file) says it was interrupted and
// how to resume, not the bare error of the step it was in, and prints no
// point as failed.
func TestInterruptBeforeTheFirstPoint(t *testing.T) {
	dir := t.TempDir()
	spec := writeSmallSpec(t, dir, `model: {n_iter: 3}
window: {size: 5}
`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, extra := range [][]string{nil, {"--shard", "0/2"}} {
		var out, errb bytes.Buffer
		args := append([]string{"run", spec, "--quiet", "--results", filepath.Join(dir, "results"), "--cache", filepath.Join(dir, "cache")}, extra...)
		err := run(ctx, args, &out, &errb)
		if code := exitCode(ctx, err, io.Discard); code != 130 || !strings.Contains(fmt.Sprint(err), "run the same command again") {
			t.Errorf("%v: exit %d, error %v; want 130 and how to resume", extra, code, err)
		}
		if strings.Contains(errb.String(), "failed") {
			t.Errorf("%v: stderr says a point failed:\n%s", extra, errb.String())
		}
	}
}

// A spec file or RUN argument that names nothing is a usage error (exit
// 2); both exited 1.
func TestMissingArgumentsExit2(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "no-such.yaml"}, "botprof run: spec file no-such.yaml: no such file or directory"},
		{[]string{"validate", "no-such.yaml"}, "botprof validate: spec file no-such.yaml: no such file or directory"},
		{[]string{"validate", root}, "botprof validate: " + root + " is a directory, not a spec file"},
		{[]string{"show", "--results", root, "nonexist"}, `show: "nonexist" is not a results folder`},
		{[]string{"show", "--results", filepath.Join(root, "none"), "latest"}, `show: "latest" is not a results folder, and there is no results root`},
		{[]string{"diff", "--results", root, "nonexist", "latest"}, `diff: "nonexist" is not a results folder`},
	} {
		err := run(ctx, tc.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(ctx, err, &bytes.Buffer{}) != 2 {
			t.Errorf("botprof %v: %v, want %q (exit 2)", tc.args, err, tc.want)
		}
	}
}

// writeSmallSpec writes dir/s.yaml, experiment cli on the small s10 test
// data with one profiled, two normal and one infected host, followed by
// rest (YAML lines), and returns its path.
func writeSmallSpec(t *testing.T, dir, rest string) string {
	t.Helper()
	data, err := filepath.Abs("../../pipeline/testdata/s10-small.netflow.labeled.zst")
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "s.yaml")
	text := "experiment: cli\ndata: {path: " + data + "}\n" +
		"hosts: {profile: 147.32.84.204, normal: [147.32.84.134, 147.32.87.36], infected: [147.32.84.165]}\n" + rest
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return spec
}
