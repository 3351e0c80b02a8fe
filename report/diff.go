package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
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
	// Metrics keeps only these rows: run-level metrics (auc_host, …),
	// host rows by name (viterbi[147.32.84.165]) or all host rows of a
	// score kind (viterbi). Empty: every row.
	Metrics []string
	// Filters keeps only the points whose parameters satisfy every filter.
	Filters []Filter
	// Match pairs points of A and B that agree on these parameter keys (a
	// run that does not sweep a key has its spec value). Empty: points pair
	// by name, i.e. when their parameters minus the seed are equal; runs
	// that sweep different keys, or whose points pair with none of the
	// other's, are an *OptionError that names the keys to pair on.
	// MatchAll pairs every point of A with every point of B (--match none).
	Match    []string
	MatchAll bool
	// Correct adjusts the p-values of all rows tested for multiple
	// comparisons: "none" (or ""), "holm" or "bh" (Benjamini–Hochberg).
	Correct string
}

// Filter is a --filter KEY=VALUE: a point's parameter KEY has VALUE
// (numbers compare as numbers: 10 matches 10.0); a run that does not sweep
// KEY is kept whole when its spec has VALUE.
type Filter struct{ Key, Value string }

// ParseFilter parses KEY=VALUE.
func ParseFilter(s string) (Filter, error) {
	k, v, ok := strings.Cut(s, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" || v == "" {
		return Filter{}, fmt.Errorf("filter %q: want KEY=VALUE, e.g. model.states=4", s)
	}
	return Filter{k, v}, nil
}

// OptionError is a diff option that cannot apply to the two runs (a
// metric, filter or match key they do not have, a correction method that
// does not exist, points that cannot be paired without --match): a usage
// error, not a failed gate.
type OptionError struct{ Msg string }

func (e *OptionError) Error() string { return e.Msg }

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
	if math.IsNaN(t) || math.IsInf(t, 0) {
		// A NaN threshold never holds: the gate could never fail.
		return Condition{}, fmt.Errorf("fail-if %q: threshold %q is not a finite number", s, m[3])
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
	// Infinite counts the values that are ±Inf (a host with zero
	// probability scores -Inf): the test ranks them, but a median, bound
	// or change that is not finite is never printed.
	Infinite int `json:"infinite,omitempty"`
	values   []float64
}

// MarshalJSON writes the interval as ci_lo/ci_hi, null when there is none
// (too few samples), never the median in their place. A median or bound
// that is not finite is null too, and "infinite" counts the infinite
// values.
func (s Sample) MarshalJSON() ([]byte, error) {
	v := struct {
		N        int      `json:"n"`
		Median   *float64 `json:"median"`
		Lo       *float64 `json:"ci_lo"`
		Hi       *float64 `json:"ci_hi"`
		HasCI    bool     `json:"has_ci"`
		Infinite int      `json:"infinite,omitempty"`
	}{N: s.N, Median: finitePtr(s.Median), HasCI: s.HasCI, Infinite: s.Infinite}
	if s.HasCI {
		v.Lo, v.Hi = finitePtr(s.Lo), finitePtr(s.Hi)
	}
	return json.Marshal(v)
}

// finitePtr is &x, or nil when x is NaN or infinite.
func finitePtr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func newSample(xs []float64, confidence float64) *Sample {
	if len(xs) == 0 {
		return nil
	}
	s := &Sample{N: len(xs), Median: Median(xs), values: xs}
	s.Lo, s.Hi, s.HasCI = MedianCI(xs, confidence)
	for _, x := range xs {
		if math.IsInf(x, 0) {
			s.Infinite++
		}
	}
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
	Delta       *float64 `json:"delta"`           // median(B) − median(A)
	Relative    *float64 `json:"relative"`        // Delta / median(A), for positive ratio-scale metrics only
	P           *float64 `json:"p"`               // two-sided Mann–Whitney U p-value
	PAdj        *float64 `json:"p_adj,omitempty"` // P adjusted by DiffResult.Correction
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
	MedianDelta float64 `json:"median_delta"` // over the finite changes; 0 when there is none (null in JSON)
	NotFinite   int     `json:"not_finite,omitempty"`
}

// MarshalJSON writes median_delta as null when no change is finite: a 0
// there would read as "no change" where the text says "not finite".
func (m MetricSummary) MarshalJSON() ([]byte, error) {
	out := struct {
		Metric      string   `json:"metric"`
		Improved    int      `json:"improved"`
		Worsened    int      `json:"worsened"`
		Unchanged   int      `json:"unchanged"`
		MedianDelta *float64 `json:"median_delta"`
		NotFinite   int      `json:"not_finite,omitempty"`
	}{Metric: m.Metric, Improved: m.Improved, Worsened: m.Worsened, Unchanged: m.Unchanged, NotFinite: m.NotFinite}
	if m.NotFinite < m.Improved+m.Worsened+m.Unchanged {
		out.MedianDelta = &m.MedianDelta
	}
	return json.Marshal(out)
}

// summarize fills res.Summary from its tables. A row whose change is not
// finite (an infinite median) still counts, by the direction of its
// medians; the median change is over the finite changes.
func (res *DiffResult) summarize() {
	for _, m := range diffMetrics {
		s := MetricSummary{Metric: m}
		var deltas []float64
		for _, t := range res.Tables {
			for _, r := range t.Rows {
				if r.Metric != m || r.P == nil {
					continue
				}
				if r.Delta != nil {
					deltas = append(deltas, *r.Delta)
				} else {
					s.NotFinite++
				}
				switch {
				case !r.Significant:
					s.Unchanged++
				case r.B.Median > r.A.Median:
					s.Improved++
				default:
					s.Worsened++
				}
			}
		}
		if len(deltas) > 0 {
			s.MedianDelta = Median(deltas)
		}
		if s.Improved+s.Worsened+s.Unchanged > 0 {
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
	A     RunRef  `json:"a"`
	B     RunRef  `json:"b"`
	Alpha float64 `json:"alpha"`
	// Correction is the multiple-comparison adjustment of the p-values
	// ("none", "holm", "bh") over Tests rows; Significant uses PAdj then.
	Correction string          `json:"correction"`
	Tests      int             `json:"tests"`
	Inputs     []InputChange   `json:"inputs"`
	Summary    []MetricSummary `json:"summary"` // per run-level metric, over the matched points
	Tables     []DiffTable     `json:"tables"`
	Notes      []string        `json:"notes"`    // footnotes; rows refer to them by number
	Failures   []string        `json:"failures"` // violated --fail-if conditions
}

// Diff compares the results folders a and b and writes the comparison to w
// in opts.Format. Points are paired by name, i.e. by their parameters minus
// the seed key (model.seed), when both runs sweep the same parameters;
// otherwise opts.Match says how (points that agree on the given keys, or
// every pair) and without it Diff returns an *OptionError that names the
// keys to pair on: it never pairs points silently. Over the seeds of a
// point, each metric is summarised by its median and confidence interval,
// and the two sides are compared with a Mann–Whitney U test. It returns an
// error naming every violated opts.FailIf condition, after writing the
// output.
func Diff(a, b string, opts DiffOptions, w io.Writer) error {
	switch opts.Format {
	case "", "text", "csv", "json", "markdown", "md":
	default:
		return &OptionError{fmt.Sprintf("--format %q: want text, csv, json or markdown", opts.Format)}
	}
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
	if !(opts.Alpha > 0 && opts.Alpha < 1) { // NaN too
		return nil, &OptionError{fmt.Sprintf("--alpha %v: want 0 < alpha < 1", opts.Alpha)}
	}
	switch opts.Correct {
	case "":
		opts.Correct = "none"
	case "none", "holm", "bh":
	default:
		return nil, &OptionError{fmt.Sprintf("--correct %q: want none, holm or bh", opts.Correct)}
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
	var err error
	sa, sb := side{ga, flatInputs(&ra.Manifest)}, side{gb, flatInputs(&rb.Manifest)}
	if sa, sb, err = filterSides(sa, sb, opts.Filters); err != nil {
		return nil, err
	}
	ga, gb = sa.groups, sb.groups
	pair, err := pairing(sa, sb, opts)
	if err != nil {
		return nil, err
	}
	matchedB := make([]bool, len(gb))
	for _, x := range ga {
		found := false
		for j, y := range gb {
			if !pair(x, y) {
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
	if len(res.Tables) == 0 && len(ga) > 0 && len(gb) > 0 {
		return nil, &OptionError{fmt.Sprintf("no point of A pairs with a point of B (A: %s; B: %s): %s",
			pointsText(ga), pointsText(gb), matchHint(sa, sb))}
	}
	rowNotes := res.rowNotes()
	if err := res.keepMetrics(opts.Metrics); err != nil {
		return nil, err
	}
	if res.dropNotes(rowNotes) {
		clear(notes)
		for i, s := range res.Notes {
			notes[s] = i + 1
		}
	}
	res.correct(opts.Correct, opts.Alpha)
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
					p := fmt.Sprintf("p=%.3f", *r.P)
					if r.PAdj != nil {
						p += fmt.Sprintf(", %s-adjusted %.3f", res.Correction, *r.PAdj)
					}
					note(fmt.Sprintf("%s, but not significant at alpha %g (%s, n=%d+%d): the gate does not fail", change, opts.Alpha, p, r.A.N, r.B.N))
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

// keySet returns the parameter keys (minus the seed) of a run's points.
func keySet(gs []*group) []string {
	m := map[string]bool{}
	for _, g := range gs {
		for _, p := range g.Config {
			m[p.Key] = true
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// side is one run's points (grouped by config) and its manifest's flat
// inputs, whose spec.KEY entries give the value of a parameter the run
// does not sweep.
type side struct {
	groups []*group
	inputs map[string]string
}

// value is the point's parameter key: its swept value, else the run's
// spec value.
func (s side) value(g *group, key string) (string, bool) {
	if v, ok := g.Config.get(key); ok {
		return v, true
	}
	v, ok := s.inputs["spec."+key]
	return v, ok
}

// has reports whether the run sweeps key or its spec sets it.
func (s side) has(key string) bool {
	_, ok := s.inputs["spec."+key]
	return ok || slices.Contains(keySet(s.groups), key)
}

// values lists the distinct values of key over the run's points.
func (s side) values(key string) string {
	var vs []string
	for _, g := range s.groups {
		if v, ok := s.value(g, key); ok && !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return compareValues(vs[i], vs[j]) < 0 })
	if len(vs) == 0 {
		return "none"
	}
	return strings.Join(vs, ", ")
}

// filterSides keeps the points of both runs that satisfy every filter. A
// run that does not sweep the key is kept or dropped whole by its spec
// value. A filter on a parameter neither run has, on the seed, or one that
// leaves a run without points is an error.
func filterSides(sa, sb side, filters []Filter) (side, side, error) {
	for _, f := range filters {
		if f.Key == SeedKey {
			return sa, sb, &OptionError{fmt.Sprintf("--filter %s=%s: the seeds are the samples each point is compared over; filter points by their other parameters", f.Key, f.Value)}
		}
		if !sa.has(f.Key) && !sb.has(f.Key) {
			return sa, sb, &OptionError{fmt.Sprintf("--filter %s=%s: neither run has the parameter %q (A sweeps %s; B sweeps %s)",
				f.Key, f.Value, f.Key, keysText(keySet(sa.groups)), keysText(keySet(sb.groups)))}
		}
		keep := func(s side) side {
			var out []*group
			for _, g := range s.groups {
				if v, ok := s.value(g, f.Key); ok && compareValues(v, f.Value) == 0 {
					out = append(out, g)
				}
			}
			return side{out, s.inputs}
		}
		ka, kb := keep(sa), keep(sb)
		for _, x := range []struct {
			name      string
			before    side
			remaining int
		}{{"A", sa, len(ka.groups)}, {"B", sb, len(kb.groups)}} {
			if x.remaining == 0 && len(x.before.groups) > 0 {
				return sa, sb, &OptionError{fmt.Sprintf("--filter %s=%s: leaves no point of %s (its %s: %s)",
					f.Key, f.Value, x.name, f.Key, x.before.values(f.Key))}
			}
		}
		sa, sb = ka, kb
	}
	return sa, sb, nil
}

func keysText(keys []string) string {
	if len(keys) == 0 {
		return "no parameters"
	}
	return strings.Join(keys, ", ")
}

// pointsText names a run's points (configs), at most 6.
func pointsText(gs []*group) string {
	var names []string
	for i, g := range gs {
		if i == 6 {
			names = append(names, fmt.Sprintf("and %d more", len(gs)-6))
			break
		}
		names = append(names, g.Config.String())
	}
	return strings.Join(names, ", ")
}

// matchHint says how to pair the points of two runs: --match with the
// parameters either run sweeps and both have, or --match none.
func matchHint(sa, sb side) string {
	var keys []string
	for _, k := range append(keySet(sa.groups), keySet(sb.groups)...) {
		if sa.has(k) && sb.has(k) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	hint := "say how to pair them: "
	if len(keys) > 0 {
		hint += fmt.Sprintf("--match %s (points that agree on %s) or ", strings.Join(keys, ","), map[bool]string{true: "it", false: "them"}[len(keys) == 1])
	}
	return hint + "--match none (every point of A with every point of B)"
}

// pairing returns how points of A and B pair (see DiffOptions.Match): by
// default by name, i.e. equal parameters minus the seed, which needs both
// runs to sweep the same parameters; with --match KEYS when they agree on
// those keys (a run that does not sweep a key has its spec value); with
// --match none always. Any other case is an error, never a silent pairing.
func pairing(sa, sb side, opts DiffOptions) (func(a, b *group) bool, error) {
	ka, kb := keySet(sa.groups), keySet(sb.groups)
	switch {
	case opts.MatchAll:
		return func(*group, *group) bool { return true }, nil
	case len(opts.Match) > 0:
		for _, k := range opts.Match {
			if k == SeedKey {
				return nil, &OptionError{fmt.Sprintf("--match %s: the seeds are the samples each point is compared over, not a way to pair points", k)}
			}
			if !sa.has(k) || !sb.has(k) {
				return nil, &OptionError{fmt.Sprintf("--match %s: both runs must have the parameter %q (A sweeps %s; B sweeps %s)",
					strings.Join(opts.Match, ","), k, keysText(ka), keysText(kb))}
			}
		}
		return func(a, b *group) bool {
			for _, k := range opts.Match {
				va, _ := sa.value(a, k)
				vb, _ := sb.value(b, k)
				if compareValues(va, vb) != 0 {
					return false
				}
			}
			return true
		}, nil
	case !slices.Equal(ka, kb):
		return nil, &OptionError{fmt.Sprintf("the runs' points have different names (A sweeps %s; B sweeps %s), so they cannot be paired by name; %s",
			keysText(ka), keysText(kb), matchHint(sa, sb))}
	}
	return func(a, b *group) bool { return a.Config.String() == b.Config.String() }, nil
}

// keepMetrics drops the rows --metric does not name, and tables left
// empty; a name no row has is an error.
func (res *DiffResult) keepMetrics(names []string) error {
	if len(names) == 0 {
		return nil
	}
	used := make([]bool, len(names))
	keep := func(metric string) bool {
		ok := false
		for i, n := range names {
			if metric == n || strings.HasPrefix(metric, n+"[") {
				used[i], ok = true, true
			}
		}
		return ok
	}
	var tables []DiffTable
	for _, t := range res.Tables {
		var rows []DiffRow
		for _, r := range t.Rows {
			if keep(r.Metric) {
				rows = append(rows, r)
			}
		}
		if len(rows) > 0 {
			t.Rows = rows
			tables = append(tables, t)
		}
	}
	for i, u := range used {
		if !u && len(res.Tables) > 0 {
			return &OptionError{fmt.Sprintf("--metric %s: no compared row has it; metrics: %s, a score kind (%s) for its host rows, or KIND[HOST]",
				names[i], strings.Join(diffMetrics, ", "), strings.Join(runfolder.ScoreKinds, ", "))}
		}
	}
	res.Tables = tables
	return nil
}

// rowNotes returns the footnote numbers the rows refer to.
func (res *DiffResult) rowNotes() map[int]bool {
	ref := map[int]bool{}
	for _, t := range res.Tables {
		for _, r := range t.Rows {
			for _, n := range r.Notes {
				ref[n] = true
			}
		}
	}
	return ref
}

// dropNotes removes the footnotes only rows dropped by --metric referred
// to (before, the row footnotes before keepMetrics), renumbering the rest;
// it reports whether any was removed. A note such as "all samples are
// equal" must not be listed when no row shown has it.
func (res *DiffResult) dropNotes(before map[int]bool) bool {
	kept := res.rowNotes()
	renum := make([]int, len(res.Notes)+1)
	var out []string
	for i, s := range res.Notes {
		if before[i+1] && !kept[i+1] {
			continue
		}
		out = append(out, s)
		renum[i+1] = len(out)
	}
	if len(out) == len(res.Notes) {
		return false
	}
	res.Notes = out
	for ti := range res.Tables {
		for ri := range res.Tables[ti].Rows {
			r := &res.Tables[ti].Rows[ri]
			for k, n := range r.Notes {
				r.Notes[k] = renum[n]
			}
		}
	}
	return true
}

// correct adjusts the p-values of every row tested (method "holm" or
// "bh") and decides significance on the adjusted values.
func (res *DiffResult) correct(method string, alpha float64) {
	var rows []*DiffRow
	for ti := range res.Tables {
		for ri := range res.Tables[ti].Rows {
			if r := &res.Tables[ti].Rows[ri]; r.P != nil {
				rows = append(rows, r)
			}
		}
	}
	res.Correction, res.Tests = method, len(rows)
	if method == "none" || len(rows) == 0 {
		return
	}
	ps := make([]float64, len(rows))
	for i, r := range rows {
		ps[i] = *r.P
	}
	adj := AdjustP(ps, method)
	for i, r := range rows {
		r.PAdj = &adj[i]
		r.Significant = adj[i] < alpha
	}
}

func compareGroups(ga, gb *group, kind string, opts DiffOptions, note func(string) int) DiffTable {
	t := DiffTable{A: ga.Config.String(), B: gb.Config.String()}
	// inA, inB: whether the side has the row at all (a metric key, a
	// scored host), defined or not.
	add := func(metric, class string, xa, xb []float64, inA, inB bool) {
		xa, xb = definedValues(xa), definedValues(xb)
		if len(xa) == 0 && len(xb) == 0 {
			return
		}
		r := DiffRow{Metric: metric, Class: class, A: newSample(xa, opts.Confidence), B: newSample(xb, opts.Confidence)}
		for _, s := range []struct {
			sample      *Sample
			in          bool
			side, other string
		}{{r.A, inA, "A", "B"}, {r.B, inB, "B", "A"}} {
			switch {
			case s.sample != nil:
			case s.in:
				// The run has it without a value (an undefined metric,
				// e.g. a ROC without both classes; a host without a score).
				r.Notes = append(r.Notes, note(t.Name()+": "+metric+" undefined in "+s.side))
			default:
				r.Notes = append(r.Notes, note(t.Name()+": "+metric+" only in "+s.other))
			}
		}
		for _, s := range []*Sample{r.A, r.B} {
			if s != nil && !s.HasCI {
				// benchstat: "need >= 6 samples for confidence interval at level 0.95".
				r.Notes = append(r.Notes, note(fmt.Sprintf("need >= %d samples for a confidence interval at level %g", minCISamples(opts.Confidence), opts.Confidence)))
			}
			if s != nil && s.Infinite > 0 {
				r.Notes = append(r.Notes, note("some values are infinite (a host with zero probability has the log-likelihood minus infinity): "+
					"the test ranks them, a median, interval or change that is not finite is left out"))
			}
		}
		if r.A != nil && r.B != nil {
			if d := r.B.Median - r.A.Median; isFinite(d) {
				r.Delta = &d
				if ratioMetrics[metric] && r.A.Median > 0 && r.B.Median > 0 {
					rel := d / r.A.Median
					r.Relative = &rel
				}
			}
			p := MannWhitneyU(xa, xb).P
			r.P = &p
			r.Significant = p < opts.Alpha
			switch {
			case allEqual(xa, xb):
				// benchstat: "all samples are equal".
				r.Notes = append(r.Notes, note("all samples are equal"))
			case p >= opts.Alpha && MinMannWhitneyP(len(xa), len(xb)) >= opts.Alpha:
				// (The tie-corrected normal approximation can go below the
				// exact minimum; a significant row gets no such note.)
				// benchstat: "need >= 4 samples to detect a difference at alpha level 0.05".
				r.Notes = append(r.Notes, note(fmt.Sprintf("need >= %d samples to detect a difference at alpha level %g", minTestSamples(opts.Alpha), opts.Alpha)))
			}
		}
		sort.Ints(r.Notes)
		r.Notes = compactInts(r.Notes)
		t.Rows = append(t.Rows, r)
	}
	for _, m := range diffMetrics {
		add(m, "", ga.values(m), gb.values(m), ga.has(m), gb.has(m))
	}
	ha, ca := ga.hosts()
	hb, cb := gb.hosts()
	for _, h := range hostOrder(ha, hb, ca, cb) {
		class := ca[h]
		if class == "" {
			class = cb[h]
		}
		add(kind+"["+h+"]", class, ga.hostValues(h, kind), gb.hostValues(h, kind), ca[h] != "" || slices.Contains(ha, h), cb[h] != "" || slices.Contains(hb, h))
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

// minTestSamples is the smallest n for which samples of n and n values can
// differ significantly at alpha (4 at 0.05: 2/C(8,4) = 0.029).
func minTestSamples(alpha float64) int {
	for n := 1; n < 1000; n++ {
		if MinMannWhitneyP(n, n) < alpha {
			return n
		}
	}
	return 1000
}

// definedValues drops NaN (undefined) values.
func definedValues(xs []float64) []float64 {
	out := xs[:0:0]
	for _, x := range xs {
		if !math.IsNaN(x) {
			out = append(out, x)
		}
	}
	return out
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// allEqual reports whether every value of xs and ys is the same.
func allEqual(xs, ys []float64) bool {
	all := append(append([]float64(nil), xs...), ys...)
	for _, x := range all {
		if x != all[0] {
			return false
		}
	}
	return true
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
