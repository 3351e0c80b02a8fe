package pipeline

import (
	"encoding/json"
	"fmt"
	"math"

	"botprof/runfolder"
	"botprof/stages/discretize"
	"botprof/stages/evaluate"
)

// PointOutput is everything the results folder needs from one point; it is
// the evaluate stage's cache entry, so a fully cached point reads only this.
type PointOutput struct {
	Hosts     []HostScore           `json:"hosts"`
	Metrics   Metrics               `json:"metrics"`
	ROCHost   map[string][]ROCPoint `json:"roc_host"`
	ROCWindow []ROCPoint            `json:"roc_window"`
	Warnings  []string              `json:"warnings,omitempty"`
	Train     TrainSummary          `json:"train"`
	Model     json.RawMessage       `json:"model"`
	Mapping   json.RawMessage       `json:"mapping"`
	Symbols   int                   `json:"symbols"`
}

// HostScore is one host's scores (owned by runfolder).
type HostScore = runfolder.HostScore

// StatusZeroProbability is a host's status when the model gives its windows
// probability 0 (see runfolder.StatusZeroProbability).
const StatusZeroProbability = runfolder.StatusZeroProbability

// ROCPoint is one point of a ROC curve.
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// MarshalJSON writes infinite thresholds as strings (JSON has no Inf).
func (p ROCPoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Threshold runfolder.Float `json:"threshold"`
		FPR       float64         `json:"fpr"`
		TPR       float64         `json:"tpr"`
	}{runfolder.Float(p.Threshold), p.FPR, p.TPR})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *ROCPoint) UnmarshalJSON(b []byte) error {
	var v struct {
		Threshold runfolder.Float `json:"threshold"`
		FPR       float64         `json:"fpr"`
		TPR       float64         `json:"tpr"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = ROCPoint{float64(v.Threshold), v.FPR, v.TPR}
	return nil
}

// Metrics maps metric names to values (owned by runfolder).
type Metrics = runfolder.Metrics

// TrainSummary is convergence.json (owned by runfolder).
type TrainSummary = runfolder.TrainSummary

// RestartTrace is one restart of the fit.
type RestartTrace = runfolder.RestartTrace

func finitePtr(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func rocPoints(pts []evaluate.Point) []ROCPoint {
	out := make([]ROCPoint, len(pts))
	for i, p := range pts {
		out[i] = ROCPoint{Threshold: p.Threshold, FPR: p.FPR, TPR: p.TPR}
	}
	return out
}

// newPointOutput gathers one point's results for the cache and the results folder.
func newPointOutput(res *evaluate.Result, t *trainOut, d *discretize.Result) (*PointOutput, error) {
	mapping, err := json.MarshalIndent(d.Mapping, "", " ")
	if err != nil {
		return nil, err
	}
	out := &PointOutput{Metrics: Metrics(res.Metrics), ROCHost: map[string][]ROCPoint{}, ROCWindow: rocPoints(res.ROCWindow),
		Warnings: res.Warnings, Model: t.modelJS, Mapping: mapping, Symbols: d.Symbols, Train: trainSummary(t)}
	for _, h := range res.Hosts {
		if h.Status == evaluate.StatusOK && math.IsInf(h.LogLik, -1) {
			// Still ranked (lowest) in the ROC, but not a number to average.
			h.Status = StatusZeroProbability
			out.Warnings = append(out.Warnings, fmt.Sprintf("host %s: score -Inf: the model gives its windows probability 0 "+
				"(a flow code or transition never seen in training; a categorical model keeps unseen codes possible with model.emission_prior > 1, a Markov chain with model.smoothing)", h.Host))
		}
		out.Hosts = append(out.Hosts, HostScore{Host: h.Host, Class: h.Class, Status: h.Status, Flows: h.Flows, Windows: h.Windows,
			Viterbi: finitePtr(h.Viterbi), LogLik: finitePtr(h.LogLik), LogLikPerWindow: finitePtr(h.LogLikPerWindow)})
	}
	for k, pts := range res.ROCHost {
		out.ROCHost[k] = rocPoints(pts)
	}
	return out, nil
}

// shed returns o without what only its points/<name>/ files need (the
// window ROC, the model and the mapping): what WriteResults still reads
// (hosts, metrics, host ROC, convergence, warnings) stays.
func (o *PointOutput) shed() *PointOutput {
	c := *o
	c.ROCWindow, c.Model, c.Mapping = nil, nil, nil
	return &c
}

func trainSummary(t *trainOut) TrainSummary {
	s := TrainSummary{Windows: t.windows}
	if t.report == nil || len(t.report.Restarts) == 0 {
		return s
	}
	s.Best = t.report.Best
	for _, r := range t.report.Restarts {
		s.Restarts = append(s.Restarts, RestartTrace{Seed: r.Seed, LogLik: r.FinalLogLik, Iterations: r.Iterations,
			Converged: r.Converged, History: r.History})
	}
	b := t.report.Restarts[t.report.Best]
	s.LogLik, s.Iterations, s.Converged, s.History = b.FinalLogLik, b.Iterations, b.Converged, b.History
	return s
}
