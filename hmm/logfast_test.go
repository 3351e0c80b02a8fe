package hmm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLogFast compares logFast with math.Log over the whole float range,
// near 1 and on the special values.
func TestLogFast(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	check := func(x float64) {
		got, want := logFast(x), math.Log(x)
		if math.IsNaN(want) || math.IsInf(want, 0) {
			if !(got == want || (math.IsNaN(got) && math.IsNaN(want))) {
				t.Errorf("logFast(%v) = %v, want %v", x, got, want)
			}
			return
		}
		ulp := math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want)
		if d := math.Abs(got-want) / ulp; d > worst {
			worst = d
			if d > 2 {
				t.Errorf("logFast(%v) = %v, math.Log %v (%.1f ulp)", x, got, want, d)
			}
		}
	}
	for range 200000 {
		check(math.Float64frombits(r.Uint64() &^ (1 << 63)))
		check(1 + (r.Float64()-0.5)*1e-3)
		check(r.Float64() * 4)
	}
	for _, x := range []float64{0, -1, math.Inf(1), math.NaN(), 5e-324, normalMin, 1, 2, 0.5, 0.75, 1.5, math.MaxFloat64} {
		check(x)
	}
	t.Logf("worst error %.2f ulp", worst)
}

// TestExpLog checks that expLog is 0 or subnormal exactly where math.Exp is.
func TestExpLog(t *testing.T) {
	for x := -760.0; x <= 0; x += 1.0 / 1024 {
		got, want := expLog(x), math.Exp(x)
		if (got == 0) != (want == 0) || (got < normalMin) != (want < normalMin) {
			t.Fatalf("expLog(%v) = %v, math.Exp %v", x, got, want)
		}
	}
	for _, x := range []float64{math.Inf(-1), math.NaN(), 1} {
		if got, want := expLog(x), math.Exp(x); got != want && !math.IsNaN(want) {
			t.Errorf("expLog(%v) = %v, want %v", x, got, want)
		}
	}
}
