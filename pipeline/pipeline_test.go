package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
	"botprof/runfolder"
)

// smallSpec runs on testdata/s10-small (a few thousand real scenario-10 flows).
const smallSpec = `experiment: small
data:
  path: testdata/s10-small.netflow.labeled.zst
  sha256: 45427b979acaf198a1524685323b5dab4f66e799699da883310b8e863b9e2b1e
hosts:
  profile: 147.32.84.204
  normal: [147.32.84.134, 147.32.87.36, 147.32.80.9, 147.32.87.11]
  infected: [147.32.84.165, 147.32.84.191]
discretize:
  features:
    - {column: proto, kind: category}
    - {column: bytes, kind: percentile, percentiles: [20, 40, 60, 80]}
model:
  n_iter: 5
evaluate:
  score: loglik_per_window
`

const smallSweep = smallSpec + `sweep:
  window.size: [5, 10]
  model.states: [2, 3]
  model.seed: [0, 1]
`

func writeSpec(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := filepath.Abs("testdata/s10-small.netflow.labeled.zst")
	if err != nil {
		t.Fatal(err)
	}
	text = strings.Replace(text, "testdata/s10-small.netflow.labeled.zst", data, 1)
	p := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runSpec executes a spec file and writes its results folder.
func runSpec(t *testing.T, spec string, sets []string, opt Options) (*Outcome, string) {
	t.Helper()
	plan, err := LoadPlan(spec, sets)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Execute(context.Background(), plan, opt)
	if err != nil {
		t.Fatal(err)
	}
	if n := out.Failed(); n > 0 {
		for _, p := range out.Points {
			if p.Err != nil {
				t.Errorf("point %s: %v", p.Point.Name, p.Err)
			}
		}
		t.Fatalf("%d points failed", n)
	}
	dir, id, err := NewRunDir(t.TempDir(), plan.Name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteResults(dir, id, out); err != nil {
		t.Fatal(err)
	}
	out.WaitCacheWrites() // as the CLI does, with Options.DeferCacheWrites
	return out, dir
}

// stageStates lists "point/stage=ran|hit|shared" for every stage record.
func stageStates(out *Outcome) map[string]string {
	m := map[string]string{}
	for _, p := range out.Points {
		for _, s := range p.Stages {
			st := "ran"
			if s.Cached {
				st = "hit"
			}
			m[p.Point.Name+"/"+s.Stage] = st
		}
	}
	return m
}

func TestEndToEndResultsFolder(t *testing.T) {
	spec := writeSpec(t, smallSpec)
	out, dir := runSpec(t, spec, nil, Options{CacheDir: t.TempDir()})
	for _, f := range []string{"manifest.json", "scores.csv", "scores.parquet", "metrics.json", "metrics.csv",
		"points/base/model.json", "points/base/mapping.json", "points/base/convergence.json",
		"points/base/roc_host.csv", "points/base/roc_window.csv"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	var typed Spec // json decodes into the pointer Spec holds
	m := runfolder.Manifest{Spec: &typed}
	readJSONFile(t, filepath.Join(dir, "manifest.json"), &m)
	if m.Experiment != "small" || m.Data.SHA256 != "45427b979acaf198a1524685323b5dab4f66e799699da883310b8e863b9e2b1e" ||
		m.GoVersion == "" || len(m.Points) != 1 || m.Points[0].Status != "ok" || typed.Window.Size != 10 {
		t.Errorf("manifest = %+v", m)
	}
	rows := readCSV(t, filepath.Join(dir, "scores.csv"))
	if strings.Join(rows[0], ",") != "point,"+strings.Join(runfolder.ScoreColumns, ",") {
		t.Errorf("scores.csv header = %v", rows[0])
	}
	byHost := map[string][]string{}
	for _, r := range rows[1:] {
		byHost[r[1]] = r
	}
	// Real flow counts of the extract (testdata/README.md).
	for host, flows := range map[string]string{"147.32.84.204": "1500", "147.32.87.36": "1390", "147.32.80.9": "729", "147.32.87.11": "0"} {
		if byHost[host] == nil || byHost[host][5] != flows {
			t.Errorf("host %s row = %v, want %s flows", host, byHost[host], flows)
		}
	}
	if r := byHost["147.32.87.11"]; r[4] != "insufficient" || r[7] != "" {
		t.Errorf("a host without flows must be insufficient with no score, got %v", r)
	}
	if r := byHost["147.32.84.204"]; r[2] != "infected" || r[3] != "profile" {
		t.Errorf("profiled host class, role = %s, %s; want infected, profile", r[2], r[3])
	}
	if r := byHost["147.32.87.36"]; r[2] != "normal" || r[3] != "scored" {
		t.Errorf("normal host class, role = %s, %s", r[2], r[3])
	}
	// scores.parquet holds the same rows as scores.csv, for pandas/duckdb users.
	pq, err := cache.ReadParquet(filepath.Join(dir, "scores.parquet"), memory.NewGoAllocator())
	if err != nil {
		t.Fatal(err)
	}
	if int(pq.NumRows()) != len(rows)-1 || pq.Schema().Field(1).Name != "host" || pq.Schema().Field(7).Name != "viterbi" {
		t.Errorf("scores.parquet: %d rows, schema %v; scores.csv has %d rows", pq.NumRows(), pq.Schema(), len(rows)-1)
	}
	pq.Release()
	mp := out.Points[0].Out
	if auc := mp.Metrics["auc_host"]; auc < 0 || auc > 1 {
		t.Errorf("auc_host = %v", auc)
	}
	found := false
	for _, w := range mp.Warnings {
		if strings.Contains(w, "147.32.87.11") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning about the host with insufficient data: %v", mp.Warnings)
	}
	if mp.Train.Iterations < 1 || len(mp.Train.History) != mp.Train.Iterations {
		t.Errorf("convergence record = %+v", mp.Train)
	}
}

func TestSecondRunIsAllCacheHits(t *testing.T) {
	spec := writeSpec(t, smallSweep)
	cacheDir := t.TempDir()
	first, dir1 := runSpec(t, spec, nil, Options{CacheDir: cacheDir, Jobs: 2})
	for k, v := range stageStates(first) {
		if strings.HasSuffix(k, "/evaluate") && v != "ran" {
			t.Errorf("first run: %s = %s, want ran", k, v)
		}
	}
	var explain bytes.Buffer
	second, dir2 := runSpec(t, spec, nil, Options{CacheDir: cacheDir, Jobs: 2, Explain: &explain})
	for _, p := range second.Points {
		if len(p.Stages) != 1 || p.Stages[0].Stage != "evaluate" || !p.Stages[0].Cached {
			t.Errorf("second run, point %s: stages %+v, want only a cached evaluate", p.Point.Name, p.Stages)
		}
	}
	if strings.Contains(explain.String(), " ran") {
		t.Errorf("explain shows re-runs:\n%s", explain.String())
	}
	sameResultFiles(t, dir1, dir2)
}

// TestDeferCacheWrites holds every background cache write back: with
// DeferCacheWrites, Execute returns all the same, with the point's final
// entry written and the intermediate ones not; WaitCacheWrites returns once
// they are, and a run with a changed window size then finds discretize's.
func TestDeferCacheWrites(t *testing.T) {
	spec := writeSpec(t, smallSpec)
	cacheDir := t.TempDir()
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	opt := Options{CacheDir: cacheDir, DeferCacheWrites: true, beforeBackgroundWrite: func() { <-gate }}
	type result struct {
		out *Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := Execute(context.Background(), plan, opt)
		done <- result{out, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(time.Minute): // a deadlock guard, not a timing
		close(gate)
		t.Fatal("Execute waited for the deferred cache writes")
	}
	if res.err != nil || res.out.Failed() > 0 {
		close(gate)
		t.Fatalf("run: %v, %d failed", res.err, res.out.Failed())
	}
	c, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{plan: plan}
	r.sources = res.out.Sources
	keys, err := r.keysOf(firstSpec(plan))
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := c.Get(keys.evaluate); e == nil {
		t.Error("the point's final entry is not written when Execute returns")
	}
	if e, _ := c.Get(keys.discretize); e != nil {
		t.Error("discretize's entry was written while the writes were held back")
	}
	close(gate)
	res.out.WaitCacheWrites()
	if e, reason := c.Get(keys.discretize); e == nil {
		t.Errorf("discretize's entry after WaitCacheWrites: %s", reason)
	}
	out, _ := runSpec(t, spec, []string{"window.size=6"}, Options{CacheDir: cacheDir})
	if got := stageStates(out); got["base/discretize"] != "hit" {
		t.Errorf("the next run does not hit discretize: %v", got)
	}
}

func TestChangedParameterReRunsOnlyLaterStages(t *testing.T) {
	spec := writeSpec(t, smallSpec)
	cacheDir := t.TempDir()
	runSpec(t, spec, nil, Options{CacheDir: cacheDir})
	var explain bytes.Buffer
	out, _ := runSpec(t, spec, []string{"window.size=6"}, Options{CacheDir: cacheDir, Explain: &explain})
	got := stageStates(out)
	want := map[string]string{"base/discretize": "hit", "base/window": "ran", "base/train": "ran", "base/evaluate": "ran"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, ok := got["base/load"]; ok {
		t.Errorf("load should not even be read when discretize hits: %v", got)
	}
	if !strings.Contains(explain.String(), "param size: 10 -> 6") {
		t.Errorf("explain does not say which parameter changed:\n%s", explain.String())
	}
	// A model parameter leaves discretize and window alone.
	out, _ = runSpec(t, spec, []string{"model.states=3"}, Options{CacheDir: cacheDir})
	got = stageStates(out)
	if got["base/window"] != "hit" || got["base/train"] != "ran" {
		t.Errorf("after model.states change: %v", got)
	}
}

func TestCorruptCacheEntryIsRecomputed(t *testing.T) {
	spec := writeSpec(t, smallSpec)
	cacheDir := t.TempDir()
	_, dir1 := runSpec(t, spec, nil, Options{CacheDir: cacheDir})
	// Damage every cached file: flip a byte in half of them, truncate the rest.
	var files []string
	filepath.Walk(cacheDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".arrow")) &&
			!strings.Contains(p, "explain") && !strings.Contains(p, "filehash") && filepath.Base(p) != "meta.json" {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 5 {
		t.Fatalf("expected cached stage files, found %v", files)
	}
	sort.Strings(files)
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			b[len(b)/2] ^= 0xff
		} else {
			b = b[:len(b)/2]
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, dir2 := runSpec(t, spec, nil, Options{CacheDir: cacheDir})
	for k, v := range stageStates(out) {
		if v != "ran" {
			t.Errorf("%s = %s after corrupting the cache, want ran", k, v)
		}
	}
	sameResultFiles(t, dir1, dir2)
}

func TestJobsDoNotChangeResults(t *testing.T) {
	spec := writeSpec(t, smallSweep)
	_, dir1 := runSpec(t, spec, nil, Options{CacheDir: t.TempDir(), Jobs: 1})
	_, dir4 := runSpec(t, spec, nil, Options{CacheDir: t.TempDir(), Jobs: 4})
	sameResultFiles(t, dir1, dir4)
	_, dirNone := runSpec(t, spec, nil, Options{Jobs: 3})
	sameResultFiles(t, dir1, dirNone)
}

func TestConcurrentRunsShareOneCache(t *testing.T) {
	spec := writeSpec(t, smallSweep)
	cacheDir := t.TempDir()
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	outs := make([]*Outcome, 2)
	errs := make([]error, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = Execute(context.Background(), plan, Options{CacheDir: cacheDir, Jobs: 2})
		}()
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != nil || outs[i].Failed() > 0 {
			t.Fatalf("run %d: %v, %d failed", i, errs[i], outs[i].Failed())
		}
	}
	// A second process on the same cache (the test binary re-executed).
	if os.Getenv("BOTPROF_TEST_SPEC") == "" {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "BOTPROF_TEST_SPEC="+spec, "BOTPROF_TEST_CACHE="+cacheDir)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("second process: %v\n%s", err, b)
		}
	}
}

// TestHelperProcess is not a test: the other tests run it as a child process
// (BOTPROF_TEST_SPEC set) to share a cache with another process or to be
// killed in the middle of a sweep (BOTPROF_TEST_KILL_AFTER points).
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv("BOTPROF_TEST_SPEC")
	if spec == "" {
		return
	}
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	opt := Options{CacheDir: os.Getenv("BOTPROF_TEST_CACHE"), Jobs: 2}
	if n, err := strconv.Atoi(os.Getenv("BOTPROF_TEST_KILL_AFTER")); err == nil {
		opt.Progress = killAfter{n}
	}
	out, err := Execute(context.Background(), plan, opt)
	if err != nil || out.Failed() > 0 {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(4)
	}
	os.Exit(0)
}

// killAfter SIGKILLs its own process once n points are done, like kill -9.
type killAfter struct{ n int }

func (killAfter) LoadBytes(done, total int64) {}
func (k killAfter) PointDone(done, total int) {
	if done >= k.n {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
}

func TestKilledSweepResumes(t *testing.T) {
	spec := writeSpec(t, smallSweep)
	cacheDir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "BOTPROF_TEST_SPEC="+spec, "BOTPROF_TEST_CACHE="+cacheDir, "BOTPROF_TEST_KILL_AFTER=3")
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper process was not killed: %v", err)
	}
	resumed, dirResumed := runSpec(t, spec, nil, Options{CacheDir: cacheDir, Jobs: 2})
	hits, ran := 0, 0
	for _, p := range resumed.Points {
		last := p.Stages[len(p.Stages)-1]
		if last.Cached {
			hits++
		} else {
			ran++
		}
	}
	if hits < 3 || ran == 0 {
		t.Errorf("resumed run: %d points from the cache, %d computed; want ≥ 3 from the cache and the rest computed", hits, ran)
	}
	_, dirClean := runSpec(t, spec, nil, Options{CacheDir: t.TempDir(), Jobs: 2})
	sameResultFiles(t, dirClean, dirResumed)
}

func TestFailingPointDoesNotStopOthers(t *testing.T) {
	// Window size 2000 exceeds every host's flows: those points fail in train.
	spec := writeSpec(t, smallSpec+"sweep:\n  window.size: [5, 2000]\n")
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	var mu sync.Mutex
	out, err := Execute(context.Background(), plan, Options{Jobs: 1, OnPointErr: func(p string, err error) {
		mu.Lock()
		failed = append(failed, p)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Failed() != 1 || len(failed) != 1 || failed[0] != "window.size=2000" {
		t.Fatalf("failed points = %v (%d)", failed, out.Failed())
	}
	if out.Points[0].Err != nil || out.Points[0].Out == nil {
		t.Errorf("the good point did not finish: %v", out.Points[0].Err)
	}
	if e := out.Points[1].Err.Error(); !strings.Contains(e, "stage train") || !strings.Contains(e, "147.32.84.204") {
		t.Errorf("error does not say where: %s", e)
	}
	// --fail-fast stops before the next point.
	spec = writeSpec(t, smallSpec+"sweep:\n  window.size: [2000, 5, 6]\n")
	plan, _ = LoadPlan(spec, nil)
	out, _ = Execute(context.Background(), plan, Options{Jobs: 1, FailFast: true})
	if out.Points[2].Out != nil {
		t.Errorf("fail-fast ran the last point")
	}
}

func TestDataChecksumMismatch(t *testing.T) {
	spec := writeSpec(t, strings.Replace(smallSpec, "45427b97", "00000000", 1))
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Execute(context.Background(), plan, Options{})
	if err == nil || !strings.Contains(err.Error(), "data.sha256") {
		t.Fatalf("err = %v, want a data.sha256 mismatch", err)
	}
}

// sameResultFiles compares the deterministic files of two results folders
// byte for byte (the manifest holds times and run ids, so only its points'
// names and statuses are compared).
func sameResultFiles(t *testing.T, a, b string) {
	t.Helper()
	var files []string
	filepath.Walk(a, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && filepath.Base(p) != "manifest.json" {
			rel, _ := filepath.Rel(a, p)
			files = append(files, rel)
		}
		return nil
	})
	if len(files) < 5 {
		t.Fatalf("%s holds only %v", a, files)
	}
	for _, f := range files {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil {
			t.Errorf("%s: %v %v", f, err1, err2)
			continue
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", f, a, b)
		}
	}
	var ma, mb runfolder.Manifest
	readJSONFile(t, filepath.Join(a, "manifest.json"), &ma)
	readJSONFile(t, filepath.Join(b, "manifest.json"), &mb)
	if len(ma.Points) != len(mb.Points) {
		t.Fatalf("manifests list %d and %d points", len(ma.Points), len(mb.Points))
	}
	for i := range ma.Points {
		if ma.Points[i].Name != mb.Points[i].Name || ma.Points[i].Status != mb.Points[i].Status {
			t.Errorf("manifest point %d: %s/%s vs %s/%s", i, ma.Points[i].Name, ma.Points[i].Status, mb.Points[i].Name, mb.Points[i].Status)
		}
	}
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestBadLinesFailOrSkip(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "flows.netflow.labeled")
	text := netflowHeader
	for i := 0; i < 40; i++ {
		host, label := 1+i%3, "LEGITIMATE"
		if host == 1 {
			label = "Botnet"
		}
		text += netflowLine(i, host, 100+i, label)
		if i == 20 {
			text += "2011-08-18 10:19:99.000 not a flow line Botnet\n"
		}
	}
	os.WriteFile(data, []byte(text), 0o644)
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("data: {path: "+data+"}\nhosts: {profile: 10.0.0.1, normal: [10.0.0.2], infected: [10.0.0.3]}\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\n"), 0o644)
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Execute(context.Background(), plan, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e := out.Points[0].Err; e == nil || !strings.Contains(e.Error(), data+":23:") {
		t.Fatalf("on_bad_line fail: err = %v, want it to name %s:23", e, data)
	}
	plan, _ = LoadPlan(spec, []string{"data.on_bad_line=skip"})
	out, err = Execute(context.Background(), plan, Options{})
	if err != nil || out.Failed() > 0 {
		t.Fatalf("on_bad_line skip: %v %v", err, out.Points[0].Err)
	}
	w := strings.Join(out.Warnings(), "\n")
	if !strings.Contains(w, "1 unparsable lines skipped") || out.Load.BadLines[0].Line != 23 {
		t.Errorf("skipped line not reported: %q, %+v", w, out.Load.BadLines)
	}
}

// A warm run reads only the final entries, never the load stage's output;
// the lines its results rest on were skipped all the same, and it says so.
func TestBadLinesSkipReportedWhenCached(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "flows.netflow.labeled")
	text := netflowHeader
	for i := 0; i < 40; i++ {
		text += netflowLine(i, 1+i%3, 100+i, "LEGITIMATE")
		if i == 20 {
			text += "2011-08-18 10:19:99.000 not a flow line Botnet\n"
		}
	}
	os.WriteFile(data, []byte(text), 0o644)
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("data: {path: "+data+", on_bad_line: skip}\nhosts: {profile: 10.0.0.1, normal: [10.0.0.2], infected: [10.0.0.3]}\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\n"), 0o644)
	opt := Options{CacheDir: filepath.Join(dir, "cache")}
	for _, run := range []string{"cold", "warm"} {
		plan, err := LoadPlan(spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Execute(context.Background(), plan, opt)
		if err != nil || out.Failed() > 0 {
			t.Fatalf("%s: %v %v", run, err, out.Points[0].Err)
		}
		if run == "warm" && out.Points[0].Stages[0].Stage == "load" {
			t.Fatalf("warm run ran the load stage: %+v", out.Points[0].Stages)
		}
		w := strings.Join(out.Warnings(), "\n")
		if !strings.Contains(w, "1 unparsable lines skipped") || out.Load == nil || out.Load.Bad != 1 || out.Load.BadLines[0].Line != 23 {
			t.Errorf("%s run: skipped line not reported: warnings %q, load stats %+v", run, w, out.Load)
		}
	}
}

// The data file's sha256 is remembered by path, size, mtime and inode; a
// file rewritten in place must be hashed again, or stale cache keys would
// hand back results of the old content.
func TestDataHashMemoFollowsTheFile(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "flows.netflow.labeled")
	write := func(bytes int) {
		text := netflowHeader
		for i := 0; i < 30; i++ {
			text += netflowLine(i, 1+i%2, bytes+i, "Botnet")
		}
		if err := os.WriteFile(data, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(100)
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("data: {path: "+data+"}\nhosts: {profile: 10.0.0.1, infected: [10.0.0.2]}\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\nevaluate: {roc: false}\n"), 0o644)
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	first, err := Execute(context.Background(), plan, Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{cache: mustOpen(t, cacheDir)}
	if sha, ok := r.knownSHA(data); !ok || sha != first.DataSHA {
		t.Fatalf("sha256 not remembered after a run: %q %v, want %s", sha, ok, first.DataSHA)
	}
	before, _ := os.Stat(data)
	write(900) // same size, new content
	// cp -p / tar -x restore the modification time: only ctime tells.
	os.Chtimes(data, before.ModTime(), before.ModTime())
	if _, ok := r.knownSHA(data); ok {
		t.Fatal("the remembered sha256 survived a rewrite of the file")
	}
	second, err := Execute(context.Background(), plan, Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if second.DataSHA == first.DataSHA {
		t.Fatal("the rewritten file got the old sha256")
	}
	if got := stageStates(second)["base/load"]; got != "ran" {
		t.Errorf("load after the rewrite: %q, want ran", got)
	}
}

func mustOpen(t *testing.T, dir string) *cache.Cache {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A remembered data-file hash that disagrees with the spec's data.sha256
// (a stale or tampered memo with a valid checksum) is not trusted: the file
// is hashed again, and a good file passes.
func TestStaleMemoDoesNotBlameTheFile(t *testing.T) {
	plan, err := LoadPlan("../experiments/default.yaml", []string{"model.restarts=1"})
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	c := mustOpen(t, cacheDir)
	data, _ := resolveDataPath(plan.File, plan.Point(0).Spec.Data.Path)
	id, err := fileIdentity(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RememberFileHash(id, strings.Repeat("0", 64)); err != nil {
		t.Fatal(err)
	}
	out, err := Execute(context.Background(), plan, Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatalf("a stale memo failed a good run: %v", err)
	}
	if out.DataSHA != plan.Point(0).Spec.Data.SHA256 {
		t.Fatalf("DataSHA %s", out.DataSHA)
	}
	if sha, ok := c.KnownFileHash(id); !ok || sha != out.DataSHA {
		t.Fatalf("the memo was not corrected: %s %v", sha, ok)
	}
}

// A damaged cache entry is recomputed, and --explain (and the manifest's
// stage record) says why the entry was not used instead of a bare "ran".
func TestExplainSaysWhyAnEntryWasNotUsed(t *testing.T) {
	plan, err := LoadPlan("../experiments/default.yaml", []string{"model.restarts=1"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Execute(context.Background(), plan, Options{CacheDir: dir}); err != nil {
		t.Fatal(err)
	}
	points, _ := filepath.Glob(filepath.Join(dir, "*", "*", "point.json"))
	if len(points) != 1 {
		t.Fatalf("evaluate entries: %v", points)
	}
	os.WriteFile(points[0], []byte(`{"damaged": true}`), 0o644)
	var explain bytes.Buffer
	out, err := Execute(context.Background(), plan, Options{CacheDir: dir, Explain: &explain})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(explain.String(), "evaluate") || !strings.Contains(explain.String(), "ran — cache entry not used: corrupt") {
		t.Fatalf("explain output:\n%s", explain.String())
	}
	st := out.Points[0].Stages[len(out.Points[0].Stages)-1]
	if st.Stage != "evaluate" || len(st.Changed) == 0 || !strings.HasPrefix(st.Changed[0], "cache entry not used: corrupt") {
		t.Fatalf("evaluate stage record %+v", st)
	}
}

// When cache writes fail (a full or broken cache), the run's results are
// still right, and the outcome warns once with the count and first error
// instead of saying nothing.
func TestFailingCacheWritesWarnOnce(t *testing.T) {
	plan, err := LoadPlan("../experiments/default.yaml", []string{"model.restarts=1"})
	if err != nil {
		t.Fatal(err)
	}
	good, err := Execute(context.Background(), plan, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var once sync.Once
	breakCache := func() {
		once.Do(func() { // the cache's temporary folder becomes a file: every write fails
			os.RemoveAll(filepath.Join(dir, "tmp"))
			os.WriteFile(filepath.Join(dir, "tmp"), nil, 0o644)
		})
	}
	out, err := Execute(context.Background(), plan, Options{CacheDir: dir, beforeBackgroundWrite: breakCache})
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	for _, w := range out.Warnings() {
		if strings.Contains(w, "writes failed") {
			warns = append(warns, w)
		}
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "the results are correct") {
		t.Fatalf("cache warnings %q", warns)
	}
	a, _ := json.Marshal(good.Points[0].Out.Hosts)
	b, _ := json.Marshal(out.Points[0].Out.Hosts)
	if !bytes.Equal(a, b) {
		t.Fatal("scores differ when the cache fails")
	}
}

// scores.csv and scores.parquet carry each sweep axis as a column, typed
// in Parquet.
func TestScoresSweepColumns(t *testing.T) {
	spec := writeSpec(t, smallSpec)
	_, dir := runSpec(t, spec, []string{"sweep.window.size=[5, 10]", "sweep.model.kind=[gaussian, categorical]", "model.n_iter=1"}, Options{})
	rows := readCSV(t, filepath.Join(dir, "scores.csv"))
	if got := strings.Join(rows[0][:4], ","); got != "point,window.size,model.kind,host" {
		t.Errorf("scores.csv header starts %s", got)
	}
	if r := rows[1]; r[1] != "5" || r[2] != "gaussian" {
		t.Errorf("first row %v", r)
	}
	pq, err := cache.ReadParquet(filepath.Join(dir, "scores.parquet"), memory.NewGoAllocator())
	if err != nil {
		t.Fatal(err)
	}
	defer pq.Release()
	if f := pq.Schema().Field(1); f.Name != "window.size" || f.Type.ID() != arrow.INT64 {
		t.Errorf("parquet field 1 = %v", f)
	}
	if f := pq.Schema().Field(2); f.Name != "model.kind" || f.Type.ID() != arrow.STRING {
		t.Errorf("parquet field 2 = %v", f)
	}
	if pq.Column(1).(*array.Int64).Value(0) != 5 {
		t.Errorf("window.size of row 0 = %v", pq.Column(1))
	}
}

// With Options.ResultsDir, point files are written as points finish and
// the rest of each point's results goes to the spool: the Outcome keeps
// no output and no stage records, the folder shows no spool file, and
// WriteResults gives the same folder as from whole outputs in memory.
func TestResultsDirStreamsPointFiles(t *testing.T) {
	spec := writeSpec(t, smallSpec)
	sets := []string{"sweep.model.seed=[1, 2, 3]", "model.n_iter=2", "hosts.normal=[147.32.84.134, 10.9.9.9]"}
	plan, err := LoadPlan(spec, sets)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir, runID, err := NewRunDir(root, plan.Name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out, err := Execute(context.Background(), plan, Options{ResultsDir: dir, Jobs: 2})
	if err != nil || out.Failed() > 0 {
		t.Fatal(err, out.Failed())
	}
	for _, p := range out.Points {
		if p.Out != nil || p.Stages != nil {
			t.Errorf("point %s kept %+v, %d stage records", p.Point.Name, p.Out, len(p.Stages))
		}
		if _, err := os.Stat(filepath.Join(dir, "points", p.Point.Name, "roc_window.csv")); err != nil {
			t.Errorf("point %s: %v", p.Point.Name, err)
		}
	}
	if spools, _ := filepath.Glob(filepath.Join(dir, ".spool*")); len(spools) > 0 {
		t.Errorf("spool files visible in the results folder: %v", spools)
	}
	warnings := out.Warnings()
	if err := WriteResults(dir, runID, out); err != nil {
		t.Fatal(err)
	}
	// The same run written at the end, from whole outputs.
	out2, dir2 := runSpec(t, spec, sets, Options{})
	if w2 := out2.Warnings(); len(w2) == 0 || !slices.Equal(warnings, w2) {
		t.Errorf("warnings %q from the spool, %q from whole outputs", warnings, w2)
	}
	for _, f := range []string{"scores.csv", "scores.parquet", "metrics.csv", "metrics.json", "points/model.seed=1/roc_window.csv",
		"points/model.seed=2/model.json", "points/model.seed=1/mapping.json"} {
		a, err1 := os.ReadFile(filepath.Join(dir, f))
		b, err2 := os.ReadFile(filepath.Join(dir2, f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between streamed and whole outputs (%v, %v)", f, err1, err2)
		}
	}
	a, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	b, _ := os.ReadFile(filepath.Join(dir2, "manifest.json"))
	if a, b := normalizeManifest(t, a), normalizeManifest(t, b); !bytes.Equal(a, b) {
		t.Errorf("manifest.json differs between streamed and whole outputs:\n%s\n%s", a, b)
	}
}

// TestExecuteMemoryPerPoint: with Options.ResultsDir, what a run keeps of
// its finished points until WriteResults does not grow with their
// results. The slope between a 40- and a 200-point run of smallSpec (fixed
// costs cancel out) was 2.7 KB per point while the Outcome kept each
// point's host scores, metrics, fit histories and stage records; with the
// spool, which leaves it a point's name and error, -66 and 199 B.
func TestExecuteMemoryPerPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs 245 points")
	}
	spec := writeSpec(t, smallSpec)
	kept := func(n int) int64 {
		seeds := make([]string, n)
		for i := range seeds {
			seeds[i] = strconv.Itoa(i)
		}
		plan, err := LoadPlan(spec, []string{"sweep.model.seed=[" + strings.Join(seeds, ",") + "]", "model.n_iter=3"})
		if err != nil {
			t.Fatal(err)
		}
		dir, runID, err := NewRunDir(t.TempDir(), plan.Name, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.GC() // and the pools' victims
		runtime.ReadMemStats(&before)
		out, err := Execute(context.Background(), plan, Options{ResultsDir: dir, CacheDir: t.TempDir(), Jobs: 2})
		if err != nil || out.Failed() > 0 {
			t.Fatal(err, out.Failed())
		}
		out.WaitCacheWrites()
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if err := WriteResults(dir, runID, out); err != nil {
			t.Fatal(err)
		}
		return int64(after.HeapAlloc) - int64(before.HeapAlloc)
	}
	kept(5) // one-time costs (package state, the data file's hash memo)
	small, big := kept(40), kept(200)
	perPoint := (big - small) / 160
	t.Logf("kept %d B after 40 points, %d B after 200: %d B per point", small, big, perPoint)
	if perPoint > 1000 {
		t.Errorf("a run keeps %d B per finished point until its results are written; want under 1,000", perPoint)
	}
}

// A shard run (Options.DropOutputs) keeps each point's status, not its
// output: the results live in the cache.
func TestDropOutputs(t *testing.T) {
	spec := writeSpec(t, smallSpec)
	plan, err := LoadPlan(spec, []string{"sweep.model.seed=[1, 2]", "model.n_iter=1"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, err := Execute(context.Background(), plan, Options{CacheDir: dir, DropOutputs: true})
	if err != nil || out.Failed() > 0 {
		t.Fatal(err, out.Failed())
	}
	for _, p := range out.Points {
		if p.Out != nil || p.Err != nil || len(p.Stages) == 0 {
			t.Errorf("point %s: out %v, err %v, %d stages", p.Point.Name, p.Out, p.Err, len(p.Stages))
		}
	}
	// The outputs are in the cache: a second run hits every point.
	st, err := CacheStatus(context.Background(), plan, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if !s.Cached {
			t.Errorf("point %s not cached: %s", s.Name, s.Reason)
		}
	}
}

// A data file whose sha256 memo is gone is read and hashed before any
// entry can be looked up (its hash is in every key): --explain says so
// for the load stage, instead of "first run" or a bare "ran".
func TestExplainSaysWhyLoadReadTheFile(t *testing.T) {
	dir := t.TempDir()
	run := func() string {
		plan, err := LoadPlan("../experiments/default.yaml", []string{"model.restarts=1"})
		if err != nil {
			t.Fatal(err)
		}
		var explain bytes.Buffer
		if _, err := Execute(context.Background(), plan, Options{CacheDir: dir, Explain: &explain}); err != nil {
			t.Fatal(err)
		}
		return explain.String()
	}
	run()
	memos, _ := filepath.Glob(filepath.Join(dir, "filehash", "*.json"))
	if len(memos) != 1 {
		t.Fatalf("memos: %v", memos)
	}
	os.Remove(memos[0])
	// The entries go too (the explain records stay): the point needs its flows.
	entries, _ := filepath.Glob(filepath.Join(dir, "[0-9a-f][0-9a-f]"))
	for _, e := range entries {
		os.RemoveAll(e)
	}
	out := run()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "load" {
			if !strings.Contains(line, "sha256 was not remembered") {
				t.Errorf("load line: %s", line)
			}
			return
		}
	}
	t.Fatalf("no load line in:\n%q", out)
}

// A data.sha256 that does not match the file names where it came from: a
// --set override was blamed on the spec file ("s.yaml: data.sha256 is
// 000…").
func TestSHA256MismatchNamesItsOrigin(t *testing.T) {
	dir := t.TempDir()
	data := writeTwoHosts(t, filepath.Join(dir, "flows.netflow.labeled"), 30)
	zeros, ones := strings.Repeat("0", 64), strings.Repeat("1", 64)
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("hosts: {profile: 10.0.0.1, infected: [10.0.0.2]}\ndata:\n  path: "+data+"\n  sha256: "+zeros+"\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\nevaluate: {roc: false}\n"), 0o644)
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{nil, spec + ":4: data.sha256: the spec says " + zeros + " but " + data + " has sha256 "},
		{[]string{"data.sha256=" + ones}, "--set data.sha256=" + ones + ": data.sha256: the spec says " + ones + " but "},
		{[]string{"sweep.data.sha256=[" + ones + "]"}, "--set sweep.data.sha256=[" + ones + "]: data.sha256: the spec says " + ones + " but "},
	} {
		plan, err := LoadPlan(spec, tc.sets)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Execute(context.Background(), plan, Options{CacheDir: t.TempDir()})
		const hint = "(of its decompressed content): if this file is the one meant, set data.sha256 to its sha256"
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !strings.Contains(err.Error(), hint) {
			t.Errorf("%v: err = %v, want %q… %q", tc.sets, err, tc.want, hint)
		}
	}
}

// "profiled host X has no flows" blamed hosts.profile when
// discretize.fit_host or fit_on named the host, and did not say that the
// label filter had removed its flows: the error names the key and, per
// host, whether the data has no flow of it or the filter removed them.
func TestNoFitFlowsNamesKeyAndFilter(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "flows.netflow.labeled")
	text := netflowHeader
	for i := 0; i < 30; i++ {
		label := "Botnet"
		if i%3 == 2 {
			label = "Background" // 10.0.0.3's flows: all background
		}
		text += netflowLine(i, 1+i%3, 100+i, label)
	}
	os.WriteFile(data, []byte(text), 0o644)
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("data: {path: "+data+"}\nhosts: {profile: 10.0.0.1, infected: [10.0.0.2]}\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\nevaluate: {roc: false}\n"), 0o644)
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"discretize.fit_host=10.0.0.9"}, "stage discretize: no flows to fit the cuts on, from the hosts discretize.fit_host names: 10.0.0.9 is in no flow of " + data + " as src_addr: check the address"},
		{[]string{"discretize.fit_on=[10.0.0.3]"}, "stage discretize: no flows to fit the cuts on, from the hosts discretize.fit_on names: 10.0.0.3 has 10 flows in " + data + ", and the label filter (labels.*) removed every one"},
		{[]string{"hosts.profile=10.0.0.3"}, "from the hosts hosts.profile names: 10.0.0.3 has 10 flows in "},
		{[]string{"hosts.view=dst", "discretize.fit_host=10.0.0.1"}, "discretize.fit_host names: 10.0.0.1 is in no flow of " + data + " as dst_addr"},
	} {
		plan, err := LoadPlan(spec, tc.sets)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Execute(context.Background(), plan, Options{CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Points[0].Err; err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.sets, err, tc.want)
		}
	}
}

// evaluate.roc: false asks for scores only: the warnings that a host or
// window ROC without both classes has NaN metrics are not given, on a
// fresh run or from the cache (the evaluate entry keeps them: its key does
// not hold evaluate.roc).
func TestROCFalseDoesNotWarnAboutROC(t *testing.T) {
	dir := t.TempDir()
	data := writeTwoHosts(t, filepath.Join(dir, "flows.netflow.labeled"), 30)
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("data: {path: "+data+"}\nhosts: {profile: 10.0.0.1, infected: [10.0.0.2]}\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\nevaluate: {roc: false}\n"), 0o644)
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	for run := range 2 {
		out, err := Execute(context.Background(), plan, Options{CacheDir: cacheDir})
		if err != nil || out.Points[0].Err != nil {
			t.Fatal(err, out.Points[0].Err)
		}
		for _, w := range out.Warnings() {
			if strings.Contains(w, "ROC (") {
				t.Errorf("run %d: warning %q with evaluate.roc: false", run, w)
			}
		}
		if !math.IsNaN(out.Points[0].Out.Metrics["auc_window"]) {
			t.Errorf("run %d: auc_window %v, want NaN (undefined)", run, out.Points[0].Out.Metrics["auc_window"])
		}
	}
}

// netflowHeader and netflowLine write small synthetic NetFlow files: line
// i is a flow at 10:19:i of host 10.0.0.<host> with the given bytes and
// label.
const netflowHeader = "Date flow start          Durat Prot    Src IP Addr:Port          Dst IP Addr:Port   Flags   Tos  Packets    Bytes  Flows  Label\n"

// writeTwoHosts writes a NetFlow file of n Botnet flows at path,
// alternately of hosts 10.0.0.1 and 10.0.0.2, and returns path.
func writeTwoHosts(t *testing.T, path string, n int) string {
	t.Helper()
	text := netflowHeader
	for i := range n {
		text += netflowLine(i, 1+i%2, 100+i, "Botnet")
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func netflowLine(i, host, bytes int, label string) string {
	return fmt.Sprintf("2011-08-18 10:19:%02d.328     0.002 TCP          10.0.0.%d:33426 ->       212.24.150.110:25443 FRPA_     0        4      %d      1   %s\n", i, host, bytes, label)
}

// A data file that is missing names its key's line (or --set) and what to
// do: it said "s.yaml: data.path x: no such file ...", with no line. It
// stays a data error (exit 1), not a SpecError (exit 2).
func TestMissingDataFileNamesItsKey(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("hosts: {profile: 10.0.0.1, infected: [10.0.0.2]}\ndata:\n  path: nosuch.netflow\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\nevaluate: {roc: false}\n"), 0o644)
	listSpec := filepath.Join(dir, "l.yaml")
	os.WriteFile(listSpec, []byte("hosts: {profile: a:10.0.0.1, infected: [b:10.0.0.2]}\ndata:\n  - {name: a, path: "+spec+"}\n  - name: b\n    path: gone.netflow\nevaluate: {roc: false}\n"), 0o644)
	const hint = ": no such file (looked in " // then the folder, and "correct the path, or fetch the file"
	for _, tc := range []struct {
		spec string
		sets []string
		want string
	}{
		{spec, nil, spec + ":3: data.path: nosuch.netflow" + hint + dir},
		{spec, []string{"data.path=other.netflow"}, "--set data.path=other.netflow: data.path: other.netflow" + hint},
		{listSpec, nil, listSpec + ":5: data[1].path: gone.netflow" + hint + dir},
	} {
		plan, err := LoadPlan(tc.spec, tc.sets)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Execute(context.Background(), plan, Options{CacheDir: t.TempDir()})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !strings.Contains(err.Error(), "correct the path, or fetch the file") {
			t.Errorf("%s %v: err = %v, want %q…", tc.spec, tc.sets, err, tc.want)
		}
		var se *SpecError
		if errors.As(err, &se) {
			t.Errorf("%v: a SpecError (exit 2), want a data error (exit 1)", err)
		}
	}
}

// A null value derive or discretize needs names the data file it is in,
// and the source's file when there are several: the error said "line 2:
// src_bytes is null", which file's line 2 unsaid (and "percentile
// features need a value" for a cuts feature).
func TestNullValueNamesItsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, host int) string {
		text := netflowHeader
		for i := 0; i < 12; i++ {
			text += netflowLine(i, host, 100+i, "Botnet")
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	a, b := write("a.netflow", 1), write("b.netflow", 2)
	one := "data: {path: " + a + "}\nhosts: {profile: 10.0.0.1, infected: [10.0.0.2]}\nevaluate: {roc: false}\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\n"
	two := "data:\n  - {name: a, path: " + a + "}\n  - {name: b, path: " + b + "}\nhosts: {profile: b:10.0.0.2, normal: [a:10.0.0.1]}\nevaluate: {roc: false}\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\n"
	for _, tc := range []struct{ spec, features, want string }{
		{one, "[{column: src_bytes, kind: cuts, cuts: [1]}]",
			"stage discretize: fitting features[0]: " + a + ":2: src_bytes is null (host 10.0.0.1); NetFlow files have no src_bytes; numeric features (percentile, cuts, kmeans) need a value"},
		{one, "[{ratio: [src_bytes, bytes], kind: cuts, cuts: [1]}]",
			"derive ratio(src_bytes,bytes): " + a + ":2: src_bytes is null (host 10.0.0.1); NetFlow files have no src_bytes; derived columns need a value"},
		{two, "[{column: src_bytes, kind: kmeans, k: 2}]",
			"stage discretize: fitting features[0]: " + b + ":2: src_bytes is null (host b:10.0.0.2); NetFlow files have no src_bytes"},
	} {
		spec := filepath.Join(dir, "s.yaml")
		os.WriteFile(spec, []byte(tc.spec+"discretize: {features: "+tc.features+"}\n"), 0o644)
		plan, err := LoadPlan(spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Execute(context.Background(), plan, Options{CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if out.Failed() != 1 || !strings.Contains(out.Points[0].Err.Error(), tc.want) {
			t.Errorf("%s: point error %v, want %q", tc.features, out.Points[0].Err, tc.want)
		}
	}
}

// A data.format that is wrong for the file names the key's line (or
// --set, or the sweep value's line) and what to do: it said only
// "x.netflow:1: format binetflow requested, but the header is a netflow
// header", no spec line. The point fails (a data error, exit 1), not the
// spec (exit 2).
func TestWrongDataFormatNamesItsKey(t *testing.T) {
	dir := t.TempDir()
	writeTwoHosts(t, filepath.Join(dir, "x.netflow"), 12)
	rest := "hosts: {profile: 10.0.0.1, infected: [10.0.0.2]}\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\nevaluate: {roc: false}\n"
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	one := write("one.yaml", "data:\n  path: x.netflow\n  format: binetflow\n"+rest)
	auto := write("auto.yaml", "data:\n  path: x.netflow\n"+rest)
	list := write("list.yaml", "data:\n  - name: a\n    path: x.netflow\n    format: binetflow\n"+strings.ReplaceAll(rest, "10.0.0.", "a:10.0.0."))
	swept := write("sweep.yaml", "data:\n  path: x.netflow\n"+rest+"sweep:\n  data.format:\n    - netflow\n    - binetflow\n")
	const what = "x.netflow has a netflow header (line 1), not binetflow: set "
	for _, tc := range []struct {
		spec string
		sets []string
		want string // of the failing point's error
	}{
		{one, nil, one + ":3: data.format: " + dir},
		{auto, []string{"data.format=binetflow"}, "--set data.format=binetflow: data.format: " + dir},
		{list, nil, list + ":4: data[0].format: " + dir},
		{swept, nil, swept + ":10: data.format: " + dir},
	} {
		plan, err := LoadPlan(tc.spec, tc.sets)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Execute(context.Background(), plan, Options{CacheDir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s %v: %v", tc.spec, tc.sets, err)
		}
		if out.Failed() != 1 {
			t.Errorf("%s %v: %d points failed, want 1", tc.spec, tc.sets, out.Failed())
			continue
		}
		var perr error
		for _, p := range out.Points {
			if p.Err != nil {
				perr = p.Err
			}
		}
		if msg := perr.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, what) {
			t.Errorf("%s %v: point error %q, want %q…%q", tc.spec, tc.sets, msg, tc.want, what)
		}
		var se *SpecError
		if errors.As(perr, &se) {
			t.Errorf("%v: a SpecError (exit 2), want a data error (exit 1)", perr)
		}
	}
}

// A sweep that gives points other data files is refused before anything
// runs, by botprof validate (DataFiles) as by a run, as a spec error (exit
// 2) at the value's line. validate said "ok" to it, and the run failed
// with exit 1 and no line: "sweep point data.path=b.netflow: the data
// sources differ between points".
func TestSweptDataPathIsASpecError(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.netflow", "b.netflow"} {
		os.WriteFile(filepath.Join(dir, name), []byte(netflowHeader+netflowLine(1, 1, 100, "Botnet")), 0o644)
	}
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("data:\n  path: a.netflow\nhosts: {profile: 10.0.0.1, infected: [10.0.0.2]}\nevaluate: {roc: false}\n"+
		"sweep:\n  data.path:\n    - a.netflow\n    - b.netflow\n  data.format: [auto, netflow]\n"), 0o644)
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := spec + ":8: data.path: sweep point data.path=b.netflow,data.format=auto reads other data files than point data.path=a.netflow,data.format=auto"
	_, ferr := DataFiles(plan)
	_, xerr := Execute(context.Background(), plan, Options{CacheDir: t.TempDir()})
	for what, err := range map[string]error{"DataFiles": ferr, "Execute": xerr} {
		var se *SpecError
		if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.As(err, &se) {
			t.Errorf("%s: err = %v, want a SpecError %q…", what, err, want)
		}
	}
	// Sweeping another data key over one file is fine.
	plan, err = LoadPlan(spec, []string{"sweep.data.path=[a.netflow]"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DataFiles(plan); err != nil {
		t.Errorf("one file, swept format: %v", err)
	}
}

// Options.RequireCached computes no stage: on an empty cache every point
// fails with a NotCachedError (FailFast or not) and nothing is stored; once the points are
// cached, they are read; a damaged entry is not recomputed but named.
func TestRequireCached(t *testing.T) {
	dir := t.TempDir()
	data := writeTwoHosts(t, filepath.Join(dir, "flows.netflow.labeled"), 30)
	spec := filepath.Join(dir, "s.yaml")
	os.WriteFile(spec, []byte("data: {path: "+data+"}\nhosts: {profile: 10.0.0.1, infected: [10.0.0.2]}\nwindow: {size: 3}\nmodel: {states: 2, n_iter: 2}\nevaluate: {roc: false}\nsweep: {model.seed: [0, 1, 2, 3]}\n"), 0o644)
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	entries := func() []string {
		m, _ := filepath.Glob(filepath.Join(cacheDir, "*", "*", "meta.json"))
		return m
	}
	// With FailFast too: a point not cached stops nothing.
	out, err := Execute(context.Background(), plan, Options{CacheDir: cacheDir, RequireCached: true, FailFast: true, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range out.Points {
		var nc *NotCachedError
		if !errors.As(p.Err, &nc) || nc.Reason != "absent" {
			t.Errorf("point %s: %v, want not cached (absent)", p.Point.Name, p.Err)
		}
	}
	if e := entries(); len(e) > 0 {
		t.Errorf("RequireCached stored %d entries", len(e))
	}
	if _, err := Execute(context.Background(), plan, Options{CacheDir: cacheDir}); err != nil {
		t.Fatal(err)
	}
	out, err = Execute(context.Background(), plan, Options{CacheDir: cacheDir, RequireCached: true})
	if err != nil || out.Failed() != 0 {
		t.Fatalf("cached points: %v, %d failed", err, out.Failed())
	}
	// Damage point 1's evaluate entry (the one holding point.json).
	var damaged bool
	for _, m := range entries() {
		pj := filepath.Join(filepath.Dir(m), "point.json")
		if b, err := os.ReadFile(pj); err == nil && strings.Contains(string(b), `"seed": 1`) {
			os.WriteFile(pj, append(b, ' '), 0o644)
			damaged = true
		}
	}
	if !damaged {
		t.Fatal("no evaluate entry of seed 1 found to damage")
	}
	n := len(entries())
	out, err = Execute(context.Background(), plan, Options{CacheDir: cacheDir, RequireCached: true})
	if err != nil {
		t.Fatal(err)
	}
	var nc *NotCachedError
	if out.Points[0].Err != nil || !errors.As(out.Points[1].Err, &nc) || !strings.HasPrefix(nc.Reason, "corrupt: file point.json") {
		t.Errorf("after damage: %v, %v; want point 1 not cached (corrupt)", out.Points[0].Err, out.Points[1].Err)
	}
	if len(entries()) != n {
		t.Errorf("RequireCached stored entries after the damage")
	}
}
