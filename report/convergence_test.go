package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"botprof/runfolder"
)

// loglikSVG draws the convergence figure of a one-point run whose
// convergence.json holds ts, as SVG.
func loglikSVG(t *testing.T, ts runfolder.TrainSummary, width, height float64) string {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(ts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "points", "base"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "points", "base", "convergence.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Run{Dir: dir}
	best := &Point{Name: "base"}
	p, err := r.loglikFigure(&group{Points: []*Point{best}}, best)
	if err != nil || p == nil {
		t.Fatalf("loglikFigure: %v, %v", p, err)
	}
	w, err := p.WriterTo(vg.Length(width), vg.Length(height), "svg")
	if err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	if _, err := w.WriteTo(&svg); err != nil {
		t.Fatal(err)
	}
	return svg.String()
}

// The convergence figure names the restart convergence.json says was kept
// (best_restart, as pipeline writes it) and draws every restart, not the
// first ten: the kept one here is restart 14 of 20.
func TestLoglikFigureMarksKeptRestart(t *testing.T) {
	ts := runfolder.TrainSummary{Best: 14}
	for i := 0; i < 20; i++ {
		ts.Restarts = append(ts.Restarts, runfolder.RestartTrace{Seed: uint64(100 + i), LogLik: float64(i),
			History: []float64{-10, float64(i)}})
	}
	svg := loglikSVG(t, ts, 400, 300)
	for _, want := range []string{"kept: restart 14, seed 114", "other restarts (19)"} {
		if !strings.Contains(svg, want) {
			t.Errorf("figure lacks %q", want)
		}
	}
	// 20 restarts: 20 lines (one path each) plus axes.
	if n := strings.Count(svg, "<path"); n < 20 {
		t.Errorf("%d paths in the figure, want at least one per restart (20)", n)
	}
}

// The convergence figure's legend gives the kept restart's final
// log-likelihood and the others' range: on the plot they differ by little
// next to the climb from the first iteration.
func TestLoglikFigureFinalValues(t *testing.T) {
	ts := runfolder.TrainSummary{Best: 2}
	for i, ll := range []float64{1403031.2, 1408489.25, 1410407.2, 1409399.1} {
		ts.Restarts = append(ts.Restarts, runfolder.RestartTrace{Seed: uint64(i), LogLik: ll,
			History: []float64{-400000, ll}})
	}
	svg := loglikSVG(t, ts, 500, 300)
	for _, want := range []string{"kept: restart 2, seed 2, final 1410407.2", "other restarts (3), final 1403031.2 to 1409399.1"} {
		if !strings.Contains(svg, want) {
			t.Errorf("figure lacks %q", want)
		}
	}
}

// ROC legends carry each curve's AUC (from metrics.json) and the chance
// line has its own legend entry.
func TestROCLegendsCarryAUC(t *testing.T) {
	r, err := Load(filepath.Join("testdata", "runs", "a"))
	if err != nil {
		t.Fatal(err)
	}
	pt := &r.Points[0]
	p, err := r.rocFigure("roc_host.csv", "t", []*Point{pt}, nil, true)
	if err != nil || p == nil {
		t.Fatalf("rocFigure: %v", err)
	}
	w, _ := p.WriterTo(400, 300, "svg")
	var svg bytes.Buffer
	w.WriteTo(&svg)
	want := fmt.Sprintf("(AUC %.3f)", pt.Metrics["auc_host"])
	for _, s := range []string{want, "chance (AUC 0.5)"} {
		if !strings.Contains(svg.String(), s) {
			t.Errorf("ROC figure lacks %q", s)
		}
	}
}
