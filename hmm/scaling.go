package hmm

import (
	"fmt"
	"math"
)

// hmmlearn's scaling implementation (implementation="scaling"), kept as it
// is, including its failure: Rabiner's recursions on p_t(j) = exp(b_t(j))
// with each forward frame normalised by c_t = 1/Σ_j α̂_t(j).

// underflowLimit is hmmlearn's threshold on a forward frame's sum.
const underflowLimit = 1e-300

// forwardScaling fills w.alpha, w.prob and w.scale and returns log P; it
// fails with ErrUnderflow when a frame sums below 1e-300.
func (w *work) forwardScaling(c *chain, T int) (float64, error) {
	k := w.k
	ensure(T*k, &w.alpha, &w.prob)
	ensure(T, &w.scale)
	a, p := w.alpha, w.prob
	w.probReady = false // p is overwritten with exp(b)
	for i := range T * k {
		p[i] = math.Exp(w.logEm[i])
	}
	for t := range T {
		cur, pt := a[t*k:(t+1)*k], p[t*k:(t+1)*k]
		if t == 0 {
			for j := range k {
				cur[j] = c.pi[j] * pt[j]
			}
		} else {
			prev := a[(t-1)*k : t*k]
			for j := range k {
				col := c.aT[j*k : (j+1)*k]
				s := 0.0
				for i, x := range prev {
					s += x * col[i]
				}
				cur[j] = s * pt[j]
			}
		}
		s := 0.0
		for _, x := range cur {
			s += x
		}
		if s < underflowLimit {
			return 0, fmt.Errorf("%w (frame %d)", ErrUnderflow, t)
		}
		w.scale[t] = 1 / s
		for j := range cur {
			cur[j] *= w.scale[t]
		}
	}
	logP := 0.0
	for t := range T {
		logP -= math.Log(w.scale[t])
	}
	return logP, nil
}

// backwardScaling fills w.beta with hmmlearn's scaled backward lattice.
func (w *work) backwardScaling(c *chain, T int) {
	k := w.k
	ensure(T*k, &w.beta)
	b, p, e := w.beta, w.prob, w.tmp
	for i := range k {
		b[(T-1)*k+i] = w.scale[T-1]
	}
	for t := T - 2; t >= 0; t-- {
		for j := range k {
			e[j] = p[(t+1)*k+j] * b[(t+1)*k+j]
		}
		for i := range k {
			row := c.a[i*k : (i+1)*k]
			s := 0.0
			for j := range k {
				s += row[j] * e[j]
			}
			b[t*k+i] = w.scale[t] * s
		}
	}
}

// posteriorsScaling normalises α̂_t ⊙ β̂_t per row into w.gamma and, if xi,
// adds Σ_t α̂_t(i)·A_ij·p_{t+1}(j)·β̂_{t+1}(j) to w.xi.
func (w *work) posteriorsScaling(c *chain, T int, xi bool) {
	k := w.k
	ensure(T*k, &w.gamma)
	for t := range T {
		g := w.gamma[t*k : (t+1)*k]
		s := 0.0
		for i := range k {
			g[i] = w.alpha[t*k+i] * w.beta[t*k+i]
			s += g[i]
		}
		if s == 0 {
			s = 1
		}
		for i := range k {
			g[i] /= s
		}
		if !xi || t == T-1 {
			continue
		}
		e := w.tmp
		for j := range k {
			e[j] = w.prob[(t+1)*k+j] * w.beta[(t+1)*k+j]
		}
		for i := range k {
			f := w.alpha[t*k+i]
			row, out := c.a[i*k:(i+1)*k], w.xi[i*k:(i+1)*k]
			for j := range k {
				out[j] += f * row[j] * e[j]
			}
		}
	}
}
