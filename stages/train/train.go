package train

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"botprof/hmm"
	"botprof/stages/window"
)

// Params are the train stage's parameters; all of them enter its cache key.
type Params struct {
	Model hmm.Config
	// Input is "rows" or "sequences" (see the package doc).
	Input string
}

// Result is a fitted model and its convergence record.
type Result struct {
	Model   hmm.Model
	Report  *hmm.Report
	Windows int // training windows
}

// Inputs builds the model input for one host's windows.
func Inputs(h *window.HostWindows, input string) hmm.Sequences {
	if input == "sequences" {
		return h.Seqs()
	}
	return h.Rows()
}

// Run fits p.Model on the windows of the profiled hosts: one host's windows
// are one sequence of rows (input rows) or one sequence per window (input
// sequences), and several hosts' sequences are fitted together. symbols is
// the discretizer's code count; a categorical model with Symbols 0 uses it.
func Run(ctx context.Context, wins *window.Result, profiles []string, symbols int, p Params) (*Result, error) {
	if len(profiles) == 0 {
		return nil, fmt.Errorf("stage train: no profiled host")
	}
	var in hmm.Sequences
	windows := 0
	for _, profile := range profiles {
		h := wins.Host(profile)
		if h == nil {
			return nil, fmt.Errorf("stage train: profiled host %s has no windows", profile)
		}
		if h.Insufficient || h.Count == 0 {
			return nil, fmt.Errorf("stage train: profiled host %s has %d flows, too few for one window", profile, h.Flows)
		}
		in = appendSequences(in, Inputs(h, p.Input))
		windows += h.Count
	}
	cfg := p.Model
	if cfg.Kind == "categorical" && cfg.Symbols == 0 {
		cfg.Symbols = symbols
	}
	m, rep, err := hmm.Train(ctx, cfg, in)
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
