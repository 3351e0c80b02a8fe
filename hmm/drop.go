package hmm

import "math"

// Forward recursion with dropped states.
//
// On degenerate data (tiny variances) the emission log-densities of a frame
// differ by thousands of nats between states, so p_t(j) = exp(b_t(j) −
// max b_t) underflows on every frame and the scaled recursions of fast.go
// decline the whole sequence. scoreDrop runs the same scaled recursion but
// lets such a quantity go to 0 — the state is "dropped" for that frame —
// as long as nothing depended on it beyond rounding: a dropped state's true
// normalised forward value is below dropEps/s_t (s_t the frame's
// normaliser ≤ 1, since â_{t−1} sums to 1 and A is stochastic): an emission
// more than 700 nats below the frame's best (e^−700 < dropEps), a product
// or a normalised value below the normal range (< normalMin < dropEps).
// The next frame then only trusts a sum Σ_i â_t(i)·A_ij fed by a dropped
// state if it is at least K·dropEps/s_t·1e17, so that the dropped mass
// changes it by less than 1e-17 relative, the same rule by which the
// log-space recursions ignore the terms that exp underflows. An untrusted
// sum (true value below 2·K·dropEps·1e17/s_t ≤ 1) is accepted only where
// the emission is itself dropped or exactly 0, so that the product stays
// below dropEps (or is exactly 0). Anything else declines, and the caller
// recomputes the sequence in log space.

// dropEps bounds the true value of a dropped quantity (e^−700 ≈ 9.9e-305).
const dropEps = 1e-304

// scoreDrop is scoreFast with dropped states, for a sequence that scoreFast
// declined. It computes the frame log-probabilities emitBlock frames at a
// time into l.flp and, if frames is not nil, writes the increments
// max b_t + log s_t to frames.
func (l *lattice) scoreDrop(c *chain, em emitter, x []float64, d, T int, frames []float64) (float64, bool) {
	k := l.k
	n := min(T, emitBlock)
	ensure(&l.flp, n*k)
	ensure(&l.bw, n*k)
	ensure(&l.fw, 2*k)
	if cap(l.drop) < 2*k {
		l.drop = make([]bool, 2*k)
	}
	prev, cur := l.fw[:k], l.fw[k:2*k]
	dprev, dcur := l.drop[:k], l.drop[k:2*k]
	var acc logAcc
	guard := 0.0 // K·dropEps·1e17/s_{t−1} if frame t−1 dropped a state, else 0
	for t0 := 0; t0 < T; t0 += emitBlock {
		n := min(emitBlock, T-t0)
		em.frameLogProb(l.flp, x[t0*d:(t0+n)*d], n)
		for i := range n {
			b, p := l.flp[i*k:(i+1)*k:(i+1)*k], l.bw[i*k:(i+1)*k:(i+1)*k]
			m := maxOf(b)
			if m-m != 0 { // ±Inf or NaN
				return 0, false
			}
			s, dropped := 0.0, false
			for j := range cur {
				// sj = Σ_i â_{t−1}(i)·A_ij, or π_j at t = 0.
				var sj float64
				untrusted := false // sj may have lost more than rounding
				if t0+i == 0 {
					sj = c.pi[j]
				} else {
					col := c.aT[j*k : (j+1)*k : (j+1)*k]
					for i, v := range prev {
						sj += v * col[i]
					}
					untrusted = (sj < guard && fedByDropped(dprev, col)) || (sj < tiny && !exactSum(prev, col, sj))
				}
				dcur[j] = false
				v := b[j] - m
				switch {
				case v >= emitFloor:
					p[j] = expNeg(v)
				case math.IsInf(v, -1):
					p[j] = 0
				case v < emitFloor:
					p[j] = 0
					dcur[j] = sj > 0 || untrusted
				default: // NaN
					return 0, false
				}
				if untrusted && p[j] != 0 {
					return 0, false
				}
				v = sj * p[j]
				if v < normalMin && sj > 0 && p[j] > 0 {
					v, dcur[j] = 0, true
				}
				dropped = dropped || dcur[j]
				cur[j] = v
				s += v
			}
			if !(s > 0) || (dropped && s < float64(k)*dropEps*1e17) {
				return 0, false
			}
			inv := 1 / s
			for j := range cur {
				cur[j] *= inv
				if cur[j] > 0 && cur[j] < normalMin {
					cur[j], dcur[j], dropped = 0, true, true
				}
			}
			acc.add(m, s)
			if frames != nil {
				frames[t0+i] = m + math.Log(s)
			}
			guard = 0
			if dropped {
				guard = float64(k) * dropEps * 1e17 / s
			}
			prev, cur = cur, prev
			dprev, dcur = dcur, dprev
		}
	}
	return acc.value(), true
}

// fedByDropped reports whether a dropped state i (drop[i]) has A_ij > 0 in
// the column col of Aᵀ.
func fedByDropped(drop []bool, col []float64) bool {
	for i, d := range drop {
		if d && col[i] > 0 {
			return true
		}
	}
	return false
}
