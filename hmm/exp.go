package hmm

import "math"

// exp2Table[j] = 2^(j/64).
var exp2Table = func() (t [64]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 64)
	}
	return t
}()

const (
	ln2Hi64 = 6.93147180369123816490e-01 / 64 // high part of ln 2 / 64 (Cody–Waite)
	ln2Lo64 = 1.90821492927058770002e-10 / 64
)

// expNeg returns e^x for x in [−700, 0] — the only range the fast path
// needs — within 5e-16 relative of math.Exp (TestExpNeg), at a fraction of
// its cost: x = (64k + j)·ln2/64 + r with |r| ≤ ln2/128, e^x = 2^k·2^(j/64)·e^r,
// e^r by its degree-5 Taylor polynomial (remainder r⁶/720 < 4e-17); at this
// degree the function is small enough to be inlined.
func expNeg(x float64) float64 {
	// Adding and subtracting 1.5·2^52 rounds to the nearest integer without
	// a call to math.Floor (not inlined for GOAMD64=v1).
	const shifter = 1 << 52 * 1.5
	n := (x*(64/math.Ln2) + shifter) - shifter
	r := (x - n*ln2Hi64) - n*ln2Lo64
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
	const shifter = 1 << 52 * 1.5
	jf := ((f-1)*64 + shifter) - shifter // round((f−1)·64) in [−16, 32]
	j := int(jf) + 16
	r := (f - (1 + jf/64)) * invTable[j] // f − c_j is exact
	p := r * (1 - r*(0.5-r*(1.0/3-r*(0.25-r*(0.2-r*(1.0/6-r*(1.0/7-r*0.125)))))))
	const ln2Hi, ln2Lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
	fe := float64(e)
	return (fe*ln2Hi + logTable[j]) + (p + fe*ln2Lo)
}
