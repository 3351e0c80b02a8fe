package pipeline

import (
	"context"
	"io"
	"runtime"
	"testing"

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
	s := &plan.Points[0].Spec
	ctx := context.Background()
	r := &runner{plan: plan, mem: memory.NewGoAllocator(), memo: map[string]*future{}}
	path, err := resolveDataPath(plan.File, "data.path", s.Data.Path)
	if err != nil {
		b.Fatal(err)
	}
	r.sources = []SourceFile{{Path: path}}
	fl, _, err := r.loadFlowsHashed(ctx, s, 0, false)
	if err != nil {
		b.Fatal(err)
	}
	dparams := func() discretize.Params {
		feats := make([]discretize.Feature, len(s.Discretize.Features))
		for i, f := range s.Discretize.Features {
			feats[i] = discretize.Feature{Column: f.Column, Kind: f.Kind, Percentiles: f.Percentiles}
		}
		return discretize.Params{Features: feats, FitOn: s.Discretize.FitOn, Compat: compat(s.Discretize.Compat),
			Profile: fitHosts(s)[0], MoreProfiles: fitHosts(s)[1:], Hosts: discretizeHosts(s)}
	}
	d, err := discretize.Run(ctx, r.mem, fl.rec, dparams())
	if err != nil {
		b.Fatal(err)
	}
	wparams := window.Params{Size: s.Window.Size, Stride: s.Window.Stride, Compat: compat(s.Window.Compat)}
	w, err := window.Run(ctx, d, wparams)
	if err != nil {
		b.Fatal(err)
	}
	trained, _, err := r.stageTrain(ctx, s, &stopwatch{}, cache.Key{}, func() (*window.Result, *discretize.Result, error) { return w, d, nil })
	if err != nil {
		b.Fatal(err)
	}
	t := trained.(*trainOut)

	b.Run("stage=load", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := r.loadFlowsHashed(ctx, s, 0, false); err != nil {
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
			if _, err := discretize.Run(ctx, r.mem, fl.rec, dparams()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=window", func(b *testing.B) {
		for b.Loop() {
			if _, err := window.Run(ctx, d, wparams); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=train", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := r.stageTrain(ctx, s, &stopwatch{}, cache.Key{}, func() (*window.Result, *discretize.Result, error) { return w, d, nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=evaluate", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := r.stageEvaluate(ctx, s, &stopwatch{}, cache.Key{},
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
