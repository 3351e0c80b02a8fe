package hmm

import (
	"math"
	"math/rand/v2"

	"botprof/kmeans"
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
	normaliseInto(dst, func(i int) float64 { return math.Exp(dst[i] - m) }, len(dst))
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
// transition rows, k-means means (kmeans.Fit, 10 inits), and np.cov(X.T) + minCovar·I
// for the covariances (spherical: the mean of all D² entries of that
// matrix; if that mean is not positive, the mean of its diagonal).
// With a single row the data covariance is taken as 0.
func InitGaussian(seed uint64, cov string, k int, seqs Sequences, minCovar float64) *Gaussian {
	d, T := seqs.D, seqs.T()
	g := &Gaussian{Covariance: cov, K: k, D: d}
	g.Startprob, g.Transmat = initChain(seed, k)
	v := dataCovariance(seqs.X, T, d, cov != Diag)
	g.Means = kmeans.Fit(newRand(seed, streamKMeans), seqs.X, d, k, 10, kmeans.Tol(diagonal(v, d), T)).Centers
	for i := range d {
		v[i*d+i] += minCovar
	}
	switch cov {
	case Diag:
		for range k {
			g.Covars = append(g.Covars, diagonal(v, d)...)
		}
	case Spherical:
		m := sum64(v) / float64(d*d)
		if !(m > 0) {
			m = sum64(diagonal(v, d)) / float64(d)
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

func diagonal(m []float64, d int) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = m[i*d+i]
	}
	return v
}

// dataCovariance is np.cov(X.T): the D×D covariance with denominator T−1
// (0 when T < 2), its column means summed in row order; without offDiag
// only the variances (a diagonal model's), the rest left 0.
func dataCovariance(x []float64, T, d int, offDiag bool) []float64 {
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
			for b := a; b < d && (offDiag || b == a); b++ {
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
		// 1 − U is in (0, 1]: no symbol starts impossible.
		normaliseInto(c.Emission[i*s:(i+1)*s], func(int) float64 { return 1 - r.Float64() }, s)
	}
	return c
}
