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
// never lose a state. On degenerate data (tiny variances) Score and
// ScoreFrames try the forward pass with dropped states of drop.go first, the
// E-step and Posteriors the forward-backward pass of estepdrop.go. Ordinary
// data take neither.

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

// probEmitter is an emitter that writes p_t(j) = exp(b_t(j) − max_j b_t(j))
// and max_j b_t(j) for T rows of x directly, failing like expFrames.
type probEmitter interface {
	frameProb(p, bmax, x []float64, T int) bool
}

// rowsEmitter is an emitter that can use known repeated rows (rowDup[t]:
// row t equals row t−1).
type rowsEmitter interface {
	frameLogProbRows(dst, x []float64, T int, rowDup []bool)
}

// frameLogProb fills l.flp for the T rows of x, the sequence the E-step set
// l.rowDup for (nil: unknown).
func (l *lattice) frameLogProb(em emitter, x []float64, T int) {
	k, d := l.k, len(x)/max(T, 1)
	re, rows := em.(rowsEmitter)
	rows = rows && l.rowDup != nil
	l.split(T, func(lo, hi int) bool {
		dst, xs := l.flp[lo*k:hi*k], x[lo*d:hi*d]
		if rows {
			// The first row of a range is computed whatever rowDup says.
			re.frameLogProbRows(dst, xs, hi-lo, l.rowDup[lo:hi])
		} else {
			em.frameLogProb(dst, xs, hi-lo)
		}
		return true
	})
}

// split runs f on the row ranges [0, h) and [h, T) of a sequence, on two
// goroutines, if l.par ≥ 2 and T ≥ splitMinT, else f(0, T), and reports
// whether every call did. f must compute every row from its own inputs
// only, so that the result is the same.
func (l *lattice) split(T int, f func(lo, hi int) bool) bool {
	if l.par < 2 || T < splitMinT {
		return f(0, T)
	}
	h := T / 2 &^ (emitBlock - 1)
	var hi bool
	done := make(chan struct{})
	go func() {
		hi = f(h, T)
		close(done)
	}()
	lo := f(0, h)
	<-done
	return lo && hi
}

// scaledProbs fills l.bw with p_t and l.bmax with max_j b_t(j) for the T rows
// of x, from em's frameProb if it has one, else through l.flp and expFrames.
// It reports whether l.flp now holds the frame log-probabilities.
func (l *lattice) scaledProbs(em emitter, x []float64, T int) (ok, flp bool) {
	k, d := l.k, len(x)/max(T, 1)
	ensure(&l.bw, T*k)
	ensure(&l.bmax, T)
	if pe, isProb := em.(probEmitter); isProb {
		return l.split(T, func(lo, hi int) bool {
			return pe.frameProb(l.bw[lo*k:hi*k], l.bmax[lo:hi], x[lo*d:hi*d], hi-lo)
		}), false
	}
	l.frameLogProb(em, x, T)
	return l.split(T, func(lo, hi int) bool {
		return expFrames(l.bw[lo*k:hi*k], l.bmax[lo:hi], l.flp[lo*k:hi*k], k, hi-lo)
	}), true
}

// forwardFast computes p_t from l.flp and runs forwardScaled.
func (l *lattice) forwardFast(c *chain, T int) (float64, bool) {
	ensure(&l.bw, T*l.k)
	ensure(&l.bmax, T)
	if !expFrames(l.bw, l.bmax, l.flp, l.k, T) {
		return 0, false
	}
	return l.forwardScaled(c, T)
}

// forwardScaled fills l.fw with the normalised forward lattice â_t from
// l.bw = p_t and l.bmax, and returns log P.
func (l *lattice) forwardScaled(c *chain, T int) (float64, bool) {
	k := l.k
	ensure(&l.fw, T*k)
	var acc logAcc
	s, ok := l.startStep(c, l.fw[:k], l.bw[:k])
	if !ok {
		return 0, false
	}
	acc.add(l.bmax[0], s)
	for t := 1; t < T; t++ {
		if k == 4 && l.guard(t) == 0 {
			prev := *(*[4]float64)(l.fw[(t-1)*4 : t*4])
			if !forward4(c.aT, &prev, l.bw[t*4:T*4], l.fw[t*4:T*4], l.bmax[t:T], &acc, nil) {
				return 0, false
			}
			break
		}
		s, ok := forwardStep(c, l.fw[(t-1)*k:t*k], l.fw[t*k:(t+1)*k], l.bw[t*k:(t+1)*k], l.guard(t))
		if !ok {
			return 0, false
		}
		acc.add(l.bmax[t], s)
	}
	return acc.value(), true
}

// startStep computes the normalised first forward frame cur_j ∝ π_j·p_j
// and returns its normaliser s. A product that underflows (a start
// probability near the bottom of the float range, which EM produces by
// driving π_j towards 0 geometrically) is set to 0 and remembered in
// l.dropped; forwardStep, backwardFast and fixStart then make sure that
// nothing depended on it beyond 1e-17 relative, and restore the posteriors
// of the dropped states exactly.
func (l *lattice) startStep(c *chain, cur, p []float64) (s float64, ok bool) {
	l.dropped = false
	p = p[:len(cur)]
	for j := range cur {
		v := c.pi[j] * p[j]
		if v < normalMin && c.pi[j] > 0 && p[j] > 0 {
			v, l.dropped = 0, true
		}
		cur[j] = v
		s += v
	}
	if !(s > 0) || (l.dropped && s < tiny) {
		return 0, false
	}
	l.s0 = s
	inv := 1 / s
	for j := range cur {
		cur[j] *= inv
		if cur[j] > 0 && cur[j] < normalMin {
			return 0, false
		}
	}
	return s, true
}

// guard is the smallest sum Σ_i â_{t−1}(i)·A_ij that forwardStep accepts at
// frame t: after a dropped start state, one that its mass (below
// normalMin/s0) could not have changed beyond 1e-17 relative.
func (l *lattice) guard(t int) float64 {
	if t == 1 && l.dropped {
		return tiny / l.s0
	}
	return 0
}

// fixStart completes frame 0 of the posteriors after startStep dropped
// states: γ_0(j) = π_j·p_0(j)·β̂_0(j)/(s0·z) and, if xi, ξ_0(i,j) =
// π_i·p_0(i)·A_ij·w_j/(s0·z·s) for every dropped state, computed in an order
// that does not underflow unless the result does. bh is β̂_0, w is
// p_1 ⊙ β̂_1 (nil when T = 1), z the γ_0 normaliser and s the backward one.
func (l *lattice) fixStart(c *chain, bh, w []float64, z, s float64, xi bool) bool {
	if !(z*l.s0 >= tiny) {
		return false
	}
	k := l.k
	f, p := l.fw[:k], l.bw[:k]
	for j := range k {
		if f[j] != 0 || c.pi[j] == 0 || p[j] == 0 {
			continue
		}
		l.gamma[j] = c.pi[j] * (p[j] * bh[j] / (l.s0 * z))
		if !xi || w == nil {
			continue
		}
		q := p[j] / (l.s0 * z * s)
		row, out := c.a[j*k:(j+1)*k], l.xi[j*k:(j+1)*k]
		for i, wi := range w {
			out[i] += c.pi[j] * (q * row[i] * wi)
		}
	}
	return true
}

// scoreFast is forwardFast for one sequence of rows x without T×K buffers:
// the frame log-probabilities are computed emitBlock frames at a time (and
// fed to the Viterbi pass if l.vfeed and em has no frameProb), or read
// from l.pre if it holds them (not for an emitter with frameProb). If
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
		var ok, flp bool
		if l.pre != nil {
			ok = expFrames(l.bw, l.bmax, l.pre[t0*k:(t0+n)*k], k, n)
		} else {
			ok, flp = l.scaledProbs(em, x[t0*d:(t0+n)*d], n)
		}
		if flp && l.vfeed {
			l.viterbiFeed(c, t0, l.flp[:n*k])
		}
		if !ok {
			return 0, false
		}
		for i := range n {
			t := t0 + i
			if k == 4 && l.guard(t) == 0 && t > 0 {
				var fr []float64
				if frames != nil {
					fr = frames[t : t0+n]
				}
				p := (*[4]float64)(prev)
				if !forward4(c.aT, p, l.bw[i*4:n*4], nil, l.bmax[i:n], &acc, fr) {
					return 0, false
				}
				break
			}
			var s float64
			ok := false
			if t == 0 {
				s, ok = l.startStep(c, cur, l.bw[:k])
			} else {
				s, ok = forwardStep(c, prev, cur, l.bw[i*k:(i+1)*k], l.guard(t))
			}
			if !ok {
				return 0, false
			}
			acc.add(l.bmax[i], s)
			if frames != nil {
				frames[t] = l.bmax[i] + math.Log(s)
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

// forwardStep computes one normalised forward frame cur (t > 0) from prev
// and p = exp(b − max b). It returns the normaliser s, or ok = false if a
// positive quantity may have underflowed or a sum Σ_i prev_i·A_ij is below
// guard (see lattice.guard).
func forwardStep(c *chain, prev, cur, p []float64, guard float64) (s float64, ok bool) {
	k := len(cur)
	if k == 8 && guard == 0 {
		return forwardStep8(c.aT, prev, cur, p)
	}
	p, prev = p[:k], prev[:k]
	for j := range cur {
		col := c.aT[j*k : (j+1)*k : (j+1)*k]
		sj := 0.0
		for i, x := range prev {
			sj += x * col[i]
		}
		if sj < guard || (sj < tiny && !exactSum(prev, col, sj)) {
			return 0, false
		}
		v := sj * p[j]
		if v < normalMin && sj > 0 && p[j] > 0 {
			return 0, false
		}
		cur[j] = v
		s += v
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
	z, ok := gammaFrame(l.gamma[(T-1)*k:T*k], l.fw[(T-1)*k:T*k], next)
	if !ok {
		return false
	}
	if T == 1 && l.dropped {
		return l.fixStart(c, next, nil, z, 0, false)
	}
	if k == 4 {
		return l.backward4(c, T, xi)
	}
	if k == 8 {
		return l.backward8(c, T, xi)
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
		if t == 0 && l.dropped && !l.fixStart(c, cur, w, z, s, xi) {
			return false
		}
		next, cur = cur, next
	}
	return true
}

// forward4 runs the recursion of forwardStep for K = 4 over the frames
// p_t of p (n×4) from the frame *prev, unrolled and with the frame in
// registers: the same sums in the same order, and the same underflow checks,
// taken only when a value is small. It adds every frame to acc, writes the
// frames to out unless it is nil, the increments max b_t + log s_t to frames
// unless it is nil, and leaves the last frame in *prev.
func forward4(aT []float64, prev *[4]float64, p, out, bmax []float64, acc *logAcc, frames []float64) bool {
	a := (*[16]float64)(aT)
	x0, x1, x2, x3 := prev[0], prev[1], prev[2], prev[3]
	for i, bm := range bmax {
		pt := (*[4]float64)(p[i*4 : i*4+4])
		s0 := x0*a[0] + x1*a[1] + x2*a[2] + x3*a[3]
		s1 := x0*a[4] + x1*a[5] + x2*a[6] + x3*a[7]
		s2 := x0*a[8] + x1*a[9] + x2*a[10] + x3*a[11]
		s3 := x0*a[12] + x1*a[13] + x2*a[14] + x3*a[15]
		v0, v1, v2, v3 := s0*pt[0], s1*pt[1], s2*pt[2], s3*pt[3]
		if v0 < tiny || v1 < tiny || v2 < tiny || v3 < tiny {
			x := [4]float64{x0, x1, x2, x3}
			for j, sj := range [4]float64{s0, s1, s2, s3} {
				if sj < tiny && !exactSum(x[:], aT[j*4:j*4+4], sj) {
					return false
				}
				if v := sj * pt[j]; v < normalMin && sj > 0 && pt[j] > 0 {
					return false
				}
			}
		}
		s := v0 + v1 + v2 + v3
		if !(s > 0) {
			return false
		}
		inv := 1 / s
		x0, x1, x2, x3 = v0*inv, v1*inv, v2*inv, v3*inv
		if x0 < normalMin || x1 < normalMin || x2 < normalMin || x3 < normalMin {
			for _, v := range [4]float64{x0, x1, x2, x3} {
				if v > 0 && v < normalMin {
					return false
				}
			}
		}
		if out != nil {
			o := (*[4]float64)(out[i*4 : i*4+4])
			o[0], o[1], o[2], o[3] = x0, x1, x2, x3
		}
		acc.add(bm, s)
		if frames != nil {
			frames[i] = bm + math.Log(s)
		}
	}
	*prev = [4]float64{x0, x1, x2, x3}
	return true
}

// backward4 is the loop of backwardFast for K = 4, unrolled, with the same
// arithmetic and checks; β̂_{t+1} is carried in registers.
func (l *lattice) backward4(c *chain, T int, xi bool) bool {
	a, p, fw, gam := c.a[:16:16], l.bw[:T*4], l.fw[:T*4], l.gamma[:T*4]
	acc := l.xi[:16:16]
	n0, n1, n2, n3 := 1.0, 1.0, 1.0, 1.0
	for t := T - 2; t >= 0; t-- {
		pt := p[(t+1)*4 : (t+1)*4+4 : (t+1)*4+4]
		w0, w1, w2, w3 := pt[0]*n0, pt[1]*n1, pt[2]*n2, pt[3]*n3
		if w0 < normalMin || w1 < normalMin || w2 < normalMin || w3 < normalMin {
			next := [4]float64{n0, n1, n2, n3}
			for j, wj := range [4]float64{w0, w1, w2, w3} {
				if wj < normalMin && pt[j] > 0 && next[j] > 0 {
					return false
				}
			}
		}
		v0 := a[0]*w0 + a[1]*w1 + a[2]*w2 + a[3]*w3
		v1 := a[4]*w0 + a[5]*w1 + a[6]*w2 + a[7]*w3
		v2 := a[8]*w0 + a[9]*w1 + a[10]*w2 + a[11]*w3
		v3 := a[12]*w0 + a[13]*w1 + a[14]*w2 + a[15]*w3
		if v0 < tiny || v1 < tiny || v2 < tiny || v3 < tiny {
			w := [4]float64{w0, w1, w2, w3}
			for i, v := range [4]float64{v0, v1, v2, v3} {
				if v < tiny && !exactSum(w[:], a[i*4:i*4+4], v) {
					return false
				}
			}
		}
		s := v0 + v1 + v2 + v3
		if !(s > 0) {
			return false
		}
		inv := 1 / s
		v0, v1, v2, v3 = v0*inv, v1*inv, v2*inv, v3*inv
		if v0 < normalMin || v1 < normalMin || v2 < normalMin || v3 < normalMin {
			for _, v := range [4]float64{v0, v1, v2, v3} {
				if v > 0 && v < normalMin {
					return false
				}
			}
		}
		f := fw[t*4 : t*4+4 : t*4+4]
		g0, g1, g2, g3 := f[0]*v0, f[1]*v1, f[2]*v2, f[3]*v3
		z := g0 + g1 + g2 + g3
		if !(z >= tiny) {
			return false
		}
		inv = 1 / z
		g := gam[t*4 : t*4+4 : t*4+4]
		g[0], g[1], g[2], g[3] = g0*inv, g1*inv, g2*inv, g3*inv
		if xi {
			zx := z * s
			if !(zx >= tiny) {
				return false
			}
			inv = 1 / zx
			for i := range 4 {
				fi := f[i] * inv
				row, out := a[i*4:i*4+4:i*4+4], acc[i*4:i*4+4:i*4+4]
				out[0] += fi * row[0] * w0
				out[1] += fi * row[1] * w1
				out[2] += fi * row[2] * w2
				out[3] += fi * row[3] * w3
			}
		}
		if t == 0 && l.dropped {
			bh, w := [4]float64{v0, v1, v2, v3}, [4]float64{w0, w1, w2, w3}
			if !l.fixStart(c, bh[:], w[:], z, s, xi) {
				return false
			}
		}
		n0, n1, n2, n3 = v0, v1, v2, v3
	}
	return true
}

// dot8 returns Σ_i x_i·y_i, added left to right like the generic loops.
func dot8(x, y *[8]float64) float64 {
	return x[0]*y[0] + x[1]*y[1] + x[2]*y[2] + x[3]*y[3] + x[4]*y[4] + x[5]*y[5] + x[6]*y[6] + x[7]*y[7]
}

// forwardStep8 is forwardStep for K = 8 and t > 0, with fixed-size arrays
// (no bounds checks) and the checks taken only when a value is small.
func forwardStep8(aT, prev, cur, p []float64) (float64, bool) {
	a, x, pp, out := (*[64]float64)(aT), (*[8]float64)(prev), (*[8]float64)(p), (*[8]float64)(cur)
	var sum [8]float64
	small := false
	for j := range 8 {
		sum[j] = dot8(x, (*[8]float64)(a[j*8:j*8+8]))
		small = small || sum[j]*pp[j] < tiny
	}
	if small {
		for j, sj := range sum {
			if sj < tiny && !exactSum(prev, aT[j*8:j*8+8], sj) {
				return 0, false
			}
			if v := sj * pp[j]; v < normalMin && sj > 0 && pp[j] > 0 {
				return 0, false
			}
		}
	}
	s := 0.0
	for j := range 8 {
		out[j] = sum[j] * pp[j]
		s += out[j]
	}
	if !(s > 0) {
		return 0, false
	}
	inv := 1 / s
	small = false
	for j := range 8 {
		out[j] *= inv
		small = small || (out[j] > 0 && out[j] < normalMin)
	}
	return s, !small
}

// backward8 is the loop of backwardFast for K = 8 with fixed-size arrays.
func (l *lattice) backward8(c *chain, T int, xi bool) bool {
	a := (*[64]float64)(c.a)
	p, fw, gam := l.bw[:T*8], l.fw[:T*8], l.gamma[:T*8]
	if xi {
		ensure(&l.fx, T*8)
		ensure(&l.wx, T*8)
	}
	var next, cur, w [8]float64
	for i := range next {
		next[i] = 1
	}
	for t := T - 2; t >= 0; t-- {
		pt := (*[8]float64)(p[(t+1)*8 : (t+2)*8])
		small := false
		for j := range 8 {
			w[j] = pt[j] * next[j]
			small = small || w[j] < normalMin
		}
		if small {
			for j := range 8 {
				if w[j] < normalMin && pt[j] > 0 && next[j] > 0 {
					return false
				}
			}
		}
		s := 0.0
		small = false
		for i := range 8 {
			cur[i] = dot8((*[8]float64)(a[i*8:i*8+8]), &w)
			small = small || cur[i] < tiny
			s += cur[i]
		}
		if small {
			for i, v := range cur {
				if v < tiny && !exactSum(w[:], a[i*8:i*8+8], v) {
					return false
				}
			}
		}
		if !(s > 0) {
			return false
		}
		inv := 1 / s
		small = false
		for i := range 8 {
			cur[i] *= inv
			small = small || (cur[i] > 0 && cur[i] < normalMin)
		}
		if small {
			return false
		}
		f := (*[8]float64)(fw[t*8 : t*8+8])
		z, ok := gammaFrame(gam[t*8:t*8+8], f[:], cur[:])
		if !ok {
			return false
		}
		if xi {
			zx := z * s
			if !(zx >= tiny) {
				return false
			}
			inv = 1 / zx
			fx, wx := (*[8]float64)(l.fx[t*8:t*8+8]), (*[8]float64)(l.wx[t*8:t*8+8])
			for i := range 8 {
				fx[i] = f[i] * inv
			}
			*wx = w
		}
		if t == 0 && l.dropped && !l.fixStart(c, cur[:], w[:], z, s, xi) {
			return false
		}
		next = cur
	}
	if xi {
		addXi(l.xi, c.a, l.fx[:(T-1)*8], l.wx[:(T-1)*8], 8)
	}
	return true
}

// addXi adds Σ_t ξ_t(i,j) = A_ij·Σ_t f_t(i)·w_t(j) to xi from the rows f_t
// and w_t (T'×K each, K even): the sum over t is a product FᵀW, computed
// in 2×2 tiles whose four sums stay in registers, and A_ij is applied once.
func addXi(xi, a, f, w []float64, k int) {
	n := len(f) / k
	for i := 0; i < k; i += 2 {
		for j := 0; j < k; j += 2 {
			var s00, s01, s10, s11 float64
			for t := range n {
				fr, wr := f[t*k+i:t*k+i+2:t*k+i+2], w[t*k+j:t*k+j+2:t*k+j+2]
				s00 += fr[0] * wr[0]
				s01 += fr[0] * wr[1]
				s10 += fr[1] * wr[0]
				s11 += fr[1] * wr[1]
			}
			xi[i*k+j] += a[i*k+j] * s00
			xi[i*k+j+1] += a[i*k+j+1] * s01
			xi[(i+1)*k+j] += a[(i+1)*k+j] * s10
			xi[(i+1)*k+j+1] += a[(i+1)*k+j+1] * s11
		}
	}
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
