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

var log2Pi = math.Log(2 * math.Pi)

type gaussianEmitter struct {
	g       *Gaussian
	k, d    int
	full    bool
	c       []float64 // per state: −½(D·log 2π + log|Σ_k|)
	halfInv []float64 // diag/spherical: 1/(2σ²_kd), K×D
	chol    []float64 // full/tied: lower Cholesky factors, K×D×D
}

func newGaussianEmitter(g *Gaussian) (*gaussianEmitter, error) {
	k, d := g.K, g.D
	e := &gaussianEmitter{g: g, k: k, d: d, c: make([]float64, k)}
	switch g.Covariance {
	case Diag, Spherical:
		e.halfInv = make([]float64, k*d)
		for s := range k {
			logDet := 0.0
			for f := range d {
				v := g.Covars[s] // spherical
				if g.Covariance == Diag {
					v = g.Covars[s*d+f]
				}
				v = max(v, normalMin) // hmmlearn's floor before the log
				logDet += math.Log(v)
				e.halfInv[s*d+f] = 0.5 / v
			}
			e.c[s] = -0.5 * (float64(d)*log2Pi + logDet)
		}
	case Full, Tied:
		e.full = true
		e.chol = make([]float64, k*d*d)
		for s := range k {
			cv := g.Covars // tied
			if g.Covariance == Full {
				cv = cv[s*d*d : (s+1)*d*d]
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
		z := make([]float64, d) // per call: the emitter is shared by workers
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
	e.diagLogProb(dst, x, T)
}

// emitBlock is the number of frames whose emissions are computed together:
// a state-outer loop over a block keeps the state's parameters in registers
// while the block's rows stay in L1.
const emitBlock = 128

// diagLogProb is frameLogProb for diag/spherical covariances:
// b_t(j) = c_j − Σ_f (x_tf − μ_jf)²/(2σ²_jf), summed five features at a time
// (five means and inverse variances fit in registers next to the row values).
func (e *gaussianEmitter) diagLogProb(dst, x []float64, T int) {
	k, d := e.k, e.d
	// Scratch on the stack: the emitter is shared by the workers of an E-step.
	var qbuf [emitBlock]float64
	for t0 := 0; t0 < T; t0 += emitBlock {
		n := min(emitBlock, T-t0)
		e.diagBlock(dst[t0*k:(t0+n)*k], qbuf[:n], x[t0*d:(t0+n)*d])
	}
}

// diagBlock computes the rows xb (len(q) rows of D) of a block into out
// (the block's rows × K).
func (e *gaussianEmitter) diagBlock(out, q, xb []float64) {
	k, d, mu := e.k, e.d, e.g.Means
	for s := range k {
		m, h := mu[s*d:(s+1)*d], e.halfInv[s*d:(s+1)*d]
		clear(q)
		f := 0
		for ; f+5 <= d; f += 5 {
			m0, m1, m2, m3, m4 := m[f], m[f+1], m[f+2], m[f+3], m[f+4]
			h0, h1, h2, h3, h4 := h[f], h[f+1], h[f+2], h[f+3], h[f+4]
			off := f
			for t := range q {
				r := xb[off : off+5 : off+5]
				off += d
				v0, v1, v2, v3, v4 := r[0]-m0, r[1]-m1, r[2]-m2, r[3]-m3, r[4]-m4
				q[t] += ((v0*v0*h0 + v1*v1*h1) + (v2*v2*h2 + v3*v3*h3)) + v4*v4*h4
			}
		}
		for ; f+4 <= d; f += 4 {
			m0, m1, m2, m3 := m[f], m[f+1], m[f+2], m[f+3]
			h0, h1, h2, h3 := h[f], h[f+1], h[f+2], h[f+3]
			off := f
			for t := range q {
				r := xb[off : off+4 : off+4]
				off += d
				v0, v1, v2, v3 := r[0]-m0, r[1]-m1, r[2]-m2, r[3]-m3
				q[t] += (v0*v0*h0 + v1*v1*h1) + (v2*v2*h2 + v3*v3*h3)
			}
		}
		for ; f+2 <= d; f += 2 {
			m0, m1, h0, h1 := m[f], m[f+1], h[f], h[f+1]
			off := f
			for t := range q {
				r := xb[off : off+2 : off+2]
				off += d
				v0, v1 := r[0]-m0, r[1]-m1
				q[t] += v0*v0*h0 + v1*v1*h1
			}
		}
		if f < d {
			m0, h0, off := m[f], h[f], f
			for t := range q {
				v := xb[off] - m0
				off += d
				q[t] += v * v * h0
			}
		}
		c := e.c[s]
		for t, v := range q {
			out[t*k+s] = c - v
		}
	}
}

// accumulate adds Σ_t γ_t(j), Σ_t γ_t(j)·x_t and Σ_t γ_t(j)·x_t² (diag,
// spherical) or Σ_t γ_t(j)·x_t x_tᵀ (full, tied) of T rows to st.
func (e *gaussianEmitter) accumulate(st *stats, x, gamma []float64, T int) {
	k, d := e.k, e.d
	for t := range T {
		for s, gs := range gamma[t*k : (t+1)*k] {
			st.post[s] += gs
		}
	}
	if !e.full {
		e.accumulateDiag(st, x, gamma, T)
		return
	}
	for t := range T {
		row, g := x[t*d:(t+1)*d], gamma[t*k:(t+1)*k]
		for s, gs := range g {
			if gs == 0 {
				continue
			}
			obs := st.obs[s*d : (s+1)*d]
			obs = obs[:len(row)]
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

// accumulateDiag adds γᵀX and γᵀX² to st.obs and st.obs2. Every sum adds
// its terms in row order, one at a time: the cancellation-prone variance
// update (testdata/ALGORITHM.md §6) is sensitive to that order. A row whose
// γ is 0 for the state is skipped: its terms would be ±0.
func (e *gaussianEmitter) accumulateDiag(st *stats, x, gamma []float64, T int) {
	k, d := e.k, e.d
	for s := range k {
		obs, obs2 := st.obs[s*d:(s+1)*d], st.obs2[s*d:(s+1)*d]
		for t := range T {
			g := gamma[t*k+s]
			if g == 0 {
				continue
			}
			row := x[t*d : (t+1)*d]
			obs, obs2 := obs[:len(row)], obs2[:len(row)]
			for f, v := range row {
				obs[f] += g * v
				obs2[f] += g * (v * v)
			}
		}
	}
}

type categoricalEmitter struct {
	k, s int
	logE []float64 // S×K: log E[k, s] stored symbol-major so a frame reads one row
	// The scaled rung's tables: prob[s][k] = E[k, s] / max_k E[k, s],
	// logMax[s] = log max_k E[k, s]; bad[s] where it would decline.
	prob, logMax []float64
	bad          []bool
}

func newCategoricalEmitter(c *Categorical) *categoricalEmitter {
	k, ns := c.K, c.S
	e := &categoricalEmitter{k: k, s: ns, logE: make([]float64, k*ns), prob: make([]float64, k*ns),
		logMax: make([]float64, ns), bad: make([]bool, ns)}
	for j := range k {
		for s := range ns {
			e.logE[s*k+j] = math.Log(c.Emission[j*ns+s])
		}
	}
	for s := range ns {
		m, emax := maxOf(e.logE[s*k:(s+1)*k]), 0.0
		e.logMax[s], e.bad[s] = m, m-m != 0
		for j := range k {
			emax = max(emax, c.Emission[j*ns+s])
		}
		for j := range k {
			v := e.logE[s*k+j]
			e.bad[s] = e.bad[s] || (v-m < emitFloor && !math.IsInf(v, -1))
			e.prob[s*k+j] = c.Emission[j*ns+s] / emax
		}
	}
	return e
}

// frameProb looks p_t and m_t up (probEmitter).
func (e *categoricalEmitter) frameProb(p, emMax, x []float64, T int) bool {
	k := e.k
	for t := range T {
		sym := int(x[t])
		if e.bad[sym] {
			return false
		}
		copy(p[t*k:(t+1)*k], e.prob[sym*k:(sym+1)*k])
		emMax[t] = e.logMax[sym]
	}
	return true
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
