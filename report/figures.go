package report

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"botprof/report/plural"
	"botprof/runfolder"
	"botprof/stages/evaluate"
)

// Figure size: 6 × 4 in; PNGs are rendered at 96 dpi (576 × 384 pixels).
const (
	FigureWidth  = 6 * vg.Inch
	FigureHeight = 4 * vg.Inch
)

// Limits that keep a large sweep readable and fast to render.
const (
	maxCurves    = 10 // lines per figure
	maxParamKeys = 4  // swept keys that get per-value ROC figures
)

// WriteFigures writes dir/figures/<name>.svg and .png for the results folder
// dir: host- and window-level ROC curves of the best point (roc_host,
// roc_window) and of the best point per value of each swept parameter
// (roc_host_by_<key>, roc_window_by_<key>), host score distributions per class
// (scores_by_class), heatmaps of auc_host, auc_window and margin (median
// over seeds, IQR, colour bar) over two swept parameters when at least two
// are swept (heatmap_<metric>[_<other key>_<value>], see heatmapFigures),
// and the training log-likelihood per EM iteration of the best point
// (loglik). Window-level ROCs have a log FPR axis. Figures whose input files
// are missing are skipped.
func WriteFigures(dir string) error {
	r, err := load(dir, shownHosts)
	if err != nil {
		return err
	}
	return r.saveFigures()
}

// saveFigures writes r.Dir/figures/ (see WriteFigures).
func (r *Run) saveFigures() error {
	figs, err := r.figures()
	if err != nil {
		return err
	}
	out := filepath.Join(r.Dir, "figures")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// Figures are independent: render them on all cores, each figure's
	// PNG and SVG by one goroutine from one drawing of its plot (so that
	// no two goroutines draw the same plot). A file's bytes do not depend
	// on which worker wrote it or when.
	errs := make([]error, len(figs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(figs)); w++ {
		wg.Go(func() {
			var px pixels // this worker's canvas and encoder buffers, reused
			for i := range next {
				if err := saveFigure(figs[i], out, &px); err != nil {
					errs[i] = fmt.Errorf("figure %s: %w", figs[i].name, err)
				}
			}
		})
	}
	for i := range figs {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// figure is one plot, with its colour bar to its right when bar is set.
type figure struct {
	name string
	plot *plot.Plot
	bar  *plot.Plot // a plot holding key alone, or nil
	// key is the colour bar drawn in bar.
	key *paletteBar
}

// colorBarWidth is the strip on the right of a figure that holds its colour bar.
const colorBarWidth = 1.1 * vg.Inch

// draw draws the figure on c: the plot, and its colour bar in a strip on the right.
func (f figure) draw(c draw.Canvas) {
	if f.bar == nil {
		f.plot.Draw(c)
		return
	}
	f.plot.Draw(draw.Crop(c, 0, -colorBarWidth, 0, 0))
	// The strip's bottom and top are cut to about the plot's axis and
	// title, so that the bar spans the heatmap's height.
	w := c.Max.X - c.Min.X
	f.bar.Draw(draw.Crop(c, w-colorBarWidth+0.15*vg.Inch, 0, 0.45*vg.Inch, -0.22*vg.Inch))
}

// saveFigure writes f to dir/<name>.png and dir/<name>.svg, from one
// drawing of its plot on both canvases (see tee), the PNG rasterised on px.
func saveFigure(f figure, dir string, px *pixels) error {
	png := px.canvas()
	svg := newSVG()
	f.draw(draw.New(tee{png, svg}))
	if err := writeFile(filepath.Join(dir, f.name+".png"), func(w io.Writer) error { return px.encode(w) }); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, f.name+".svg"), func(w io.Writer) error {
		_, err := svg.WriteTo(w)
		return err
	})
}

// newSVG returns an SVG canvas of a figure's size on a white page. The
// figures' plots have no background of their own (see figures): the PNG
// canvas starts white, and painting a plot's background on it again cost
// as much as the rest of its filled shapes.
func newSVG() *vgsvg.Canvas {
	c := vgsvg.New(FigureWidth, FigureHeight)
	c.Push()
	c.SetColor(color.White)
	c.Fill(draw.New(c).Rectangle.Path())
	c.Pop()
	return c
}

// writeFile writes path through a temporary file in its folder, renamed to
// path once write succeeds.
func writeFile(path string, write func(io.Writer) error) error {
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// tee is a vg.Canvas that passes every call on to two canvases (the PNG's
// and the SVG's), so that a plot's layout (text widths, ticks, glyph
// boxes) is worked out once for both files: plot.Draw only calls the
// vg.Canvas methods, so each canvas gets the calls it would get drawn on
// alone. Its size is the first canvas's.
type tee [2]vg.Canvas

func (t tee) SetLineWidth(w vg.Length) { t[0].SetLineWidth(w); t[1].SetLineWidth(w) }
func (t tee) SetLineDash(pattern []vg.Length, offset vg.Length) {
	t[0].SetLineDash(pattern, offset)
	t[1].SetLineDash(pattern, offset)
}
func (t tee) SetColor(c color.Color) { t[0].SetColor(c); t[1].SetColor(c) }
func (t tee) Rotate(rad float64)     { t[0].Rotate(rad); t[1].Rotate(rad) }
func (t tee) Translate(pt vg.Point)  { t[0].Translate(pt); t[1].Translate(pt) }
func (t tee) Scale(x, y float64)     { t[0].Scale(x, y); t[1].Scale(x, y) }
func (t tee) Push()                  { t[0].Push(); t[1].Push() }
func (t tee) Pop()                   { t[0].Pop(); t[1].Pop() }
func (t tee) Stroke(p vg.Path)       { t[0].Stroke(p); t[1].Stroke(p) }
func (t tee) Fill(p vg.Path)         { t[0].Fill(p); t[1].Fill(p) }
func (t tee) Size() (w, h vg.Length) { return t[0].(vg.CanvasSizer).Size() }
func (t tee) FillString(f font.Face, pt vg.Point, text string) {
	t[0].FillString(f, pt, text)
	t[1].FillString(f, pt, text)
}
func (t tee) DrawImage(rect vg.Rectangle, img image.Image) {
	t[0].DrawImage(rect, img)
	t[1].DrawImage(rect, img)
}

func (r *Run) figures() ([]figure, error) {
	gs, _ := r.groups()
	sel := r.selectMetric()
	ranked := rankGroups(gs, sel)
	if len(ranked) == 0 {
		return nil, nil
	}
	best := ranked[0]
	bp := best.bestPoint(sel)
	var figs []figure
	add := func(name string, p *plot.Plot, err error) error {
		if err != nil {
			return err
		}
		if p != nil {
			figs = append(figs, figure{name: name, plot: p})
		}
		return nil
	}
	title := fmt.Sprintf("best point %s, seed %s", best.Config, orDash(bp.Seed))
	p, err := r.rocFigure("roc_host.csv", "Host-level ROC, "+title, []*Point{bp}, nil, true)
	if err := add("roc_host", p, err); err != nil {
		return nil, err
	}
	p, err = r.rocFigure("roc_window.csv", "Window-level ROC, "+title, []*Point{bp}, nil, false)
	if err := add("roc_window", p, err); err != nil {
		return nil, err
	}
	for i, key := range sweptKeys(gs) {
		if i == maxParamKeys {
			break
		}
		vals := axisValues(gs, key)
		if len(vals) < 2 || len(vals) > maxCurves {
			continue
		}
		var pts []*Point
		var names []string
		for _, v := range vals {
			for _, g := range ranked { // best group with this value
				if gv, _ := g.Config.get(key); gv == v {
					pts = append(pts, g.bestPoint(sel))
					names = append(names, key+"="+v)
					break
				}
			}
		}
		p, err := r.rocFigure("roc_host.csv", "Host-level ROC by "+key+" (best point per value)", pts, names, false)
		if err := add("roc_host_by_"+fileSafe(key), p, err); err != nil {
			return nil, err
		}
		p, err = r.rocFigure("roc_window.csv", "Window-level ROC by "+key+" (best point per value)", pts, names, false)
		if err := add("roc_window_by_"+fileSafe(key), p, err); err != nil {
			return nil, err
		}
	}
	p, err = r.scoreFigure(best)
	if err := add("scores_by_class", p, err); err != nil {
		return nil, err
	}
	hm, err := heatmapFigures(gs)
	if err != nil {
		return nil, err
	}
	figs = append(figs, hm...)
	p, err = r.loglikFigure(best, bp)
	if err := add("loglik", p, err); err != nil {
		return nil, err
	}
	for _, f := range figs {
		// The page is white (see newSVG).
		f.plot.BackgroundColor = nil
		if f.bar != nil {
			f.bar.BackgroundColor = nil
		}
	}
	return figs, nil
}

// newPlot returns a plot.New() whose text (title, axis and tick labels,
// legend) is measured through one textCache.
func newPlot() *plot.Plot {
	p := plot.New()
	h := &textCache{
		Plain:   text.Plain{Fonts: p.TextHandler.Cache()},
		widths:  map[textKey]vg.Length{},
		extents: map[font.Font]font.Extents{},
	}
	p.TextHandler = h
	p.Title.TextStyle.Handler = h
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Handler = h
		a.Tick.Label.Handler = h
	}
	p.Legend.TextStyle.Handler = h
	return p
}

// textCache is text.Plain keeping the widths of strings and the extents
// of fonts it gives. Laying out a plot, gonum measures each title, tick
// label and legend entry many times, and font.Face's Width and Extents
// allocate a glyph buffer of over a kilobyte per call: that was an eighth
// of the CPU of the report in a fresh process. Not safe for concurrent
// use: each figure's plots are drawn by one goroutine.
type textCache struct {
	text.Plain
	widths  map[textKey]vg.Length
	extents map[font.Font]font.Extents
}

// textKey is a string in a font.
type textKey struct {
	text string
	font font.Font
}

// Extents returns the extents of fnt, as text.Plain does.
func (h *textCache) Extents(fnt font.Font) font.Extents {
	e, ok := h.extents[fnt]
	if !ok {
		e = h.Plain.Extents(fnt)
		h.extents[fnt] = e
	}
	return e
}

// Box returns the width, height and depth of txt in fnt, as text.Plain does.
func (h *textCache) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	k := textKey{txt, fnt}
	w, ok := h.widths[k]
	if !ok {
		face := h.Fonts.Lookup(fnt, fnt.Size)
		w = face.Width(txt)
		h.widths[k] = w
	}
	e := h.Extents(fnt)
	return w, e.Ascent, e.Descent
}

// sweptKeys returns the keys (minus the seed) that take more than one value.
func sweptKeys(gs []*group) []string {
	var keys []string
	seen := map[string]bool{}
	for _, g := range gs {
		for _, kv := range g.Config {
			if !seen[kv.Key] {
				seen[kv.Key] = true
				if len(axisValues(gs, kv.Key)) > 1 {
					keys = append(keys, kv.Key)
				}
			}
		}
	}
	return keys
}

// aucLabel is " (AUC 0.987)" for a curve: the point's metric (exact, from
// metrics.json: the curve files may be downsampled) or, without it, the
// area under the drawn curve.
func aucLabel(pt *Point, metric, kind string, c *rocCurve) string {
	key := metric
	if kind != "" {
		key += "." + kind
	}
	v, ok := pt.Metrics[key]
	if !ok && kind == "" {
		v, ok = pt.Metrics[metric]
	}
	if !ok {
		v = 0
		for j := 1; j < len(c.FPR); j++ {
			v += (c.FPR[j] - c.FPR[j-1]) * (c.TPR[j] + c.TPR[j-1]) / 2
		}
	}
	if math.IsNaN(v) {
		return " (AUC undefined)"
	}
	return fmt.Sprintf(" (AUC %.3f)", v)
}

// rocFigure draws the ROC curves in file of the points: one line per score
// kind when allKinds (host ROC of one point), else the primary kind per point.
// Window-level ROCs (roc_window.csv) get a log FPR axis, where detectors are
// told apart at the low false positive rates an operator can afford; FPR 0
// cannot be drawn on it and is drawn at a floor, 1/(2·negative windows),
// which the axis label states.
func (r *Run) rocFigure(file, title string, pts []*Point, names []string, allKinds bool) (*plot.Plot, error) {
	metric := "auc_host"
	logX := file == "roc_window.csv"
	if logX {
		metric = "auc_window"
	}
	type drawn struct {
		label string
		c     *rocCurve
	}
	var lines []drawn
	negatives := 0 // the most negatives of any point drawn: the lowest floor
	minFPR := 1.0  // the smallest FPR > 0 drawn, when negatives are not known
	for i, pt := range pts {
		curves, kinds, err := readROC(filepath.Join(r.Dir, "points", pt.Name, file))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		negatives = max(negatives, negativeWindows(pt))
		for _, k := range kinds {
			if !allKinds && k != "" && k != r.Score && len(kinds) > 1 {
				continue
			}
			label := k
			if !allKinds {
				label = pt.Name
				if names != nil {
					label = names[i]
				}
			}
			if label == "" {
				label = "windows"
			}
			c := curves[k]
			for _, f := range c.FPR {
				if f > 0 && f < minFPR {
					minFPR = f
				}
			}
			lines = append(lines, drawn{label + aucLabel(pt, metric, k, c), thinROC(c, maxROCPoints)})
		}
	}
	if len(lines) == 0 {
		return nil, nil
	}
	p := newPlot()
	p.Title.Text = title
	p.X.Label.Text = "false positive rate"
	p.Y.Label.Text = "true positive rate"
	// A little room beyond [0, 1], so that a curve along FPR 0 or TPR 1
	// (the common perfect ROC) is not hidden under the axes.
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.015, 1.015, -0.015, 1.015
	p.Legend.Top = false
	p.Legend.Left = false
	floor := 0.0
	if logX {
		floor = minFPR / 2
		how := "half the smallest FPR drawn"
		if negatives > 0 {
			floor = 1 / (2 * float64(negatives))
			how = fmt.Sprintf("1/(2·%d negative windows)", negatives)
		}
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Min, p.X.Max = floor, 1
		p.X.Label.Text = fmt.Sprintf("false positive rate (log scale)\nFPR 0 drawn at %.2g = %s", floor, how)
		p.X.Label.TextStyle.Font.Size = vg.Points(10)
		// Right-aligned: gonum places a centred label's box at the data
		// midpoint, near the right end of a log axis, and pads the plot
		// for it (plot v0.17 axis.go, horizontalAxis.GlyphBoxes).
		p.X.Label.Position = draw.PosRight
		// Bottom left, clear of the curves' rise at the floor: the chance
		// curve takes the bottom right on a log axis.
		p.Legend.Left = true
		p.Legend.XOffs, p.Legend.YOffs = 0.25*vg.Inch, 0.05*vg.Inch
	}
	// The chance line TPR = FPR: straight on a linear axis, a curve on a log one.
	var chance plotter.XYs
	if logX {
		for e := math.Log10(floor); e < 0; e += logStep {
			chance = append(chance, plotter.XY{X: math.Pow(10, e), Y: math.Pow(10, e)})
		}
	}
	chance = append(chance, plotter.XY{X: floor, Y: floor}, plotter.XY{X: 1, Y: 1})
	sort.Slice(chance, func(i, j int) bool { return chance[i].X < chance[j].X })
	diag, _ := plotter.NewLine(chance)
	diag.Dashes = chanceDashes
	diag.Color = color.Gray{Y: 140}
	p.Add(diag)
	p.Legend.Add("chance (AUC 0.5)", diag)
	for n, d := range lines {
		// Curves that coincide cannot be told apart by their dashes
		// alone: the legend says which earlier curve they repeat.
		for _, e := range lines[:n] {
			if slices.Equal(e.c.FPR, d.c.FPR) && slices.Equal(e.c.TPR, d.c.TPR) {
				d.label += "; same curve as " + strings.SplitN(e.label, " (AUC", 2)[0]
				break
			}
		}
		l, err := plotter.NewLine(rocXYs(d.c, floor, logX))
		if err != nil {
			return nil, err
		}
		// Colour and dash pattern both vary, so overlapping curves
		// (common: many configurations reach AUC 1) stay apart.
		l.Color = plotutil.Color(n)
		l.Dashes = plotutil.Dashes(n)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(d.label, l)
	}
	return p, nil
}

// logStep is the widest step, in decades of FPR, of a line drawn on a log
// FPR axis.
const logStep = 0.05

// rocXYs are the points of curve c to draw, FPR 0 at floor. Between two
// points of a ROC curve (a group of tied scores) the curve is the straight
// line in linear FPR; on a log axis that line is a curve, like the chance
// line, so such a segment gets points every logStep decades: joining its
// ends straight would show a TPR the detector does not reach (a curve of
// only (0, 0) and (1, 1), all scores tied, would read as TPR 0.5 at FPR
// 0.03 instead of 0.03).
func rocXYs(c *rocCurve, floor float64, logX bool) plotter.XYs {
	xys := make(plotter.XYs, 0, len(c.FPR))
	for j := range c.FPR {
		if logX && j > 0 && c.TPR[j] != c.TPR[j-1] {
			f0, f1, t0, t1 := c.FPR[j-1], c.FPR[j], c.TPR[j-1], c.TPR[j]
			for e := math.Log10(max(f0, floor)) + logStep; e < math.Log10(f1); e += logStep {
				f := math.Pow(10, e)
				xys = append(xys, plotter.XY{X: f, Y: t0 + (t1-t0)*(f-f0)/(f1-f0)})
			}
		}
		xys = append(xys, plotter.XY{X: max(c.FPR[j], floor), Y: c.TPR[j]})
	}
	return xys
}

// chanceDashes is the chance line's pattern, dotted (and grey): no curve's
// pattern (plotutil.Dashes) looks like it.
var chanceDashes = []vg.Length{vg.Points(1), vg.Points(3)}

// maxROCPoints bounds the points drawn per ROC curve.
const maxROCPoints = 2000

// thinROC returns at most n (≥ 4) points of c for drawing: c itself when it
// is short enough, else the points evaluate.ThinROC keeps (the low-FPR end
// first, which on a log axis is most of the figure).
func thinROC(c *rocCurve, n int) *rocCurve {
	if len(c.FPR) <= n {
		return c
	}
	out := &rocCurve{}
	for _, i := range evaluate.ThinROC(c.FPR, n) {
		out.FPR, out.TPR = append(out.FPR, c.FPR[i]), append(out.TPR, c.TPR[i])
	}
	return out
}

// negativeWindows is the number of windows of the scored normal hosts of
// pt, the negatives of its window ROC; 0 when scores.csv does not say.
func negativeWindows(pt *Point) int {
	n := 0
	for _, h := range pt.Hosts {
		// A zero_probability host stays in the ROC (some of its windows
		// score -Inf); only an insufficient one has no window in it.
		if h.Class != "normal" || h.Role == "profile" || h.Status == "insufficient" {
			continue
		}
		w, err := strconv.Atoi(h.Windows)
		if err != nil {
			return 0
		}
		n += w
	}
	return n
}

// scoreFigure draws the primary host score per class over the hosts of
// group g: each host is one value, its median over the group's seeds (seeds
// are repetitions of one host, not independent hosts), drawn as a dot over
// a box plot of its class; the title says so.
func (r *Run) scoreFigure(g *group) (*plot.Plot, error) {
	byClass := map[string]plotter.Values{}
	infinite := map[string]int{} // hosts whose median is ±Inf (impossible under the model) cannot be drawn
	hosts, class := g.hosts()
	for _, h := range hosts {
		var vals []float64
		inf := 0
		for _, v := range g.hostValues(h, r.Score) {
			if !math.IsNaN(v) {
				vals = append(vals, v)
			}
			if math.IsInf(v, 0) {
				inf++
			}
		}
		if len(vals) == 0 {
			continue
		}
		m := Median(vals)
		c := class[h]
		if math.IsInf(m, 0) || (math.IsNaN(m) && inf > 0) { // NaN: halfway between -Inf and a number
			infinite[c]++
			continue
		}
		byClass[c] = append(byClass[c], m)
	}
	var classes []string
	for _, c := range []string{"profile", "normal", "infected"} {
		if len(byClass[c])+infinite[c] > 0 {
			classes = append(classes, c)
		}
	}
	if len(classes) == 0 {
		return nil, nil
	}
	p := newPlot()
	what := fmt.Sprintf("each dot a host, its median over %d seeds", len(g.Points))
	if len(g.Points) == 1 {
		what = "each dot a host, seed " + orDash(g.Points[0].Seed)
	}
	p.Title.Text = fmt.Sprintf("Host %s by class, %s\n%s", r.Score, g.Config, what)
	p.Y.Label.Text = r.Score + " score"
	p.X.Label.Text = "host class"
	names := make([]string, len(classes))
	for i, c := range classes {
		if vs := byClass[c]; len(vs) > 0 {
			b, err := plotter.NewBoxPlot(vg.Points(40), float64(i), vs)
			if err != nil {
				return nil, err
			}
			b.FillColor = plotutil.Color(i)
			b.GlyphStyle.Radius = 0 // outliers are drawn as dots like every host
			p.Add(b)
			xys := make(plotter.XYs, len(vs))
			for j, v := range vs {
				// A small deterministic spread, so that hosts with equal scores stay visible.
				xys[j] = plotter.XY{X: float64(i) + 0.12*(float64(j%5)-2)/2, Y: v}
			}
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			sc.GlyphStyle.Radius = vg.Points(2.5)
			sc.GlyphStyle.Color = color.Black
			p.Add(sc)
		}
		// Box plots have no legend thumbnail: the axis names each box.
		names[i] = fmt.Sprintf("%s (%s)", c, Count(len(byClass[c]), "host"))
		if n := infinite[c]; n > 0 {
			// On a second line: three classes' labels side by side
			// must not run into each other.
			names[i] = fmt.Sprintf("%s (%s)\n+%d at ±Inf, not drawn", c, Count(len(byClass[c]), "host"), n)
		}
	}
	p.NominalX(names...)
	return p, nil
}

// Count is n and noun, plural unless n is 1: "1 point", "2 points",
// "2 entries", "3 data-file hashes". Every count botprof prints goes
// through it.
// (The stages, which this package imports, call plural.Count.)
func Count(n int, noun string) string { return plural.Count(n, noun) }

// grid is a plotter.GridXYZ over sweep indices.
type grid struct {
	z          [][]float64 // [row][col], NaN when missing
	cols, rows int
}

func (g grid) Dims() (c, r int)   { return g.cols, g.rows }
func (g grid) Z(c, r int) float64 { return g.z[r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// heatmapMetrics are the metrics drawn as heatmaps over two sweep axes.
var heatmapMetrics = []string{"auc_host", "auc_window", "margin"}

// maxHeatmapSlices bounds the heatmaps per metric when more than two axes
// are swept; beyond it the other axes are pooled.
const maxHeatmapSlices = 6

// heatmapFigures draws, per metric of heatmapMetrics, the median over seeds
// of each cell of the grid of two swept parameters (any two, numeric or
// not), with the interquartile range over seeds written under it and a
// colour bar. The axes are the two swept parameters with the most values
// (ties: in the order of the keys). With more parameters swept, there is one
// heatmap per combination of the others' values (heatmap_<metric>_<key>_<value>),
// on one colour scale per metric, unless that makes more than
// maxHeatmapSlices heatmaps per metric: then one
// heatmap whose cells pool the points of every other value, as its title says.
func heatmapFigures(gs []*group) ([]figure, error) {
	keys := sweptKeys(gs)
	if len(keys) < 2 {
		return nil, nil
	}
	slices.SortStableFunc(keys, func(a, b string) int { return len(axisValues(gs, b)) - len(axisValues(gs, a)) })
	xKey, yKey, rest := keys[0], keys[1], keys[2:]
	// The slices: the groups per combination of the other axes' values.
	type slice struct {
		name, title string
		gs          []*group
	}
	var sl []slice
	byName := map[string]int{}
	for _, g := range gs {
		name, title := "", ""
		for _, k := range rest {
			v, _ := g.Config.get(k)
			name += "_" + fileSafe(k+"_"+v)
			title += ", " + k + "=" + v
		}
		i, ok := byName[name]
		if !ok {
			i = len(sl)
			byName[name] = i
			sl = append(sl, slice{name: name, title: title})
		}
		sl[i].gs = append(sl[i].gs, g)
	}
	if len(sl) > maxHeatmapSlices {
		sl = []slice{{title: ", pooled over " + strings.Join(rest, ", "), gs: gs}}
	}
	var figs []figure
	for _, metric := range heatmapMetrics {
		// The slices of a metric share one colour scale, so that equal
		// colours mean equal values from one heatmap to the next: its
		// range is that of the configurations' medians (one per cell).
		shared := [2]float64{math.NaN(), math.NaN()}
		if len(sl) > 1 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, g := range gs {
				// The median over every seed, infinite ones included (as
				// in the cells); an infinite median has no colour.
				if vals := g.values(metric); len(vals) > 0 {
					if m := Median(vals); !math.IsInf(m, 0) {
						lo, hi = min(lo, m), max(hi, m)
					}
				}
			}
			if lo <= hi {
				shared = [2]float64{lo, hi}
			}
		}
		for _, s := range sl {
			f, err := heatmapFigure(s.gs, metric, xKey, yKey, axisValues(gs, xKey), axisValues(gs, yKey), s.title, shared)
			if err != nil {
				return nil, err
			}
			if f != nil {
				f.name = "heatmap_" + metric + s.name
				figs = append(figs, *f)
			}
		}
	}
	return figs, nil
}

// heatmapFigure draws metric over the xKey × yKey grid of gs: each cell the
// median over the seeds (all points) of its configurations, with their
// interquartile range; nil when no point has the metric. The colour scale
// spans shared when it is not NaN, else the cells' medians.
func heatmapFigure(gs []*group, metric, xKey, yKey string, xs, ys []string, sub string, shared [2]float64) (*figure, error) {
	g := grid{cols: len(xs), rows: len(ys), z: make([][]float64, len(ys))}
	type cell struct {
		x, y float64
		text string
		v    float64
	}
	var cells []cell
	lo, hi := math.Inf(1), math.Inf(-1)
	maxN := 0
	finite := false // a cell has a finite median, which sets the colours
	for ri, yv := range ys {
		g.z[ri] = make([]float64, len(xs))
		for ci, xv := range xs {
			var vals []float64
			for _, gr := range gs {
				a, _ := gr.Config.get(xKey)
				b, _ := gr.Config.get(yKey)
				if a == xv && b == yv {
					// Every seed, infinite ones included: dropping a -Inf
					// margin would move the median to the finite seeds.
					vals = append(vals, gr.values(metric)...)
				}
			}
			g.z[ri][ci] = math.NaN()
			text := "—"
			if len(vals) > 0 {
				m := Median(vals)
				if !math.IsInf(m, 0) {
					// An infinite median is written in its cell, uncoloured.
					g.z[ri][ci] = m
					lo, hi = min(lo, m), max(hi, m)
					finite = true
				}
				text = cellNum(m, metric)
				if len(vals) > 1 {
					text += "\n[" + cellNum(Quantile(vals, 0.25), metric) + ", " + cellNum(Quantile(vals, 0.75), metric) + "]"
				}
				maxN = max(maxN, len(vals))
			}
			cells = append(cells, cell{float64(ci), float64(ri), text, g.z[ri][ci]})
		}
	}
	if maxN == 0 || !finite {
		return nil, nil
	}
	if !math.IsNaN(shared[0]) {
		lo, hi = shared[0], shared[1]
	}
	if hi-lo < 1e-9 { // one colour: widen so the palette has a range
		lo, hi = lo-0.01*max(1, math.Abs(lo)), hi+0.01*max(1, math.Abs(hi))
	}
	if strings.HasPrefix(metric, "auc") {
		hi = min(hi, 1)
	}
	cmap := moreland.SmoothBlueRed() // neither end is white: every cell stands out from the page
	cmap.SetMin(lo)
	cmap.SetMax(hi)
	key := &paletteBar{pal: cmap.Palette(heatmapColors).Colors(), min: lo, max: hi}
	h := plotter.NewHeatMap(g, key)
	h.Min, h.Max = lo, hi
	h.NaN = color.Gray{Y: 230}
	p := newPlot()
	what := "median over seeds [IQR]"
	if maxN == 1 {
		what = "one seed"
	}
	p.Title.Text = fmt.Sprintf("%s, %s%s", metric, what, sub)
	p.X.Label.Text = xKey
	p.Y.Label.Text = yKey
	p.Add(h)
	// Cell text: centred, at a size that fits the cell, black on light
	// cells and white on dark ones.
	size := vg.Points(min(10, 40/float64(max(len(xs), len(ys)))*3))
	var labels plotter.XYLabels
	for _, c := range cells {
		labels.XYs = append(labels.XYs, plotter.XY{X: c.x, Y: c.y})
		labels.Labels = append(labels.Labels, c.text)
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i, c := range cells {
		st := &l.TextStyle[i]
		st.Handler = p.TextHandler
		st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
		st.Font.Size = size
		st.Color = color.Black
		if !math.IsNaN(c.v) && luminance(key.pal[key.index(min(max(c.v, lo), hi))]) < 0.5 {
			st.Color = color.White
		}
	}
	p.Add(l)
	p.X.Tick.Marker = indexTicks(xs)
	p.Y.Tick.Marker = indexTicks(ys)
	bar := newPlot()
	bar.Add(key)
	bar.HideX()
	bar.Y.Label.Text = metric
	bar.Y.Padding = p.Y.Padding
	return &figure{plot: p, bar: bar, key: key}, nil
}

// heatmapColors is the number of colours of a heatmap's palette.
const heatmapColors = 64

// paletteBar is a heatmap's colour bar: the bands of values [min, max] to
// which the heatmap gives each colour of its palette pal, as filled
// rectangles. It keys the colours the cells have, where a continuous
// colour map (plotter.ColorBar) shows colours no cell has, and it is vector
// shapes in an SVG, not an embedded PNG (whose encoding cost a fresh
// process more than the rest of a heatmap). It is the heatmap's palette too
// (palette.Palette), so that the two cannot disagree.
type paletteBar struct {
	pal      []color.Color
	min, max float64
}

// Colors returns the palette.
func (b *paletteBar) Colors() []color.Color { return b.pal }

// index is the palette index plotter.HeatMap gives a value v in [min, max]
// (plot v0.17 heat.go).
func (b *paletteBar) index(v float64) int {
	return int((v-b.min)*(float64(len(b.pal)-1)/(b.max-b.min)) + 0.5)
}

// band is the range of values given colour i: [min+(i-½)s, min+(i+½)s]
// cut to [min, max], with s the step (max-min)/(len(pal)-1) between colours.
func (b *paletteBar) band(i int) (lo, hi float64) {
	s := (b.max - b.min) / float64(len(b.pal)-1)
	return max(b.min+(float64(i)-0.5)*s, b.min), min(b.min+(float64(i)+0.5)*s, b.max)
}

// Plot draws the bands from the bottom up, each up to the top of the next
// band, which covers that part: no seam of the page shows between two
// bands where their edge falls inside a pixel.
func (b *paletteBar) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	x0, x1 := trX(0), trX(1)
	for i, col := range b.pal {
		lo, _ := b.band(i)
		_, hi := b.band(min(i+1, len(b.pal)-1))
		y0, y1 := trY(lo), trY(hi)
		var pa vg.Path
		pa.Move(vg.Point{X: x0, Y: y0})
		pa.Line(vg.Point{X: x1, Y: y0})
		pa.Line(vg.Point{X: x1, Y: y1})
		pa.Line(vg.Point{X: x0, Y: y1})
		pa.Close()
		c.SetColor(col)
		c.Fill(pa)
	}
}

// DataRange is x in [0, 1] and y in [min, max].
func (b *paletteBar) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, 1, b.min, b.max
}

// cellNum formats a heatmap value: AUCs with 3 decimals, other metrics
// with 3 significant digits.
func cellNum(v float64, metric string) string {
	if strings.HasPrefix(metric, "auc") {
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// luminance is the relative luminance (0 black … 1 white) of c.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// indexTicks labels integer positions 0..n-1 with the sweep values.
type indexTicks []string

func (t indexTicks) Ticks(min, max float64) []plot.Tick {
	ticks := make([]plot.Tick, len(t))
	for i, v := range t {
		ticks[i] = plot.Tick{Value: float64(i), Label: v}
	}
	return ticks
}

// loglikFigure draws the training log-likelihood per EM iteration: every
// restart of the best point when convergence.json exists (the kept one in
// black, drawn last, the others thin), else the best history of each seed
// of the best group.
func (r *Run) loglikFigure(g *group, best *Point) (*plot.Plot, error) {
	p := newPlot()
	p.Title.Text = "Training log-likelihood per EM iteration, " + g.Config.String()
	p.X.Label.Text = "EM iteration"
	p.Y.Label.Text = "log-likelihood"
	p.Legend.Top = false
	p.Legend.Left = false
	line := func(h []float64) (*plotter.Line, *plotter.Scatter, error) {
		xys := make(plotter.XYs, 0, len(h))
		for i, v := range h {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				xys = append(xys, plotter.XY{X: float64(i + 1), Y: v})
			}
		}
		return plotter.NewLinePoints(xys)
	}
	var conv runfolder.TrainSummary
	err := readJSON(filepath.Join(r.Dir, "points", best.Name, "convergence.json"), &conv)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err == nil && len(conv.Restarts) > 0 {
		if conv.Best < 0 || conv.Best >= len(conv.Restarts) {
			return nil, fmt.Errorf("%s: best_restart %d is not one of its %d restarts", best.Name, conv.Best, len(conv.Restarts))
		}
		var other *plotter.Line // any of the other restarts, for the legend
		for i, rs := range conv.Restarts {
			if i == conv.Best || len(rs.History) == 0 {
				continue
			}
			l, pts, err := line(rs.History)
			if err != nil {
				return nil, err
			}
			l.Color, pts.Color = color.Gray{Y: 170}, color.Gray{Y: 170}
			l.Width, pts.Radius = vg.Points(0.6), vg.Points(1.2)
			p.Add(l, pts)
			other = l
		}
		kept := conv.Restarts[conv.Best]
		l, pts, err := line(kept.History)
		if err != nil {
			return nil, err
		}
		l.Color, pts.Color = color.Black, color.Black
		l.Width = vg.Points(1.6)
		p.Add(l, pts)
		// The restarts' final values differ by little next to the climb
		// from the first iteration: the legend gives them.
		p.Legend.Add(fmt.Sprintf("kept: restart %d, seed %d, final %s", conv.Best, kept.Seed, fmtLL(kept.LogLik)), l, pts)
		if other != nil {
			lo, hi := math.Inf(1), math.Inf(-1)
			for i, rs := range conv.Restarts {
				if i != conv.Best {
					lo, hi = min(lo, rs.LogLik), max(hi, rs.LogLik)
				}
			}
			p.Legend.Add(fmt.Sprintf("other restarts (%d), final %s to %s", len(conv.Restarts)-1, fmtLL(lo), fmtLL(hi)), other)
		}
		return p, nil
	}
	n := 0
	for _, pt := range g.Points {
		if len(pt.History) == 0 || n == maxCurves {
			continue
		}
		l, pts, err := line(pt.History)
		if err != nil {
			return nil, err
		}
		l.Color, pts.Color = plotutil.Color(n), plotutil.Color(n)
		p.Add(l, pts)
		p.Legend.Add("seed "+orDash(pt.Seed), l, pts)
		n++
	}
	if n == 0 {
		return nil, nil
	}
	return p, nil
}

// fmtLL formats a log-likelihood with one decimal.
func fmtLL(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
