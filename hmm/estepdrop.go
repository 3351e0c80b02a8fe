package hmm

import "math"

// Forward-backward with dropped states.
//
// dropPosteriors extends scoreDrop to the E-step, for sequences that the
// scaled recursions of fast.go decline (degenerate data). The forward and the
// backward pass both run scaled and let a value that cannot be represented go
// to 0 — the state is dropped for that frame — while they keep an upper bound
// on its true value as a logarithm, so that bounds far below the float range
// (emissions e^−10⁷ below the frame's best) stay finite and exact enough:
//
//   - forward: â_t(j) ∝ (s_j + e_j)·p_t(j) with s_j = Σ_i â_{t−1}(i)·A_ij over
//     the kept states and e_j ≤ max_i F_{t−1}(i)·Σ_i A_ij the mass of the
//     dropped ones (plus K·normalMin if s_j is tiny and not an exact zero);
//     state j is kept when e_j ≤ 1e-17·s_j and s_j·p_t(j) and its normalised
//     value are normal, else dropped with log bound F_t(j) =
//     log(s_j + e_j) + b_t(j) − max b_t − log s_t. A frame is accepted when
//     K·max_j F_t(j) ≤ 1e-17, as in scoreDrop.
//   - backward: β̂_t(i) ∝ v_i + e_i with v_i = Σ_j A_ij·w_j over the kept
//     w_j = p_{t+1}(j)·β̂_{t+1}(j) and e_i ≤ max_j W_j (rows of A sum to 1),
//     with the same rule for keeping and the bound B_t(i).
//   - posteriors: γ_t(i) = â_t(i)·β̂_t(i)/z_t and ξ_t(i,j) =
//     â_t(i)·A_ij·w_j/(z_t·s'_t) from the kept values; a dropped γ_t(i) (â or
//     β̂ dropped) is below min(F, B)/z_t since â, β̂ ≤ 1, a dropped ξ_t(i,j)
//     below min(F_i, W_j)/(z_t·s'_t).
//
// The result is accepted only if every dropped γ_t(i) is below e^−745.5, where
// hmmlearn's exp of its log posterior is exactly 0 as well (a kept γ that
// underflows must be below it too), the dropped part of every z_t is below
// 1e-17 of it, and for every transition (i,j) with A_ij > 0 the dropped ξ
// summed over t (at most T·max_t bound) is below 1e-17 of the computed Σ_t ξ,
// or below e^−745.5 if that sum is 0 — then hmmlearn's Σ_t ξ is 0 too, and the
// M-step keeps the same exact zeros. Kept values are exact to 1e-17
// relative per frame. Anything else declines, and the caller recomputes the
// sequence in log space.

const (
	lnDropTol = -39.14394658089878 // log(dropTol)
	// lnZero bounds the log of a probability that hmmlearn's exp(log p)
	// rounds to exactly 0 (exp(x) = 0 below −745.1332, half the smallest
	// subnormal), with a margin far above the rounding of hmmlearn's log
	// values (they are sums of terms of at most ~1e7, exact to ~1e-9·T).
	lnZero      = -745.5
	lnNormalMin = -708.3964185322641 // log(normalMin)
	lnSlack     = 1e-9               // absorbs the rounding of the bounds below
	// lnFloor is the smallest log bound kept: raising a bound to it keeps it
	// a bound, lets the recursions reach fixed points in runs of identical
	// rows, and is far enough below lnZero for every check.
	lnFloor = -1e4
)

// lnUp returns an upper bound of log x for x ≥ 0 (−Inf for 0): logFast is
// within 2 ulp of math.Log, far inside lnSlack.
func lnUp(x float64) float64 { return logFast(x) + lnSlack }

// lnDown returns a lower bound of log x for x ≥ 0 (−Inf for 0).
func lnDown(x float64) float64 { return logFast(x) - lnSlack }

// copyK copies src to dst; copy would call memmove for a few values.
func copyK(dst, src []float64) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = src[i]
	}
}

// sameBits reports whether a and b hold the same bits.
func sameBits(a, b []float64) bool {
	b = b[:len(a)]
	for i, x := range a {
		if math.Float64bits(x) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// lnAddUp returns an upper bound of log(e^a + e^b).
func lnAddUp(a, b float64) float64 {
	return max(a, b) + math.Ln2
}

// dropPosteriors runs the forward-backward with dropped states on l.flp
// (T×K frame log-probabilities) and fills l.gamma and, if xi, adds Σ_t ξ_t
// to l.xi (which the caller cleared). It returns log P, or ok = false if it
// cannot vouch for its result; l.flp is left unchanged.
func (l *lattice) dropPosteriors(c *chain, T int, xi bool) (float64, bool) {
	logP, ok := l.dropGamma(c, T)
	return logP, ok && (!xi || l.dropXi(c, T))
}

// dropGamma is dropPosteriors without ξ, which dropXi adds afterwards.
func (l *lattice) dropGamma(c *chain, T int) (float64, bool) {
	l.findDup(T)
	logP, ok := l.forwardDrop(c, T)
	if !ok {
		return 0, false
	}
	return logP, l.backwardDrop(c, T)
}

// dropGammaPar is dropGamma on two goroutines, with Σ_t ξ_t: the backward
// recursion (backwardBeta) runs next to the forward pass, and then dropXi
// next to backwardGamma and whatever the caller does with γ until it calls
// xi, which waits for dropXi and returns its result. If ok is false,
// dropGammaPar has waited for the second goroutine and xi is nil.
func (l *lattice) dropGammaPar(c *chain, T int) (logP float64, ok bool, xi func() bool) {
	l.findDup(T)
	var betaOK, fwdOK, xiOK bool
	betaDone, fwdDone, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		betaOK = l.backwardBeta(c, T)
		close(betaDone)
		<-fwdDone
		if betaOK && fwdOK {
			xiOK = l.dropXi(c, T)
		}
	}()
	logP, fwdOK = l.forwardDrop(c, T)
	close(fwdDone)
	<-betaDone
	if !fwdOK || !betaOK || !l.backwardGamma(T) {
		<-done
		return 0, false, nil
	}
	return logP, true, func() bool {
		<-done
		return xiOK
	}
}

// findDup sets l.dup[t] to whether b_t = b_{t−1} bit for bit.
func (l *lattice) findDup(T int) {
	k := l.k
	if cap(l.dup) < T {
		l.dup = make([]bool, T)
	}
	dup := l.dup[:T]
	dup[0] = false
	// A row equal to the row before it (l.rowDup) has the same frame
	// log-probabilities bit for bit: every emitter computes a frame from
	// its row alone, and values that == does not tell apart (±0) give the
	// same log-probabilities.
	rowDup := l.rowDup
	if len(rowDup) != T {
		rowDup = nil
	}
	for t := 1; t < T; t++ {
		dup[t] = (rowDup != nil && rowDup[t]) || sameBits(l.flp[t*k:(t+1)*k], l.flp[(t-1)*k:t*k])
	}
}

// forwardDrop fills l.bw with p_t (0 where the emission is more than 700
// nats below the frame's best), l.bmax with max_j b_t(j), l.fw with the kept
// normalised forward values, l.lf with the log bounds F_t(j) of the dropped
// ones (−Inf for a kept value or an exact zero) and l.scale with the
// normalisers.
//
// Frame t is a function of frame t−1 and b_t. In a run of identical rows
// the frames soon repeat bit for bit, with period 1 or, when rounding
// alternates, 2: if frame t−1 equals frame t−1−P and b_t equals b_{t−P},
// frame t equals frame t−P and is not stored: l.rep[t] is the frame that
// holds its values (l.per records which frames repeat).
func (l *lattice) forwardDrop(c *chain, T int) (float64, bool) {
	k := l.k
	ensure(&l.bw, T*k)
	ensure(&l.bmax, T)
	ensure(&l.fw, T*k)
	ensure(&l.lf, T*k)
	ensure(&l.scale, T)
	if cap(l.per) < T {
		l.per = make([]uint8, T)
	}
	if cap(l.rep) < T {
		l.rep = make([]int32, T)
	}
	per, dup, rep := l.per[:T], l.dup[:T], l.rep[:T]
	lnK := math.Log(float64(k))
	var acc logAcc
	for t := range T {
		// Frame t repeats frame src = t−P, and then frame t−1 (t−2)
		// equals frame t exactly when it equals frame t−P.
		src := -1
		switch {
		case l.noRepeat:
		case t >= 2 && per[t-1]&1 != 0 && dup[t]:
			src, per[t] = t-1, 1|(per[t-1]&1)<<1
		case t >= 3 && per[t-1]&2 != 0 && dup[t] && dup[t-1]:
			src, per[t] = t-2, 2|per[t-1]&1
		}
		if src >= 0 {
			rep[t] = rep[src]
		} else {
			rep[t] = int32(t)
			if !l.forwardStep(c, t, lnK) {
				return 0, false
			}
			per[t] = 0
			for d := 1; d <= 2 && d <= t; d++ {
				u := int(rep[t-d])
				if sameBits(l.fw[t*k:(t+1)*k], l.fw[u*k:(u+1)*k]) && sameBits(l.lf[t*k:(t+1)*k], l.lf[u*k:(u+1)*k]) {
					per[t] |= 1 << (d - 1)
				}
			}
		}
		r := rep[t]
		acc.add(l.bmax[r], l.scale[r])
	}
	return acc.value(), true
}

// forwardStep computes frame t of forwardDrop from frame t−1 (π at t = 0).
func (l *lattice) forwardStep(c *chain, t int, lnK float64) bool {
	k := l.k
	inf := math.Inf(-1)
	b := l.flp[t*k : (t+1)*k : (t+1)*k]
	p, cur, lf := l.bw[t*k:(t+1)*k:(t+1)*k], l.fw[t*k:(t+1)*k:(t+1)*k], l.lf[t*k:(t+1)*k:(t+1)*k]
	m := maxOf(b)
	if m-m != 0 { // ±Inf or NaN
		return false
	}
	var prev, lprev []float64
	fmax := inf // max_i F_{t−1}(i)
	if t > 0 {
		u := int(l.rep[t-1])
		prev, lprev = l.fw[u*k:(u+1)*k:(u+1)*k], l.lf[u*k:(u+1)*k:(u+1)*k]
		fmax = maxOf(lprev)
	}
	s := 0.0
	for j := range k {
		g := b[j] - m // log p_t(j)
		if g != g {
			return false
		}
		pj := 0.0
		if g >= emitFloor {
			pj = expNeg(g)
		}
		p[j] = pj
		// sj over the kept states, le ≥ log of the dropped mass.
		sj, le := 0.0, inf
		if t == 0 {
			sj = c.pi[j]
		} else {
			col := c.aT[j*k : (j+1)*k : (j+1)*k]
			for i, v := range prev {
				sj += v * col[i]
			}
			if fmax > inf {
				le = fmax + lnK
				if sj > 0 && !(le <= lnDropTol+lnDown(sj)) {
					le = droppedMass(lprev, col, fmax)
				}
			}
			if sj < tiny && !exactSum(prev, col, sj) {
				le = lnAddUp(le, lnK+lnNormalMin)
			}
		}
		lf[j] = inf
		if math.IsInf(g, -1) {
			cur[j] = 0 // exact zero
			continue
		}
		if pj > 0 && sj > 0 && (le == inf || le <= lnDropTol+lnDown(sj)) {
			if v := sj * pj; v >= normalMin {
				cur[j] = v
				s += v
				continue
			}
		}
		cur[j] = 0
		switch {
		case sj > 0:
			lf[j] = lnAddUp(lnUp(sj), le) + g
		case le > inf:
			lf[j] = le + g
		}
	}
	if !(s > 0) {
		return false
	}
	inv, lns := 1/s, lnDown(s)
	fmax = inf
	for j := range k {
		if v := cur[j]; v > 0 {
			cur[j] = v * inv
			if cur[j] < normalMin {
				cur[j], lf[j] = 0, lnUp(v)-lns
			}
		} else if lf[j] > inf {
			lf[j] = max(lf[j]-lns, lnFloor)
		}
		fmax = max(fmax, lf[j])
	}
	if fmax+lnK > lnDropTol {
		return false
	}
	l.bmax[t], l.scale[t] = m, s
	return true
}

// droppedMass returns an upper bound of log Σ_i e^{lb_i}·A_i for the states
// i with a finite bound lb_i, whose largest is lmax.
func droppedMass(lb, a []float64, lmax float64) float64 {
	sum := 0.0
	for i, v := range lb {
		if !math.IsInf(v, -1) {
			sum += a[i] * math.Exp(v-lmax)
		}
	}
	if sum == 0 {
		return math.Inf(-1)
	}
	return lmax + math.Log(sum) + lnSlack
}

// backwardDrop runs the backward pass with dropped states over the result
// of forwardDrop and computes γ (see the comment at the top): backwardBeta,
// then backwardGamma.
func (l *lattice) backwardDrop(c *chain, T int) bool {
	return l.backwardBeta(c, T) && l.backwardGamma(T)
}

// backwardBeta runs the backward recursion of backwardDrop. It reads only
// l.flp and l.dup, not the forward pass, so it may run next to it. Like
// forwardDrop it reuses a frame whose inputs equal those of frame t+P
// (P = 1, 2) bit for bit: β̂_t when β̂_{t+1} = β̂_{t+1+P} and b_{t+1} =
// b_{t+1+P}; l.bsrc[t] = P (0: computed). The computed frames are stored in
// turn in l.bb, 5K values each (β̂, its bounds, w, their bounds, v; see
// lattice.betaSlot), and l.brep[t] is the one that holds frame t's.
func (l *lattice) backwardBeta(c *chain, T int) bool {
	k := l.k
	if cap(l.bper) < T {
		l.bper = make([]uint8, T)
	}
	if cap(l.bsrc) < T {
		l.bsrc = make([]uint8, T)
	}
	if cap(l.brep) < T {
		l.brep = make([]int32, T)
	}
	lnK := math.Log(float64(k))
	inf := math.Inf(-1)
	l.bb = l.bb[:0]
	bh, lb, _, _, _ := l.betaSlot(l.newBetaSlot())
	for i := range k {
		bh[i], lb[i] = 1, inf
	}
	bper, bsrc, dup, brep := l.bper[:T], l.bsrc[:T], l.dup[:T], l.brep[:T]
	bper[T-1], bsrc[T-1], brep[T-1] = 0, 0, 0
	for t := T - 2; t >= 0; t-- {
		// β̂_t is a function of β̂_{t+1} and b_{t+1}.
		switch {
		case l.noRepeat:
			bsrc[t] = 0
		case t+1 <= T-2 && bper[t+1]&1 != 0 && dup[t+2]:
			bsrc[t], bper[t] = 1, 1|(bper[t+1]&1)<<1
		case t+2 <= T-2 && bper[t+1]&2 != 0 && dup[t+2] && dup[t+3]:
			bsrc[t], bper[t] = 2, 2|bper[t+1]&1
		default:
			bsrc[t] = 0
		}
		if bsrc[t] != 0 {
			brep[t] = brep[t+int(bsrc[t])]
			continue
		}
		s := l.newBetaSlot()
		brep[t] = int32(s)
		next, lnext, _, _, _ := l.betaSlot(int(brep[t+1]))
		cur, lcur, w, lw, v := l.betaSlot(s)
		if !l.backwardStep(c, t, next, lnext, cur, lcur, w, lw, v, lnK) {
			return false
		}
		bper[t] = 0
		for d := 1; d <= 2 && t+d <= T-1; d++ {
			bu, lu, _, _, _ := l.betaSlot(int(brep[t+d]))
			if sameBits(cur, bu) && sameBits(lcur, lu) {
				bper[t] |= 1 << (d - 1)
			}
		}
	}
	return true
}

// newBetaSlot adds room for one more frame of backwardBeta to l.bb and
// returns its index.
func (l *lattice) newBetaSlot() int {
	n := 5 * l.k
	s := len(l.bb) / n
	if cap(l.bb) < len(l.bb)+n {
		l.bb = append(l.bb, make([]float64, n)...)
	} else {
		l.bb = l.bb[:len(l.bb)+n]
	}
	return s
}

// betaSlot returns the values of frame slot s of backwardBeta: β̂, its
// bounds, w, their bounds and v, K each.
func (l *lattice) betaSlot(s int) (bh, lb, w, lw, v []float64) {
	k := l.k
	b := l.bb[5*k*s : 5*k*(s+1) : 5*k*(s+1)]
	return b[:k:k], b[k : 2*k : 2*k], b[2*k : 3*k : 3*k], b[3*k : 4*k : 4*k], b[4*k : 5*k : 5*k]
}

// repeats returns P if γ_t = γ_{t+P} and ξ_t = ξ_{t+P} (P = 1, 2): β̂_t
// reuses frame t+P, and frame t of the forward pass equals frame t+P. It
// returns 0 otherwise.
func (l *lattice) repeats(t int) int {
	p := int(l.bsrc[t])
	if p == 0 || l.per[t+p]&(1<<(p-1)) == 0 {
		return 0
	}
	return p
}

// backwardGamma computes γ_t ∝ â_t ⊙ β̂_t from forwardDrop and backwardBeta,
// copying γ_{t+P} when frame t repeats it, from t = T−1 down to 0.
func (l *lattice) backwardGamma(T int) bool {
	k := l.k
	ensure(&l.gamma, T*k)
	lnK := math.Log(float64(k))
	brep := l.brep[:T]
	fr := func(a []float64, t int) []float64 { return a[t*k : (t+1)*k : (t+1)*k] }
	for t := T - 1; t >= 0; t-- {
		if t < T-1 {
			if p := l.repeats(t); p != 0 {
				copyK(fr(l.gamma, t), fr(l.gamma, t+p))
				continue
			}
		}
		bh, lb, _, _, _ := l.betaSlot(int(brep[t]))
		if !l.gammaDrop(t, bh, lb, lnK) {
			return false
		}
	}
	return true
}

// dropXi adds Σ_t ξ_t to l.xi after dropGamma accepted γ, ξ_t computed
// from β̂_t, w_t and v_t of frame l.brep[t], or copied from frame t+P
// (lattice.repeats), in the order of t from T−2 down to 0. It reports
// whether the dropped ξ are negligible. It reads what forwardDrop and
// backwardBeta wrote, not γ, so it may run next to backwardGamma.
func (l *lattice) dropXi(c *chain, T int) bool {
	if T < 2 {
		return true
	}
	k := l.k
	kk := k * k
	ensure(&l.lx, 3*kk)
	inf := math.Inf(-1)
	lxi := l.lx[:kk] // max_t bound of the dropped ξ_t(i,j)
	// Two slots for ξ_t: the one of ξ_{t+1} (s1) and the other. A repeated
	// frame uses the slot of the frame it repeats, a computed one the
	// other slot: later frames repeat frame t or t+1 only.
	slot := func(i int) []float64 { return l.lx[(i+1)*kk : (i+2)*kk : (i+2)*kk] }
	for i := range lxi {
		lxi[i] = inf
	}
	brep, xs := l.brep[:T], l.xi[:kk:kk]
	s1, s2 := 0, 0 // the slots of ξ_{t+1} and ξ_{t+2}
	for t := T - 2; t >= 0; t-- {
		st := 1 - s1
		switch l.repeats(t) {
		case 1:
			st = s1
		case 2:
			st = s2
		default:
			_, _, w, lw, v := l.betaSlot(int(brep[t]))
			if !l.xiDrop(c, t, w, lw, v, slot(st), lxi) {
				return false
			}
			s1, s2 = st, s1
			continue
		}
		// Σ_t ξ_t ≥ +0 never is −0: adding a ξ_t(i,j) = +0 changes no bit.
		if from := slot(st); kk == 16 {
			addTo16((*[16]float64)(xs), (*[16]float64)(from))
		} else {
			from = from[:len(xs)]
			for i, x := range from {
				xs[i] += x
			}
		}
		s1, s2 = st, s1
	}
	lnT := math.Log(float64(T - 1))
	for i, lb := range lxi {
		if lb == inf {
			continue
		}
		if x := l.xi[i]; x > 0 {
			if lb+lnT > lnDropTol+lnDown(x) {
				return false
			}
		} else if lb+lnT >= lnZero {
			return false
		}
	}
	return true
}

// addTo16 adds v to a (K = 4: a K×K matrix), unrolled.
func addTo16(a, v *[16]float64) {
	a[0], a[1], a[2], a[3] = a[0]+v[0], a[1]+v[1], a[2]+v[2], a[3]+v[3]
	a[4], a[5], a[6], a[7] = a[4]+v[4], a[5]+v[5], a[6]+v[6], a[7]+v[7]
	a[8], a[9], a[10], a[11] = a[8]+v[8], a[9]+v[9], a[10]+v[10], a[11]+v[11]
	a[12], a[13], a[14], a[15] = a[12]+v[12], a[13]+v[13], a[14]+v[14], a[15]+v[15]
}

// backwardStep computes β̂_t (cur, bounds lcur) from β̂_{t+1} (next, lnext),
// leaving w_j = p_{t+1}(j)·β̂_{t+1}(j) in w (bounds lw) and the unnormalised
// kept v_i = Σ_j A_ij·w_j in v.
//
// It computes p_{t+1}(j) = exp(b_{t+1}(j) − max b_{t+1}) as forwardStep does
// (0 below emitFloor), rather than reading the forward pass's.
func (l *lattice) backwardStep(c *chain, t int, next, lnext, cur, lcur, w, lw, v []float64, lnK float64) bool {
	k := l.k
	inf := math.Inf(-1)
	b := l.flp[(t+1)*k : (t+2)*k : (t+2)*k]
	next, lnext, cur, lcur = next[:k:k], lnext[:k:k], cur[:k:k], lcur[:k:k]
	w, lw, v = w[:k:k], lw[:k:k], v[:k:k]
	m := maxOf(b)
	wmax := inf
	for j := range k {
		pj := 0.0
		if g := b[j] - m; g >= emitFloor {
			pj = expNeg(g)
		}
		wj := pj * next[j]
		lw[j] = inf
		if wj < normalMin {
			wj = 0
			switch g := b[j] - m; {
			case math.IsInf(g, -1):
			case next[j] > 0:
				lw[j] = g + lnUp(next[j])
			default:
				lw[j] = g + lnext[j]
			}
			wmax = max(wmax, lw[j])
		}
		w[j] = wj
	}
	s := 0.0
	for i := range k {
		row := c.a[i*k : (i+1)*k : (i+1)*k]
		vi := 0.0
		for j, wj := range w {
			vi += row[j] * wj
		}
		le := inf
		if wmax > inf {
			// Σ_j A_ij ≤ 1 + 1e-15.
			le = wmax + lnSlack
			if vi > 0 && !(le <= lnDropTol+lnDown(vi)) {
				le = droppedMass(lw, row, wmax)
			}
		}
		if vi < tiny && !exactSum(w, row, vi) {
			le = lnAddUp(le, lnK+lnNormalMin)
		}
		lcur[i] = inf
		if vi >= normalMin && (le == inf || le <= lnDropTol+lnDown(vi)) {
			v[i] = vi
			s += vi
			continue
		}
		v[i] = 0
		switch {
		case vi > 0:
			lcur[i] = lnAddUp(lnUp(vi), le)
		case le > inf:
			lcur[i] = le
		}
	}
	if !(s > 0) {
		return false
	}
	inv, lns := 1/s, lnDown(s)
	for i := range k {
		if vi := v[i]; vi > 0 {
			cur[i] = vi * inv
			if cur[i] < normalMin {
				cur[i], lcur[i] = 0, lnUp(vi)-lns
			}
		} else {
			cur[i] = 0
			if lcur[i] > inf {
				lcur[i] = max(lcur[i]-lns, lnFloor)
			}
		}
	}
	return true
}

// xiDrop adds ξ_t to l.xi and keeps a copy in xinc, and raises the bounds
// lxi of the dropped (or underflowing) ξ_t(i,j).
func (l *lattice) xiDrop(c *chain, t int, w, lw, v, xinc, lxi []float64) bool {
	k := l.k
	inf := math.Inf(-1)
	// Σ_ij â_t(i)·A_ij·w_j = Σ_i â_t(i)·v_i = z_t·s'_t.
	r := int(l.rep[t])
	f, lf := l.fw[r*k:(r+1)*k:(r+1)*k], l.lf[r*k:(r+1)*k:(r+1)*k]
	w, lw, v = w[:k:k], lw[:k:k], v[:k:k]
	zx := 0.0
	for i := range k {
		zx += f[i] * v[i]
	}
	if !(zx >= tiny) {
		return false
	}
	inv, lnzx := 1/zx, lnDown(zx)
	for i := range k {
		fi := f[i] * inv
		row, out := c.a[i*k:(i+1)*k:(i+1)*k], l.xi[i*k:(i+1)*k:(i+1)*k]
		lo, xo := lxi[i*k:(i+1)*k:(i+1)*k], xinc[i*k:(i+1)*k:(i+1)*k]
		lfi := lf[i] - lnzx // ξ_t(i,j) ≤ â_t(i)·A_ij·w_j/(z_t·s'_t)
		if fi > 0 {
			lfi = lnUp(fi)
		}
		for j, wj := range w {
			xo[j] = 0
			if row[j] == 0 {
				continue
			}
			if fi > 0 && wj > 0 {
				x := fi * row[j] * wj
				if x < normalMin {
					lo[j] = max(lo[j], lnUp(fi)+lnUp(row[j])+lnUp(wj))
				}
				out[j] += x
				xo[j] = x
				continue
			}
			lwj := lw[j]
			if wj > 0 {
				lwj = lnUp(wj)
			}
			if bnd := lfi + lnUp(row[j]) + lwj; bnd > inf {
				lo[j] = max(lo[j], bnd)
			}
		}
	}
	return true
}

// gammaDrop computes γ_t ∝ â_t ⊙ β̂_t from the kept values and checks the
// dropped ones (log bounds lb of β̂_t, l.lf of â_t): they must not change
// z_t beyond 1e-17 relative, and every γ_t(i) that is 0 must be below e^−745.5.
func (l *lattice) gammaDrop(t int, bh, lb []float64, lnK float64) bool {
	k := l.k
	r := int(l.rep[t])
	f, lf := l.fw[r*k:(r+1)*k:(r+1)*k], l.lf[r*k:(r+1)*k:(r+1)*k]
	g := l.gamma[t*k : (t+1)*k : (t+1)*k]
	bh, lb = bh[:k:k], lb[:k:k]
	inf := math.Inf(-1)
	z, gmax := 0.0, inf
	for i := range k {
		g[i] = f[i] * bh[i]
		z += g[i]
		if f[i] > 0 && bh[i] > 0 {
			if g[i] < normalMin {
				gmax = max(gmax, lnUp(f[i])+lnUp(bh[i]))
			}
			continue
		}
		fa, fb := lf[i], lb[i]
		if f[i] > 0 {
			fa = lnUp(f[i])
		}
		if bh[i] > 0 {
			fb = lnUp(bh[i])
		}
		gmax = max(gmax, fa+fb)
	}
	if !(z >= tiny) {
		return false
	}
	if gmax > inf {
		lz := lnDown(z)
		if gmax+lnK > lnDropTol+lz || gmax-lz >= lnZero {
			return false
		}
	}
	inv := 1 / z
	for i := range k {
		g[i] *= inv
	}
	return true
}
