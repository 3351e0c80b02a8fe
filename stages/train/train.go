package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"botprof/hmm"
	"botprof/markov"
	"botprof/report/plural"
	"botprof/stages/window"
)

// Version is the version of the stage's output for the same Params and
// inputs: part of its cache key. 2: one forward-backward ladder (hmm);
// fits differ by ~1e-9.
const Version = 2

// Params are the train stage's parameters; all of them enter its cache key
// (hmm.Config.Workers excepted: results do not depend on it).
type Params struct {
	// Model configures an HMM; unused (zero) for a Markov chain.
	Model hmm.Config `json:"model,omitzero"`
	// Markov, when set, trains the Markov-chain baseline instead.
	Markov *MarkovParams `json:"markov,omitempty"`
	// EmissionSmoothing, when positive, smooths a categorical HMM's
	// emissions after the fit: additively, on their expected counts (see
	// smoothEmissions).
	EmissionSmoothing float64 `json:"emission_smoothing,omitempty"`
	// Input is "rows" or "sequences" (see the package doc).
	Input string `json:"input"`
	// Profiles are the hosts whose windows train the model.
	Profiles []string `json:"profiles"`
}

// Validate reports an unknown input, a categorical model on rows, no
// profiled host and an impossible model configuration.
func (p Params) Validate() error {
	var errs []error
	switch p.Input {
	case InputRows, InputSequences, InputConcat:
	default:
		errs = append(errs, fmt.Errorf("stage train: input %q: want rows, sequences or concat", p.Input))
	}
	if p.Model.Kind == hmm.KindCategorical && p.Input == InputRows {
		errs = append(errs, fmt.Errorf("stage train: a categorical model reads symbol sequences, not rows"))
	}
	if len(p.Profiles) == 0 {
		errs = append(errs, fmt.Errorf("stage train: no profiled host"))
	}
	if p.Markov != nil {
		if !symbols(p.Input) {
			errs = append(errs, fmt.Errorf("stage train: a Markov chain reads symbol sequences, not rows"))
		}
		errs = append(errs, p.Markov.validate())
		return errors.Join(errs...)
	}
	if p.Model.Kind == hmm.KindCategorical && p.Model.Symbols == 0 {
		// Symbols comes from the discretizer (Input.Symbols).
		c := p.Model
		c.Symbols = 1
		errs = append(errs, c.Validate())
	} else {
		errs = append(errs, p.Model.Validate())
	}
	return errors.Join(errs...)
}

// Input is what the stage trains on: the windows, and the discretizer's
// code count, which a categorical model with Symbols 0 uses.
type Input struct {
	Windows *window.Result
	Symbols int
}

// MarkovParams configure the Markov-chain baseline (package markov).
type MarkovParams struct {
	Order   int     `json:"order"`
	Alpha   float64 `json:"alpha"`             // additive smoothing of the counts (0: none)
	Symbols int     `json:"symbols,omitempty"` // 0: the discretizer's code count
}

func (m *MarkovParams) validate() error {
	if m.Symbols < 0 {
		return fmt.Errorf("stage train: markov symbols %d", m.Symbols)
	}
	if m.Order < 1 || m.Order > markov.MaxOrder || !(m.Alpha >= 0) || math.IsInf(m.Alpha, 1) {
		return fmt.Errorf("stage train: markov order %d (want 1..%d), alpha %v (want ≥ 0)", m.Order, markov.MaxOrder, m.Alpha)
	}
	return nil
}

// Model is a trained model: an hmm.Model or a *markov.Chain.
type Model interface {
	Score(hmm.Sequences) ([]float64, error)
	Decode(hmm.Sequences) ([]float64, []int, error)
	DecodeAndScoreFrames(hmm.Sequences) ([]float64, []float64, error)
}

// MarshalModel writes model.json.
func MarshalModel(m Model) ([]byte, error) {
	if c, ok := m.(*markov.Chain); ok {
		return json.Marshal(c)
	}
	hm, ok := m.(hmm.Model)
	if !ok {
		return nil, fmt.Errorf("stage train: cannot write a %T", m)
	}
	return hmm.MarshalModel(hm)
}

// UnmarshalModel reads what MarshalModel writes.
func UnmarshalModel(b []byte) (Model, error) {
	var k struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("stage train: decoding model: %w", err)
	}
	if k.Kind == markov.Kind {
		return markov.Unmarshal(b)
	}
	return hmm.UnmarshalModel(b)
}

// Result is a fitted model and its convergence record.
type Result struct {
	Model   Model
	Report  *hmm.Report
	Windows int // training windows
}

// Run fits p.Model on the windows of the profiled hosts p.Profiles: one host's windows
// are one sequence of rows (input rows) or one sequence per window (input
// sequences), and several hosts' sequences are fitted together. symbols is
// the discretizer's code count; a categorical model with Symbols 0 uses it.
func Run(ctx context.Context, in Input, p Params) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	wins, profiles, symbols := in.Windows, p.Profiles, in.Symbols
	var seqs hmm.Sequences
	windows := 0
	for _, profile := range profiles {
		h := wins.Host(profile)
		if h == nil {
			return nil, fmt.Errorf("stage train: profiled host %s has no windows", profile)
		}
		if h.Insufficient || h.Count == 0 {
			return nil, fmt.Errorf("stage train: profiled host %s has no window to train on (%s, %s)", profile, plural.Count(h.Flows, "flow"), wins.Params.Need())
		}
		x, err := Inputs(h, p.Input)
		if err != nil {
			return nil, fmt.Errorf("stage train: %w", err)
		}
		seqs = appendSequences(seqs, x)
		windows += h.Count
	}
	if mp := p.Markov; mp != nil {
		return trainMarkov(seqs, windows, in.Symbols, mp)
	}
	cfg := p.Model
	if cfg.Kind == "categorical" && cfg.Symbols == 0 {
		cfg.Symbols = symbols
	}
	m, rep, err := hmm.Train(ctx, cfg, seqs)
	if err != nil {
		return nil, fmt.Errorf("stage train: host %s (%d windows): %w", strings.Join(profiles, ", "), windows, err)
	}
	if a := p.EmissionSmoothing; a > 0 {
		c, ok := m.(*hmm.Categorical)
		if !ok {
			return nil, fmt.Errorf("stage train: emission smoothing applies to a categorical model, not %s", m.Kind())
		}
		if err := smoothEmissions(c, seqs, a); err != nil {
			return nil, fmt.Errorf("stage train: smoothing: %w", err)
		}
	}
	return &Result{Model: m, Report: rep, Windows: windows}, nil
}

// appendSequences appends the sequences of b to a (a zero a is empty).
func appendSequences(a, b hmm.Sequences) hmm.Sequences {
	if a.D == 0 {
		return b
	}
	lengths := func(s hmm.Sequences) []int {
		if s.Lengths == nil {
			return []int{s.T()}
		}
		return s.Lengths
	}
	return hmm.Sequences{X: append(a.X, b.X...), D: a.D,
		Lengths: append(slices.Clone(lengths(a)), lengths(b)...)}
}

// trainMarkov counts the chain and reports its training log-likelihood as
// one converged run (a chain is fitted exactly, in one pass).
func trainMarkov(seqs hmm.Sequences, windows, symbols int, mp *MarkovParams) (*Result, error) {
	if mp.Symbols > 0 {
		symbols = mp.Symbols
	}
	c, err := markov.Train(seqs, symbols, mp.Order, mp.Alpha)
	if err != nil {
		return nil, fmt.Errorf("stage train: %w", err)
	}
	ll, err := c.Score(seqs)
	if err != nil {
		return nil, fmt.Errorf("stage train: %w", err)
	}
	total := 0.0
	for _, v := range ll {
		total += v
	}
	run := hmm.Run{History: []float64{total}, Iterations: 1, Converged: true, FinalLogLik: total}
	return &Result{Model: c, Report: &hmm.Report{Restarts: []hmm.Run{run}}, Windows: windows}, nil
}

// smoothEmissions replaces a categorical HMM's emission probabilities by
// additively smoothed expected counts under the fitted model:
//
//	n_ks = Σ_t γ_t(k)·[x_t = s],   B_ks = (n_ks + α) / (Σ_s n_ks + α·S)
//
// with γ the state posteriors of the training sequences. Smoothing the
// counts, not the probabilities, weighs the pseudo-count α against how
// much data each state saw: a state that explains thousands of flows barely
// moves, a rarely visited one moves towards uniform. Adding α to the
// probabilities and renormalising would move every state's row by the same
// amount whatever its evidence.
func smoothEmissions(c *hmm.Categorical, seqs hmm.Sequences, alpha float64) error {
	gamma, err := c.Posteriors(seqs)
	if err != nil {
		return err
	}
	counts := make([]float64, c.K*c.S)
	for t, x := range seqs.X {
		s := int(x)
		for k := range c.K {
			counts[k*c.S+s] += gamma[t*c.K+k]
		}
	}
	for k := range c.K {
		row := counts[k*c.S : (k+1)*c.S]
		total := 0.0
		for _, n := range row {
			total += n
		}
		for s, n := range row {
			c.Emission[k*c.S+s] = (n + alpha) / (total + alpha*float64(c.S))
		}
	}
	return nil
}
