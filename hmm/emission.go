package hmm

import (
	"fmt"
	"math"
)

// emitter computes frame log-probabilities b_t(j) and accumulates the
// emission sufficient statistics of one sequence.
type emitter interface {
	frameLogProb(dst, x []float64, T int)
	accumulate(st *stats, x, gamma []float64, T int)
}

// stats are the summed sufficient statistics of an E-step, as hmmlearn holds
// them: start (K), trans (K×K), post (K), obs (K×D or K×S) and obs2 (K×D for
// diag/spherical, K×D×D for full/tied, unused for categorical).
type stats struct {
	start, trans, post, obs, obs2 []float64
}

func newStats(k, nobs, nobs2 int) *stats {
	return &stats{start: make([]float64, k), trans: make([]float64, k*k), post: make([]float64, k),
		obs: make([]float64, nobs), obs2: make([]float64, nobs2)}
}

func (s *stats) zero() {
	for _, v := range [][]float64{s.start, s.trans, s.post, s.obs, s.obs2} {
		clear(v)
	}
}

func (s *stats) add(o *stats) {
	for i, v := range [][]float64{s.start, s.trans, s.post, s.obs, s.obs2} {
		w := [][]float64{o.start, o.trans, o.post, o.obs, o.obs2}[i]
		for j := range v {
			v[j] += w[j]
		}
	}
}

// smallestNormal is the floor hmmlearn puts under diagonal variances before
// taking their log.
const smallestNormal = 2.2250738585072014e-308

var log2Pi = math.Log(2 * math.Pi)

type gaussianEmitter struct {
	g       *Gaussian
	k, d    int
	full    bool
	c       []float64 // per state: −½(D·log 2π + log|Σ_k|)
	halfInv []float64 // diag/spherical: 1/(2σ²_kd), K×D
	chol    []float64 // full/tied: lower Cholesky factors, K×D×D
	diff    []float64 // D scratch
}

func newGaussianEmitter(g *Gaussian) (*gaussianEmitter, error) {
	k, d := g.K, g.D
	e := &gaussianEmitter{g: g, k: k, d: d, c: make([]float64, k), diff: make([]float64, d)}
	switch g.Covariance {
	case Diag, Spherical:
		e.halfInv = make([]float64, k*d)
		for s := range k {
			logDet := 0.0
			for f := range d {
				var v float64
				if g.Covariance == Diag {
					v = g.Covars[s*d+f]
				} else {
					v = g.Covars[s]
				}
				v = max(v, smallestNormal)
				logDet += math.Log(v)
				e.halfInv[s*d+f] = 0.5 / v
			}
			e.c[s] = -0.5 * (float64(d)*log2Pi + logDet)
		}
	case Full, Tied:
		e.full = true
		e.chol = make([]float64, k*d*d)
		for s := range k {
			var cv []float64
			if g.Covariance == Full {
				cv = g.Covars[s*d*d : (s+1)*d*d]
			} else {
				cv = g.Covars
			}
			l := e.chol[s*d*d : (s+1)*d*d]
			if !cholesky(l, cv, d, 0) && !cholesky(l, cv, d, 1e-7) {
				return nil, fmt.Errorf("hmm: covariance of state %d is not symmetric positive-definite", s)
			}
			logDet := 0.0
			for f := range d {
				logDet += math.Log(l[f*d+f])
			}
			e.c[s] = -0.5 * (float64(d)*log2Pi + 2*logDet)
		}
	default:
		_, err := covarsLen(g.Covariance, k, d)
		return nil, err
	}
	return e, nil
}

// cholesky writes the lower factor of a + jitter·I into l and reports
// whether a + jitter·I is positive definite.
func cholesky(l, a []float64, d int, jitter float64) bool {
	clear(l)
	for j := range d {
		s := a[j*d+j] + jitter
		for p := range j {
			s -= l[j*d+p] * l[j*d+p]
		}
		if !(s > 0) || math.IsInf(s, 0) {
			return false
		}
		ljj := math.Sqrt(s)
		l[j*d+j] = ljj
		for i := j + 1; i < d; i++ {
			s := a[i*d+j]
			for p := range j {
				s -= l[i*d+p] * l[j*d+p]
			}
			l[i*d+j] = s / ljj
		}
	}
	return true
}

// frameLogProb writes b_t(j) = log N(x_t; μ_j, Σ_j) for T rows of x to dst (T×K).
func (e *gaussianEmitter) frameLogProb(dst, x []float64, T int) {
	k, d, mu := e.k, e.d, e.g.Means
	if e.full {
		z := e.diff
		for t := range T {
			row := x[t*d : (t+1)*d]
			for s := range k {
				l, m := e.chol[s*d*d:(s+1)*d*d], mu[s*d:(s+1)*d]
				q := 0.0
				for i := range d {
					v := row[i] - m[i]
					for p := range i {
						v -= l[i*d+p] * z[p]
					}
					v /= l[i*d+i]
					z[i] = v
					q += v * v
				}
				dst[t*k+s] = e.c[s] - 0.5*q
			}
		}
		return
	}
	for t := range T {
		row := x[t*d : (t+1)*d]
		out := dst[t*k : (t+1)*k]
		for s := range out {
			m, h := mu[s*d:(s+1)*d], e.halfInv[s*d:(s+1)*d]
			m, h = m[:len(row)], h[:len(row)]
			// Two interleaved sums halve the dependency chain.
			q0, q1 := 0.0, 0.0
			f := 0
			for ; f+1 < len(row); f += 2 {
				v0, v1 := row[f]-m[f], row[f+1]-m[f+1]
				q0 += v0 * v0 * h[f]
				q1 += v1 * v1 * h[f+1]
			}
			if f < len(row) {
				v := row[f] - m[f]
				q0 += v * v * h[f]
			}
			out[s] = e.c[s] - (q0 + q1)
		}
	}
}

func (e *gaussianEmitter) accumulate(st *stats, x, gamma []float64, T int) {
	k, d := e.k, e.d
	for t := range T {
		row, g := x[t*d:(t+1)*d], gamma[t*k:(t+1)*k]
		for s, gs := range g {
			if gs == 0 {
				continue
			}
			st.post[s] += gs
			obs := st.obs[s*d : (s+1)*d]
			obs = obs[:len(row)]
			if !e.full {
				obs2 := st.obs2[s*d : (s+1)*d]
				obs2 = obs2[:len(row)]
				for f, xv := range row {
					obs[f] += gs * xv
					obs2[f] += gs * (xv * xv)
				}
				continue
			}
			outer := st.obs2[s*d*d : (s+1)*d*d]
			for a, xa := range row {
				obs[a] += gs * xa
				ga := gs * xa
				o := outer[a*d : (a+1)*d]
				o = o[:len(row)]
				for b, xb := range row {
					o[b] += ga * xb
				}
			}
		}
	}
}

type categoricalEmitter struct {
	k, s int
	logE []float64 // S×K: log E[k, s] stored symbol-major so a frame reads one row
}

func newCategoricalEmitter(c *Categorical) *categoricalEmitter {
	e := &categoricalEmitter{k: c.K, s: c.S, logE: make([]float64, c.K*c.S)}
	for k := range c.K {
		for s := range c.S {
			e.logE[s*c.K+k] = math.Log(c.Emission[k*c.S+s])
		}
	}
	return e
}

func (e *categoricalEmitter) frameLogProb(dst, x []float64, T int) {
	k := e.k
	for t := range T {
		sym := int(x[t])
		copy(dst[t*k:(t+1)*k], e.logE[sym*k:(sym+1)*k])
	}
}

func (e *categoricalEmitter) accumulate(st *stats, x, gamma []float64, T int) {
	k, s := e.k, e.s
	for t := range T {
		sym := int(x[t])
		for j, g := range gamma[t*k : (t+1)*k] {
			st.obs[j*s+sym] += g
		}
	}
}

// checkSymbols reports the first value of x that is not a symbol in [0, S).
func checkSymbols(x []float64, s int) error {
	for i, v := range x {
		if v != math.Trunc(v) || v < 0 || v >= float64(s) {
			return fmt.Errorf("hmm: row %d: symbol %v is not an integer in [0, %d)", i, v, s)
		}
	}
	return nil
}
