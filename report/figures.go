package report

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"botprof/runfolder"
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
// (scores_by_class), the median auc_host over the sweep grid when two numeric
// parameters are swept (auc_heatmap), and the training log-likelihood per EM
// iteration of the best point (loglik). Figures whose input files are
// missing are skipped.
func WriteFigures(dir string) error {
	r, err := load(dir)
	if err != nil {
		return err
	}
	// The PNGs (rasterised: ~11 ms each) go first and the SVGs (1-3 ms)
	// fill in behind them, each from its own plot, so that no two
	// goroutines draw the same plot.
	var jobs []figureJob
	for _, ext := range []string{"png", "svg"} {
		figs, err := r.figures()
		if err != nil {
			return err
		}
		for _, f := range figs {
			jobs = append(jobs, figureJob{f, ext})
		}
	}
	out := filepath.Join(dir, "figures")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// Figures are independent: render them on all cores.
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Go(func() {
			for i := range next {
				j := jobs[i]
				if err := saveFigure(j.plot, filepath.Join(out, j.name+"."+j.ext)); err != nil {
					errs[i] = fmt.Errorf("figure %s: %w", j.name, err)
				}
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// figureJob is one figure in one file format.
type figureJob struct {
	figure
	ext string
}

type figure struct {
	name string
	plot *plot.Plot
}

func saveFigure(p *plot.Plot, path string) error {
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	var err error
	if filepath.Ext(path) == ".png" {
		err = savePNG(p, tmp)
	} else {
		err = p.Save(FigureWidth, FigureHeight, tmp)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// savePNG renders p at 96 dpi and encodes it with encodePNG.
func savePNG(p *plot.Plot, path string) error {
	c := vgimg.NewWith(vgimg.UseWH(FigureWidth, FigureHeight), vgimg.UseDPI(96))
	p.Draw(draw.New(c))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var encErr error
	if rgba, ok := c.Image().(*image.RGBA); ok {
		encErr = encodePNG(f, rgba)
	} else {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		encErr = enc.Encode(f, c.Image())
	}
	if err := encErr; err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
			figs = append(figs, figure{name, p})
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
	p, err = heatmapFigure(gs)
	if err := add("auc_heatmap", p, err); err != nil {
		return nil, err
	}
	p, err = r.loglikFigure(best, bp)
	if err := add("loglik", p, err); err != nil {
		return nil, err
	}
	return figs, nil
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
func (r *Run) rocFigure(file, title string, pts []*Point, names []string, allKinds bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "false positive rate"
	p.Y.Label.Text = "true positive rate"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Legend.Top = false
	p.Legend.Left = false
	diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	diag.Dashes = []vg.Length{vg.Points(1), vg.Points(3)} // dotted grey: no curve looks like it
	diag.Color = color.Gray{Y: 140}
	p.Add(diag)
	p.Legend.Add("chance (AUC 0.5)", diag)
	metric := "auc_host"
	if file == "roc_window.csv" {
		metric = "auc_window"
	}
	n := 0
	for i, pt := range pts {
		curves, kinds, err := readROC(filepath.Join(r.Dir, "points", pt.Name, file))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
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
			xys := make(plotter.XYs, len(c.FPR))
			for j := range c.FPR {
				xys[j] = plotter.XY{X: c.FPR[j], Y: c.TPR[j]}
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, err
			}
			// Colour and dash pattern both vary, so overlapping curves
			// (common: many configurations reach AUC 1) stay apart.
			l.Color = plotutil.Color(n)
			l.Dashes = plotutil.Dashes(n)
			l.Width = vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(label+aucLabel(pt, metric, k, c), l)
			n++
		}
	}
	if n == 0 {
		return nil, nil
	}
	return p, nil
}

// scoreFigure draws box plots of the primary host score per class, pooled
// over the seeds of group g.
func (r *Run) scoreFigure(g *group) (*plot.Plot, error) {
	byClass := map[string]plotter.Values{}
	infinite := map[string]int{} // -Inf scores (impossible under the model) cannot be drawn
	for _, pt := range g.Points {
		for _, h := range pt.Hosts {
			v, ok := h.Scores[r.Score]
			switch {
			case !ok || math.IsNaN(v):
			case math.IsInf(v, 0):
				infinite[h.Class]++
			default:
				byClass[h.Class] = append(byClass[h.Class], v)
			}
		}
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
	p := plot.New()
	seeds := fmt.Sprintf("%d seeds", len(g.Points))
	if len(g.Points) == 1 {
		seeds = "1 seed"
	}
	p.Title.Text = fmt.Sprintf("Host %s scores by class, %s (%s)", r.Score, g.Config, seeds)
	p.Y.Label.Text = r.Score + " score"
	p.X.Label.Text = "host class"
	names := make([]string, len(classes))
	for i, c := range classes {
		if len(byClass[c]) > 0 {
			b, err := plotter.NewBoxPlot(vg.Points(40), float64(i), byClass[c])
			if err != nil {
				return nil, err
			}
			b.FillColor = plotutil.Color(i)
			p.Add(b)
		}
		// Box plots have no legend thumbnail: the axis names each box.
		names[i] = fmt.Sprintf("%s (%d scores)", c, len(byClass[c]))
		if n := infinite[c]; n > 0 {
			names[i] = fmt.Sprintf("%s (%d scores; %d at ±Inf not drawn)", c, len(byClass[c]), n)
		}
	}
	p.NominalX(names...)
	return p, nil
}

// grid is a plotter.GridXYZ over sweep indices.
type grid struct {
	z          [][]float64 // [row][col], NaN when missing
	cols, rows int
}

func (g grid) Dims() (c, r int)   { return g.cols, g.rows }
func (g grid) Z(c, r int) float64 { return g.z[r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// heatmapFigure draws the median auc_host over the grid of two swept numeric
// keys (window.size × model.states when both are swept).
func heatmapFigure(gs []*group) (*plot.Plot, error) {
	var numeric []string
	for _, k := range sweptKeys(gs) {
		ok := true
		for _, v := range axisValues(gs, k) {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				ok = false
			}
		}
		if ok {
			numeric = append(numeric, k)
		}
	}
	if len(numeric) < 2 {
		return nil, nil
	}
	xKey, yKey := numeric[0], numeric[1]
	for _, k := range numeric {
		if k == "model.states" {
			xKey = k
		}
	}
	for _, k := range numeric {
		if k == "window.size" && k != xKey {
			yKey = k
		} else if yKey == xKey && k != xKey {
			yKey = k
		}
	}
	xs, ys := axisValues(gs, xKey), axisValues(gs, yKey)
	g := grid{cols: len(xs), rows: len(ys), z: make([][]float64, len(ys))}
	var labels plotter.XYLabels
	for ri, yv := range ys {
		g.z[ri] = make([]float64, len(xs))
		for ci, xv := range xs {
			var vals []float64
			for _, gr := range gs {
				a, _ := gr.Config.get(xKey)
				b, _ := gr.Config.get(yKey)
				if a == xv && b == yv {
					vals = append(vals, gr.values(primaryMetric)...)
				}
			}
			g.z[ri][ci] = Median(vals)
			text := "—"
			if len(vals) > 0 {
				text = strconv.FormatFloat(g.z[ri][ci], 'f', 3, 64)
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(ci), Y: float64(ri)})
			labels.Labels = append(labels.Labels, text)
		}
	}
	pal := moreland.SmoothBlueRed().Palette(64)
	h := plotter.NewHeatMap(g, pal)
	h.Min, h.Max = 0.5, 1
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Median %s over seeds (blue 0.5 → red 1.0)", primaryMetric)
	p.X.Label.Text = xKey
	p.Y.Label.Text = yKey
	p.Add(h)
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	p.Add(l)
	p.X.Tick.Marker = indexTicks(xs)
	p.Y.Tick.Marker = indexTicks(ys)
	return p, nil
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
	p := plot.New()
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
		p.Legend.Add(fmt.Sprintf("kept: restart %d, seed %d", conv.Best, kept.Seed), l, pts)
		if other != nil {
			p.Legend.Add(fmt.Sprintf("other restarts (%d)", len(conv.Restarts)-1), other)
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

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
