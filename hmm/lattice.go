package hmm

import (
	"errors"
	"fmt"
	"math"
)

// tiny is the smallest scaled sum that the fast log-space recursions trust.
// Below it the terms lost to exp underflow (each < 1e-308) could matter, and
// the frame is recomputed with an exact log-sum-exp.
const tiny = 1e-290

// underflowLimit is hmmlearn's threshold on a scaled forward frame.
const underflowLimit = 1e-300

// ErrUnderflow is returned by the scaling implementation when a frame has
// (near-)zero probability under every state, like hmmlearn's ValueError.
var ErrUnderflow = errors.New("hmm: forward pass failed with underflow; use implementation \"log\"")

// lattice holds the per-sequence work buffers of forward-backward and
// Viterbi. It grows to the longest sequence and is reused across sequences
// and EM iterations, so no time step allocates.
type lattice struct {
	k     int
	flp   []float64 // T×K frame log-probabilities b_t(j)
	pre   []float64 // T×K b_t(j) computed before scoreFast and scoreDrop (nil: none)
	alpha []float64 // T×K log forward (log) | scaled forward (scaling)
	beta  []float64 // T×K log backward (log) | scaled backward (scaling)
	fw    []float64 // T×K exp(α_t − max α_t) (log) | normalised forward â_t (fast)
	bs    []float64 // T×K exp(β_t − max v_{t+1}) (log) | 2×K β̂_{t+1}, β̂_t (fast)
	bw    []float64 // T×K exp(v_t − max v_t), v = b+β (log) | p_t (fast, scaling)
	scale []float64 // T   scaling factors c_t (scaling)
	bmax  []float64 // T   max_j b_t(j) (fast)
	fx    []float64 // T×K â_t/(z_t·s_t), the ξ factor of frame t (fast, K = 8)
	wx    []float64 // T×K p_{t+1} ⊙ β̂_{t+1} (fast, K = 8)
	gamma []float64 // T×K posteriors
	xi    []float64 // K×K Σ_t ξ_t
	tmp   []float64 // K
	ptr   []uint8   // T×4 Viterbi back-pointers (K = 4)
	drop  []bool    // 2×K states dropped in the previous and current frame (scoreDrop)
	lf    []float64 // T×K log bounds of dropped forward values (dropPosteriors)
	// dropPosteriors: log bounds of the dropped ξ and the last two ξ_t
	// (3×K×K), the computed frames of the backward pass (5×K each, see
	// betaSlot) and which frames repeat the frame 1 or 2 later (bit 0, 1)
	// in the forward (per) and backward pass.
	lx        []float64
	bb        []float64
	per, bper []uint8
	bsrc      []uint8 // T: β̂_t is β̂_{t+bsrc[t]} (0: computed)
	rep, brep []int32 // T: the frame (backward: slot) that holds frame t's forward (backward) values
	rowDup    []bool  // the E-step's sequence: row t equals row t−1 (nil: unknown)
	dup       []bool  // T: b_t = b_{t−1} bit for bit
	// par is the number of goroutines the E-step of a lone sequence lets
	// the passes over its rows use (see lattice.split; ≤ 1: the caller's).
	par int
	// The Viterbi pass, fed frame log-probabilities a block at a time
	// (viterbiFeed): vnext is the first frame not yet fed, vp holds δ of
	// frame vnext−1 (K = 4; other K keep δ of every frame in delta), vpath
	// whether back-pointers are kept, and vfeed whether the forward passes
	// feed it the blocks they compute (decodeScoreFrames).
	vnext    int
	vp       [4]float64
	delta    []float64
	vpath    bool
	vfeed    bool
	noRepeat bool // tests: compute every frame of dropPosteriors
	// s0 and dropped describe the first frame of the fast recursions
	// (startStep): its normaliser, and whether a state was dropped.
	s0      float64
	dropped bool
}

func newLattice(k int) *lattice {
	return &lattice{k: k, xi: make([]float64, k*k), tmp: make([]float64, k)}
}

// grow sizes the frame log-probabilities for T frames; every recursion
// sizes the other buffers it writes with ensure, so Score and Decode only
// allocate what they use.
func (l *lattice) grow(T int) { ensure(&l.flp, T*l.k) }

func ensure(b *[]float64, n int) {
	if cap(*b) < n {
		*b = make([]float64, n)
	}
	*b = (*b)[:n]
}

// chain holds the transition parameters in the forms the recursions need.
type chain struct {
	k      int
	fast   bool      // π and A allow the fast log path (fast.go)
	pi, a  []float64 // π (K), A (K×K, row = from-state)
	logPi  []float64
	logA   []float64
	aT     []float64 // Aᵀ, so Σ_i w_i A_ij reads a contiguous row
	logA_T []float64 // (log A)ᵀ
}

func newChain(pi, a []float64) *chain {
	k := len(pi)
	c := &chain{k: k, pi: pi, a: a, logPi: make([]float64, k), logA: make([]float64, k*k),
		aT: make([]float64, k*k), logA_T: make([]float64, k*k)}
	c.update()
	return c
}

// update recomputes the derived tables after π or A changed in place.
func (c *chain) update() {
	k := c.k
	for i, p := range c.pi {
		c.logPi[i] = math.Log(p)
	}
	for i := range k {
		for j := range k {
			v := c.a[i*k+j]
			c.logA[i*k+j] = math.Log(v)
			c.aT[j*k+i] = v
			c.logA_T[j*k+i] = math.Log(v)
		}
	}
	c.fast = fastOK(c)
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	return m
}

// logSumExp is hmmlearn's C++ logsumexp: max plus log of a left-to-right sum.
func logSumExp(v []float64) float64 {
	m := maxOf(v)
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, x := range v {
		s += expLog(x - m)
	}
	return m + logFast(s)
}

// forwardLog runs the log-space forward pass over l.flp[:T·K] and returns
// log P. With m = max_i α_{t−1}(i) it computes
// α_t(j) = m + log Σ_i exp(α_{t−1}(i) − m)·A_ij + b_t(j): K exps and K logs per
// frame instead of hmmlearn's K² (exact LSE is used when the sum is tiny).
func (l *lattice) forwardLog(c *chain, T int) float64 {
	k := l.k
	ensure(&l.alpha, T*k)
	ensure(&l.fw, T*k)
	a, fw, flp, tmp := l.alpha, l.fw, l.flp, l.tmp
	for j := range k {
		a[j] = c.logPi[j] + flp[j]
	}
	for t := 1; t < T; t++ {
		prev, w := a[(t-1)*k:t*k], fw[(t-1)*k:t*k]
		cur, b := a[t*k:(t+1)*k], flp[t*k:(t+1)*k]
		m := maxOf(prev)
		if math.IsInf(m, -1) {
			for j := range k {
				w[j], cur[j] = 0, m
			}
			continue
		}
		for i, x := range prev {
			w[i] = expLog(x - m)
		}
		for j := range k {
			col := c.aT[j*k : (j+1)*k]
			s := 0.0
			for i, wi := range w {
				s += wi * col[i]
			}
			if s >= tiny {
				cur[j] = m + logFast(s) + b[j]
				continue
			}
			lcol := c.logA_T[j*k : (j+1)*k]
			for i, x := range prev {
				tmp[i] = x + lcol[i]
			}
			cur[j] = logSumExp(tmp) + b[j]
		}
	}
	last, w := a[(T-1)*k:T*k], fw[(T-1)*k:T*k]
	m := maxOf(last)
	if math.IsInf(m, 0) {
		for i := range w {
			w[i] = 0
		}
		return m
	}
	s := 0.0
	for i, x := range last {
		w[i] = expLog(x - m)
		s += w[i]
	}
	return m + logFast(s)
}

// backwardLog runs the log-space backward pass; it fills beta, bs and bw.
func (l *lattice) backwardLog(c *chain, T int) {
	k := l.k
	ensure(&l.beta, T*k)
	ensure(&l.bs, T*k)
	ensure(&l.bw, T*k)
	beta, flp, bs, bw, tmp := l.beta, l.flp, l.bs, l.bw, l.tmp
	for i := range k {
		beta[(T-1)*k+i] = 0
	}
	for t := T - 2; t >= 0; t-- {
		next, b := beta[(t+1)*k:(t+2)*k], flp[(t+1)*k:(t+2)*k]
		w, cur, s := bw[(t+1)*k:(t+2)*k], beta[t*k:(t+1)*k], bs[t*k:(t+1)*k]
		m := math.Inf(-1)
		for j := range k {
			if v := b[j] + next[j]; v > m {
				m = v
			}
		}
		if math.IsInf(m, -1) {
			for j := range k {
				w[j], cur[j], s[j] = 0, m, 0
			}
			continue
		}
		for j := range k {
			w[j] = expLog(b[j] + next[j] - m)
		}
		for i := range k {
			row := c.a[i*k : (i+1)*k]
			si := 0.0
			for j, wj := range w {
				si += row[j] * wj
			}
			if si >= tiny {
				cur[i] = m + logFast(si)
				s[i] = si
				continue
			}
			lrow := c.logA[i*k : (i+1)*k]
			for j := range k {
				tmp[j] = lrow[j] + b[j] + next[j]
			}
			cur[i] = logSumExp(tmp)
			s[i] = expLog(cur[i] - m)
		}
	}
}

// posteriorsLog fills gamma (and, if xi is true, adds Σ_t ξ_t to l.xi) from
// the scaled lattices of forwardLog and backwardLog:
// γ_t(i) ∝ fw_t(i)·bs_t(i) and ξ_t(i,j) = fw_t(i)·A_ij·bw_{t+1}(j) / Z_t with
// Z_t = Σ_i fw_t(i)·bs_t(i). Frames whose Z_t is tiny use the exact log form.
func (l *lattice) posteriorsLog(c *chain, T int, logP float64, xi bool) {
	k := l.k
	ensure(&l.gamma, T*k)
	for t := range T {
		g, f := l.gamma[t*k:(t+1)*k], l.fw[t*k:(t+1)*k]
		if t == T-1 {
			z := 0.0
			for _, x := range f {
				z += x
			}
			if z >= tiny {
				for i := range k {
					g[i] = f[i] / z
				}
			} else {
				l.exactGamma(t)
			}
			break
		}
		s, w := l.bs[t*k:(t+1)*k], l.bw[(t+1)*k:(t+2)*k]
		z := 0.0
		for i := range k {
			z += f[i] * s[i]
		}
		if z < tiny {
			l.exactGamma(t)
			if xi {
				l.exactXi(c, t, logP)
			}
			continue
		}
		inv := 1 / z
		for i := range k {
			g[i] = f[i] * s[i] * inv
		}
		if !xi {
			continue
		}
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
}

func (l *lattice) exactGamma(t int) {
	k := l.k
	g := l.gamma[t*k : (t+1)*k]
	for i := range k {
		g[i] = l.alpha[t*k+i] + l.beta[t*k+i]
	}
	n := logSumExp(g)
	for i := range k {
		g[i] = expLog(g[i] - n)
	}
}

func (l *lattice) exactXi(c *chain, t int, logP float64) {
	k := l.k
	for i := range k {
		ai := l.alpha[t*k+i]
		for j := range k {
			v := ai + c.logA[i*k+j] + l.flp[(t+1)*k+j] + l.beta[(t+1)*k+j] - logP
			l.xi[i*k+j] += math.Exp(v)
		}
	}
}

// forwardScaling is hmmlearn's scaled forward pass; p_t(j) = exp(b_t(j)) is
// stored in bw. It fails with ErrUnderflow when a frame sums below 1e-300.
func (l *lattice) forwardScaling(c *chain, T int) (float64, error) {
	k := l.k
	ensure(&l.alpha, T*k)
	ensure(&l.bw, T*k)
	ensure(&l.scale, T)
	fr, p := l.alpha, l.bw
	for i := range T * k {
		p[i] = math.Exp(l.flp[i])
	}
	logP := 0.0
	for t := range T {
		cur := fr[t*k : (t+1)*k]
		pt := p[t*k : (t+1)*k]
		if t == 0 {
			for j := range k {
				cur[j] = c.pi[j] * pt[j]
			}
		} else {
			prev := fr[(t-1)*k : t*k]
			for j := range k {
				col := c.aT[j*k : (j+1)*k]
				s := 0.0
				for i, x := range prev {
					s += x * col[i]
				}
				cur[j] = s * pt[j]
			}
		}
		s := 0.0
		for _, x := range cur {
			s += x
		}
		if s < underflowLimit {
			return 0, fmt.Errorf("%w (frame %d)", ErrUnderflow, t)
		}
		sc := 1 / s
		l.scale[t] = sc
		for j := range cur {
			cur[j] *= sc
		}
	}
	for t := range T {
		logP -= math.Log(l.scale[t])
	}
	return logP, nil
}

// backwardScaling fills beta with hmmlearn's scaled backward lattice.
func (l *lattice) backwardScaling(c *chain, T int) {
	k := l.k
	ensure(&l.beta, T*k)
	br, p := l.beta, l.bw
	for i := range k {
		br[(T-1)*k+i] = l.scale[T-1]
	}
	for t := T - 2; t >= 0; t-- {
		next, pt := br[(t+1)*k:(t+2)*k], p[(t+1)*k:(t+2)*k]
		w := l.tmp
		for j := range k {
			w[j] = pt[j] * next[j]
		}
		for i := range k {
			row := c.a[i*k : (i+1)*k]
			s := 0.0
			for j := range k {
				s += row[j] * w[j]
			}
			br[t*k+i] = l.scale[t] * s
		}
	}
}

// posteriorsScaling normalises α̂_t ⊙ β̂_t per row and adds
// Σ_t α̂_t(i)·A_ij·p_{t+1}(j)·β̂_{t+1}(j) to l.xi.
func (l *lattice) posteriorsScaling(c *chain, T int, xi bool) {
	k := l.k
	ensure(&l.gamma, T*k)
	for t := range T {
		g := l.gamma[t*k : (t+1)*k]
		s := 0.0
		for i := range k {
			g[i] = l.alpha[t*k+i] * l.beta[t*k+i]
			s += g[i]
		}
		if s == 0 {
			s = 1
		}
		for i := range k {
			g[i] /= s
		}
		if !xi || t == T-1 {
			continue
		}
		w := l.tmp
		for j := range k {
			w[j] = l.bw[(t+1)*k+j] * l.beta[(t+1)*k+j]
		}
		for i := range k {
			f := l.alpha[t*k+i]
			row, out := c.a[i*k:(i+1)*k], l.xi[i*k:(i+1)*k]
			for j := range k {
				out[j] += f * row[j] * w[j]
			}
		}
	}
}

// viterbi returns the log-probability of the best path of the T rows of x
// and, unless path is nil, writes the path to path[:T], with hmmlearn's
// tie-breaking: the last state takes the lowest index among equal maxima,
// every earlier state the highest. Frame log-probabilities are computed a
// block of frames at a time.
func (l *lattice) viterbi(c *chain, em emitter, x []float64, d, T int, path []int) float64 {
	const block = 256 // frames whose log-probabilities are computed at once
	ensure(&l.flp, block*l.k)
	l.viterbiStart(T, path != nil)
	for t0 := 0; t0 < T; t0 += block {
		n := min(block, T-t0)
		em.frameLogProb(l.flp, x[t0*d:(t0+n)*d], n)
		l.viterbiFeed(c, t0, l.flp[:n*l.k])
	}
	return l.viterbiEnd(c, T, path)
}

// viterbiStart starts a Viterbi pass over T frames, keeping what
// viterbiEnd needs for the path if path is true.
func (l *lattice) viterbiStart(T int, path bool) {
	l.vnext, l.vpath = 0, path
	if l.k != 4 {
		ensure(&l.delta, T*l.k)
		return
	}
	if path && cap(l.ptr) < 4*T {
		l.ptr = make([]uint8, 4*T)
	}
}

// viterbiFeed runs the Viterbi recursion over flp (n×K), the frame
// log-probabilities of frames t0 … t0+n−1, skipping the frames it was fed
// before: a forward pass that declines is followed by one that starts
// again from frame 0 and feeds the same frames again.
func (l *lattice) viterbiFeed(c *chain, t0 int, flp []float64) {
	k := l.k
	n := len(flp) / k
	i0 := l.vnext - t0
	if i0 < 0 {
		panic("hmm: viterbiFeed: frames skipped")
	}
	if i0 >= n {
		return
	}
	l.vnext = t0 + n
	if k == 4 {
		l.viterbi4(c, t0, i0, flp)
		return
	}
	delta := l.delta
	for t := t0 + i0; t < t0+n; t++ {
		b := flp[(t-t0)*k : (t-t0+1)*k]
		cur := delta[t*k : (t+1)*k]
		if t == 0 {
			for j := range cur {
				cur[j] = c.logPi[j] + b[j]
			}
			continue
		}
		prev := delta[(t-1)*k : t*k]
		for j := range cur {
			col := c.logA_T[j*k : (j+1)*k]
			col = col[:len(prev)]
			m := math.Inf(-1)
			for i, v := range prev {
				if v += col[i]; v > m {
					m = v
				}
			}
			cur[j] = m + b[j]
		}
	}
}

// viterbiEnd returns the log-probability of the best path of the T frames
// fed and, unless path is nil, writes the path to path[:T].
func (l *lattice) viterbiEnd(c *chain, T int, path []int) float64 {
	k := l.k
	if k == 4 {
		return l.viterbiEnd4(T, path)
	}
	delta := l.delta
	last := delta[(T-1)*k : T*k]
	best := 0
	for j := 1; j < k; j++ {
		if last[j] > last[best] {
			best = j
		}
	}
	logProb := last[best]
	if path == nil {
		return logProb
	}
	path = path[:T]
	path[T-1] = best
	for t := T - 2; t >= 0; t-- {
		next := path[t+1]
		row := delta[t*k : (t+1)*k]
		arg, m := 0, math.Inf(-1)
		for i := range k {
			if v := row[i] + c.logA[i*k+next]; v >= m {
				arg, m = i, v
			}
		}
		path[t] = arg
	}
	return logProb
}

// viterbi4 is viterbiFeed for K = 4 from frame t0+i0, unrolled. It keeps
// δ of the last frame and stores back-pointers instead of every frame's δ
// (if l.vpath): ptr_t(j) = argmax_i δ_{t−1}(i) + log A_ij with the highest
// index among equal maxima, which is exactly the state the generic
// back-tracking picks (the sums are the same floating-point values).
func (l *lattice) viterbi4(c *chain, t0, i0 int, flp []float64) {
	la := c.logA_T[:16:16]
	p0, p1, p2, p3 := l.vp[0], l.vp[1], l.vp[2], l.vp[3]
	for i := i0; i < len(flp)/4; i++ {
		b := flp[i*4 : i*4+4 : i*4+4]
		t := t0 + i
		if t == 0 {
			p0, p1, p2, p3 = c.logPi[0]+b[0], c.logPi[1]+b[1], c.logPi[2]+b[2], c.logPi[3]+b[3]
			continue
		}
		var cur [4]float64
		var arg [4]uint8
		for j := range 4 {
			col := la[j*4 : j*4+4 : j*4+4]
			a, m := uint8(0), p0+col[0]
			if v := p1 + col[1]; v >= m {
				a, m = 1, v
			}
			if v := p2 + col[2]; v >= m {
				a, m = 2, v
			}
			if v := p3 + col[3]; v >= m {
				a, m = 3, v
			}
			cur[j] = m + b[j]
			arg[j] = a
		}
		if l.vpath {
			copy(l.ptr[t*4:t*4+4], arg[:])
		}
		p0, p1, p2, p3 = cur[0], cur[1], cur[2], cur[3]
	}
	l.vp = [4]float64{p0, p1, p2, p3}
}

// viterbiEnd4 is viterbiEnd for K = 4.
func (l *lattice) viterbiEnd4(T int, path []int) float64 {
	p := l.vp
	best, logProb := 0, p[0]
	for j, v := range p[1:] {
		if v > logProb {
			best, logProb = j+1, v
		}
	}
	if path == nil {
		return logProb
	}
	path = path[:T]
	path[T-1] = best
	for t := T - 1; t > 0; t-- {
		best = int(l.ptr[t*4+best&3])
		path[t-1] = best
	}
	return logProb
}
