package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"botprof/runfolder"
)

// DiffOptions configures Diff.
type DiffOptions struct {
	Format     string      // "text" (default), "csv", "json" or "markdown"
	Alpha      float64     // significance level of the Mann–Whitney U test; 0 means 0.05
	Confidence float64     // level of the median's confidence interval; 0 means 0.95
	FailIf     []Condition // gates on the change B−A of medians
}

// Condition is a --fail-if gate: Diff fails when, for some matched point,
// the change B−A of the metric's medians satisfies Metric Op Threshold and
// the change is significant (Mann–Whitney U, p < alpha). A change that
// meets the condition but is not significant is reported in a footnote.
// With one seed per side no change is significant: run several seeds to
// gate on a metric.
type Condition struct {
	Metric    string
	Op        string // "<", "<=", ">", ">="
	Threshold float64
}

func (c Condition) String() string {
	return c.Metric + c.Op + strconv.FormatFloat(c.Threshold, 'g', -1, 64)
}

var conditionRE = regexp.MustCompile(`^\s*([^<>=\s]+)\s*(<=|>=|<|>)\s*(\S+)\s*$`)

// ParseCondition parses a gate such as "auc_host<-0.01" or
// "viterbi[147.32.84.165] >= 0".
func ParseCondition(s string) (Condition, error) {
	m := conditionRE.FindStringSubmatch(s)
	if m == nil {
		return Condition{}, fmt.Errorf("fail-if %q: want METRIC<THRESHOLD (comparators <, <=, >, >=), e.g. 'auc_host<-0.01'", s)
	}
	t, err := strconv.ParseFloat(m[3], 64)
	if err != nil {
		return Condition{}, fmt.Errorf("fail-if %q: threshold %q is not a number", s, m[3])
	}
	return Condition{Metric: m[1], Op: m[2], Threshold: t}, nil
}

func (c Condition) holds(delta float64) bool {
	switch c.Op {
	case "<":
		return delta < c.Threshold
	case "<=":
		return delta <= c.Threshold
	case ">":
		return delta > c.Threshold
	}
	return delta >= c.Threshold
}

// diffMetrics are the run-level metrics compared, in output order.
var diffMetrics = []string{"auc_host", "auc_window", "margin", "tpr_at_fpr0"}

// GateError is a --fail-if condition that cannot be checked (its metric is
// in no matched point): a usage error, not a failed gate.
type GateError struct{ Msg string }

func (e *GateError) Error() string { return e.Msg }

// Sample summarises a metric over the seeds of one point.
type Sample struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Lo     float64 `json:"-"` // confidence interval; meaningful only when HasCI
	Hi     float64 `json:"-"`
	HasCI  bool    `json:"has_ci"`
	values []float64
}

// MarshalJSON writes the interval as ci_lo/ci_hi, null when there is none
// (too few samples), never the median in their place.
func (s Sample) MarshalJSON() ([]byte, error) {
	v := struct {
		N      int      `json:"n"`
		Median float64  `json:"median"`
		Lo     *float64 `json:"ci_lo"`
		Hi     *float64 `json:"ci_hi"`
		HasCI  bool     `json:"has_ci"`
	}{N: s.N, Median: s.Median, HasCI: s.HasCI}
	if s.HasCI {
		v.Lo, v.Hi = &s.Lo, &s.Hi
	}
	return json.Marshal(v)
}

func newSample(xs []float64, confidence float64) *Sample {
	if len(xs) == 0 {
		return nil
	}
	s := &Sample{N: len(xs), Median: Median(xs), values: xs}
	s.Lo, s.Hi, s.HasCI = MedianCI(xs, confidence)
	return s
}

// ratioMetrics are the metrics whose relative change means something: they
// are positive quantities on a ratio scale. Margins and log-likelihood
// scores (host rows) can be negative or cross zero: their changes are
// reported as absolute differences only.
var ratioMetrics = map[string]bool{"auc_host": true, "auc_window": true, "tpr_at_fpr0": true}

// DiffRow compares one metric of a matched point.
type DiffRow struct {
	Metric      string   `json:"metric"`
	Class       string   `json:"class,omitempty"` // host class, for per-host score rows
	A           *Sample  `json:"a"`               // nil when A has no value
	B           *Sample  `json:"b"`
	Delta       *float64 `json:"delta"`    // median(B) − median(A)
	Relative    *float64 `json:"relative"` // Delta / median(A), for positive ratio-scale metrics only
	P           *float64 `json:"p"`        // two-sided Mann–Whitney U p-value
	Significant bool     `json:"significant"`
	Notes       []int    `json:"notes,omitempty"` // footnote numbers (1-based)
}

// DiffTable is one matched pair of sweep points (configurations).
type DiffTable struct {
	A    string    `json:"a"` // parameters minus the seed, "base" when unswept
	B    string    `json:"b"`
	Rows []DiffRow `json:"rows"`
}

// Name is the table's title: the config, or "A vs B" when they differ.
func (t DiffTable) Name() string {
	if t.A == t.B {
		return t.A
	}
	return t.A + " vs " + t.B
}

// MetricSummary counts, for one run-level metric (higher is better for
// all of them), the matched points where B is significantly higher
// (improved), significantly lower (worsened) or not distinguishable at
// alpha (unchanged), with the median change of medians.
type MetricSummary struct {
	Metric      string  `json:"metric"`
	Improved    int     `json:"improved"`
	Worsened    int     `json:"worsened"`
	Unchanged   int     `json:"unchanged"`
	MedianDelta float64 `json:"median_delta"`
}

// summarize fills res.Summary from its tables.
func (res *DiffResult) summarize() {
	for _, m := range diffMetrics {
		s := MetricSummary{Metric: m}
		var deltas []float64
		for _, t := range res.Tables {
			for _, r := range t.Rows {
				if r.Metric != m || r.Delta == nil {
					continue
				}
				deltas = append(deltas, *r.Delta)
				switch {
				case !r.Significant:
					s.Unchanged++
				case *r.Delta > 0:
					s.Improved++
				default:
					s.Worsened++
				}
			}
		}
		if len(deltas) > 0 {
			s.MedianDelta = Median(deltas)
			res.Summary = append(res.Summary, s)
		}
	}
}

// InputChange is a manifest entry that differs between the two runs.
type InputChange struct {
	Key string `json:"key"`
	A   string `json:"a"`
	B   string `json:"b"`
}

// RunRef names one side of a diff.
type RunRef struct {
	Dir        string `json:"dir"`
	Experiment string `json:"experiment"`
	RunID      string `json:"run_id"`
	Score      string `json:"score"`
}

// DiffResult is the content of a diff, independent of its format.
type DiffResult struct {
	A        RunRef          `json:"a"`
	B        RunRef          `json:"b"`
	Alpha    float64         `json:"alpha"`
	Inputs   []InputChange   `json:"inputs"`
	Summary  []MetricSummary `json:"summary"` // per run-level metric, over the matched points
	Tables   []DiffTable     `json:"tables"`
	Notes    []string        `json:"notes"`    // footnotes; rows refer to them by number
	Failures []string        `json:"failures"` // violated --fail-if conditions
}

// Diff compares the results folders a and b and writes the comparison to w
// in opts.Format. Points are matched by their parameters minus the seed key
// (model.seed), restricted to the parameter keys both runs have; a point of
// one run may thus match several of the other. Over the seeds of a point,
// each metric is summarised by its median and confidence interval, and the
// two sides are compared with a Mann–Whitney U test. It returns an error
// naming every violated opts.FailIf condition, after writing the output.
func Diff(a, b string, opts DiffOptions, w io.Writer) error {
	ra, err := Load(a)
	if err != nil {
		return err
	}
	rb, err := Load(b)
	if err != nil {
		return err
	}
	res, err := Compare(ra, rb, opts)
	if err != nil {
		return err
	}
	if err := res.Write(w, opts.Format); err != nil {
		return err
	}
	if len(res.Failures) > 0 {
		return fmt.Errorf("diff %s %s: fail-if: %s", a, b, strings.Join(res.Failures, "; "))
	}
	return nil
}

// Compare computes the diff of two loaded runs (see Diff).
func Compare(ra, rb *Run, opts DiffOptions) (*DiffResult, error) {
	if opts.Alpha == 0 {
		opts.Alpha = 0.05
	}
	if opts.Confidence == 0 {
		opts.Confidence = 0.95
	}
	if opts.Alpha <= 0 || opts.Alpha >= 1 {
		return nil, fmt.Errorf("alpha %v: want 0 < alpha < 1", opts.Alpha)
	}
	res := &DiffResult{
		A:      RunRef{ra.Dir, ra.Manifest.Experiment, ra.Manifest.RunID, ra.Score},
		B:      RunRef{rb.Dir, rb.Manifest.Experiment, rb.Manifest.RunID, rb.Score},
		Alpha:  opts.Alpha,
		Inputs: inputChanges(&ra.Manifest, &rb.Manifest),
	}
	notes := map[string]int{}
	note := func(s string) int {
		if n, ok := notes[s]; ok {
			return n
		}
		res.Notes = append(res.Notes, s)
		notes[s] = len(res.Notes)
		return len(res.Notes)
	}
	kind := ra.Score
	if kind == "" {
		kind = rb.Score
	}
	if ra.Score != rb.Score && ra.Score != "" && rb.Score != "" {
		note(fmt.Sprintf("primary scores differ (A %s, B %s): host rows compare %s", ra.Score, rb.Score, kind))
	}
	ga, failedA := ra.groups()
	gb, failedB := rb.groups()
	if len(failedA) > 0 {
		note("failed points in A left out: " + strings.Join(failedA, ", "))
	}
	if len(failedB) > 0 {
		note("failed points in B left out: " + strings.Join(failedB, ", "))
	}
	shared := sharedKeys(ga, gb)
	matchedB := make([]bool, len(gb))
	for _, x := range ga {
		found := false
		for j, y := range gb {
			if !agree(x.Config, y.Config, shared) {
				continue
			}
			found, matchedB[j] = true, true
			res.Tables = append(res.Tables, compareGroups(x, y, kind, opts, note))
		}
		if !found {
			note("point " + x.Config.String() + " only in A")
		}
	}
	for j, y := range gb {
		if !matchedB[j] {
			note("point " + y.Config.String() + " only in B")
		}
	}
	res.summarize()
	for _, c := range opts.FailIf {
		seen := false
		for _, t := range res.Tables {
			for _, r := range t.Rows {
				if r.Metric != c.Metric || r.Delta == nil {
					continue
				}
				seen = true
				if !c.holds(*r.Delta) {
					continue
				}
				change := fmt.Sprintf("%s: %s changed by %s (%s)", t.Name(), c.Metric, fmtSigned(*r.Delta, *r.Delta), c)
				if r.Significant {
					res.Failures = append(res.Failures, change)
				} else {
					// A gate fails only on a change the test can tell from noise.
					note(fmt.Sprintf("%s, but not significant at alpha %g (p=%.3f, n=%d+%d): the gate does not fail", change, opts.Alpha, *r.P, r.A.N, r.B.N))
				}
			}
		}
		if !seen {
			return nil, &GateError{fmt.Sprintf("--fail-if %s: no matched point has the metric %q on both sides; metrics: %s, or SCORE[HOST] such as %s[147.32.84.165]",
				c, c.Metric, strings.Join(diffMetrics, ", "), kind)}
		}
	}
	return res, nil
}

// sharedKeys returns the parameter keys (minus the seed) present in both runs.
func sharedKeys(ga, gb []*group) map[string]bool {
	keys := func(gs []*group) map[string]bool {
		m := map[string]bool{}
		for _, g := range gs {
			for _, p := range g.Config {
				m[p.Key] = true
			}
		}
		return m
	}
	ka, kb := keys(ga), keys(gb)
	shared := map[string]bool{}
	for k := range ka {
		if kb[k] {
			shared[k] = true
		}
	}
	return shared
}

func agree(a, b config, keys map[string]bool) bool {
	for k := range keys {
		va, oka := a.get(k)
		vb, okb := b.get(k)
		if oka != okb || va != vb {
			return false
		}
	}
	return true
}

func compareGroups(ga, gb *group, kind string, opts DiffOptions, note func(string) int) DiffTable {
	t := DiffTable{A: ga.Config.String(), B: gb.Config.String()}
	add := func(metric, class string, xa, xb []float64) {
		if len(xa) == 0 && len(xb) == 0 {
			return
		}
		r := DiffRow{Metric: metric, Class: class, A: newSample(xa, opts.Confidence), B: newSample(xb, opts.Confidence)}
		if r.A == nil {
			r.Notes = append(r.Notes, note(t.Name()+": "+metric+" only in B"))
		}
		if r.B == nil {
			r.Notes = append(r.Notes, note(t.Name()+": "+metric+" only in A"))
		}
		for _, s := range []*Sample{r.A, r.B} {
			if s != nil && s.N > 1 && !s.HasCI {
				r.Notes = append(r.Notes, note(fmt.Sprintf("need >= %d samples for a confidence interval at level %g", minCISamples(opts.Confidence), opts.Confidence)))
			}
		}
		if r.A != nil && r.B != nil {
			d := r.B.Median - r.A.Median
			r.Delta = &d
			if ratioMetrics[metric] && r.A.Median > 0 && r.B.Median > 0 {
				rel := d / r.A.Median
				r.Relative = &rel
			}
			p := MannWhitneyU(xa, xb).P
			r.P = &p
			r.Significant = p < opts.Alpha
		}
		sort.Ints(r.Notes)
		r.Notes = compactInts(r.Notes)
		t.Rows = append(t.Rows, r)
	}
	for _, m := range diffMetrics {
		add(m, "", ga.values(m), gb.values(m))
	}
	ha, ca := ga.hosts()
	hb, cb := gb.hosts()
	for _, h := range hostOrder(ha, hb, ca, cb) {
		class := ca[h]
		if class == "" {
			class = cb[h]
		}
		add(kind+"["+h+"]", class, ga.hostValues(h, kind), gb.hostValues(h, kind))
	}
	return t
}

// hostOrder lists the hosts of both sides: infected, then normal, then
// profile and other classes, each in A's order followed by B's.
func hostOrder(ha, hb []string, ca, cb map[string]string) []string {
	seen := map[string]bool{}
	var all []string
	for _, h := range append(append([]string(nil), ha...), hb...) {
		if !seen[h] {
			seen[h] = true
			all = append(all, h)
		}
	}
	rank := func(h string) int {
		c := ca[h]
		if c == "" {
			c = cb[h]
		}
		switch c {
		case "infected":
			return 0
		case "normal":
			return 1
		}
		return 2
	}
	sort.SliceStable(all, func(i, j int) bool { return rank(all[i]) < rank(all[j]) })
	return all
}

// minCISamples is the smallest sample with an order-statistic interval at the level.
func minCISamples(confidence float64) int {
	for n := 1; n < 1000; n++ {
		if 1-math.Pow(2, 1-float64(n)) >= confidence {
			return n
		}
	}
	return 1000
}

func compactInts(xs []int) []int {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// inputChanges lists the manifest entries that differ: experiment, botprof
// version, data checksum, sweep values and resolved spec values.
func inputChanges(a, b *runfolder.Manifest) []InputChange {
	fa, fb := flatInputs(a), flatInputs(b)
	keys := map[string]bool{}
	for k := range fa {
		keys[k] = true
	}
	for k := range fb {
		keys[k] = true
	}
	var out []InputChange
	for k := range keys {
		if fa[k] != fb[k] {
			out = append(out, InputChange{k, fa[k], fb[k]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func flatInputs(m *runfolder.Manifest) map[string]string {
	f := map[string]string{
		"experiment":      m.Experiment,
		"botprof_version": m.BotprofVersion,
		"data.sha256":     m.Data.SHA256,
	}
	for k, vs := range m.Sweep {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = valueString(v)
		}
		f["sweep."+k] = strings.Join(parts, ",")
	}
	flatten("spec", m.Spec, f)
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	return f
}

func flatten(prefix string, v any, dst map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flatten(prefix+"."+k, e, dst)
		}
	case nil:
	default:
		dst[prefix] = valueString(x)
	}
}
