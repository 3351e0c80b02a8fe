package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"time"

	"botprof/cluster"
	"botprof/pipeline"
	"botprof/pipeline/cache"
	"botprof/report"
)

// setFlags collects repeated --set key=value flags.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

type runOptions struct {
	sets     setFlags
	jobs     int
	quiet    bool
	explain  bool
	failFast bool
	results  string
	cacheDir string
	noCache  bool
	cpuProf  string
	trace    string
	shard    string
	cached   bool
	maxPts   int
}

// versionString is botprof's version and, when the binary was built in a
// git checkout, its commit ("+dirty" with uncommitted changes).
func versionString() string {
	v := pipeline.Version
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return v + " (commit " + rev + dirty + ", " + bi.GoVersion + ")"
}

// afterCompute, if set (by tests), runs once the points are computed,
// before the results folder is written (or, in a shard, the run ends).
var afterCompute func()

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o runOptions
	fs := flag.NewFlagSet("botprof run", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Var(&o.sets, "set", "override a spec key, e.g. --set model.states=8 (repeatable; YAML values)")
	fs.IntVar(&o.jobs, "jobs", 0, "points run in parallel (0: all cores)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bars")
	fs.BoolVar(&o.explain, "explain", false, "print for every stage of every point whether it ran or was a cache hit, and why it re-ran")
	fs.BoolVar(&o.failFast, "fail-fast", false, "stop at the first failing point")
	fs.StringVar(&o.results, "results", "results", "results root folder")
	fs.StringVar(&o.cacheDir, "cache", cache.DefaultDir(), "stage cache folder ($BOTPROF_CACHE)")
	fs.BoolVar(&o.noCache, "no-cache", false, "do not read or write the stage cache")
	fs.StringVar(&o.cpuProf, "cpuprofile", "", "write a Go CPU profile of the run to this file")
	fs.StringVar(&o.trace, "trace", "", "write a Go execution trace of the run to this file (go tool trace)")
	fs.StringVar(&o.shard, "shard", "", "compute only shard i/n of the sweep's points (the i-th of n contiguous blocks of the sweep order, of about equal expected cost) into the stage cache, write no results folder; auto: from $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT or $JOB_COMPLETION_INDEX/$BOTPROF_SHARDS")
	fs.IntVar(&o.maxPts, "max-points", pipeline.DefaultMaxPoints, "refuse a sweep of more points than this (0: no limit)")
	fs.BoolVar(&o.cached, "require-cached", false, "collect only: fail (listing the missing points) unless every point's result is already in the stage cache")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: botprof run SPEC [flags]\n\nflags:\n")
		printDefaults(fs)
		fmt.Fprintf(fs.Output(), "\nspec keys (YAML; dotted paths work with --set and in sweep blocks):\n%s", pipeline.HelpText())
	}
	spec, err := parseWithSpec(fs, args)
	if err != nil {
		return err
	}
	// Negative counts were taken as 0 (all cores, no limit) without a word.
	if o.jobs < 0 {
		return usageError{fmt.Sprintf("--jobs %d: want 0 (all cores) or more (see botprof run --help)", o.jobs)}
	}
	if o.maxPts < 0 {
		return usageError{fmt.Sprintf("--max-points %d: want 0 (no limit) or more (see botprof run --help)", o.maxPts)}
	}
	plan, err := pipeline.LoadPlanLimit(spec, o.sets, o.maxPts)
	if err != nil {
		return err
	}
	if n := plan.Len(); n > 100 && !o.quiet {
		fmt.Fprintf(stderr, "botprof: %s: %d points planned\n", plan.Name, n)
	}
	var shard pipeline.Shard
	if o.shard != "" {
		if shard, err = pipeline.ParseShard(o.shard, os.Getenv); err != nil {
			return usageError{err.Error()}
		}
	}
	if o.noCache && (o.shard != "" || o.cached) {
		return usageError{"--shard and --require-cached work through the stage cache: drop --no-cache"}
	}
	plan = plan.Shard(shard)
	if !shard.All() {
		defer capProcs(o.jobs)()
	}
	for _, prof := range []struct {
		path  string
		start func(io.Writer) error
		stop  func()
	}{{o.cpuProf, pprof.StartCPUProfile, pprof.StopCPUProfile}, {o.trace, trace.Start, trace.Stop}} {
		if prof.path == "" {
			continue
		}
		f, err := os.Create(prof.path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := prof.start(f); err != nil {
			return err
		}
		defer prof.stop()
	}
	// --require-cached: Execute reads every point from the cache and
	// computes none; the points it did not find are listed after it.
	opt := pipeline.Options{Jobs: o.jobs, FailFast: o.failFast, DeferCacheWrites: true, RequireCached: o.cached}
	if !o.noCache {
		opt.CacheDir = o.cacheDir
	}
	if o.explain {
		opt.Explain = stdout
	}
	var prog *progress
	if !o.quiet {
		prog = newProgress(stderr)
		if prog != nil {
			opt.Progress = prog
		}
	}
	opt.OnPointErr = func(point string, err error) {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return // stopped by the signal, not failed: the run says so once
		}
		if nc := (*pipeline.NotCachedError)(nil); errors.As(err, &nc) {
			return // listed in plan order once Execute returns
		}
		if prog != nil {
			prog.clear()
		}
		fmt.Fprintf(stderr, "botprof: point %s failed: %v\n", point, err)
	}
	// The results folder exists from the start: each point's files are
	// written into it as the point finishes, so memory does not grow with
	// the points' curves. Until it is complete it is a .partial folder.
	var dir, runID string
	if shard.All() {
		var err error
		if dir, runID, err = pipeline.NewRunDir(o.results, plan.Name, time.Now()); err != nil {
			return err
		}
		opt.ResultsDir = dir
	} else {
		opt.DropOutputs = true
	}
	out, err := pipeline.Execute(ctx, plan, opt)
	if prog != nil {
		prog.finish()
	}
	if dir != "" && (err != nil || ctx.Err() != nil) {
		// Nothing ran to completion worth a folder: the cache has the
		// finished points.
		os.RemoveAll(dir)
	}
	if out != nil {
		// Intermediate cache entries finish while the results are written.
		defer out.WaitCacheWrites()
	}
	if ctx.Err() != nil {
		// Stopped by a signal, maybe while waiting for another process's
		// claim on a cache entry (Execute's error is then the context's).
		return fmt.Errorf("interrupted: finished points are cached; run the same command again to resume: %w", context.Canceled)
	}
	if err != nil {
		return err
	}
	if o.cached {
		if err := notCached(out, o.cacheDir, stderr); err != nil {
			os.RemoveAll(dir)
			return err
		}
	}
	if afterCompute != nil {
		afterCompute()
	}
	if !shard.All() {
		// A shard's results are its cache entries; the collect run writes
		// the results folder.
		fmt.Fprintf(stdout, "%s: shard %s: %s in %.2fs", plan.Name, shard, report.Count(len(out.Points), "point"), out.Wall.Seconds())
		if n := out.Failed(); n > 0 {
			fmt.Fprintf(stdout, ", %d FAILED\n", n)
			return fmt.Errorf("shard %s: %d of %d points failed", shard, n, len(out.Points))
		}
		if n, first := out.CacheWriteErrors(); n > 0 {
			// The cache entries are all a shard leaves: it failed unless
			// the collect step finds every one of its points.
			if missing, err := pipeline.Uncached(ctx, plan, o.cacheDir); err != nil || len(missing) > 0 {
				fmt.Fprintf(stdout, ", NOT STORED\n")
				return fmt.Errorf("shard %s: %s to the stage cache %s failed (first: %v); the collect step will not find the points not stored",
					shard, report.Count(n, "write"), o.cacheDir, first)
			}
			fmt.Fprintf(stderr, "botprof: warning: shard %s: %s to the stage cache %s failed (first: %v); every point is stored\n",
				shard, report.Count(n, "write"), o.cacheDir, first)
		}
		// The collect step must plan the same sweep: the shard's overrides
		// go with it.
		collect := "botprof run " + cluster.Quote(spec)
		for _, s := range o.sets {
			collect += " --set " + cluster.Quote(s)
		}
		fmt.Fprintf(stdout, "\ncache: %s (collect: %s --require-cached)\n", o.cacheDir, collect)
		return nil
	}
	// A signal while the results are written stops the run between steps:
	// it must not go on to commit the folder and exit 0.
	interrupted := func() error {
		if ctx.Err() == nil {
			return nil
		}
		return fmt.Errorf("interrupted while writing results (the incomplete folder %s is not a run); finished points are cached; run the same command again: %w", dir, context.Canceled)
	}
	if err := interrupted(); err != nil {
		return err
	}
	// The points' files are all written: flush them while the rest is.
	points := pipeline.StartFlush(filepath.Join(dir, "points"))
	if err := pipeline.WriteResults(dir, runID, out); err != nil {
		return fmt.Errorf("results: %w (the incomplete folder %s is not a run)", err, dir)
	}
	if err := interrupted(); err != nil {
		return err
	}
	if err := pipeline.WriteReproduction(dir, out); err != nil {
		return err
	}
	if err := report.WriteReport(dir); err != nil {
		return err
	}
	if err := interrupted(); err != nil {
		return err
	}
	// Only a complete folder gets the run's name; on any error above, the
	// .partial folder stays behind and botprof ls lists it as partial.
	if dir, err = pipeline.CommitRunDir(dir, points); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	for _, w := range out.Warnings() {
		fmt.Fprintln(stderr, "botprof: warning:", w)
	}
	fmt.Fprintf(stdout, "%s: %s in %.2fs", plan.Name, report.Count(len(out.Points), "point"), out.Wall.Seconds())
	if n := out.Failed(); n > 0 {
		fmt.Fprintf(stdout, ", %d FAILED", n)
	}
	fmt.Fprintf(stdout, "\nresults: %s\n", dir)
	if n := out.Failed(); n > 0 {
		return fmt.Errorf("%d of %d points failed (see %s/manifest.json)", n, len(out.Points), dir)
	}
	return nil
}

// parseWithSpec parses flags that may come before or after the one
// positional SPEC argument.
func parseWithSpec(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usageError{fmt.Sprintf("%s needs exactly one spec file, got %d", fs.Name(), len(pos))}
	}
	// A spec that is not there is a usage error (exit 2), as a bad one is.
	if st, err := os.Stat(pos[0]); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", usageError{fmt.Sprintf("%s: spec file %s: %v", fs.Name(), pos[0], err)}
	} else if st.IsDir() {
		return "", usageError{fmt.Sprintf("%s: %s is a directory, not a spec file", fs.Name(), pos[0])}
	}
	return pos[0], nil
}

// notCached fails with the list of points whose results Execute did not
// find in the stage cache (--require-cached), in plan order, so that a
// collect step never computes what its shards did not.
func notCached(out *pipeline.Outcome, cacheDir string, stderr io.Writer) error {
	n := 0
	for _, p := range out.Points {
		if nc := (*pipeline.NotCachedError)(nil); errors.As(p.Err, &nc) {
			fmt.Fprintf(stderr, "botprof: not cached: %s (index %d: %s)\n", p.Point.Name, p.Point.Index, nc.Reason)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("--require-cached: %d of %d points are not in the stage cache %s", n, len(out.Points), cacheDir)
}

// capProcs caps the Go scheduler at jobs CPUs (GOMAXPROCS) when jobs is
// set and below it, and returns what restores it. A shard runs with the
// CPUs its task was given (--jobs $SLURM_CPUS_PER_TASK): without the cap,
// tasks that share a node, each sized to all of its cores, oversubscribe
// it. 4 shards of experiments/sweep.yaml run 2 at a time with --jobs 1
// on 2 cores took 0.92 times the CPU time without the cap (median of 6
// alternating pairs). Where a scheduler pins a task to its CPUs (Slurm's
// cgroup cpusets), Go already sizes GOMAXPROCS to them.
func capProcs(jobs int) (restore func()) {
	prev := runtime.GOMAXPROCS(0)
	if jobs <= 0 || jobs >= prev {
		return func() {}
	}
	runtime.GOMAXPROCS(jobs)
	return func() { runtime.GOMAXPROCS(prev) }
}
