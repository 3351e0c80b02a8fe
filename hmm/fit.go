package hmm

import (
	"context"
	"fmt"
	"math"
)

// GaussianPriors are the MAP priors of a Gaussian HMM, expanded to arrays
// (hmmlearn broadcasts scalars the same way; see ScalarGaussianPriors).
type GaussianPriors struct {
	Startprob    []float64 // K, Dirichlet concentrations of π
	Transmat     []float64 // K×K, Dirichlet concentrations of each row of A
	Means        []float64 // K×D, m0
	MeansWeight  []float64 // K, w
	Covars       []float64 // diag/spherical K×D, full K×D×D, tied D×D
	CovarsWeight float64   // scalar, as in hmmlearn
}

// CategoricalPriors are the MAP priors of a categorical HMM.
type CategoricalPriors struct {
	Startprob []float64 // K
	Transmat  []float64 // K×K
	Emission  []float64 // K×S, Dirichlet concentrations of each emission row
}

func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// ScalarGaussianPriors broadcasts scalar priors to the shapes of a K-state,
// D-feature model with the given covariance type. A scalar covars prior is
// added to every entry of a full/tied covariance, off-diagonals included, as
// in hmmlearn.
func ScalarGaussianPriors(cov string, k, d int, startprob, transmat, means, meansWeight, covars, covarsWeight float64) GaussianPriors {
	return GaussianPriors{Startprob: fill(k, startprob), Transmat: fill(k*k, transmat), Means: fill(k*d, means),
		MeansWeight: fill(k, meansWeight), Covars: fill(priorCovarsLen(cov, k, d), covars), CovarsWeight: covarsWeight}
}

// priorCovarsLen is the length of a covars prior: as Covars, except that a
// spherical prior has one value per state and feature.
func priorCovarsLen(cov string, k, d int) int {
	switch cov {
	case Full:
		return k * d * d
	case Tied:
		return d * d
	}
	return k * d
}

// ScalarCategoricalPriors broadcasts scalar priors.
func ScalarCategoricalPriors(k, s int, startprob, transmat, emission float64) CategoricalPriors {
	return CategoricalPriors{Startprob: fill(k, startprob), Transmat: fill(k*k, transmat), Emission: fill(k*s, emission)}
}

// prior is one array of priors with the length its model needs.
type prior struct {
	name string
	v    []float64
	n    int
}

// checkPriors reports the first prior of the wrong length or with a
// non-finite value.
func checkPriors(ps ...prior) error {
	for _, p := range ps {
		if len(p.v) != p.n {
			return fmt.Errorf("hmm: %s prior has %d entries, want %d", p.name, len(p.v), p.n)
		}
		for i, x := range p.v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("hmm: %s prior [%d] = %v", p.name, i, x)
			}
		}
	}
	return nil
}

// checkObs validates seqs as symbols of c; checkSymbols also rejects NaN
// and ±Inf, so the values are read once.
func (c *Categorical) checkObs(seqs Sequences) error {
	if err := seqs.validateShape(); err != nil {
		return err
	}
	if seqs.D != 1 {
		return fmt.Errorf("hmm: categorical data need D = 1, got %d", seqs.D)
	}
	return checkSymbols(seqs.X, c.S)
}

func (g *Gaussian) newStats() *stats {
	n2 := g.K * g.D
	if g.Covariance == Full || g.Covariance == Tied {
		n2 = g.K * g.D * g.D
	}
	return newStats(g.K, g.K*g.D, n2)
}

// Fit runs Baum–Welch from the current parameters of g, updating them in
// place, with hmmlearn 0.3.3's E- and M-steps (params "stmc", init_params "").
func (g *Gaussian) Fit(ctx context.Context, seqs Sequences, pr GaussianPriors, opt FitOptions) (Run, error) {
	ch, _, err := g.prepare(seqs, true)
	if err != nil {
		return Run{}, err
	}
	k, d := g.K, g.D
	if err := checkPriors(prior{"startprob", pr.Startprob, k}, prior{"transmat", pr.Transmat, k * k},
		prior{"means", pr.Means, k * d}, prior{"means weight", pr.MeansWeight, k},
		prior{"covars", pr.Covars, priorCovarsLen(g.Covariance, k, d)}); err != nil {
		return Run{}, err
	}
	return baumWelch(ctx, ch, seqs, opt, g.newStats,
		func() (emitter, error) { return newGaussianEmitter(g) },
		func(st *stats) { g.mstep(st, &pr) })
}

// mstep is hmmlearn's GaussianHMM._do_mstep, with the expressions in the
// same order. Departure: a state with exactly zero expected occupancy keeps
// its mean (and a full/tied covariance whose denominator is 0 keeps its
// value) instead of becoming NaN.
func (g *Gaussian) mstep(st *stats, pr *GaussianPriors) {
	k, d := g.K, g.D
	mstepChain(k, g.Startprob, g.Transmat, pr.Startprob, pr.Transmat, st)
	for s := range k {
		w := pr.MeansWeight[s]
		den := w + st.post[s]
		if den == 0 {
			continue
		}
		for f := range d {
			g.Means[s*d+f] = (w*pr.Means[s*d+f] + st.obs[s*d+f]) / den
		}
	}
	switch g.Covariance {
	case Diag, Spherical:
		cw := max(pr.CovarsWeight-1, 0)
		for s := range k {
			w, post := pr.MeansWeight[s], st.post[s]
			den := max(cw+post, 1e-5)
			sum := 0.0
			for f := range d {
				i := s*d + f
				mu := g.Means[i]
				delta := mu - pr.Means[i]
				num := w*delta*delta + st.obs2[i] - 2*mu*st.obs[i] + mu*mu*post
				v := (pr.Covars[i] + num) / den
				if g.Covariance == Diag {
					g.Covars[i] = v
				}
				sum += v
			}
			if g.Covariance == Spherical {
				g.Covars[s] = sum / float64(d)
			}
		}
	case Full, Tied:
		cw := max(pr.CovarsWeight-float64(d), 0)
		num := make([]float64, k*d*d)
		for s := range k {
			w, post := pr.MeansWeight[s], st.post[s]
			mu, m0, obs := g.Means[s*d:(s+1)*d], pr.Means[s*d:(s+1)*d], st.obs[s*d:(s+1)*d]
			outer := st.obs2[s*d*d : (s+1)*d*d]
			c := num[s*d*d : (s+1)*d*d]
			for a := range d {
				for b := range d {
					c[a*d+b] = w*((mu[a]-m0[a])*(mu[b]-m0[b])) + outer[a*d+b] - obs[a]*mu[b] - obs[b]*mu[a] + mu[a]*mu[b]*post
				}
			}
		}
		if g.Covariance == Full {
			for s := range k {
				den := cw + st.post[s]
				if den == 0 {
					continue
				}
				for i := range d * d {
					g.Covars[s*d*d+i] = (pr.Covars[s*d*d+i] + num[s*d*d+i]) / den
				}
			}
			return
		}
		den := cw
		for s := range k {
			den += st.post[s]
		}
		if den == 0 {
			return
		}
		for i := range d * d {
			sum := 0.0
			for s := range k {
				sum += num[s*d*d+i]
			}
			g.Covars[i] = (pr.Covars[i] + sum) / den
		}
	}
}

// Fit runs Baum–Welch from the current parameters of c, updating them in
// place (hmmlearn's CategoricalHMM with params "ste", init_params "").
func (c *Categorical) Fit(ctx context.Context, seqs Sequences, pr CategoricalPriors, opt FitOptions) (Run, error) {
	ch, _, err := c.prepare(seqs, true)
	if err != nil {
		return Run{}, err
	}
	if err := checkPriors(prior{"startprob", pr.Startprob, c.K}, prior{"transmat", pr.Transmat, c.K * c.K},
		prior{"emission", pr.Emission, c.K * c.S}); err != nil {
		return Run{}, err
	}
	return baumWelch(ctx, ch, seqs, opt, func() *stats { return newStats(c.K, c.K*c.S, 0) },
		func() (emitter, error) { return newCategoricalEmitter(c), nil },
		func(st *stats) { c.mstep(st, &pr) })
}

// mstep is hmmlearn's CategoricalHMM._do_mstep: e = max(α − 1 + obs, 0),
// rows normalised. Departure: an all-zero row keeps its previous value.
func (c *Categorical) mstep(st *stats, pr *CategoricalPriors) {
	mstepChain(c.K, c.Startprob, c.Transmat, pr.Startprob, pr.Transmat, st)
	for k := range c.K {
		row := c.Emission[k*c.S : (k+1)*c.S]
		normaliseInto(row, func(s int) float64 {
			return max(pr.Emission[k*c.S+s]-1+st.obs[k*c.S+s], 0)
		}, c.S)
	}
}
