package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

var runA, runB = filepath.Join("testdata", "runs", "a"), filepath.Join("testdata", "runs", "b")

func TestDiffGolden(t *testing.T) {
	for _, format := range []string{"text", "csv", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Diff(runA, runB, DiffOptions{Format: format}, &buf); err != nil {
				t.Fatal(err)
			}
			switch format {
			case "csv":
				if _, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll(); err != nil {
					t.Errorf("csv does not parse: %v", err)
				}
			case "json":
				if !json.Valid(buf.Bytes()) {
					t.Error("json output is not valid JSON")
				}
			}
			ext := map[string]string{"text": "txt", "csv": "csv", "json": "json", "markdown": "md"}[format]
			checkGolden(t, "diff."+ext, buf.Bytes())
		})
	}
}

func TestDiffStatistics(t *testing.T) {
	ra, err := Load(runA)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Load(runB)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compare(ra, rb, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var six *DiffTable
	for i := range res.Tables {
		if res.Tables[i].A == "model.states=4 window.size=10" {
			six = &res.Tables[i]
		}
	}
	if six == nil {
		t.Fatalf("no table for model.states=4 window.size=10 in %d tables", len(res.Tables))
	}
	// auc_window of B is 0.025 higher on each of the 6 seeds: completely
	// separated samples, exact p = 2/C(12,6) = 2/924.
	r := six.Rows[1]
	if r.Metric != "auc_window" || r.P == nil || !r.Significant || *r.P != 2.0/924 || !r.A.HasCI {
		t.Errorf("auc_window row = %+v, p=%v", r, r.P)
	}
	var only []string
	for _, n := range res.Notes {
		if strings.Contains(n, "only in B") {
			only = append(only, n)
		}
	}
	if len(only) != 2 {
		t.Errorf("want the 2 states=8 points noted as only in B, got %q", only)
	}
	if len(res.Inputs) == 0 || res.Inputs[0].Key != "botprof_version" {
		t.Errorf("inputs = %+v", res.Inputs)
	}
}

func TestDiffFailIf(t *testing.T) {
	for _, c := range []struct {
		cond string
		fail bool
	}{
		{"auc_window<0", false},
		{"auc_window>0.02", true},
		{"auc_host <= -0.5", false},
		{"auc_host>=0", false}, // holds everywhere (change 0), never significant
	} {
		cond, err := ParseCondition(c.cond)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		err = Diff(runA, runB, DiffOptions{FailIf: []Condition{cond}}, &buf)
		if (err != nil) != c.fail {
			t.Errorf("%s: err = %v, want failure %v", c.cond, err, c.fail)
		}
	}
	// A gate on a metric no point has is a usage error, not a failed gate.
	cond, _ := ParseCondition("auc_hots<0")
	err := Diff(runA, runB, DiffOptions{FailIf: []Condition{cond}}, &bytes.Buffer{})
	var ge *GateError
	if !errors.As(err, &ge) || !strings.Contains(err.Error(), `no matched point has the metric "auc_hots"`) {
		t.Errorf("unknown metric: err = %v, want a GateError", err)
	}
	// A met but insignificant condition is a footnote, not a failure.
	ra, _ := Load(runA)
	rb, _ := Load(runB)
	cond, _ = ParseCondition("auc_host>=0")
	res, err := Compare(ra, rb, DiffOptions{FailIf: []Condition{cond}})
	if err != nil || len(res.Failures) != 0 || !strings.Contains(strings.Join(res.Notes, "\n"), "but not significant at alpha 0.05") {
		t.Errorf("insignificant gate: err %v, failures %v, notes %v", err, res.Failures, res.Notes)
	}
	for _, bad := range []string{"auc_host", "auc_host<x", "<1", "auc_host=1"} {
		if _, err := ParseCondition(bad); err == nil {
			t.Errorf("ParseCondition(%q) accepted", bad)
		}
	}
}

// The summary counts, per run-level metric, the matched points that
// improved, worsened or did not change significantly.
func TestDiffSummary(t *testing.T) {
	ra, _ := Load(runA)
	rb, _ := Load(runB)
	res, err := Compare(ra, rb, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]MetricSummary{}
	for _, s := range res.Summary {
		got[s.Metric] = s
	}
	if s := got["auc_window"]; s.Improved != 1 || s.Worsened != 0 || s.Unchanged != 3 || math.Abs(s.MedianDelta-0.025) > 1e-9 {
		t.Errorf("auc_window summary %+v", s)
	}
	if s := got["auc_host"]; s.Improved+s.Worsened != 0 || s.Unchanged != 4 {
		t.Errorf("auc_host summary %+v", s)
	}
}

// A gate whose threshold is not a finite number is malformed: "<nan"
// never held, so --fail-if 'auc_window<nan' could never fail (exit 0)
// and looked like a passing gate.
func TestParseConditionFiniteThreshold(t *testing.T) {
	for _, s := range []string{"auc_window<nan", "auc_window<NaN", "auc_host>=inf", "auc_host<-Inf"} {
		if _, err := ParseCondition(s); err == nil || !strings.Contains(err.Error(), "not a finite number") {
			t.Errorf("%s: err = %v, want a threshold that is not a finite number", s, err)
		}
	}
	if _, err := ParseCondition("auc_window<-1e-3"); err != nil {
		t.Error(err)
	}
}
