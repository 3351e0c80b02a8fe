package hmm

import (
	"errors"
	"fmt"
	"math"
)

// Model is a trained hidden Markov model: *Gaussian or *Categorical. Every
// method checks the data and returns an error naming the offending row or
// sequence (Gaussian Score, ScoreFrames, Decode and DecodeAndScoreFrames
// look for NaN and ±Inf only when a result is not finite, which such values
// always cause).
type Model interface {
	Kind() string
	// Score returns the forward log-likelihood log P(x) of every sequence.
	Score(seqs Sequences) ([]float64, error)
	// ScoreFrames returns, for every row t of every sequence (T values,
	// concatenated), the forward log-likelihood increment log P(x_t | x_<t)
	// within its sequence; for a sequence's first row, log P(x_0). The rows
	// of a sequence sum to its Score up to rounding.
	ScoreFrames(seqs Sequences) ([]float64, error)
	// Decode returns the Viterbi log-probability of every sequence and the
	// most likely state path of all rows, concatenated.
	Decode(seqs Sequences) (logProb []float64, states []int, err error)
	// Posteriors returns the state posteriors γ, T×K row-major.
	Posteriors(seqs Sequences) ([]float64, error)
	// DecodeAndScoreFrames returns the Viterbi log-probabilities of Decode
	// and the increments of ScoreFrames, bit for bit, computing the emission
	// densities once for both and no state path: how the evaluate stage
	// scores a host given as one sequence of windows.
	DecodeAndScoreFrames(seqs Sequences) (viterbi, frames []float64, err error)

	// prepare validates the model and the shape of seqs (and, if values,
	// every value) and returns the chain and emitter of the recursions.
	prepare(seqs Sequences, values bool) (*chain, emitter, error)
}

// Kind returns KindGaussian.
func (g *Gaussian) Kind() string { return KindGaussian }

// prepare reads the values only if asked: the methods that do not ask
// check them only when a result is not finite (afterCheck).
func (g *Gaussian) prepare(seqs Sequences, values bool) (*chain, emitter, error) {
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	check := seqs.validateShape
	if values {
		check = seqs.Validate
	}
	if err := check(); err != nil {
		return nil, nil, err
	}
	if seqs.D != g.D {
		return nil, nil, fmt.Errorf("hmm: data have %d features, the model %d", seqs.D, g.D)
	}
	em, err := newGaussianEmitter(g)
	if err != nil {
		return nil, nil, err
	}
	return newChain(g.Startprob, g.Transmat), em, nil
}

// Kind returns KindCategorical.
func (c *Categorical) Kind() string { return KindCategorical }

// prepare always checks the symbols: an out-of-range value would index
// outside the emission table.
func (c *Categorical) prepare(seqs Sequences, _ bool) (*chain, emitter, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	if err := c.checkObs(seqs); err != nil {
		return nil, nil, err
	}
	return newChain(c.Startprob, c.Transmat), newCategoricalEmitter(c), nil
}

// afterCheck returns the data error of seqs if err is not nil or a result
// is not finite (as NaN and ±Inf data always make one), else err, else
// noNaN's. All-finite results cost one scan.
func afterCheck(seqs Sequences, err error, res ...[]float64) error {
	bad := err != nil
	for _, r := range res {
		bad = bad || !allFinite(r)
	}
	if !bad {
		return nil
	}
	if e := seqs.checkFinite(); e != nil {
		return e
	}
	if err == nil {
		err = noNaN(res...)
	}
	return err
}

// noNaN is the error for a NaN result from finite data and parameters:
// values so large (|x| near 1e154 and above) that the densities overflow.
func noNaN(res ...[]float64) error {
	for _, r := range res {
		for _, v := range r {
			if math.IsNaN(v) {
				return errors.New("hmm: a result is NaN: the data are too large for the model's densities (overflow)")
			}
		}
	}
	return nil
}

// scoreWith returns the forward log-likelihood of every sequence with the
// given implementation; ImplScaling fails with ErrUnderflow where hmmlearn's
// scaling implementation raises.
func scoreWith(m Model, seqs Sequences, impl string) ([]float64, error) {
	c, em, err := m.prepare(seqs, false)
	if err != nil {
		return nil, err
	}
	lp, err := score(c, em, seqs, impl)
	if err := afterCheck(seqs, err, lp); err != nil {
		return nil, err
	}
	return lp, nil
}

// scoreFrames returns the forward increments of every row (Model.ScoreFrames)
// and, if viterbi, Decode's log-probabilities without the paths, computing
// the emission densities once for both (Model.DecodeAndScoreFrames).
func scoreFrames(m Model, seqs Sequences, viterbi bool) (vit, frames []float64, err error) {
	c, em, err := m.prepare(seqs, false)
	if err != nil {
		return nil, nil, err
	}
	frames = make([]float64, seqs.T())
	if viterbi {
		vit = make([]float64, len(seqs.Bounds()))
	}
	_ = forEach(c, em, seqs, func(w *work, i, lo, T int) error {
		if viterbi {
			vit[i] = w.viterbi(c, T, nil)
		}
		_, err := w.pass(c, ImplLog, T, needLogP, frames[lo:lo+T])
		return err
	})
	if err := afterCheck(seqs, nil, vit, frames); err != nil {
		return nil, nil, err
	}
	return vit, frames, nil
}

// decode returns the Viterbi log-probability of every sequence and the
// state paths of all rows, concatenated.
func decode(m Model, seqs Sequences) ([]float64, []int, error) {
	c, em, err := m.prepare(seqs, false)
	if err != nil {
		return nil, nil, err
	}
	lp, path := make([]float64, len(seqs.Bounds())), make([]int, seqs.T())
	err = forEach(c, em, seqs, func(w *work, i, lo, T int) error {
		lp[i] = w.viterbi(c, T, path[lo:lo+T])
		return nil
	})
	if err := afterCheck(seqs, err, lp); err != nil {
		return nil, nil, err
	}
	return lp, path, nil
}

// posteriors returns γ (T×K) of every sequence, concatenated.
func posteriors(m Model, seqs Sequences) ([]float64, error) {
	c, em, err := m.prepare(seqs, true)
	if err != nil {
		return nil, err
	}
	k := c.k
	out := make([]float64, seqs.T()*k)
	err = forEach(c, em, seqs, func(w *work, _, lo, T int) error {
		if _, err := w.pass(c, ImplLog, T, needGamma, nil); err != nil {
			return err
		}
		copy(out[lo*k:(lo+T)*k], w.gamma[:T*k])
		return nil
	})
	if err == nil {
		err = noNaN(out)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Score returns the forward log-likelihood of every sequence.
func (g *Gaussian) Score(seqs Sequences) ([]float64, error) { return scoreWith(g, seqs, ImplLog) }

// ScoreFrames returns the per-row forward increments (Model.ScoreFrames).
func (g *Gaussian) ScoreFrames(seqs Sequences) ([]float64, error) {
	_, fr, err := scoreFrames(g, seqs, false)
	return fr, err
}

// Decode runs Viterbi on every sequence.
func (g *Gaussian) Decode(seqs Sequences) ([]float64, []int, error) { return decode(g, seqs) }

// DecodeAndScoreFrames is Model.DecodeAndScoreFrames.
func (g *Gaussian) DecodeAndScoreFrames(seqs Sequences) ([]float64, []float64, error) {
	return scoreFrames(g, seqs, true)
}

// Posteriors returns γ.
func (g *Gaussian) Posteriors(seqs Sequences) ([]float64, error) { return posteriors(g, seqs) }

// Score returns the forward log-likelihood of every sequence.
func (c *Categorical) Score(seqs Sequences) ([]float64, error) { return scoreWith(c, seqs, ImplLog) }

// ScoreFrames returns the per-row forward increments (Model.ScoreFrames).
func (c *Categorical) ScoreFrames(seqs Sequences) ([]float64, error) {
	_, fr, err := scoreFrames(c, seqs, false)
	return fr, err
}

// Decode runs Viterbi on every sequence.
func (c *Categorical) Decode(seqs Sequences) ([]float64, []int, error) { return decode(c, seqs) }

// DecodeAndScoreFrames is Model.DecodeAndScoreFrames.
func (c *Categorical) DecodeAndScoreFrames(seqs Sequences) ([]float64, []float64, error) {
	return scoreFrames(c, seqs, true)
}

// Posteriors returns γ.
func (c *Categorical) Posteriors(seqs Sequences) ([]float64, error) { return posteriors(c, seqs) }
