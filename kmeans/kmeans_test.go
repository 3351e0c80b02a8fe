package kmeans

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// botnetRows returns T rows of d small integer codes that come in runs of
// identical rows, like windows of flow codes.
func botnetRows(r *rand.Rand, T, d int) []float64 {
	x := make([]float64, 0, T*d)
	row := make([]float64, d)
	for len(x) < T*d {
		if r.IntN(8) == 0 || len(x) == 0 {
			for f := range row {
				row[f] = float64(r.IntN(4))
			}
		}
		x = append(x, row...)
	}
	return x
}

// columnVariance is np.var(X, axis=0, ddof=1), what Tol takes.
func columnVariance(x []float64, d int) []float64 {
	T := len(x) / d
	mean, v := make([]float64, d), make([]float64, d)
	for t := range T {
		for f := range d {
			mean[f] += x[t*d+f]
		}
	}
	for f := range mean {
		mean[f] /= float64(T)
	}
	for t := range T {
		for f := range d {
			u := x[t*d+f] - mean[f]
			v[f] += u * u
		}
	}
	for f := range v {
		v[f] /= float64(T - 1)
	}
	return v
}

// Distances are computed once per distinct row and, on integer data, sums
// taken per distinct row with multiplicities; both must give exactly the
// result of treating every row on its own.
func TestDistinctRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ints := make([]float64, 2000*6)
	for i := range ints {
		ints[i] = float64(r.IntN(3))
	}
	reals := make([]float64, 1000*5)
	for i := range reals {
		reals[i] = math.Round(2*r.NormFloat64()) + 0.1*float64(i%7)
	}
	runs := botnetRows(r, 3000, 10)
	for _, c := range []struct {
		name string
		x    []float64
		d, k int
	}{{"runs", runs, 10, 4}, {"integers", ints, 6, 5}, {"reals", reals, 5, 4}, {"three rows", runs[:30], 10, 4}} {
		T := len(c.x) / c.d
		for seed := range uint64(3) {
			a := newKmeans(c.x, T, c.d, c.k, true).run(rand.New(rand.NewPCG(seed, 1)), 1e-6, 3)
			b := newKmeans(c.x, T, c.d, c.k, false).run(rand.New(rand.NewPCG(seed, 1)), 1e-6, 3)
			if !slices.Equal(a.Centers, b.Centers) || !slices.Equal(a.Labels, b.Labels) || a.Inertia != b.Inertia {
				t.Errorf("%s, seed %d: distinct-row k-means differs: inertia %v vs %v", c.name, seed, a.Inertia, b.Inertia)
			}
		}
	}
}

// Two well-separated blobs: every init finds them; the centres are the blob
// means and the inertia the within-blob sum of squares, by hand.
func TestFitBlobs(t *testing.T) {
	x := []float64{0, 0, 0, 2, 2, 0, 2, 2, 100, 100, 100, 102, 102, 100, 102, 102}
	res := Fit(rand.New(rand.NewPCG(1, 2)), x, 2, 2, 4, Tol(columnVariance(x, 2), 8))
	centers := [][]float64{res.Centers[:2], res.Centers[2:]}
	if centers[0][0] > centers[1][0] {
		centers[0], centers[1] = centers[1], centers[0]
	}
	if !slices.Equal(centers[0], []float64{1, 1}) || !slices.Equal(centers[1], []float64{101, 101}) {
		t.Errorf("centres %v, want [1 1] and [101 101]", centers)
	}
	if res.Inertia != 16 { // 8 points, each 2 from its centre (1²+1²)
		t.Errorf("inertia %v, want 16", res.Inertia)
	}
	for i := range 4 {
		if res.Labels[i] != res.Labels[0] || res.Labels[4+i] == res.Labels[0] {
			t.Fatalf("labels %v do not split the blobs", res.Labels)
		}
	}
}

// Fewer distinct rows than clusters, and one row: no panic, every row on a
// centre, inertia 0.
func TestFitDegenerate(t *testing.T) {
	for _, x := range [][]float64{{3, 3, 3, 3, 3, 3}, {5, 5}, {1, 2, 1, 2, 1, 2}} {
		res := Fit(rand.New(rand.NewPCG(0, 0)), x, 2, 4, 10, 0)
		if res.Inertia != 0 || len(res.Centers) != 8 || len(res.Labels) != len(x)/2 {
			t.Errorf("%v: inertia %v, %d centres values, %d labels", x, res.Inertia, len(res.Centers), len(res.Labels))
		}
	}
}

// sklearn's tol: 1e-4 · mean of np.var(X, axis=0) (ddof 0), from ddof 1.
func TestTol(t *testing.T) {
	// Columns [0 2] and [0 4]: ddof-1 variances 2 and 8, ddof-0 1 and 4.
	if got, want := Tol([]float64{2, 8}, 2), 1e-4*2.5; math.Abs(got-want) > 1e-18 {
		t.Errorf("Tol = %v, want %v", got, want)
	}
}

// BenchmarkFit times the k-means initialisation of a Gaussian HMM fit (10
// k-means++ inits with Lloyd) on botnet-like windows: integer codes, long
// runs of identical rows.
func BenchmarkFit(b *testing.B) {
	const T, d = 22800, 10
	x := botnetRows(rand.New(rand.NewPCG(0, 0)), T, d)
	tol := Tol(columnVariance(x, d), T)
	b.Run(fmt.Sprintf("T=%d/D=%d/k=4", T, d), func(b *testing.B) {
		for range b.N {
			Fit(rand.New(rand.NewPCG(0, 1)), x, d, 4, 10, tol)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/T, "ns/row")
	})
}
