package pipeline

import (
	"encoding/json"
	"fmt"
	"math"

	"botprof/pipeline/cache"
	"botprof/runfolder"
	"botprof/stages/discretize"
	"botprof/stages/evaluate"
)

// PointOutput is everything the results folder needs from one point; it is
// the evaluate stage's cache entry, so a fully cached point reads only
// that entry. The entry holds point.json (the JSON fields) and the point's
// files (runfolder.PointFileNames) already encoded: a cached point's files
// are copied into the results folder, never decoded (pointEntryFormat).
type PointOutput struct {
	Hosts    []runfolder.HostScore  `json:"hosts"`
	Metrics  runfolder.Metrics      `json:"metrics"`
	Warnings []string               `json:"warnings,omitempty"`
	Train    runfolder.TrainSummary `json:"train"`
	Symbols  int                    `json:"symbols"`

	// The contents of the point files, for a point computed in this run.
	ROCHost        map[string][]runfolder.ROCPoint `json:"-"`
	ROCWindow      []runfolder.ROCPoint            `json:"-"`
	Model, Mapping json.RawMessage                 `json:"-"`
	// files is the cache entry holding the encoded point files, for a
	// point read from the cache.
	files *cache.Entry
}

// pointEntryFormat is the layout of the evaluate stage's cache entry (a
// parameter of its key): 2 stores the point files next to point.json; 3
// adds the discretize warnings (repeated cuts) to point.json's.
const pointEntryFormat = 3

// pointFiles are the point files of o, to encode.
func (o *PointOutput) pointFiles() *runfolder.PointFiles {
	return &runfolder.PointFiles{Model: o.Model, Mapping: o.Mapping, Train: o.Train, ROCHost: o.ROCHost, ROCWindow: o.ROCWindow}
}

func finitePtr(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func rocPoints(pts []evaluate.Point) []runfolder.ROCPoint {
	out := make([]runfolder.ROCPoint, len(pts))
	for i, p := range pts {
		out[i] = runfolder.ROCPoint{Threshold: p.Threshold, FPR: p.FPR, TPR: p.TPR}
	}
	return out
}

// newPointOutput gathers one point's results for the cache and the results folder.
func newPointOutput(res *evaluate.Result, t *trainOut, d *discretize.Result) (*PointOutput, error) {
	mapping, err := json.MarshalIndent(d.Mapping, "", " ")
	if err != nil {
		return nil, err
	}
	out := &PointOutput{Metrics: runfolder.Metrics(res.Metrics), ROCHost: map[string][]runfolder.ROCPoint{}, ROCWindow: rocPoints(res.ROCWindow),
		Warnings: append(d.Mapping.Warnings(), res.Warnings...), Model: t.modelJS, Mapping: mapping, Symbols: d.Symbols, Train: trainSummary(t)}
	for _, h := range res.Hosts {
		if h.Status == evaluate.StatusOK && math.IsInf(h.LogLik, -1) {
			// Still ranked (lowest) in the ROC, but not a number to average.
			h.Status = runfolder.StatusZeroProbability
			out.Warnings = append(out.Warnings, fmt.Sprintf("host %s: score -Inf: the model gives its windows probability 0 "+
				"(a flow code or transition never seen in training; a categorical model keeps unseen codes possible with model.emission_prior > 1, a Markov chain with model.smoothing)", h.Host))
		}
		out.Hosts = append(out.Hosts, runfolder.HostScore{Host: h.Host, Class: h.Class, Status: h.Status, Flows: h.Flows, Windows: h.Windows,
			Viterbi: finitePtr(h.Viterbi), LogLik: finitePtr(h.LogLik), LogLikPerWindow: finitePtr(h.LogLikPerWindow)})
	}
	for k, pts := range res.ROCHost {
		out.ROCHost[k] = rocPoints(pts)
	}
	return out, nil
}

// shed returns o without what only its points/<name>/ files need (the
// ROC curves, the model and the mapping), once they are written: what
// WriteResults still reads (hosts, metrics, convergence, warnings) stays.
func (o *PointOutput) shed() *PointOutput {
	c := *o
	c.ROCHost, c.ROCWindow, c.Model, c.Mapping, c.files = nil, nil, nil, nil, nil
	return &c
}

func trainSummary(t *trainOut) runfolder.TrainSummary {
	s := runfolder.TrainSummary{Windows: t.windows}
	if t.report == nil || len(t.report.Restarts) == 0 {
		return s
	}
	s.Best = t.report.Best
	for _, r := range t.report.Restarts {
		s.Restarts = append(s.Restarts, runfolder.RestartTrace{Seed: r.Seed, LogLik: r.FinalLogLik, Iterations: r.Iterations,
			Converged: r.Converged, History: r.History})
	}
	b := t.report.Restarts[t.report.Best]
	s.LogLik, s.Iterations, s.Converged, s.History = b.FinalLogLik, b.Iterations, b.Converged, b.History
	return s
}
