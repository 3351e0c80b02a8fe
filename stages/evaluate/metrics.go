package evaluate

import (
	"cmp"
	"math"
	"slices"
)

// Point is one point of a ROC curve: flagging scores ≥ Threshold as
// infected gives the false and true positive rates FPR and TPR.
type Point struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// ROC returns the ROC curve of positive scores pos against negative scores
// neg, higher scores meaning more positive: a first point (+Inf, 0, 0), then
// one point per distinct score in decreasing order. It returns nil when pos
// or neg is empty. NaN scores must be removed by the caller.
func ROC(pos, neg []float64) []Point {
	if len(pos) == 0 || len(neg) == 0 {
		return nil
	}
	p, n := slices.Clone(pos), slices.Clone(neg)
	slices.Sort(p)
	slices.Sort(n)
	return rocSorted(p, n)
}

// rocSorted is ROC of sorted, non-empty p and n.
func rocSorted(p, n []float64) []Point {
	pts := []Point{{Threshold: math.Inf(1)}}
	i, j := len(p), len(n) // p[i:] and n[j:] are ≥ the current threshold
	for i > 0 || j > 0 {
		t := math.Inf(-1)
		if i > 0 {
			t = p[i-1]
		}
		if j > 0 {
			t = max(t, n[j-1])
		}
		for i > 0 && p[i-1] >= t {
			i--
		}
		for j > 0 && n[j-1] >= t {
			j--
		}
		pts = append(pts, Point{Threshold: t, FPR: float64(len(n)-j) / float64(len(n)), TPR: float64(len(p)-i) / float64(len(p))})
	}
	return pts
}

// AUC returns the area under the ROC curve of pos against neg in its
// Mann–Whitney form: the fraction of (positive, negative) pairs in which the
// positive scores higher, ties counting 1/2. It is NaN when pos or neg is
// empty.
func AUC(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	p, n := slices.Clone(pos), slices.Clone(neg)
	slices.Sort(p)
	slices.Sort(n)
	return aucSorted(p, n)
}

// aucSorted is AUC of sorted, non-empty p and n. It counts the pairs in
// integers (twice U, ties counting 1), so the one rounding is the final
// division: the value is the rank-sum formula's, bit for bit.
func aucSorted(p, n []float64) float64 {
	var u2 int64
	lo, hi := 0, 0 // n[:lo] < v, n[:hi] ≤ v
	for _, v := range p {
		for lo < len(n) && n[lo] < v {
			lo++
		}
		hi = max(hi, lo)
		for hi < len(n) && n[hi] <= v {
			hi++
		}
		u2 += int64(lo) + int64(hi)
	}
	np, nn := float64(len(p)), float64(len(n))
	return float64(u2) / 2 / (np * nn)
}

// TieTol is the relative difference below which window scores count as
// tied. Window scores come in large groups of identical windows, and
// their last bits depend on the arithmetic path (which forward rung
// scored a host, the machine's fused multiply-adds): without it a
// rounding change of 1 ulp moved a window AUC by 6.5e-4 (issue 15).
const TieTol = 1e-12

// aucROC returns AUC and ROC of pos and neg, with scores within TieTol of
// each other tied (SnapTies), sorting them in place once.
func aucROC(pos, neg []float64) (float64, []Point) {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN(), nil
	}
	slices.Sort(pos)
	slices.Sort(neg)
	snapSorted(pos, neg, TieTol)
	return aucSorted(pos, neg), rocSorted(pos, neg)
}

// snapSorted replaces every value of the sorted p and n by the smallest
// value of its group: values are grouped in increasing order, a value
// joining the group of the one before when it is within tol·max(|a|, |b|,
// 1) of the group's smallest value (so a group never spans more than tol).
// An infinite value ties only with an equal one: with -Inf (a window of
// probability 0) as a group's first value every finite value would be
// "within" tol·Inf of it. Both slices stay sorted.
func snapSorted(p, n []float64, tol float64) {
	i, j := 0, 0
	first, have := 0.0, false
	for i < len(p) || j < len(n) {
		var v *float64
		if j >= len(n) || (i < len(p) && p[i] <= n[j]) {
			v, i = &p[i], i+1
		} else {
			v, j = &n[j], j+1
		}
		if have && (*v == first || !math.IsInf(first, 0) && !math.IsInf(*v, 0) && math.Abs(*v-first) <= tol*max(math.Abs(*v), math.Abs(first), 1)) {
			*v = first
			continue
		}
		first, have = *v, true
	}
}

// Margin returns min(pos) − max(neg): positive when every positive outranks
// every negative. It is NaN when pos or neg is empty.
func Margin(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	return slices.Min(pos) - slices.Max(neg)
}

// TPRAtFPR0 returns the fraction of pos strictly above max(neg): the true
// positive rate at a false positive rate of 0. It is NaN when pos or neg is
// empty.
func TPRAtFPR0(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	top := slices.Max(neg)
	k := 0
	for _, v := range pos {
		if v > top {
			k++
		}
	}
	return float64(k) / float64(len(pos))
}

// Downsample returns at most n points of the ROC curve pts (n ≥ 4): pts
// itself when it is short enough, else the points ThinROC keeps.
func Downsample(pts []Point, n int) []Point {
	if len(pts) <= n {
		return pts
	}
	fpr := make([]float64, len(pts))
	for i, p := range pts {
		fpr[i] = p.FPR
	}
	keep := ThinROC(fpr, n)
	out := make([]Point, len(keep))
	for k, i := range keep {
		out[k] = pts[i]
	}
	return out
}

// LowFPR is where a ROC curve's low end ends: ThinROC keeps its points
// first.
const LowFPR = 0.01

// ThinROC returns the increasing indices of the n points (n ≥ 4) kept of a
// ROC curve of len(fpr) > n points, fpr non-decreasing; all indices when
// the curve is short enough. Thinning evenly by index would drop the
// low-FPR end, where a detector is used and which on a log axis is most of
// a figure (a curve of 10⁵ points whose first 2,000 are below FPR 0.01
// keeps about 20 of them), so it keeps, in this order: the first and last
// point and the last at FPR 0 (the most true positives without a false
// one); for 0 < FPR < LowFPR the first and last point of each of
// (n−3)/4 bins even in log FPR (at most half the budget); then points
// evenly spaced by index among the rest until n are kept.
func ThinROC(fpr []float64, n int) []int {
	m := len(fpr)
	if m <= n {
		idx := make([]int, m)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	keep := make([]bool, m)
	kept := 0
	mark := func(i int) {
		if !keep[i] {
			keep[i] = true
			kept++
		}
	}
	mark(0)
	mark(m - 1)
	minPos, lastZero := LowFPR, -1
	for i, f := range fpr {
		switch {
		case f == 0:
			lastZero = i
		case f < LowFPR:
			minPos = min(minPos, f)
		}
	}
	if lastZero >= 0 {
		mark(lastZero)
	}
	if bins := (n - 3) / 4; bins > 0 && minPos < LowFPR {
		lo := math.Log10(minPos)
		step := (math.Log10(LowFPR) - lo) / float64(bins)
		prevBin, prev := -1, -1
		for i, f := range fpr {
			if f <= 0 || f >= LowFPR {
				continue
			}
			if b := int((math.Log10(f) - lo) / step); b != prevBin {
				mark(i) // first of its bin
				if prev >= 0 {
					mark(prev) // last of the bin before
				}
				prevBin = b
			}
			prev = i
		}
		if prev >= 0 {
			mark(prev)
		}
	}
	if k := n - kept; k > 0 {
		rest := make([]int, 0, m-kept)
		for i, ok := range keep {
			if !ok {
				rest = append(rest, i)
			}
		}
		for j := range k {
			keep[rest[int(math.Round(float64(j)*float64(len(rest)-1)/float64(max(k-1, 1))))]] = true
		}
	}
	idx := make([]int, 0, n)
	for i, ok := range keep {
		if ok {
			idx = append(idx, i)
		}
	}
	return idx
}

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their ranks, tied values getting the average of their
// ranks. It is NaN with fewer than two values or when either side is
// constant, and panics if x and y differ in length.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("evaluate: Spearman of slices of different lengths")
	}
	if len(x) < 2 {
		return math.NaN()
	}
	rx, _ := Ranks(x)
	ry, _ := Ranks(y)
	mean := float64(len(x)+1) / 2 // the mean of any average-rank vector
	var sxy, sxx, syy float64
	for i := range rx {
		dx, dy := rx[i]-mean, ry[i]-mean
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// Ranks returns the 1-based ranks of x, ties sharing their average rank,
// and Σ(t³−t) over the groups of t tied values (the tie correction of rank
// tests such as Mann–Whitney U). The rank statistics of botprof (Spearman
// here, Mann–Whitney in report) share it.
func Ranks(x []float64) (r []float64, ties float64) {
	// Sort (value, index) pairs: an unstable sort is enough, since tied
	// values all get their average rank.
	type vi struct {
		v float64
		i int
	}
	p := make([]vi, len(x))
	for i, v := range x {
		p[i] = vi{v, i}
	}
	slices.SortFunc(p, func(a, b vi) int { return cmp.Compare(a.v, b.v) })
	r = make([]float64, len(x))
	for i := 0; i < len(p); {
		j := i + 1
		for j < len(p) && p[j].v == p[i].v {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1 … j
		for k := i; k < j; k++ {
			r[p[k].i] = avg
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	return r, ties
}
