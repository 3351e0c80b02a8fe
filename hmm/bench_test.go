package hmm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Benchmark problems follow ../shared/fixtures/BENCH.md (hmmlearn's timings
// on the same shapes): a sticky K-state chain (stay 0.9), seed 0, Gaussian
// X = μ[z] + N(0, I) with μ ~ N(0, 3²), start means μ + N(0, 0.5²), unit
// variances, transmat 0.8 on the diagonal; categorical emissions
// Dirichlet(1) rows, start emissions Dirichlet(5). Our generator is not
// numpy's, so the data are statistically, not bitwise, the same.

func stickyChain(r *rand.Rand, T, k int) []int {
	z := make([]int, T)
	for t := 1; t < T; t++ {
		z[t] = z[t-1]
		if r.Float64() >= 0.9 {
			z[t] = (z[t-1] + 1 + r.IntN(k-1)) % k
		}
	}
	return z
}

func startChain(k int) ([]float64, []float64) {
	pi, a := fill(k, 1/float64(k)), fill(k*k, 0.2/float64(k-1))
	for i := range k {
		a[i*k+i] = 0.8
	}
	return pi, a
}

func gaussianProblem(T, k, d int) (*Gaussian, Sequences) {
	r := rand.New(rand.NewPCG(0, 0))
	z := stickyChain(r, T, k)
	mu := make([]float64, k*d)
	for i := range mu {
		mu[i] = 3 * r.NormFloat64()
	}
	x := make([]float64, T*d)
	for t := range T {
		for f := range d {
			x[t*d+f] = mu[z[t]*d+f] + r.NormFloat64()
		}
	}
	g := &Gaussian{Covariance: Diag, K: k, D: d, Means: make([]float64, k*d), Covars: fill(k*d, 1)}
	g.Startprob, g.Transmat = startChain(k)
	for i := range mu {
		g.Means[i] = mu[i] + 0.5*r.NormFloat64()
	}
	return g, Sequences{X: x, D: d}
}

func categoricalProblem(T, k, s int) (*Categorical, Sequences) {
	r := rand.New(rand.NewPCG(0, 0))
	z := stickyChain(r, T, k)
	e := make([]float64, k*s)
	for i := range k {
		dirichlet(r, e[i*s:(i+1)*s], 1)
	}
	x := make([]float64, T)
	for t := range T {
		u, acc := r.Float64(), 0.0
		x[t] = float64(s - 1)
		for j := range s {
			acc += e[z[t]*s+j]
			if u < acc {
				x[t] = float64(j)
				break
			}
		}
	}
	c := &Categorical{K: k, S: s, Emission: make([]float64, k*s)}
	c.Startprob, c.Transmat = startChain(k)
	for i := range k {
		dirichlet(r, c.Emission[i*s:(i+1)*s], 5)
	}
	return c, Sequences{X: x, D: 1}
}

type benchCase struct {
	name  string
	model Model
	seqs  Sequences
}

func benchCases() []benchCase {
	var out []benchCase
	for _, k := range []int{4, 8} {
		g, s := gaussianProblem(22800, k, 10)
		out = append(out, benchCase{fmt.Sprintf("kind=diag/K=%d/T=22800/D=10", k), g, s})
	}
	c, s := categoricalProblem(22800, 4, 12)
	return append(out, benchCase{"kind=categorical/K=4/T=22800/S=12", c, s})
}

// copyParams sets the parameters of g to those of m.
func copyParams(g, m *Gaussian) {
	copy(g.Startprob, m.Startprob)
	copy(g.Transmat, m.Transmat)
	copy(g.Means, m.Means)
	copy(g.Covars, m.Covars)
}

func reportObs(b *testing.B, T int) {
	b.ReportAllocs()
	b.ReportMetric(float64(T)*float64(b.N)/b.Elapsed().Seconds(), "obs/s")
}

// BenchmarkFit times one Baum–Welch iteration (E-step + M-step) on one
// thread, buffers reused across iterations as in a real fit. Like
// ../shared/fixtures/BENCH.md's hmmlearn timings it measures fits of 10
// iterations: the parameters go back to the start every 10 iterations
// (hundreds of iterations drive probabilities to 0, which no fit does).
func BenchmarkFit(b *testing.B) {
	for _, bc := range benchCases() {
		for _, impl := range []string{ImplLog, ImplScaling} {
			b.Run(bc.name+"/impl="+impl, func(b *testing.B) {
				var ch *chain
				var prepare func() (emitter, error)
				var mstep func(*stats)
				var fresh func() *stats
				var restart func()
				switch m := bc.model.(type) {
				case *Gaussian:
					g := m.Clone()
					restart = func() { copyParams(g, m) }
					pr := ScalarGaussianPriors(Diag, g.K, g.D, 1, 1, 0, 0, 0.01, 1)
					ch, fresh = newChain(g.Startprob, g.Transmat), g.newStats
					prepare = func() (emitter, error) { return newGaussianEmitter(g) }
					mstep = func(st *stats) { g.mstep(st, &pr) }
				case *Categorical:
					c := m.Clone()
					restart = func() { copy(c.Startprob, m.Startprob); copy(c.Transmat, m.Transmat); copy(c.Emission, m.Emission) }
					pr := ScalarCategoricalPriors(c.K, c.S, 1, 1, 1)
					ch, fresh = newChain(c.Startprob, c.Transmat), func() *stats { return newStats(c.K, c.K*c.S, 0) }
					prepare = func() (emitter, error) { return newCategoricalEmitter(c), nil }
					mstep = func(st *stats) { c.mstep(st, &pr) }
				}
				eng, err := newEngine(ch.k, impl, 1, fresh)
				if err != nil {
					b.Fatal(err)
				}
				total := fresh()
				b.ResetTimer()
				for i := range b.N {
					if i%10 == 0 {
						restart()
					}
					ch.update()
					em, err := prepare()
					if err != nil {
						b.Fatal(err)
					}
					lp, err := eng.estep(context.Background(), ch, em, bc.seqs, total)
					if err != nil || math.IsNaN(lp) {
						b.Fatal(lp, err)
					}
					mstep(total)
				}
				reportObs(b, bc.seqs.T())
			})
		}
	}
}

// BenchmarkScore times the forward log-likelihood (log implementation).
func BenchmarkScore(b *testing.B) {
	for _, bc := range benchCases() {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				if _, err := bc.model.Score(bc.seqs); err != nil {
					b.Fatal(err)
				}
			}
			reportObs(b, bc.seqs.T())
		})
	}
}

// BenchmarkViterbi times Decode (Viterbi path and log-probability).
func BenchmarkViterbi(b *testing.B) {
	for _, bc := range benchCases() {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				if _, _, err := bc.model.Decode(bc.seqs); err != nil {
					b.Fatal(err)
				}
			}
			reportObs(b, bc.seqs.T())
		})
	}
}

// degenerateProblem is botnet-like data: the rows of the degenerate fixture
// (integer codes, mostly identical rows) repeated to T = 22800 rows, and the
// 4-state diag model Train fits on them (variances ≈ 0.01/N, so emission
// log-densities differ by thousands of nats between states).
func degenerateProblem(b *testing.B) (Model, Sequences) {
	x := degenerateData(b).X
	const T, d = 22800, 10
	rows := make([]float64, 0, T*d)
	for len(rows) < T*d {
		rows = append(rows, x[:min(len(x), T*d-len(rows))]...)
	}
	seqs := Sequences{X: rows, D: d}
	cfg := DefaultConfig()
	cfg.States = 4
	m, _, err := Train(context.Background(), cfg, seqs)
	if err != nil {
		b.Fatal(err)
	}
	return m, seqs
}

// BenchmarkScoreDegenerate times Score and ScoreFrames on degenerateProblem.
func BenchmarkScoreDegenerate(b *testing.B) {
	m, seqs := degenerateProblem(b)
	b.Run("kind=diag-degenerate/K=4/T=22800/D=10/Score", func(b *testing.B) {
		for range b.N {
			if _, err := m.Score(seqs); err != nil {
				b.Fatal(err)
			}
		}
		reportObs(b, seqs.T())
	})
	b.Run("kind=diag-degenerate/K=4/T=22800/D=10/ScoreFrames", func(b *testing.B) {
		for range b.N {
			if _, err := m.ScoreFrames(seqs); err != nil {
				b.Fatal(err)
			}
		}
		reportObs(b, seqs.T())
	})
}

// BenchmarkDecodeScoreFrames times what the evaluate stage needs of a host,
// the Viterbi log-probability and the per-row forward increments, on
// degenerateProblem: as Decode then ScoreFrames, and as DecodeAndScoreFrames.
func BenchmarkDecodeScoreFrames(b *testing.B) {
	m, seqs := degenerateProblem(b)
	b.Run("kind=diag-degenerate/K=4/T=22800/D=10/api=separate", func(b *testing.B) {
		for range b.N {
			if _, _, err := m.Decode(seqs); err != nil {
				b.Fatal(err)
			}
			if _, err := m.ScoreFrames(seqs); err != nil {
				b.Fatal(err)
			}
		}
		reportObs(b, seqs.T())
	})
	b.Run("kind=diag-degenerate/K=4/T=22800/D=10/api=combined", func(b *testing.B) {
		for range b.N {
			if _, _, err := m.DecodeAndScoreFrames(seqs); err != nil {
				b.Fatal(err)
			}
		}
		reportObs(b, seqs.T())
	})
}
