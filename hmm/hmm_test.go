package hmm

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"botprof/kmeans"
)

// long_sequence_underflow.json: T = 20000, both implementations, from hmmlearn 0.3.3.
func TestLongSequence(t *testing.T) {
	f := loadFixture(t, "long_sequence_underflow.json")
	x := flt(get(f, "data", "X"))
	seqs := Sequences{X: x, D: 2}
	model := func(p any) *Gaussian {
		return &Gaussian{Covariance: Diag, K: 2, D: 2, Startprob: flt(get(p, "startprob")), Transmat: flt(get(p, "transmat")),
			Means: flt(get(p, "means")), Covars: flt(get(p, "covars"))}
	}
	init := get(f, "initial_params")
	pr := ScalarGaussianPriors(Diag, 2, 2, 1, 1, 0, 0, 0.01, 1)
	for _, impl := range []string{ImplLog, ImplScaling} {
		sc, err := scoreWith(model(init), seqs, impl)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, impl+".score_initial", sc, []float64{num(get(f, impl, "score_initial"))}, rtol, atol)
		prev := init
		for i, it := range get(f, impl, "iterations").([]any) {
			m := model(prev)
			run, err := m.Fit(context.Background(), seqs, pr, FitOptions{NIter: 1, Tol: math.Inf(-1), Implementation: impl})
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, impl+".log_prob", run.History, []float64{num(get(it, "log_prob"))}, rtol, atol)
			checkParams(t, impl+".iter"+string(rune('1'+i)), m, get(it, "params"), rtol, atol)
			prev = get(it, "params")
		}
		m := model(init)
		run, err := m.Fit(context.Background(), seqs, pr, FitOptions{NIter: 3, Tol: math.Inf(-1), Implementation: impl})
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, impl+".history", run.History, flt(get(f, impl, "history")), rtol, atol)
		checkClose(t, impl+".final_score", []float64{run.FinalLogLik}, []float64{num(get(f, impl, "final_score"))}, rtol, atol)
	}
	lp, path, err := model(init).Decode(seqs)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "viterbi.log_prob", lp, []float64{num(get(f, "viterbi_initial", "log_prob"))}, rtol, atol)
	checkInts(t, "viterbi.states", path, ints(get(f, "viterbi_initial", "states")))
}

// edge_unreachable_state.json: hmmlearn turns a state that is never entered
// into NaN (means 0/0) and leaves an all-zero transmat row. botprof keeps
// that state's previous mean and transition row instead (doc.go), so every
// other parameter of iteration 1 matches hmmlearn and the model stays usable.
func TestUnreachableState(t *testing.T) {
	f := loadFixture(t, "edge_unreachable_state.json")
	fm := newFixtureModel(f)
	train := fm.seqs(get(f, "data"))
	init := get(f, "initial_params")
	m := fm.model(init).(*Gaussian)
	run, err := m.Fit(context.Background(), train, fm.gp, FitOptions{NIter: 1, Tol: math.Inf(-1)})
	if err != nil {
		t.Fatal(err)
	}
	want := get(f, "fit", "iterations", 0)
	checkClose(t, "log_prob", run.History, []float64{num(get(want, "log_prob"))}, rtol, atol)
	wp := get(want, "params")
	checkClose(t, "startprob", m.Startprob, flt(get(wp, "startprob")), rtol, atol)
	checkClose(t, "transmat rows 0-1", m.Transmat[:6], flt(get(wp, "transmat"))[:6], rtol, atol)
	checkClose(t, "transmat row 2 (kept)", m.Transmat[6:], flt(get(init, "transmat"))[6:], 0, 0)
	checkClose(t, "means states 0-1", m.Means[:4], flt(get(wp, "means"))[:4], rtol, atol)
	checkClose(t, "means state 2 (kept)", m.Means[4:], flt(get(init, "means"))[4:], 0, 0)
	checkClose(t, "covars states 0-1", m.Covars[:4], flt(get(wp, "covars"))[:4], rtol, atol)
	checkClose(t, "covars state 2", m.Covars[4:], []float64{1000, 1000}, 1e-12, 0) // 0.01 / 1e-5, as hmmlearn
	run, err = m.Fit(context.Background(), train, fm.gp, FitOptions{NIter: 5, Tol: math.Inf(-1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range append(run.History, run.FinalLogLik) {
		if math.IsNaN(h) || math.IsInf(h, 0) {
			t.Fatalf("history %v is not finite", run.History)
		}
	}
}

func degenerateData(t testing.TB) Sequences {
	f := loadFixture(t, "gaussian_diag_degenerate.json")
	return Sequences{X: flt(get(f, "data", "X")), D: 10}
}

// kmeans_init_reference.json is hmmlearn's own _init on the degenerate data
// (random_state=0) and the default fit from it. Our generator differs from
// numpy's, so only the quality is compared: the best of 10 restarts reaches
// the same final log-likelihood as hmmlearn's default fit (1717.596).
func TestDegenerateTrain(t *testing.T) {
	f := loadFixture(t, "kmeans_init_reference.json")
	seqs := degenerateData(t)
	T := seqs.T()
	km := kmeans.Fit(newRand(0, streamKMeans), seqs.X, 10, 4, 10, kmeans.Tol(diagonal(dataCovariance(seqs.X, T, 10, false), 10), T))
	if want := num(get(f, "kmeans", "inertia")); km.Inertia > want*(1+1e-9) {
		t.Errorf("k-means inertia %v, hmmlearn/sklearn reached %v", km.Inertia, want)
	}
	cfg := DefaultConfig()
	cfg.States = 4
	cfg.Restarts = 10
	m, rep, err := Train(context.Background(), cfg, seqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rep.Restarts {
		if math.IsNaN(r.FinalLogLik) || math.IsInf(r.FinalLogLik, 0) {
			t.Errorf("restart %d: final log-likelihood %v", i, r.FinalLogLik)
		}
		if r.Seed != uint64(i) {
			t.Errorf("restart %d: seed %d", i, r.Seed)
		}
	}
	want := num(get(f, "default_fit_tol_1e-2", "score"))
	best := rep.Restarts[rep.Best].FinalLogLik
	if best < want-1e-6 {
		t.Errorf("best final log-likelihood %v < hmmlearn's default fit %v", best, want)
	}
	sc, err := m.Score(seqs)
	if err != nil || sc[0] != best {
		t.Errorf("Score of the returned model = %v, %v; want %v", sc, err, best)
	}
	cfg.Workers = 2
	m2, rep2, err := Train(context.Background(), cfg, seqs)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := MarshalModel(m)
	b2, _ := MarshalModel(m2)
	if !bytes.Equal(b1, b2) || rep.Best != rep2.Best {
		t.Errorf("Workers=2 changed the result: best %d vs %d", rep.Best, rep2.Best)
	}
}

// Every init of the degenerate data (many duplicate rows) must give a valid model.
func TestInitDegenerate(t *testing.T) {
	seqs := degenerateData(t)
	same := Sequences{X: make([]float64, 500*3), D: 3}
	for i := range same.X {
		same.X[i] = 10
	}
	for _, data := range []Sequences{seqs, same, {X: []float64{1, 2}, D: 2}} {
		for _, cov := range []string{Diag, Spherical, Full, Tied} {
			for seed := range uint64(5) {
				g := InitGaussian(seed, cov, 4, data, 1e-3)
				if err := g.Validate(); err != nil {
					t.Fatalf("%s seed %d: %v", cov, seed, err)
				}
			}
		}
	}
	cfg := DefaultConfig()
	cfg.States = 3
	cfg.Restarts = 2
	if _, _, err := Train(context.Background(), cfg, same); err != nil {
		t.Fatalf("identical rows: %v", err)
	}
}

func TestWorkersIdentical(t *testing.T) {
	f := loadFixture(t, "categorical_multiseq.json")
	fm := newFixtureModel(f)
	train := fm.seqs(get(f, "data"))
	init := fm.model(get(f, "initial_params"))
	var out [][]byte
	for _, w := range []int{0, 1, 2, 3} {
		cfg := DefaultConfig()
		cfg.Kind, cfg.States, cfg.Symbols, cfg.Workers, cfg.Tol = KindCategorical, 3, 6, w, math.Inf(-1)
		m, _, err := fitConfig(context.Background(), cfg, train, init, cfg.Workers)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := MarshalModel(m)
		out = append(out, b)
	}
	for i := range out {
		if !bytes.Equal(out[i], out[0]) {
			t.Errorf("Workers=%d differs from sequential", i)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	seqs := Sequences{X: []float64{0, 1, 2, 1}, D: 1}
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.States = 0 }, "states"},
		{func(c *Config) { c.Covariance = "banded" }, "covariance"},
		{func(c *Config) { c.Kind = "poisson" }, "kind"},
		{func(c *Config) { c.Kind, c.Symbols = KindCategorical, 0 }, "symbols"},
		{func(c *Config) { c.Kind, c.Symbols = KindCategorical, 2 }, "row 2"},
		{func(c *Config) { c.NIter = 0 }, "n_iter"},
		{func(c *Config) { c.Restarts = 0 }, "restarts"},
		{func(c *Config) { c.Implementation = "fast" }, "implementation"},
		{func(c *Config) { c.CovarsPrior = math.NaN() }, "covars_prior"},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		if _, _, err := Train(context.Background(), cfg, seqs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error mentioning %q, got %v", c.want, err)
		}
	}
}

func TestDataErrors(t *testing.T) {
	g := &Gaussian{Covariance: Diag, K: 1, D: 2, Startprob: []float64{1}, Transmat: []float64{1},
		Means: []float64{0, 0}, Covars: []float64{1, 1}}
	c := &Categorical{K: 1, S: 2, Startprob: []float64{1}, Transmat: []float64{1}, Emission: []float64{0.5, 0.5}}
	for _, tc := range []struct {
		m    Model
		s    Sequences
		want string
	}{
		{g, Sequences{X: []float64{0, math.NaN()}, D: 2}, "row 0, feature 1 is NaN"},
		{g, Sequences{X: []float64{0, 1, 2, 3, math.Inf(-1), 5, 6, 7}, D: 2, Lengths: []int{1, 3}}, "row 2, feature 0 is -Inf"},
		{g, Sequences{X: []float64{0, 1, math.Inf(1), 3}, D: 2}, "row 1, feature 0 is +Inf"},
		{c, Sequences{X: []float64{0, math.NaN()}, D: 1}, "row 1: symbol NaN"},
		{g, Sequences{X: []float64{0, 1, 2}, D: 3}, "3 features"},
		{g, Sequences{X: []float64{0, 1, 2, 3}, D: 2, Lengths: []int{2, 0}}, "sequence 1 is empty"},
		{g, Sequences{X: nil, D: 2}, "no observations"},
		{c, Sequences{X: []float64{0, 1, 2}, D: 1}, "row 2: symbol 2"},
		{c, Sequences{X: []float64{0, 0.5}, D: 1}, "row 1"},
	} {
		_, err1 := tc.m.Score(tc.s)
		_, err2 := tc.m.ScoreFrames(tc.s)
		_, _, err3 := tc.m.Decode(tc.s)
		_, err4 := tc.m.Posteriors(tc.s)
		_, err5 := scoreWith(tc.m, tc.s, ImplScaling)
		_, _, err6 := tc.m.DecodeAndScoreFrames(tc.s)
		for i, err := range []error{err1, err2, err3, err4, err5, err6} {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("method %d: want error mentioning %q, got %v", i, tc.want, err)
			}
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, name := range standardFixtures {
		f := loadFixture(t, name)
		fm := newFixtureModel(f)
		m := fm.model(get(f, "fit", "final_params"))
		b, err := MarshalModel(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalModel(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b2, _ := MarshalModel(back)
		if !bytes.Equal(b, b2) {
			t.Errorf("%s: round trip changed the JSON", name)
		}
		checkParams(t, name, back, get(f, "fit", "final_params"), 0, 0)
	}
	if _, err := UnmarshalModel([]byte(`{"format":1,"kind":"gaussian","states":1,"features":1,"covariance":"diag","startprob":[1],"transmat":[[1]],"means":[[0]],"covars":[[-1]]}`)); err == nil {
		t.Error("negative variance accepted")
	}
}

// A million frames stay finite in log space and the scaling implementation agrees.
func TestLongFinite(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	T := 1_000_000
	x := make([]float64, T)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	g := &Gaussian{Covariance: Diag, K: 2, D: 1, Startprob: []float64{0.5, 0.5}, Transmat: []float64{0.9, 0.1, 0.2, 0.8},
		Means: []float64{-1, 1}, Covars: []float64{1, 2}}
	seqs := Sequences{X: x, D: 1}
	lg, err := g.Score(seqs)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scoreWith(g, seqs, ImplScaling)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(lg[0]) || math.IsInf(lg[0], 0) || math.Abs(lg[0]-sc[0]) > 1e-9*math.Abs(lg[0]) {
		t.Errorf("log %v, scaling %v", lg[0], sc[0])
	}
	lp, _, err := g.Decode(seqs)
	if err != nil || math.IsInf(lp[0], 0) || lp[0] > lg[0] {
		t.Errorf("viterbi %v (%v), forward %v", lp, err, lg[0])
	}
}

// The fast scaled recursions must be taken on ordinary data, also after EM
// has driven start probabilities down, and agree with the log-space
// recursions; on the degenerate fixture the forward-backward rung must
// decline (TestLadder).
func TestFastMatchesExact(t *testing.T) {
	for _, bc := range benchCases() {
		m := bc.model
		if g, ok := m.(*Gaussian); ok {
			g = g.Clone()
			if _, err := g.Fit(context.Background(), bc.seqs, ScalarGaussianPriors(Diag, g.K, g.D, 1, 1, 0, 0, 0.01, 1),
				FitOptions{NIter: 5, Tol: math.Inf(-1)}); err != nil {
				t.Fatal(err)
			}
			m = g
		}
		seqs := Sequences{X: bc.seqs.X[:3000*bc.seqs.D], D: bc.seqs.D}
		r := runRungs(t, m, seqs)[0]
		if !r.fastOK {
			t.Fatalf("%s: fast path declined", bc.name)
		}
		r.check(t, bc.name)
	}
	f := loadFixture(t, "gaussian_diag_degenerate.json")
	fm := newFixtureModel(f)
	g := fm.model(get(f, "fit", "final_params"))
	if r := runRungs(t, g, fm.seqs(get(f, "heldout")))[0]; r.fastOK {
		t.Error("fast path accepted the degenerate held-out data")
	}
}

func TestExpNeg(t *testing.T) {
	worst := 0.0
	for x := 0.0; x >= -700; x -= 0.000731 {
		got, want := expNeg(x), math.Exp(x)
		if e := math.Abs(got-want) / want; e > worst {
			worst = e
		}
	}
	if worst > 5e-16 {
		t.Errorf("worst relative error %g", worst)
	}
	if expNeg(0) != 1 || expNeg(-700) <= 0 {
		t.Errorf("expNeg(0) = %v, expNeg(-700) = %v", expNeg(0), expNeg(-700))
	}
}

// With EmissionPrior > 1 a symbol never seen in training keeps a positive
// probability (hmmlearn's MAP update max(α − 1 + n, 0)); with the default 1
// it gets probability 0 and a held-out sequence containing it scores −Inf.
func TestEmissionPriorUnseenSymbol(t *testing.T) {
	train := Sequences{X: []float64{0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2}, D: 1}
	held := Sequences{X: []float64{0, 3, 1}, D: 1}
	for _, c := range []struct {
		prior  float64
		finite bool
	}{{1, false}, {2, true}} {
		cfg := DefaultConfig()
		cfg.Kind, cfg.States, cfg.Symbols, cfg.EmissionPrior, cfg.Seed = KindCategorical, 2, 4, c.prior, 7
		m, _, err := Train(context.Background(), cfg, train)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := m.Score(held)
		if err != nil {
			t.Fatal(err)
		}
		if finite := !math.IsInf(sc[0], 0) && !math.IsNaN(sc[0]); finite != c.finite {
			t.Errorf("prior %v: held-out score %v", c.prior, sc[0])
		}
	}
}

func TestGaussianWorkersIdentical(t *testing.T) {
	f := loadFixture(t, "gaussian_full_small.json")
	fm := newFixtureModel(f)
	train := fm.seqs(get(f, "data"))
	train.Lengths = []int{10, 7, 13, 5, 15}
	var out [][]byte
	for _, w := range []int{1, 2} {
		cfg := DefaultConfig()
		cfg.Covariance, cfg.States, cfg.Restarts, cfg.Workers, cfg.Seed = Full, 3, 3, w, 11
		m, _, err := Train(context.Background(), cfg, train)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := MarshalModel(m)
		out = append(out, b)
		post, err := m.Posteriors(train)
		if err != nil {
			t.Fatal(err)
		}
		for r := range train.T() {
			if s := sum(post[r*3 : r*3+3]); math.Abs(s-1) > 1e-12 {
				t.Fatalf("posterior row %d sums to %v", r, s)
			}
		}
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Error("Workers=2 changed the trained model")
	}
}

// ScoreFrames must equal the exact log-space increments
// LSE(α_t) − LSE(α_{t−1}), and on the degenerate held-out data (where the
// fast path declines, TestFastMatchesExact) the frames still sum to Score.
func TestScoreFrames(t *testing.T) {
	for _, bc := range benchCases() {
		T := 3000
		seqs := Sequences{X: bc.seqs.X[:T*bc.seqs.D], D: bc.seqs.D, Lengths: []int{1000, 1, 1999}}
		fr, err := bc.model.ScoreFrames(seqs)
		if err != nil {
			t.Fatal(err)
		}
		var want []float64
		for _, r := range runRungs(t, bc.model, seqs) {
			want = append(want, r.logFrames...)
		}
		// The exact increments are differences of log-likelihoods of up to
		// ~5e4 in magnitude, so they carry ~1e-11 absolute rounding.
		checkClose(t, bc.name+" frames", fr, want, 1e-9, 1e-10)
		sc, _ := bc.model.Score(seqs)
		checkFrames(t, bc.name, bc.model, seqs, sc)
	}
	f := loadFixture(t, "gaussian_diag_degenerate.json")
	fm := newFixtureModel(f)
	g := fm.model(get(f, "fit", "final_params"))
	held := fm.seqs(get(f, "heldout"))
	sc, err := g.Score(held)
	if err != nil {
		t.Fatal(err)
	}
	checkFrames(t, "degenerate heldout", g, held, sc)
	if _, err := g.ScoreFrames(Sequences{X: []float64{math.NaN()}, D: 10}); err == nil {
		t.Error("ScoreFrames accepted bad data")
	}
}

// EM drives unused start probabilities towards 0 geometrically, and below
// ~1e-300 π_j·p_j underflows. The fast rung drops such a start state and
// restores its posteriors (fixStart); it must agree with the log-space
// rung, for T = 1 too.
func TestFastDroppedStart(t *testing.T) {
	bc := benchCases()[0]
	g := bc.model.(*Gaussian).Clone()
	copy(g.Startprob, []float64{1, 3.5e-294, 1e-314, 1.2e-279})
	for _, T := range []int{3000, 2, 1} {
		r := runRungs(t, g, Sequences{X: bc.seqs.X[:T*bc.seqs.D], D: bc.seqs.D})[0]
		if !r.fastOK || !r.fwdOK {
			t.Errorf("T=%d: fast forward-backward accepted %v, dropping forward %v; want true, true", T, r.fastOK, r.fwdOK)
		}
		r.check(t, fmt.Sprintf("T=%d", T))
		// The restored posteriors of the dropped states, relative.
		checkClose(t, fmt.Sprintf("T=%d gamma_0", T), r.fastGamma[:4], r.logGamma[:4], 1e-9, 1e-300)
		checkClose(t, fmt.Sprintf("T=%d xi", T), r.fastXi, r.logXi, 1e-10, 1e-300)
	}
}

// The variances alone (a diagonal model's init) are the full covariance's
// diagonal bit for bit, and the rest is left 0.
func TestDataCovarianceDiagonalOnly(t *testing.T) {
	const T, d = 257, 6
	r := newRand(3, 0)
	x := make([]float64, T*d)
	for i := range x {
		x[i] = r.NormFloat64()*float64(i%d+1) + float64(i%7)
	}
	full, diag := dataCovariance(x, T, d, true), dataCovariance(x, T, d, false)
	for a := range d {
		for b := range d {
			switch {
			case a == b && math.Float64bits(diag[a*d+b]) != math.Float64bits(full[a*d+b]):
				t.Errorf("variance %d: %v alone, %v in the full matrix", a, diag[a*d+b], full[a*d+b])
			case a != b && diag[a*d+b] != 0:
				t.Errorf("entry (%d, %d) = %v, want 0 without off-diagonals", a, b, diag[a*d+b])
			case a != b && full[a*d+b] == 0:
				t.Errorf("full entry (%d, %d) is 0: the test data are degenerate", a, b)
			}
		}
	}
}
