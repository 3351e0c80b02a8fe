package report

import (
	"botprof/stages/evaluate"
	"math"
	"sort"
)

// Median returns the median of xs: the middle order statistic, or the mean
// of the two middle ones when len(xs) is even. It returns NaN for no values.
// xs is not modified.
func Median(xs []float64) float64 {
	return Quantile(xs, 0.5)
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of xs by linear interpolation
// between order statistics x[(n-1)q] (numpy's default, Hyndman–Fan type 7).
// It returns NaN for no values. xs is not modified.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := sorted(xs)
	h := float64(len(s)-1) * q
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(s) || h == lo || s[i] == s[i+1] {
		return s[i]
	}
	if math.IsInf(s[i], 0) || math.IsInf(s[i+1], 0) {
		// Between -Inf and a number the interpolation is -Inf (numpy's
		// too); between -Inf and +Inf it is undefined.
		if math.IsInf(s[i], -1) && math.IsInf(s[i+1], 1) {
			return math.NaN()
		}
		if math.IsInf(s[i], 0) {
			return s[i]
		}
		return s[i+1]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}

// MedianCI returns a distribution-free confidence interval [lo, hi] for the
// median of xs at the given confidence level (e.g. 0.95), by order
// statistics: the interval [x(k), x(n+1-k)] covers the median with
// probability 1 − 2·P(B ≤ k−1), B ~ Binomial(n, ½), and k is the largest
// index for which that coverage still reaches the level (the method
// benchstat uses). ok is false when even [x(1), x(n)] covers less than the
// level, which happens for n < 6 at 0.95.
func MedianCI(xs []float64, confidence float64) (lo, hi float64, ok bool) {
	n := len(xs)
	if n == 0 {
		return math.NaN(), math.NaN(), false
	}
	s := sorted(xs)
	k := 0
	cdf := binomHalf(n, 0) // P(B ≤ j−1) while trying k = j
	for j := 1; j <= (n+1)/2; j++ {
		if 1-2*cdf < confidence {
			break
		}
		k = j
		cdf += binomHalf(n, j)
	}
	if k == 0 {
		return s[0], s[n-1], false
	}
	return s[k-1], s[n-k], true
}

// binomHalf returns P(B = j) for B ~ Binomial(n, ½), computed in log space
// so that large n does not overflow.
func binomHalf(n, j int) float64 {
	lc, _ := math.Lgamma(float64(n + 1))
	a, _ := math.Lgamma(float64(j + 1))
	b, _ := math.Lgamma(float64(n - j + 1))
	return math.Exp(lc - a - b - float64(n)*math.Ln2)
}

// MannWhitney is the result of a two-sided Mann–Whitney U test.
type MannWhitney struct {
	U     float64 // U statistic of the first sample: #{(x, y): x > y} + ½·#{x = y}
	P     float64 // two-sided p-value
	Exact bool    // P from the exact null distribution rather than the normal approximation
}

// exactLimit is the sample size up to which the exact null distribution is
// used when there are no ties (scipy.stats.mannwhitneyu's method="auto"
// uses exact when a sample has at most 8 values and there are no ties).
const exactLimit = 8

// MannWhitneyU tests whether xs and ys come from the same distribution
// against the two-sided alternative. Without ties and with either sample of
// at most 8 values the p-value is exact, p = min(1, 2·P(U ≥ max(U, n·m−U)));
// with ties it is exact too while the samples are small (tiedExactCost):
// the share of all C(n+m, n) ways to split the observed mid-ranks into
// samples of n and m whose rank sum lies at least as far from its mean as
// the observed one (the permutation distribution given the ties).
// Otherwise it is the normal approximation with continuity correction and
// the tie-corrected variance
//
//	σ² = n·m/12 · ((N+1) − Σ(t³−t)/(N(N−1))),  N = n+m,
//
// which matches scipy.stats.mannwhitneyu defaults. scipy also uses that
// approximation for small tied samples, where it can go far below any p the
// permutations allow: one seed against ten equal ones gave p = 0.0044,
// "significant", where the exact p is 1/11. When every value is tied P is
// 1. It returns P = NaN when a sample is empty.
func MannWhitneyU(xs, ys []float64) MannWhitney {
	n, m := len(xs), len(ys)
	if n == 0 || m == 0 {
		return MannWhitney{P: math.NaN()}
	}
	all := make([]float64, 0, n+m)
	all = append(all, xs...)
	all = append(all, ys...)
	ranks, ties := evaluate.Ranks(all)
	r1 := 0.0
	for _, r := range ranks[:n] {
		r1 += r
	}
	u := r1 - float64(n*(n+1))/2
	nm := float64(n * m)
	big := math.Max(u, nm-u)
	if ties == 0 && min(n, m) <= exactLimit {
		return MannWhitney{U: u, P: math.Min(1, 2*exactUpperTail(n, m, int(math.Round(big)))), Exact: true}
	}
	if N := n + m; ties > 0 && N*min(n, m)*N*(N+1) <= tiedExactCost {
		return MannWhitney{U: u, P: exactTiedP(ranks, n), Exact: true}
	}
	return MannWhitney{U: u, P: normalP(big, n, m, ties)}
}

// tiedExactCost bounds the work of exactTiedP (items × subset size × rank
// sums): 20 million steps, some 50 ms, reached at about 40 seeds a side.
const tiedExactCost = 20_000_000

// exactTiedP is the two-sided p-value of the rank sum of the first n of
// ranks (mid-ranks of all values, ties included) under the permutation
// distribution: the share of the size-n subsets of ranks whose sum is at
// least as far from its mean n(N+1)/2 as the observed sum. Mid-ranks are
// multiples of ½, so doubled they are integers, and the subsets are
// counted by sum with the subset-sum recurrence.
func exactTiedP(ranks []float64, n int) float64 {
	N := len(ranks)
	dbl := make([]int, N)
	obs := 0
	for i, r := range ranks {
		dbl[i] = int(math.Round(2 * r))
		if i < n {
			obs += dbl[i]
		}
	}
	// Count the subsets of the smaller size: the other sample's sum is the
	// total minus this one, equally far from its mean.
	k := n
	if N-n < n {
		k = N - n
		obs = N*(N+1) - obs
	}
	maxSum := N * (N + 1) // the doubled sum of all ranks
	cnt := make([][]float64, k+1)
	for j := range cnt {
		cnt[j] = make([]float64, maxSum+1)
	}
	cnt[0][0] = 1
	for i, v := range dbl {
		for j := min(i+1, k); j >= 1; j-- {
			prev, cur := cnt[j-1], cnt[j]
			for s := maxSum; s >= v; s-- {
				cur[s] += prev[s-v]
			}
		}
	}
	mean := k * (N + 1) // doubled
	dev := obs - mean
	if dev < 0 {
		dev = -dev
	}
	total, tail := 0.0, 0.0
	for s, c := range cnt[k] {
		total += c
		if d := s - mean; d >= dev || -d >= dev {
			tail += c
		}
	}
	return math.Min(1, tail/total)
}

// normalP is the two-sided p-value of the normal approximation for the
// larger of the two U statistics, with continuity correction and the tie
// term ties = Σ(t³−t).
func normalP(big float64, n, m int, ties float64) float64 {
	nm := float64(n * m)
	N := float64(n + m)
	v := nm / 12 * ((N + 1) - ties/(N*(N-1)))
	if v <= 0 {
		return 1
	}
	z := (big - nm/2 - 0.5) / math.Sqrt(v)
	return math.Min(1, math.Erfc(z/math.Sqrt2))
}

// exactUpperTail returns P(U ≥ u) under the null hypothesis for samples of
// sizes n and m without ties, by counting the arrangements with a given U
// (the recurrence f(n, m, u) = f(n−1, m, u−m) + f(n, m−1, u)).
func exactUpperTail(n, m, u int) float64 {
	// cnt[j][k]: number of arrangements of i x's and j y's with U = k, for the current i.
	maxU := n * m
	cnt := make([][]float64, m+1)
	for j := range cnt {
		cnt[j] = make([]float64, maxU+1)
		cnt[j][0] = 1 // i = 0: U is 0
	}
	for i := 1; i <= n; i++ {
		next := make([][]float64, m+1)
		for j := 0; j <= m; j++ {
			next[j] = make([]float64, maxU+1)
			for k := 0; k <= i*j; k++ {
				// the largest value is an x (it beats all j y's) or a y.
				if k >= j {
					next[j][k] += cnt[j][k-j]
				}
				if j > 0 {
					next[j][k] += next[j-1][k]
				}
			}
		}
		cnt = next
	}
	total, tail := 0.0, 0.0
	for k, c := range cnt[m] {
		total += c
		if k >= u {
			tail += c
		}
	}
	return tail / total
}

func sorted(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}

// MinMannWhitneyP is the smallest two-sided p-value MannWhitneyU can give
// for samples of n and m values: 2/C(n+m, n), the two completely separated
// orderings (1 when a sample is empty).
func MinMannWhitneyP(n, m int) float64 {
	if n == 0 || m == 0 {
		return 1
	}
	c := 1.0 // C(m+i, i), exact in float64 while it fits 2^53
	for i := 1; i <= n; i++ {
		c = c * float64(m+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// AdjustP returns the p-values ps adjusted for multiple comparisons:
// "holm" (Holm–Bonferroni step-down, controls the family-wise error rate)
// or "bh" (Benjamini–Hochberg step-up, controls the false discovery rate).
// Adjusted values are capped at 1 and keep the order of ps.
func AdjustP(ps []float64, method string) []float64 {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	out := make([]float64, m)
	switch method {
	case "holm":
		run := 0.0
		for k, i := range idx {
			run = math.Max(run, math.Min(1, float64(m-k)*ps[i]))
			out[i] = run
		}
	case "bh":
		run := 1.0
		for k := m - 1; k >= 0; k-- {
			i := idx[k]
			run = math.Min(run, math.Min(1, float64(m)/float64(k+1)*ps[i]))
			out[i] = run
		}
	default:
		copy(out, ps)
	}
	return out
}
