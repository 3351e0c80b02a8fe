package hmm

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
)

// Streams of the PCG generator used for the independent random draws of
// one initialisation (hmmlearn also draws k-means and emissions from fresh
// generators seeded with the same random_state).
const (
	streamChain    = 0x9e3779b97f4a7c15
	streamKMeans   = 0xbf58476d1ce4e5b9
	streamEmission = 0x94d049bb133111eb
)

func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// logGamma draws log X with X ~ Gamma(a, 1) (Marsaglia–Tsang; for a < 1 the
// boost X = Gamma(a+1)·U^(1/a) is applied in log space so that tiny
// concentrations such as 1/K never underflow to an all-zero Dirichlet draw).
func logGamma(r *rand.Rand, a float64) float64 {
	if a < 1 {
		u := 1 - r.Float64() // (0, 1]
		return logGamma(r, a+1) + math.Log(u)/a
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return math.Log(d * v)
		}
	}
}

// dirichlet writes one Dirichlet(alpha, …, alpha) draw to dst.
func dirichlet(r *rand.Rand, dst []float64, alpha float64) {
	for i := range dst {
		dst[i] = logGamma(r, alpha)
	}
	m := maxOf(dst)
	s := 0.0
	for i, v := range dst {
		dst[i] = math.Exp(v - m)
		s += dst[i]
	}
	for i := range dst {
		dst[i] /= s
	}
}

// initChain draws π and every row of A from Dirichlet(1/K), as hmmlearn's
// _init does ('s' then 't').
func initChain(seed uint64, k int) (pi, a []float64) {
	r := newRand(seed, streamChain)
	pi, a = make([]float64, k), make([]float64, k*k)
	dirichlet(r, pi, 1/float64(k))
	for i := range k {
		dirichlet(r, a[i*k:(i+1)*k], 1/float64(k))
	}
	return pi, a
}

// InitGaussian returns hmmlearn-style initial parameters for a K-state
// Gaussian HMM on x (T rows of D features): Dirichlet(1/K) start and
// transition rows, k-means means (KMeans), and np.cov(X.T) + minCovar·I
// for the covariances (spherical: the mean of all D² entries of that
// matrix; if that mean is not positive, the mean of its diagonal).
// With a single row the data covariance is taken as 0.
func InitGaussian(seed uint64, cov string, k int, seqs Sequences, minCovar float64) *Gaussian {
	d, T := seqs.D, seqs.T()
	g := &Gaussian{Covariance: cov, K: k, D: d}
	g.Startprob, g.Transmat = initChain(seed, k)
	vd := dataVariance(seqs.X, T, d)
	km := newKmeans(seqs.X, T, d, k, true)
	g.Means = km.run(newRand(seed, streamKMeans), kmeansTol(vd, T, d), 10).Centers
	if cov == Diag {
		for i := range d {
			vd[i] += minCovar
		}
		for range k {
			g.Covars = append(g.Covars, vd...)
		}
		return g
	}
	v := dataCovariance(seqs.X, T, d)
	for i := range d {
		v[i*d+i] += minCovar
	}
	switch cov {
	case Spherical:
		m := sum64(v) / float64(d*d)
		if !(m > 0) {
			m = 0
			for f := range d {
				m += v[f*d+f]
			}
			m /= float64(d)
		}
		g.Covars = fill(k, m)
	case Full:
		for range k {
			g.Covars = append(g.Covars, v...)
		}
	case Tied:
		g.Covars = v
	}
	return g
}

func sum64(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// dataCovariance is np.cov(X.T): the D×D covariance with denominator T−1
// (0 when T < 2).
func dataCovariance(x []float64, T, d int) []float64 {
	c := make([]float64, d*d)
	if T < 2 {
		return c
	}
	mean := columnMeans(x, T, d)
	diff := make([]float64, d)
	for t := range T {
		for f := range d {
			diff[f] = x[t*d+f] - mean[f]
		}
		for a := range d {
			for b := a; b < d; b++ {
				c[a*d+b] += diff[a] * diff[b]
			}
		}
	}
	for a := range d {
		for b := a; b < d; b++ {
			c[a*d+b] /= float64(T - 1)
			c[b*d+a] = c[a*d+b]
		}
	}
	return c
}

// columnMeans returns the mean of each of the d columns of the T×d rows x,
// summed in row order (dataCovariance and dataVariance share it, so their
// diagonals agree bit for bit).
func columnMeans(x []float64, T, d int) []float64 {
	mean := make([]float64, d)
	for t := range T {
		for f := range d {
			mean[f] += x[t*d+f]
		}
	}
	for f := range d {
		mean[f] /= float64(T)
	}
	return mean
}

// dataVariance is the diagonal of dataCovariance, computed with the same
// operations in the same order, so bit for bit the same.
func dataVariance(x []float64, T, d int) []float64 {
	c := make([]float64, d)
	if T < 2 {
		return c
	}
	mean := columnMeans(x, T, d)
	for t := range T {
		row := x[t*d : (t+1)*d]
		for f, m := range mean {
			v := row[f] - m
			c[f] += v * v
		}
	}
	for f := range c {
		c[f] /= float64(T - 1)
	}
	return c
}

// InitCategorical returns initial parameters for a K-state categorical HMM
// over S symbols: Dirichlet(1/K) start and transition rows and uniform
// random emission rows, normalised (hmmlearn's rand(K, S) init).
func InitCategorical(seed uint64, k, s int) *Categorical {
	c := &Categorical{K: k, S: s}
	c.Startprob, c.Transmat = initChain(seed, k)
	r := newRand(seed, streamEmission)
	c.Emission = make([]float64, k*s)
	for i := range k {
		row := c.Emission[i*s : (i+1)*s]
		for j := range row {
			row[j] = 1 - r.Float64() // (0, 1]: no symbol starts impossible
		}
		tot := sum64(row)
		for j := range row {
			row[j] /= tot
		}
	}
	return c
}

// KMeansResult is the outcome of KMeans.
type KMeansResult struct {
	Centers []float64 // K×D
	Labels  []int     // T
	Inertia float64   // Σ squared distance to the assigned center
}

// KMeans clusters T rows of x (D features) into k clusters like scikit-learn's
// KMeans(n_init=nInit): k-means++ seeding with 2+⌊ln k⌋ local trials, Lloyd
// iterations (at most 300, stopping when labels stop changing or the squared
// center shift is ≤ 1e-4·mean feature variance), empty clusters relocated to
// the points farthest from their centers; the run of lowest inertia is kept
// (ties: the first). Duplicate rows are safe: when every point already sits
// on a center, seeding picks a uniformly random row instead of dividing by a
// zero potential.
//
// Distances are computed once per distinct row (windows of flow codes have
// few), and every sum over rows is still taken over all T rows in row order,
// so the result is the same, bit for bit, as on the rows one by one.
func KMeans(r *rand.Rand, x []float64, d, k, nInit int) KMeansResult {
	return kmeansVar(r, x, d, k, nInit, dataVariance(x, len(x)/d, d))
}

// kmeansVar is KMeans given the diagonal of the data covariance.
func kmeansVar(r *rand.Rand, x []float64, d, k, nInit int, cv []float64) KMeansResult {
	T := len(x) / d
	return newKmeans(x, T, d, k, true).run(r, kmeansTol(cv, T, d), nInit)
}

// kmeansTol is scikit-learn's tolerance on the squared centre shift:
// 1e-4 times the mean feature variance (denominator T), from the diagonal
// cv of the data covariance (denominator T−1).
func kmeansTol(cv []float64, T, d int) float64 {
	varMean := 0.0
	for f := range d {
		varMean += cv[f] * float64(T-1) / float64(max(T, 1))
	}
	return 1e-4 * varMean / float64(d)
}

// run returns the best of nInit k-means++ seedings, each refined by Lloyd.
func (km *kmeans) run(r *rand.Rand, tol float64, nInit int) KMeansResult {
	nInit = max(nInit, 1)
	res := make([]KMeansResult, nInit)
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

// kmeans holds the data of KMeans as distinct rows and the work buffers
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

// newKmeans prepares x for KMeans; with dedup false every row counts as
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
func (km *kmeans) lloyd(tol float64) KMeansResult {
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
	return KMeansResult{Centers: append([]float64(nil), centers...), Labels: append([]int(nil), labels...),
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
