package pipeline

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"botprof/markov"
	"botprof/runfolder"
	"botprof/stages/derive"
	"botprof/stages/load"
	"botprof/stages/view"
)

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// experimentName is what an experiment may be called: it names a folder
// under the results root, so no separators, no leading dot, no control
// characters, at most 100 characters.
var experimentName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$`)

// CheckExperimentName rejects experiment names that are not a plain folder
// name (e.g. "../x", "..", "a/b", a NUL or a newline).
func CheckExperimentName(name string) error {
	if !experimentName.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("invalid experiment name %q: use 1-100 letters, digits, '.', '_', '+', '-', starting with a letter or digit, without '..'", name)
	}
	return nil
}

// Validate checks values that decode fine but cannot be run. root is the
// YAML tree the spec came from; it locates each problem's line.
func (s *Spec) Validate(file string, root *yaml.Node) error {
	v := validator{file: file, root: root}
	oneOf := func(path, val string, allowed ...string) {
		if !slices.Contains(allowed, val) {
			// "" stands for the key left out; it is no value to suggest.
			v.fail(path, "%q is not one of %s", val, strings.Join(slices.DeleteFunc(slices.Clone(allowed), func(a string) bool { return a == "" }), ", "))
		}
	}
	if err := CheckExperimentName(s.Experiment); err != nil {
		v.fail("experiment", "%v (the name is a folder under the results root; without the key it is the spec's file name)", err)
	}
	names := map[string]string{}
	for i, d := range s.Data.List() {
		path := "data"
		if len(s.Data.Sources) > 0 {
			path = fmt.Sprintf("data[%d]", i)
			if !sourceName.MatchString(d.Name) {
				v.fail(path+".name", "%q: a source needs a name of 1-32 letters, digits, '_' or '-' (it prefixes its hosts: name:address)", d.Name)
			} else if prev, ok := names[d.Name]; ok {
				v.fail(path+".name", "source %s is already named at %s", d.Name, prev)
			}
			names[d.Name] = path + ".name"
		}
		if d.Path == "" {
			v.fail(path+".path", "missing: name the flow file to load")
		}
		if d.SHA256 != "" && !hex64.MatchString(d.SHA256) {
			v.fail(path+".sha256", "expected 64 lower-case hex digits, got %q", d.SHA256)
		}
		oneOf(path+".format", d.Format, "auto", "netflow", "binetflow")
		oneOf(path+".on_bad_line", d.OnBadLine, "fail", "skip")
	}
	s.canonicalHosts(&v)
	s.checkHostAddrs(&v)
	for i, c := range s.Labels.ExcludeClasses {
		oneOf(fmt.Sprintf("labels.exclude_classes[%d]", i), c, "botnet", "normal", "background", "unknown")
	}
	for i, p := range append(slices.Clone(s.Labels.Include), s.Labels.Exclude...) {
		if p == "" || p == "*" {
			path := fmt.Sprintf("labels.include[%d]", i)
			if i >= len(s.Labels.Include) {
				path = fmt.Sprintf("labels.exclude[%d]", i-len(s.Labels.Include))
			}
			v.fail(path, "an empty pattern matches everything; remove it")
		}
	}
	for i, r := range s.Labels.Classes {
		if r.Match == "" {
			v.fail(fmt.Sprintf("labels.classes[%d].match", i), "missing")
		}
		oneOf(fmt.Sprintf("labels.classes[%d].class", i), r.Class, "botnet", "normal", "background")
	}
	if len(s.Hosts.Profile) == 0 {
		v.fail("hosts.profile", "missing: name the infected host to profile")
	}
	for i, h := range s.Hosts.Profile {
		if h == "" {
			v.fail(profilePath(s, i), "missing: name the infected host to profile")
		}
		if j := slices.Index(s.Hosts.Profile, h); j < i {
			v.fail(profilePath(s, i), "host %s is already listed at %s", h, profilePath(s, j))
		}
	}
	seen := map[string]string{}
	for _, list := range []struct {
		name  string
		hosts []string
	}{{"hosts.normal", s.Hosts.Normal}, {"hosts.infected", s.Hosts.Infected}} {
		for i, h := range list.hosts {
			path := fmt.Sprintf("%s[%d]", list.name, i)
			if h == "" {
				v.fail(path, "empty host address")
			}
			if prev, ok := seen[h]; ok {
				if v.fromSet(prev) && !v.fromSet(path) {
					// Blame the override, not the file's line.
					v.fail(prev, "host %s is also listed at %s", h, path)
				}
				v.fail(path, "host %s is already listed at %s", h, prev)
			}
			seen[h] = path
		}
	}
	for i, h := range s.Hosts.Profile {
		if j := slices.Index(s.Hosts.Normal, h); j >= 0 && h != "" {
			if normal := fmt.Sprintf("hosts.normal[%d]", j); v.fromSet(normal) && !v.fromSet(profilePath(s, i)) {
				v.fail(normal, "host %s is the profiled host (%s), which is infected", h, profilePath(s, i))
			}
			v.fail(profilePath(s, i), "the profiled host %s is listed as normal", h)
		}
	}
	if len(s.Hosts.Normal)+len(s.Hosts.Infected) == 0 && s.Hosts.Split.By == "" {
		v.fail("hosts", "no hosts to score: list hosts.normal and hosts.infected")
	}
	oneOf("hosts.view", s.Hosts.View, "", "src", "dst", "both")
	if sp := s.Hosts.Split; sp.By != "" || sp.At != "" {
		oneOf("hosts.split.by", sp.By, "time", "fraction")
		if err := (view.Split{By: sp.By, At: sp.At}).Validate(); err != nil {
			v.fail("hosts.split.at", "%v", err)
		}
	}
	if err := s.Evaluate.Decision.Decision().Validate(); err != nil {
		path := "evaluate.decision.value"
		if !slices.Contains([]string{"", "none", "fixed", "relative", "fpr"}, s.Evaluate.Decision.Rule) {
			path = "evaluate.decision.rule"
		}
		v.fail(path, "%v", err)
	} else if d := s.Evaluate.Decision; d.Rule == "relative" && len(s.Hosts.Profile) > 1 {
		// s_p would be the score of whichever profiled host came last.
		v.conflict("evaluate.decision.rule", "hosts.profile", "relative: the threshold is relative to the profiled host's score, and hosts.profile lists %d hosts; use evaluate.decision.rule fixed or fpr, or one profiled host", len(s.Hosts.Profile))
	} else if d.Rule != "" && d.Rule != "none" && root != nil && !hasPath(root, "evaluate.decision.value") {
		// An absent value decoded as 0: a threshold nobody chose.
		v.failAt("evaluate.decision.value", "evaluate.decision.rule", "missing: rule %s needs a value (%s)", d.Rule, map[string]string{
			"fixed": "the score threshold", "relative": "the fraction of the profiled host's score", "fpr": "the false-positive rate"}[d.Rule])
	} else if d.Value != 0 && d.Rule == "" {
		// Without a rule the value would be dropped silently (an explicit
		// rule none keeps it allowed: a sweep over [none, fixed]).
		v.fail("evaluate.decision.value", "set evaluate.decision.rule (fixed, relative or fpr) for a decision value")
	}
	if s.Evaluate.ROC {
		// The profiled host is scored but never part of the ROC.
		positives := len(heldOut(s)) // the profiled hosts' held-out parts
		for _, h := range s.Hosts.Infected {
			if !slices.Contains(s.Hosts.Profile, h) {
				positives++
			}
		}
		switch {
		case positives == 0:
			v.conflict("hosts.infected", "hosts.profile", "no infected host besides the profiled one %s: a ROC needs one (its AUC would be NaN); add infected hosts, split the profiled host (hosts.split), or set evaluate.roc: false for scores only", strings.Join(s.Hosts.Profile, ", "))
		case len(s.Hosts.Normal) == 0:
			v.fail("hosts.normal", "no normal host: a ROC needs one (its AUC would be NaN); add normal hosts, or set evaluate.roc: false for scores only")
		}
	}

	d := s.Discretize
	oneOf("discretize.compat", d.Compat, "none", "notebook", "notebook-list")
	if mode := d.fitMode(); mode == "hosts" {
		for i, h := range d.FitOn {
			if h == "" {
				v.fail(fmt.Sprintf("discretize.fit_on[%d]", i), "empty host")
			}
			if h == "profile" || h == "all" {
				// Read as a host name, it failed the point: "profiled host
				// profile, all has no flows".
				v.fail(fmt.Sprintf("discretize.fit_on[%d]", i), "%q is not a host: write fit_on: %s on its own, or a list of hosts", h, h)
			}
		}
		if d.FitHost != "" {
			v.conflict("discretize.fit_host", "discretize.fit_on", "fit_host and a fit_on host list both name the fit hosts: keep one")
		}
	}
	if len(d.Features) == 0 {
		v.fail("discretize.features", "at least one feature is needed")
	}
	for i, f := range d.Features {
		path := fmt.Sprintf("discretize.features[%d]", i)
		switch {
		case len(f.Ratio) > 0 && (len(f.Ratio) != 2 || f.Column != ""):
			v.fail(path+".ratio", "want [a, b] (two numeric columns) and no column")
		case len(f.Ratio) == 2:
			for j, c := range f.Ratio {
				if load.Schema.FieldIndices(c) == nil {
					v.fail(fmt.Sprintf("%s.ratio[%d]", path, j), "%q is not a flow column (want one of %s)", c, flowColumns())
				}
			}
		case f.Column == "":
			v.fail(path+".column", "missing")
		case load.Schema.FieldIndices(f.Column) == nil && !derive.Is(f.Column):
			v.fail(path+".column", "%q is not a flow column (want one of %s, or bytes_per_packet, bytes_per_second, interarrival)", f.Column, flowColumns())
		}
		for j := 1; j < len(f.Percentiles); j++ {
			if p, prev := f.Percentiles[j], f.Percentiles[j-1]; p <= prev {
				// Stricter than the stage, which computes equal ones.
				v.fail(fmt.Sprintf("%s.percentiles[%d]", path, j), "cut points must increase (%v after %v)", p, prev)
			}
		}
		// The feature's other fields: discretize.Params.Validate (see
		// stageParams.validate), at their paths.
	}
	if d.Compat == "notebook" || d.Compat == "notebook-list" {
		if len(d.Features) != 2 || d.Features[0].Kind != "category" || d.Features[1].Kind != "percentile" {
			v.conflict("discretize.features", "discretize.compat", "compat %s reproduces the notebook's two features: a category (proto) then a percentile feature (bytes)", d.Compat)
		}
		if d.fitMode() != "profile" {
			v.conflict("discretize.fit_on", "discretize.compat", "compat %s fits on the profiled host, as the notebook does", d.Compat)
		}
	}

	w := s.Window
	if w.Span != "" {
		s.validateSpan(&v, root)
	} else if w.MinFlows != 0 {
		v.fail("window.min_flows", "applies to time windows: set window.span")
	}
	if w.Size < 1 {
		v.fail("window.size", "must be at least 1, got %d", w.Size)
	}
	if w.Stride < 1 {
		v.fail("window.stride", "must be at least 1, got %d", w.Stride)
	}
	oneOf("window.compat", w.Compat, "none", "notebook")
	if w.Compat == "notebook" && w.Stride != 1 {
		v.conflict("window.stride", "window.compat", "compat notebook slides by one flow; stride must be 1, got %d", w.Stride)
	}

	m := s.Model
	oneOf("model.kind", m.Kind, "gaussian", "categorical", "markov")
	if m.States < 1 || m.States > 512 {
		v.fail("model.states", "must be between 1 and 512, got %d", m.States)
	}
	oneOf("model.covariance", m.Covariance, "diag", "spherical", "full", "tied")
	oneOf("model.input", m.Input, "", "rows", "sequences", "concat")
	if (m.Kind == "categorical" || m.Kind == "markov") && m.Input == "rows" {
		v.conflict("model.input", "model.kind", "a %s model reads symbol sequences; use model.input sequences", m.Kind)
	}
	oneOf("model.smoothing.kind", m.Smoothing.Kind, "", "none", "additive")
	if a := m.Smoothing.Alpha; !(a >= 0) || math.IsInf(a, 1) {
		v.fail("model.smoothing.alpha", "must be a finite number ≥ 0, got %v", a)
	} else if a > 0 && m.Smoothing.Kind != "additive" {
		v.conflict("model.smoothing.alpha", "model.smoothing.kind", "a pseudo-count alpha needs model.smoothing.kind: additive (kind is %q)", m.Smoothing.Kind)
	} else if m.Smoothing.Kind == "additive" && root != nil && !hasPath(root, "model.smoothing.alpha") {
		// An absent alpha decoded as 0: additive smoothing that adds nothing.
		v.failAt("model.smoothing.alpha", "model.smoothing.kind", "missing: additive smoothing needs the pseudo-count alpha (1 is Laplace)")
	}
	if m.Kind == "markov" && (m.Order < 1 || m.Order > markov.MaxOrder) {
		v.fail("model.order", "a Markov chain's order is 1..%d, got %d", markov.MaxOrder, m.Order)
	}
	if m.NIter < 1 {
		v.fail("model.n_iter", "must be at least 1, got %d", m.NIter)
	}
	if m.Restarts < 1 || m.Restarts > 1000 {
		v.fail("model.restarts", "must be between 1 and 1000, got %d", m.Restarts)
	}
	oneOf("model.implementation", m.Implementation, "log", "scaling")
	for _, p := range []struct {
		path string
		val  float64
	}{{"model.tol", m.Tol}, {"model.min_covar", m.MinCovar}, {"model.startprob_prior", m.StartprobPrior},
		{"model.transmat_prior", m.TransmatPrior}, {"model.means_prior", m.MeansPrior}, {"model.means_weight", m.MeansWeight},
		{"model.covars_prior", m.CovarsPrior}, {"model.covars_weight", m.CovarsWeight}, {"model.emission_prior", m.EmissionPrior}} {
		// At its own path (a --set names itself): the model's own check
		// blamed the spec's model section, and an infinite tol passed it
		// and failed the point writing its cache key.
		if math.IsNaN(p.val) || math.IsInf(p.val, 0) {
			v.fail(p.path, "must be a finite number, got %v", p.val)
		}
	}
	if m.MinCovar <= 0 {
		v.fail("model.min_covar", "must be positive, got %v", m.MinCovar)
	}
	for _, p := range []struct {
		path string
		val  float64
	}{{"model.startprob_prior", m.StartprobPrior}, {"model.transmat_prior", m.TransmatPrior},
		{"model.means_weight", m.MeansWeight}, {"model.covars_prior", m.CovarsPrior},
		{"model.covars_weight", m.CovarsWeight}, {"model.emission_prior", m.EmissionPrior}} {
		if p.val < 0 {
			v.fail(p.path, "must not be negative, got %v", p.val)
		}
	}
	if m.Symbols < 0 {
		v.fail("model.symbols", "must not be negative, got %d", m.Symbols)
	}
	oneOf("evaluate.score", s.Evaluate.Score, runfolder.ScoreKinds...)
	oneOf("evaluate.normalize", s.Evaluate.Normalize, "", "none", "per_window", "per_flow")
	oneOf("evaluate.select", s.Evaluate.Select, "", "auc_host", "auc_window", "train_loglik", "f1")
	if s.Evaluate.Select == "f1" && !s.Evaluate.Decision.Decision().Enabled() {
		v.conflict("evaluate.select", "evaluate.decision.rule", "f1 comes from a decision rule: set evaluate.decision")
	}
	if s.Reference.Score != "" {
		oneOf("reference.score", s.Reference.Score, runfolder.ScoreKinds...)
	}
	if v.err == nil {
		// What only a stage knows, on the values it will run with.
		paramsOf(s).validate(s, &v)
	}
	return v.err
}

type validator struct {
	file string
	root *yaml.Node
	err  error
}

func (v *validator) fail(path, format string, args ...any) {
	v.failAt(path, path, format, args...)
}

// conflict fails a rule between the values of two keys at path, or at
// other when only other came from a --set override: of two values that
// conflict, the override is blamed (see fromSet). The message must read
// at either key.
func (v *validator) conflict(path, other, format string, args ...any) {
	if v.fromSet(other) && !v.fromSet(path) {
		path = other
	}
	v.fail(path, format, args...)
}

// fromSet reports whether the value at path came from a --set override
// (see applySets): of two values that conflict, the override is blamed.
func (v *validator) fromSet(path string) bool {
	return v.root != nil && lineOf(v.root, path) < 0
}

// failAt is fail with the line of another key, at: for a key that is
// missing, the line of the key that needs it.
func (v *validator) failAt(path, at, format string, args ...any) {
	if v.err != nil {
		return
	}
	line := 0
	if v.root != nil {
		line = lineOf(v.root, at)
	}
	v.err = &SpecError{File: v.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// ModelInput returns how windows are given to the model.
func (m ModelSpec) ModelInput() string {
	if m.Input != "" {
		return m.Input
	}
	if m.Kind == "categorical" || m.Kind == "markov" {
		return "sequences"
	}
	return "rows"
}

// flowColumns lists the columns of load.Schema.
func flowColumns() string {
	names := make([]string, 0, load.Schema.NumFields())
	for _, f := range load.Schema.Fields() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// validateSpan checks time windows (window.span): a duration of whole
// microseconds, without size, stride or compat written in the spec, and a
// model that reads sequences.
func (s *Spec) validateSpan(v *validator, root *yaml.Node) {
	w := s.Window
	d, err := time.ParseDuration(w.Span)
	switch {
	case err != nil:
		v.fail("window.span", "%q is not a duration (e.g. 20ms, 1.5s)", w.Span)
	case d < time.Microsecond || d%time.Microsecond != 0:
		v.fail("window.span", "%s: want a positive whole number of microseconds (flow start times are in µs)", w.Span)
	}
	for _, k := range []string{"size", "stride", "compat"} {
		if hasPath(root, "window."+k) {
			v.conflict("window."+k, "window.span", "time windows (window.span) have no %s: remove one of the two", k)
		}
	}
	if w.MinFlows < 0 {
		v.fail("window.min_flows", "must not be negative, got %d", w.MinFlows)
	}
	if s.Model.ModelInput() == "rows" {
		other := "model.kind"
		if s.Model.Input != "" {
			other = "model.input"
		}
		v.conflict("window.span", other, "time windows vary in length: the model must read sequences (model.kind categorical or markov, or model.input: sequences), not rows")
	}
}

// hasPath reports whether the YAML tree sets the dotted key.
func hasPath(root *yaml.Node, path string) bool {
	if root == nil {
		return false
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	cur := root
	for _, p := range strings.Split(path, ".") {
		if cur.Kind != yaml.MappingNode {
			return false
		}
		var next *yaml.Node
		for j := 0; j+1 < len(cur.Content); j += 2 {
			if cur.Content[j].Value == p {
				next = cur.Content[j+1]
			}
		}
		if next == nil {
			return false
		}
		cur = next
	}
	return true
}
