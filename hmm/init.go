package hmm

import (
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
	g.Means = KMeans(newRand(seed, streamKMeans), seqs.X, d, k, 10).Centers
	v := dataCovariance(seqs.X, T, d)
	for i := range d {
		v[i*d+i] += minCovar
	}
	switch cov {
	case Diag:
		for range k {
			for f := range d {
				g.Covars = append(g.Covars, v[f*d+f])
			}
		}
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
	mean := make([]float64, d)
	for t := range T {
		for f := range d {
			mean[f] += x[t*d+f]
		}
	}
	for f := range d {
		mean[f] /= float64(T)
	}
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
func KMeans(r *rand.Rand, x []float64, d, k, nInit int) KMeansResult {
	T := len(x) / d
	varMean := 0.0
	cv := dataCovariance(x, T, d)
	for f := range d {
		varMean += cv[f*d+f] * float64(T-1) / float64(max(T, 1))
	}
	tol := 1e-4 * varMean / float64(d)
	var best KMeansResult
	for i := range max(nInit, 1) {
		res := lloyd(x, T, d, k, kmeansPlusPlus(r, x, T, d, k), tol)
		if i == 0 || res.Inertia < best.Inertia {
			best = res
		}
	}
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

func kmeansPlusPlus(r *rand.Rand, x []float64, T, d, k int) []float64 {
	centers := make([]float64, 0, k*d)
	first := r.IntN(T)
	centers = append(centers, x[first*d:(first+1)*d]...)
	closest := make([]float64, T)
	pot := 0.0
	for t := range T {
		closest[t] = sqDist(x[t*d:(t+1)*d], centers[:d])
		pot += closest[t]
	}
	trials := 2 + int(math.Log(float64(k)))
	cand := make([]float64, T)
	bestD := make([]float64, T)
	for c := 1; c < k; c++ {
		bestIdx, bestPot := -1, math.Inf(1)
		for range trials {
			var idx int
			if pot > 0 {
				u := r.Float64() * pot
				acc := 0.0
				idx = T - 1
				for t, v := range closest {
					acc += v
					if acc > u {
						idx = t
						break
					}
				}
			} else {
				idx = r.IntN(T)
			}
			p := 0.0
			row := x[idx*d : (idx+1)*d]
			for t := range T {
				cand[t] = min(closest[t], sqDist(x[t*d:(t+1)*d], row))
				p += cand[t]
			}
			if p < bestPot {
				bestIdx, bestPot = idx, p
				copy(bestD, cand)
			}
		}
		centers = append(centers, x[bestIdx*d:(bestIdx+1)*d]...)
		copy(closest, bestD)
		pot = bestPot
	}
	return centers
}

func lloyd(x []float64, T, d, k int, centers []float64, tol float64) KMeansResult {
	labels := make([]int, T)
	dist := make([]float64, T)
	next := make([]float64, k*d)
	count := make([]int, k)
	assign := func() (changed bool) {
		for t := range T {
			row := x[t*d : (t+1)*d]
			best, bd := 0, math.Inf(1)
			for c := range k {
				if v := sqDist(row, centers[c*d:(c+1)*d]); v < bd {
					best, bd = c, v
				}
			}
			if labels[t] != best {
				changed = true
			}
			labels[t], dist[t] = best, bd
		}
		return changed
	}
	assign()
	for it := 0; it < 300; it++ {
		clear(next)
		clear(count)
		for t := range T {
			c := labels[t]
			count[c]++
			for f := range d {
				next[c*d+f] += x[t*d+f]
			}
		}
		used := make(map[int]bool)
		for c := range k {
			if count[c] > 0 {
				for f := range d {
					next[c*d+f] /= float64(count[c])
				}
				continue
			}
			far, fd := -1, -1.0
			for t := range T {
				if !used[t] && dist[t] > fd {
					far, fd = t, dist[t]
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
	inertia := 0.0
	for _, v := range dist {
		inertia += v
	}
	return KMeansResult{Centers: centers, Labels: labels, Inertia: inertia}
}
