package pipeline

// Stage cache keys: what each stage's output depends on.

import (
	"fmt"
	"slices"

	"botprof/pipeline/cache"
	"botprof/stages/load"
	"botprof/stages/view"
)

// stageKeys are the cache keys of one point's stages; they depend only on
// parameters and the data file's hash, so a fully cached point reads its
// final entry and nothing else.
type stageKeys struct {
	load                                []cache.Key // one per data source
	discretize, window, train, evaluate cache.Key
}

func (r *runner) keys(s *Spec) (stageKeys, error) {
	var k stageKeys
	srcs := s.Data.List()
	if len(srcs) != len(r.sources) {
		return k, fmt.Errorf("%d data sources, the run has %d", len(srcs), len(r.sources))
	}
	for i := range srcs {
		lk, err := r.loadKey(s, i)
		if err != nil {
			return k, err
		}
		k.load = append(k.load, lk)
	}
	disc := cache.NewKey("discretize", discretizeVersion).
		Param("compat", s.Discretize.Compat).Param("fit_on", s.Discretize.FitOn).
		Param("features", s.Discretize.Features).Param("hosts", discretizeHosts(s))
	if vp, needed := viewParams(s); needed {
		// The view step runs inside this stage (see stageDiscretize).
		for i, lk := range k.load {
			disc.Input(fmt.Sprintf("flows%d", i), lk)
		}
		disc.Param("view", vp).Param("view_version", view.Version)
	} else {
		disc.Input("flows", k.load[0])
	}
	var err error
	if k.discretize, err = disc.Key(); err != nil {
		return k, err
	}
	if k.window, err = cache.NewKey("window", windowVersion).Input("codes", k.discretize).
		Param("size", s.Window.Size).Param("stride", s.Window.Stride).Param("compat", s.Window.Compat).Key(); err != nil {
		return k, err
	}
	if k.train, err = cache.NewKey("train", trainVersion).Input("windows", k.window).
		Param("profile", s.Hosts.Profile).Param("model", s.Model).Param("input", s.Model.ModelInput()).Key(); err != nil {
		return k, err
	}
	evalKey := cache.NewKey("evaluate", evaluateVersion).Input("model", k.train).Input("windows", k.window).
		Param("hosts", s.Hosts).Param("score", s.Evaluate.Score).Param("input", s.Model.ModelInput())
	if d := s.Evaluate.Decision.Decision(); d.Enabled() {
		// Only when set, so that specs without one keep their keys.
		evalKey.Param("decision", d)
	}
	k.evaluate, err = evalKey.Key()
	return k, err
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
		cols = append(cols, f.Column)
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
