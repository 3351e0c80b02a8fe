package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"botprof/runfolder"
)

// SeedKey is the sweep parameter that names the seed; points that differ
// only in it are repetitions of one configuration.
const SeedKey = "model.seed"

// Point is one sweep point of a run: its manifest entry joined with its
// metrics and host scores.
type Point struct {
	Name    string
	Params  map[string]any // as in the manifest, including the seed key
	Seed    string
	Status  string
	Error   string
	Metrics map[string]float64 // missing or null metrics are absent
	// Undefined are the metrics metrics.json has as null (NaN): the point
	// has them, without a value.
	Undefined map[string]bool
	History   []float64            // training log-likelihood per EM iteration
	Hosts     []runfolder.ScoreRow // scores.csv rows of this point, in file order; the profiled host has class "profile"
	// Warnings are the point's warnings from metrics.json (hosts kept out
	// of the ROC, undefined metrics, -Inf scores).
	Warnings []string
}

// Run is a results folder read into memory.
type Run struct {
	Dir      string
	Manifest runfolder.Manifest
	Score    string  // primary score kind of metrics.json
	Points   []Point // in manifest order
}

// Load reads the results folder dir. manifest.json and metrics.json are
// required; scores.csv is optional (no host scores without it).
// A .partial folder (a run that did not finish writing its results) is an
// error.
func Load(dir string) (*Run, error) {
	return loadComplete(dir, allHosts)
}

// loadComplete is load of a folder that is not .partial.
func loadComplete(dir string, rows hostRows) (*Run, error) {
	if isPartial(dir) {
		return nil, fmt.Errorf("%s is a partial results folder: its run stopped or failed before its results were complete", dir)
	}
	return load(dir, rows)
}

// hostRows says which points' scores.csv rows load keeps.
type hostRows int

const (
	allHosts   hostRows = iota // every point's (Load: diff compares them all)
	shownHosts                 // only of the points the summary and figures show (hostPoints)
)

// load is Load without the partial check: the summary and figures are
// written into the folder before it is committed.
//
// manifest.json and metrics.json are read a point at a time, and a Point
// keeps what reports use: not the point's resolved spec, stage records or
// restarts (a report of a big sweep holds its points' metrics and
// scores, not their files).
func load(dir string, rows hostRows) (*Run, error) {
	r := &Run{Dir: dir}
	byName := map[string]int{}
	var err error
	r.Manifest, err = runfolder.ScanManifest(filepath.Join(dir, "manifest.json"), func(mp runfolder.ManifestPoint) error {
		p := Point{Name: mp.Name, Params: make(map[string]any, len(mp.Params)), Seed: seedString(mp.Seed), Status: mp.Status, Error: mp.Error,
			Metrics: map[string]float64{}}
		for k, v := range mp.Params {
			p.Params[k] = v
		}
		byName[mp.Name] = len(r.Points)
		r.Points = append(r.Points, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	warnings := map[string]string{} // one copy of each warning text
	mf, err := runfolder.ScanMetrics(filepath.Join(dir, "metrics.json"), func(m runfolder.MetricsPoint) error {
		i, ok := byName[m.Point]
		if !ok {
			// A folder whose files disagree (edited, or mixed from two
			// runs): its numbers are not a run's.
			return fmt.Errorf("point %q is not in manifest.json", m.Point)
		}
		p := &r.Points[i]
		p.Metrics = m.Metrics.Defined()
		for k, v := range m.Metrics {
			if math.IsNaN(v) {
				if p.Undefined == nil {
					p.Undefined = map[string]bool{}
				}
				p.Undefined[k] = true
			}
		}
		p.Warnings = m.Warnings
		for j, w := range p.Warnings {
			if c, ok := warnings[w]; ok {
				p.Warnings[j] = c
			} else {
				warnings[w] = w
			}
		}
		if m.Train != nil {
			p.History = m.Train.History
			// evaluate.select: train_loglik ranks points by it, as
			// metrics.csv's train_loglik column.
			if !math.IsNaN(m.Train.LogLik) {
				p.Metrics["train_loglik"] = m.Train.LogLik
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.Score = mf.Score
	var keep func(string) bool
	if rows == shownHosts {
		need := r.hostPoints()
		keep = func(point string) bool { return need[point] }
	}
	hosts, _, err := runfolder.ReadScoresOf(filepath.Join(dir, "scores.csv"), keep)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for i := range r.Points {
		p := &r.Points[i]
		p.Hosts = hosts[p.Name]
		for j := range p.Hosts {
			if p.Hosts[j].Role == "profile" {
				// Reports show the profiled host as a class of its own.
				p.Hosts[j].Class = "profile"
			}
		}
	}
	return r, nil
}

func readJSON(path string, v any) error { return runfolder.ReadJSON(path, v) }

// rocCurve is one ROC curve: false and true positive rates by decreasing threshold.
type rocCurve struct {
	FPR, TPR []float64
}

// readROC reads a ROC file (runfolder.ReadROC) as curves to plot.
func readROC(path string) (map[string]*rocCurve, []string, error) {
	pts, kinds, err := runfolder.ReadROC(path)
	if err != nil {
		return nil, nil, err
	}
	curves := make(map[string]*rocCurve, len(pts))
	for k, ps := range pts {
		c := &rocCurve{}
		for _, p := range ps {
			c.FPR, c.TPR = append(c.FPR, p.FPR), append(c.TPR, p.TPR)
		}
		curves[k] = c
	}
	return curves, kinds, nil
}

// valueString formats a JSON value canonically: numbers without trailing
// zeros (10, 0.5), strings as they are.
func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// config is a point's parameters without the seed key, as sorted key=value
// pairs; the empty config is the single point of an unswept run.
type config []kv

type kv struct{ Key, Value string }

func configOf(params map[string]any) config {
	var c config
	for k, v := range params {
		if k != SeedKey {
			c = append(c, kv{k, valueString(v)})
		}
	}
	sort.Slice(c, func(i, j int) bool { return c[i].Key < c[j].Key })
	return c
}

func (c config) String() string {
	if len(c) == 0 {
		return "base"
	}
	parts := make([]string, len(c))
	for i, p := range c {
		parts[i] = p.Key + "=" + p.Value
	}
	return strings.Join(parts, " ")
}

func (c config) get(key string) (string, bool) {
	for _, p := range c {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// compareValues orders parameter values numerically when both are numbers.
func compareValues(a, b string) int {
	x, ex := strconv.ParseFloat(a, 64)
	y, ey := strconv.ParseFloat(b, 64)
	if ex == nil && ey == nil && !math.IsNaN(x) && !math.IsNaN(y) {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}

func compareConfigs(a, b config) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i].Key, b[i].Key); c != 0 {
			return c
		}
		if c := compareValues(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// group is the points of a run that share one config (its seeds).
type group struct {
	Config config
	Points []*Point
}

// groups returns the ok points of r grouped by config, sorted by config, and
// the names of failed points.
func (r *Run) groups() (gs []*group, failed []string) {
	byKey := map[string]*group{}
	for i := range r.Points {
		p := &r.Points[i]
		if p.Status != "" && p.Status != "ok" {
			failed = append(failed, p.Name)
			continue
		}
		c := configOf(p.Params)
		g := byKey[c.String()]
		if g == nil {
			g = &group{Config: c}
			byKey[c.String()] = g
			gs = append(gs, g)
		}
		g.Points = append(g.Points, p)
	}
	sort.SliceStable(gs, func(i, j int) bool { return compareConfigs(gs[i].Config, gs[j].Config) < 0 })
	return gs, failed
}

// values returns the metric over the group's points that have it.
func (g *group) values(metric string) []float64 {
	var xs []float64
	for _, p := range g.Points {
		if v, ok := p.Metrics[metric]; ok && !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	return xs
}

// has reports whether a point of the group has the metric, defined or not.
func (g *group) has(metric string) bool {
	for _, p := range g.Points {
		if _, ok := p.Metrics[metric]; ok || p.Undefined[metric] {
			return true
		}
	}
	return false
}

// hostValues returns the host's score of the given kind over the group's points.
func (g *group) hostValues(host, kind string) []float64 {
	var xs []float64
	for _, p := range g.Points {
		for _, h := range p.Hosts {
			if h.Host == host {
				if v, ok := h.Scores.Get(kind); ok {
					xs = append(xs, v)
				}
			}
		}
	}
	return xs
}

// hosts returns the hosts scored in the group with their class, in first-seen order.
func (g *group) hosts() (names []string, class map[string]string) {
	class = map[string]string{}
	for _, p := range g.Points {
		for _, h := range p.Hosts {
			if _, ok := class[h.Host]; !ok {
				class[h.Host] = h.Class
				names = append(names, h.Host)
			}
		}
	}
	return names, class
}

// hostPoints names the points whose host rows the summary and figures
// use: every point of the best group (the score figure), and the best
// point of every group, a superset of the points the summary's host
// table and the ROC figures show. A report of a big sweep keeps their
// rows, not every point's.
func (r *Run) hostPoints() map[string]bool {
	gs, _ := r.groups()
	sel := r.selectMetric()
	need := map[string]bool{}
	if ranked := rankGroups(gs, sel); len(ranked) > 0 {
		for _, p := range ranked[0].Points {
			need[p.Name] = true
		}
	}
	for _, g := range gs {
		if p := g.bestPoint(sel); p != nil {
			need[p.Name] = true
		}
	}
	return need
}

// bestPoint returns the point of g with the highest metric (first on ties).
func (g *group) bestPoint(metric string) *Point {
	var best *Point
	bestV := math.Inf(-1)
	for _, p := range g.Points {
		if v, ok := p.Metrics[metric]; ok && v > bestV {
			best, bestV = p, v
		}
	}
	if best == nil && len(g.Points) > 0 {
		best = g.Points[0]
	}
	return best
}

// seedString is a manifest seed as text, "" when not known.
func seedString(s *uint64) string {
	if s == nil {
		return ""
	}
	return strconv.FormatUint(*s, 10)
}
