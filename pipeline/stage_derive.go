package pipeline

// Stage derive: run, cache read/write.

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"botprof/pipeline/cache"
	"botprof/stages/derive"
)

// deriveOut is the derive stage's output: the line column and the derived
// columns of the flows discretize reads (derive.Result.Columns), in their
// row order.
type deriveOut struct {
	cols arrow.RecordBatch
}

// stageDerive computes the derived columns of the point's flows (after
// the view step, if the point has one), or reads them from the cache. Its
// entry holds only those columns (derived.arrow, with the flows' line
// column to check they are put back on the same rows); discretize, on a
// miss, appends them to the flows it reads (derive.Attach).
func (r *runner) stageDerive(ctx context.Context, sp *stageParams, sw *stopwatch, key cache.Key,
	getLoads func() ([]*flowsOut, error), getFlows func() (arrow.RecordBatch, error)) (any, bool, error) {
	d, hit, cl, err := lookup(ctx, r, key, "", func(e *cache.Entry) (*deriveOut, error) {
		rec, err := cache.ReadArrow(e.Path("derived.arrow"), r.mem)
		if err != nil {
			return nil, err
		}
		if err := checkDerived(rec, sp.derive); err != nil {
			rec.Release()
			return nil, err
		}
		return &deriveOut{cols: rec}, nil
	})
	if err != nil {
		return nil, false, err
	}
	if hit {
		return d, true, nil
	}
	defer cl.drop()
	if _, err := getLoads(); err != nil {
		return nil, false, err
	}
	sw.restart()
	flows, err := getFlows()
	if err != nil {
		return nil, false, err
	}
	res, err := derive.Run(ctx, derive.Input{Mem: r.mem, Flows: flows}, sp.derive)
	if err != nil {
		r.locateNull(sp, err)
		return nil, false, err
	}
	res.Flows.Release() // discretize attaches the columns to its own flows
	if r.cache != nil {
		cols := res.Columns
		cols.Retain()
		r.putAsync(key, map[string]cache.WriteFunc{
			"derived.arrow": func(w io.Writer) error { return cache.WriteArrow(w, cols) },
		}, cl, cols.Release)
	}
	return &deriveOut{cols: res.Columns}, false, nil
}

// checkDerived checks that a cached entry holds every column p derives.
func checkDerived(rec arrow.RecordBatch, p derive.Params) error {
	for _, c := range p.Columns {
		if len(rec.Schema().FieldIndices(c)) != 1 {
			return fmt.Errorf("derived.arrow has no column %s", c)
		}
	}
	return nil
}
