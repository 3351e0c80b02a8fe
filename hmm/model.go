package hmm

import (
	"encoding/json"
	"fmt"
	"math"
)

// Model is a trained hidden Markov model. *Gaussian and *Categorical
// implement it. All methods check the data and return an error naming the
// offending row or sequence (Gaussian Score, ScoreFrames and Decode look for
// NaN and ±Inf only when a result is not finite, which they always cause).
type Model interface {
	Kind() string
	NumStates() int
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
	// and the increments of ScoreFrames, bit for bit, but computes the
	// emission log-densities once for both and no state path.
	DecodeAndScoreFrames(seqs Sequences) (viterbi, frames []float64, err error)
}

var (
	_ Model = (*Gaussian)(nil)
	_ Model = (*Categorical)(nil)
)

// Kind returns KindGaussian.
func (g *Gaussian) Kind() string { return KindGaussian }

// NumStates returns K.
func (g *Gaussian) NumStates() int { return g.K }

func (g *Gaussian) prepare(seqs Sequences) (*chain, emitter, error) {
	return g.prepareWith(seqs, g.checkObs)
}

// prepareLazy is prepare without the pass over the data values: Score,
// ScoreFrames and Decode look for NaN and ±Inf only when a result is not
// finite (afterCheck), which such values always cause, and save a read of
// the data.
func (g *Gaussian) prepareLazy(seqs Sequences) (*chain, emitter, error) {
	return g.prepareWith(seqs, g.checkShape)
}

// afterCheck returns the data error of seqs if a value of res is not finite
// or err is not nil, and err otherwise.
func afterCheck(seqs Sequences, res []float64, err error) error {
	if err == nil && allFinite(res) {
		return nil
	}
	if e := seqs.checkFinite(); e != nil {
		return e
	}
	return err
}

func (g *Gaussian) prepareWith(seqs Sequences, check func(Sequences) error) (*chain, emitter, error) {
	if err := g.Validate(); err != nil {
		return nil, nil, err
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

// Score returns the log-space forward log-likelihood of every sequence.
func (g *Gaussian) Score(seqs Sequences) ([]float64, error) { return g.ScoreWith(seqs, ImplLog) }

// ScoreWith is Score with an explicit implementation; ImplScaling fails with
// ErrUnderflow where hmmlearn's scaling implementation raises.
func (g *Gaussian) ScoreWith(seqs Sequences, impl string) ([]float64, error) {
	ch, em, err := g.prepareLazy(seqs)
	if err != nil {
		return nil, err
	}
	lp, err := score(ch, em, seqs, impl)
	if err := afterCheck(seqs, lp, err); err != nil {
		return nil, err
	}
	return lp, nil
}

// ScoreFrames returns the per-row forward log-likelihood increments
// log P(x_t | x_<t) of every sequence (Model.ScoreFrames).
func (g *Gaussian) ScoreFrames(seqs Sequences) ([]float64, error) {
	ch, em, err := g.prepareLazy(seqs)
	if err != nil {
		return nil, err
	}
	fr := scoreFrames(ch, em, seqs)
	if err := afterCheck(seqs, fr, nil); err != nil {
		return nil, err
	}
	return fr, nil
}

// Decode runs Viterbi on every sequence.
func (g *Gaussian) Decode(seqs Sequences) ([]float64, []int, error) {
	ch, em, err := g.prepareLazy(seqs)
	if err != nil {
		return nil, nil, err
	}
	lp, path, err := decode(ch, em, seqs)
	if err := afterCheck(seqs, lp, err); err != nil {
		return nil, nil, err
	}
	return lp, path, nil
}

// DecodeAndScoreFrames returns Decode's log-probabilities and ScoreFrames
// (Model.DecodeAndScoreFrames).
func (g *Gaussian) DecodeAndScoreFrames(seqs Sequences) ([]float64, []float64, error) {
	ch, em, err := g.prepareLazy(seqs)
	if err != nil {
		return nil, nil, err
	}
	vit, fr := decodeScoreFrames(ch, em, seqs)
	if err := afterCheck(seqs, vit, nil); err != nil {
		return nil, nil, err
	}
	if err := afterCheck(seqs, fr, nil); err != nil {
		return nil, nil, err
	}
	return vit, fr, nil
}

// DecodeMAP is hmmlearn's decode(algorithm="map"); see decodeMAP.
func (g *Gaussian) DecodeMAP(seqs Sequences) ([]float64, []int, error) {
	ch, em, err := g.prepare(seqs)
	if err != nil {
		return nil, nil, err
	}
	return decodeMAP(ch, em, seqs)
}

// Posteriors returns γ computed in log space.
func (g *Gaussian) Posteriors(seqs Sequences) ([]float64, error) {
	return g.PosteriorsWith(seqs, ImplLog)
}

// PosteriorsWith is Posteriors with an explicit implementation.
func (g *Gaussian) PosteriorsWith(seqs Sequences, impl string) ([]float64, error) {
	ch, em, err := g.prepare(seqs)
	if err != nil {
		return nil, err
	}
	return posteriors(ch, em, seqs, impl)
}

// Kind returns KindCategorical.
func (c *Categorical) Kind() string { return KindCategorical }

// NumStates returns K.
func (c *Categorical) NumStates() int { return c.K }

func (c *Categorical) prepare(seqs Sequences) (*chain, emitter, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	if err := c.checkObs(seqs); err != nil {
		return nil, nil, err
	}
	return newChain(c.Startprob, c.Transmat), newCategoricalEmitter(c), nil
}

// Score returns the log-space forward log-likelihood of every sequence.
func (c *Categorical) Score(seqs Sequences) ([]float64, error) { return c.ScoreWith(seqs, ImplLog) }

// ScoreWith is Score with an explicit implementation.
func (c *Categorical) ScoreWith(seqs Sequences, impl string) ([]float64, error) {
	ch, em, err := c.prepare(seqs)
	if err != nil {
		return nil, err
	}
	return score(ch, em, seqs, impl)
}

// ScoreFrames returns the per-row forward log-likelihood increments
// log P(x_t | x_<t) of every sequence (Model.ScoreFrames).
func (c *Categorical) ScoreFrames(seqs Sequences) ([]float64, error) {
	ch, em, err := c.prepare(seqs)
	if err != nil {
		return nil, err
	}
	return scoreFrames(ch, em, seqs), nil
}

// Decode runs Viterbi on every sequence.
func (c *Categorical) Decode(seqs Sequences) ([]float64, []int, error) {
	ch, em, err := c.prepare(seqs)
	if err != nil {
		return nil, nil, err
	}
	return decode(ch, em, seqs)
}

// DecodeAndScoreFrames returns Decode's log-probabilities and ScoreFrames
// (Model.DecodeAndScoreFrames).
func (c *Categorical) DecodeAndScoreFrames(seqs Sequences) ([]float64, []float64, error) {
	ch, em, err := c.prepare(seqs)
	if err != nil {
		return nil, nil, err
	}
	vit, fr := decodeScoreFrames(ch, em, seqs)
	return vit, fr, nil
}

// DecodeMAP is hmmlearn's decode(algorithm="map"); see decodeMAP.
func (c *Categorical) DecodeMAP(seqs Sequences) ([]float64, []int, error) {
	ch, em, err := c.prepare(seqs)
	if err != nil {
		return nil, nil, err
	}
	return decodeMAP(ch, em, seqs)
}

// Posteriors returns γ computed in log space.
func (c *Categorical) Posteriors(seqs Sequences) ([]float64, error) {
	return c.PosteriorsWith(seqs, ImplLog)
}

// PosteriorsWith is Posteriors with an explicit implementation.
func (c *Categorical) PosteriorsWith(seqs Sequences, impl string) ([]float64, error) {
	ch, em, err := c.prepare(seqs)
	if err != nil {
		return nil, err
	}
	return posteriors(ch, em, seqs, impl)
}

// modelJSON is the stable serialised form. Matrices are nested row-major;
// covars nest as diag [K][D], spherical [K], full [K][D][D], tied [D][D].
type modelJSON struct {
	Format     int             `json:"format"`
	Kind       string          `json:"kind"`
	Covariance string          `json:"covariance,omitempty"`
	States     int             `json:"states"`
	Features   int             `json:"features,omitempty"`
	Symbols    int             `json:"symbols,omitempty"`
	Startprob  []float64       `json:"startprob"`
	Transmat   [][]float64     `json:"transmat"`
	Means      [][]float64     `json:"means,omitempty"`
	Covars     json.RawMessage `json:"covars,omitempty"`
	Emission   [][]float64     `json:"emission,omitempty"`
}

func rows(v []float64, n int) [][]float64 {
	out := make([][]float64, 0, len(v)/n)
	for i := 0; i < len(v); i += n {
		out = append(out, v[i:i+n])
	}
	return out
}

func flatten(m [][]float64, r, c int, name string) ([]float64, error) {
	if len(m) != r {
		return nil, fmt.Errorf("hmm: model %s has %d rows, want %d", name, len(m), r)
	}
	out := make([]float64, 0, r*c)
	for i, row := range m {
		if len(row) != c {
			return nil, fmt.Errorf("hmm: model %s row %d has %d entries, want %d", name, i, len(row), c)
		}
		out = append(out, row...)
	}
	return out, nil
}

func finite(name string, vs ...[]float64) error {
	for _, v := range vs {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("hmm: cannot marshal %s model with non-finite parameter %v", name, x)
			}
		}
	}
	return nil
}

// MarshalModel encodes m as JSON. Floats use the shortest representation
// that parses back to the same bits, so UnmarshalModel round-trips exactly.
func MarshalModel(m Model) ([]byte, error) {
	switch v := m.(type) {
	case *Gaussian:
		if err := finite("gaussian", v.Startprob, v.Transmat, v.Means, v.Covars); err != nil {
			return nil, err
		}
		var cov any
		switch v.Covariance {
		case Diag:
			cov = rows(v.Covars, v.D)
		case Spherical:
			cov = v.Covars
		case Full:
			var c [][][]float64
			for k := range v.K {
				c = append(c, rows(v.Covars[k*v.D*v.D:(k+1)*v.D*v.D], v.D))
			}
			cov = c
		case Tied:
			cov = rows(v.Covars, v.D)
		default:
			return nil, fmt.Errorf("hmm: unknown covariance type %q", v.Covariance)
		}
		raw, err := json.Marshal(cov)
		if err != nil {
			return nil, err
		}
		return json.Marshal(modelJSON{Format: 1, Kind: KindGaussian, Covariance: v.Covariance, States: v.K, Features: v.D,
			Startprob: v.Startprob, Transmat: rows(v.Transmat, v.K), Means: rows(v.Means, v.D), Covars: raw})
	case *Categorical:
		if err := finite("categorical", v.Startprob, v.Transmat, v.Emission); err != nil {
			return nil, err
		}
		return json.Marshal(modelJSON{Format: 1, Kind: KindCategorical, States: v.K, Symbols: v.S,
			Startprob: v.Startprob, Transmat: rows(v.Transmat, v.K), Emission: rows(v.Emission, v.S)})
	}
	return nil, fmt.Errorf("hmm: cannot marshal model of type %T", m)
}

// UnmarshalModel decodes a model written by MarshalModel and validates it.
func UnmarshalModel(b []byte) (Model, error) {
	var j modelJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("hmm: decoding model: %w", err)
	}
	if j.Format != 1 {
		return nil, fmt.Errorf("hmm: model format %d, want 1", j.Format)
	}
	k := j.States
	trans, err := flatten(j.Transmat, k, k, "transmat")
	if err != nil {
		return nil, err
	}
	switch j.Kind {
	case KindGaussian:
		d := j.Features
		means, err := flatten(j.Means, k, d, "means")
		if err != nil {
			return nil, err
		}
		g := &Gaussian{Covariance: j.Covariance, K: k, D: d, Startprob: j.Startprob, Transmat: trans, Means: means}
		switch j.Covariance {
		case Spherical:
			err = json.Unmarshal(j.Covars, &g.Covars)
		case Diag, Tied:
			var m [][]float64
			if err = json.Unmarshal(j.Covars, &m); err == nil {
				r := k
				if j.Covariance == Tied {
					r = d
				}
				g.Covars, err = flatten(m, r, d, "covars")
			}
		case Full:
			var m [][][]float64
			if err = json.Unmarshal(j.Covars, &m); err == nil {
				if len(m) != k {
					return nil, fmt.Errorf("hmm: model covars have %d matrices, want %d", len(m), k)
				}
				for _, c := range m {
					f, err := flatten(c, d, d, "covars")
					if err != nil {
						return nil, err
					}
					g.Covars = append(g.Covars, f...)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("hmm: decoding covars: %w", err)
		}
		if err := g.Validate(); err != nil {
			return nil, err
		}
		return g, nil
	case KindCategorical:
		em, err := flatten(j.Emission, k, j.Symbols, "emission")
		if err != nil {
			return nil, err
		}
		c := &Categorical{K: k, S: j.Symbols, Startprob: j.Startprob, Transmat: trans, Emission: em}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, fmt.Errorf("hmm: unknown model kind %q", j.Kind)
}
