package pipeline

// Stage evaluate: run, cache write.

import (
	"context"
	"io"

	"botprof/pipeline/cache"
	"botprof/runfolder"
	"botprof/stages/discretize"
	"botprof/stages/evaluate"
	"botprof/stages/window"
)

func (r *runner) stageEvaluate(ctx context.Context, sp *stageParams, sw *stopwatch, key cache.Key,
	getWin func() (*window.Result, *discretize.Result, error), getTrain func() (*trainOut, error)) (any, bool, error) {
	if r.cache != nil {
		if e := r.get(key); e != nil && hasAll(e, runfolder.PointFileNames) {
			var out PointOutput
			if err := readJSON(e, "point.json", &out); err == nil {
				out.files = e
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
	res, err := evaluate.Run(ctx, evaluate.Input{Model: t.model, Windows: w}, sp.evaluate)
	if err != nil {
		return nil, false, err
	}
	out, err := newPointOutput(res, t, d)
	if err != nil {
		return nil, false, err
	}
	if r.cache != nil {
		// Synchronous: once a point is reported done, it survives a kill.
		files := map[string]cache.WriteFunc{"point.json": jsonWriter(out)}
		pf := out.pointFiles()
		for _, name := range runfolder.PointFileNames {
			files[name] = func(w io.Writer) error { return pf.Encode(name, w) }
		}
		r.noteCacheWrite(r.cache.Put(key, files))
	}
	return out, false, nil
}

// hasAll reports whether the entry holds every named file.
func hasAll(e *cache.Entry, names []string) bool {
	for _, n := range names {
		if !e.Has(n) {
			return false
		}
	}
	return true
}
