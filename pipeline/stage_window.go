package pipeline

// Stage window: run, cache write.

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
	"botprof/stages/discretize"
	"botprof/stages/window"
)

// stageWindow builds the windows, which are views into the cached codes.
// Its cache entry is the window index (per host: flows, windows,
// insufficient) as an Arrow IPC file; on a hit the views are rebuilt from the codes and
// checked against it.
func (r *runner) stageWindow(ctx context.Context, sp *stageParams, key cache.Key, d *discretize.Result) (any, bool, error) {
	w, err := window.Run(ctx, window.Input{Codes: d}, sp.window)
	if err != nil || r.cache == nil {
		return w, false, err
	}
	index := windowIndex(w, r.mem)
	if e := r.get(key, ""); e != nil {
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
	}, nil, index.Release)
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
