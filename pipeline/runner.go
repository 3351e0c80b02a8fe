package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/hmm"
	"botprof/pipeline/cache"
	"botprof/stages/discretize"
	"botprof/stages/evaluate"
	"botprof/stages/filter"
	"botprof/stages/load"
	"botprof/stages/train"
	"botprof/stages/window"
)

// Stage versions: bump one when its output for the same parameters changes,
// so that old cache entries stop matching.
const (
	loadVersion       = 1
	discretizeVersion = 1
	windowVersion     = 1
	trainVersion      = 2 // 2: one forward-backward ladder (issue 15); fits differ by ~1e-9
	evaluateVersion   = 5 // 5: the same; scores differ in the last bit
)

// Options control a run; none of them changes a result.
type Options struct {
	Jobs     int       // points run in parallel (0: all cores)
	CacheDir string    // "" disables the stage cache
	Explain  io.Writer // when set, one line per stage per point: ran or hit, and why
	Progress Progress  // nil: silent
	FailFast bool      // stop at the first failing point
	// DeferCacheWrites lets Execute return while intermediate stage outputs
	// are still being written to the cache (each point's final entry is
	// always written before the point counts as done); the caller must call
	// Outcome.WaitCacheWrites before it exits. The CLI writes the results
	// folder meanwhile.
	DeferCacheWrites bool
	OnPointErr       func(point string, err error)

	// beforeBackgroundWrite, if set, runs before every background cache
	// write; tests hold the writes back with it.
	beforeBackgroundWrite func()
}

// Progress receives coarse progress events; implementations must be safe
// for concurrent use.
type Progress interface {
	LoadBytes(done, total int64)
	PointDone(done, total int)
}

// StageRecord is what happened to one stage of one point.
type StageRecord struct {
	Stage   string   `json:"stage"`
	Key     string   `json:"key"`
	Cached  bool     `json:"cached"`
	Seconds float64  `json:"seconds"`
	Changed []string `json:"changed,omitempty"`
}

// PointResult is one point's outcome.
type PointResult struct {
	Point  Point
	Err    error
	Stages []StageRecord
	Out    *PointOutput
}

// Outcome is a whole run's outcome, in plan order.
type Outcome struct {
	Plan     *Plan
	DataPath string
	DataSHA  string
	Points   []PointResult
	Load     *load.Stats // nil when no point needed the load stage's output
	Started  time.Time
	Wall     time.Duration

	git          func() ManifestGit // for the manifest, started with the run
	cacheWarning func() string      // failed cache writes, once all are done
	pending      *sync.WaitGroup    // cache writes in flight
}

// WaitCacheWrites waits for the cache writes Execute left in flight (see
// Options.DeferCacheWrites).
func (o *Outcome) WaitCacheWrites() {
	if o.pending != nil {
		o.pending.Wait()
	}
}

// Warnings lists every point's warnings once, in plan order, plus the
// loader's skipped lines.
func (o *Outcome) Warnings() []string {
	var out []string
	seen := map[string]bool{}
	if o.Load != nil && o.Load.Bad > 0 {
		w := fmt.Sprintf("%s: %d unparsable lines skipped (on_bad_line: skip); the first are listed in manifest.json", o.DataPath, o.Load.Bad)
		out = append(out, w)
	}
	if o.cacheWarning != nil {
		o.WaitCacheWrites()
		if w := o.cacheWarning(); w != "" {
			out = append(out, w)
		}
	}
	for _, p := range o.Points {
		if p.Out == nil {
			continue
		}
		for _, w := range p.Out.Warnings {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// Failed counts failed points.
func (o *Outcome) Failed() int {
	n := 0
	for _, p := range o.Points {
		if p.Err != nil {
			n++
		}
	}
	return n
}

// Execute runs every point of plan.
func Execute(ctx context.Context, plan *Plan, opt Options) (*Outcome, error) {
	started := time.Now()
	git := startGitState()
	var c *cache.Cache
	if opt.CacheDir != "" {
		var err error
		if c, err = cache.Open(opt.CacheDir); err != nil {
			return nil, err
		}
	}
	r := &runner{plan: plan, opt: opt, cache: c, mem: memory.NewGoAllocator(), memo: map[string]*future{}}
	finished := false
	defer func() {
		if !finished {
			r.pending.Wait() // an early error: nobody else waits for the writes
		}
	}()
	dataPath, err := resolveDataPath(plan.File, plan.Points[0].Spec.Data.Path)
	if err != nil {
		return nil, err
	}
	r.dataPath = dataPath
	sha, known := r.knownSHA(dataPath)
	if want := plan.Points[0].Spec.Data.SHA256; known && want != "" && want != sha {
		// Hash the file itself before blaming it: the memo may be stale.
		known = false
	}
	if !known {
		// First sight of this file: hash it while the first point's load
		// runs, instead of reading it twice in a row.
		if sha, err = r.hashWhileLoading(ctx, &plan.Points[0].Spec); err != nil {
			return nil, err
		}
	}
	for _, p := range plan.Points {
		if p.Spec.Data.Path != plan.Points[0].Spec.Data.Path {
			return nil, fmt.Errorf("sweep point %s: data.path differs between points; run one spec per data file", p.Name)
		}
		if want := p.Spec.Data.SHA256; want != "" && want != sha {
			return nil, fmt.Errorf("%s: data.sha256 is %s but %s has sha256 %s (of its decompressed content)", plan.File, want, dataPath, sha)
		}
	}
	r.dataSHA = sha

	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	out := &Outcome{Plan: plan, DataPath: dataPath, DataSHA: sha, Points: make([]PointResult, len(plan.Points)), Started: started, git: git}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idx := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				pr := r.runPoint(ctx, plan.Points[i])
				out.Points[i] = pr
				mu.Lock()
				done++
				d := done
				mu.Unlock()
				if pr.Err != nil {
					if opt.OnPointErr != nil {
						opt.OnPointErr(pr.Point.Name, pr.Err)
					}
					if opt.FailFast {
						cancel()
					}
				}
				if opt.Progress != nil {
					opt.Progress.PointDone(d, len(plan.Points))
				}
			}
		}()
	}
	for i := range plan.Points {
		if ctx.Err() != nil {
			break
		}
		idx <- i
	}
	close(idx)
	wg.Wait()
	out.pending, finished = &r.pending, true
	if !opt.DeferCacheWrites {
		r.pending.Wait()
	}
	for i := range out.Points {
		if out.Points[i].Point.Name == "" {
			out.Points[i] = PointResult{Point: plan.Points[i], Err: errors.New("not run: the run was stopped")}
		}
	}
	out.Load = r.loadStats
	out.cacheWarning = r.cacheWarning
	out.Wall = time.Since(started)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return out, err
	}
	return out, nil
}

// startGitState computes gitState in the background.
func startGitState() func() ManifestGit {
	ch := make(chan ManifestGit, 1)
	go func() { ch <- gitState() }()
	return sync.OnceValue(func() ManifestGit { return <-ch })
}

type runner struct {
	plan     *Plan
	opt      Options
	cache    *cache.Cache
	mem      memory.Allocator
	dataPath string
	dataSHA  string

	mu        sync.Mutex
	memo      map[string]*future
	loadStats *load.Stats
	explainMu sync.Mutex
	pending   sync.WaitGroup    // cache writes in flight
	missWhy   map[string]string // key id -> why an existing entry was not used (see get)

	cacheErrs     int   // failed cache writes
	firstCacheErr error // the first of them
}

// noteCacheWrite counts a failed cache write: the run's results stay
// correct (the value is in memory), but the next run recomputes it, and a
// full or read-only cache should not go unnoticed.
func (r *runner) noteCacheWrite(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cacheErrs == 0 {
		r.firstCacheErr = err
	}
	r.cacheErrs++
}

// get reads a stage's cache entry. A miss other than "absent" (a partial,
// corrupt or foreign entry) is remembered, so that --explain and the
// manifest say why the stage ran although an entry existed.
func (r *runner) get(key cache.Key) *cache.Entry {
	e, reason := r.cache.Get(key)
	if e == nil && reason != "" && reason != "absent" {
		r.mu.Lock()
		if r.missWhy == nil {
			r.missWhy = map[string]string{}
		}
		r.missWhy[key.ID] = reason
		r.mu.Unlock()
	}
	return e
}

// missReason returns why key's existing entry was not used, if it was not.
func (r *runner) missReason(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.missWhy[id]
}

// cacheWarning describes the failed cache writes, if any.
func (r *runner) cacheWarning() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cacheErrs == 0 {
		return ""
	}
	return fmt.Sprintf("stage cache %s: %d writes failed (first: %v); the results are correct, but the next run recomputes what was not stored",
		r.cache.Dir(), r.cacheErrs, r.firstCacheErr)
}

// putAsync stores a stage output in the background, off the critical path:
// on two cores a cache write overlaps the next stage's work. Execute waits
// for every write before it returns. The values the writers read must stay
// unchanged, which holds: stage outputs are immutable once made.
func (r *runner) putAsync(key cache.Key, files map[string]cache.WriteFunc, after ...func()) {
	r.pending.Add(1)
	go func() {
		defer r.pending.Done()
		if r.opt.beforeBackgroundWrite != nil {
			r.opt.beforeBackgroundWrite()
		}
		r.noteCacheWrite(r.cache.Put(key, files))
		for _, f := range after {
			f()
		}
	}()
}

// future is a stage output computed once per key and shared by all points.
type future struct {
	done   chan struct{}
	val    any
	err    error
	cached bool
	secs   float64

	prefetched, claimed bool // computed before the points ran (see hashWhileLoading)
}

// stopwatch times a stage's own work: a stage restarts it once its inputs
// (computed by other stages) are ready.
type stopwatch struct{ start time.Time }

func (s *stopwatch) restart() { s.start = time.Now() }

// once computes key's value with fn unless another point already did or is
// doing it. fn reports whether its value came from the disk cache.
func (r *runner) once(ctx context.Context, key string, fn func(sw *stopwatch) (any, bool, error)) (*future, bool) {
	r.mu.Lock()
	f, ok := r.memo[key]
	if !ok {
		f = &future{done: make(chan struct{})}
		r.memo[key] = f
	}
	// The first point to use a prefetched output owns it: for that point
	// the stage ran, for the others it is shared.
	owner := ok && f.prefetched && !f.claimed
	if owner {
		f.claimed = true
	}
	r.mu.Unlock()
	if owner {
		return f, false
	}
	if ok {
		select {
		case <-f.done:
		case <-ctx.Done():
			return &future{err: ctx.Err()}, true
		}
		return f, true
	}
	sw := &stopwatch{start: time.Now()}
	f.val, f.cached, f.err = fn(sw)
	f.secs = time.Since(sw.start).Seconds()
	close(f.done)
	return f, false
}

// stageKeys are the cache keys of one point's stages; they depend only on
// parameters and the data file's hash, so a fully cached point reads its
// final entry and nothing else.
type stageKeys struct {
	load, discretize, window, train, evaluate cache.Key
}

func (r *runner) keys(s *Spec) (stageKeys, error) {
	var k stageKeys
	var err error
	if k.load, err = cache.NewKey("load", loadVersion).File("data", r.dataSHA).
		Param("format", s.Data.Format).Param("on_bad_line", s.Data.OnBadLine).
		Param("skip_first_data_line", s.Data.SkipFirstDataLine).Param("labels", s.Labels).
		Param("columns", loadColumns(s)).Key(); err != nil {
		return k, err
	}
	if k.discretize, err = cache.NewKey("discretize", discretizeVersion).Input("flows", k.load).
		Param("compat", s.Discretize.Compat).Param("fit_on", s.Discretize.FitOn).
		Param("features", s.Discretize.Features).Param("hosts", discretizeHosts(s)).Key(); err != nil {
		return k, err
	}
	if k.window, err = cache.NewKey("window", windowVersion).Input("codes", k.discretize).
		Param("size", s.Window.Size).Param("stride", s.Window.Stride).Param("compat", s.Window.Compat).Key(); err != nil {
		return k, err
	}
	if k.train, err = cache.NewKey("train", trainVersion).Input("windows", k.window).
		Param("profile", s.Hosts.Profile).Param("model", s.Model).Param("input", s.Model.ModelInput()).Key(); err != nil {
		return k, err
	}
	evalKey := cache.NewKey("evaluate", evaluateVersion).Input("model", k.train).Input("windows", k.window).
		Param("hosts", s.Hosts).Param("score", s.Evaluate.Score).Param("input", s.Model.ModelInput())
	if d := s.Evaluate.Decision.Decision(); d.Enabled() {
		// Only when set, so that specs without one keep their keys.
		evalKey.Param("decision", d)
	}
	k.evaluate, err = evalKey.Key()
	return k, err
}

// loadColumns are the flow columns a point reads: what discretize needs to
// order and group the flows, and the feature columns, sorted. The loader
// parses only these.
func loadColumns(s *Spec) []string {
	cols := []string{load.ColStartTime, load.ColSrcAddr}
	for _, f := range s.Discretize.Features {
		cols = append(cols, f.Column)
	}
	slices.Sort(cols)
	return slices.Compact(cols)
}

// hostOrder lists the hosts a point scores: the profiled host, then the
// normal and infected hosts in spec order.
func hostOrder(s *Spec) []string {
	return uniqueHosts(s.Hosts.Profile, s.Hosts.Normal, s.Hosts.Infected)
}

func fitHost(s *Spec) string {
	if s.Discretize.FitHost != "" {
		return s.Discretize.FitHost
	}
	return s.Hosts.Profile
}

// discretizeHosts lists the hosts the discretizer encodes, in the order the
// notebook encodes them: the host the cuts are fitted on first, then the
// scored hosts (the order matters for compat notebook's one-shot iterator).
func discretizeHosts(s *Spec) []string {
	return uniqueHosts(fitHost(s), s.Hosts.Normal, s.Hosts.Infected, []string{s.Hosts.Profile})
}

func uniqueHosts(first string, lists ...[]string) []string {
	out := []string{first}
	seen := map[string]bool{first: true}
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	for _, h := range all {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

func (r *runner) runPoint(ctx context.Context, p Point) (pr PointResult) {
	pr.Point = p
	defer func() {
		if v := recover(); v != nil {
			pr.Err = fmt.Errorf("internal error (please report): %v", v)
		}
	}()
	s := &p.Spec
	keys, err := r.keys(s)
	if err != nil {
		pr.Err = err
		return pr
	}
	rec := func(stage string, key cache.Key, f *future, shared bool) {
		sr := StageRecord{Stage: stage, Key: key.Short(), Cached: f.cached || shared, Seconds: f.secs}
		if shared {
			sr.Seconds = 0
		}
		if r.cache != nil {
			id := "experiment=" + r.plan.Name + "/point=" + p.Name + "/stage=" + stage
			if !f.cached && !shared {
				sr.Changed = r.cache.Explain(id, key)
				if why := r.missReason(key.ID); why != "" {
					sr.Changed = append([]string{"cache entry not used: " + why}, sr.Changed...)
				}
			}
			// Recording is a file write and rename: in the background,
			// like the stage outputs (Explain above has read the old one).
			r.pending.Add(1)
			go func() {
				defer r.pending.Done()
				_ = r.cache.Record(id, key)
			}()
		}
		pr.Stages = append(pr.Stages, sr)
		r.explain(p.Name, sr, shared)
	}

	// The stages are pulled from the end: a cached evaluate entry is all a
	// point needs.
	var loadF, discF, winF, trainF *future
	getLoad := func() (*flowsOut, error) {
		f, shared := r.once(ctx, keys.load.ID, func(sw *stopwatch) (any, bool, error) { return r.stageLoad(ctx, s, keys.load) })
		if loadF == nil {
			loadF = f
			rec("load", keys.load, f, shared)
		}
		if f.err != nil {
			return nil, f.err
		}
		return f.val.(*flowsOut), nil
	}
	getDisc := func() (*discretize.Result, error) {
		f, shared := r.once(ctx, keys.discretize.ID, func(sw *stopwatch) (any, bool, error) {
			return r.stageDiscretize(ctx, s, sw, keys.discretize, getLoad)
		})
		if discF == nil {
			discF = f
			rec("discretize", keys.discretize, f, shared)
		}
		if f.err != nil {
			return nil, f.err
		}
		return f.val.(*discretize.Result), nil
	}
	getWin := func() (*window.Result, *discretize.Result, error) {
		d, err := getDisc()
		if err != nil {
			return nil, nil, err
		}
		f, shared := r.once(ctx, keys.window.ID, func(sw *stopwatch) (any, bool, error) {
			sw.restart()
			return r.stageWindow(ctx, s, keys.window, d)
		})
		if winF == nil {
			winF = f
			rec("window", keys.window, f, shared)
		}
		if f.err != nil {
			return nil, nil, f.err
		}
		return f.val.(*window.Result), d, nil
	}
	getTrain := func() (*trainOut, error) {
		f, shared := r.once(ctx, keys.train.ID, func(sw *stopwatch) (any, bool, error) {
			return r.stageTrain(ctx, s, sw, keys.train, getWin)
		})
		if trainF == nil {
			trainF = f
			rec("train", keys.train, f, shared)
		}
		if f.err != nil {
			return nil, f.err
		}
		return f.val.(*trainOut), nil
	}
	f, shared := r.once(ctx, keys.evaluate.ID, func(sw *stopwatch) (any, bool, error) {
		return r.stageEvaluate(ctx, s, sw, keys.evaluate, getWin, getTrain)
	})
	rec("evaluate", keys.evaluate, f, shared)
	if f.err != nil {
		pr.Err = f.err
		return pr
	}
	pr.Out = f.val.(*PointOutput)
	return pr
}

func compat(s string) string {
	if s == "none" {
		return ""
	}
	return s
}

func (r *runner) explain(point string, sr StageRecord, shared bool) {
	if r.opt.Explain == nil {
		return
	}
	r.explainMu.Lock()
	defer r.explainMu.Unlock()
	what := "ran"
	switch {
	case shared:
		what = "shared (computed once for this run)"
	case sr.Cached:
		what = "cache hit"
	}
	why := ""
	if !sr.Cached && !shared && len(sr.Changed) > 0 {
		why = " — " + joinChanged(sr.Changed)
	}
	fmt.Fprintf(r.opt.Explain, "%-40s %-10s %s %s%s\n", point, sr.Stage, sr.Key, what, why)
}

func joinChanged(c []string) string {
	out := ""
	for i, s := range c {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}

// flowsOut is the load stage's output: flows with the label filter applied.
type flowsOut struct {
	rec   arrow.RecordBatch
	stats *load.Stats
}

func (r *runner) labelFilter(s *Spec, format string) filter.Params {
	classes := make([]filter.ClassRule, 0, len(s.Labels.Classes))
	for _, c := range s.Labels.Classes {
		classes = append(classes, filter.ClassRule{Match: c.Match, Class: c.Class})
	}
	if len(classes) == 0 {
		classes = filter.DefaultClasses(format)
	}
	fp := filter.Params{Include: s.Labels.Include, Exclude: s.Labels.Exclude, Classes: classes}
	for _, ex := range s.Labels.ExcludeClasses {
		for _, c := range classes {
			if c.Class == ex {
				fp.Exclude = append(fp.Exclude, c.Match)
			}
		}
	}
	return fp
}

func (r *runner) stageLoad(ctx context.Context, s *Spec, key cache.Key) (any, bool, error) {
	if r.cache != nil {
		if e := r.get(key); e != nil {
			rec, err := cache.ReadArrow(e.Path("flows.arrow"), r.mem)
			var stats load.Stats
			if err == nil && readJSON(e, "stats.json", &stats) == nil {
				r.mu.Lock()
				r.loadStats = &stats
				r.mu.Unlock()
				return &flowsOut{rec: rec, stats: &stats}, true, nil
			}
		}
	}
	fl, err := r.loadFlows(ctx, s)
	if err != nil {
		return nil, false, err
	}
	r.putLoad(key, fl)
	return fl, false, nil
}

// putLoad stores the load stage's output in the cache.
func (r *runner) putLoad(key cache.Key, fl *flowsOut) {
	if r.cache == nil {
		return
	}
	r.putAsync(key, map[string]cache.WriteFunc{
		"flows.arrow": func(w io.Writer) error { return cache.WriteArrow(w, fl.rec) },
		"stats.json":  jsonWriter(fl.stats),
	})
}

// hashWhileLoading loads the first point's flows and has the loader hash the
// data file's decompressed content from the blocks it parses, so that a
// file seen for the first time is read and decompressed once. The loaded
// flows are handed to the points as a prefetched load output.
func (r *runner) hashWhileLoading(ctx context.Context, s *Spec) (string, error) {
	start := time.Now()
	fl, sha, loadErr := r.loadFlowsHashed(ctx, s, true)
	secs := time.Since(start).Seconds()
	if sha == "" {
		// The load failed or stopped early; the point's own load reports
		// the error where it belongs, with the file's hash in its key.
		var err error
		if sha, err = load.SHA256File(ctx, r.dataPath); err != nil {
			return "", err
		}
	}
	r.rememberSHA(r.dataPath, sha)
	if loadErr != nil {
		return sha, nil
	}
	r.dataSHA = sha
	keys, err := r.keys(s)
	if err != nil {
		return "", err
	}
	f := &future{done: make(chan struct{}), val: fl, secs: secs, prefetched: true}
	close(f.done)
	r.memo[keys.load.ID] = f
	r.putLoad(keys.load, fl)
	return sha, nil
}

// loadFlows runs the loader with the spec's label filter pushed down.
func (r *runner) loadFlows(ctx context.Context, s *Spec) (*flowsOut, error) {
	fl, _, err := r.loadFlowsHashed(ctx, s, false)
	return fl, err
}

// loadFlowsHashed is loadFlows that also returns the sha256 of the file's
// decompressed content if hash is set and the whole file was read.
func (r *runner) loadFlowsHashed(ctx context.Context, s *Spec, hash bool) (*flowsOut, string, error) {
	// The loader reads the format from the header and asks for its label
	// filter then (default classes differ between the formats).
	keepFor := func(format string) func([]byte) bool { return r.labelFilter(s, format).Keep() }
	var prog func(int64)
	if r.opt.Progress != nil {
		if st, err := os.Stat(r.dataPath); err == nil {
			total := st.Size()
			prog = func(done int64) { r.opt.Progress.LoadBytes(done, total) }
		}
	}
	res, err := load.Run(ctx, r.mem, load.Params{Path: r.dataPath, Format: s.Data.Format, OnBadLine: s.Data.OnBadLine,
		SkipFirstDataLine: s.Data.SkipFirstDataLine, Columns: loadColumns(s)}, load.Options{KeepFor: keepFor, Progress: prog, SHA256: hash})
	if err != nil {
		return nil, "", fmt.Errorf("stage load: %w", err)
	}
	r.mu.Lock()
	r.loadStats = &res.Stats
	r.mu.Unlock()
	return &flowsOut{rec: res.Flows, stats: &res.Stats}, res.SHA256, nil
}

func (r *runner) stageDiscretize(ctx context.Context, s *Spec, sw *stopwatch, key cache.Key, getLoad func() (*flowsOut, error)) (any, bool, error) {
	if r.cache != nil {
		if e := r.get(key); e != nil {
			if d, err := readDiscretize(e, r.mem); err == nil {
				return d, true, nil
			}
		}
	}
	fl, err := getLoad()
	if err != nil {
		return nil, false, err
	}
	sw.restart()
	feats := make([]discretize.Feature, len(s.Discretize.Features))
	for i, f := range s.Discretize.Features {
		feats[i] = discretize.Feature{Column: f.Column, Kind: f.Kind, Percentiles: f.Percentiles}
	}
	d, err := discretize.Run(ctx, r.mem, fl.rec, discretize.Params{Features: feats, FitOn: s.Discretize.FitOn,
		Compat: compat(s.Discretize.Compat), Profile: fitHost(s), Hosts: discretizeHosts(s)})
	if err != nil {
		return nil, false, err
	}
	if r.cache != nil {
		r.putAsync(key, map[string]cache.WriteFunc{
			"codes.arrow":  func(w io.Writer) error { return cache.WriteArrow(w, d.Codes) },
			"mapping.json": jsonWriter(d.Mapping),
			"symbols.json": jsonWriter(d.Symbols),
			"hosts.json":   jsonWriter(d.Hosts),
		})
	}
	return d, false, nil
}

func readDiscretize(e *cache.Entry, mem memory.Allocator) (*discretize.Result, error) {
	rec, err := cache.ReadArrow(e.Path("codes.arrow"), mem)
	if err != nil {
		return nil, err
	}
	d := &discretize.Result{Codes: rec}
	if err := readJSON(e, "mapping.json", &d.Mapping); err != nil {
		return nil, err
	}
	if err := readJSON(e, "symbols.json", &d.Symbols); err != nil {
		return nil, err
	}
	if err := readJSON(e, "hosts.json", &d.Hosts); err != nil {
		return nil, err
	}
	return d, nil
}

// stageWindow builds the windows, which are views into the cached codes.
// Its cache entry is the window index (per host: flows, windows,
// insufficient) as an Arrow IPC file; on a hit the views are rebuilt from the codes and
// checked against it.
func (r *runner) stageWindow(ctx context.Context, s *Spec, key cache.Key, d *discretize.Result) (any, bool, error) {
	w, err := window.Run(ctx, d, window.Params{Size: s.Window.Size, Stride: s.Window.Stride, Compat: compat(s.Window.Compat)})
	if err != nil || r.cache == nil {
		return w, false, err
	}
	index := windowIndex(w, r.mem)
	if e := r.get(key); e != nil {
		if cached, err := cache.ReadArrow(e.Path("windows.arrow"), r.mem); err == nil {
			same := array.RecordEqual(cached, index)
			cached.Release()
			if same {
				index.Release()
				return w, true, nil
			}
		}
	}
	r.putAsync(key, map[string]cache.WriteFunc{
		"windows.arrow": func(wr io.Writer) error { return cache.WriteArrow(wr, index) },
	}, index.Release)
	return w, false, nil
}

// windowIndex is the window stage's table: one row per host.
func windowIndex(w *window.Result, mem memory.Allocator) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "host", Type: arrow.BinaryTypes.String},
		{Name: "flows", Type: arrow.PrimitiveTypes.Int64},
		{Name: "windows", Type: arrow.PrimitiveTypes.Int64},
		{Name: "insufficient", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "size", Type: arrow.PrimitiveTypes.Int64},
		{Name: "stride", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, h := range w.Hosts {
		b.Field(0).(*array.StringBuilder).Append(h.Host)
		b.Field(1).(*array.Int64Builder).Append(int64(h.Flows))
		b.Field(2).(*array.Int64Builder).Append(int64(h.Count))
		b.Field(3).(*array.BooleanBuilder).Append(h.Insufficient)
		b.Field(4).(*array.Int64Builder).Append(int64(w.Params.Size))
		b.Field(5).(*array.Int64Builder).Append(int64(w.Params.Stride))
	}
	return b.NewRecordBatch()
}

// trainOut is the train stage's output.
type trainOut struct {
	model   hmm.Model
	modelJS []byte
	report  *hmm.Report
	windows int
}

func (r *runner) stageTrain(ctx context.Context, s *Spec, sw *stopwatch, key cache.Key, getWin func() (*window.Result, *discretize.Result, error)) (any, bool, error) {
	if r.cache != nil {
		if e := r.get(key); e != nil {
			if t, err := readTrain(e); err == nil {
				return t, true, nil
			}
		}
	}
	w, d, err := getWin()
	if err != nil {
		return nil, false, err
	}
	sw.restart()
	res, err := train.Run(ctx, w, s.Hosts.Profile, d.Symbols, train.Params{Model: hmmConfig(s.Model), Input: s.Model.ModelInput()})
	if err != nil {
		return nil, false, err
	}
	js, err := hmm.MarshalModel(res.Model)
	if err != nil {
		return nil, false, err
	}
	t := &trainOut{model: res.Model, modelJS: js, report: res.Report, windows: res.Windows}
	if r.cache != nil {
		r.putAsync(key, map[string]cache.WriteFunc{
			"model.json":  func(w io.Writer) error { _, err := w.Write(js); return err },
			"report.json": jsonWriter(trainReport{Report: res.Report, Windows: res.Windows}),
		})
	}
	return t, false, nil
}

type trainReport struct {
	Report  *hmm.Report `json:"report"`
	Windows int         `json:"windows"`
}

func readTrain(e *cache.Entry) (*trainOut, error) {
	js, err := e.ReadFile("model.json")
	if err != nil {
		return nil, err
	}
	m, err := hmm.UnmarshalModel(js)
	if err != nil {
		return nil, err
	}
	var tr trainReport
	if err := readJSON(e, "report.json", &tr); err != nil {
		return nil, err
	}
	return &trainOut{model: m, modelJS: js, report: tr.Report, windows: tr.Windows}, nil
}

func hmmConfig(m ModelSpec) hmm.Config {
	c := hmm.DefaultConfig()
	c.Kind = m.Kind
	c.States = m.States
	c.Covariance = m.Covariance
	c.Symbols = m.Symbols
	c.NIter = m.NIter
	c.Tol = m.Tol
	c.Seed = m.Seed
	c.Restarts = m.Restarts
	c.Implementation = m.Implementation
	c.MinCovar = m.MinCovar
	c.StartprobPrior = m.StartprobPrior
	c.TransmatPrior = m.TransmatPrior
	c.MeansPrior = m.MeansPrior
	c.MeansWeight = m.MeansWeight
	c.CovarsPrior = m.CovarsPrior
	c.CovarsWeight = m.CovarsWeight
	c.EmissionPrior = m.EmissionPrior
	// Restarts and sequences run on all cores; hmm's results do not depend
	// on the number of workers.
	c.Workers = runtime.GOMAXPROCS(0)
	return c
}

func (r *runner) stageEvaluate(ctx context.Context, s *Spec, sw *stopwatch, key cache.Key,
	getWin func() (*window.Result, *discretize.Result, error), getTrain func() (*trainOut, error)) (any, bool, error) {
	if r.cache != nil {
		if e := r.get(key); e != nil {
			var out PointOutput
			if err := readJSON(e, "point.json", &out); err == nil {
				return &out, true, nil
			}
		}
	}
	t, err := getTrain()
	if err != nil {
		return nil, false, err
	}
	w, d, err := getWin()
	if err != nil {
		return nil, false, err
	}
	sw.restart()
	var hosts []evaluate.HostSpec
	for _, h := range hostOrder(s) {
		class := "infected"
		switch {
		case h == s.Hosts.Profile:
			class = "profile"
		case slices.Contains(s.Hosts.Normal, h):
			class = "normal"
		}
		hosts = append(hosts, evaluate.HostSpec{Host: h, Class: class})
	}
	res, err := evaluate.Run(ctx, t.model, w, hosts, evaluate.Params{Score: s.Evaluate.Score, Input: s.Model.ModelInput(),
		Workers: runtime.GOMAXPROCS(0), Decision: s.Evaluate.Decision.Decision()})
	if err != nil {
		return nil, false, err
	}
	out, err := newPointOutput(res, t, d)
	if err != nil {
		return nil, false, err
	}
	if r.cache != nil {
		// Synchronous: once a point is reported done, it survives a kill.
		r.noteCacheWrite(r.cache.Put(key, map[string]cache.WriteFunc{"point.json": jsonWriter(out)}))
	}
	return out, false, nil
}

func jsonWriter(v any) cache.WriteFunc {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(v)
	}
}

func readJSON(e *cache.Entry, name string, v any) error {
	b, err := e.ReadFile(name)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// resolveDataPath finds a spec's data file: absolute, relative to the spec
// file's directory, or relative to the working directory.
func resolveDataPath(specFile, p string) (string, error) {
	if filepath.IsAbs(p) {
		return p, statOK(p)
	}
	cand := filepath.Join(filepath.Dir(specFile), p)
	if statOK(cand) == nil {
		return cand, nil
	}
	if statOK(p) == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s: data.path %s: no such file (looked in %s and the working directory)", specFile, p, filepath.Dir(specFile))
}

func statOK(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory", p)
	}
	return nil
}
