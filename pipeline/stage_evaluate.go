package pipeline

// Stage evaluate: run, cache write.

import (
	"context"
	"fmt"
	"io"

	"botprof/pipeline/cache"
	"botprof/runfolder"
	"botprof/stages/discretize"
	"botprof/stages/evaluate"
	"botprof/stages/window"
)

func (r *runner) stageEvaluate(ctx context.Context, sp *stageParams, sw *stopwatch, key cache.Key,
	getWin func() (*window.Result, *discretize.Result, error), getTrain func() (*trainOut, error)) (any, bool, error) {
	cached, hit, cl, err := lookup(ctx, r, key, "point.json", readPoint)
	if err != nil {
		return nil, false, err
	}
	if hit {
		return cached, true, nil
	}
	if r.opt.RequireCached {
		cl.drop()
		why := r.missReason(key.ID)
		if why == "" {
			why = "absent"
		}
		return nil, false, &NotCachedError{Reason: why}
	}
	defer cl.drop() // after the synchronous write below
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

// NotCachedError is the error of a point that Options.RequireCached kept
// from being computed: its result is not in the stage cache.
type NotCachedError struct {
	Reason string // why: "absent", or why the entry there was not used
}

func (e *NotCachedError) Error() string { return "not in the stage cache: " + e.Reason }

// readPoint reads a point's cached output; its point files are copied
// from the entry when the results are written.
func readPoint(e *cache.Entry) (*PointOutput, error) {
	if !hasAll(e, runfolder.PointFileNames) {
		return nil, fmt.Errorf("cache entry %s: point files missing", e.Key.Short())
	}
	var out PointOutput
	if err := readJSON(e, "point.json", &out); err != nil {
		return nil, err
	}
	out.files = e
	return &out, nil
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
