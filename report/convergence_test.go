package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"botprof/runfolder"
)

// The convergence figure names the restart convergence.json says was kept
// (best_restart, as pipeline writes it) and draws every restart, not the
// first ten: the kept one here is restart 14 of 20.
func TestLoglikFigureMarksKeptRestart(t *testing.T) {
	dir := t.TempDir()
	ts := runfolder.TrainSummary{Best: 14}
	for i := 0; i < 20; i++ {
		ts.Restarts = append(ts.Restarts, runfolder.RestartTrace{Seed: uint64(100 + i), LogLik: float64(i),
			History: []float64{-10, float64(i)}})
	}
	b, _ := json.Marshal(ts)
	os.MkdirAll(filepath.Join(dir, "points", "base"), 0o755)
	os.WriteFile(filepath.Join(dir, "points", "base", "convergence.json"), b, 0o644)
	r := &Run{Dir: dir}
	best := &Point{Name: "base"}
	p, err := r.loglikFigure(&group{Points: []*Point{best}}, best)
	if err != nil || p == nil {
		t.Fatalf("loglikFigure: %v, %v", p, err)
	}
	w, err := p.WriterTo(400, 300, "svg")
	if err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	w.WriteTo(&svg)
	for _, want := range []string{"kept: restart 14, seed 114", "other restarts (19)"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("figure lacks %q", want)
		}
	}
	// 20 restarts: 20 lines (one path each) plus axes.
	if n := strings.Count(svg.String(), "<path"); n < 20 {
		t.Errorf("%d paths in the figure, want at least one per restart (20)", n)
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
