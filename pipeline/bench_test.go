package pipeline

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
	"botprof/stages/discretize"
	"botprof/stages/load"
	"botprof/stages/window"
)

// notebookWorkload is issue 7's notebook workload: experiments/notebook.yaml
// with one fit (no restarts) on the embedded scenario-10 data.
func notebookWorkload(b *testing.B) *Plan {
	b.Helper()
	plan, err := LoadPlan("../experiments/notebook.yaml", []string{"model.restarts=1"})
	if err != nil {
		b.Fatal(err)
	}
	return plan
}

// BenchmarkNotebookStages times each stage of the notebook workload on its
// own (inputs computed once, outside the timer), then whole cold runs
// without results files: with no stage cache, and with an empty one.
func BenchmarkNotebookStages(b *testing.B) {
	plan := notebookWorkload(b)
	s := firstSpec(plan)
	ctx := context.Background()
	r := &runner{plan: plan, mem: memory.NewGoAllocator(), memo: map[string]*future{}}
	path, err := resolveDataPath(plan.File, s.Data.Path)
	if err != nil {
		b.Fatal(err)
	}
	r.sources = []SourceFile{{Path: path}}
	sp := paramsOf(s)
	fl, _, err := r.loadFlowsHashed(ctx, sp, 0, false)
	if err != nil {
		b.Fatal(err)
	}
	d, err := discretize.Run(ctx, discretize.Input{Mem: r.mem, Flows: fl.rec}, sp.discretize)
	if err != nil {
		b.Fatal(err)
	}
	w, err := window.Run(ctx, window.Input{Codes: d}, sp.window)
	if err != nil {
		b.Fatal(err)
	}
	trained, _, err := r.stageTrain(ctx, sp, &stopwatch{}, cache.Key{}, func() (*window.Result, *discretize.Result, error) { return w, d, nil })
	if err != nil {
		b.Fatal(err)
	}
	t := trained.(*trainOut)

	b.Run("stage=load", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := r.loadFlowsHashed(ctx, sp, 0, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=sha256", func(b *testing.B) {
		for b.Loop() {
			if _, err := load.SHA256File(context.Background(), path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=discretize", func(b *testing.B) {
		for b.Loop() {
			if _, err := discretize.Run(ctx, discretize.Input{Mem: r.mem, Flows: fl.rec}, sp.discretize); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=window", func(b *testing.B) {
		for b.Loop() {
			if _, err := window.Run(ctx, window.Input{Codes: d}, sp.window); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=train", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := r.stageTrain(ctx, sp, &stopwatch{}, cache.Key{}, func() (*window.Result, *discretize.Result, error) { return w, d, nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=evaluate", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := r.stageEvaluate(ctx, sp, &stopwatch{}, cache.Key{},
				func() (*window.Result, *discretize.Result, error) { return w, d, nil },
				func() (*trainOut, error) { return t, nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The cache entries a cold run writes, the loaded flows and the codes,
	// as the cache writes them (Arrow IPC) and as Parquet for comparison.
	writers := []struct {
		name  string
		write func(io.Writer, arrow.RecordBatch) error
	}{{"arrow", cache.WriteArrow}, {"parquet", cache.WriteParquet}}
	for _, tc := range []struct {
		name string
		rec  arrow.RecordBatch
	}{{"flows", fl.rec}, {"codes", d.Codes}} {
		for _, wr := range writers {
			b.Run("write="+tc.name+"/format="+wr.name, func(b *testing.B) {
				var n countingDiscard
				for b.Loop() {
					n = 0
					if err := wr.write(&n, tc.rec); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n), "file-bytes")
			})
		}
	}
	b.Run("run=cold/cache=none", func(b *testing.B) {
		for b.Loop() {
			if _, err := Execute(ctx, plan, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("run=cold/cache=empty", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dir := b.TempDir()
			runtime.GC()
			b.StartTimer()
			if _, err := Execute(ctx, plan, Options{CacheDir: dir}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// countingDiscard counts the bytes written to it and keeps none.
type countingDiscard int64

func (c *countingDiscard) Write(p []byte) (int, error) {
	*c += countingDiscard(len(p))
	return len(p), nil
}

// BenchmarkWarmCollect times what a warm collect run of
// experiments/sweep.yaml spends in this package: Execute with every stage
// a cache hit and the points' files written into the results folder
// (Options.ResultsDir), then WriteResults. The cache is filled once,
// outside the timer.
func BenchmarkWarmCollect(b *testing.B) {
	plan, err := LoadPlan("../experiments/sweep.yaml", nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cacheDir, results := b.TempDir(), b.TempDir()
	if _, err := Execute(ctx, plan, Options{CacheDir: cacheDir}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		dir, runID, err := NewRunDir(results, plan.Name, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		out, err := Execute(ctx, plan, Options{CacheDir: cacheDir, ResultsDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteResults(dir, runID, out); err != nil {
			b.Fatal(err)
		}
	}
}
