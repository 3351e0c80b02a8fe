package pipeline

// Stage parameters: the one translation of a spec point into what each
// stage runs with. runPoint computes them once per point; the stages' Run
// functions get these values and the cache keys are built from the same
// values (keys.go), so a key names exactly what its stage computed.
// Defaults live in DefaultSpec; Spec.Validate runs every stage's Validate
// on these values.

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"botprof/hmm"
	"botprof/markov"
	"botprof/stages"
	"botprof/stages/derive"
	"botprof/stages/discretize"
	"botprof/stages/evaluate"
	"botprof/stages/filter"
	"botprof/stages/load"
	"botprof/stages/train"
	"botprof/stages/view"
	"botprof/stages/window"
)

// stageParams are one point's stage parameters.
type stageParams struct {
	load       []load.Params // one per data source
	filter     filter.Params // pushed down into load (filter.Params.KeepFor)
	view       view.Params   // used when needView
	needView   bool
	derive     derive.Params // the derived columns the features name (none: no step)
	discretize discretize.Params
	fitKey     string // the spec key naming discretize's fit hosts, for errors (in no key)
	window     window.Params
	train      train.Params
	evaluate   evaluate.Params
}

// paramsOf translates a validated spec point.
func paramsOf(s *Spec) *stageParams {
	sp := &stageParams{}
	for _, d := range s.Data.List() {
		sp.load = append(sp.load, load.Params{Format: d.Format, OnBadLine: d.OnBadLine,
			SkipFirstDataLine: d.SkipFirstDataLine, Columns: loadColumns(s)})
	}
	sp.filter = filter.Params{Include: s.Labels.Include, Exclude: s.Labels.Exclude, ExcludeClasses: s.Labels.ExcludeClasses}
	for _, c := range s.Labels.Classes {
		sp.filter.Classes = append(sp.filter.Classes, filter.ClassRule{Match: c.Match, Class: c.Class})
	}
	sp.view, sp.needView = viewParams(s)
	feats := make([]discretize.Feature, len(s.Discretize.Features))
	for i, f := range s.Discretize.Features {
		if c := f.column(); derive.Is(c) && !slices.Contains(sp.derive.Columns, c) {
			sp.derive.Columns = append(sp.derive.Columns, c)
		}
		feats[i] = discretize.Feature{Column: f.column(), Kind: f.Kind, Percentiles: f.Percentiles, Cuts: f.Cuts, K: f.K, Seed: f.Seed,
			Right: f.Right, Categories: f.Categories, Unseen: f.Unseen}
	}
	fit := fitHosts(s)
	fitOn := discretize.FitProfile
	if s.Discretize.fitMode() == "all" {
		fitOn = discretize.FitAll
	}
	sp.discretize = discretize.Params{Features: feats, FitOn: fitOn, Compat: compat(s.Discretize.Compat),
		Profile: fit[0], MoreProfiles: fit[1:], Hosts: discretizeHosts(s)}
	switch sp.fitKey = "hosts.profile"; {
	case s.Discretize.fitMode() == "hosts":
		sp.fitKey = "discretize.fit_on"
	case s.Discretize.FitHost != "":
		sp.fitKey = "discretize.fit_host"
	}
	sp.window = window.Params{Size: s.Window.Size, Stride: s.Window.Stride, Compat: compat(s.Window.Compat)}
	if s.Window.Span != "" {
		d, _ := time.ParseDuration(s.Window.Span) // validated
		sp.window = window.Params{Span: d.Microseconds(), MinFlows: max(1, s.Window.MinFlows)}
	}
	sp.train = train.Params{Model: hmmConfig(s.Model), Input: s.Model.ModelInput(), Profiles: s.Hosts.Profile}
	if m := s.Model; m.Kind == "categorical" && m.Smoothing.Kind == "additive" {
		sp.train.EmissionSmoothing = m.Smoothing.Alpha
	}
	if m := s.Model; m.Kind == markov.Kind {
		// The chain reads only these: HMM settings do not enter its key.
		sp.train.Model = hmm.Config{}
		sp.train.Markov = &train.MarkovParams{Order: m.Order, Symbols: m.Symbols}
		if m.Smoothing.Kind == "additive" {
			sp.train.Markov.Alpha = m.Smoothing.Alpha
		}
	}
	sp.evaluate = evaluate.Params{Score: s.Evaluate.Score, Input: s.Model.ModelInput(), Workers: runtime.GOMAXPROCS(0)}
	if d := s.Evaluate.Decision.Decision(); d.Enabled() {
		sp.evaluate.Decision = d
	}
	if n := s.Evaluate.Normalize; n != evaluate.NormalizeNone {
		sp.evaluate.Normalize = n // none is the default: the same key
	}
	for _, h := range hostOrder(s) {
		sp.evaluate.Hosts = append(sp.evaluate.Hosts, evaluate.HostSpec{Host: h, Class: hostClass(s, h)})
	}
	return sp
}

// validate runs every stage's Validate; an error is reported at the spec
// section the stage reads. The spec's own checks (Spec.Validate) come
// first and name the exact key; these catch what only a stage knows.
func (sp *stageParams) validate(s *Spec, v *validator) {
	for i, p := range sp.load {
		if err := p.Validate(); err != nil {
			path := "data"
			if len(s.Data.Sources) > 0 {
				path = fmt.Sprintf("data[%d]", i)
			}
			v.fail(path, "%v", err)
		}
	}
	report := func(section string, err error) {
		for _, e := range stages.Fields(err) {
			var fe *stages.FieldError
			if errors.As(e, &fe) {
				v.fail(section+"."+fe.Path, "%s", fe.Msg)
			} else {
				v.fail(section, "%v", e)
			}
		}
	}
	for _, c := range []struct {
		section string
		err     error
	}{
		{"labels", sp.filter.Validate()},
		{"discretize.features", sp.derive.Validate()},
		{"hosts", viewValidate(sp)},
		{"discretize", sp.discretize.Validate()},
		{"window", sp.window.Validate()},
		{"model", sp.train.Validate()},
		{"evaluate", sp.evaluate.Validate()},
	} {
		report(c.section, c.err)
	}
}

func viewValidate(sp *stageParams) error {
	if !sp.needView {
		return nil
	}
	return sp.view.Validate()
}

// hmmConfig is the model part of the spec as hmm's configuration.
func hmmConfig(m ModelSpec) hmm.Config {
	c := hmm.DefaultConfig()
	c.Kind = m.Kind
	c.States = m.States
	c.Covariance = m.Covariance
	c.Symbols = m.Symbols
	c.NIter = m.NIter
	c.Tol = m.Tol
	c.Seed = m.Seed
	c.Restarts = m.Restarts
	c.Implementation = m.Implementation
	c.MinCovar = m.MinCovar
	c.StartprobPrior = m.StartprobPrior
	c.TransmatPrior = m.TransmatPrior
	c.MeansPrior = m.MeansPrior
	c.MeansWeight = m.MeansWeight
	c.CovarsPrior = m.CovarsPrior
	c.CovarsWeight = m.CovarsWeight
	c.EmissionPrior = m.EmissionPrior
	// Restarts and sequences run on all cores; hmm's results do not depend
	// on the number of workers (and Workers is not part of a key).
	c.Workers = runtime.GOMAXPROCS(0)
	return c
}
