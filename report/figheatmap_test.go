package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// heatGroups makes groups over the axes given (key → values), each with
// seeds points whose metrics are auc_host, auc_window and margin.
func heatGroups(axes [][2]string, seeds int) []*group {
	gs := []*group{{}}
	for _, ax := range axes {
		var next []*group
		for _, g := range gs {
			for _, v := range strings.Split(ax[1], ",") {
				c := append(slices.Clone(g.Config), kv{ax[0], v})
				next = append(next, &group{Config: c})
			}
		}
		gs = next
	}
	for gi, g := range gs {
		for s := range seeds {
			v := 0.9 + 0.001*float64(gi) + 0.0001*float64(s)
			g.Points = append(g.Points, &Point{Name: fmt.Sprint(g.Config, s),
				Metrics: map[string]float64{"auc_host": v, "auc_window": v - 0.1, "margin": 10 * v}})
		}
	}
	return gs
}

func svgText(t *testing.T, f figure) string {
	t.Helper()
	c := newSVG()
	f.draw(draw.New(c))
	var b strings.Builder
	if _, err := c.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Heatmaps: auc_host, auc_window and margin, each with a colour bar and
// the median over seeds with its IQR written in the cells, over any two
// axes (a non-numeric one included).
func TestHeatmapsPerMetric(t *testing.T) {
	gs := heatGroups([][2]string{{"model.kind", "categorical,gaussian"}, {"window.size", "5,10,20"}}, 5)
	figs, err := heatmapFigures(gs)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.name)
		if f.bar == nil || f.key == nil {
			t.Errorf("%s: no colour bar", f.name)
		} else if lo, hi := f.key.min, f.key.max; !(lo < hi) {
			t.Errorf("%s: colour bar range [%g, %g]", f.name, lo, hi)
		}
		if f.plot.X.Label.Text != "window.size" || f.plot.Y.Label.Text != "model.kind" {
			t.Errorf("%s: axes %s × %s, want window.size (3 values) × model.kind (2)", f.name, f.plot.X.Label.Text, f.plot.Y.Label.Text)
		}
		if !strings.Contains(f.plot.Title.Text, "median over seeds [IQR]") {
			t.Errorf("%s: title %q does not say what a cell is", f.name, f.plot.Title.Text)
		}
	}
	if want := "heatmap_auc_host heatmap_auc_window heatmap_margin"; strings.Join(names, " ") != want {
		t.Fatalf("heatmaps %v, want %s", names, want)
	}
	// Cell (categorical, 5) is group 0: seeds 0.9000 … 0.9004, median
	// 0.9002, IQR [0.9001, 0.9003].
	svg := svgText(t, figs[0])
	for _, s := range []string{"0.900", "[0.900, 0.900]"} {
		if !strings.Contains(svg, s) {
			t.Errorf("auc_host heatmap lacks the cell text %q", s)
		}
	}
	if !strings.Contains(svgText(t, figs[2]), "[9, 9]") {
		t.Error("margin heatmap lacks a cell's IQR")
	}
}

// With three swept axes, the two with the most values are the heatmap's
// and there is one heatmap per value of the third; with more combinations
// than maxHeatmapSlices, one heatmap pools them and says so.
func TestHeatmapsSliceOtherAxes(t *testing.T) {
	gs := heatGroups([][2]string{{"a", "1,2"}, {"b", "1,2,3,4"}, {"c", "1,2,3"}}, 3)
	figs, err := heatmapFigures(gs)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 3*2 {
		t.Fatalf("%d heatmaps, want 3 metrics × 2 values of a", len(figs))
	}
	if figs[0].name != "heatmap_auc_host_a_1" || figs[1].name != "heatmap_auc_host_a_2" {
		t.Errorf("names %s, %s", figs[0].name, figs[1].name)
	}
	if x, y := figs[0].plot.X.Label.Text, figs[0].plot.Y.Label.Text; x != "b" || y != "c" {
		t.Errorf("axes %s × %s, want b × c", x, y)
	}
	if !strings.Contains(figs[1].plot.Title.Text, "a=2") {
		t.Errorf("title %q does not name its slice", figs[1].plot.Title.Text)
	}
	// The slices of a metric share one colour scale: the span of every
	// configuration's median, 0.9001 (first group) to 0.9231 (24th).
	for _, f := range figs[:2] {
		if lo, hi := f.key.min, f.key.max; math.Abs(lo-0.9001) > 1e-9 || math.Abs(hi-0.9231) > 1e-9 {
			t.Errorf("%s: colour scale [%g, %g], want the shared [0.9001, 0.9231]", f.name, lo, hi)
		}
	}
	gs = heatGroups([][2]string{{"a", "1,2,3"}, {"b", "1,2,3,4"}, {"c", "1,2,3"}, {"d", "x,y,z"}}, 1)
	figs, err = heatmapFigures(gs)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 3 {
		t.Fatalf("%d heatmaps, want one per metric (9 slices pooled)", len(figs))
	}
	if !strings.Contains(figs[0].plot.Title.Text, "pooled over") {
		t.Errorf("title %q does not say the cells pool", figs[0].plot.Title.Text)
	}
}

// A cell's median is over every seed: three of five seeds with margin
// -Inf make the median -Inf, written in the cell, uncoloured. The heatmap
// dropped infinite values first and showed the median of the two finite
// seeds (124 here), where summary.md says -Inf.
func TestHeatmapMedianKeepsInfiniteSeeds(t *testing.T) {
	gs := heatGroups([][2]string{{"model.kind", "categorical,gaussian"}, {"window.size", "5,10"}}, 5)
	for s, p := range gs[0].Points {
		p.Metrics["margin"] = []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1), 123, 125}[s]
	}
	figs, err := heatmapFigures(gs)
	if err != nil {
		t.Fatal(err)
	}
	var margin *figure
	for i := range figs {
		if figs[i].name == "heatmap_margin" {
			margin = &figs[i]
		}
	}
	if margin == nil {
		t.Fatal("no margin heatmap")
	}
	if want := Median(gs[0].values("margin")); !math.IsInf(want, -1) {
		t.Fatalf("summary median %v, want -Inf", want)
	}
	svg := svgText(t, *margin)
	if strings.Contains(svg, ">124<") || !strings.Contains(svg, "-Inf") {
		t.Errorf("margin heatmap cell: want the median -Inf over all seeds, not 124 over the finite ones")
	}
	if lo, hi := margin.key.min, margin.key.max; math.IsInf(lo, 0) || math.IsInf(hi, 0) || !(lo < hi) {
		t.Errorf("colour bar [%g, %g]", lo, hi)
	}
}

// The colour bar is the key of the heatmap's colours: 64 bands, each the
// values [lo, hi] the heatmap gives one palette colour, drawn as that
// colour from lo (and under the next band) and as vector shapes in the SVG (the
// continuous colour bar showed colours no cell has, from an embedded PNG).
func TestHeatmapColourBarIsItsPalette(t *testing.T) {
	gs := heatGroups([][2]string{{"model.kind", "categorical,gaussian"}, {"window.size", "5,10,20"}}, 3)
	figs, err := heatmapFigures(gs)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		b := f.key
		if len(b.pal) != heatmapColors {
			t.Fatalf("%s: %d colours, want %d", f.name, len(b.pal), heatmapColors)
		}
		// What the bar draws: one filled rectangle per band, bottom up.
		rec := &recorder.Canvas{}
		b.Plot(draw.NewCanvas(rec, vg.Inch, 3*vg.Inch), f.bar)
		_, trY := f.bar.Transforms(&draw.Canvas{Canvas: rec, Rectangle: vg.Rectangle{Max: vg.Point{X: vg.Inch, Y: 3 * vg.Inch}}})
		var colours []color.Color
		var bottoms []vg.Length
		for _, a := range rec.Actions {
			switch a := a.(type) {
			case *recorder.SetColor:
				colours = append(colours, a.Color)
			case *recorder.Fill:
				bottom := a.Path[0].Pos.Y
				for _, c := range a.Path {
					if c.Type != vg.CloseComp {
						bottom = min(bottom, c.Pos.Y)
					}
				}
				bottoms = append(bottoms, bottom)
			}
		}
		if len(colours) != heatmapColors || len(bottoms) != heatmapColors {
			t.Fatalf("%s: %d colours and %d rectangles drawn, want %d", f.name, len(colours), len(bottoms), heatmapColors)
		}
		prev := b.min
		for i := range heatmapColors {
			lo, hi := b.band(i)
			if math.Abs(lo-prev) > 1e-12 || !(lo < hi) {
				t.Fatalf("%s: band %d [%g, %g] does not follow the last at %g", f.name, i, lo, hi, prev)
			}
			prev = hi
			if d := bottoms[i] - trY(lo); math.Abs(float64(d)) > 1e-9 {
				t.Errorf("%s: band %d drawn from %v, want %v", f.name, i, bottoms[i], trY(lo))
			}
			// The heatmap's colour of a cell at the band's middle, its
			// low end (the band's first, but for the lowest, is exact
			// halfway; gonum rounds it up) and just below its high end.
			for _, v := range []float64{(lo + hi) / 2, max(lo, b.min+(float64(i)-0.5+1e-9)*(b.max-b.min)/63), hi - 1e-9*(hi-lo)} {
				if got := heatmapColour(t, b, v); got != colours[i] {
					t.Errorf("%s: band %d [%g, %g] drawn %v, the heatmap colours %g %v", f.name, i, lo, hi, colours[i], v, got)
				}
			}
		}
		if math.Abs(prev-b.max) > 1e-12 {
			t.Errorf("%s: bands end at %g, want %g", f.name, prev, b.max)
		}
		if svg := svgText(t, f); strings.Contains(svg, "<image") {
			t.Errorf("%s: the SVG embeds an image", f.name)
		}
	}
}

// heatmapColour is the colour a heatmap with b's palette and range gives a
// single cell of value v.
func heatmapColour(t *testing.T, b *paletteBar, v float64) color.Color {
	t.Helper()
	h := plotter.NewHeatMap(grid{z: [][]float64{{v}}, cols: 1, rows: 1}, b)
	h.Min, h.Max = b.min, b.max
	p := plot.New()
	p.Add(h)
	rec := &recorder.Canvas{}
	h.Plot(draw.NewCanvas(rec, vg.Inch, vg.Inch), p)
	var c color.Color
	for _, a := range rec.Actions {
		switch a := a.(type) {
		case *recorder.SetColor:
			c = a.Color
		case *recorder.Fill:
			return c
		}
	}
	t.Fatalf("value %g: no cell drawn", v)
	return nil
}
