package pipeline

// Stage cache keys: what each stage's output depends on.

import (
	"slices"

	"botprof/pipeline/cache"
	"botprof/stages/load"
)

// stageKeys are the cache keys of one point's stages; they depend only on
// parameters and the data file's hash, so a fully cached point reads its
// final entry and nothing else.
type stageKeys struct {
	load, discretize, window, train, evaluate cache.Key
}

func (r *runner) keys(s *Spec) (stageKeys, error) {
	var k stageKeys
	var err error
	if k.load, err = cache.NewKey("load", loadVersion).File("data", r.dataSHA).
		Param("format", s.Data.Format).Param("on_bad_line", s.Data.OnBadLine).
		Param("skip_first_data_line", s.Data.SkipFirstDataLine).Param("labels", s.Labels).
		Param("columns", loadColumns(s)).Key(); err != nil {
		return k, err
	}
	if k.discretize, err = cache.NewKey("discretize", discretizeVersion).Input("flows", k.load).
		Param("compat", s.Discretize.Compat).Param("fit_on", s.Discretize.FitOn).
		Param("features", s.Discretize.Features).Param("hosts", discretizeHosts(s)).Key(); err != nil {
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
	for _, f := range s.Discretize.Features {
		cols = append(cols, f.Column)
	}
	slices.Sort(cols)
	return slices.Compact(cols)
}

// hostOrder lists the hosts a point scores: the profiled host, then the
// normal and infected hosts in spec order.
func hostOrder(s *Spec) []string {
	return uniqueHosts(s.Hosts.Profile, s.Hosts.Normal, s.Hosts.Infected)
}

func fitHost(s *Spec) string {
	if s.Discretize.FitHost != "" {
		return s.Discretize.FitHost
	}
	return s.Hosts.Profile
}

// discretizeHosts lists the hosts the discretizer encodes, in the order the
// notebook encodes them: the host the cuts are fitted on first, then the
// scored hosts (the order matters for compat notebook's one-shot iterator).
func discretizeHosts(s *Spec) []string {
	return uniqueHosts(fitHost(s), s.Hosts.Normal, s.Hosts.Infected, []string{s.Hosts.Profile})
}

func uniqueHosts(first string, lists ...[]string) []string {
	out := []string{first}
	seen := map[string]bool{first: true}
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	for _, h := range all {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

func compat(s string) string {
	if s == "none" {
		return ""
	}
	return s
}
