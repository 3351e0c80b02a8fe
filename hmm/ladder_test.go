package hmm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// rungs is what each rung of work.pass gives on one sequence: the log-space
// reference, the fast scaled forward pass alone (scoring) and the fast
// scaled forward-backward pass (its results valid only if accepted).
type rungs struct {
	logP, fwdLogP, fastLogP      float64
	logFrames, fwdFrames         []float64
	logGamma, logXi              []float64
	fastGamma, fastXi            []float64
	fastOK, fwdOK                bool
	passLogP                     float64 // work.pass with needXi
	passGamma, passXi, passFrame []float64
}

// runRungs runs every rung on every sequence of seqs.
func runRungs(t *testing.T, m Model, seqs Sequences) []rungs {
	t.Helper()
	c, em, err := m.prepare(seqs, true)
	if err != nil {
		t.Fatal(err)
	}
	k := c.k
	var out []rungs
	w := newWork(k)
	for _, b := range seqs.Bounds() {
		T := b[1] - b[0]
		w.emissions(em, seqs.X[b[0]*seqs.D:b[1]*seqs.D], T)
		var r rungs
		r.logFrames, r.fwdFrames, r.passFrame = make([]float64, T), make([]float64, T), make([]float64, T)
		clear(w.xi)
		r.logP = w.forwardLog(c, T, r.logFrames)
		if !math.IsInf(r.logP, -1) {
			w.backwardLog(c, T)
			w.posteriorsLog(c, T, r.logP, true)
			r.logGamma, r.logXi = clone(w.gamma[:T*k]), clone(w.xi)
		}
		r.fwdLogP, r.fwdOK = w.forwardScaled(c, T, r.fwdFrames)
		clear(w.xi)
		if r.fastLogP, r.fastOK = w.forwardScaled(c, T, nil); r.fastOK {
			r.fastOK = w.backwardScaled(c, T, true)
			r.fastGamma, r.fastXi = clone(w.gamma[:T*k]), clone(w.xi)
		}
		if _, err := w.pass(c, ImplLog, T, needLogP, r.passFrame); err != nil {
			t.Fatal(err)
		}
		if r.passLogP, err = w.pass(c, ImplLog, T, needXi, nil); err == nil {
			r.passGamma, r.passXi = clone(w.gamma[:T*k]), clone(w.xi)
		}
		out = append(out, r)
	}
	return out
}

// check compares every accepted rung with the log-space reference, and the
// ladder with the first rung that accepts.
func (r rungs) check(t *testing.T, what string) {
	t.Helper()
	if r.fastOK {
		checkClose(t, what+" fast logP", []float64{r.fastLogP}, []float64{r.logP}, 1e-12, 1e-10)
		checkClose(t, what+" fast gamma", r.fastGamma, r.logGamma, 1e-9, 1e-13)
		checkClose(t, what+" fast xi", r.fastXi, r.logXi, 1e-10, 1e-12)
		checkClose(t, what+" pass gamma", r.passGamma, r.fastGamma, 0, 0)
	} else if r.logGamma != nil {
		checkClose(t, what+" pass gamma", r.passGamma, r.logGamma, 0, 0)
		checkClose(t, what+" pass xi", r.passXi, r.logXi, 0, 0)
	}
	if r.fwdOK {
		checkClose(t, what+" fwd logP", []float64{r.fwdLogP}, []float64{r.logP}, 1e-12, 1e-10)
		checkClose(t, what+" fwd frames", r.fwdFrames, r.logFrames, 1e-9, 1e-10)
		checkClose(t, what+" pass frames", r.passFrame, r.fwdFrames, 0, 0)
	} else {
		checkClose(t, what+" pass frames", r.passFrame, r.logFrames, 0, 0)
	}
}

// repeatedRows is the degenerate fixture's data repeated to T rows (runs of
// identical botnet windows).
func repeatedRows(t testing.TB, T int) Sequences {
	x := degenerateData(t).X
	const d = 10
	rows := make([]float64, 0, T*d)
	for len(rows) < T*d {
		rows = append(rows, x[:min(len(x), T*d-len(rows))]...)
	}
	return Sequences{X: rows, D: d}
}

// degenerateModels are models fitted on repeatedRows, where the fast
// forward-backward rung declines: after 2, 3 and 10 EM iterations (states
// and transitions die out on the way).
func degenerateModels(t *testing.T, seqs Sequences) map[string]*Gaussian {
	cfg := DefaultConfig()
	cfg.States = 4
	out := map[string]*Gaussian{}
	for _, iters := range []int{2, 3, 10} {
		cfg.NIter = iters
		m, _, err := Train(context.Background(), cfg, seqs)
		if err != nil {
			t.Fatal(err)
		}
		out[map[int]string{2: "iter2", 3: "iter3", 10: "trained"}[iters]] = m.(*Gaussian)
	}
	return out
}

// TestLadder: on botnet-like data (states thousands of nats apart) the fast
// rung declines, for scoring and for posteriors, and the log-space rung
// takes over; so it does where a state is 5e4 nats less likely on one row
// and needed on the next. Every accepted rung agrees with the log-space
// reference, and the ladder with the rung that accepted.
func TestLadder(t *testing.T) {
	seqs := repeatedRows(t, 3000)
	for name, g := range degenerateModels(t, seqs) {
		r := runRungs(t, g, seqs)[0]
		if r.fastOK || r.fwdOK {
			t.Errorf("%s: fast rung accepted %v, fast forward %v; want false, false", name, r.fastOK, r.fwdOK)
		}
		r.check(t, name)
	}
	// Two states 10 apart with variance 1e-3 that never switch: state 1 is
	// 5e4 nats less likely on row 0, and row 10 needs it.
	declines := &Gaussian{Covariance: Diag, K: 2, D: 1, Means: []float64{0, 10}, Covars: []float64{1e-3, 1e-3},
		Startprob: []float64{0.5, 0.5}, Transmat: []float64{1, 0, 0, 1}}
	r := runRungs(t, declines, Sequences{X: []float64{0, 10}, D: 1})[0]
	if r.fastOK || r.fwdOK {
		t.Errorf("declines: fast rung accepted %v, fast forward %v; want false, false", r.fastOK, r.fwdOK)
	}
	r.check(t, "declines")
}

// randomModel draws a small random model and data for it — Gaussian
// (any covariance type) or categorical, K = 1 to 5, zeros in π, A and the
// emissions, variances from 1e-6 to 10, runs of repeated rows, 1 to 200 rows.
func randomModel(r *rand.Rand, categorical bool) (Model, Sequences) {
	k, d := 1+r.IntN(5), 1+r.IntN(3)
	randomRow := func(row []float64) {
		s := 0.0
		for i := range row {
			row[i] = r.Float64()
			if r.IntN(4) == 0 {
				row[i] = 0
			}
			s += row[i]
		}
		if s == 0 {
			row[r.IntN(len(row))], s = 1, 1
		}
		for i := range row {
			row[i] /= s
		}
	}
	pi, a := make([]float64, k), make([]float64, k*k)
	randomRow(pi)
	for i := range k {
		randomRow(a[i*k : (i+1)*k])
	}
	T := 1 + r.IntN(200)
	if categorical {
		ns := 2 + r.IntN(5)
		c := &Categorical{K: k, S: ns, Startprob: pi, Transmat: a, Emission: make([]float64, k*ns)}
		for i := range k {
			row := c.Emission[i*ns : (i+1)*ns]
			randomRow(row)
			if j := r.IntN(ns); r.IntN(3) == 0 && row[j] > 0 {
				row[j] *= 1e-200
				tot := sum64(row)
				for i := range row {
					row[i] /= tot
				}
			}
		}
		sym := make([]float64, T)
		for i := range sym {
			sym[i] = float64(r.IntN(ns))
			if i > 0 && r.IntN(2) == 0 {
				sym[i] = sym[i-1]
			}
		}
		return c, Sequences{X: sym, D: 1}
	}
	cov := []string{Diag, Spherical, Full, Tied}[r.IntN(4)]
	g := &Gaussian{Covariance: cov, K: k, D: d, Startprob: pi, Transmat: a, Means: make([]float64, k*d)}
	for i := range g.Means {
		g.Means[i] = 4 * r.NormFloat64()
	}
	// chol[s] is a lower factor of state s's covariance: scales from
	// 1e-3 to 3 (variances 1e-6 to 10), random correlations for full/tied.
	chol := make([]float64, k*d*d)
	for s := range k {
		l := chol[s*d*d : (s+1)*d*d]
		sc := math.Pow(10, -3+3.5*r.Float64())
		for i := range d {
			for j := range i + 1 {
				switch {
				case i == j:
					l[i*d+j] = sc * (0.5 + r.Float64())
				case cov == Full || cov == Tied:
					l[i*d+j] = sc * 0.5 * r.NormFloat64()
				}
			}
			if cov == Spherical {
				l[i*d+i] = sc
			}
		}
		if cov == Tied {
			copy(chol[s*d*d:(s+1)*d*d], chol[:d*d])
		}
	}
	for s := range k {
		l := chol[s*d*d : (s+1)*d*d]
		switch cov {
		case Diag:
			for i := range d {
				g.Covars = append(g.Covars, l[i*d+i]*l[i*d+i])
			}
		case Spherical:
			g.Covars = append(g.Covars, l[0]*l[0])
		case Full, Tied:
			if cov == Tied && s > 0 {
				break
			}
			for i := range d {
				for j := range d {
					v := 0.0
					for p := range min(i, j) + 1 {
						v += l[i*d+p] * l[j*d+p]
					}
					g.Covars = append(g.Covars, v)
				}
			}
		}
	}
	x := make([]float64, 0, T*d)
	for len(x) < T*d {
		s := r.IntN(k)
		row := make([]float64, d)
		z := make([]float64, d)
		for f := range z {
			z[f] = r.NormFloat64()
		}
		l := chol[s*d*d : (s+1)*d*d]
		for f := range row {
			row[f] = g.Means[s*d+f]
			for p := range f + 1 {
				row[f] += l[f*d+p] * z[p]
			}
		}
		for rep := 1 + r.IntN(8); rep > 0 && len(x) < T*d; rep-- {
			x = append(x, row...)
		}
	}
	return g, Sequences{X: x, D: d}
}

// TestLadderRandom: on random models (randomModel) every rung that accepts
// must agree with the log-space reference, and the ladder with the first
// rung that accepts.
func TestLadderRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 13))
	n := 300
	if testing.Short() {
		n = 60
	}
	for c := range n {
		for _, cat := range []bool{false, true} {
			m, seqs := randomModel(r, cat)
			for _, rr := range runRungs(t, m, seqs) {
				rr.check(t, fmt.Sprintf("case %d (%s K=%d T=%d)", c, m.Kind(), numStates(m), seqs.T()))
			}
		}
	}
}

// TestModelRandom checks the public methods against each other on random
// models cut into random sequences: DecodeAndScoreFrames is Decode and
// ScoreFrames bit for bit, the frames sum to Score, hmmlearn's scaling
// implementation agrees where it does not underflow, the Viterbi value is
// the log-probability of its path and at most Score, and posteriors sum
// to 1.
func TestModelRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	n := 200
	if testing.Short() {
		n = 40
	}
	for c := range n {
		for _, cat := range []bool{false, true} {
			m, seqs := randomModel(r, cat)
			seqs.Lengths = randomCuts(r, seqs.T())
			what := fmt.Sprintf("case %d (%s K=%d T=%d)", c, m.Kind(), numStates(m), seqs.T())
			checkDecodeAndScoreFrames(t, what, m, seqs)
			sc, err := m.Score(seqs)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			checkFrames(t, what, m, seqs, sc)
			sw, err := scoreWith(m, seqs, ImplScaling)
			// hmmlearn's scaling works on exp(b) and loses states whose
			// density, or its products with α, underflow, without failing;
			// compare only where no density is below e^-300.
			if err == nil && minOf(seqs, m) > -300 {
				checkClose(t, what+" scaling", sw, sc, 1e-9, 1e-9)
			}
			lp, path, err := m.Decode(seqs)
			if err != nil {
				t.Fatalf("%s: decode: %v", what, err)
			}
			c, em, _ := m.prepare(seqs, true)
			w := newWork(c.k)
			for i, b := range seqs.Bounds() {
				n := b[1] - b[0]
				logEm := w.emissions(em, seqs.X[b[0]*seqs.D:b[1]*seqs.D], n)
				p := path[b[0]:b[1]]
				v := c.logPi[p[0]] + logEm[p[0]]
				for u := 1; u < n; u++ {
					v += c.logA[p[u-1]*c.k+p[u]] + logEm[u*c.k+p[u]]
				}
				if math.IsInf(lp[i], -1) {
					continue
				}
				checkClose(t, what+" viterbi path", []float64{v}, []float64{lp[i]}, 1e-12, 1e-9)
				if lp[i] > sc[i]+1e-9*math.Abs(sc[i]) {
					t.Errorf("%s: sequence %d: viterbi %v above log-likelihood %v", what, i, lp[i], sc[i])
				}
			}
			if g, err := m.Posteriors(seqs); err == nil {
				k := numStates(m)
				for u := range seqs.T() {
					if s := sum64(g[u*k : (u+1)*k]); math.Abs(s-1) > 1e-12 {
						t.Errorf("%s: row %d: posteriors sum to %v", what, u, s)
						break
					}
				}
			}
		}
	}
}

// TestTrainRandom trains every covariance type and the categorical model
// on random data (randomModel's, several sequences): training must
// succeed, give finite log-likelihoods and a valid model, and not depend
// on Workers.
func TestTrainRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	n := 40
	if testing.Short() {
		n = 8
	}
	for c := range n {
		for _, kind := range []string{Diag, Spherical, Full, Tied, KindCategorical} {
			m, seqs := randomModel(r, kind == KindCategorical)
			seqs.Lengths = randomCuts(r, seqs.T())
			cfg := DefaultConfig()
			cfg.States, cfg.Restarts, cfg.NIter, cfg.Seed = 1+r.IntN(4), 2, 5, uint64(c)
			if kind == KindCategorical {
				cfg.Kind, cfg.Symbols = KindCategorical, m.(*Categorical).S
			} else {
				cfg.Covariance = kind
			}
			what := fmt.Sprintf("case %d (%s K=%d T=%d)", c, kind, cfg.States, seqs.T())
			var out [][]byte
			for _, workers := range []int{1, 2} {
				cfg.Workers = workers
				fit, rep, err := Train(context.Background(), cfg, seqs)
				if err != nil && (kind == Full || kind == Tied) && strings.Contains(err.Error(), "positive-definite") {
					// hmmlearn's scalar covars_prior is added to every entry of a
					// full/tied covariance; a state with almost no rows gets a
					// nearly rank-one matrix. A clear error, as in hmmlearn.
					out = append(out, []byte(err.Error()))
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				for _, run := range rep.Restarts {
					if math.IsNaN(run.FinalLogLik) || math.IsInf(run.FinalLogLik, 0) {
						t.Errorf("%s: final log-likelihood %v", what, run.FinalLogLik)
					}
				}
				b, err := MarshalModel(fit)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				out = append(out, b)
			}
			if string(out[0]) != string(out[1]) {
				t.Errorf("%s: Workers = 2 changed the model", what)
			}
		}
	}
}

// minOf returns the smallest log-density m gives a row of seqs.
func minOf(seqs Sequences, m Model) float64 {
	_, em, err := m.prepare(seqs, true)
	if err != nil {
		return math.Inf(-1)
	}
	b := make([]float64, seqs.T()*numStates(m))
	em.frameLogProb(b, seqs.X, seqs.T())
	lo := math.Inf(1)
	for _, v := range b {
		lo = min(lo, v)
	}
	return lo
}

// randomCuts cuts T rows into sequences of random lengths.
func randomCuts(r *rand.Rand, T int) []int {
	var lengths []int
	for T > 0 {
		l := 1 + r.IntN(T)
		lengths, T = append(lengths, l), T-l
	}
	return lengths
}

func numStates(m Model) int {
	if g, ok := m.(*Gaussian); ok {
		return g.K
	}
	return m.(*Categorical).K
}
