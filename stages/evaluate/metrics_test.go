package evaluate

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestAUC(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pos, neg []float64
		want     float64
	}{
		{"perfect", []float64{5, 6, 7}, []float64{1, 2}, 1},
		{"inverted", []float64{1, 2}, []float64{5, 6, 7}, 0},
		{"all tied", []float64{3, 3}, []float64{3, 3, 3}, 0.5},
		// pairs (3,2) (3,1) (2,2) (2,1) → 1 + 1 + ½ + 1 = 3.5 of 4
		{"one tie", []float64{3, 2}, []float64{2, 1}, 0.875},
		{"no negatives", []float64{1}, nil, math.NaN()},
		{"no positives", nil, []float64{1}, math.NaN()},
	} {
		got := AUC(tc.pos, tc.neg)
		if !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("%s: AUC = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestROC(t *testing.T) {
	got := ROC([]float64{3, 2}, []float64{2, 1})
	want := []Point{{math.Inf(1), 0, 0}, {3, 0, 0.5}, {2, 0.5, 1}, {1, 1, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ROC = %v, want %v", got, want)
	}
	if ROC(nil, []float64{1}) != nil {
		t.Error("ROC without positives is not nil")
	}
	// The trapezoid area under the curve equals the Mann–Whitney AUC.
	pos, neg := []float64{0.9, 0.8, 0.8, 0.3, 0.1}, []float64{0.8, 0.5, 0.3, 0.2}
	pts := ROC(pos, neg)
	area := 0.0
	for i := 1; i < len(pts); i++ {
		area += (pts[i].FPR - pts[i-1].FPR) * (pts[i].TPR + pts[i-1].TPR) / 2
	}
	if math.Abs(area-AUC(pos, neg)) > 1e-12 {
		t.Errorf("trapezoid area %v, AUC %v", area, AUC(pos, neg))
	}
}

func TestMarginTPR(t *testing.T) {
	for _, tc := range []struct {
		pos, neg    []float64
		margin, tpr float64
	}{
		{[]float64{3, 2}, []float64{2, 1}, 0, 0.5},
		{[]float64{10, 5}, []float64{2, 1}, 3, 1},
		{[]float64{1, 5}, []float64{2, 6}, -5, 0},
	} {
		if got := Margin(tc.pos, tc.neg); got != tc.margin {
			t.Errorf("Margin(%v, %v) = %v, want %v", tc.pos, tc.neg, got, tc.margin)
		}
		if got := TPRAtFPR0(tc.pos, tc.neg); got != tc.tpr {
			t.Errorf("TPRAtFPR0(%v, %v) = %v, want %v", tc.pos, tc.neg, got, tc.tpr)
		}
	}
	if !math.IsNaN(Margin(nil, []float64{1})) || !math.IsNaN(TPRAtFPR0([]float64{1}, nil)) {
		t.Error("undefined margin or TPR is not NaN")
	}
}

// Downsample keeps the low-FPR end of a long curve: of 100,000 points
// whose first 2,000 are below FPR 0.01 it keeps hundreds of them and the
// last point at FPR 0, where thinning evenly by index kept about 20 and
// lost the FPR 0 point (the window ROC of the default experiment went
// from (0, 0) straight to (0.124, 0.498)).
func TestDownsampleKeepsLowFPR(t *testing.T) {
	const m, n = 100_000, 1000
	pts := make([]Point, m)
	lastZero := 37
	for i := range pts {
		var f float64
		switch {
		case i <= lastZero:
			f = 0
		case i < 2000:
			f = 0.01 * float64(i-lastZero) / 2000
		default:
			f = 0.01 + 0.99*float64(i-2000)/float64(m-2001)
		}
		pts[i] = Point{Threshold: float64(-i), FPR: f, TPR: math.Min(1, 0.5+float64(i)/m)}
	}
	got := Downsample(pts, n)
	if len(got) != n {
		t.Fatalf("%d points, want %d", len(got), n)
	}
	low := 0
	keptZero := false
	for i, p := range got {
		if p.FPR > 0 && p.FPR < 0.001 {
			low++
		}
		if p == pts[lastZero] {
			keptZero = true
		}
		if i > 0 && p.Threshold >= got[i-1].Threshold {
			t.Fatalf("points %d and %d out of order", i-1, i)
		}
	}
	if low < 100 {
		t.Errorf("%d points with 0 < FPR < 0.001 kept, want ≥ 100 (the low end dropped)", low)
	}
	if !keptZero {
		t.Error("the last point at FPR 0 (most true positives without a false one) was dropped")
	}
	if got[0] != pts[0] || got[n-1] != pts[m-1] {
		t.Error("first or last point dropped")
	}
	if short := pts[:10]; len(Downsample(short, n)) != 10 {
		t.Error("short curve changed")
	}
}

// ThinROC keeps exactly n points, in order, whatever the curve's shape:
// all at FPR 0 (no low end), all above LowFPR, all in the low end, and at
// the smallest budgets.
func TestThinROCShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		fpr  func(i, m int) float64
	}{
		{"all zero", func(i, m int) float64 { return 0 }},
		{"all high", func(i, m int) float64 { return 0.5 + 0.5*float64(i)/float64(m-1) }},
		{"all low", func(i, m int) float64 { return 0.009 * float64(i+1) / float64(m) }},
		{"one step", func(i, m int) float64 { return float64(i / (m - 1)) }},
	} {
		for _, m := range []int{5, 11, 5000} {
			for _, n := range []int{4, 5, 7, 10, 1000} {
				fpr := make([]float64, m)
				for i := range fpr {
					fpr[i] = tc.fpr(i, m)
				}
				idx := ThinROC(fpr, n)
				if want := min(m, n); len(idx) != want {
					t.Fatalf("%s, m=%d n=%d: %d points, want %d", tc.name, m, n, len(idx), want)
				}
				for k := 1; k < len(idx); k++ {
					if idx[k] <= idx[k-1] {
						t.Fatalf("%s, m=%d n=%d: indices %v not increasing", tc.name, m, n, idx)
					}
				}
				if idx[0] != 0 || idx[len(idx)-1] != m-1 {
					t.Errorf("%s, m=%d n=%d: ends %d, %d dropped", tc.name, m, n, idx[0], idx[len(idx)-1])
				}
			}
		}
	}
}

func TestSpearman(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, y []float64
		want float64
	}{
		{"monotone", []float64{1, 2, 3, 4}, []float64{10, 20, 25, 1000}, 1},
		{"reversed", []float64{1, 2, 3}, []float64{3, 2, 1}, -1},
		// Wikipedia, "Spearman's rank correlation coefficient", worked
		// example (IQ vs hours of TV): ρ = −29/165.
		{"wikipedia", []float64{106, 100, 86, 101, 99, 103, 97, 113, 112, 110},
			[]float64{7, 27, 2, 50, 28, 29, 20, 12, 6, 17}, -29.0 / 165},
		// By hand: ranks x = 1 2.5 2.5 4, y = 1 2 3 4; ρ = 4.5/√(4.5·5) = 3/√10.
		{"ties", []float64{1, 2, 2, 3}, []float64{1, 2, 3, 4}, 3 / math.Sqrt(10)},
		{"constant", []float64{1, 1, 1}, []float64{1, 2, 3}, math.NaN()},
		{"one value", []float64{1}, []float64{1}, math.NaN()},
	} {
		got := Spearman(tc.x, tc.y)
		if !(math.Abs(got-tc.want) < 1e-12 || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("%s: Spearman = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// AUC counts pairs on sorted scores; it must equal the rank-sum formula bit
// for bit, ties included.
func TestAUCRankSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 200 {
		np, nn := 1+rng.IntN(300), 1+rng.IntN(300)
		levels := 1 + rng.IntN(50) // few levels: many ties
		draw := func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = float64(rng.IntN(levels)) * 0.37
			}
			return x
		}
		pos, neg := draw(np), draw(nn)
		r, _ := Ranks(append(slices.Clone(pos), neg...))
		sum := 0.0
		for _, v := range r[:np] {
			sum += v
		}
		want := (sum - float64(np)*float64(np+1)/2) / (float64(np) * float64(nn))
		if got := AUC(pos, neg); got != want {
			t.Fatalf("trial %d: AUC %v, rank-sum %v", trial, got, want)
		}
		if got, roc := aucROC(slices.Clone(pos), slices.Clone(neg)); got != want || !slices.Equal(roc, ROC(pos, neg)) {
			t.Fatalf("trial %d: aucROC %v", trial, got)
		}
	}
}

// TestSnapTies: window scores that differ only in their last bits are
// ties, so a rounding change cannot move the window AUC; values further
// apart than TieTol keep their order.
func TestSnapTies(t *testing.T) {
	ulp := math.Nextafter(61.5, 62) - 61.5
	pos := []float64{61.5 + 3*ulp, 70, 61.5 + 4*ulp}
	neg := []float64{61.5, 50, 61.5 + ulp}
	auc, _ := aucROC(slices.Clone(pos), slices.Clone(neg))
	// Pairs: 70 beats all 3 negatives; the four near-61.5 pairs are ties
	// (plain AUC: wins, so 1), and the two positives beat 50: (3 + 2 + 4/2) / 9.
	if want := 7.0 / 9; auc != want {
		t.Errorf("AUC with last-bit differences = %v, want %v", auc, want)
	}
	if plain := AUC(pos, neg); plain == auc {
		t.Errorf("AUC without snapping = %v, the test does not cover the difference", plain)
	}
	// 1e-9 apart is a real difference.
	auc, _ = aucROC([]float64{61.5 + 61.5e-9}, []float64{61.5})
	if auc != 1 {
		t.Errorf("AUC of scores 1e-9 apart = %v, want 1", auc)
	}
	// A group spans at most TieTol: a chain of steps just under it does
	// not merge values far apart.
	step := 0.9e-12 * 100
	p := []float64{100 + 2*step}
	n := []float64{100, 100 + step}
	snapSorted(p, n, TieTol)
	if n[1] != 100 || p[0] == 100 {
		t.Errorf("snapped to %v, %v; want the second negative tied to the first and the positive apart", n, p)
	}
}

// A window of probability 0 (score -Inf) ties only with another -Inf:
// before, every finite score snapped to a -Inf group's value, so one such
// window made every window tie (auc_window 0.5, a ROC of two points) —
// what a categorical model without an emission prior showed. By hand:
// pos {-Inf, 5, 6} vs neg {-Inf, 1, 2}: -Inf ties -Inf (½) and loses to
// 1 and 2; 5 and 6 beat all three: (½ + 3 + 3) / 9.
func TestSnapTiesInfinite(t *testing.T) {
	inf := math.Inf(-1)
	pos, neg := []float64{5, inf, 6}, []float64{2, inf, 1}
	auc, roc := aucROC(slices.Clone(pos), slices.Clone(neg))
	if want := 6.5 / 9; math.Abs(auc-want) > 1e-15 {
		t.Errorf("AUC = %v, want %v", auc, want)
	}
	if want := AUC(pos, neg); auc != want {
		t.Errorf("aucROC %v differs from AUC %v on scores far apart", auc, want)
	}
	if len(roc) != 6 { // (+Inf, 0, 0), then 6, 5, 2, 1, -Inf
		t.Errorf("ROC %v: %d points, want 6", roc, len(roc))
	}
	p, n := []float64{inf, inf, 3}, []float64{inf, math.Inf(1)}
	snapSorted(p, n, TieTol)
	if p[2] != 3 || !math.IsInf(n[1], 1) {
		t.Errorf("snapped to %v, %v: finite or +Inf values joined a -Inf group", p, n)
	}
}

// Ranks by hand: 3, 1, 3, 2, 3 → 1 has rank 1, 2 rank 2, the three 3s
// share (3+4+5)/3 = 4; ties Σ(t³−t) = 27 − 3 = 24.
func TestRanks(t *testing.T) {
	r, ties := Ranks([]float64{3, 1, 3, 2, 3})
	if !slices.Equal(r, []float64{4, 1, 4, 2, 4}) || ties != 24 {
		t.Errorf("Ranks = %v, %v", r, ties)
	}
}
