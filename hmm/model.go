package hmm

import (
	"errors"
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

var (
	_ Model = (*Gaussian)(nil)
	_ Model = (*Categorical)(nil)
)

// Kind returns KindGaussian.
func (g *Gaussian) Kind() string { return KindGaussian }

func (g *Gaussian) prepare(seqs Sequences, values bool) (*chain, emitter, error) {
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	check := g.checkShape
	if values {
		check = g.checkObs
	}
	if err := check(seqs); err != nil {
		return nil, nil, err
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
// is not finite (what NaN and ±Inf always cause), else err, else the
// overflow error of a NaN result (noNaN). All-finite results cost one
// scan.
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

func scoreFramesOf(m Model, seqs Sequences) ([]float64, error) {
	c, em, err := m.prepare(seqs, false)
	if err != nil {
		return nil, err
	}
	fr := scoreFrames(c, em, seqs)
	if err := afterCheck(seqs, nil, fr); err != nil {
		return nil, err
	}
	return fr, nil
}

func decodeOf(m Model, seqs Sequences) ([]float64, []int, error) {
	c, em, err := m.prepare(seqs, false)
	if err != nil {
		return nil, nil, err
	}
	lp, path, err := decode(c, em, seqs)
	if err := afterCheck(seqs, err, lp); err != nil {
		return nil, nil, err
	}
	return lp, path, nil
}

func decodeScoreFramesOf(m Model, seqs Sequences) ([]float64, []float64, error) {
	c, em, err := m.prepare(seqs, false)
	if err != nil {
		return nil, nil, err
	}
	vit, fr := decodeScoreFrames(c, em, seqs)
	if err := afterCheck(seqs, nil, vit, fr); err != nil {
		return nil, nil, err
	}
	return vit, fr, nil
}

func posteriorsOf(m Model, seqs Sequences) ([]float64, error) {
	c, em, err := m.prepare(seqs, true)
	if err != nil {
		return nil, err
	}
	g, err := posteriors(c, em, seqs)
	if err == nil {
		err = noNaN(g)
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

func decodeMAPOf(m Model, seqs Sequences) ([]float64, []int, error) {
	c, em, err := m.prepare(seqs, true)
	if err != nil {
		return nil, nil, err
	}
	return decodeMAP(c, em, seqs)
}

// Score returns the forward log-likelihood of every sequence.
func (g *Gaussian) Score(seqs Sequences) ([]float64, error) { return scoreWith(g, seqs, ImplLog) }

// ScoreFrames returns the per-row forward increments (Model.ScoreFrames).
func (g *Gaussian) ScoreFrames(seqs Sequences) ([]float64, error) { return scoreFramesOf(g, seqs) }

// Decode runs Viterbi on every sequence.
func (g *Gaussian) Decode(seqs Sequences) ([]float64, []int, error) { return decodeOf(g, seqs) }

// DecodeAndScoreFrames is Model.DecodeAndScoreFrames.
func (g *Gaussian) DecodeAndScoreFrames(seqs Sequences) ([]float64, []float64, error) {
	return decodeScoreFramesOf(g, seqs)
}

// Posteriors returns γ.
func (g *Gaussian) Posteriors(seqs Sequences) ([]float64, error) {
	return posteriorsOf(g, seqs)
}

// Score returns the forward log-likelihood of every sequence.
func (c *Categorical) Score(seqs Sequences) ([]float64, error) { return scoreWith(c, seqs, ImplLog) }

// ScoreFrames returns the per-row forward increments (Model.ScoreFrames).
func (c *Categorical) ScoreFrames(seqs Sequences) ([]float64, error) { return scoreFramesOf(c, seqs) }

// Decode runs Viterbi on every sequence.
func (c *Categorical) Decode(seqs Sequences) ([]float64, []int, error) { return decodeOf(c, seqs) }

// DecodeAndScoreFrames is Model.DecodeAndScoreFrames.
func (c *Categorical) DecodeAndScoreFrames(seqs Sequences) ([]float64, []float64, error) {
	return decodeScoreFramesOf(c, seqs)
}

// Posteriors returns γ.
func (c *Categorical) Posteriors(seqs Sequences) ([]float64, error) {
	return posteriorsOf(c, seqs)
}
