package train

import (
	"context"
	"fmt"

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

// Run fits p.Model on the windows of host profile. symbols is the
// discretizer's code count; a categorical model with Symbols 0 uses it.
func Run(ctx context.Context, wins *window.Result, profile string, symbols int, p Params) (*Result, error) {
	var h *window.HostWindows
	for i := range wins.Hosts {
		if wins.Hosts[i].Host == profile {
			h = &wins.Hosts[i]
		}
	}
	if h == nil {
		return nil, fmt.Errorf("stage train: profiled host %s has no windows", profile)
	}
	if h.Insufficient || h.Count == 0 {
		return nil, fmt.Errorf("stage train: profiled host %s has %d flows, too few for one window", profile, h.Flows)
	}
	cfg := p.Model
	if cfg.Kind == "categorical" && cfg.Symbols == 0 {
		cfg.Symbols = symbols
	}
	m, rep, err := hmm.Train(ctx, cfg, Inputs(h, p.Input))
	if err != nil {
		return nil, fmt.Errorf("stage train: host %s (%d windows): %w", profile, h.Count, err)
	}
	return &Result{Model: m, Report: rep, Windows: h.Count}, nil
}
