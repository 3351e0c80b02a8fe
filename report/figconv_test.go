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

// The convergence figure's legend gives the kept restart's final
// log-likelihood and the others' range: on the plot they differ by little
// next to the climb from the first iteration.
func TestLoglikFigureFinalValues(t *testing.T) {
	dir := t.TempDir()
	ts := runfolder.TrainSummary{Best: 2}
	for i, ll := range []float64{1403031.2, 1408489.25, 1410407.2, 1409399.1} {
		ts.Restarts = append(ts.Restarts, runfolder.RestartTrace{Seed: uint64(i), LogLik: ll,
			History: []float64{-400000, ll}})
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
	w, err := p.WriterTo(500, 300, "svg")
	if err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	w.WriteTo(&svg)
	for _, want := range []string{"kept: restart 2, seed 2, final 1410407.2", "other restarts (3), final 1403031.2 to 1409399.1"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("figure lacks %q", want)
		}
	}
}
