package pipeline

// Stage discretize: run, cache read/write.

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
	"botprof/stages/derive"
	"botprof/stages/discretize"
	"botprof/stages/view"
)

// stageDiscretize runs the view step (when the point needs it: several
// sources, a dst or both view, a split), the derive step (when a feature
// names a derived column) and the discretizer.
func (r *runner) stageDiscretize(ctx context.Context, sp *stageParams, sw *stopwatch, key cache.Key, getLoads func() ([]*flowsOut, error)) (any, bool, error) {
	if r.cache != nil {
		if e := r.get(key); e != nil {
			if d, err := readDiscretize(e, r.mem); err == nil {
				return d, true, nil
			}
		}
	}
	loads, err := getLoads()
	if err != nil {
		return nil, false, err
	}
	sw.restart()
	flows := loads[0].rec
	if sp.needView {
		recs := make([]arrow.RecordBatch, len(loads))
		for i, fl := range loads {
			recs[i] = fl.rec
		}
		v, err := view.Run(ctx, view.Input{Mem: r.mem, Flows: recs}, sp.view)
		if err != nil {
			return nil, false, err
		}
		defer v.Flows.Release()
		flows = v.Flows
	}
	if len(sp.derive.Columns) > 0 {
		dr, err := derive.Run(ctx, derive.Input{Mem: r.mem, Flows: flows}, sp.derive)
		if err != nil {
			return nil, false, err
		}
		defer dr.Flows.Release()
		flows = dr.Flows
	}
	d, err := discretize.Run(ctx, discretize.Input{Mem: r.mem, Flows: flows}, sp.discretize)
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
