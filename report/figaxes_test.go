package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotutil"

	"botprof/runfolder"
	"botprof/stages/evaluate"
)

// The window-level ROC has a log FPR axis whose floor, where FPR 0 is
// drawn, is 1/(2·negative windows) and is named in the axis label; the
// host-level ROC keeps its linear axis.
func TestWindowROCLogAxis(t *testing.T) {
	r, err := Load(runB)
	if err != nil {
		t.Fatal(err)
	}
	pt := &r.Points[0]
	p, err := r.rocFigure("roc_window.csv", "t", []*Point{pt}, nil, false)
	if err != nil || p == nil {
		t.Fatalf("rocFigure: %v, %v", p, err)
	}
	if _, ok := p.X.Scale.(plot.LogScale); !ok {
		t.Errorf("window ROC X scale %T, want plot.LogScale", p.X.Scale)
	}
	if _, ok := p.X.Tick.Marker.(plot.LogTicks); !ok {
		t.Errorf("window ROC X ticks %T, want plot.LogTicks", p.X.Tick.Marker)
	}
	neg := negativeWindows(pt)
	if neg == 0 {
		t.Fatal("no negative windows in scores.csv")
	}
	if want := 1 / (2 * float64(neg)); math.Abs(p.X.Min-want) > 1e-15 {
		t.Errorf("X.Min = %g, want 1/(2·%d) = %g", p.X.Min, neg, want)
	}
	if !strings.Contains(p.X.Label.Text, "FPR 0 drawn at") || !strings.Contains(p.X.Label.Text, "log") {
		t.Errorf("X label %q does not state the log scale and the floor", p.X.Label.Text)
	}
	h, err := r.rocFigure("roc_host.csv", "t", []*Point{pt}, nil, true)
	if err != nil || h == nil {
		t.Fatalf("rocFigure host: %v", err)
	}
	if _, ok := h.X.Scale.(plot.LogScale); ok {
		t.Error("host ROC has a log axis; want linear")
	}
	// Every drawn point is on the log axis (≥ the floor), else gonum panics.
	w, err := p.WriterTo(400, 300, "png")
	if err != nil {
		t.Fatal(err)
	}
	_ = w
}

// thinROC draws the points evaluate.ThinROC keeps (tested there) of a
// long curve, and a short curve as it is.
func TestThinROC(t *testing.T) {
	const m, n = 5000, 1000
	c := &rocCurve{}
	for i := range m {
		c.FPR = append(c.FPR, math.Pow(float64(i)/(m-1), 3))
		c.TPR = append(c.TPR, math.Sqrt(float64(i)/(m-1)))
	}
	got := thinROC(c, n)
	idx := evaluate.ThinROC(c.FPR, n)
	if len(got.FPR) != n || len(idx) != n {
		t.Fatalf("%d points drawn, %d kept, want %d", len(got.FPR), len(idx), n)
	}
	for k, i := range idx {
		if got.FPR[k] != c.FPR[i] || got.TPR[k] != c.TPR[i] {
			t.Fatalf("point %d is (%g, %g), want point %d (%g, %g)", k, got.FPR[k], got.TPR[k], i, c.FPR[i], c.TPR[i])
		}
	}
	short := &rocCurve{FPR: c.FPR[:10], TPR: c.TPR[:10]}
	if thinROC(short, n) != short {
		t.Error("short curve thinned")
	}
}

// The curves of a ROC figure (at most maxCurves) differ in colour and dash
// pattern from each other, and no curve has the chance line's dashes.
func TestROCLineStyles(t *testing.T) {
	seen := map[string]int{}
	for n := range maxCurves {
		if fmt.Sprint(plotutil.Dashes(n)) == fmt.Sprint(chanceDashes) {
			t.Errorf("curve %d has the chance line's dashes", n)
		}
		k := fmt.Sprint(plotutil.Color(n), plotutil.Dashes(n))
		if m, ok := seen[k]; ok {
			t.Errorf("curve %d has the colour and dashes of curve %d", n, m)
		}
		seen[k] = n
	}
}

// Coinciding ROC curves are named as such in the legend.
func TestROCSameCurveNamed(t *testing.T) {
	dir := t.TempDir()
	pdir := filepath.Join(dir, "points", "base")
	os.MkdirAll(pdir, 0o755)
	os.WriteFile(filepath.Join(pdir, "roc_host.csv"), []byte("kind,threshold,fpr,tpr\nviterbi,inf,0,0\nviterbi,1,0,1\nviterbi,0,1,1\n"+
		"loglik,inf,0,0\nloglik,1,0,1\nloglik,0,1,1\nloglik_per_window,inf,0,0\nloglik_per_window,1,0.5,1\nloglik_per_window,0,1,1\n"), 0o644)
	r := &Run{Dir: dir, Score: "loglik"}
	pt := &Point{Name: "base", Metrics: map[string]float64{}}
	p, err := r.rocFigure("roc_host.csv", "t", []*Point{pt}, nil, true)
	if err != nil || p == nil {
		t.Fatalf("rocFigure: %v, %v", p, err)
	}
	w, _ := p.WriterTo(500, 300, "svg")
	var b strings.Builder
	w.WriteTo(&b)
	if !strings.Contains(b.String(), "loglik (AUC 1.000); same curve as viterbi") {
		t.Errorf("legend does not say loglik's curve is viterbi's: %q", legendTexts(b.String()))
	}
	if strings.Contains(b.String(), "(AUC 0.750); same") {
		t.Error("a different curve called the same")
	}
}

func legendTexts(svg string) []string {
	var out []string
	for _, part := range strings.Split(svg, "AUC")[1:] {
		out = append(out, part[:min(40, len(part))])
	}
	return out
}

// On a log FPR axis a ROC segment between tied scores is drawn as the
// straight line in linear FPR it is: the all-tied curve (0, 0)–(1, 1)
// passes TPR = FPR at every drawn point, not TPR 0.5 half way across the
// decades; on a linear axis, and along a vertical or horizontal step, no
// points are added.
func TestROCXYsLogSegments(t *testing.T) {
	tied := &rocCurve{FPR: []float64{0, 1}, TPR: []float64{0, 1}}
	xys := rocXYs(tied, 1e-3, true)
	if len(xys) < 50 {
		t.Fatalf("%d points for three decades, want one every %g decades", len(xys), logStep)
	}
	for _, p := range xys[1:] {
		if math.Abs(p.Y-p.X) > 1e-12 {
			t.Fatalf("point (%g, %g) off the line TPR = FPR", p.X, p.Y)
		}
	}
	if got := rocXYs(tied, 0, false); len(got) != 2 {
		t.Errorf("linear axis: %d points, want the curve's 2", len(got))
	}
	steps := &rocCurve{FPR: []float64{0, 0, 0.5, 1}, TPR: []float64{0, 0.9, 0.9, 1}}
	got := rocXYs(steps, 1e-3, true)
	if got[0].X != 1e-3 || got[1].X != 1e-3 || got[1].Y != 0.9 || got[2].X != 0.5 || got[2].Y != 0.9 {
		t.Errorf("steps drawn as %v, want (floor, 0), (floor, 0.9), (0.5, 0.9), …", got[:3])
	}
	for i := 1; i < len(got); i++ {
		if got[i].X < got[i-1].X || got[i].Y < got[i-1].Y {
			t.Fatalf("point %d (%v) goes back from %v", i, got[i], got[i-1])
		}
	}
}

// A normal host with zero probability stays in the window ROC, so its
// windows are negatives: the log axis's floor and label counted only the
// hosts with status ok ("1/(2·720 negative windows)" for 39,880 on
// default.yaml with a categorical model), raising the floor above the
// ROC's smallest false-positive rate.
func TestNegativeWindowsCountZeroProbabilityHosts(t *testing.T) {
	pt := &Point{Hosts: []runfolder.ScoreRow{
		{Host: "p", Class: "infected", Role: "profile", Status: "ok", Windows: "500"},
		{Host: "a", Class: "normal", Role: "scored", Status: "ok", Windows: "720"},
		{Host: "b", Class: "normal", Role: "scored", Status: "zero_probability", Windows: "20971"},
		{Host: "c", Class: "normal", Role: "scored", Status: "insufficient", Windows: "0"},
		{Host: "d", Class: "infected", Role: "scored", Status: "zero_probability", Windows: "300"},
	}}
	if got := negativeWindows(pt); got != 720+20971 {
		t.Errorf("negative windows %d, want %d", got, 720+20971)
	}
}
