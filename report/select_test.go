package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"botprof/runfolder"
)

// evaluate.select chooses the metric that ranks points: by auc_host, a
// ranks first (ties broken by auc_window); by train_loglik, b does.
func TestSelectMetric(t *testing.T) {
	a := &group{Points: []*Point{{Name: "a", Metrics: map[string]float64{"auc_host": 1, "auc_window": 0.9, "train_loglik": -50}}}}
	b := &group{Points: []*Point{{Name: "b", Metrics: map[string]float64{"auc_host": 1, "auc_window": 0.8, "train_loglik": -10}}}}
	for _, tc := range []struct {
		spec map[string]any
		want string
	}{
		{nil, "a"},
		{map[string]any{"evaluate": map[string]any{"select": "auc_host"}}, "a"},
		{map[string]any{"evaluate": map[string]any{"select": "train_loglik"}}, "b"},
		{map[string]any{"evaluate": map[string]any{"score": "viterbi"}}, "a"},
	} {
		r := &Run{Manifest: runfolder.Manifest{Spec: tc.spec}}
		sel := r.selectMetric()
		if got := rankGroups([]*group{b, a}, sel)[0].Points[0].Name; got != tc.want {
			t.Errorf("spec %v: best %s by %s, want %s", tc.spec, got, sel, tc.want)
		}
	}
}

// evaluate.select: train_loglik ranks a real results folder by the
// training log-likelihood of metrics.json's train section: summary.md and
// ls showed "—" for it and ranked by auc_window instead, since the reader
// never made it a metric.
func TestSelectTrainLoglikFromFolder(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "toy", "20261127T050102.000Z")
	copyDir(t, runA, dir)
	var m map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["spec"].(map[string]any)["evaluate"].(map[string]any)["select"] = "train_loglik"
	b, _ = json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Training log-likelihoods -3999 + seed: model.states=4 window.size=10
	// has seeds 1..6, median -3996.5; the other points seeds 1..3, -3998.
	runs, err := Runs(root)
	if err != nil || len(runs) != 1 {
		t.Fatalf("Runs: %v %v", runs, err)
	}
	if r := runs[0]; !r.HasBest || r.BestMetric != "train_loglik" || r.Best != "model.states=4 window.size=10" || r.BestAUC != -3996.5 {
		t.Errorf("ls best: %+v, want model.states=4 window.size=10 with train_loglik -3996.5", r)
	}
	var buf bytes.Buffer
	if err := Show(dir, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "| model.states=4 window.size=10 | 6 | -3996.5 |") {
		t.Errorf("summary does not rank by train_loglik:\n%s", buf.String())
	}
}

// With evaluate.select: auc_window the best points table showed
// auc_window twice and auc_host not at all; auc_host now takes the
// second column.
func TestSummarySelectAucWindowShowsAucHost(t *testing.T) {
	dir := copyRun(t, runA)
	var m map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["spec"].(map[string]any)["evaluate"].(map[string]any)["select"] = "auc_window"
	b, _ = json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Show(dir, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "| point | seeds | auc_window | IQR | auc_host | margin | tpr_at_fpr0 |") {
		t.Errorf("best points header with select auc_window:\n%s", buf.String())
	}
}
