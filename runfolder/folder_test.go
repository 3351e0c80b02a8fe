package runfolder

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// metricsFixture is metrics.json of the scores fixture's two points: the
// second has no f1 and an undefined margin.
func metricsFixture() MetricsFile {
	return MetricsFile{Score: "loglik_per_window", Points: []MetricsPoint{
		{Point: "window.size=5,model.kind=gaussian", Params: Params{"window.size": "5", "model.kind": "gaussian"}, Seed: seed(0),
			Metrics: Metrics{"auc_host": 1, "margin": 2.5, "f1": 0.75},
			Train: &TrainSummary{LogLik: -12.5, Iterations: 3, Converged: true, History: []float64{-20, -13, -12.5}, Windows: 96,
				Restarts: []RestartTrace{{Seed: 0, LogLik: -12.5, Iterations: 3, Converged: true, History: []float64{-20, -13, -12.5}}}}},
		{Point: "window.size=10,model.kind=markov", Params: Params{"window.size": "10", "model.kind": "markov"}, Seed: seed(1),
			Metrics: Metrics{"auc_host": 0.5, "margin": math.NaN()}, Warnings: []string{"host x: score -Inf"}},
	}}
}

// metrics.json and metrics.csv are golden: NaN is null / empty, a metric a
// point does not have is empty (not 0); metrics.json reads back equal.
func TestMetricsGoldenRoundTrip(t *testing.T) {
	dir := t.TempDir()
	mf := metricsFixture()
	if err := WriteMetrics(dir, mf, []string{"window.size", "model.kind"}); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "metrics.csv"))
	wantCSV := `point,window.size,model.kind,auc_host,f1,margin,train_loglik,train_iterations,train_converged
"window.size=5,model.kind=gaussian",5,gaussian,1,0.75,2.5,-12.5,3,true
"window.size=10,model.kind=markov",10,markov,0.5,,,,,
`
	if string(csv) != wantCSV {
		t.Errorf("metrics.csv:\n%s\nwant\n%s", csv, wantCSV)
	}
	js, _ := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if !json.Valid(js) || !strings.Contains(string(js), `"margin": null`) || !strings.Contains(string(js), `"best_restart": 0`) {
		t.Errorf("metrics.json:\n%s", js)
	}
	back, err := ReadMetrics(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.Points[1].Metrics["margin"]) {
		t.Errorf("margin read back as %v", back.Points[1].Metrics["margin"])
	}
	back.Points[1].Metrics["margin"], mf.Points[1].Metrics["margin"] = 0, 0
	if !reflect.DeepEqual(*back, mf) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *back, mf)
	}
}

// points/<point>/: the ROC files are golden (±Inf thresholds as inf/-inf),
// model.json and mapping.json are re-indented whatever layout they came
// in, and ReadROC gives the curves back.
func TestPointFilesGoldenRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "points", "p")
	host := []ROCPoint{{math.Inf(1), 0, 0}, {-1.5, 0, 0.5}, {-3, 0.25, 1}, {math.Inf(-1), 1, 1}}
	win := []ROCPoint{{math.Inf(1), 0, 0}, {0.5, 0.1, 0.9}, {-2, 1, 1}}
	pf := PointFiles{Model: json.RawMessage(`{"kind":"markov",  "order":1}`), Mapping: json.RawMessage("{\n\"a\": [1,2]}"),
		Train: *metricsFixture().Points[0].Train, ROCHost: map[string][]ROCPoint{"viterbi": host, "loglik": host[:2]}, ROCWindow: win}
	if err := WritePointFiles(dir, pf); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"roc_host.csv":   "kind,threshold,fpr,tpr\nviterbi,inf,0,0\nviterbi,-1.5,0,0.5\nviterbi,-3,0.25,1\nviterbi,-inf,1,1\nloglik,inf,0,0\nloglik,-1.5,0,0.5\n",
		"roc_window.csv": "threshold,fpr,tpr\ninf,0,0\n0.5,0.1,0.9\n-2,1,1\n",
		"model.json":     "{\n \"kind\": \"markov\",\n \"order\": 1\n}\n",
		"mapping.json":   "{\n \"a\": [\n  1,\n  2\n ]\n}\n",
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q (%v), want %q", name, got, err, want)
		}
	}
	var tr TrainSummary
	if err := ReadJSON(filepath.Join(dir, "convergence.json"), &tr); err != nil || !reflect.DeepEqual(tr, pf.Train) {
		t.Errorf("convergence.json read back %+v (%v)", tr, err)
	}
	curves, kinds, err := ReadROC(filepath.Join(dir, "roc_host.csv"))
	if err != nil || !reflect.DeepEqual(kinds, []string{"viterbi", "loglik"}) || !reflect.DeepEqual(curves["viterbi"], host) {
		t.Errorf("roc_host.csv read back %v %v (%v)", kinds, curves, err)
	}
	curves, _, err = ReadROC(filepath.Join(dir, "roc_window.csv"))
	if err != nil || !reflect.DeepEqual(curves[""], win) {
		t.Errorf("roc_window.csv read back %v (%v)", curves, err)
	}
}

// A folder written by the writers reads back (Read) as what was written.
func TestReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	axes, points := scoresFixture()
	m := Manifest{Format: FormatVersion, Experiment: "x", RunID: "r", Sweep: Sweep{"window.size": {"5", "10"}, "model.kind": {"gaussian", "markov"}},
		SweepOrder: []string{"window.size", "model.kind"}, Modules: map[string]string{}}
	for _, p := range points {
		m.Points = append(m.Points, ManifestPoint{Name: p.Point, Params: p.Params, Spec: json.RawMessage(`{"window":{"size":5}}`), Status: "ok"})
	}
	mf := metricsFixture()
	if err := WriteJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
		t.Fatal(err)
	}
	if err := WriteScores(dir, axes, points); err != nil {
		t.Fatal(err)
	}
	if err := WriteMetrics(dir, mf, m.SweepOrder); err != nil {
		t.Fatal(err)
	}
	f, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Manifest, m) {
		t.Errorf("manifest read back %+v", f.Manifest)
	}
	if f.Point(points[1].Point) == nil || f.Point(points[1].Point).Metrics["auc_host"] != 0.5 || f.Point("nope") != nil {
		t.Error("Folder.Point")
	}
	if len(f.Scores) != 2 || len(f.Scores[points[0].Point]) != 3 || !reflect.DeepEqual(f.ScoreOrder, []string{points[0].Point, points[1].Point}) {
		t.Errorf("scores read back %v", f.Scores)
	}
	// scores.csv is optional, manifest.json and metrics.json are not.
	os.Remove(filepath.Join(dir, "scores.csv"))
	if f, err := Read(dir); err != nil || f.Scores != nil {
		t.Errorf("without scores.csv: %v, %v", f, err)
	}
	os.Remove(filepath.Join(dir, "metrics.json"))
	if _, err := Read(dir); err == nil {
		t.Error("no metrics.json: no error")
	}
}
