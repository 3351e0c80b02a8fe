package pipeline

// Stage cache keys: what each stage's output depends on.

import (
	"encoding/json"
	"fmt"
	"slices"

	"botprof/pipeline/cache"
	"botprof/stages/derive"
	"botprof/stages/discretize"
	"botprof/stages/evaluate"
	"botprof/stages/load"
	"botprof/stages/train"
	"botprof/stages/view"
	"botprof/stages/window"
)

// stageKeys are the cache keys of one point's stages; they depend only on
// parameters and the data file's hash, so a fully cached point reads its
// final entry and nothing else.
type stageKeys struct {
	load                                []cache.Key // one per data source
	derive                              cache.Key   // zero when the point has no derived columns
	discretize, window, train, evaluate cache.Key
}

// keys are the cache keys of a point's stages, built from the parameters
// its stages run with.
func (r *runner) keys(sp *stageParams) (stageKeys, error) {
	var k stageKeys
	if len(sp.load) != len(r.sources) {
		return k, fmt.Errorf("%d data sources, the run has %d", len(sp.load), len(r.sources))
	}
	up, err := r.memoUpstream(sp)
	if err != nil {
		return k, err
	}
	k.load, k.derive, k.discretize = slices.Clone(up.load), up.derive, up.discretize
	if k.window, err = cache.NewKey("window", window.Version).Input("codes", k.discretize).ParamsWith(r.params, sp.window).Key(); err != nil {
		return k, err
	}
	if k.train, err = cache.NewKey("train", train.Version).Input("windows", k.window).ParamsWith(r.params, sp.train).Key(); err != nil {
		return k, err
	}
	k.evaluate, err = cache.NewKey("evaluate", evaluate.Version).Input("model", k.train).Input("windows", k.window).
		ParamsWith(r.params, sp.evaluate).Param("entry_format", pointEntryFormat).Key()
	return k, err
}

// upstreamKeys are the keys of a point's load, derive and discretize
// stages: those the points of a sweep over window, model or evaluate
// parameters share.
type upstreamKeys struct {
	load               []cache.Key
	derive, discretize cache.Key
}

// upstreamMemoSize bounds the upstream keys a run remembers (a sweep over
// discretize parameters has one set per value).
const upstreamMemoSize = 64

// memoUpstream returns the upstream keys of sp, from the run's memo
// (runner.upstream) when an earlier point had the same parameters for
// them: the same JSON of everything upstreamKeysOf reads but the sources,
// which are the run's. Building them again took a third of runner.keys.
func (r *runner) memoUpstream(sp *stageParams) (upstreamKeys, error) {
	if r.params == nil {
		return r.upstreamKeysOf(sp)
	}
	id, err := json.Marshal(upstreamID{sp.load, sp.filter, sp.view, sp.needView, sp.derive, sp.discretize})
	if err != nil {
		return r.upstreamKeysOf(sp) // and its error
	}
	r.mu.Lock()
	up, ok := r.upstream[string(id)]
	r.mu.Unlock()
	if ok {
		return up, nil
	}
	if up, err = r.upstreamKeysOf(sp); err != nil {
		return up, err
	}
	r.mu.Lock()
	if r.upstream == nil || len(r.upstream) >= upstreamMemoSize {
		r.upstream = map[string]upstreamKeys{}
	}
	r.upstream[string(id)] = up
	r.mu.Unlock()
	return up, nil
}

// upstreamID is what a point's upstream keys are built from, but the
// run's sources: every field of stageParams but the downstream stages'
// (TestUpstreamIDCoversStageParams fails on a field of stageParams that
// is in neither).
type upstreamID struct {
	Load       any
	Filter     any
	View       any
	NeedView   bool
	Derive     any
	Discretize any
}

// upstreamKeysOf builds sp's upstream keys.
func (r *runner) upstreamKeysOf(sp *stageParams) (upstreamKeys, error) {
	var k upstreamKeys
	for i := range sp.load {
		lk, err := r.loadKey(sp, i)
		if err != nil {
			return k, err
		}
		k.load = append(k.load, lk)
	}
	// flows adds what the flows discretize (and derive) read depend on:
	// the loaded flows, and with the view step (which runs in the stage
	// that needs its output, see runPoint's getFlows) its parameters and
	// every source's load key.
	flows := func(b *cache.KeyBuilder) *cache.KeyBuilder {
		if sp.needView {
			for i, lk := range k.load {
				b.Input(fmt.Sprintf("flows%d", i), lk)
			}
			return b.Param("view", sp.view).Param("view_version", view.Version)
		}
		return b.Input("flows", k.load[0])
	}
	disc := flows(cache.NewKey("discretize", discretize.Version).ParamsWith(r.params, sp.discretize))
	var err error
	if len(sp.derive.Columns) > 0 {
		// The derived columns are their own stage's output, which
		// discretize reads next to the flows.
		if k.derive, err = flows(cache.NewKey("derive", derive.Version).ParamsWith(r.params, sp.derive)).Key(); err != nil {
			return k, err
		}
		disc.Input("derived", k.derive)
	}
	k.discretize, err = disc.Key()
	return k, err
}

// keysOf is keys for a spec point.
func (r *runner) keysOf(s *Spec) (stageKeys, error) {
	return r.keys(paramsOf(s))
}

// loadColumns are the flow columns a point reads: what discretize needs to
// order and group the flows, and the feature columns, sorted. The loader
// parses only these.
func loadColumns(s *Spec) []string {
	cols := []string{load.ColStartTime, load.ColSrcAddr}
	if v := s.Hosts.View; v == "dst" || v == "both" {
		cols = append(cols, load.ColDstAddr)
	}
	for _, f := range s.Discretize.Features {
		if c := f.column(); derive.Is(c) {
			cols = append(cols, derive.Needs(c)...)
		} else {
			cols = append(cols, c)
		}
	}
	slices.Sort(cols)
	return slices.Compact(cols)
}

func compat(s string) string {
	if s == "none" {
		return ""
	}
	return s
}
