package hmm

import (
	"fmt"
	"math"
)

// Covariance types of a Gaussian HMM (hmmlearn's covariance_type).
const (
	Diag      = "diag"
	Spherical = "spherical"
	Full      = "full"
	Tied      = "tied"
)

// Model kinds.
const (
	KindGaussian    = "gaussian"
	KindCategorical = "categorical"
)

// Gaussian is a hidden Markov model with Gaussian emissions, hmmlearn's
// GaussianHMM. All matrices are row-major; the Covars layout depends on
// Covariance: diag K×D, spherical K, full K×D×D, tied D×D.
type Gaussian struct {
	Covariance string
	K, D       int
	Startprob  []float64 // K
	Transmat   []float64 // K×K, row = from-state
	Means      []float64 // K×D
	Covars     []float64
}

// Categorical is a hidden Markov model with discrete emissions over S
// symbols, hmmlearn's CategoricalHMM.
type Categorical struct {
	K, S      int
	Startprob []float64 // K
	Transmat  []float64 // K×K
	Emission  []float64 // K×S, row = state
}

// covarsLen is the length of the Covars slice for a covariance type.
func covarsLen(cov string, k, d int) (int, error) {
	switch cov {
	case Diag:
		return k * d, nil
	case Spherical:
		return k, nil
	case Full:
		return k * d * d, nil
	case Tied:
		return d * d, nil
	}
	return 0, fmt.Errorf("hmm: unknown covariance type %q (want diag, spherical, full or tied)", cov)
}

// checkStochastic reports whether a vector of probabilities sums to 1 within
// numpy.allclose's tolerance, as hmmlearn's _check does.
func checkStochastic(name string, p []float64) error {
	s := 0.0
	for i, v := range p {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("hmm: %s[%d] = %v is not a probability", name, i, v)
		}
		s += v
	}
	if math.Abs(s-1) > 1e-8+1e-5 {
		return fmt.Errorf("hmm: %s sums to %v, want 1", name, s)
	}
	return nil
}

func checkChain(k int, pi, a []float64) error {
	if k < 1 {
		return fmt.Errorf("hmm: %d states, need at least 1", k)
	}
	if len(pi) != k {
		return fmt.Errorf("hmm: startprob has %d entries, want %d", len(pi), k)
	}
	if len(a) != k*k {
		return fmt.Errorf("hmm: transmat has %d entries, want %d×%d", len(a), k, k)
	}
	if err := checkStochastic("startprob", pi); err != nil {
		return err
	}
	for i := range k {
		if err := checkStochastic(fmt.Sprintf("transmat row %d", i), a[i*k:(i+1)*k]); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks shapes, that the probabilities sum to one and that the
// covariances are positive (definite).
func (g *Gaussian) Validate() error {
	if err := checkChain(g.K, g.Startprob, g.Transmat); err != nil {
		return err
	}
	if g.D < 1 {
		return fmt.Errorf("hmm: %d features, need at least 1", g.D)
	}
	n, err := covarsLen(g.Covariance, g.K, g.D)
	if err != nil {
		return err
	}
	if len(g.Means) != g.K*g.D {
		return fmt.Errorf("hmm: means have %d entries, want %d×%d", len(g.Means), g.K, g.D)
	}
	if len(g.Covars) != n {
		return fmt.Errorf("hmm: %s covars have %d entries, want %d", g.Covariance, len(g.Covars), n)
	}
	for i, v := range g.Means {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("hmm: means[%d][%d] = %v", i/g.D, i%g.D, v)
		}
	}
	switch g.Covariance {
	case Diag, Spherical:
		for i, v := range g.Covars {
			if !(v > 0) || math.IsInf(v, 0) {
				return fmt.Errorf("hmm: %s covars[%d] = %v, need > 0", g.Covariance, i, v)
			}
		}
	default:
		_, err := newGaussianEmitter(g)
		return err
	}
	return nil
}

// Validate checks shapes and that the probabilities sum to one.
func (c *Categorical) Validate() error {
	if err := checkChain(c.K, c.Startprob, c.Transmat); err != nil {
		return err
	}
	if c.S < 1 {
		return fmt.Errorf("hmm: %d symbols, need at least 1", c.S)
	}
	if len(c.Emission) != c.K*c.S {
		return fmt.Errorf("hmm: emission has %d entries, want %d×%d", len(c.Emission), c.K, c.S)
	}
	for k := range c.K {
		if err := checkStochastic(fmt.Sprintf("emission row %d", k), c.Emission[k*c.S:(k+1)*c.S]); err != nil {
			return err
		}
	}
	return nil
}

// Clone returns a deep copy.
func (g *Gaussian) Clone() *Gaussian {
	c := *g
	c.Startprob = clone(g.Startprob)
	c.Transmat = clone(g.Transmat)
	c.Means = clone(g.Means)
	c.Covars = clone(g.Covars)
	return &c
}

// Clone returns a deep copy.
func (c *Categorical) Clone() *Categorical {
	d := *c
	d.Startprob = clone(c.Startprob)
	d.Transmat = clone(c.Transmat)
	d.Emission = clone(c.Emission)
	return &d
}

func clone(v []float64) []float64 { return append([]float64(nil), v...) }
