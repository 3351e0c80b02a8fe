package report

import (
	"math"
	"strings"
	"testing"

	"botprof/runfolder"
)

// The score figure draws one value per host, its median over the seeds,
// not every (host, seed) score as if seeds were more hosts; a host whose
// median is -Inf is counted as not drawn.
func TestScoreFigureMedianPerHost(t *testing.T) {
	g := &group{}
	for s, off := range []float64{0, 10, 20} {
		pt := &Point{Name: "p", Seed: string(rune('0' + s))}
		add := func(host, class string, v float64) {
			pt.Hosts = append(pt.Hosts, runfolder.ScoreRow{Host: host, Class: class, Status: "ok",
				Scores: runfolder.ScoresOf(map[string]float64{"loglik": v})})
		}
		add("n1", "normal", -50+off)
		add("n2", "normal", -40+off)
		add("i1", "infected", 5+off)
		add("i2", "infected", 6+off)
		if s < 2 {
			add("i3", "infected", math.Inf(-1))
		} else {
			add("i3", "infected", 7)
		}
		g.Points = append(g.Points, pt)
	}
	r := &Run{Score: "loglik"}
	p, err := r.scoreFigure(g)
	if err != nil || p == nil {
		t.Fatalf("scoreFigure: %v, %v", p, err)
	}
	var labels []string
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	want := "normal (2 hosts) infected (2 hosts)\n+1 at ±Inf, not drawn"
	if got := strings.Join(labels, " "); got != want {
		t.Errorf("classes %q, want %q (one value per host, not per host and seed)", got, want)
	}
	if !strings.Contains(p.Title.Text, "median over 3 seeds") {
		t.Errorf("title %q does not say how seeds are combined", p.Title.Text)
	}
	// The normal hosts' medians are -40 and -30: the axis spans them, not
	// the seeds' -50 … -20.
	if p.Y.Min < -41 {
		t.Errorf("Y.Min = %g: seeds' scores drawn, want hosts' medians (≥ -40)", p.Y.Min)
	}
}

// Counts in summaries and diff headers read as English: "1 point", "1
// more in metrics.json", not "1 points".
func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "test", "0 tests"},
		{1, "test", "1 test"},
		{2, "test", "2 tests"},
		{1, "point", "1 point"},
		{0, "point", "0 points"},
		{2, "entry", "2 entries"},
		{1, "entry", "1 entry"},
		{3, "data-file hash", "3 data-file hashes"},
		{2, "dir", "2 dirs"},
	} {
		if got := Count(tc.n, tc.noun); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}
