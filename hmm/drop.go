package hmm

import "math"

// Forward recursion with dropped states.
//
// On degenerate data (tiny variances) the emission log-densities of a frame
// differ by thousands of nats between states, so p_t(j) = exp(b_t(j) −
// max b_t) underflows on every frame and the scaled recursions of fast.go
// decline the whole sequence. scoreDrop runs the same scaled recursion but
// lets a state's value go to 0 — the state is "dropped" for that frame —
// while it keeps a bound D_t on the true normalised forward value of every
// dropped state, and declines unless the dropped mass is below 1e-17 of
// everything it changes, the same rule by which the log-space recursions
// ignore the terms that exp underflows:
//
//   - a sum s_j = Σ_i â_{t−1}(i)·A_ij misses at most
//     e_j = D_{t−1}·Σ_{i dropped} A_ij (plus K·normalMin if it is below
//     tiny and not an exact zero); it is trusted if e_j ≤ 1e-17·s_j, else
//     state j is dropped with true value below (s_j + e_j)·p_t(j);
//   - an emission more than 700 nats below the frame's best (p_t(j) <
//     e^−700 < dropEps), a product s_j·p_t(j) or a normalised value below
//     the normal range drop the state;
//   - D_t is the largest of those bounds divided by the normaliser s_t, and
//     the frame is accepted only if K·D_t ≤ 1e-17 (the normaliser and every
//     kept value are then exact to 1e-17 relative).
//
// Anything else declines, and the caller recomputes the sequence in log
// space.

// dropEps bounds a dropped emission p_t(j) < e^−700 ≈ 9.9e-305.
const dropEps = 1e-304

// dropTol is the relative change that dropped mass may cause.
const dropTol = 1e-17

// scoreDrop is scoreFast with dropped states, for a sequence that scoreFast
// declined. It computes the frame log-probabilities emitBlock frames at a
// time into l.flp, or reads them from l.pre if it holds them (feeding each
// block to the Viterbi pass if l.vfeed) and,
// if frames is not nil, writes the increments
// max b_t + log s_t to frames.
func (l *lattice) scoreDrop(c *chain, em emitter, x []float64, d, T int, frames []float64) (float64, bool) {
	k := l.k
	n := min(T, emitBlock)
	ensure(&l.flp, n*k)
	ensure(&l.fw, 3*k)
	if cap(l.drop) < 3*k {
		l.drop = make([]bool, 3*k)
	}
	// The last three frames: normalised values, dropped states, bound D_t,
	// normaliser s_t, max b_t and increment max b_t + log s_t.
	var bnd, sv, mv, inc [3]float64
	// Frame t−1 equals frame t−2 (e1), frame t−3 (e2), bit for bit;
	// b_{t−1} = b_{t−2} (bd1); tail holds the last b of the previous block.
	e1, e2, bd1 := false, false, false
	tail := l.tmp[:k]
	var acc logAcc
	for t0 := 0; t0 < T; t0 += emitBlock {
		n := min(emitBlock, T-t0)
		var flp []float64
		if l.pre != nil {
			flp = l.pre[t0*k : (t0+n)*k]
		} else {
			em.frameLogProb(l.flp, x[t0*d:(t0+n)*d], n)
			flp = l.flp[:n*k]
		}
		if l.vfeed {
			l.viterbiFeed(c, t0, flp)
		}
		for i := range n {
			t := t0 + i
			sl := t % 3
			cur, dcur := l.fw[sl*k:(sl+1)*k], l.drop[sl*k:(sl+1)*k]
			// Frame t is a function of frame t−1 and b_t: in runs of
			// identical rows frames repeat with period 1 or 2, and then
			// frame t is a copy of frame t−P.
			b := flp[i*k : (i+1)*k : (i+1)*k]
			prevB := tail
			if i > 0 {
				prevB = flp[(i-1)*k : i*k]
			}
			bd := t >= 1 && sameBits(b, prevB) // b_t = b_{t−1}
			src := -1
			if t >= 2 && !l.noRepeat && bd {
				switch {
				case e1:
					src, e2 = t-1, e1
					e1 = true
				case t >= 3 && e2 && bd1:
					src = t - 2
				}
			}
			bd1 = bd
			if i == n-1 {
				copy(tail, b)
			}
			if src >= 0 {
				ss := src % 3
				copyK(cur, l.fw[ss*k:(ss+1)*k])
				for j, dr := range l.drop[ss*k : (ss+1)*k] {
					dcur[j] = dr
				}
				bnd[sl], sv[sl], mv[sl], inc[sl] = bnd[ss], sv[ss], mv[ss], inc[ss]
				acc.add(mv[sl], sv[sl])
				if frames != nil {
					frames[t] = inc[sl]
				}
				continue
			}
			var prev []float64
			var dprev []bool
			bound := 0.0 // D_{t−1}
			if t > 0 {
				ps := (t - 1) % 3
				prev, dprev, bound = l.fw[ps*k:(ps+1)*k], l.drop[ps*k:(ps+1)*k], bnd[ps]
			}
			m := maxOf(b)
			if m-m != 0 { // ±Inf or NaN
				return 0, false
			}
			s, drop := 0.0, 0.0 // normaliser; largest dropped value
			nd := 0.0           // number of states dropped at t−1
			if bound > 0 {
				for _, dr := range dprev {
					if dr {
						nd++
					}
				}
			}
			for j := range cur {
				// sj = Σ_i â_{t−1}(i)·A_ij (π_j at t = 0), missing at most ej.
				sj, ej := 0.0, 0.0
				if t == 0 {
					sj = c.pi[j]
				} else {
					col := c.aT[j*k : (j+1)*k : (j+1)*k]
					for i, v := range prev {
						sj += v * col[i]
					}
					// Σ_{i dropped} A_ij ≤ nd: add the column only if it could matter.
					if bound*nd > dropTol*sj {
						for i, dr := range dprev {
							if dr {
								ej += col[i]
							}
						}
						ej *= bound
					}
					if sj < tiny && !exactSum(prev, col, sj) {
						ej += float64(k) * normalMin
					}
				}
				// pj = p_t(j), below pmax.
				var pj, pmax float64
				switch v := b[j] - m; {
				case v >= emitFloor:
					pj = expNeg(v)
					pmax = pj
				case math.IsInf(v, -1):
				case v < emitFloor:
					pmax = dropEps
				default: // NaN
					return 0, false
				}
				v := sj * pj
				dcur[j] = false
				// sj + ej ≤ 1 + 1e-15 (â_{t−1} sums to 1, A is stochastic), so
				// an emission-dropped state is below 2·dropEps; the bound is
				// not multiplied out because subnormal arithmetic is slow.
				switch {
				case ej > dropTol*sj && pj > 0:
					v, dcur[j] = 0, true
					drop = max(drop, (sj+ej)*pj)
				case ej > dropTol*sj || (pj == 0 && sj > 0):
					v, dcur[j] = 0, pmax > 0
					if pmax > 0 {
						drop = max(drop, 2*dropEps)
					}
				case v < normalMin && sj > 0 && pj > 0:
					v, dcur[j] = 0, true
					drop = max(drop, normalMin)
				}
				cur[j] = v
				s += v
			}
			if !(s > 0) {
				return 0, false
			}
			inv := 1 / s
			bound = drop * inv // D_t
			for j := range cur {
				cur[j] *= inv
				if cur[j] > 0 && cur[j] < normalMin {
					cur[j], dcur[j] = 0, true
					bound = max(bound, normalMin)
				}
			}
			if float64(k)*bound > dropTol {
				return 0, false
			}
			acc.add(m, s)
			bnd[sl], sv[sl], mv[sl] = bound, s, m
			if frames != nil {
				inc[sl] = m + math.Log(s)
				frames[t] = inc[sl]
			}
			e1 = t >= 1 && sameFrame(l, sl, (t-1)%3, &bnd)
			e2 = t >= 2 && sameFrame(l, sl, (t-2)%3, &bnd)
		}
	}
	return acc.value(), true
}

// sameFrame reports whether ring slots a and b of scoreDrop hold the same
// frame: values, dropped states and bound, bit for bit.
func sameFrame(l *lattice, a, b int, bnd *[3]float64) bool {
	k := l.k
	if math.Float64bits(bnd[a]) != math.Float64bits(bnd[b]) || !sameBits(l.fw[a*k:(a+1)*k], l.fw[b*k:(b+1)*k]) {
		return false
	}
	da, db := l.drop[a*k:(a+1)*k], l.drop[b*k:(b+1)*k]
	for j, v := range da {
		if v != db[j] {
			return false
		}
	}
	return true
}
