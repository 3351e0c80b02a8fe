package report

import (
	"errors"
	"strings"
	"testing"
)

// withSpec sets the run's manifest spec (the values of keys it does not sweep).
func withSpec(r *Run, spec map[string]any) *Run {
	r.Manifest.Spec = spec
	return r
}

// Pairing is by point name unless --match says how; runs whose points
// cannot be paired by name are an error naming the keys to pair on.
func TestDiffPairing(t *testing.T) {
	states := func(vs ...string) []map[string]any {
		var cs []map[string]any
		for _, v := range vs {
			cs = append(cs, map[string]any{"model.states": v})
		}
		return cs
	}
	grid := []map[string]any{
		{"model.states": "2", "window.size": "5"}, {"model.states": "2", "window.size": "10"},
		{"model.states": "4", "window.size": "5"}, {"model.states": "4", "window.size": "10"},
	}
	spec4 := map[string]any{"model": map[string]any{"states": float64(4)}, "window": map[string]any{"size": float64(10)}}
	for _, tc := range []struct {
		name   string
		a, b   *Run
		opts   DiffOptions
		tables []string // table names, in order
		errHas []string // the error must say these
	}{
		{name: "same-sweep", a: fakeRun(states("2", "4"), 6, 0.5), b: fakeRun(states("2", "4"), 6, 0.6),
			tables: []string{"model.states=2", "model.states=4"}},
		{name: "overlapping-values", a: fakeRun(states("2", "4"), 6, 0.5), b: fakeRun(states("4", "8"), 6, 0.6),
			tables: []string{"model.states=4"}},
		{name: "disjoint-values", a: fakeRun(states("2"), 6, 0.5), b: fakeRun(states("8"), 6, 0.6),
			errHas: []string{"no point of A pairs with a point of B", "A: model.states=2; B: model.states=8", "--match model.states", "--match none"}},
		{name: "different-keys", a: fakeRun(grid, 3, 0.5), b: fakeRun(states("2", "4"), 3, 0.6),
			errHas: []string{"cannot be paired by name", "A sweeps model.states, window.size; B sweeps model.states", "--match model.states ", "--match none"}},
		{name: "match-shared-key", a: fakeRun(grid, 3, 0.5), b: fakeRun(states("2", "4"), 3, 0.6), opts: DiffOptions{Match: []string{"model.states"}},
			tables: []string{"model.states=2 window.size=5 vs model.states=2", "model.states=2 window.size=10 vs model.states=2",
				"model.states=4 window.size=5 vs model.states=4", "model.states=4 window.size=10 vs model.states=4"}},
		{name: "unswept-single", a: fakeRun([]map[string]any{{}}, 1, 0.5), b: fakeRun(states("2", "4"), 6, 0.6),
			errHas: []string{"A sweeps no parameters; B sweeps model.states", "--match none"}},
		{name: "unswept-spec-hint", a: withSpec(fakeRun([]map[string]any{{}}, 6, 0.5), spec4), b: fakeRun(states("2", "4"), 6, 0.6),
			errHas: []string{"--match model.states (points that agree on it)"}},
		{name: "unswept-match-spec", a: withSpec(fakeRun([]map[string]any{{}}, 6, 0.5), spec4), b: fakeRun(states("2", "4"), 6, 0.6),
			opts: DiffOptions{Match: []string{"model.states"}}, tables: []string{"base vs model.states=4"}},
		{name: "unswept-match-none", a: fakeRun([]map[string]any{{}}, 6, 0.5), b: fakeRun(states("2", "4"), 6, 0.6),
			opts: DiffOptions{MatchAll: true}, tables: []string{"base vs model.states=2", "base vs model.states=4"}},
		{name: "both-unswept", a: fakeRun([]map[string]any{{}}, 6, 0.5), b: fakeRun([]map[string]any{{}}, 6, 0.6),
			tables: []string{"base"}},
		{name: "match-unknown", a: fakeRun(states("2", "4"), 6, 0.5), b: fakeRun(states("2", "4"), 6, 0.6), opts: DiffOptions{Match: []string{"window.size"}},
			errHas: []string{`--match window.size: both runs must have the parameter "window.size"`}},
		{name: "match-seed", a: fakeRun(states("2", "4"), 6, 0.5), b: fakeRun(states("2", "4"), 6, 0.6), opts: DiffOptions{Match: []string{"model.seed"}},
			errHas: []string{"--match model.seed: the seeds are the samples"}},
	} {
		res, err := Compare(tc.a, tc.b, tc.opts)
		if tc.errHas != nil {
			var oe *OptionError
			if !errors.As(err, &oe) {
				t.Errorf("%s: err %v, want an option error", tc.name, err)
				continue
			}
			for _, w := range tc.errHas {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: error %q lacks %q", tc.name, err, w)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, tb := range res.Tables {
			got = append(got, tb.Name())
		}
		if strings.Join(got, "|") != strings.Join(tc.tables, "|") {
			t.Errorf("%s: tables %q, want %q", tc.name, got, tc.tables)
		}
	}
}

// --filter keeps points by parameter (several filters all hold); --metric
// keeps rows; what cannot apply is an option error.
func TestDiffFilterMetric(t *testing.T) {
	grid := []map[string]any{
		{"model.states": "2", "window.size": "5"}, {"model.states": "2", "window.size": "10"},
		{"model.states": "4", "window.size": "5"}, {"model.states": "4", "window.size": "10"},
	}
	a, b := fakeRun(grid, 6, 0.5), fakeRun(grid, 6, 0.6)
	states := []map[string]any{{"model.states": "2"}, {"model.states": "4"}}
	spec10 := map[string]any{"window": map[string]any{"size": float64(10)}}
	spec5 := map[string]any{"window": map[string]any{"size": float64(5)}}
	for _, tc := range []struct {
		name    string
		a, b    *Run
		filters []string
		metrics []string
		tables  []string
		rows    []string // metrics of the first table
		errHas  string
	}{
		{name: "none", a: a, b: b, tables: []string{"model.states=2 window.size=5", "model.states=2 window.size=10",
			"model.states=4 window.size=5", "model.states=4 window.size=10"}, rows: []string{"auc_host", "margin"}},
		{name: "one", a: a, b: b, filters: []string{"model.states=4"},
			tables: []string{"model.states=4 window.size=5", "model.states=4 window.size=10"}, rows: []string{"auc_host", "margin"}},
		{name: "and", a: a, b: b, filters: []string{"model.states=4", "window.size=10.0"}, metrics: []string{"margin"},
			tables: []string{"model.states=4 window.size=10"}, rows: []string{"margin"}},
		// A run that does not sweep window.size is kept or dropped by its spec value.
		{name: "spec-value-kept", a: withSpec(fakeRun(states, 6, 0.5), spec10), b: withSpec(fakeRun(states, 6, 0.6), spec10),
			filters: []string{"window.size=10", "model.states=2"}, metrics: []string{"auc_host"}, tables: []string{"model.states=2"}, rows: []string{"auc_host"}},
		{name: "spec-value-dropped", a: withSpec(fakeRun(states, 6, 0.5), spec10), b: withSpec(fakeRun(states, 6, 0.6), spec5),
			filters: []string{"window.size=10"}, errHas: "--filter window.size=10: leaves no point of B (its window.size: 5)"},
		{name: "no-value", a: a, b: b, filters: []string{"model.states=3"}, errHas: "--filter model.states=3: leaves no point of A (its model.states: 2, 4)"},
		{name: "unknown-key", a: a, b: b, filters: []string{"model.state=4"}, errHas: `neither run has the parameter "model.state"`},
		{name: "seed", a: a, b: b, filters: []string{"model.seed=1"}, errHas: "--filter model.seed=1: the seeds are the samples"},
		{name: "unknown-metric", a: a, b: b, metrics: []string{"auc_hots"}, errHas: "--metric auc_hots: no compared row has it"},
	} {
		opts := DiffOptions{Metrics: tc.metrics}
		for _, f := range tc.filters {
			flt, err := ParseFilter(f)
			if err != nil {
				t.Fatal(err)
			}
			opts.Filters = append(opts.Filters, flt)
		}
		res, err := Compare(tc.a, tc.b, opts)
		if tc.errHas != "" {
			var oe *OptionError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("%s: err %v, want an option error with %q", tc.name, err, tc.errHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got, rows []string
		for _, tb := range res.Tables {
			got = append(got, tb.Name())
		}
		for _, r := range res.Tables[0].Rows {
			rows = append(rows, r.Metric)
		}
		if strings.Join(got, "|") != strings.Join(tc.tables, "|") || strings.Join(rows, "|") != strings.Join(tc.rows, "|") {
			t.Errorf("%s: tables %q rows %q, want %q %q", tc.name, got, rows, tc.tables, tc.rows)
		}
	}
	for _, bad := range []string{"model.states", "=4", "model.states=", " = "} {
		if _, err := ParseFilter(bad); err == nil {
			t.Errorf("ParseFilter(%q) accepted", bad)
		}
	}
	// An unknown format or alpha is an option error too (exit 2), before
	// any folder is read.
	var oe *OptionError
	if err := Diff("nosuch", "nosuch", DiffOptions{Format: "xml"}, nil); !errors.As(err, &oe) {
		t.Errorf("--format xml: %v, want an option error", err)
	}
	if _, err := Compare(a, b, DiffOptions{Alpha: 1.5}); !errors.As(err, &oe) {
		t.Errorf("--alpha 1.5: %v, want an option error", err)
	}
}
