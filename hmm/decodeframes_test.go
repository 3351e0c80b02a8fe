package hmm

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// checkDecodeAndScoreFrames checks that DecodeAndScoreFrames returns
// Decode's log-probabilities and ScoreFrames's increments bit for bit.
func checkDecodeAndScoreFrames(t *testing.T, what string, m Model, seqs Sequences) {
	t.Helper()
	lp, _, err := m.Decode(seqs)
	if err != nil {
		t.Fatalf("%s: decode: %v", what, err)
	}
	fr, err := m.ScoreFrames(seqs)
	if err != nil {
		t.Fatalf("%s: frames: %v", what, err)
	}
	vit, frames, err := m.DecodeAndScoreFrames(seqs)
	if err != nil {
		t.Fatalf("%s: DecodeAndScoreFrames: %v", what, err)
	}
	if len(vit) != len(lp) || !sameBits(vit, lp) {
		t.Errorf("%s: viterbi %v, Decode %v", what, vit, lp)
	}
	if len(frames) != len(fr) {
		t.Fatalf("%s: %d frames, ScoreFrames %d", what, len(frames), len(fr))
	}
	for i := range fr {
		if math.Float64bits(frames[i]) != math.Float64bits(fr[i]) {
			t.Errorf("%s: frame %d: %v, ScoreFrames %v", what, i, frames[i], fr[i])
			return
		}
	}
}

// TestDecodeAndScoreFramesFixtures: every standard fixture's model at its
// initial and final parameters, on its training and held-out data.
func TestDecodeAndScoreFramesFixtures(t *testing.T) {
	for _, name := range standardFixtures {
		f := loadFixture(t, name)
		fm := newFixtureModel(f)
		for _, p := range []string{"initial", "final"} {
			params := get(f, "initial_params")
			if p == "final" {
				params = get(f, "fit", "final_params")
			}
			for _, data := range []string{"data", "heldout"} {
				what := strings.TrimSuffix(name, ".json") + "/" + p + "/" + data
				checkDecodeAndScoreFrames(t, what, fm.model(params), fm.seqs(get(f, data)))
			}
		}
	}
}

// withRuns repeats every row of x (rows of d) 1 to 40 times, like the runs
// of identical botnet windows.
func withRuns(r *rand.Rand, x []float64, d int) []float64 {
	var out []float64
	for t := 0; t < len(x); t += d {
		for range 1 + r.IntN(40)*r.IntN(2) {
			out = append(out, x[t:t+d]...)
		}
	}
	return out
}

// splitLengths cuts T rows into sequences of 1, 7, 127, 128, 129 and 300
// rows (around the block sizes) and the rest.
func splitLengths(T int) []int {
	lengths := []int{1, 7, 127, 128, 129, 300}
	n := 0
	for _, v := range lengths {
		n += v
	}
	return append(lengths, T-n)
}

// TestDecodeAndScoreFrames: every covariance type and K = 3, 4 (unrolled
// kernels), 8, on data with runs of repeated rows, as
// one sequence and as several; categorical models likewise.
func TestDecodeAndScoreFrames(t *testing.T) {
	T := 3000
	if testing.Short() { // the race detector's run in .ci/run
		T = 1000
	}
	for _, k := range []int{3, 4, 8} {
		const d = 5
		g, seqs := gaussianProblem(T, k, d)
		r := rand.New(rand.NewPCG(1, 2))
		runs := Sequences{X: withRuns(r, seqs.X, d), D: d}
		for _, cov := range []string{Diag, Spherical, Full, Tied} {
			m := g.Clone()
			m.Covariance = cov
			switch cov {
			case Diag:
				for i := range m.Covars {
					m.Covars[i] = 0.5 + r.Float64()
				}
			case Spherical:
				m.Covars = fill(k, 1.5)
			case Full, Tied:
				n := k
				if cov == Tied {
					n = 1
				}
				m.Covars = make([]float64, n*d*d)
				for s := range n {
					c := m.Covars[s*d*d : (s+1)*d*d]
					for i := range d {
						for j := range d {
							c[i*d+j] = 0.3 / (1 + math.Abs(float64(i-j)))
						}
						c[i*d+i] = 1 + 0.1*float64(s)
					}
				}
			}
			for name, s := range map[string]Sequences{"plain": seqs, "runs": runs} {
				what := cov + "/K=" + string(rune('0'+k)) + "/" + name
				checkDecodeAndScoreFrames(t, what, m, s)
				s.Lengths = splitLengths(s.T())
				checkDecodeAndScoreFrames(t, what+"/lengths", m, s)
			}
		}
		c, cs := categoricalProblem(T, k, 6)
		checkDecodeAndScoreFrames(t, "categorical/K="+string(rune('0'+k)), c, cs)
		cs.Lengths = splitLengths(cs.T())
		checkDecodeAndScoreFrames(t, "categorical/K="+string(rune('0'+k))+"/lengths", c, cs)
	}
}

// TestDecodeAndScoreFramesDegenerate covers the log-space forward pass
// behind the fast one: on botnet-like data (TestLadder), where a state far
// less likely on one row is needed on the next, where a sequence has zero
// probability, alone and between sequences that take the fast pass.
func TestDecodeAndScoreFramesDegenerate(t *testing.T) {
	seqs := repeatedRows(t, 3000)
	for name, g := range degenerateModels(t, seqs) {
		checkDecodeAndScoreFrames(t, name, g, seqs)
		s := seqs
		s.Lengths = splitLengths(s.T())
		checkDecodeAndScoreFrames(t, name+"/lengths", g, s)
	}
	declines := &Gaussian{Covariance: Diag, K: 2, D: 1, Means: []float64{0, 10}, Covars: []float64{1e-3, 1e-3},
		Startprob: []float64{0.5, 0.5}, Transmat: []float64{1, 0, 0, 1}}
	checkDecodeAndScoreFrames(t, "declines", declines, Sequences{X: []float64{0, 10}, D: 1})
	// Sequences: fast, declined (log space), fast.
	mixed := Sequences{X: []float64{0, 0.01, 0, 0, 10, 0, 0.02, 0}, D: 1, Lengths: []int{3, 2, 3}}
	checkDecodeAndScoreFrames(t, "declines/mixed", declines, mixed)
	// 200 rows at 5 (both states alike), 10 (state 1 by 50000 nats: the
	// fast pass declines), 100 rows at 5, 0 (only state 0 explains it) and
	// 300 rows at 5.
	var restarts []float64
	for _, run := range []struct {
		v float64
		n int
	}{{5, 200}, {10, 1}, {5, 100}, {0, 1}, {5, 300}} {
		for range run.n {
			restarts = append(restarts, run.v)
		}
	}
	checkDecodeAndScoreFrames(t, "declines/restarts", declines, Sequences{X: restarts, D: 1})
	// Variances of 1e-300: a row 1e10 away from a state's mean has density
	// 0 there (b = −∞), so a sequence that visits both means has zero
	// probability (frames −∞ from its second row on); the others do not.
	zero := &Gaussian{Covariance: Diag, K: 2, D: 1, Means: []float64{0, 1e10}, Covars: []float64{1e-300, 1e-300},
		Startprob: []float64{0.5, 0.5}, Transmat: []float64{1, 0, 0, 1}}
	checkDecodeAndScoreFrames(t, "zero", zero, Sequences{X: []float64{0, 0, 0, 1e10, 0, 1e10, 1e10}, D: 1, Lengths: []int{2, 3, 2}})
}
