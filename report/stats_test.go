package report

import (
	"math"
	"testing"
)

func TestMedianQuantile(t *testing.T) {
	for _, c := range []struct {
		xs      []float64
		q, want float64
	}{
		{[]float64{3, 1, 2}, 0.5, 2},
		{[]float64{4, 1, 3, 2}, 0.5, 2.5},
		// numpy.percentile([1, 2, 3, 4], 25) == 1.75 (linear interpolation, type 7).
		{[]float64{1, 2, 3, 4}, 0.25, 1.75},
		{[]float64{1, 2, 3, 4}, 1, 4},
		{[]float64{7}, 0.75, 7},
	} {
		if got := Quantile(c.xs, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Quantile(%v, %v) = %v, want %v", c.xs, c.q, got, c.want)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}

func TestMedianCI(t *testing.T) {
	seq := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(n - i) // reversed: MedianCI must sort
		}
		return xs
	}
	// Order-statistic intervals for the median at 95 %, as tabulated e.g. in
	// Conover, Practical Nonparametric Statistics (3rd ed.), Table A3, and
	// checked by hand from Binomial(n, ½): n = 6: P(B ≤ 0) = 1/64, coverage
	// of [x1, x6] 0.969; n = 10: P(B ≤ 1) = 11/1024 → [x2, x9] covers 0.979,
	// [x3, x8] only 0.891; n = 20: P(B ≤ 5) = 0.0207 → [x6, x15].
	for _, c := range []struct {
		n      int
		lo, hi float64
		ok     bool
	}{
		{5, 1, 5, false}, // [x1, x5] covers 1 − 2/32 = 0.9375 < 0.95
		{6, 1, 6, true},
		{10, 2, 9, true},
		{20, 6, 15, true},
		{1, 1, 1, false},
	} {
		lo, hi, ok := MedianCI(seq(c.n), 0.95)
		if lo != c.lo || hi != c.hi || ok != c.ok {
			t.Errorf("n=%d: MedianCI = [%v, %v] ok=%v, want [%v, %v] ok=%v", c.n, lo, hi, ok, c.lo, c.hi, c.ok)
		}
	}
}

func TestMannWhitneyU(t *testing.T) {
	for _, c := range []struct {
		name   string
		xs, ys []float64
		u, p   float64
		exact  bool
		tol    float64
	}{
		// scipy.stats.mannwhitneyu documentation example (males vs females):
		// MannwhitneyuResult(statistic=17.0, pvalue=0.1111111111111111).
		{"scipy-doc", []float64{19, 22, 16, 29, 24}, []float64{20, 11, 17, 12}, 17, 0.1111111111111111, true, 1e-12},
		// Complete separation, by hand: only 2 of C(6,3) = 20 arrangements are as extreme.
		{"separated-3", []float64{1, 2, 3}, []float64{4, 5, 6}, 0, 0.1, true, 1e-12},
		// benchstat's familiar "p=0.008 n=5": 2 / C(10,5) = 2/252.
		{"separated-5", []float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 25, 2.0 / 252, true, 1e-12},
		// Ties, small samples: the permutation distribution of the mid-ranks. By hand:
		// mid-ranks 1.5 1.5 3.5 | 3.5 5.5 5.5, U1 = 6.5 − 6 = 0.5; rank sum 6.5, mean 10.5;
		// of the C(6,3) = 20 splits, those with a sum ≤ 6.5 ({1.5, 1.5, 3.5}: 2) or ≥ 14.5
		// ({5.5, 5.5, 3.5}: 2) are as extreme: p = 4/20. (The normal approximation, scipy's
		// default here: 0.110149.)
		{"ties", []float64{1, 1, 2}, []float64{2, 3, 3}, 0.5, 0.2, true, 1e-12},
		{"all-tied", []float64{1, 1, 1}, []float64{1, 1, 1}, 4.5, 1, true, 0},
		// One seed against ten equal ones: the single value is one of 11, so at best
		// 1 in 11 splits is as extreme (the normal approximation said 0.0044).
		{"one-vs-ten-tied", []float64{0.5}, []float64{0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9}, 0, 1.0 / 11, true, 1e-12},
		// Ties within each side, the sides apart: mid-ranks 1.5 1.5 3 4 | 5 6 7.5 7.5, rank
		// sum 10 against a mean of 18; of C(8,4) = 70 splits only this one (sum 10) and its
		// mirror (sum 26) are as extreme: p = 2/70, as without ties.
		{"ties-separated", []float64{1, 1, 2, 3}, []float64{7, 8, 9, 9}, 0, 2.0 / 70, true, 1e-12},
	} {
		got := MannWhitneyU(c.xs, c.ys)
		if got.U != c.u || math.Abs(got.P-c.p) > c.tol || got.Exact != c.exact {
			t.Errorf("%s: got %+v, want U=%v P=%v exact=%v", c.name, got, c.u, c.p, c.exact)
		}
	}
	// scipy.stats.mannwhitneyu(males, females, method="asymptotic") documentation
	// example: pvalue=0.11134688653314041.
	if p := normalP(17, 5, 4, 0); math.Abs(p-0.11134688653314041) > 1e-12 {
		t.Errorf("normalP = %v, want 0.11134688653314041", p)
	}
	// Beyond tiedExactCost, ties get the normal approximation.
	var big, big2 []float64
	for i := range 60 {
		big = append(big, float64(i/3))
		big2 = append(big2, float64(i/3)+0.5)
	}
	if got := MannWhitneyU(big, big2); got.Exact || math.IsNaN(got.P) {
		t.Errorf("60+60 tied values: %+v, want the normal approximation", got)
	}
	if p := MannWhitneyU(nil, []float64{1}).P; !math.IsNaN(p) {
		t.Errorf("empty sample: P = %v, want NaN", p)
	}
}

// Infinite values (a zero-probability host's -Inf score) never turn a
// median into NaN unless it is truly undefined (between -Inf and +Inf).
func TestQuantileInfinite(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{-inf, -inf, 1}, -inf},
		{[]float64{-inf, -inf}, -inf},
		{[]float64{-inf, 1}, -inf}, // numpy.median([-inf, 1]) == -inf
		{[]float64{1, inf}, inf},
		{[]float64{-inf, 1, 2}, 1},
		{[]float64{-inf, 1, 2, 3}, 1.5},
		{[]float64{-inf, inf}, math.NaN()},
	} {
		got := Median(c.xs)
		if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("Median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}

// The smallest p the test can give, and benchstat's "need >= 4 samples
// to detect a difference at alpha level 0.05": 2/C(6,3) = 0.1, 2/C(8,4) =
// 2/70 = 0.0286, 2/C(10,5) = 2/252 = 0.0079.
func TestMinMannWhitneyP(t *testing.T) {
	for _, c := range []struct {
		n, m int
		want float64
	}{
		{1, 1, 1}, {0, 5, 1}, {2, 2, 2.0 / 6}, {3, 3, 0.1}, {4, 4, 2.0 / 70}, {5, 5, 2.0 / 252}, {6, 6, 2.0 / 924}, {3, 5, 2.0 / 56},
	} {
		if got := MinMannWhitneyP(c.n, c.m); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("MinMannWhitneyP(%d, %d) = %v, want %v", c.n, c.m, got, c.want)
		}
		// It is what MannWhitneyU gives for separated samples.
		if c.n > 0 && c.m > 0 {
			xs, ys := make([]float64, c.n), make([]float64, c.m)
			for i := range xs {
				xs[i] = float64(i)
			}
			for i := range ys {
				ys[i] = float64(100 + i)
			}
			if p := MannWhitneyU(xs, ys).P; math.Abs(p-c.want) > 1e-12 {
				t.Errorf("separated %d+%d: MannWhitneyU P = %v, MinMannWhitneyP %v", c.n, c.m, p, c.want)
			}
		}
	}
	for _, c := range []struct {
		alpha float64
		want  int
	}{{0.05, 4}, {0.1, 4}, {0.01, 5}, {0.2, 3}} {
		if got := minTestSamples(c.alpha); got != c.want {
			t.Errorf("minTestSamples(%v) = %d, want %d", c.alpha, got, c.want)
		}
	}
}
