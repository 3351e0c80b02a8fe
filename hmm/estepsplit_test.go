package hmm

import (
	"bytes"
	"context"
	"math"
	"testing"
)

// splitCase is a model and one long sequence (T ≥ splitMinT) for the
// two-goroutine E-step.
type splitCase struct {
	name  string
	impl  string
	seqs  Sequences
	newEm func() (emitter, error)
	ch    *chain
	fresh func() *stats
	mstep func(*stats)
	model Model // for Fit (nil: E-steps only)
	// The drop path declines: in dropXi after dropGamma accepted γ
	// (gapDrop), or in dropGamma (gapGamma).
	gapDrop, gapGamma bool
	scoreOnly         bool // the E-step fails: compare the score only
}

func splitCases(t *testing.T) []splitCase {
	var out []splitCase
	gauss := func(name, impl string, g *Gaussian, seqs Sequences) splitCase {
		pr := ScalarGaussianPriors(g.Covariance, g.K, g.D, 1, 1, 0, 0, 0.01, 1)
		return splitCase{name: name, impl: impl, seqs: seqs, model: g.Clone(),
			newEm: func() (emitter, error) { return newGaussianEmitter(g) },
			ch:    newChain(g.Startprob, g.Transmat), fresh: g.newStats, mstep: func(st *stats) { g.mstep(st, &pr) }}
	}
	// Botnet-like rows: the scaled recursions take the first iteration,
	// the dropped-state ones the others.
	rows := repeatedRows(t, 2*splitMinT+123)
	cfg := DefaultConfig()
	cfg.States = 4
	out = append(out, gauss("degenerate", ImplLog, InitGaussian(0, Diag, 4, rows, cfg.MinCovar), rows))
	g, seqs := gaussianProblem(splitMinT+1001, 3, 5)
	out = append(out, gauss("diag", ImplLog, g, seqs))
	g, seqs = gaussianProblem(splitMinT+1001, 3, 5)
	out = append(out, gauss("diag scaling", ImplScaling, g, seqs))
	g, seqs = gaussianProblem(splitMinT+777, 3, 3)
	g.Covariance, g.Covars = Full, make([]float64, 3*3*3)
	for s := range 3 {
		for f := range 3 {
			g.Covars[s*9+f*3+f] = 1
		}
	}
	out = append(out, gauss("full", ImplLog, g, seqs))
	// All rows at state 0's mean, state 1's emission 750 nats below: every
	// γ_t(1) is below e^−745.5, but the bound of Σ_t ξ_t(0,1) is not, so
	// the drop path's ξ check declines after its γ was accepted.
	gap := &Gaussian{Covariance: Diag, K: 2, D: 1, Means: []float64{0, math.Sqrt(2 * 750)}, Covars: []float64{1, 1},
		Startprob: []float64{0.5, 0.5}, Transmat: []float64{0.9, 0.1, 0.2, 0.8}}
	gc := gauss("ξ declines", ImplLog, gap, Sequences{X: make([]float64, 2*splitMinT), D: 1})
	gc.model, gc.gapDrop = nil, true
	out = append(out, gc)
	// At 730 nats γ_t(1) ≈ e^−730 is not 0 in log space: the drop path
	// declines in the backward pass, with Σ_t ξ_t under way next to it.
	gap = &Gaussian{Covariance: Diag, K: 2, D: 1, Means: []float64{0, math.Sqrt(2 * 730)}, Covars: []float64{1, 1},
		Startprob: []float64{0.5, 0.5}, Transmat: []float64{0.9, 0.1, 0.2, 0.8}}
	gc = gauss("γ declines", ImplLog, gap, Sequences{X: make([]float64, 2*splitMinT), D: 1})
	gc.model, gc.gapGamma = nil, true
	out = append(out, gc)
	// A row whose densities are all −∞: score's fast and dropped-state
	// passes decline, and the log-space pass gives −∞.
	inf := Sequences{X: make([]float64, 2*splitMinT), D: 1}
	inf.X[3000] = 1e200
	gc = gauss("−∞ row", ImplLog, &Gaussian{Covariance: Diag, K: 2, D: 1, Means: []float64{0, 1}, Covars: []float64{1, 2},
		Startprob: []float64{0.5, 0.5}, Transmat: []float64{0.9, 0.1, 0.2, 0.8}}, inf)
	gc.model, gc.scoreOnly = nil, true
	out = append(out, gc)
	c, seqs := categoricalProblem(splitMinT+999, 4, 6)
	cpr := ScalarCategoricalPriors(c.K, c.S, 1, 1, 1)
	out = append(out, splitCase{name: "categorical", impl: ImplLog, seqs: seqs, model: c.Clone(),
		newEm: func() (emitter, error) { return newCategoricalEmitter(c), nil },
		ch:    newChain(c.Startprob, c.Transmat), fresh: func() *stats { return newStats(c.K, c.K*c.S, 0) },
		mstep: func(st *stats) { c.mstep(st, &cpr) }})
	return out
}

func sameStats(a, b *stats) bool {
	return sameBits(a.start, b.start) && sameBits(a.trans, b.trans) && sameBits(a.post, b.post) &&
		sameBits(a.obs, b.obs) && sameBits(a.obs2, b.obs2)
}

// TestLoneSequenceSplit: the E-step of one long sequence on two goroutines
// (emissions in two row ranges, the dropped-state recursions' backward
// recursion next to their forward pass and Σ_t ξ_t next to γ, the
// emission statistics by feature groups)
// gives the sequential E-step's log P, γ, Σ_t ξ_t and statistics bit for
// bit, on every path: the scaled and the dropped-state recursions, the
// drop path declining to log space after its γ was accepted, the scaling
// implementation, full-covariance and categorical models; and so does the
// score after the last M-step. Fit then gives the same model, history and
// final log-likelihood.
func TestLoneSequenceSplit(t *testing.T) {
	ctx := context.Background()
	for _, c := range splitCases(t) {
		T, k := c.seqs.T(), c.ch.k
		if T < splitMinT {
			t.Fatalf("%s: T = %d, want ≥ %d", c.name, T, splitMinT)
		}
		if c.gapDrop || c.gapGamma {
			em, err := c.newEm()
			if err != nil {
				t.Fatal(err)
			}
			l := newLattice(k)
			l.grow(T)
			em.frameLogProb(l.flp, c.seqs.X, T)
			_, gok := l.dropGamma(c.ch, T)
			xok := gok && l.dropXi(c.ch, T)
			if gok != c.gapDrop || xok {
				t.Fatalf("%s: dropGamma accepted %v, dropXi %v; the case no longer covers its decline", c.name, gok, xok)
			}
		}
		seq, par := c.fresh(), c.fresh()
		e1, err := newEngine(k, c.impl, 1, c.fresh)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := newEngine(k, c.impl, 2, c.fresh)
		if err != nil {
			t.Fatal(err)
		}
		for it := range 4 {
			if c.scoreOnly {
				break
			}
			c.ch.update()
			em, err := c.newEm()
			if err != nil {
				t.Fatal(err)
			}
			lp1, err1 := e1.estep(ctx, c.ch, em, c.seqs, seq)
			lp2, err2 := e2.estep(ctx, c.ch, em, c.seqs, par)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s, iteration %d: %v, %v", c.name, it, err1, err2)
			}
			if math.Float64bits(lp1) != math.Float64bits(lp2) {
				t.Errorf("%s, iteration %d: log P %v with two goroutines, %v sequential", c.name, it, lp2, lp1)
			}
			if !sameBits(e1.lats[0].gamma[:T*k], e2.lats[0].gamma[:T*k]) || !sameBits(e1.lats[0].xi, e2.lats[0].xi) {
				t.Errorf("%s, iteration %d: γ or Σξ differ with two goroutines", c.name, it)
			}
			if !sameStats(seq, par) {
				t.Errorf("%s, iteration %d: statistics differ with two goroutines", c.name, it)
			}
			c.mstep(seq)
		}
		c.ch.update()
		em, err := c.newEm()
		if err != nil {
			t.Fatal(err)
		}
		want, err1 := score(c.ch, em, c.seqs, c.impl)
		got, err2 := e2.score(c.ch, em, c.seqs)
		if c.scoreOnly && !math.IsInf(want[0], -1) {
			t.Errorf("%s: score %v, want −∞", c.name, want)
		}
		if err1 != nil || err2 != nil || math.Float64bits(want[0]) != math.Float64bits(got[0]) {
			t.Errorf("%s: score %v (%v) with two goroutines, %v (%v) sequential", c.name, got, err2, want, err1)
		}
		if c.model == nil {
			continue
		}
		var models [][]byte
		var runs []Run
		for _, w := range []int{1, 2} {
			cfg := DefaultConfig()
			cfg.States, cfg.NIter, cfg.Tol, cfg.Workers, cfg.Implementation = k, 5, math.Inf(-1), w, c.impl
			m, run, err := Fit(ctx, cfg, c.seqs, c.model)
			if err != nil {
				t.Fatalf("%s, workers %d: %v", c.name, w, err)
			}
			b, err := MarshalModel(m)
			if err != nil {
				t.Fatal(err)
			}
			models, runs = append(models, b), append(runs, run)
		}
		if !bytes.Equal(models[0], models[1]) {
			t.Errorf("%s: Workers=2 changed the fitted model", c.name)
		}
		if !sameBits(runs[0].History, runs[1].History) || len(runs[0].History) != 5 ||
			math.Float64bits(runs[0].FinalLogLik) != math.Float64bits(runs[1].FinalLogLik) {
			t.Errorf("%s: Workers=2 changed the run: %+v, sequential %+v", c.name, runs[1], runs[0])
		}
	}
}

// TestInitGaussianWorkers: the initialisation with two goroutines (data
// variance next to k-means' distinct rows, Lloyd runs shared) is the
// sequential one bit for bit.
func TestInitGaussianWorkers(t *testing.T) {
	_, g := gaussianProblem(3000, 3, 5)
	for _, seqs := range []Sequences{repeatedRows(t, 5000), g} {
		for _, cov := range []string{Diag, Full} {
			a, err := MarshalModel(initGaussian(7, cov, 4, seqs, 1e-3, 1))
			if err != nil {
				t.Fatal(err)
			}
			b, err := MarshalModel(initGaussian(7, cov, 4, seqs, 1e-3, 2))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("D=%d, %s: the initialisation differs with two goroutines", seqs.D, cov)
			}
		}
	}
}
