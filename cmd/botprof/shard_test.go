package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A shard's only output is its cache entries: a shard that could not store
// its points fails (exit 1) instead of reporting success and pointing to a
// collect step that will not find them. The cache here is one whose
// entries cannot be written: its path is so long that every path inside
// tmp/ exceeds PATH_MAX (as a read-only or full cache, without root).
func TestShardFailsWhenItStoresNothing(t *testing.T) {
	dir := t.TempDir()
	spec := writeSmallSpec(t, dir, `model: {n_iter: 3}
window: {size: 5}
sweep: {model.seed: [0, 1]}
`)
	cacheDir := filepath.Join(dir, "cache")
	for len(cacheDir) < 4080 {
		cacheDir = filepath.Join(cacheDir, strings.Repeat("c", min(200, 4080-len(cacheDir)-1)))
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"run", spec, "--quiet", "--shard", "0/2", "--cache", cacheDir, "--results", filepath.Join(dir, "results")}, &out, &errb)
	if code := exitCode(context.Background(), err, io.Discard); code != 1 || !strings.Contains(err.Error(), "collect step will not find") {
		t.Fatalf("exit %d (%v), want 1 and the failed cache writes\n%s%s", code, err, out.String(), errb.String())
	}
	if strings.Contains(out.String(), "collect: botprof run") {
		t.Errorf("the shard points to a collect step:\n%s", out.String())
	}
}

// The collect command a shard prints plans the sweep the shard computed:
// with the shard's --set overrides, quoted for the shell. Without them it
// collected another sweep (here model.seed [0, 1] instead of [2, 3]).
func TestShardCollectHintKeepsSets(t *testing.T) {
	dir := t.TempDir()
	spec := writeSmallSpec(t, dir, `model: {n_iter: 3}
window: {size: 5}
sweep: {model.seed: [0, 1]}
`)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"run", spec, "--quiet", "--shard", "0/2", "--set", "model.seed=[2, 3]", "--set", "window.size=4",
		"--cache", filepath.Join(dir, "cache"), "--results", filepath.Join(dir, "results")}, &out, &errb)
	if err != nil {
		t.Fatalf("shard: %v\n%s", err, errb.String())
	}
	want := "collect: botprof run " + spec + " --set 'model.seed=[2, 3]' --set window.size=4 --require-cached"
	if !strings.Contains(out.String(), want) {
		t.Errorf("shard output lacks %q:\n%s", want, out.String())
	}
}

// A shard runs on the CPUs it was given: --jobs below GOMAXPROCS caps the
// scheduler for the run (capProcs), and the cap is lifted after it.
func TestShardCapsProcs(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	if prev < 2 {
		t.Skip("one CPU: nothing to cap")
	}
	restore := capProcs(1)
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("capProcs(1): GOMAXPROCS %d", n)
	}
	restore()
	if n := runtime.GOMAXPROCS(0); n != prev {
		t.Errorf("after restore: GOMAXPROCS %d, want %d", n, prev)
	}
	for _, jobs := range []int{0, prev, prev + 3} {
		capProcs(jobs)()
		if n := runtime.GOMAXPROCS(0); n != prev {
			t.Errorf("capProcs(%d): GOMAXPROCS %d, want %d unchanged", jobs, n, prev)
		}
	}
	// botprof run --shard --jobs 1 computes its points under the cap; a
	// run of the whole sweep with --jobs 1 does not.
	dir := t.TempDir()
	spec := writeSmallSpec(t, dir, "model: {n_iter: 2}\nwindow: {size: 5}\nsweep: {model.seed: [0, 1]}\n")
	var during int
	afterCompute = func() { during = runtime.GOMAXPROCS(0) }
	defer func() { afterCompute = nil }()
	for _, tc := range []struct {
		shard []string
		want  int
	}{{[]string{"--shard", "0/2"}, 1}, {nil, prev}} {
		args := append([]string{"run", spec, "--quiet", "--jobs", "1", "--cache", filepath.Join(dir, "cache"), "--results", filepath.Join(dir, "results")}, tc.shard...)
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", tc.shard, err, errb.String())
		}
		if during != tc.want {
			t.Errorf("%v --jobs 1: GOMAXPROCS %d while computing, want %d", tc.shard, during, tc.want)
		}
		if n := runtime.GOMAXPROCS(0); n != prev {
			t.Errorf("%v: GOMAXPROCS %d after the run, want %d", tc.shard, n, prev)
		}
	}
}

// --require-cached computes nothing: after one of two shards, a collect
// lists the other shard's points (in plan order, with why) and fails, with
// no results folder and no new cache entry; after both, it writes the
// results. Execute enforces it, reading each point's entry once.
func TestRequireCachedComputesNothing(t *testing.T) {
	dir := t.TempDir()
	spec := writeSmallSpec(t, dir, `model: {n_iter: 3}
window: {size: 5}
sweep: {model.seed: [0, 1, 2, 3]}
`)
	cacheDir, results := filepath.Join(dir, "cache"), filepath.Join(dir, "results")
	runArgs := func(extra ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"run", spec, "--quiet", "--cache", cacheDir, "--results", results}, extra...), &out, &errb)
		return out.String() + errb.String(), err
	}
	if out, err := runArgs("--shard", "0/2"); err != nil {
		t.Fatalf("shard 0/2: %v\n%s", err, out)
	}
	entries := func() int {
		m, _ := filepath.Glob(filepath.Join(cacheDir, "*", "*", "meta.json"))
		return len(m)
	}
	before := entries()
	if before == 0 {
		t.Fatal("no cache entry found after a shard: the count below would prove nothing")
	}
	out, err := runArgs("--require-cached")
	if code := exitCode(context.Background(), err, io.Discard); code != 1 || !strings.Contains(err.Error(), "--require-cached: 2 of 4 points are not in the stage cache") {
		t.Fatalf("collect after one shard: exit %d (%v)\n%s", code, err, out)
	}
	want := "botprof: not cached: model.seed=2 (index 2: absent)\nbotprof: not cached: model.seed=3 (index 3: absent)\n"
	if !strings.Contains(out, want) || strings.Contains(out, "failed") {
		t.Errorf("collect output lacks %q (or says a point failed):\n%s", want, out)
	}
	if n := entries(); n != before {
		t.Errorf("the collect stored %d cache entries: it computed", n-before)
	}
	if left, _ := filepath.Glob(filepath.Join(results, "*", "*")); len(left) > 0 {
		t.Errorf("a failed collect left %v", left)
	}
	if out, err := runArgs("--shard", "1/2"); err != nil {
		t.Fatalf("shard 1/2: %v\n%s", err, out)
	}
	if out, err := runArgs("--require-cached"); err != nil || !strings.Contains(out, "results: ") {
		t.Fatalf("collect after both shards: %v\n%s", err, out)
	}
}
