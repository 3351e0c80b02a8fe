package kmeans

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
)

// Result is the outcome of Fit.
type Result struct {
	Centers []float64 // K×D
	Labels  []int     // T
	Inertia float64   // Σ squared distance to the assigned center
}

// Fit clusters the T rows of x (D features) into k clusters like
// scikit-learn's KMeans(n_init=nInit, tol): k-means++ seeding with
// 2+⌊ln k⌋ local trials, Lloyd iterations (at most 300, stopping when
// labels stop changing or the squared center shift is ≤ tol, see Tol),
// empty clusters relocated to the points farthest from their centers; the
// run of lowest inertia is kept (ties: the first). Duplicate rows are safe:
// when every point already sits on a center, seeding picks a uniformly
// random row instead of dividing by a zero potential.
func Fit(r *rand.Rand, x []float64, d, k, nInit int, tol float64) Result {
	return newKmeans(x, len(x)/d, d, k, true).run(r, tol, nInit)
}

// Tol is scikit-learn's tolerance on the squared centre shift, 1e-4 times
// the mean feature variance (denominator T), from the diagonal cv of the
// data covariance of T rows (denominator T−1, as np.cov).
func Tol(cv []float64, T int) float64 {
	varMean := 0.0
	for _, v := range cv {
		varMean += v * float64(T-1) / float64(max(T, 1))
	}
	return 1e-4 * varMean / float64(len(cv))
}

// run returns the best of nInit k-means++ seedings, each refined by Lloyd.
func (km *kmeans) run(r *rand.Rand, tol float64, nInit int) Result {
	nInit = max(nInit, 1)
	res := make([]Result, nInit)
	for i := range nInit {
		km.plusPlus(r)
		res[i] = km.lloyd(tol)
	}
	best := res[0]
	for _, r := range res[1:] {
		if r.Inertia < best.Inertia {
			best = r
		}
	}
	// lloyd labels the distinct rows.
	labels := make([]int, km.T)
	for t, u := range km.id {
		labels[t] = best.Labels[u]
	}
	best.Labels = labels
	return best
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		u := v - b[i]
		s += u * u
	}
	return s
}

// kmeans holds the data of Fit as distinct rows and the work buffers
// shared by its inits.
type kmeans struct {
	x       []float64 // T×D rows
	T, d, k int
	rows    []float64 // U×D distinct rows, in order of first occurrence
	id      []int32   // T: distinct row of every row
	weight  []float64 // U: multiplicity of every distinct row
	// Centres may be summed per distinct row times its multiplicity: the
	// data are integers whose column sums of |x| stay below 2^53, so every
	// sum is exact in any order.
	weighted bool
	centers  []float64 // K×D
	closest  []float64 // U
	cand     []float64 // U
	bestD    []float64 // U
	labels   []int     // U
	dist     []float64 // U
	next     []float64 // K×D
	count    []float64 // K
}

// newKmeans prepares x for Fit; with dedup false every row counts as
// distinct (the reference the tests compare with).
func newKmeans(x []float64, T, d, k int, dedup bool) *kmeans {
	km := &kmeans{x: x, T: T, d: d, k: k, id: make([]int32, T)}
	index := make(map[string]int32)
	key := make([]byte, 8*d)
	for t := range T {
		row := x[t*d : (t+1)*d]
		if dedup && t > 0 && sameBits(row, x[(t-1)*d:t*d]) {
			// The row before has the same key (windows come in runs).
			u := km.id[t-1]
			km.id[t] = u
			km.weight[u]++
			continue
		}
		u, ok := int32(0), false
		if dedup {
			for f, v := range row {
				binary.LittleEndian.PutUint64(key[8*f:], math.Float64bits(v))
			}
			u, ok = index[string(key)]
		}
		if !ok {
			u = int32(len(km.weight))
			if dedup {
				index[string(key)] = u
			}
			km.rows = append(km.rows, row...)
			km.weight = append(km.weight, 0)
		}
		km.id[t] = u
		km.weight[u]++
	}
	km.weighted = dedup && exactSums(km.rows, km.weight, d)
	U := len(km.weight)
	km.closest, km.cand, km.bestD = make([]float64, U), make([]float64, U), make([]float64, U)
	km.labels, km.dist = make([]int, U), make([]float64, U)
	km.next, km.count = make([]float64, k*d), make([]float64, k)
	return km
}

// exactSums reports whether every value of the distinct rows is an
// integer and every column's Σ|x| over all rows is below 2^53.
func exactSums(rows, weight []float64, d int) bool {
	col := make([]float64, d)
	for u, w := range weight {
		for f, v := range rows[u*d : (u+1)*d] {
			if v != math.Trunc(v) {
				return false
			}
			col[f] += w * math.Abs(v)
		}
	}
	for _, s := range col {
		if !(s < 1<<53) {
			return false
		}
	}
	return true
}

// sumRows returns Σ_t v[id[t]] over all rows in row order.
func (km *kmeans) sumRows(v []float64) float64 {
	s := 0.0
	for _, u := range km.id {
		s += v[u]
	}
	return s
}

// plusPlus seeds km.centers by k-means++.
func (km *kmeans) plusPlus(r *rand.Rand) {
	x, d, T := km.x, km.d, km.T
	U := len(km.weight)
	centers := km.centers[:0]
	first := r.IntN(T)
	centers = append(centers, x[first*d:(first+1)*d]...)
	for u := range U {
		km.closest[u] = sqDist(km.rows[u*d:(u+1)*d], centers[:d])
	}
	pot := km.sumRows(km.closest)
	trials := 2 + int(math.Log(float64(km.k)))
	for c := 1; c < km.k; c++ {
		bestIdx, bestPot := -1, math.Inf(1)
		for range trials {
			var idx int
			if pot > 0 {
				u := r.Float64() * pot
				idx = km.sample(u)
			} else {
				idx = r.IntN(T)
			}
			row := x[idx*d : (idx+1)*d]
			for u := range U {
				km.cand[u] = min(km.closest[u], sqDist(km.rows[u*d:(u+1)*d], row))
			}
			// bestIdx < 0: the first trial wins even when potentials are not
			// finite (values near 1e308 overflow the squared distances).
			if p := km.sumRows(km.cand); bestIdx < 0 || p < bestPot {
				bestIdx, bestPot = idx, p
				copy(km.bestD, km.cand)
			}
		}
		centers = append(centers, x[bestIdx*d:(bestIdx+1)*d]...)
		copy(km.closest, km.bestD)
		pot = bestPot
	}
	km.centers = centers
}

// sample returns the first row t at which Σ_{t' ≤ t} closest[id[t']],
// summed in row order, exceeds u (the last row if none does).
func (km *kmeans) sample(u float64) int {
	acc := 0.0
	for t, id := range km.id {
		if acc += km.closest[id]; acc > u {
			return t
		}
	}
	return km.T - 1
}

// lloyd runs Lloyd iterations from km.centers and returns a fresh result,
// with the labels of the distinct rows.
func (km *kmeans) lloyd(tol float64) Result {
	x, d, k, T := km.x, km.d, km.k, km.T
	centers, labels, dist, next, count := km.centers, km.labels, km.dist, km.next, km.count
	clear(labels)
	assign := func() (changed bool) {
		for u := range labels {
			row := km.rows[u*d : (u+1)*d]
			best, bd := 0, math.Inf(1)
			for c := range k {
				if v := sqDist(row, centers[c*d:(c+1)*d]); v < bd {
					best, bd = c, v
				}
			}
			if labels[u] != best {
				changed = true
			}
			labels[u], dist[u] = best, bd
		}
		return changed
	}
	assign()
	var used []bool
	for it := 0; it < 300; it++ {
		clear(next)
		clear(count)
		if km.weighted {
			for u, w := range km.weight {
				c := labels[u]
				count[c] += w
				for f, v := range km.rows[u*d : (u+1)*d] {
					next[c*d+f] += w * v
				}
			}
		} else {
			for t, u := range km.id {
				c := labels[u]
				count[c]++
				for f, v := range x[t*d : (t+1)*d] {
					next[c*d+f] += v
				}
			}
		}
		clear(used)
		for c := range k {
			if count[c] > 0 {
				for f := range d {
					next[c*d+f] /= count[c]
				}
				continue
			}
			if used == nil {
				used = make([]bool, T)
			}
			far, fd := -1, -1.0
			for t, u := range km.id {
				if !used[t] && dist[u] > fd {
					far, fd = t, dist[u]
				}
			}
			if far < 0 { // fewer rows than clusters: keep the old center
				copy(next[c*d:(c+1)*d], centers[c*d:(c+1)*d])
				continue
			}
			used[far] = true
			copy(next[c*d:(c+1)*d], x[far*d:(far+1)*d])
		}
		shift := 0.0
		for i := range next {
			u := next[i] - centers[i]
			shift += u * u
		}
		copy(centers, next)
		changed := assign()
		if !changed || shift <= tol {
			break
		}
	}
	return Result{Centers: append([]float64(nil), centers...), Labels: append([]int(nil), labels...),
		Inertia: km.sumRows(dist)}
}

// sameBits reports whether two rows hold the same bits.
func sameBits(a, b []float64) bool {
	b = b[:len(a)]
	for i, v := range a {
		if math.Float64bits(v) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}
