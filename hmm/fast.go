package hmm

import "math"

// The fast log implementation.
//
// hmmlearn's log implementation spends K² exp/log calls per frame. botprof's
// default instead runs the scaled recursions of Rabiner on p_t(j) =
// exp(b_t(j) − max_j b_t(j)) — K exps per frame in the forward pass, none in
// the backward pass — and keeps log P as Σ_t (max_j b_t(j) + log s_t), so
// nothing underflows globally however long the sequence. This is exact up to
// rounding as long as no positive quantity underflows, and the recursions
// give up (ok = false) as soon as one might: an emission more than 700 nats
// below the frame's best, a sum of products below 1e-290, or a product that
// became subnormal or zero. The caller then recomputes the sequence with the
// exact log-space recursions (forwardLog, backwardLog, posteriorsLog), which
// never lose a state. Degenerate data (tiny variances) take that path;
// ordinary data do not.

const (
	emitFloor = -700                    // b_t(j) − max b_t below this would underflow p_t(j)
	normalMin = 2.2250738585072014e-308 // smallest normal float64
)

// fastOK reports whether π and A allow the fast path (they always do
// unless they hold NaN).
func fastOK(c *chain) bool {
	for _, v := range c.a {
		if math.IsNaN(v) {
			return false
		}
	}
	return true
}

// forwardFast fills l.fw with the normalised forward lattice â_t and l.bw
// with p_t, and returns log P.
func (l *lattice) forwardFast(c *chain, T int) (float64, bool) {
	k := l.k
	ensure(&l.bw, T*k)
	ensure(&l.fw, T*k)
	ensure(&l.bmax, T)
	if !expFrames(l.bw, l.bmax, l.flp, k, T) {
		return 0, false
	}
	var acc logAcc
	for t := range T {
		var prev []float64
		if t > 0 {
			prev = l.fw[(t-1)*k : t*k]
		}
		s, ok := forwardStep(c, prev, l.fw[t*k:(t+1)*k], l.bw[t*k:(t+1)*k])
		if !ok {
			return 0, false
		}
		acc.add(l.bmax[t], s)
	}
	return acc.value(), true
}

// scoreFast is forwardFast for one sequence of rows x without T×K buffers:
// the frame log-probabilities are computed emitBlock frames at a time. If
// frames is not nil, frames[t] receives the increment
// log P(x_t | x_<t) = max b_t + log s_t.
func (l *lattice) scoreFast(c *chain, em emitter, x []float64, d, T int, frames []float64) (float64, bool) {
	k := l.k
	n := min(T, emitBlock)
	ensure(&l.flp, n*k)
	ensure(&l.bw, n*k)
	ensure(&l.bmax, n)
	ensure(&l.fw, 2*k)
	prev, cur := l.fw[:k], l.fw[k:2*k]
	var acc logAcc
	for t0 := 0; t0 < T; t0 += emitBlock {
		n := min(emitBlock, T-t0)
		em.frameLogProb(l.flp, x[t0*d:(t0+n)*d], n)
		if !expFrames(l.bw, l.bmax, l.flp, k, n) {
			return 0, false
		}
		for i := range n {
			var pr []float64
			if t0+i > 0 {
				pr = prev
			}
			s, ok := forwardStep(c, pr, cur, l.bw[i*k:(i+1)*k])
			if !ok {
				return 0, false
			}
			acc.add(l.bmax[i], s)
			if frames != nil {
				frames[t0+i] = l.bmax[i] + math.Log(s)
			}
			prev, cur = cur, prev
		}
	}
	return acc.value(), true
}

// logAcc accumulates Σ_t bmax_t + log Π_t s_t with one log at the end; the
// product is kept as mantissa·2^exponent so that it never under- or overflows.
type logAcc struct {
	offset float64
	mant   float64
	exp2   int
}

func (a *logAcc) add(bmax, s float64) {
	if a.mant == 0 {
		a.mant = 1
	}
	a.offset += bmax
	a.mant *= s
	if a.mant < 1e-200 || a.mant > 1e200 {
		f, e := math.Frexp(a.mant)
		a.mant, a.exp2 = f, a.exp2+e
	}
}

func (a *logAcc) value() float64 {
	return a.offset + math.Log(a.mant) + float64(a.exp2)*math.Ln2
}

// expFrames writes bmax[t] = max_j b_t(j) and p_t(j) = exp(b_t(j) − bmax[t])
// for T frames of K log-probabilities b. It is a pass of its own so that the
// exps of successive frames overlap. It fails if a frame has no finite
// maximum or an emission more than −emitFloor nats below it would underflow.
func expFrames(p, bmax, b []float64, k, T int) bool {
	p, b = p[:T*k], b[:T*k]
	for t := range T {
		bt, pt := b[t*k:(t+1)*k:(t+1)*k], p[t*k:(t+1)*k:(t+1)*k]
		m := bt[0]
		for _, v := range bt[1:] {
			if v > m {
				m = v
			}
		}
		if m-m != 0 { // ±Inf or NaN
			return false
		}
		for j, v := range bt {
			d := v - m
			if d < emitFloor {
				if !math.IsInf(v, -1) {
					return false
				}
				pt[j] = 0
				continue
			}
			pt[j] = expNeg(d)
		}
		bmax[t] = m
	}
	return true
}

// forwardStep computes one normalised forward frame cur from prev (nil at
// t = 0) and p = exp(b − max b). It returns the normaliser s, or ok = false
// if a positive quantity may have underflowed.
func forwardStep(c *chain, prev, cur, p []float64) (s float64, ok bool) {
	k := len(cur)
	p = p[:k]
	if prev == nil {
		for j := range cur {
			v := c.pi[j] * p[j]
			if v < normalMin && c.pi[j] > 0 && p[j] > 0 {
				return 0, false
			}
			cur[j] = v
			s += v
		}
	} else {
		prev = prev[:k]
		for j := range cur {
			col := c.aT[j*k : (j+1)*k : (j+1)*k]
			sj := 0.0
			for i, x := range prev {
				sj += x * col[i]
			}
			if sj < tiny && !exactSum(prev, col, sj) {
				return 0, false
			}
			v := sj * p[j]
			if v < normalMin && sj > 0 && p[j] > 0 {
				return 0, false
			}
			cur[j] = v
			s += v
		}
	}
	if !(s > 0) {
		return 0, false
	}
	inv := 1 / s
	for j := range cur {
		cur[j] *= inv
		if cur[j] > 0 && cur[j] < normalMin {
			return 0, false
		}
	}
	return s, true
}

// backwardFast runs the normalised backward recursion β̂_t on l.bw = p_t and,
// in the same pass, fills l.gamma (γ_t ∝ â_t ⊙ β̂_t) and, if xi, adds
// Σ_t ξ_t to l.xi with ξ_t(i,j) ∝ â_t(i)·A_ij·p_{t+1}(j)·β̂_{t+1}(j), each
// frame normalised to sum 1. It needs only two frames of β̂.
func (l *lattice) backwardFast(c *chain, T int, xi bool) bool {
	k := l.k
	ensure(&l.bs, 2*k)
	ensure(&l.gamma, T*k)
	p, w := l.bw, l.tmp[:k]
	next, cur := l.bs[:k], l.bs[k:2*k]
	for i := range next {
		next[i] = 1
	}
	if _, ok := gammaFrame(l.gamma[(T-1)*k:T*k], l.fw[(T-1)*k:T*k], next); !ok {
		return false
	}
	for t := T - 2; t >= 0; t-- {
		pt := p[(t+1)*k : (t+2)*k : (t+2)*k]
		for j := range w {
			w[j] = pt[j] * next[j]
			if w[j] < normalMin && pt[j] > 0 && next[j] > 0 {
				return false
			}
		}
		s := 0.0
		for i := range cur {
			row := c.a[i*k : (i+1)*k : (i+1)*k]
			v := 0.0
			for j, wj := range w {
				v += row[j] * wj
			}
			if v < tiny && !exactSum(w, row, v) {
				return false
			}
			cur[i] = v
			s += v
		}
		if !(s > 0) {
			return false
		}
		inv := 1 / s
		for i := range cur {
			cur[i] *= inv
			if cur[i] > 0 && cur[i] < normalMin {
				return false
			}
		}
		f := l.fw[t*k : (t+1)*k : (t+1)*k]
		z, ok := gammaFrame(l.gamma[t*k:(t+1)*k], f, cur)
		if !ok {
			return false
		}
		if xi {
			// Σ_ij â_t(i)·A_ij·w_j = Σ_i â_t(i)·β̂_t(i)·s = z·s, where s is
			// the backward normaliser of frame t and z that of γ_t.
			zx := z * s
			if !(zx >= tiny) {
				return false
			}
			inv = 1 / zx
			for i, fv := range f {
				fi := fv * inv
				if fi == 0 {
					continue
				}
				row, out := c.a[i*k:(i+1)*k:(i+1)*k], l.xi[i*k:(i+1)*k:(i+1)*k]
				for j, wj := range w {
					out[j] += fi * row[j] * wj
				}
			}
		}
		next, cur = cur, next
	}
	return true
}

// gammaFrame writes γ = f ⊙ b / z with z = Σ f ⊙ b and returns z, or
// ok = false if z is too small to trust.
func gammaFrame(g, f, b []float64) (z float64, ok bool) {
	k := len(g)
	f, b = f[:k], b[:k]
	for i := range g {
		g[i] = f[i] * b[i]
		z += g[i]
	}
	if !(z >= tiny) {
		return 0, false
	}
	inv := 1 / z
	for i := range g {
		g[i] *= inv
	}
	return z, true
}

// exactSum reports whether a tiny Σ_i u_i·v_i is trustworthy: only an exact
// zero (every product has a zero factor) is.
func exactSum(u, v []float64, sum float64) bool {
	if sum != 0 {
		return false
	}
	for i, x := range u {
		if x > 0 && v[i] > 0 {
			return false
		}
	}
	return true
}
