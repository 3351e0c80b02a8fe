package evaluate

import (
	"math"
	"testing"
)

// Hand-computed: infected scores {-10, -20, -30}, normal {-25, -40, -50},
// profile -12.
func TestDecisionRules(t *testing.T) {
	pos, neg := []float64{-10, -20, -30}, []float64{-25, -40, -50}
	for _, tc := range []struct {
		d              Decision
		threshold      float64
		tp, fp, tn, fn int
		precision, f1  float64
	}{
		// score >= -22: TP -10,-20; FN -30; TN all normals.
		{Decision{"fixed", -22}, -22, 2, 0, 3, 1, 1, 0.8},
		// -12 - 1·12 = -24: TP -10,-20; FN -30; FP none (-25 < -24).
		{Decision{"relative", 1}, -24, 2, 0, 3, 1, 1, 0.8},
		// -12 - 2.5·12 = -42: TP 3; FP -25,-40.
		{Decision{"relative", 2.5}, -42, 3, 2, 1, 0, 0.6, 0.75},
		// FPR 0: just above the highest normal (-25): TP -10,-20.
		{Decision{"fpr", 0}, math.Nextafter(-25, 0), 2, 0, 3, 1, 1, 0.8},
		// FPR 1/3 (one false positive): just above -40: TP 3, FP 1.
		{Decision{"fpr", 1.0 / 3}, math.Nextafter(-40, 0), 3, 1, 2, 0, 0.75, 2 * 0.75 / 1.75},
		// FPR 1: everything called infected.
		{Decision{"fpr", 1}, -50, 3, 3, 0, 0, 0.5, 2 * 0.5 / 1.5},
	} {
		th := tc.d.Threshold(pos, neg, -12)
		c := Decide(pos, neg, th)
		m := c.Metrics()
		if th != tc.threshold || c.TP != tc.tp || c.FP != tc.fp || c.TN != tc.tn || c.FN != tc.fn ||
			math.Abs(m["precision"]-tc.precision) > 1e-12 || math.Abs(m["f1"]-tc.f1) > 1e-12 {
			t.Errorf("%+v: threshold %v, %+v, metrics %v", tc.d, th, c, m)
		}
		if want := float64(tc.tp+tc.tn) / 6; m["accuracy"] != want {
			t.Errorf("%+v: accuracy %v, want %v", tc.d, m["accuracy"], want)
		}
	}
	if m := Decide(nil, []float64{1}, 5).Metrics(); !math.IsNaN(m["precision"]) || !math.IsNaN(m["recall"]) || !math.IsNaN(m["f1"]) || m["accuracy"] != 1 {
		t.Errorf("no positives: %v", m)
	}
	for _, bad := range []Decision{{"fpr", 1.5}, {"fpr", -0.1}, {"relative", -1}, {"fixed", math.NaN()}, {"median", 0}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
