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
	var acc logAcc
	for t := range T {
		var prev []float64
		if t > 0 {
			prev = l.fw[(t-1)*k : t*k]
		}
		bmax, s, ok := forwardStep(c, prev, l.fw[t*k:(t+1)*k], l.flp[t*k:(t+1)*k], l.bw[t*k:(t+1)*k])
		if !ok {
			return 0, false
		}
		acc.add(bmax, s)
	}
	return acc.value(), true
}

// scoreFast is forwardFast for one sequence of rows x without T×K buffers:
// the frame log-probabilities are computed one frame at a time. If frames is
// not nil, frames[t] receives the increment log P(x_t | x_<t) = max b_t + log s_t.
func (l *lattice) scoreFast(c *chain, em emitter, x []float64, d, T int, frames []float64) (float64, bool) {
	k := l.k
	ensure(&l.fw, 4*k)
	prev, cur, b, p := l.fw[:k], l.fw[k:2*k], l.fw[2*k:3*k], l.fw[3*k:4*k]
	var acc logAcc
	for t := range T {
		em.frameLogProb(b, x[t*d:(t+1)*d], 1)
		var pr []float64
		if t > 0 {
			pr = prev
		}
		bmax, s, ok := forwardStep(c, pr, cur, b, p)
		if !ok {
			return 0, false
		}
		acc.add(bmax, s)
		if frames != nil {
			frames[t] = bmax + math.Log(s)
		}
		prev, cur = cur, prev
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

// forwardStep computes one normalised forward frame cur from prev (nil at
// t = 0) and the frame log-probabilities b, writing p = exp(b − max b). It
// returns max b and the normaliser s, or ok = false if a positive quantity
// may have underflowed.
func forwardStep(c *chain, prev, cur, b, p []float64) (bmax, s float64, ok bool) {
	bmax = maxOf(b)
	if math.IsInf(bmax, 0) || math.IsNaN(bmax) {
		return 0, 0, false
	}
	for j, v := range b {
		d := v - bmax
		if d < emitFloor {
			if !math.IsInf(v, -1) {
				return 0, 0, false
			}
			p[j] = 0
			continue
		}
		p[j] = expNeg(d)
	}
	if prev == nil {
		for j := range cur {
			v := c.pi[j] * p[j]
			if v < normalMin && c.pi[j] > 0 && p[j] > 0 {
				return 0, 0, false
			}
			cur[j] = v
			s += v
		}
	} else {
		k := len(cur)
		for j := range cur {
			col := c.aT[j*k : (j+1)*k]
			sj := 0.0
			for i, x := range prev {
				sj += x * col[i]
			}
			if sj < tiny && !exactSum(prev, col, sj) {
				return 0, 0, false
			}
			v := sj * p[j]
			if v < normalMin && sj > 0 && p[j] > 0 {
				return 0, 0, false
			}
			cur[j] = v
			s += v
		}
	}
	if !(s > 0) {
		return 0, 0, false
	}
	inv := 1 / s
	for j := range cur {
		cur[j] *= inv
		if cur[j] > 0 && cur[j] < normalMin {
			return 0, 0, false
		}
	}
	return bmax, s, true
}

// backwardFast fills l.bs with the normalised backward lattice β̂_t.
func (l *lattice) backwardFast(c *chain, T int) bool {
	k := l.k
	ensure(&l.bs, T*k)
	ensure(&l.bnorm, T)
	p, bh, w := l.bw, l.bs, l.tmp
	last := bh[(T-1)*k : T*k]
	for i := range last {
		last[i] = 1
	}
	for t := T - 2; t >= 0; t-- {
		next, pt, cur := bh[(t+1)*k:(t+2)*k], p[(t+1)*k:(t+2)*k], bh[t*k:(t+1)*k]
		for j := range k {
			w[j] = pt[j] * next[j]
			if w[j] < normalMin && pt[j] > 0 && next[j] > 0 {
				return false
			}
		}
		s := 0.0
		for i := range k {
			row := c.a[i*k : (i+1)*k]
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
		l.bnorm[t] = s
		inv := 1 / s
		for i := range cur {
			cur[i] *= inv
			if cur[i] > 0 && cur[i] < normalMin {
				return false
			}
		}
	}
	return true
}

// posteriorsFast fills l.gamma (γ_t ∝ â_t ⊙ β̂_t) and, if xi, adds
// Σ_t ξ_t to l.xi with ξ_t(i,j) ∝ â_t(i)·A_ij·p_{t+1}(j)·β̂_{t+1}(j), each
// frame normalised to sum 1.
func (l *lattice) posteriorsFast(c *chain, T int, xi bool) bool {
	k := l.k
	ensure(&l.gamma, T*k)
	for t := range T {
		f, bh, g := l.fw[t*k:(t+1)*k], l.bs[t*k:(t+1)*k], l.gamma[t*k:(t+1)*k]
		z := 0.0
		for i := range k {
			g[i] = f[i] * bh[i]
			z += g[i]
		}
		if !(z >= tiny) {
			return false
		}
		inv := 1 / z
		for i := range g {
			g[i] *= inv
		}
		if !xi || t == T-1 {
			continue
		}
		w := l.tmp
		pt, next := l.bw[(t+1)*k:(t+2)*k], l.bs[(t+1)*k:(t+2)*k]
		for j := range k {
			w[j] = pt[j] * next[j]
		}
		// Σ_ij â_t(i)·A_ij·w_j = Σ_i â_t(i)·β̂_t(i)·s^β_t = z·s^β_t, where s^β_t
		// is the backward normaliser of frame t.
		zx := z * l.bnorm[t]
		if !(zx >= tiny) {
			return false
		}
		inv = 1 / zx
		for i := range k {
			fi := f[i] * inv
			if fi == 0 {
				continue
			}
			row, out := c.a[i*k:(i+1)*k], l.xi[i*k:(i+1)*k]
			for j := range k {
				out[j] += fi * row[j] * w[j]
			}
		}
	}
	return true
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
