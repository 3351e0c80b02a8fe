package hmm

import "math"

// The fast scaled recursions: the first rung of the log implementation's
// ladder (work.pass).
//
// They run Rabiner's normalised recursions on p_t(j) = exp(b_t(j) − m_t),
// m_t = max_j b_t(j): â_t ∝ (â_{t−1}ᵀA) ⊙ p_t with normaliser s_t, and
// log P = Σ_t (m_t + log s_t), so nothing underflows globally however long
// the sequence, K exps per frame and none in the backward pass. This is
// exact up to rounding as long as no positive quantity underflows, and they
// decline (ok = false) as soon as one might: an emission more than 700 nats
// below the frame's best, a sum of products below tiny, or a value that
// became subnormal. Exact zeros (a transition or emission of probability
// 0) are not underflow: they are kept.

const (
	emitFloor = -700                    // b_t(j) − m_t below this would underflow p_t(j)
	normalMin = 2.2250738585072014e-308 // smallest normal float64
)

// forwardScaled fills w.alpha with â_t, w.prob with p_t, w.emMax with m_t
// and w.scale with s_t, and returns log P; frames, if not nil, receives the
// increments m_t + log s_t. Frame t is a function of frame t−1 and b_t, so
// in runs of identical rows (botnet windows) frames repeat with period 1 or
// 2 and are copied, bit for bit what the recursion would give.
//
// One underflow is allowed: a start state whose π_j·p_0(j) underflows
// (EM drives unused π_j to 0 geometrically) is dropped from frame 0
// (w.dropped, w.startDropped). Frame 1 then needs every sum above
// tiny/s_0, which the dropped mass (below normalMin/s_0) cannot change
// beyond 1e-17, and backwardScaled restores its posteriors (fixStart).
func (w *work) forwardScaled(c *chain, T int, frames []float64) (float64, bool) {
	k := w.k
	ensure(T*k, &w.alpha, &w.prob)
	ensure(T, &w.emMax, &w.scale)
	ensure(k, &w.dropped)
	clear(w.dropped)
	w.startDropped = false
	var acc logAcc
	for t := range T {
		b, p, cur := w.logEm[t*k:(t+1)*k], w.prob[t*k:(t+1)*k], w.alpha[t*k:(t+1)*k]
		if src := repeatsAt(w.logEm, w.alpha, k, T, t, -1); src >= 0 {
			copyK(cur, w.alpha[src*k:(src+1)*k])
			copyK(p, w.prob[src*k:(src+1)*k])
			w.emMax[t], w.scale[t] = w.emMax[src], w.scale[src]
			acc.add(w.emMax[t], w.scale[t])
			if frames != nil {
				frames[t] = frames[src]
			}
			continue
		}
		m := maxOf(b)
		if w.probReady {
			m = w.emMax[t]
		}
		if m-m != 0 { // ±Inf or NaN
			return 0, false
		}
		var prev []float64
		s, ok := 0.0, false
		if t > 0 {
			prev = w.alpha[(t-1)*k : t*k]
			s, ok = quickFrame(c, prev, b, p, cur, m, w.probReady)
		}
		if !ok {
			s = 0 // the full computation, with the bookkeeping quickFrame declined
			for j := range cur {
				// sj = Σ_i â_{t−1}(i)·A_ij (π_j at t = 0).
				sj := c.pi[j]
				if t > 0 {
					col := c.aT[j*k : (j+1)*k : (j+1)*k]
					sj = 0
					for i, v := range prev {
						sj += v * col[i]
					}
					if sj < tiny && !exactSum(prev, col, sj) {
						return 0, false
					}
					if t == 1 && w.startDropped && sj < tiny/w.scale[0] {
						return 0, false
					}
				}
				var pj float64
				switch v := b[j] - m; {
				case w.probReady:
					pj = p[j]
				case v >= emitFloor:
					pj = expNeg(v)
				case math.IsInf(v, -1):
				default: // p_t(j) would underflow, or NaN
					return 0, false
				}
				p[j] = pj
				v := sj * pj
				if v < normalMin && sj > 0 && pj > 0 {
					if t > 0 {
						return 0, false
					}
					v, w.dropped[j] = 0, true
				}
				cur[j] = v
				s += v
			}
			if !(s > 0) {
				return 0, false
			}
			if t == 0 {
				for _, d := range w.dropped {
					w.startDropped = w.startDropped || d
				}
				if w.startDropped && s < tiny {
					return 0, false
				}
			}
			inv := 1 / s
			for j := range cur {
				if cur[j] *= inv; cur[j] > 0 && cur[j] < normalMin {
					return 0, false
				}
			}
		}
		w.emMax[t], w.scale[t] = m, s
		acc.add(m, s)
		if frames != nil {
			frames[t] = m + math.Log(s)
		}
	}
	return acc.value(), true
}

// quickFrame computes frame cur (t > 0) from prev when no value is small:
// the arithmetic of forwardScaled without its bookkeeping, which it leaves
// to forwardScaled (ok = false) as soon as a value might need it.
func quickFrame(c *chain, prev, b, p, cur []float64, m float64, ready bool) (s float64, ok bool) {
	k := len(cur)
	prev, b, p = prev[:k], b[:k], p[:k]
	for j := range cur {
		d := b[j] - m
		if !(d >= emitFloor) && !ready {
			return 0, false
		}
		col := c.aT[j*k : (j+1)*k : (j+1)*k]
		sj := 0.0
		for i, v := range prev {
			sj += v * col[i]
		}
		var pj float64
		if ready {
			pj = p[j]
		} else {
			pj = expNeg(d)
		}
		v := sj * pj
		if sj < tiny || v < normalMin {
			return 0, false
		}
		p[j], cur[j] = pj, v
		s += v
	}
	inv := 1 / s
	for j := range cur {
		if cur[j] *= inv; cur[j] < normalMin {
			return 0, false
		}
	}
	return s, true
}

// backwardScaled runs the normalised backward recursion β̂_t on w.prob and,
// in the same pass, fills w.gamma (γ_t ∝ â_t ⊙ β̂_t) and, if xi, adds
// Σ_t ξ_t to w.xi with ξ_t(i,j) ∝ â_t(i)·A_ij·p_{t+1}(j)·β̂_{t+1}(j), each
// frame normalised to sum 1. It keeps two frames of β̂ and declines like
// forwardScaled.
func (w *work) backwardScaled(c *chain, T int, xi bool) bool {
	k := w.k
	ensure(2*k, &w.beta)
	ensure(T*k, &w.gamma)
	next, cur, e := w.beta[:k], w.beta[k:2*k], w.tmp[:k]
	for i := range next {
		next[i] = 1
	}
	z, ok := gammaFrame(w.gamma[(T-1)*k:T*k], w.alpha[(T-1)*k:T*k], next)
	if !ok {
		return false
	}
	if T == 1 && w.startDropped {
		return w.fixStart(c, next, nil, z, 0, false)
	}
	for t := T - 2; t >= 0; t-- {
		pt := w.prob[(t+1)*k : (t+2)*k : (t+2)*k]
		for j := range e {
			e[j] = pt[j] * next[j]
			if e[j] < normalMin && pt[j] > 0 && next[j] > 0 {
				return false
			}
		}
		s := 0.0
		for i := range cur {
			row := c.a[i*k : (i+1)*k : (i+1)*k]
			v := 0.0
			for j, ej := range e {
				v += row[j] * ej
			}
			if v < tiny && !exactSum(e, row, v) {
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
		if !w.backwardRest(c, t, cur, e, s, xi) {
			return false
		}
		next, cur = cur, next
	}
	return true
}

// backwardRest completes frame t of backwardScaled from β̂_t (cur), e =
// p_{t+1} ⊙ β̂_{t+1} and the backward normaliser s: γ_t, ξ_t and, at t = 0,
// the posteriors of dropped start states.
func (w *work) backwardRest(c *chain, t int, cur, e []float64, s float64, xi bool) bool {
	k := w.k
	f := w.alpha[t*k : (t+1)*k : (t+1)*k]
	z, ok := gammaFrame(w.gamma[t*k:(t+1)*k], f, cur)
	if !ok {
		return false
	}
	if xi {
		// Σ_ij â_t(i)·A_ij·e_j = Σ_i â_t(i)·β̂_t(i)·s = z·s.
		zx := z * s
		if !(zx >= tiny) {
			return false
		}
		w.addXi(c, f, e, 1/zx)
	}
	if t == 0 && w.startDropped && !w.fixStart(c, cur, e, z, s, xi) {
		return false
	}
	return true
}

// fixStart sets γ_0 (and, if xi, adds ξ_0) of the start states that
// forwardScaled dropped: γ_0(j) = π_j·p_0(j)·β̂_0(j)/(s_0·z) and ξ_0(j,i) =
// π_j·p_0(j)·A_ji·e_i/(s_0·z·s), in an order that underflows only where
// the result does. bh is β̂_0, e is p_1 ⊙ β̂_1 (nil when T = 1), z the
// normaliser of γ_0 and s the backward one.
func (w *work) fixStart(c *chain, bh, e []float64, z, s float64, xi bool) bool {
	s0 := w.scale[0]
	if !(z*s0 >= tiny) {
		return false
	}
	k := w.k
	for j := range k {
		if !w.dropped[j] {
			continue
		}
		p := w.prob[j]
		w.gamma[j] = c.pi[j] * (p * bh[j] / (s0 * z))
		if !xi || e == nil {
			continue
		}
		q := p / (s0 * z * s)
		row, out := c.a[j*k:(j+1)*k], w.xi[j*k:(j+1)*k]
		for i, ei := range e {
			out[i] += c.pi[j] * (q * row[i] * ei)
		}
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

// logAcc accumulates Σ_t m_t + log Π_t s_t with one log at the end; the
// product is kept as mantissa·2^exponent so that it never under- or
// overflows.
type logAcc struct {
	offset float64
	mant   float64
	exp2   int
}

func (a *logAcc) add(m, s float64) {
	if a.mant == 0 {
		a.mant = 1
	}
	a.offset += m
	if s < 1e-100 {
		// The product could underflow (mant ≥ 1e-200): move s's exponent
		// out first. The mantissa product is the same.
		f, e := math.Frexp(s)
		s, a.exp2 = f, a.exp2+e
	}
	a.mant *= s
	if a.mant < 1e-200 || a.mant > 1e200 {
		f, e := math.Frexp(a.mant)
		a.mant, a.exp2 = f, a.exp2+e
	}
}

func (a *logAcc) value() float64 {
	return a.offset + math.Log(a.mant) + float64(a.exp2)*math.Ln2
}
