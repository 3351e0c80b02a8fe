package report

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// Holm and Benjamini–Hochberg by hand: ps 0.01, 0.04, 0.03, 0.005 (m = 4)
// sort to 0.005, 0.01, 0.03, 0.04. Holm: 4·0.005 = 0.02, 3·0.01 = 0.03,
// 2·0.03 = 0.06, max(1·0.04, 0.06) = 0.06. BH from the largest:
// 0.04, min(4/3·0.03, 0.04) = 0.04, min(2·0.01, 0.04) = 0.02, 0.02.
func TestAdjustP(t *testing.T) {
	ps := []float64{0.01, 0.04, 0.03, 0.005}
	for _, tc := range []struct {
		method string
		ps     []float64
		want   []float64
	}{
		{"holm", ps, []float64{0.03, 0.06, 0.06, 0.02}},
		{"bh", ps, []float64{0.02, 0.04, 0.04, 0.02}},
		{"holm", []float64{0.5, 0.9}, []float64{1, 1}},
		{"bh", []float64{0.5, 0.9}, []float64{0.9, 0.9}},
		{"none", ps, ps},
	} {
		got := AdjustP(tc.ps, tc.method)
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("%s %v: %v, want %v", tc.method, tc.ps, got, tc.want)
				break
			}
		}
	}
}

// fakeRun is a run of points with the given parameters (seed 0..n-1 each)
// and an auc_host that grows with the seed.
func fakeRun(configs []map[string]any, seeds int, base float64) *Run {
	r := &Run{}
	for _, c := range configs {
		for s := range seeds {
			params := map[string]any{SeedKey: float64(s)}
			for k, v := range c {
				params[k] = v
			}
			r.Points = append(r.Points, Point{Name: configOf(params).String(), Params: params, Status: "ok",
				Metrics: map[string]float64{"auc_host": base + 0.01*float64(s), "margin": base}})
		}
	}
	return r
}

func TestDiffOptions(t *testing.T) {
	states := []map[string]any{{"model.states": "2"}, {"model.states": "4"}}
	windows := []map[string]any{{"window.size": "5"}, {"window.size": "10"}}
	a, b := fakeRun(states, 6, 0.5), fakeRun(states, 6, 0.9)
	var oe *OptionError

	res, err := Compare(a, b, DiffOptions{Correct: "holm"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Correction != "holm" || res.Tests != 4 {
		t.Errorf("correction %s over %d tests, want holm over 4", res.Correction, res.Tests)
	}
	for _, tb := range res.Tables {
		for _, r := range tb.Rows {
			if r.P == nil || r.PAdj == nil || *r.PAdj < *r.P || r.Significant != (*r.PAdj < 0.05) {
				t.Errorf("%s %s: p %v adj %v significant %v", tb.Name(), r.Metric, r.P, r.PAdj, r.Significant)
			}
		}
	}
	res, err = Compare(a, b, DiffOptions{Metrics: []string{"margin"}, Filters: []Filter{{"model.states", "4.0"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 1 || res.Tables[0].A != "model.states=4" || len(res.Tables[0].Rows) != 1 || res.Tables[0].Rows[0].Metric != "margin" {
		t.Errorf("filtered: %+v", res.Tables)
	}
	for _, opts := range []DiffOptions{
		{Metrics: []string{"auc_hots"}}, {Filters: []Filter{{"window.size", "5"}}}, {Correct: "sidak"},
		{Match: []string{"window.size"}},
	} {
		if _, err := Compare(a, b, opts); !errors.As(err, &oe) {
			t.Errorf("%+v: %v, want an option error", opts, err)
		}
	}

	// Runs that sweep different parameters: an error naming both, unless
	// --match says how; --match none pairs everything.
	c := fakeRun(windows, 6, 0.7)
	if _, err := Compare(a, c, DiffOptions{}); !errors.As(err, &oe) || !strings.Contains(err.Error(), "--match") {
		t.Errorf("different sweeps: %v, want an option error pointing to --match", err)
	}
	res, err = Compare(a, c, DiffOptions{MatchAll: true})
	if err != nil || len(res.Tables) != 4 {
		t.Errorf("--match none: %v, %d tables, want 4", err, len(res.Tables))
	}
	// A single unswept point is not compared with every point of the
	// other run unless --match says so.
	single := fakeRun([]map[string]any{{}}, 6, 0.7)
	if _, err := Compare(single, a, DiffOptions{}); !errors.As(err, &oe) || !strings.Contains(err.Error(), "--match none") {
		t.Errorf("single point: %v, want an option error pointing to --match none", err)
	}
	res, err = Compare(single, a, DiffOptions{MatchAll: true})
	if err != nil || len(res.Tables) != 2 {
		t.Errorf("single point, --match none: %v, %d tables", err, len(res.Tables))
	}
}
