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
// so that a result is subnormal or 0 exactly when math.Exp's is.
func expLog(x float64) float64 {
	if x >= emitFloor && x <= 0 {
		return expNeg(x)
	}
	return math.Exp(x)
}
