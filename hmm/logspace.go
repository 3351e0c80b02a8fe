package hmm

import "math"

// The log-space recursions: hmmlearn's log implementation, and the last
// rung of the ladder (work.pass), which never declines.
//
// hmmlearn spends K² exp/log per frame. These recursions factor the
// frame's maximum out of each sum instead: with m = max_i log α_{t−1}(i),
// log α_t(j) = m + log Σ_i exp(log α_{t−1}(i) − m)·A_ij + b_t(j), K exps and
// K logs per frame, and they keep the exponentiated lattices so that the
// posteriors need no exp at all. A sum below tiny, whose terms exp may
// have flushed to zero, is recomputed with an exact log-sum-exp.

// tiny is the smallest sum of products the recursions trust. Below it
// terms lost to underflow (each < 1e-308) could matter.
const tiny = 1e-290

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

// forwardLog fills w.logAlpha with log α_t normalised to a maximum of 0,
// w.alphaOff with the offsets C_t (log α_t = logAlpha_t + C_t), w.alphaStep
// with M_t = C_t − C_{t−1} and w.alphaExp with exp(logAlpha_t), and returns
// log P; frames, if not nil, receives the increments LSE(α_t) −
// LSE(α_{t−1}), −∞ from the first row after which the sequence has zero
// probability. A normalised frame is a function of the one before and b_t,
// so in runs of identical rows frames repeat with period 1 or 2 and are
// copied, bit for bit what the recursion would give.
func (w *work) forwardLog(c *chain, T int, frames []float64) float64 {
	k := w.k
	ensure(T*k, &w.logAlpha, &w.alphaExp)
	ensure(T, &w.alphaOff, &w.alphaStep)
	la, ea, b := w.logAlpha, w.alphaExp, w.logEm
	for t := range T {
		cur, bt := la[t*k:(t+1)*k], b[t*k:(t+1)*k]
		if src := repeatsAt(b, la, k, T, t, -1); src >= 0 {
			copyK(cur, la[src*k:(src+1)*k])
			copyK(ea[t*k:(t+1)*k], ea[src*k:(src+1)*k])
			w.alphaStep[t] = w.alphaStep[src]
			w.alphaOff[t] = w.alphaOff[t-1] + w.alphaStep[t]
			continue
		}
		if t == 0 {
			for j := range k {
				cur[j] = c.logPi[j] + bt[j]
			}
		} else {
			prev, e := la[(t-1)*k:t*k], ea[(t-1)*k:t*k]
			for j := range k {
				col := c.aT[j*k : (j+1)*k]
				s := 0.0
				for i, ei := range e {
					s += ei * col[i]
				}
				if s >= tiny {
					cur[j] = logFast(s) + bt[j]
					continue
				}
				lcol := c.logAT[j*k : (j+1)*k]
				for i, x := range prev {
					w.tmp[i] = x + lcol[i]
				}
				cur[j] = logSumExp(w.tmp) + bt[j]
			}
		}
		m := maxOf(cur)
		off := m
		if t > 0 {
			off += w.alphaOff[t-1]
		}
		w.alphaStep[t], w.alphaOff[t] = m, off
		e := ea[t*k : (t+1)*k]
		if math.IsInf(off, -1) {
			for j := range k {
				cur[j], e[j] = math.Inf(-1), 0
			}
			continue
		}
		for j := range k {
			cur[j] -= m
			e[j] = expLog(cur[j])
		}
	}
	logP := w.alphaOff[T-1]
	if !math.IsInf(logP, 0) {
		logP += logFast(sum64(ea[(T-1)*k : T*k]))
	}
	if frames != nil {
		prev := 0.0 // LSE of the normalised frame t−1
		for t := range T {
			if t > 0 && math.IsInf(w.alphaOff[t-1], -1) {
				frames[t] = math.Inf(-1)
				continue
			}
			cur := logFast(sum64(ea[t*k : (t+1)*k]))
			frames[t], prev = w.alphaStep[t]+cur-prev, cur
		}
	}
	return logP
}

// backwardLog fills w.logBeta with log β_t normalised to a maximum of 0,
// w.betaOff with its offsets, w.betaStep with their steps, w.nextExp_{t+1}
// with exp(b_{t+1} + logBeta_{t+1} − m_t), m_t its maximum, and w.betaExp_t
// with Σ_j A_ij·nextExp_{t+1}(j) = exp(logBeta_t + step − m_t); frames repeat
// and are copied like forwardLog's.
func (w *work) backwardLog(c *chain, T int) {
	k := w.k
	ensure(T*k, &w.logBeta, &w.betaExp, &w.nextExp)
	ensure(T, &w.betaOff, &w.betaStep)
	lb, b := w.logBeta, w.logEm
	clear(lb[(T-1)*k : T*k])
	w.betaOff[T-1], w.betaStep[T-1] = 0, 0
	for t := T - 2; t >= 0; t-- {
		bt := b[(t+1)*k : (t+2)*k]
		next, cur := lb[(t+1)*k:(t+2)*k], lb[t*k:(t+1)*k]
		e, be := w.nextExp[(t+1)*k:(t+2)*k], w.betaExp[t*k:(t+1)*k]
		// Frame T−1 is not a source: betaExp has no frame T−1.
		if src := repeatsAt(b, lb, k, T-1, t, 1); src >= 0 {
			copyK(cur, lb[src*k:(src+1)*k])
			copyK(be, w.betaExp[src*k:(src+1)*k])
			copyK(e, w.nextExp[(src+1)*k:(src+2)*k])
			w.betaStep[t] = w.betaStep[src]
			w.betaOff[t] = w.betaOff[t+1] + w.betaStep[t]
			continue
		}
		m := math.Inf(-1)
		for j := range k {
			if v := bt[j] + next[j]; v > m {
				m = v
			}
		}
		if math.IsInf(m, -1) {
			for j := range k {
				e[j], cur[j], be[j] = 0, m, 0
			}
			w.betaStep[t], w.betaOff[t] = m, m
			continue
		}
		for j := range k {
			e[j] = expLog(bt[j] + next[j] - m)
		}
		for i := range k {
			row := c.a[i*k : (i+1)*k]
			s := 0.0
			for j, ej := range e {
				s += row[j] * ej
			}
			if s >= tiny {
				cur[i], be[i] = m+logFast(s), s
				continue
			}
			lrow := c.logA[i*k : (i+1)*k]
			for j := range k {
				w.tmp[j] = lrow[j] + bt[j] + next[j]
			}
			cur[i] = logSumExp(w.tmp)
			be[i] = expLog(cur[i] - m)
		}
		n := maxOf(cur)
		for i := range k {
			cur[i] -= n
		}
		w.betaStep[t], w.betaOff[t] = n, w.betaOff[t+1]+n
	}
}

// posteriorsLog fills w.gamma and, if xi, adds Σ_t ξ_t to w.xi, from the
// exponentiated lattices: γ_t(i) ∝ alphaExp_t(i)·betaExp_t(i) and
// ξ_t(i,j) = alphaExp_t(i)·A_ij·nextExp_{t+1}(j) / Z_t with
// Z_t = Σ_i alphaExp_t(i)·betaExp_t(i). A frame whose Z_t is below tiny
// takes the exact log form.
func (w *work) posteriorsLog(c *chain, T int, logP float64, xi bool) {
	k := w.k
	ensure(T*k, &w.gamma)
	for t := range T {
		g, f := w.gamma[t*k:(t+1)*k], w.alphaExp[t*k:(t+1)*k]
		if t == T-1 {
			z := sum64(f)
			if z < tiny {
				w.exactGamma(t)
				break
			}
			for i := range k {
				g[i] = f[i] / z
			}
			break
		}
		be, ne := w.betaExp[t*k:(t+1)*k], w.nextExp[(t+1)*k:(t+2)*k]
		z := 0.0
		for i := range k {
			z += f[i] * be[i]
		}
		if z < tiny {
			w.exactGamma(t)
			if xi {
				w.exactXi(c, t, logP)
			}
			continue
		}
		inv := 1 / z
		for i := range k {
			g[i] = f[i] * be[i] * inv
		}
		if xi {
			w.addXi(c, f, ne, inv)
		}
	}
}

func (w *work) exactGamma(t int) {
	k := w.k
	g := w.gamma[t*k : (t+1)*k]
	for i := range k {
		g[i] = w.logAlpha[t*k+i] + w.logBeta[t*k+i]
	}
	// Normalised by a division, not by subtracting the log-sum: log α + log
	// β can be ~1e6, where a log-sum carries 1e-9 of rounding, and the row
	// would not sum to 1.
	m := maxOf(g)
	s := 0.0
	for i := range k {
		g[i] = expLog(g[i] - m)
		s += g[i]
	}
	for i := range k {
		g[i] /= s
	}
}

func (w *work) exactXi(c *chain, t int, logP float64) {
	k := w.k
	off := w.alphaOff[t] + w.betaOff[t+1] - logP
	for i := range k {
		ai := w.logAlpha[t*k+i] + off
		for j := range k {
			v := ai + c.logA[i*k+j] + w.logEm[(t+1)*k+j] + w.logBeta[(t+1)*k+j]
			w.xi[i*k+j] += math.Exp(v)
		}
	}
}

// copyK is copy for a frame of K values, where a loop beats memmove.
func copyK(dst, src []float64) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v
	}
}

// exp2Table[j] = 2^(j/64).
var exp2Table = func() (t [64]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 64)
	}
	return t
}()

const (
	ln2Hi   = 6.93147180369123816490e-01 // ln 2 = ln2Hi + ln2Lo (Cody–Waite)
	ln2Lo   = 1.90821492927058770002e-10
	shifter = 1 << 52 * 1.5 // (x + shifter) − shifter rounds x to an integer
)

// expNeg returns e^x for x in [−700, 0] — the only range the fast path
// needs — within 5e-16 relative of math.Exp (TestExpNeg), at a fraction of
// its cost: x = (64k + j)·ln2/64 + r with |r| ≤ ln2/128, e^x = 2^k·2^(j/64)·e^r,
// e^r by its degree-5 Taylor polynomial (remainder r⁶/720 < 4e-17); at this
// degree the function is small enough to be inlined.
func expNeg(x float64) float64 {
	// shifter rounds without a call to math.Floor (not inlined for GOAMD64=v1).
	n := (x*(64/math.Ln2) + shifter) - shifter
	r := (x - n*(ln2Hi/64)) - n*(ln2Lo/64)
	ni := int64(n)
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120)))))
	return math.Float64frombits(math.Float64bits(exp2Table[ni&63]*p) + uint64(ni>>6)<<52)
}

// expLog is math.Exp for the log-space recursions, whose arguments are
// differences to a maximum (≤ 0): expNeg on [−700, 0], math.Exp elsewhere,
// so that a result is subnormal or 0 exactly when math.Exp's is (below
// −746, e^x is under half the smallest subnormal and rounds to 0).
func expLog(x float64) float64 {
	if x >= emitFloor && x <= 0 {
		return expNeg(x)
	}
	if x < -746 {
		return 0
	}
	return math.Exp(x)
}

// logTable[j+16] = log(1 + j/64) for j in [−16, 32]; invTable the
// reciprocals 1/(1 + j/64), rounded.
var logTable, invTable = func() (l, inv [49]float64) {
	for j := range l {
		c := 1 + float64(j-16)/64
		l[j], inv[j] = math.Log(c), 1/c
	}
	return l, inv
}()

// logFast is math.Log for the log-space recursions, within 2 ulp
// (TestLogFast): x = 2^e·f with f in [0.75, 1.5), f = c_j·(1 + r) with
// c_j = 1 + j/64 and |r| < 1/96, log x = e·ln 2 + log c_j + log1p(r), log1p
// by its degree-8 Taylor polynomial (remainder < r⁹/9 < 1e-18·|r|). Inputs
// outside the normal range go to math.Log.
func logFast(x float64) float64 {
	if !(x >= normalMin && x <= math.MaxFloat64) {
		return math.Log(x)
	}
	bits := math.Float64bits(x)
	e := int(bits>>52) - 1023
	f := math.Float64frombits(bits&(1<<52-1) | 1023<<52) // [1, 2)
	if f >= 1.5 {
		f *= 0.5
		e++
	}
	jf := ((f-1)*64 + shifter) - shifter // round((f−1)·64) in [−16, 32]
	j := int(jf) + 16
	r := (f - (1 + jf/64)) * invTable[j] // f − c_j is exact
	p := r * (1 - r*(0.5-r*(1.0/3-r*(0.25-r*(0.2-r*(1.0/6-r*(1.0/7-r*0.125)))))))
	fe := float64(e)
	return (fe*ln2Hi + logTable[j]) + (p + fe*ln2Lo)
}
