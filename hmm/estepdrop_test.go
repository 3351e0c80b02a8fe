package hmm

import (
	"context"
	"math"
	"testing"
)

// logEStep is the reference for dropPosteriors: the log-space recursions.
func logEStep(ch *chain, em emitter, x []float64, T int) (logP float64, gamma, xi []float64) {
	l := newLattice(ch.k)
	l.grow(T)
	em.frameLogProb(l.flp, x, T)
	clear(l.xi)
	logP = l.forwardLog(ch, T)
	l.backwardLog(ch, T)
	l.posteriorsLog(ch, T, logP, true)
	return logP, append([]float64(nil), l.gamma[:T*ch.k]...), append([]float64(nil), l.xi...)
}

// dropEStep runs dropPosteriors; repeat = false switches off the copying of
// repeated frames.
func dropEStep(ch *chain, em emitter, x []float64, T int, repeat bool) (logP float64, gamma, xi []float64, ok bool) {
	l := newLattice(ch.k)
	l.noRepeat = !repeat
	l.grow(T)
	em.frameLogProb(l.flp, x, T)
	clear(l.xi)
	logP, ok = l.dropPosteriors(ch, T, true)
	if !ok {
		return 0, nil, nil, false
	}
	return logP, append([]float64(nil), l.gamma[:T*ch.k]...), append([]float64(nil), l.xi...), true
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

// degenerateModels are models on which the scaled E-step declines: the
// model Train fits on repeatedRows, and the first EM iterations from its
// initialisation (where states and transitions die out).
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

// TestDropPosteriors checks the E-step with dropped states against the
// log-space recursions on degenerate data: log P to 1e-13 relative, γ to
// 1e-13 absolute (γ ≤ 1), Σ_t ξ to 1e-12 relative, and the same exact zeros
// in γ and Σ_t ξ. It also checks that copying repeated frames changes no bit.
func TestDropPosteriors(t *testing.T) {
	for _, T := range []int{300, 5000} {
		seqs := repeatedRows(t, T)
		for name, g := range degenerateModels(t, seqs) {
			ch := newChain(g.Startprob, g.Transmat)
			em, err := newGaussianEmitter(g)
			if err != nil {
				t.Fatal(err)
			}
			l := newLattice(g.K)
			l.grow(T)
			if ok, _ := l.scaledProbs(em, seqs.X, T); ok {
				if _, ok = l.forwardScaled(ch, T); ok && l.backwardFast(ch, T, true) {
					t.Errorf("T=%d %s: the scaled E-step took the data; the test no longer covers dropPosteriors", T, name)
				}
			}
			lp, gamma, xi, ok := dropEStep(ch, em, seqs.X, T, true)
			if !ok {
				t.Errorf("T=%d %s: dropPosteriors declined", T, name)
				continue
			}
			wantLP, wantGamma, wantXi := logEStep(ch, em, seqs.X, T)
			if !relClose(lp, wantLP, 1e-13) {
				t.Errorf("T=%d %s: log P %v, log space %v", T, name, lp, wantLP)
			}
			for i := range gamma {
				if (gamma[i] == 0) != (wantGamma[i] == 0) || math.Abs(gamma[i]-wantGamma[i]) > 1e-13 {
					t.Errorf("T=%d %s: γ[%d] = %v, log space %v", T, name, i, gamma[i], wantGamma[i])
					break
				}
			}
			for i := range xi {
				if (xi[i] == 0) != (wantXi[i] == 0) || !relClose(xi[i], wantXi[i], 1e-12) {
					t.Errorf("T=%d %s: Σξ[%d] = %v, log space %v", T, name, i, xi[i], wantXi[i])
				}
			}
			lp2, gamma2, xi2, ok := dropEStep(ch, em, seqs.X, T, false)
			if !ok {
				t.Errorf("T=%d %s: dropPosteriors without repeats declined", T, name)
				continue
			}
			if !sameBits([]float64{lp}, []float64{lp2}) || !sameBits(gamma, gamma2) || !sameBits(xi, xi2) {
				t.Errorf("T=%d %s: copying repeated frames changed the result", T, name)
			}
		}
	}
}

// TestDropPosteriorsZeros: with all rows at state 0's mean, state 1's
// emission is gap nats below. At 800 nats its posteriors and the
// transitions into it are 0 in log space too, and dropPosteriors must give
// the same zeros; at 730 nats they are subnormal but not 0 (e^−730 ≈ 5e-318),
// which a dropped state cannot vouch for, so dropPosteriors must decline and
// the E-step must still produce the log-space values.
func TestDropPosteriorsZeros(t *testing.T) {
	for _, gap := range []float64{800, 730} {
		g := &Gaussian{Covariance: Diag, K: 2, D: 1, Means: []float64{0, math.Sqrt(2 * gap)}, Covars: []float64{1, 1},
			Startprob: []float64{0.5, 0.5}, Transmat: []float64{0.9, 0.1, 0.2, 0.8}}
		const T = 6
		seqs := Sequences{X: make([]float64, T), D: 1}
		ch := newChain(g.Startprob, g.Transmat)
		em, err := newGaussianEmitter(g)
		if err != nil {
			t.Fatal(err)
		}
		wantLP, wantGamma, wantXi := logEStep(ch, em, seqs.X, T)
		lp, gamma, xi, ok := dropEStep(ch, em, seqs.X, T, true)
		if gap == 730 {
			if wantGamma[1] == 0 || wantXi[1] == 0 {
				t.Fatalf("gap %v: log-space γ_0(1) = %v, Σξ(0,1) = %v, want subnormal", gap, wantGamma[1], wantXi[1])
			}
			if ok {
				t.Errorf("gap %v: dropPosteriors accepted posteriors it had to set to 0", gap)
			}
			eng, err := newEngine(2, ImplLog, 1, g.newStats)
			if err != nil {
				t.Fatal(err)
			}
			st := g.newStats()
			got, err := eng.sequence(eng.lats[0], ch, em, seqs.X, T, st, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !relClose(got, wantLP, 1e-13) || st.trans[1] != wantXi[1] || st.start[1] != wantGamma[1] {
				t.Errorf("gap %v: E-step log P %v, Σξ(0,1) %v, γ_0(1) %v; log space %v, %v, %v",
					gap, got, st.trans[1], st.start[1], wantLP, wantXi[1], wantGamma[1])
			}
			continue
		}
		if !ok {
			t.Fatalf("gap %v: dropPosteriors declined", gap)
		}
		if !relClose(lp, wantLP, 1e-13) {
			t.Errorf("gap %v: log P %v, log space %v", gap, lp, wantLP)
		}
		for i := range gamma {
			if gamma[i] != wantGamma[i] && math.Abs(gamma[i]-wantGamma[i]) > 1e-15 {
				t.Errorf("gap %v: γ[%d] = %v, log space %v", gap, i, gamma[i], wantGamma[i])
			}
		}
		for i := range xi {
			if (xi[i] == 0) != (wantXi[i] == 0) || !relClose(xi[i], wantXi[i], 1e-13) {
				t.Errorf("gap %v: Σξ[%d] = %v, log space %v", gap, i, xi[i], wantXi[i])
			}
		}
	}
}

// TestDataVariance: the diagonal-only variance is dataCovariance's diagonal,
// bit for bit.
func TestDataVariance(t *testing.T) {
	for _, x := range [][]float64{repeatedRows(t, 500).X, degenerateData(t).X} {
		T := len(x) / 10
		v, c := dataVariance(x, T, 10), dataCovariance(x, T, 10)
		for f := range 10 {
			if math.Float64bits(v[f]) != math.Float64bits(c[f*10+f]) {
				t.Errorf("feature %d: %v, covariance diagonal %v", f, v[f], c[f*10+f])
			}
		}
	}
}
