package evaluate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"botprof/hmm"
	"botprof/report/plural"
	"botprof/stages/train"
	"botprof/stages/window"
)

// Score kinds.
const (
	ScoreViterbi         = "viterbi"
	ScoreLogLik          = "loglik"
	ScoreLogLikPerWindow = "loglik_per_window"
)

// Kinds lists the score kinds in output order.
var Kinds = []string{ScoreViterbi, ScoreLogLik, ScoreLogLikPerWindow}

// Normalisations: what a host's viterbi and loglik and a window's score
// are divided by (see Params.Normalize).
const (
	NormalizeNone      = "none"
	NormalizePerWindow = "per_window"
	NormalizePerFlow   = "per_flow"
)

// Normalizations lists the normalisations; "" is NormalizeNone.
var Normalizations = []string{NormalizeNone, NormalizePerWindow, NormalizePerFlow}

// Inputs: how a host's windows are given to the model.
const (
	// InputRows and InputSequences are the model inputs (train.Inputs).
	InputRows      = train.InputRows
	InputSequences = train.InputSequences
	InputConcat    = train.InputConcat
)

// Host classes and statuses.
const (
	ClassProfile  = "profile"
	ClassNormal   = "normal"
	ClassInfected = "infected"

	StatusOK           = "ok"
	StatusInsufficient = "insufficient"
)

// Scorer is the part of hmm.Model the stage uses: Decode and Score for
// sequences input, DecodeAndScoreFrames for rows input. With Workers > 1
// its methods are called concurrently.
type Scorer interface {
	Score(hmm.Sequences) ([]float64, error)
	Decode(hmm.Sequences) ([]float64, []int, error)
	DecodeAndScoreFrames(hmm.Sequences) (viterbi, frames []float64, err error)
}

// Params configures the stage.
type Params struct {
	// Score is the primary kind, reported under the unsuffixed metric keys.
	Score string `json:"score" yaml:"score"`
	// Input is "rows" or "sequences".
	Input string `json:"input" yaml:"input"`
	// Workers is how many hosts are scored at once (0 or 1: one at a
	// time). Results do not depend on it.
	Workers int `json:"-" yaml:"workers"`
	// Decision, when its Rule is set, adds a confusion matrix of the
	// primary score to the metrics (see Decision).
	Decision Decision `json:"decision,omitzero" yaml:"decision"`
	// Normalize divides scores by what they cover: "" or "none" (sums, the
	// default), "per_window" (a host's viterbi and loglik by its windows)
	// or "per_flow" (a host's viterbi and loglik by the codes its windows
	// hold, and every window's score by its codes). loglik_per_window is
	// loglik / windows before any normalisation.
	Normalize string `json:"normalize,omitempty" yaml:"normalize"`
	// Hosts are the hosts to score, with their classes, in output order.
	Hosts []HostSpec `json:"hosts" yaml:"hosts"`
}

// Version is the version of the stage's output for the same Params and
// inputs: part of its cache key. 6: window scores within 1e-12 tie
// (TieTol). 7: the window ROC keeps its low-FPR end (ThinROC). 8: a -Inf
// window score ties only with -Inf (it tied every window before). 9: a
// host of one flow is "insufficient data (1 flow, …)" in Warnings, which
// the pipeline's evaluate entry stores (it was "1 flows").
const Version = 9

// Input is what the stage scores: a trained model and the windows.
type Input struct {
	Model   Scorer
	Windows *window.Result
}

// Validate reports an unknown score kind or input.
func (p Params) Validate() error {
	var errs []error
	if !slices.Contains(Kinds, p.Score) {
		errs = append(errs, fmt.Errorf("stage evaluate: score %q: want one of %q", p.Score, Kinds))
	}
	if p.Input != InputRows && p.Input != InputSequences && p.Input != InputConcat {
		errs = append(errs, fmt.Errorf("stage evaluate: input %q: want %q, %q or %q", p.Input, InputRows, InputSequences, InputConcat))
	}
	if p.Normalize != "" && !slices.Contains(Normalizations, p.Normalize) {
		errs = append(errs, fmt.Errorf("stage evaluate: normalize %q: want one of %q", p.Normalize, Normalizations))
	}
	if p.Workers < 0 {
		errs = append(errs, fmt.Errorf("stage evaluate: workers %d, must be ≥ 0", p.Workers))
	}
	return errors.Join(errs...)
}

// HostSpec names a host to score and its class.
type HostSpec struct {
	Host  string `json:"host" yaml:"host"`
	Class string `json:"class" yaml:"class"`
}

// HostScore is the evaluation of one host. Scores are NaN when Status is
// "insufficient".
type HostScore struct {
	Host            string  `json:"host"`
	Class           string  `json:"class"`
	Status          string  `json:"status"`
	Flows           int     `json:"flows"`
	Windows         int     `json:"windows"`
	Viterbi         float64 `json:"viterbi"`
	LogLik          float64 `json:"loglik"`
	LogLikPerWindow float64 `json:"loglik_per_window"`
	// WindowScores has one score per window: its forward log-likelihood
	// increment log P(w_i | w_<i) in the host's sequence (rows input), or
	// the log-likelihood of the window as its own sequence (sequences input).
	WindowScores []float64 `json:"-"`
}

// Value returns the score of the given kind.
func (h *HostScore) Value(kind string) float64 {
	switch kind {
	case ScoreViterbi:
		return h.Viterbi
	case ScoreLogLik:
		return h.LogLik
	case ScoreLogLikPerWindow:
		return h.LogLikPerWindow
	}
	panic("evaluate: unknown score kind " + kind)
}

// Result is the stage output.
type Result struct {
	Score string
	// Hosts are in the order of Params.Hosts.
	Hosts []HostScore
	// Metrics has the keys auc_host, margin, tpr_at_fpr0, auc_window (the
	// primary kind) and auc_host.<kind>, margin.<kind>, tpr_at_fpr0.<kind>
	// for every kind. Undefined metrics are NaN, with a warning.
	Metrics map[string]float64
	// ROCHost is the host ROC curve per kind; ROCWindow the window ROC,
	// at most MaxWindowPoints points.
	ROCHost   map[string][]Point
	ROCWindow []Point
	// Warnings explain hosts kept out of the ROC and undefined metrics.
	Warnings []string
}

// MaxWindowPoints bounds Result.ROCWindow.
const MaxWindowPoints = 1000

// Run scores p.Hosts with in.Model on their windows from in.Windows and
// computes the metrics.
func Run(ctx context.Context, in Input, p Params) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	m, wins, hosts := in.Model, in.Windows, p.Hosts
	hws := make([]*window.HostWindows, len(hosts))
	seen := map[string]bool{}
	for i, h := range hosts {
		switch h.Class {
		case ClassProfile, ClassNormal, ClassInfected:
		default:
			return nil, fmt.Errorf("stage evaluate: host %s: class %q: want profile, normal or infected", h.Host, h.Class)
		}
		if seen[h.Host] {
			return nil, fmt.Errorf("stage evaluate: host %s is listed twice", h.Host)
		}
		seen[h.Host] = true
		if hws[i] = wins.Host(h.Host); hws[i] == nil {
			return nil, fmt.Errorf("stage evaluate: host %s has no windows (not in the window stage's hosts)", h.Host)
		}
	}

	res := &Result{Score: p.Score, Hosts: make([]HostScore, len(hosts))}
	errs := make([]error, len(hosts))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(p.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []float64 // one host's model input, reused
			for i := range jobs {
				res.Hosts[i], buf, errs[i] = scoreHost(m, hws[i], hosts[i], p.Input, buf)
				if errs[i] == nil {
					normalize(&res.Hosts[i], hws[i], p.Normalize)
				}
			}
		}()
	}
	for _, i := range longestFirst(hws) {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res.metrics(wins.Params)
	res.decide(p.Decision)
	return res, nil
}

// longestFirst returns the indices of hws, hosts with more windows first
// (ties in order), the order in which workers take them: a long host
// started last would leave the other workers idle until it is done.
func longestFirst(hws []*window.HostWindows) []int {
	order := make([]int, len(hws))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return hws[b].Count - hws[a].Count })
	return order
}

// scoreHost scores one host; buf is memory for the model input, and the
// (possibly grown) buffer is returned for the next host.
func scoreHost(m Scorer, hw *window.HostWindows, spec HostSpec, input string, buf []float64) (HostScore, []float64, error) {
	hs := HostScore{Host: spec.Host, Class: spec.Class, Flows: hw.Flows, Windows: hw.Count}
	if hw.Insufficient {
		hs.Status = StatusInsufficient
		hs.Viterbi, hs.LogLik, hs.LogLikPerWindow = math.NaN(), math.NaN(), math.NaN()
		return hs, buf, nil
	}
	hs.Status = StatusOK
	seqs, err := train.InputsInto(hw, input, buf)
	if err != nil {
		return hs, buf, fmt.Errorf("stage evaluate: %w", err)
	}
	nseq := hw.Count
	var lengths []int // concat: the windows' lengths in the one sequence
	if input == InputConcat {
		lengths, seqs.Lengths = seqs.Lengths, nil
	}
	if input == InputRows || input == InputConcat {
		nseq = 1
	}
	buf = seqs.X
	fail := func(what string, err error) (HostScore, []float64, error) {
		return hs, buf, fmt.Errorf("stage evaluate: host %s: %s: %w", spec.Host, what, err)
	}
	if input == InputSequences {
		vit, _, err := m.Decode(seqs)
		if err != nil {
			return fail("viterbi", err)
		}
		if len(vit) != nseq {
			return fail("model", fmt.Errorf("%d viterbi scores for %d sequences", len(vit), nseq))
		}
		hs.Viterbi = sum(vit)
		// Each window is its own sequence: its log-likelihood is its score.
		ll, err := m.Score(seqs)
		if err != nil {
			return fail("log-likelihood", err)
		}
		if len(ll) != nseq {
			return fail("model", fmt.Errorf("%d log-likelihoods for %d sequences", len(ll), nseq))
		}
		hs.LogLik, hs.WindowScores = sum(ll), ll
	} else {
		// Rows, or concat: a window's score is its share of the host's log-likelihood,
		// log P(w_i | w_<i); the shares add up to the host's log-likelihood
		// (to rounding), so one forward pass gives both. Scoring a window
		// alone instead would go through the start distribution only, which
		// a model fitted on one long sequence concentrates on a single state.
		// The Viterbi pass shares the forward pass's emission densities.
		vit, frames, err := m.DecodeAndScoreFrames(seqs)
		if err != nil {
			return fail("viterbi and window log-likelihoods", err)
		}
		if len(vit) != nseq {
			return fail("model", fmt.Errorf("%d viterbi scores for %d sequences", len(vit), nseq))
		}
		if lengths != nil {
			// One score per code: a window's score is the sum over its
			// codes.
			if len(frames) != len(seqs.X) {
				return fail("model", fmt.Errorf("%d code scores for %d codes", len(frames), len(seqs.X)))
			}
			ws, k := make([]float64, len(lengths)), 0
			for i, n := range lengths {
				ws[i] = sum(frames[k : k+n])
				k += n
			}
			frames = ws
		}
		if len(frames) != hw.Count {
			return fail("model", fmt.Errorf("%d window scores for %d windows", len(frames), hw.Count))
		}
		hs.Viterbi, hs.LogLik, hs.WindowScores = sum(vit), sum(frames), frames
	}
	hs.LogLikPerWindow = hs.LogLik / float64(hw.Count)
	return hs, buf, nil
}

// normalize divides hs's viterbi and loglik, and with per_flow its window
// scores, as Params.Normalize says. A code is counted once per window that
// holds it: with overlapping windows (stride < size) a flow counts more
// than once, so per_flow is the mean score of a scored code.
func normalize(hs *HostScore, hw *window.HostWindows, how string) {
	if hs.Status != StatusOK {
		return
	}
	switch how {
	case NormalizePerWindow:
		hs.Viterbi /= float64(hw.Count)
		hs.LogLik /= float64(hw.Count)
	case NormalizePerFlow:
		codes := 0
		for i := range hs.WindowScores {
			n := len(hw.Window(i))
			codes += n
			hs.WindowScores[i] /= float64(n)
		}
		hs.Viterbi /= float64(codes)
		hs.LogLik /= float64(codes)
	}
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// decide adds the confusion matrix of d on the primary score to Metrics:
// threshold, tp, fp, tn, fn, precision, recall, f1, accuracy. The hosts are
// those of the host ROC (the profiled host is never counted).
func (r *Result) decide(d Decision) {
	if !d.Enabled() {
		return
	}
	var pos, neg []float64
	profile := math.NaN()
	for _, h := range r.Hosts {
		v := h.Value(r.Score)
		switch {
		case h.Status != StatusOK || math.IsNaN(v):
		case h.Class == ClassProfile:
			profile = v
		case h.Class == ClassInfected:
			pos = append(pos, v)
		default:
			neg = append(neg, v)
		}
	}
	t := d.Threshold(pos, neg, profile)
	if math.IsNaN(t) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("decision %s %g: no threshold (no profiled-host score or no normal host): its metrics are NaN", d.Rule, d.Value))
	}
	for k, v := range Decide(pos, neg, t).Metrics() {
		if math.IsNaN(t) {
			v = math.NaN()
		}
		r.Metrics[k] = v
	}
}

// metrics fills Metrics, ROCHost, ROCWindow and Warnings. wp are the
// window parameters, for the warnings.
func (r *Result) metrics(wp window.Params) {
	for _, h := range r.Hosts {
		if h.Status == StatusInsufficient && h.Class != ClassProfile {
			r.Warnings = append(r.Warnings, fmt.Sprintf("host %s: insufficient data (%s, %s): kept out of the ROC", h.Host, plural.Count(h.Flows, "flow"), wp.Need()))
		}
	}
	r.Metrics = map[string]float64{}
	r.ROCHost = map[string][]Point{}
	for _, kind := range Kinds {
		var pos, neg []float64
		for _, h := range r.Hosts {
			if h.Status != StatusOK || h.Class == ClassProfile {
				continue
			}
			v := h.Value(kind)
			if math.IsNaN(v) {
				r.Warnings = append(r.Warnings, fmt.Sprintf("host %s: %s score is NaN: kept out of the ROC", h.Host, kind))
				continue
			}
			if h.Class == ClassInfected {
				pos = append(pos, v)
			} else {
				neg = append(neg, v)
			}
		}
		if w := undefined("host", kind, len(pos), len(neg)); w != "" {
			r.Warnings = append(r.Warnings, w)
		}
		r.Metrics["auc_host."+kind] = AUC(pos, neg)
		r.Metrics["margin."+kind] = Margin(pos, neg)
		r.Metrics["tpr_at_fpr0."+kind] = TPRAtFPR0(pos, neg)
		r.ROCHost[kind] = ROC(pos, neg)
	}
	for _, k := range []string{"auc_host", "margin", "tpr_at_fpr0"} {
		r.Metrics[k] = r.Metrics[k+"."+r.Score]
	}

	// Sized first: the windows of all hosts are many (≈ 280000 in the
	// notebook), and growing the slices by appending cost more than
	// counting.
	npos, nneg := 0, 0
	for _, h := range r.Hosts {
		switch {
		case h.Status != StatusOK || h.Class == ClassProfile:
		case h.Class == ClassInfected:
			npos += len(h.WindowScores)
		default:
			nneg += len(h.WindowScores)
		}
	}
	pos, neg := make([]float64, 0, npos), make([]float64, 0, nneg)
	nan := 0
	for _, h := range r.Hosts {
		if h.Status != StatusOK || h.Class == ClassProfile {
			continue
		}
		for _, v := range h.WindowScores {
			switch {
			case math.IsNaN(v):
				nan++
			case h.Class == ClassInfected:
				pos = append(pos, v)
			default:
				neg = append(neg, v)
			}
		}
	}
	if nan > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d windows scored NaN: kept out of the window ROC", nan))
	}
	if w := undefined("window", "loglik", len(pos), len(neg)); w != "" {
		r.Warnings = append(r.Warnings, w)
	}
	auc, roc := aucROC(pos, neg)
	r.Metrics["auc_window"] = auc
	r.ROCWindow = Downsample(roc, MaxWindowPoints)
}

// IsUndefinedROC reports whether w is the warning metrics gives for a
// host or window ROC without both classes ("window ROC (loglik): no scored
// normal windows: its metrics are NaN"): a spec that asks for no ROC
// (evaluate.roc: false) does not want it.
func IsUndefinedROC(w string) bool {
	return (strings.HasPrefix(w, "host ROC (") || strings.HasPrefix(w, "window ROC (")) && strings.HasSuffix(w, undefinedSuffix)
}

const undefinedSuffix = ": its metrics are NaN"

func undefined(level, kind string, npos, nneg int) string {
	var missing []string
	if npos == 0 {
		missing = append(missing, "infected")
	}
	if nneg == 0 {
		missing = append(missing, "normal")
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("%s ROC (%s): no scored %s %ss", level, kind, joinOr(missing), level) + undefinedSuffix
}

func joinOr(s []string) string {
	if len(s) == 2 {
		return s[0] + " or " + s[1]
	}
	return s[0]
}
