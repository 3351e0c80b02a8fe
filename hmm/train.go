package hmm

import (
	"context"
	"fmt"
	"math"
)

// Config describes a training run (docs/architecture.md, section hmm). The
// defaults of DefaultConfig are hmmlearn 0.3.3's.
type Config struct {
	Kind           string  // KindGaussian or KindCategorical
	States         int     // K ≥ 1
	Covariance     string  // Gaussian: diag, spherical, full or tied
	Symbols        int     // categorical: S ≥ 1
	NIter          int     // maximum EM iterations per restart (n_iter)
	Tol            float64 // convergence threshold on the log-likelihood gain (tol)
	Seed           uint64  // restart r is initialised from Seed + r
	Restarts       int     // number of initialisations; the best final log-likelihood wins
	Workers        int     `json:"-"` // goroutines; 0 or 1 is sequential. Results do not depend on it.
	Implementation string  // ImplLog or ImplScaling
	MinCovar       float64 // added to the data covariance at initialisation only
	StartprobPrior float64
	TransmatPrior  float64
	MeansPrior     float64
	MeansWeight    float64
	CovarsPrior    float64
	CovarsWeight   float64
	EmissionPrior  float64 // categorical; > 1 keeps unseen symbols possible
}

// DefaultConfig returns hmmlearn's defaults for a 1-state diag Gaussian HMM.
func DefaultConfig() Config {
	return Config{Kind: KindGaussian, States: 1, Covariance: Diag, NIter: 10, Tol: 1e-2, Restarts: 1,
		Implementation: ImplLog, MinCovar: 1e-3, StartprobPrior: 1, TransmatPrior: 1, MeansPrior: 0,
		MeansWeight: 0, CovarsPrior: 1e-2, CovarsWeight: 1, EmissionPrior: 1}
}

// Validate reports the first impossible value of c.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"tol", c.Tol}, {"min_covar", c.MinCovar}, {"startprob_prior", c.StartprobPrior}, {"transmat_prior", c.TransmatPrior},
		{"means_prior", c.MeansPrior}, {"means_weight", c.MeansWeight}, {"covars_prior", c.CovarsPrior},
		{"covars_weight", c.CovarsWeight}, {"emission_prior", c.EmissionPrior}} {
		if math.IsNaN(f.v) || (math.IsInf(f.v, 0) && f.name != "tol") {
			return fmt.Errorf("hmm: config %s = %v", f.name, f.v)
		}
	}
	switch {
	case c.States < 1:
		return fmt.Errorf("hmm: config states = %d, need ≥ 1", c.States)
	case c.NIter < 1:
		return fmt.Errorf("hmm: config n_iter = %d, need ≥ 1", c.NIter)
	case c.Restarts < 1:
		return fmt.Errorf("hmm: config restarts = %d, need ≥ 1", c.Restarts)
	case c.Workers < 0:
		return fmt.Errorf("hmm: config workers = %d, need ≥ 0", c.Workers)
	case c.Implementation != ImplLog && c.Implementation != ImplScaling:
		return fmt.Errorf("hmm: config implementation %q (want log or scaling)", c.Implementation)
	case c.MinCovar < 0:
		return fmt.Errorf("hmm: config min_covar = %v, need ≥ 0", c.MinCovar)
	}
	switch c.Kind {
	case KindGaussian:
		if _, err := covarsLen(c.Covariance, c.States, 1); err != nil {
			return fmt.Errorf("hmm: config covariance: %w", err)
		}
	case KindCategorical:
		if c.Symbols < 1 {
			return fmt.Errorf("hmm: config symbols = %d, need ≥ 1", c.Symbols)
		}
	default:
		return fmt.Errorf("hmm: config kind %q (want gaussian or categorical)", c.Kind)
	}
	return nil
}

// Report is the convergence record of Train: one Run per restart and the
// index of the one whose model was returned.
type Report struct {
	Restarts []Run `json:"restarts"`
	Best     int   `json:"best"`
}

// Train fits cfg.Restarts models, restart r initialised from seed
// cfg.Seed+r (see InitGaussian, InitCategorical), and returns the one with the
// highest final training log-likelihood (ties: the lowest restart index).
// With Workers > 1 restarts run in parallel (a single restart parallelises
// over sequences); the result is the same for any Workers.
func Train(ctx context.Context, cfg Config, seqs Sequences) (Model, *Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if err := seqs.Validate(); err != nil {
		return nil, nil, err
	}
	if cfg.Kind == KindCategorical {
		if err := (&Categorical{S: cfg.Symbols}).checkObs(seqs); err != nil {
			return nil, nil, err
		}
	}
	n := cfg.Restarts
	models := make([]Model, n)
	runs := make([]Run, n)
	errs := make([]error, n)
	inner := 1 // a single restart parallelises over sequences
	if n == 1 {
		inner = cfg.Workers
	}
	parallel(n, cfg.Workers, func(_, r int) {
		seed := cfg.Seed + uint64(r)
		var init Model
		if cfg.Kind == KindGaussian {
			init = InitGaussian(seed, cfg.Covariance, cfg.States, seqs, cfg.MinCovar)
		} else {
			init = InitCategorical(seed, cfg.States, cfg.Symbols)
		}
		models[r], runs[r], errs[r] = fitConfig(ctx, cfg, seqs, init, inner)
		runs[r].Seed = seed
		if errs[r] != nil {
			errs[r] = fmt.Errorf("restart %d (seed %d): %w", r, seed, errs[r])
		}
	})
	best := -1
	for r := range n {
		if errs[r] != nil {
			return nil, nil, errs[r]
		}
		if best < 0 || runs[r].FinalLogLik > runs[best].FinalLogLik {
			best = r
		}
	}
	return models[best], &Report{Restarts: runs, Best: best}, nil
}

// fitConfig trains a copy of init (a *Gaussian or *Categorical) with the EM
// settings and scalar priors of cfg and the given workers; cfg.Seed,
// Restarts, States, Symbols and Covariance are taken from init, not from cfg.
func fitConfig(ctx context.Context, cfg Config, seqs Sequences, init Model, workers int) (Model, Run, error) {
	opt := FitOptions{NIter: cfg.NIter, Tol: cfg.Tol, Implementation: cfg.Implementation, Workers: workers}
	switch m := init.(type) {
	case *Gaussian:
		g := m.Clone()
		pr := ScalarGaussianPriors(g.Covariance, g.K, g.D, cfg.StartprobPrior, cfg.TransmatPrior, cfg.MeansPrior,
			cfg.MeansWeight, cfg.CovarsPrior, cfg.CovarsWeight)
		run, err := g.Fit(ctx, seqs, pr, opt)
		return g, run, err
	case *Categorical:
		c := m.Clone()
		pr := ScalarCategoricalPriors(c.K, c.S, cfg.StartprobPrior, cfg.TransmatPrior, cfg.EmissionPrior)
		run, err := c.Fit(ctx, seqs, pr, opt)
		return c, run, err
	}
	return nil, Run{}, fmt.Errorf("hmm: cannot fit a model of type %T", init)
}
