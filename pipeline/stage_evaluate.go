package pipeline

// Stage evaluate: run, cache write.

import (
	"context"
	"runtime"

	"botprof/pipeline/cache"
	"botprof/stages/discretize"
	"botprof/stages/evaluate"
	"botprof/stages/window"
)

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
		hosts = append(hosts, evaluate.HostSpec{Host: h, Class: hostClass(s, h)})
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
