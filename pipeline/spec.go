package pipeline

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"botprof/stages/derive"
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

// DataSpec names the input file: `data` is one mapping (one source), or a
// list of named sources (`data: [{name: s10, path: ...}, {name: s11, path:
// ...}]`) whose hosts are written name:address.
type DataSpec struct {
	Name              string `yaml:"name" json:"name,omitempty" help:"the source's name (a list of sources: required, letters, digits, '_' and '-'); hosts are written name:address"`
	Path              string `yaml:"path" json:"path" help:"flow file (CTU-13 .netflow.labeled or .binetflow; plain, .gz or .zst); relative to the spec file's directory, or to the working directory if it exists there"`
	SHA256            string `yaml:"sha256" json:"sha256" help:"expected sha256 of the decompressed content; the run fails on a mismatch (empty: not checked, but recorded)"`
	Format            string `yaml:"format" json:"format" help:"auto | netflow | binetflow (auto reads the header)"`
	OnBadLine         string `yaml:"on_bad_line" json:"on_bad_line" help:"fail | skip: what an unparsable line does (skipped lines are listed in the manifest)"`
	SkipFirstDataLine bool   `yaml:"skip_first_data_line" json:"skip_first_data_line" help:"notebook compat: drop the first data line, as read_csv(skiprows=1, header=0) does"`
	// Sources holds the list form of `data`; the fields above are then
	// unused.
	Sources []DataSpec `yaml:"-" json:"sources,omitempty"`
}

// List returns the data sources: the list form's, or the one mapping.
func (d DataSpec) List() []DataSpec {
	if len(d.Sources) > 0 {
		return d.Sources
	}
	return []DataSpec{d}
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
	Profile  HostList  `yaml:"profile" json:"profile" help:"the infected host whose windows train the model, or a list of them (each host's windows are its own sequences)"`
	Normal   []string  `yaml:"normal" json:"normal" help:"normal hosts to score (ROC negatives)"`
	Infected []string  `yaml:"infected" json:"infected" help:"infected hosts to score (ROC positives; the profiled host is left out of the ROC)"`
	View     string    `yaml:"view" json:"view,omitempty" help:"src | dst | both: a host's flows are those it sends (the notebook's), receives, or both (CTU-13 NetFlow lists each direction as its own flow) [default src]"`
	Split    SplitSpec `yaml:"split" json:"split,omitzero"`
}

// HostList is hosts.profile: one host or a list. It is written as a string
// when it holds one host, so that such specs keep their manifests and cache
// keys.
type HostList []string

// MarshalJSON writes one host as a string, several as a list.
func (l HostList) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return json.Marshal(l[0])
	}
	return json.Marshal([]string(l))
}

// UnmarshalJSON reads a string or a list of strings.
func (l *HostList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = HostList{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(l))
}

// First is the first host ("" for none): the profiled host of a spec with
// one.
func (l HostList) First() string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

// SplitSpec is hosts.split: train on part of the profiled host, score the rest.
type SplitSpec struct {
	By string `yaml:"by" json:"by,omitempty" help:"time | fraction: train on the profiled host's flows before split.at (a time, the data's clock: \"2011-08-18 12:00:00\") or on its first split.at (0..1) of flows in time order; the rest is scored as host@test, a ROC positive"`
	At string `yaml:"at" json:"at,omitempty" help:"where the profiled host's flows are cut"`
}

// FeatureSpec is one discretized flow feature.
type FeatureSpec struct {
	Column      string    `yaml:"column" json:"column" help:"flow column: proto, bytes, packets, duration, state, dir, dst_port, ..., or a derived one: bytes_per_packet, bytes_per_second, interarrival (seconds since the host's previous flow)"`
	Ratio       []string  `yaml:"ratio" json:"ratio,omitempty" help:"[a, b]: the derived column a / b of two numeric columns, instead of column (0/0 = 0; a zero denominator counts as one unit: 1, or 1 µs for duration)"`
	Kind        string    `yaml:"kind" json:"kind" help:"percentile | cuts | kmeans (numeric bins) | category"`
	Percentiles []float64 `yaml:"percentiles" json:"percentiles,omitempty" help:"cut points on the 0-100 scale (percentile kind)"`
	Cuts        []float64 `yaml:"cuts" json:"cuts,omitempty" help:"explicit cut points, increasing (cuts kind)"`
	K           int       `yaml:"k" json:"k,omitempty" help:"clusters of a 1-D k-means of the fit values; cuts at the midpoints between sorted centres (kmeans kind)"`
	Seed        *uint64   `yaml:"seed" json:"seed,omitempty" help:"kmeans kind: start Lloyd's iterations from a k-means++ seeding drawn with this seed (PCG, a fixed stream) instead of from the (j+0.5)/k quantiles; the same seed gives the same cuts [default: none, the quantile start]"`
	Right       bool      `yaml:"right" json:"right,omitempty" help:"numeric bin rule: false puts v in bin i when cut_i-1 <= v < cut_i (numpy digitize's default), true when cut_i-1 < v <= cut_i"`
	Categories  []string  `yaml:"categories" json:"categories,omitempty" help:"a fixed category table, value k = digit k (category kind; default: fitted, sorted, plus an unseen digit)"`
	Unseen      string    `yaml:"unseen" json:"unseen,omitempty" help:"a value outside categories: error (default) | extra (one more digit) | drop (the flow is removed before windowing)"`
}

// column is the feature's column: Column, or the derived ratio.
func (f FeatureSpec) column() string {
	if len(f.Ratio) == 2 {
		return derive.Ratio(f.Ratio[0], f.Ratio[1])
	}
	return f.Column
}

// DiscretizeSpc configures the discretize stage.
type DiscretizeSpc struct {
	Compat   string        `yaml:"compat" json:"compat" help:"none | notebook (Python-3 map iterator: bytes bins used up after the first rows) | notebook-list (list(map) reading)"`
	FitOn    HostList      `yaml:"fit_on" json:"fit_on" help:"profile | all | [hosts]: whose flows fit the cuts and category tables: the profiled hosts, every listed host, or the hosts listed here"`
	FitHost  string        `yaml:"fit_host" json:"fit_host,omitempty" help:"the host whose flows fit the cuts when fit_on is profile (default: hosts.profile; the notebook's published table fitted the cuts on .204 and the model on .209)"`
	Features []FeatureSpec `yaml:"features" json:"features" help:"features in mixed-radix order (code = sum v_f * prod of later sizes)"`
}

// WindowSpec configures sliding windows.
type WindowSpec struct {
	Size     int    `yaml:"size" json:"size" help:"flows per window"`
	Stride   int    `yaml:"stride" json:"stride" help:"flows between window starts"`
	Compat   string `yaml:"compat" json:"compat" help:"none | notebook (n - size windows: the last one dropped; stride 1)"`
	Span     string `yaml:"span" json:"span,omitempty" help:"time windows instead of size/stride: a host's flows cut into consecutive windows of the flows starting less than span (e.g. 20ms, 1s) after the window's first; variable length, so the model reads sequences (categorical, markov)"`
	MinFlows int    `yaml:"min_flows" json:"min_flows,omitempty" help:"time windows: leave out windows of fewer flows [default 1]"`
}

// ModelSpec configures the HMM.
type ModelSpec struct {
	Kind           string        `yaml:"kind" json:"kind" help:"gaussian | categorical (HMMs) | markov (a Markov chain over flow codes, the baseline; reads sequences)"`
	States         int           `yaml:"states" json:"states" help:"number of hidden states"`
	Covariance     string        `yaml:"covariance" json:"covariance" help:"diag | spherical | full | tied (gaussian)"`
	Input          string        `yaml:"input" json:"input" help:"rows (a host's windows are one sequence of size-dimensional rows, as the notebook) | sequences (each window is a sequence of flow codes) | concat (train as sequences; score a host's windows concatenated, each window by its share log P(w_i | w_<i)); default: rows for gaussian, sequences for categorical"`
	NIter          int           `yaml:"n_iter" json:"n_iter" help:"maximum EM iterations"`
	Tol            float64       `yaml:"tol" json:"tol" help:"stop when the log-likelihood gain is below this"`
	Seed           uint64        `yaml:"seed" json:"seed" help:"random seed of the initialisation"`
	Restarts       int           `yaml:"restarts" json:"restarts" help:"fit from this many seeds (seed, seed+1, ...) and keep the best training log-likelihood"`
	Implementation string        `yaml:"implementation" json:"implementation" help:"log | scaling forward-backward"`
	MinCovar       float64       `yaml:"min_covar" json:"min_covar" help:"added to the data covariance at initialisation"`
	StartprobPrior float64       `yaml:"startprob_prior" json:"startprob_prior" help:"Dirichlet concentration of the start probabilities"`
	TransmatPrior  float64       `yaml:"transmat_prior" json:"transmat_prior" help:"Dirichlet concentration of transition rows"`
	MeansPrior     float64       `yaml:"means_prior" json:"means_prior" help:"prior mean (gaussian)"`
	MeansWeight    float64       `yaml:"means_weight" json:"means_weight" help:"weight of the prior mean (gaussian)"`
	CovarsPrior    float64       `yaml:"covars_prior" json:"covars_prior" help:"prior added to covariances (gaussian)"`
	CovarsWeight   float64       `yaml:"covars_weight" json:"covars_weight" help:"weight of the covariance prior (gaussian)"`
	EmissionPrior  float64       `yaml:"emission_prior" json:"emission_prior" help:"Dirichlet concentration of emission rows (categorical; > 1 keeps unseen symbols possible)"`
	Symbols        int           `yaml:"symbols" json:"symbols" help:"number of symbols (categorical, markov; 0: the discretizer's code count)"`
	Order          int           `yaml:"order" json:"order,omitempty" help:"markov: the chain's order (symbols of context), 1..8"`
	Smoothing      SmoothingSpec `yaml:"smoothing" json:"smoothing,omitzero"`
}

// SmoothingSpec is model.smoothing: additive smoothing of a Markov chain's
// transition counts, or of a categorical HMM's expected emission counts
// after the fit. A Gaussian model has no counts and ignores it.
type SmoothingSpec struct {
	Kind  string  `yaml:"kind" json:"kind,omitempty" help:"none | additive: markov P(s|c) = (count(c,s) + alpha) / (count(c) + alpha·S) (none leaves unseen transitions at probability 0, score -Inf); categorical: the same on each state's expected emission counts after the fit; gaussian: ignored"`
	Alpha float64 `yaml:"alpha" json:"alpha,omitempty" help:"the added pseudo-count (additive; 1 is Laplace)"`
}

// EvaluateSpec configures scoring.
type EvaluateSpec struct {
	Score string `yaml:"score" json:"score" help:"primary score for the ROC: viterbi (the notebook's) | loglik | loglik_per_window"`
	ROC   bool   `yaml:"roc" json:"roc" help:"compute ROC metrics: needs a scored infected host besides the profiled one and a normal host; false: scores only"`
	// Decision adds a confusion matrix (see evaluate.Decision).
	Decision DecisionSpec `yaml:"decision" json:"decision"`
	Select   string       `yaml:"select" json:"select,omitempty" help:"auc_host | auc_window | train_loglik | f1: the metric that picks the best point in summary.md, figures and botprof ls (median over seeds; f1 needs evaluate.decision); it changes no result [default auc_host]"`

	// Normalize divides scores (see evaluate.Params.Normalize).
	Normalize string `yaml:"normalize" json:"normalize,omitempty" help:"none (default: sums, today's scores) | per_window (a host's viterbi and loglik ÷ its windows) | per_flow (÷ the codes its windows hold, a flow in two windows counted twice; each window's score ÷ its codes, for the window ROC); loglik_per_window stays loglik ÷ windows"`
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
		Discretize: DiscretizeSpc{Compat: "none", FitOn: HostList{"profile"}, Features: []FeatureSpec{
			{Column: "proto", Kind: "category"},
			{Column: "bytes", Kind: "percentile", Percentiles: []float64{10, 30, 50, 70, 90}},
		}},
		Window: WindowSpec{Size: 10, Stride: 1, Compat: "none"},
		Model: ModelSpec{Kind: "gaussian", States: 4, Covariance: "diag", NIter: 10, Tol: 0.01,
			Restarts: 1, Implementation: "log", MinCovar: 1e-3, Order: 1, StartprobPrior: 1, TransmatPrior: 1,
			CovarsPrior: 1e-2, CovarsWeight: 1, EmissionPrior: 1},
		Evaluate: EvaluateSpec{Score: "viterbi", ROC: true},
	}
}

// HelpText explains every spec key with its default, for `botprof run --help`.
func HelpText() string {
	var b strings.Builder
	def := DefaultSpec()
	writeHelp(&b, reflect.ValueOf(def), "")
	b.WriteString("data: [{name, path, ...}, ...]  several named sources instead of one; each takes the data.* keys above, and hosts\n")
	b.WriteString("                               are written name:address (a bare address when there is one source)\n")
	b.WriteString("sweep                          mapping of spec keys to lists of values; the run covers their cartesian product\n")
	b.WriteString("                               (e.g. window.size: [5, 10, 20]); points are named key=value,key=value\n")
	return b.String()
}

func writeHelp(b *strings.Builder, v reflect.Value, prefix string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
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
