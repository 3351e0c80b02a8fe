package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
	"botprof/runfolder"
	"botprof/stages/discretize"
	"botprof/stages/evaluate"
	"botprof/stages/load"
	"botprof/stages/window"
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
	// ResultsDir, when set (a folder from NewRunDir), receives each point's
	// points/<name>/ files as soon as the point is done, and the point's
	// window ROC, model and mapping are then dropped from memory: a run's
	// memory grows with its points' scores and metrics, not their curves.
	// WriteResults(ResultsDir, ...) writes the rest. Without it, the point
	// outputs stay whole in the Outcome.
	ResultsDir string
	// DropOutputs drops each point's output once it is cached (a shard
	// run, whose results are its cache entries): Outcome.Points keep the
	// points' name, error and stage records only.
	DropOutputs bool
	// RequireCached computes no point: a point whose result (its evaluate
	// entry) is not in the stage cache fails with a *NotCachedError before
	// any of its stages runs. A collect step reads its shards' points so,
	// each entry verified once, as it is read.
	RequireCached bool

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

// PointResult is one point's outcome. It holds no spec: Outcome.Plan's
// Point(Point.Index) builds the point again for whoever needs it (the
// results writers), so that a run's memory does not grow with its points'
// specs.
type PointResult struct {
	Point  PointRef
	Err    error
	Stages []runfolder.StageRecord
	Out    *PointOutput
}

// PointRef names a point of a plan.
type PointRef struct {
	Index int    // Plan.Point(Index) is the point
	Name  string // "" until the point has run
}

// Outcome is a whole run's outcome, in plan order.
type Outcome struct {
	Plan     *Plan
	DataPath string
	DataSHA  string
	Points   []PointResult
	Load     *load.Stats // nil when no point needed the load stage's output
	// Sources are the data sources; DataPath, DataSHA and Load repeat the
	// first one's.
	Sources []SourceFile
	Started time.Time
	Wall    time.Duration

	pointFiles   string               // the folder point files were written into (Options.ResultsDir)
	pointErr     error                // the first failure to write them
	spool        *spool               // the finished points' results, with Options.ResultsDir
	git          func() runfolder.Git // for the manifest, started with the run
	cacheWarning func() string        // failed cache writes, once all are done
	cacheErrs    func() (int, error)  // their count and the first
	pending      *sync.WaitGroup      // cache writes in flight
}

// WaitCacheWrites waits for the cache writes Execute left in flight (see
// Options.DeferCacheWrites).
func (o *Outcome) WaitCacheWrites() {
	if o.pending != nil {
		o.pending.Wait()
	}
}

// CacheWriteErrors waits for the cache writes in flight and returns how
// many cache writes failed and the first error. A shard, whose only output
// is its cache entries, fails when any did.
func (o *Outcome) CacheWriteErrors() (int, error) {
	if o.cacheErrs == nil {
		return 0, nil
	}
	o.WaitCacheWrites()
	return o.cacheErrs()
}

// Warnings lists every point's warnings once, in plan order, plus the
// loader's skipped lines.
func (o *Outcome) Warnings() []string {
	var out []string
	seen := map[string]bool{}
	for _, src := range o.Sources {
		if src.Load != nil && src.Load.Bad > 0 {
			w := runfolder.SkippedLinesWarning(src.Path, src.Load.Bad)
			out = append(out, w)
		}
	}
	if o.cacheWarning != nil {
		o.WaitCacheWrites()
		if w := o.cacheWarning(); w != "" {
			out = append(out, w)
		}
	}
	if o.spool != nil {
		return append(out, o.spool.pointWarnings()...)
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

// metricNames are the metrics any point has, sorted: metrics.csv's columns.
func (o *Outcome) metricNames() []string {
	names := map[string]bool{}
	if o.spool != nil {
		names = o.spool.names
	}
	for _, p := range o.Points {
		if p.Out != nil {
			for k := range p.Out.Metrics {
				names[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(names))
}

// firstOutput is the first point (in plan order) that has an output, and
// that output; nil if no point has one.
func (o *Outcome) firstOutput() (*PointResult, *PointOutput) {
	for i := range o.Points {
		if o.Points[i].Out != nil {
			return &o.Points[i], o.Points[i].Out
		}
	}
	if o.spool != nil && o.spool.first >= 0 {
		return &o.Points[o.spool.first], o.spool.firstOut
	}
	return nil, nil
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
	var git func() runfolder.Git
	if !opt.DropOutputs { // a shard writes no manifest
		git = startGitState()
	}
	var c *cache.Cache
	if opt.CacheDir != "" {
		var err error
		if c, err = cache.Open(opt.CacheDir); err != nil {
			return nil, err
		}
	}
	if plan.Len() == 0 {
		// A shard of more shards than points: nothing to compute.
		return &Outcome{Plan: plan, Started: started, git: git, Wall: time.Since(started)}, nil
	}
	r := &runner{plan: plan, opt: opt, cache: c, mem: memory.NewGoAllocator(), memo: map[string]*future{}, params: &cache.ParamsMemo{}}
	finished := false
	defer func() {
		if !finished {
			r.pending.Wait() // an early error: nobody else waits for the writes
		}
	}()
	// Loading the data while hashing it (prefetch) is computing a stage.
	if err := r.resolveSources(ctx, plan, !opt.RequireCached); err != nil {
		return nil, err
	}

	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	out := &Outcome{Plan: plan, DataPath: r.sources[0].Path, DataSHA: r.sources[0].SHA256, Points: make([]PointResult, plan.Len()),
		Started: started, git: git, pointFiles: opt.ResultsDir}
	if opt.ResultsDir != "" && !opt.DropOutputs {
		var err error
		if out.spool, err = newSpool(opt.ResultsDir, plan.Len()); err != nil {
			return nil, err
		}
	}
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
				pr := r.runPoint(ctx, plan.Point(i))
				pr.Point.Index = i
				if opt.ResultsDir != "" && pr.Out != nil {
					if err := writePointFiles(filepath.Join(opt.ResultsDir, "points", pr.Point.Name), pr.Out); err != nil {
						mu.Lock()
						if out.pointErr == nil {
							out.pointErr = fmt.Errorf("point %s: %w", pr.Point.Name, err)
						}
						mu.Unlock()
					}
					pr.Out = pr.Out.shed()
				}
				if out.spool != nil {
					// An error stays in the spool: WriteResults returns it.
					_ = out.spool.put(i, pr)
					pr.Out, pr.Stages = nil, nil
				}
				if opt.DropOutputs {
					pr.Out = nil
				}
				out.Points[i] = pr
				mu.Lock()
				done++
				d := done
				mu.Unlock()
				if pr.Err != nil {
					if opt.OnPointErr != nil {
						opt.OnPointErr(pr.Point.Name, pr.Err)
					}
					// A point not cached (RequireCached) computed nothing:
					// every point is still looked up, so that the missing
					// ones are listed whole.
					if nc := (*NotCachedError)(nil); opt.FailFast && !errors.As(pr.Err, &nc) {
						cancel()
					}
				}
				if opt.Progress != nil {
					opt.Progress.PointDone(d, plan.Len())
				}
			}
		}()
	}
	for i := range plan.Len() {
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
			out.Points[i] = PointResult{Point: PointRef{Index: i, Name: plan.Point(i).Name}, Err: errors.New("not run: the run was stopped")}
		}
	}
	r.cachedLoadStats(plan)
	out.Sources = r.sources
	out.Load = r.sources[0].Load
	out.cacheWarning = r.cacheWarning
	out.cacheErrs = r.cacheWriteErrors
	// The Outcome keeps the runner (cache writes in flight, their
	// warnings), but not its stage outputs nor its encoded parameters:
	// what writing the results and figures needs is in the Outcome. (The
	// writes in flight hold what they write.)
	r.mu.Lock()
	r.memo, r.params, r.upstream = nil, nil, nil
	r.mu.Unlock()
	out.Wall = time.Since(started)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return out, err
	}
	return out, nil
}

type runner struct {
	plan    *Plan
	opt     Options
	cache   *cache.Cache
	mem     memory.Allocator
	sources []SourceFile      // the data sources, with their hashes (see resolveSources)
	params  *cache.ParamsMemo // the stages' encoded parameters, which points share (nil: no memo)

	mu        sync.Mutex
	memo      map[string]*future
	upstream  map[string]upstreamKeys // by the parameters' JSON (see memoUpstream)
	explainMu sync.Mutex
	pending   sync.WaitGroup    // cache writes in flight
	missWhy   map[string]string // key id -> why an existing entry was not used (see get)

	cacheErrs     int   // failed cache writes
	firstCacheErr error // the first of them
}

func (r *runner) runPoint(ctx context.Context, p Point) (pr PointResult) {
	pr.Point.Name = p.Name
	defer func() {
		if v := recover(); v != nil {
			pr.Err = fmt.Errorf("internal error (please report): %v", v)
		}
	}()
	sp := paramsOf(&p.Spec)
	keys, err := r.keys(sp)
	if err != nil {
		pr.Err = err
		return pr
	}
	rec := func(stage string, key cache.Key, f *future, shared bool) {
		sr := runfolder.StageRecord{Stage: stage, Key: key.Short(), Cached: f.cached || shared, Seconds: f.secs}
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
				if f.prefetched {
					// Its entry was never looked up: the file was read to be hashed.
					sr.Changed = []string{"the data file's sha256 was not remembered (new, changed, or its memo missing or damaged): it was read, hashed and loaded at once"}
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
	var discF, winF, trainF *future
	loadF := make([]*future, len(keys.load))
	getLoad := func(i int) (*flowsOut, error) {
		key := keys.load[i]
		f, shared := r.once(ctx, key.ID, func(sw *stopwatch) (any, bool, error) { return r.stageLoad(ctx, sp, i, key) })
		if loadF[i] == nil {
			loadF[i] = f
			stage := "load"
			if name := r.sources[i].Name; name != "" && len(r.sources) > 1 {
				stage = "load:" + name
			}
			rec(stage, key, f, shared)
		}
		if f.err != nil {
			return nil, f.err
		}
		return f.val.(*flowsOut), nil
	}
	getLoads := func() ([]*flowsOut, error) {
		out := make([]*flowsOut, len(keys.load))
		for i := range out {
			fl, err := getLoad(i)
			if err != nil {
				return nil, err
			}
			out[i] = fl
		}
		return out, nil
	}
	getFlows, releaseFlows := r.pointFlows(ctx, sp, getLoads)
	defer releaseFlows()
	var deriveF *future
	getDerive := func() (*deriveOut, error) {
		f, shared := r.once(ctx, keys.derive.ID, func(sw *stopwatch) (any, bool, error) {
			return r.stageDerive(ctx, sp, sw, keys.derive, getLoads, getFlows)
		})
		if deriveF == nil {
			deriveF = f
			rec("derive", keys.derive, f, shared)
		}
		if f.err != nil {
			return nil, f.err
		}
		return f.val.(*deriveOut), nil
	}
	getDisc := func() (*discretize.Result, error) {
		f, shared := r.once(ctx, keys.discretize.ID, func(sw *stopwatch) (any, bool, error) {
			return r.stageDiscretize(ctx, sp, sw, keys.discretize, getLoads, getFlows, getDerive)
		})
		releaseFlows() // only derive and discretize read them
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
			return r.stageWindow(ctx, sp, keys.window, d)
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
			return r.stageTrain(ctx, sp, sw, keys.train, getWin)
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
		return r.stageEvaluate(ctx, sp, sw, keys.evaluate, getWin, getTrain)
	})
	rec("evaluate", keys.evaluate, f, shared)
	// A point's output is the point's: the run keeps it in the Outcome
	// (or writes it out, Options.ResultsDir), not in the memo of shared
	// stage outputs. A later point with the same key (a repeated point)
	// reads it from the cache, where it is written before a point is done.
	// (Models stay in the memo: points that differ only in evaluate's
	// parameters share one.)
	r.mu.Lock()
	delete(r.memo, keys.evaluate.ID)
	r.mu.Unlock()
	if f.err != nil {
		pr.Err = f.err
		return pr
	}
	pr.Out = f.val.(*PointOutput)
	if !p.Spec.Evaluate.ROC {
		// The evaluate entry (keyed without evaluate.roc) has the
		// warnings of a ROC without both classes; this point asked for
		// none. A copy: the output may be another point's too.
		out := *pr.Out
		out.Warnings = slices.DeleteFunc(slices.Clone(out.Warnings), evaluate.IsUndefinedROC)
		pr.Out = &out
	}
	return pr
}
