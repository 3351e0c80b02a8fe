package pipeline

import (
	"encoding/json"
	"math"
	"sort"

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

// HostScore is one host's scores; nil scores are undefined (insufficient data).
type HostScore struct {
	Host            string   `json:"host"`
	Class           string   `json:"class"`
	Status          string   `json:"status"`
	Flows           int      `json:"flows"`
	Windows         int      `json:"windows"`
	Viterbi         *float64 `json:"viterbi"`
	LogLik          *float64 `json:"loglik"`
	LogLikPerWindow *float64 `json:"loglik_per_window"`
}

// Score returns the host's score of the given kind (nil if undefined).
func (h HostScore) Score(kind string) *float64 {
	switch kind {
	case "viterbi":
		return h.Viterbi
	case "loglik":
		return h.LogLik
	case "loglik_per_window":
		return h.LogLikPerWindow
	}
	return nil
}

// ROCPoint is one point of a ROC curve.
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// MarshalJSON writes infinite thresholds as strings (JSON has no Inf).
func (p ROCPoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Threshold jsonFloat `json:"threshold"`
		FPR       float64   `json:"fpr"`
		TPR       float64   `json:"tpr"`
	}{jsonFloat(p.Threshold), p.FPR, p.TPR})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *ROCPoint) UnmarshalJSON(b []byte) error {
	var v struct {
		Threshold jsonFloat `json:"threshold"`
		FPR       float64   `json:"fpr"`
		TPR       float64   `json:"tpr"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = ROCPoint{float64(v.Threshold), v.FPR, v.TPR}
	return nil
}

// Metrics maps metric names to values; NaN (undefined) is written as null.
type Metrics map[string]float64

// MarshalJSON writes metrics sorted by name, NaN as null.
func (m Metrics) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k)
		b = append(b, kb...)
		b = append(b, ':')
		vb, err := json.Marshal(jsonFloat(m[k]))
		if err != nil {
			return nil, err
		}
		b = append(b, vb...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads null as NaN.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var raw map[string]jsonFloat
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = Metrics{}
	for k, v := range raw {
		(*m)[k] = float64(v)
	}
	return nil
}

// jsonFloat is a float64 whose non-finite values survive JSON: NaN as null,
// ±Inf as the strings "inf" / "-inf".
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte("null"), nil
	case math.IsInf(v, 1):
		return []byte(`"inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-inf"`), nil
	}
	return json.Marshal(v)
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*f = jsonFloat(math.NaN())
		return nil
	case `"inf"`:
		*f = jsonFloat(math.Inf(1))
		return nil
	case `"-inf"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

// TrainSummary is convergence.json: how the profiled host's model was fitted.
type TrainSummary struct {
	LogLik     float64        `json:"loglik"`
	Iterations int            `json:"iterations"`
	Converged  bool           `json:"converged"`
	History    []float64      `json:"history"`
	Windows    int            `json:"windows"`
	Best       int            `json:"best_restart"`
	Restarts   []RestartTrace `json:"restarts"`
}

// RestartTrace is one restart of the fit.
type RestartTrace struct {
	Seed       uint64    `json:"seed"`
	LogLik     float64   `json:"loglik"`
	Iterations int       `json:"iterations"`
	Converged  bool      `json:"converged"`
	History    []float64 `json:"history"`
}

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
		out.Hosts = append(out.Hosts, HostScore{Host: h.Host, Class: h.Class, Status: h.Status, Flows: h.Flows, Windows: h.Windows,
			Viterbi: finitePtr(h.Viterbi), LogLik: finitePtr(h.LogLik), LogLikPerWindow: finitePtr(h.LogLikPerWindow)})
	}
	for k, pts := range res.ROCHost {
		out.ROCHost[k] = rocPoints(pts)
	}
	return out, nil
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
