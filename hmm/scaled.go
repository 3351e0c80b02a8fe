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
// became subnormal.
//
// For log P alone (Score, ScoreFrames) the forward pass may instead drop a
// state — set its value to 0 — while it keeps a bound D_t on the true
// normalised value of every dropped state. On degenerate data (tiny
// variances, where states differ by thousands of nats on every frame) this
// is what keeps scoring off the slower log-space rung. The rules:
//
//   - a sum s_j = Σ_i â_{t−1}(i)·A_ij misses at most
//     e_j = D_{t−1}·Σ_{i dropped} A_ij (plus K·normalMin if it is below
//     tiny and not an exact zero); it is trusted if e_j ≤ 1e-17·s_j, else
//     state j is dropped with true value below (s_j + e_j)·p_t(j);
//   - an emission more than 700 nats below the frame's best (p_t(j) <
//     e^−700 < dropEps), a product s_j·p_t(j) or a normalised value below
//     the normal range drop the state;
//   - D_t is the largest of those bounds over s_t, and the frame is
//     accepted only if K·D_t ≤ 1e-17 (the normaliser and every kept value
//     are then exact to 1e-17 relative, the precision of the log-space
//     rung, which ignores the terms that exp flushes to zero the same way);
//   - while a state is dropped D_t stays at or above the smallest normal
//     number, and an e_j from a dropped state never rounds to 0: a state
//     that later rows favour is then seen, and the pass declines.

const (
	emitFloor = -700                    // b_t(j) − m_t below this would underflow p_t(j)
	normalMin = 2.2250738585072014e-308 // smallest normal float64
	dropEps   = 1e-304                  // bound on a dropped emission p_t(j) < e^−700
	dropTol   = 1e-17                   // relative change that dropped mass may cause
)

// forwardScaled fills w.alpha with â_t, w.prob with p_t, w.emMax with m_t
// and w.scale with s_t, and returns log P; frames, if not nil, receives the
// increments m_t + log s_t. With drop, states may be dropped as described
// above. Frame t is a function of frame t−1 and b_t, so in runs of
// identical rows (botnet windows) frames repeat with period 1 or 2 and are
// copied, bit for bit what the recursion would give.
func (w *work) forwardScaled(c *chain, T int, drop bool, frames []float64) (float64, bool) {
	k := w.k
	ensure(&w.alpha, T*k)
	ensure(&w.prob, T*k)
	ensure(&w.emMax, T)
	ensure(&w.scale, T)
	ensure(&w.bound, T)
	if cap(w.dropped) < T*k {
		w.dropped = make([]bool, T*k)
	}
	w.dropped = w.dropped[:T*k]
	var acc logAcc
	for t := range T {
		b, p := w.logEm[t*k:(t+1)*k], w.prob[t*k:(t+1)*k]
		cur, dcur := w.alpha[t*k:(t+1)*k], w.dropped[t*k:(t+1)*k]
		if src := repeatsAt(w.logEm, k, T, t, -1, w.sameFrame); src >= 0 {
			for j := range cur { // K values: a loop beats memmove
				cur[j], dcur[j], p[j] = w.alpha[src*k+j], w.dropped[src*k+j], w.prob[src*k+j]
			}
			w.emMax[t], w.scale[t], w.bound[t] = w.emMax[src], w.scale[src], w.bound[src]
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
		var dprev []bool
		bound, nd := 0.0, 0.0 // D_{t−1}; states dropped at t−1
		if t > 0 {
			prev, dprev, bound = w.alpha[(t-1)*k:t*k], w.dropped[(t-1)*k:t*k], w.bound[t-1]
		}
		if bound == 0 && t > 0 {
			if s, ok := quickFrame(c, prev, b, p, cur, m, w.probReady); ok {
				clear(dcur)
				w.emMax[t], w.scale[t], w.bound[t] = m, s, 0
				acc.add(m, s)
				if frames != nil {
					frames[t] = m + math.Log(s)
				}
				continue
			}
		}
		if bound > 0 {
			for _, d := range dprev {
				if d {
					nd++
				}
			}
		}
		s, dropped := 0.0, 0.0 // normaliser; largest bound of a dropped value
		for j := range cur {
			// sj = Σ_i â_{t−1}(i)·A_ij (π_j at t = 0), missing at most ej.
			sj, ej := c.pi[j], 0.0
			if t > 0 {
				col := c.aT[j*k : (j+1)*k : (j+1)*k]
				sj = 0
				for i, v := range prev {
					sj += v * col[i]
				}
				if bound*nd > dropTol*sj { // Σ_{i dropped} A_ij ≤ nd
					for i, d := range dprev {
						if d {
							ej += col[i]
						}
					}
					// A dropped state that can reach j keeps j's bound
					// positive even where the product underflows.
					if a := ej; a > 0 {
						ej = max(a*bound, math.SmallestNonzeroFloat64)
					}
				}
				if sj < tiny && !exactSum(prev, col, sj) {
					ej += float64(k) * normalMin
				}
			}
			// pj = p_t(j), below pmax.
			var pj, pmax float64
			switch v := b[j] - m; {
			case w.probReady:
				pj = p[j]
				pmax = pj
			case v >= emitFloor:
				pj = expNeg(v)
				pmax = pj
			case math.IsInf(v, -1):
			case v < emitFloor:
				pmax = dropEps
			default: // NaN
				return 0, false
			}
			if !drop && (ej > 0 || (pj == 0 && pmax > 0) || (t == 1 && w.startDropped && sj < tiny/w.scale[0])) {
				return 0, false
			}
			p[j] = pj
			v := sj * pj
			dcur[j] = false
			// sj + ej ≤ 1 + 1e-15 (â_{t−1} sums to 1, A is stochastic), so a
			// state dropped for its emission is below 2·dropEps.
			switch {
			case ej > dropTol*sj && pj > 0:
				v, dcur[j] = 0, true
				dropped = max(dropped, (sj+ej)*pj)
			case ej > dropTol*sj || (pj == 0 && sj > 0):
				v, dcur[j] = 0, pmax > 0
				if pmax > 0 {
					dropped = max(dropped, 2*dropEps)
				}
			case v < normalMin && sj > 0 && pj > 0:
				v, dcur[j] = 0, true
				dropped = max(dropped, normalMin)
			}
			// Without drop, only a start state whose π_j·p_0(j) underflows
			// may go (EM drives unused π_j to 0 geometrically): frame 1
			// then needs every sum above tiny/s_0, which its mass (below
			// normalMin/s_0) cannot change beyond 1e-17, and backwardScaled
			// restores its posteriors (fixStart).
			if dcur[j] && !drop && (t > 0 || v != 0 || c.pi[j] == 0) {
				return 0, false
			}
			cur[j] = v
			s += v
		}
		if !(s > 0) {
			return 0, false
		}
		inv := 1 / s
		bound = dropped * inv
		if t == 0 && !drop {
			w.startDropped = bound > 0
			if bound > 0 && s < tiny {
				return 0, false
			}
			bound = 0
		}
		for j := range cur {
			cur[j] *= inv
			if cur[j] > 0 && cur[j] < normalMin {
				if !drop {
					return 0, false
				}
				cur[j], dcur[j] = 0, true
			}
			if dcur[j] && drop {
				// The bound never underflows while a state is dropped:
				// the next frames must see it (normalMin still bounds it).
				bound = max(bound, normalMin)
			}
		}
		if float64(k)*bound > dropTol {
			return 0, false
		}
		w.emMax[t], w.scale[t], w.bound[t] = m, s, bound
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

// sameFrame reports whether forward frames a and b hold the same values,
// dropped states and bound, bit for bit.
func (w *work) sameFrame(a, b int) bool {
	k := w.k
	if math.Float64bits(w.bound[a]) != math.Float64bits(w.bound[b]) ||
		!sameBits(w.alpha[a*k:(a+1)*k], w.alpha[b*k:(b+1)*k]) {
		return false
	}
	for j, d := range w.dropped[a*k : (a+1)*k] {
		if d != w.dropped[b*k+j] {
			return false
		}
	}
	return true
}

// backwardScaled runs the normalised backward recursion β̂_t on w.prob and,
// in the same pass, fills w.gamma (γ_t ∝ â_t ⊙ β̂_t) and, if xi, adds
// Σ_t ξ_t to w.xi with ξ_t(i,j) ∝ â_t(i)·A_ij·p_{t+1}(j)·β̂_{t+1}(j), each
// frame normalised to sum 1. It keeps two frames of β̂ and declines like
// forwardScaled. It needs a forward pass that dropped no state.
func (w *work) backwardScaled(c *chain, T int, xi bool) bool {
	k := w.k
	ensure(&w.beta, 2*k)
	ensure(&w.gamma, T*k)
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
		inv := 1 / zx
		for i, fv := range f {
			fi := fv * inv
			if fi == 0 {
				continue
			}
			row, out := c.a[i*k:(i+1)*k:(i+1)*k], w.xi[i*k:(i+1)*k:(i+1)*k]
			for j, ej := range e {
				out[j] += fi * row[j] * ej
			}
		}
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
