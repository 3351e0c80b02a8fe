package train

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"botprof/hmm"
	"botprof/stages/window"
)

// Version is the version of the stage's output for the same Params and
// inputs: part of its cache key. 2: one forward-backward ladder (hmm);
// fits differ by ~1e-9.
const Version = 2

// Params are the train stage's parameters; all of them enter its cache key
// (hmm.Config.Workers excepted: results do not depend on it).
type Params struct {
	Model hmm.Config `json:"model"`
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
	case InputRows, InputSequences:
	default:
		errs = append(errs, fmt.Errorf("stage train: input %q: want rows or sequences", p.Input))
	}
	if p.Model.Kind == hmm.KindCategorical && p.Input == InputRows {
		errs = append(errs, fmt.Errorf("stage train: a categorical model reads symbol sequences, not rows"))
	}
	if len(p.Profiles) == 0 {
		errs = append(errs, fmt.Errorf("stage train: no profiled host"))
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

// Result is a fitted model and its convergence record.
type Result struct {
	Model   hmm.Model
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
			return nil, fmt.Errorf("stage train: profiled host %s has %d flows, too few for one window", profile, h.Flows)
		}
		seqs = appendSequences(seqs, Inputs(h, p.Input))
		windows += h.Count
	}
	cfg := p.Model
	if cfg.Kind == "categorical" && cfg.Symbols == 0 {
		cfg.Symbols = symbols
	}
	m, rep, err := hmm.Train(ctx, cfg, seqs)
	if err != nil {
		return nil, fmt.Errorf("stage train: host %s (%d windows): %w", strings.Join(profiles, ", "), windows, err)
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
