package pipeline

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"botprof/stages/evaluate"
)

// Spec is one experiment point: everything a run needs, with the notebook's
// defaults. The `help` tags feed `botprof run --help`.
type Spec struct {
	Experiment  string        `yaml:"experiment" json:"experiment" help:"name of the experiment; results go to results/<experiment>/<run-id>/ (default: the spec file name)"`
	Description string        `yaml:"description" json:"description,omitempty" help:"free text shown in summaries"`
	Data        DataSpec      `yaml:"data" json:"data"`
	Labels      LabelSpec     `yaml:"labels" json:"labels"`
	Hosts       HostsSpec     `yaml:"hosts" json:"hosts"`
	Discretize  DiscretizeSpc `yaml:"discretize" json:"discretize"`
	Window      WindowSpec    `yaml:"window" json:"window"`
	Model       ModelSpec     `yaml:"model" json:"model"`
	Evaluate    EvaluateSpec  `yaml:"evaluate" json:"evaluate"`
	Reference   ReferenceSpec `yaml:"reference" json:"reference"`
}

// DataSpec names the input file.
type DataSpec struct {
	Path              string `yaml:"path" json:"path" help:"flow file (CTU-13 .netflow.labeled or .binetflow; plain, .gz or .zst); relative to the spec file's directory, or to the working directory if it exists there"`
	SHA256            string `yaml:"sha256" json:"sha256" help:"expected sha256 of the decompressed content; the run fails on a mismatch (empty: not checked, but recorded)"`
	Format            string `yaml:"format" json:"format" help:"auto | netflow | binetflow (auto reads the header)"`
	OnBadLine         string `yaml:"on_bad_line" json:"on_bad_line" help:"fail | skip: what an unparsable line does (skipped lines are listed in the manifest)"`
	SkipFirstDataLine bool   `yaml:"skip_first_data_line" json:"skip_first_data_line" help:"notebook compat: drop the first data line, as read_csv(skiprows=1, header=0) does"`
}

// LabelSpec is the label filter, pushed down into the loader.
type LabelSpec struct {
	Include        []string    `yaml:"include" json:"include" help:"keep only flows whose label matches one of these (exact, or prefix when ending in *); empty keeps all"`
	Exclude        []string    `yaml:"exclude" json:"exclude" help:"drop flows whose label matches one of these patterns"`
	ExcludeClasses []string    `yaml:"exclude_classes" json:"exclude_classes" help:"drop flows whose label class is one of these (botnet | normal | background | unknown)"`
	Classes        []ClassRule `yaml:"classes" json:"classes" help:"label -> class rules, first match wins (default: CTU-13 rules of the file's format)"`
}

// ClassRule maps labels matching Match (exact, or prefix ending in *) to Class.
type ClassRule struct {
	Match string `yaml:"match" json:"match" help:"label pattern"`
	Class string `yaml:"class" json:"class" help:"botnet | normal | background"`
}

// HostsSpec lists the profiled host and the hosts to score.
type HostsSpec struct {
	Profile  string   `yaml:"profile" json:"profile" help:"the infected host whose windows train the model"`
	Normal   []string `yaml:"normal" json:"normal" help:"normal hosts to score (ROC negatives)"`
	Infected []string `yaml:"infected" json:"infected" help:"infected hosts to score (ROC positives; the profiled host is left out of the ROC)"`
}

// FeatureSpec is one discretized flow feature.
type FeatureSpec struct {
	Column      string    `yaml:"column" json:"column" help:"flow column: proto, bytes, packets, duration, state, dir, dst_port, ..."`
	Kind        string    `yaml:"kind" json:"kind" help:"percentile | category"`
	Percentiles []float64 `yaml:"percentiles" json:"percentiles,omitempty" help:"cut points on the 0-100 scale (percentile kind)"`
}

// DiscretizeSpc configures the discretize stage.
type DiscretizeSpc struct {
	Compat   string        `yaml:"compat" json:"compat" help:"none | notebook (Python-3 map iterator: bytes bins used up after the first rows) | notebook-list (list(map) reading)"`
	FitOn    string        `yaml:"fit_on" json:"fit_on" help:"profile | all: which hosts' flows fit the percentile cuts and category tables"`
	FitHost  string        `yaml:"fit_host" json:"fit_host,omitempty" help:"the host whose flows fit the cuts when fit_on is profile (default: hosts.profile; the notebook's published table fitted the cuts on .204 and the model on .209)"`
	Features []FeatureSpec `yaml:"features" json:"features" help:"features in mixed-radix order (code = sum v_f * prod of later sizes)"`
}

// WindowSpec configures sliding windows.
type WindowSpec struct {
	Size   int    `yaml:"size" json:"size" help:"flows per window"`
	Stride int    `yaml:"stride" json:"stride" help:"flows between window starts"`
	Compat string `yaml:"compat" json:"compat" help:"none | notebook (n - size windows: the last one dropped; stride 1)"`
}

// ModelSpec configures the HMM.
type ModelSpec struct {
	Kind           string  `yaml:"kind" json:"kind" help:"gaussian | categorical"`
	States         int     `yaml:"states" json:"states" help:"number of hidden states"`
	Covariance     string  `yaml:"covariance" json:"covariance" help:"diag | spherical | full | tied (gaussian)"`
	Input          string  `yaml:"input" json:"input" help:"rows (a host's windows are one sequence of size-dimensional rows, as the notebook) | sequences (each window is a sequence of flow codes); default: rows for gaussian, sequences for categorical"`
	NIter          int     `yaml:"n_iter" json:"n_iter" help:"maximum EM iterations"`
	Tol            float64 `yaml:"tol" json:"tol" help:"stop when the log-likelihood gain is below this"`
	Seed           uint64  `yaml:"seed" json:"seed" help:"random seed of the initialisation"`
	Restarts       int     `yaml:"restarts" json:"restarts" help:"fit from this many seeds (seed, seed+1, ...) and keep the best training log-likelihood"`
	Implementation string  `yaml:"implementation" json:"implementation" help:"log | scaling forward-backward"`
	MinCovar       float64 `yaml:"min_covar" json:"min_covar" help:"added to the data covariance at initialisation"`
	StartprobPrior float64 `yaml:"startprob_prior" json:"startprob_prior" help:"Dirichlet concentration of the start probabilities"`
	TransmatPrior  float64 `yaml:"transmat_prior" json:"transmat_prior" help:"Dirichlet concentration of transition rows"`
	MeansPrior     float64 `yaml:"means_prior" json:"means_prior" help:"prior mean (gaussian)"`
	MeansWeight    float64 `yaml:"means_weight" json:"means_weight" help:"weight of the prior mean (gaussian)"`
	CovarsPrior    float64 `yaml:"covars_prior" json:"covars_prior" help:"prior added to covariances (gaussian)"`
	CovarsWeight   float64 `yaml:"covars_weight" json:"covars_weight" help:"weight of the covariance prior (gaussian)"`
	EmissionPrior  float64 `yaml:"emission_prior" json:"emission_prior" help:"Dirichlet concentration of emission rows (categorical; > 1 keeps unseen symbols possible)"`
	Symbols        int     `yaml:"symbols" json:"symbols" help:"number of symbols (categorical; 0: the discretizer's code count)"`
}

// EvaluateSpec configures scoring.
type EvaluateSpec struct {
	Score string `yaml:"score" json:"score" help:"primary score for the ROC: viterbi (the notebook's) | loglik | loglik_per_window"`
	ROC   bool   `yaml:"roc" json:"roc" help:"compute ROC metrics: needs a scored infected host besides the profiled one and a normal host; false: scores only"`
	// Decision adds a confusion matrix (see evaluate.Decision).
	Decision DecisionSpec `yaml:"decision" json:"decision"`
}

// DecisionSpec is evaluate.decision: a rule that calls hosts infected.
type DecisionSpec struct {
	Rule  string  `yaml:"rule" json:"rule,omitempty" help:"none (default) | fixed (score >= value) | relative (score >= s_p - value·|s_p|, s_p the profiled host's score) | fpr (the lowest threshold with false-positive rate <= value); adds threshold, tp, fp, tn, fn, precision, recall, f1, accuracy to the metrics"`
	Value float64 `yaml:"value" json:"value,omitempty" help:"the rule's threshold, fraction or false-positive rate"`
}

// Decision is the evaluate stage's form of the spec's decision rule.
func (d DecisionSpec) Decision() evaluate.Decision {
	return evaluate.Decision{Rule: d.Rule, Value: d.Value}
}

// ReferenceSpec names published scores a run is compared with.
type ReferenceSpec struct {
	Path  string `yaml:"path" json:"path,omitempty" help:"a results folder (e.g. results/reference/notebook) whose scores this run reproduces; a reproduction report is written when set"`
	Point string `yaml:"point" json:"point,omitempty" help:"the point of the reference folder to compare with"`
	Score string `yaml:"score" json:"score,omitempty" help:"score kind compared (default: evaluate.score)"`
}

// DefaultSpec returns the notebook's settings with correctly computed
// percentiles: protocol category and bytes cut at the 10/30/50/70/90th
// percentiles of the profiled host, windows of 10, a 4-state diagonal
// Gaussian HMM with hmmlearn's defaults.
func DefaultSpec() Spec {
	return Spec{
		Data:   DataSpec{Format: "auto", OnBadLine: "fail"},
		Labels: LabelSpec{ExcludeClasses: []string{"background"}},
		Discretize: DiscretizeSpc{Compat: "none", FitOn: "profile", Features: []FeatureSpec{
			{Column: "proto", Kind: "category"},
			{Column: "bytes", Kind: "percentile", Percentiles: []float64{10, 30, 50, 70, 90}},
		}},
		Window: WindowSpec{Size: 10, Stride: 1, Compat: "none"},
		Model: ModelSpec{Kind: "gaussian", States: 4, Covariance: "diag", NIter: 10, Tol: 0.01,
			Restarts: 1, Implementation: "log", MinCovar: 1e-3, StartprobPrior: 1, TransmatPrior: 1,
			CovarsPrior: 1e-2, CovarsWeight: 1, EmissionPrior: 1},
		Evaluate: EvaluateSpec{Score: "viterbi", ROC: true},
	}
}

// Plan is a parsed spec file: its points (one, or the sweep's product) in a
// deterministic order.
type Plan struct {
	File   string
	Name   string      // experiment name
	Sweep  []SweepAxis // in spec order
	Points []Point
	Raw    []byte // the spec file as read
	Sets   []string
	// Base is the spec as written plus overrides, before any sweep axis
	// is applied: what the points share. Its swept keys hold the file's
	// value outside the sweep block, or the default.
	Base Spec
	// Narrowed lists the sweep axes --set replaced or added.
	Narrowed []string
}

// SweepAxis is one key of a sweep block with its values (YAML text).
type SweepAxis struct {
	Key    string
	Values []string
}

// Point is one fully resolved experiment point.
type Point struct {
	Name   string            // "base" or "window.size=20,model.states=8,model.seed=3"
	Params map[string]string // swept key -> value text
	Spec   Spec
}

var validSweepKey = regexp.MustCompile(`^[a-z_]+(\.[a-z_0-9]+)*$`)

// LoadPlan reads a spec file, applies --set overrides (key=value, YAML
// values) and expands its sweep. Every point is decoded strictly and
// validated; the first problem is returned with file, line and YAML path.
// A sweep of more than DefaultMaxPoints points is refused (see
// LoadPlanLimit).
func LoadPlan(file string, sets []string) (*Plan, error) {
	return LoadPlanLimit(file, sets, DefaultMaxPoints)
}

// DefaultMaxPoints is the largest sweep LoadPlan expands: a bigger one is
// more often a mistake (an axis too many) than an intent, and its points
// are planned in memory before any runs. `botprof run --max-points`
// raises it.
const DefaultMaxPoints = 10000

// LoadPlanLimit is LoadPlan with the limit on the number of points
// (maxPoints <= 0: none). The count is checked before any point is built.
func LoadPlanLimit(file string, sets []string, maxPoints int) (*Plan, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parsePlan(file, raw, sets, maxPoints)
}

// ParsePlan is LoadPlan on spec text already read.
func ParsePlan(file string, raw []byte, sets []string) (*Plan, error) {
	return parsePlan(file, raw, sets, DefaultMaxPoints)
}

func parsePlan(file string, raw []byte, sets []string, maxPoints int) (*Plan, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, &SpecError{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) == 0 {
		return nil, &SpecError{File: file, Msg: "the spec is empty"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &SpecError{File: file, Line: root.Line, Msg: "a spec is a mapping of keys (experiment, data, hosts, ...)"}
	}
	// Split off the sweep block: it is not part of a point's spec.
	var sweepNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sweep" {
			sweepNode = root.Content[i+1]
			root.Content = append(root.Content[:i:i], root.Content[i+2:]...)
			break
		}
	}
	narrowed, err := applySets(root, &sweepNode, sets)
	if err != nil {
		return nil, err
	}
	plan, err := expandPlan(file, raw, root, sweepNode, sets, maxPoints)
	if err != nil {
		return nil, attributeSets(err, sets)
	}
	plan.Narrowed = narrowed
	return plan, nil
}

// applySets applies --set overrides to a spec's root (without its sweep
// block) and to its sweep. An override of a swept key replaces that axis's
// values (`--set model.seed=7` or `--set 'model.seed=[1,2]'` narrows the
// seeds), as does `--set sweep.KEY=[...]`, which also adds an axis. It
// returns the axes it changed. The value nodes of override i carry the line
// -(i+1), so that errors found later name the override (attributeSets).
func applySets(root *yaml.Node, sweep **yaml.Node, sets []string) ([]string, error) {
	var narrowed []string
	for i, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, &SpecError{Set: s, Msg: "want key=value, e.g. --set model.states=8"}
		}
		vn, err := parseValueNode(v)
		if err != nil {
			return nil, &SpecError{Set: s, Msg: fmt.Sprintf("value is not valid YAML: %v", err)}
		}
		markLines(vn, -(i + 1))
		if k == "sweep" {
			return nil, &SpecError{Set: s, Msg: "set one sweep axis at a time: --set sweep.KEY=[values]"}
		}
		axis, explicit := strings.CutPrefix(k, "sweep.")
		if explicit || hasAxis(*sweep, k) {
			if *sweep == nil || (*sweep).Kind == yaml.ScalarNode && (*sweep).Tag == "!!null" {
				*sweep = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			}
			if (*sweep).Kind != yaml.MappingNode {
				return nil, &SpecError{Set: s, Path: "sweep", Msg: "the spec's sweep block is not a mapping"}
			}
			if vn.Kind != yaml.SequenceNode {
				vn = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: vn.Line, Content: []*yaml.Node{vn}}
			}
			setAxis(*sweep, axis, vn)
			narrowed = append(narrowed, axis)
			continue
		}
		if err := setPath(root, k, vn); err != nil {
			return nil, &SpecError{Set: s, Msg: err.Error()}
		}
	}
	return narrowed, nil
}

// hasAxis reports whether the sweep block has the key.
func hasAxis(sweep *yaml.Node, key string) bool {
	if sweep == nil || sweep.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(sweep.Content); i += 2 {
		if sweep.Content[i].Value == key {
			return true
		}
	}
	return false
}

// setAxis replaces (or appends) the values of one sweep axis.
func setAxis(sweep *yaml.Node, key string, values *yaml.Node) {
	for i := 0; i+1 < len(sweep.Content); i += 2 {
		if sweep.Content[i].Value == key {
			sweep.Content[i+1] = values
			return
		}
	}
	sweep.Content = append(sweep.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: values.Line}, values)
}

// markLines gives every node of a tree the line l.
func markLines(n *yaml.Node, l int) {
	n.Line = l
	for _, c := range n.Content {
		markLines(c, l)
	}
}

// attributeSets rewrites a spec error found at a node that came from a
// --set override (a negative line, see applySets) to name the override
// instead of a line of the file.
func attributeSets(err error, sets []string) error {
	var se *SpecError
	if errors.As(err, &se) && se.Line < 0 && -se.Line <= len(sets) {
		se.Set, se.Line = sets[-se.Line-1], 0
	}
	return err
}

// expandPlan expands the sweep over the spec's root and decodes and
// validates every point.
func expandPlan(file string, raw []byte, root, sweepNode *yaml.Node, sets []string, maxPoints int) (*Plan, error) {
	base := DefaultSpec()
	if err := decodeStrict(file, cloneNode(root), &base); err != nil {
		return nil, err
	}
	if base.Experiment == "" {
		base.Experiment = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	plan := &Plan{File: file, Raw: raw, Sets: sets, Base: base}
	axes, axisNodes, err := parseSweep(file, sweepNode)
	if err != nil {
		return nil, err
	}
	plan.Sweep = axes
	if n := pointCount(axes); maxPoints > 0 && n > maxPoints {
		var dims []string
		for _, ax := range axes {
			dims = append(dims, fmt.Sprintf("%s (%d)", ax.Key, len(ax.Values)))
		}
		return nil, &SpecError{File: file, Line: sweepNode.Line, Path: "sweep",
			Msg: fmt.Sprintf("%d points (%s) exceed the limit of %d: narrow an axis (--set KEY=[...]) or raise --max-points", n, strings.Join(dims, " × "), maxPoints)}
	}
	combos := cartesian(axisNodes)
	for _, combo := range combos {
		n := cloneNode(root)
		params := map[string]string{}
		var name []string
		for i, v := range combo {
			if err := setPath(n, axes[i].Key, cloneNode(v)); err != nil {
				return nil, &SpecError{File: file, Line: v.Line, Path: "sweep." + axes[i].Key, Msg: err.Error()}
			}
			params[axes[i].Key] = v.Value
			name = append(name, axes[i].Key+"="+v.Value)
		}
		spec := DefaultSpec()
		if err := decodeStrict(file, n, &spec); err != nil {
			return nil, err
		}
		if spec.Experiment == "" {
			spec.Experiment = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		}
		if err := spec.Validate(file, n); err != nil {
			if len(name) > 0 {
				return nil, fmt.Errorf("sweep point %s: %w", strings.Join(name, ","), err)
			}
			return nil, err
		}
		pname := "base"
		if len(name) > 0 {
			pname = strings.Join(name, ",")
		}
		plan.Points = append(plan.Points, Point{Name: pname, Params: params, Spec: spec})
	}
	plan.Name = plan.Points[0].Spec.Experiment
	for _, p := range plan.Points {
		if p.Spec.Experiment != plan.Name {
			return nil, &SpecError{File: file, Path: "sweep.experiment", Msg: "the experiment name cannot be swept"}
		}
	}
	return plan, nil
}

func parseSweep(file string, n *yaml.Node) ([]SweepAxis, [][]*yaml.Node, error) {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, nil, &SpecError{File: file, Line: n.Line, Path: "sweep", Msg: "expected a mapping of spec keys to lists of values, e.g. window.size: [5, 10, 20]"}
	}
	var axes []SweepAxis
	var nodes [][]*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := "sweep." + k.Value
		if !validSweepKey.MatchString(k.Value) {
			return nil, nil, &SpecError{File: file, Line: k.Line, Path: path, Msg: "a sweep key is a dotted spec key such as model.states"}
		}
		if k.Value == "sweep" || k.Value == "experiment" || strings.HasPrefix(k.Value, "sweep.") {
			return nil, nil, &SpecError{File: file, Line: k.Line, Path: path, Msg: "this key cannot be swept"}
		}
		if seen[k.Value] {
			return nil, nil, &SpecError{File: file, Line: k.Line, Path: path, Msg: "key given twice"}
		}
		seen[k.Value] = true
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return nil, nil, &SpecError{File: file, Line: v.Line, Path: path, Msg: "expected a non-empty list of values"}
		}
		ax := SweepAxis{Key: k.Value}
		vals := map[string]bool{}
		for j, c := range v.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, nil, &SpecError{File: file, Line: c.Line, Path: fmt.Sprintf("%s[%d]", path, j), Msg: "sweep values must be scalars"}
			}
			if vals[c.Value] {
				return nil, nil, &SpecError{File: file, Line: c.Line, Path: fmt.Sprintf("%s[%d]", path, j), Msg: fmt.Sprintf("value %s given twice", c.Value)}
			}
			vals[c.Value] = true
			ax.Values = append(ax.Values, c.Value)
		}
		axes = append(axes, ax)
		nodes = append(nodes, v.Content)
	}
	return axes, nodes, nil
}

// pointCount is the number of points of a sweep (saturating, so that a
// huge product cannot overflow).
func pointCount(axes []SweepAxis) int {
	n := 1
	for _, ax := range axes {
		if n > math.MaxInt32 {
			return n
		}
		n *= len(ax.Values)
	}
	return n
}

// cartesian expands axes in order, the last axis varying fastest.
func cartesian(axes [][]*yaml.Node) [][]*yaml.Node {
	out := [][]*yaml.Node{nil}
	for _, vals := range axes {
		var next [][]*yaml.Node
		for _, prefix := range out {
			for _, v := range vals {
				next = append(next, append(slices.Clone(prefix), v))
			}
		}
		out = next
	}
	return out
}

// lineOf finds the line of a dotted key path in a YAML tree (0 if absent;
// negative for a value from a --set override).
func lineOf(root *yaml.Node, path string) int {
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	cur := root
	line := 0
	for _, p := range strings.Split(path, ".") {
		name, idx, hasIdx := strings.Cut(p, "[")
		if cur.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for j := 0; j+1 < len(cur.Content); j += 2 {
			if cur.Content[j].Value == name {
				next = cur.Content[j+1]
				line = cur.Content[j].Line
				if next.Line < 0 { // a value from --set (see applySets)
					line = next.Line
				}
			}
		}
		if next == nil {
			return line
		}
		if hasIdx {
			var i int
			fmt.Sscanf(idx, "%d]", &i)
			if next.Kind == yaml.SequenceNode && i < len(next.Content) {
				next = next.Content[i]
				line = next.Line
			}
		}
		cur = next
	}
	return line
}

// HelpText explains every spec key with its default, for `botprof run --help`.
func HelpText() string {
	var b strings.Builder
	def := DefaultSpec()
	writeHelp(&b, reflect.ValueOf(def), "")
	b.WriteString("sweep                          mapping of spec keys to lists of values; the run covers their cartesian product\n")
	b.WriteString("                               (e.g. window.size: [5, 10, 20]); points are named key=value,key=value\n")
	return b.String()
}

func writeHelp(b *strings.Builder, v reflect.Value, prefix string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		key := joinPath(prefix, name)
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct {
			writeHelp(b, fv, key)
			continue
		}
		help := f.Tag.Get("help")
		dflt := ""
		if !fv.IsZero() {
			dflt = fmt.Sprintf(" [default %v]", formatDefault(fv))
		}
		fmt.Fprintf(b, "%-30s %s%s\n", key, help, dflt)
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			et := f.Type.Elem()
			for j := 0; j < et.NumField(); j++ {
				ef := et.Field(j)
				en, _, _ := strings.Cut(ef.Tag.Get("yaml"), ",")
				fmt.Fprintf(b, "  %-28s %s\n", key+"[]."+en, ef.Tag.Get("help"))
			}
		}
	}
}

func formatDefault(v reflect.Value) string {
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
		var parts []string
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			var kv []string
			for j := 0; j < e.NumField(); j++ {
				if !e.Field(j).IsZero() {
					n, _, _ := strings.Cut(e.Type().Field(j).Tag.Get("yaml"), ",")
					kv = append(kv, fmt.Sprintf("%s: %v", n, e.Field(j).Interface()))
				}
			}
			parts = append(parts, "{"+strings.Join(kv, ", ")+"}")
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v.Interface())
}
