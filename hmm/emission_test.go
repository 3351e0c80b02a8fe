package hmm

import (
	"bytes"
	"context"
	"math"
	"testing"
)

// TestSingleRestartWorkers fits one restart on several sequences with 2
// workers, which share the emitter: the result must equal the sequential
// one (and -race must find no race on emitter scratch).
func TestSingleRestartWorkers(t *testing.T) {
	for _, cov := range []string{Diag, Spherical, Full} {
		g, seqs := gaussianProblem(3000, 3, 4)
		seqs.Lengths = []int{700, 500, 900, 400, 500}
		var out [][]byte
		for _, w := range []int{1, 2} {
			init := g.Clone()
			init.Covariance = cov
			switch cov {
			case Spherical:
				init.Covars = fill(3, 1)
			case Full:
				init.Covars = make([]float64, 3*4*4)
				for s := range 3 {
					for f := range 4 {
						init.Covars[s*16+f*4+f] = 1
					}
				}
			}
			cfg := DefaultConfig()
			cfg.States, cfg.Workers, cfg.NIter = 3, w, 3
			m, _, err := fitConfig(context.Background(), cfg, seqs, init, cfg.Workers)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := MarshalModel(m)
			out = append(out, b)
		}
		if !bytes.Equal(out[0], out[1]) {
			t.Errorf("%s: Workers=2 changed the fitted model", cov)
		}
	}
}

// TestDiagLogProbBlocks: a row's densities, computed in blocks of
// emitBlock rows, are the values computed for the row on its own.
func TestDiagLogProbBlocks(t *testing.T) {
	seqs := repeatedRows(t, 700)
	cfg := DefaultConfig()
	cfg.States, cfg.NIter = 4, 3
	m, _, err := Train(context.Background(), cfg, seqs)
	if err != nil {
		t.Fatal(err)
	}
	em, err := newGaussianEmitter(m.(*Gaussian))
	if err != nil {
		t.Fatal(err)
	}
	T, d := seqs.T(), seqs.D
	got := make([]float64, T*4)
	em.frameLogProb(got, seqs.X, T)
	for r := range T {
		want := make([]float64, 4)
		em.frameLogProb(want, seqs.X[r*d:(r+1)*d], 1)
		if !sameBits(got[r*4:(r+1)*4], want) {
			t.Fatalf("row %d: %v, on its own %v", r, got[r*4:(r+1)*4], want)
		}
	}
}

// TestAccumulateDiagZeros: rows where a state's γ is 0 are skipped; the
// sums must equal plain row-order sums bit for bit.
func TestAccumulateDiagZeros(t *testing.T) {
	g, seqs := gaussianProblem(1000, 3, 5)
	T, d, k := seqs.T(), seqs.D, 3
	for i := range seqs.X {
		seqs.X[i] -= 1 // negative values too: 0·x = −0
	}
	gamma := make([]float64, T*k)
	for r := range T {
		switch {
		case r < 300: // state 0 only: states 1, 2 skip whole blocks
			gamma[r*k] = 1
		case r < 600:
			gamma[r*k+1], gamma[r*k+2] = 0.25, 0.75
		default:
			gamma[r*k], gamma[r*k+1], gamma[r*k+2] = 0.5, 0.5*float64(r%2), 0.5*float64(1-r%2)
		}
	}
	em, err := newGaussianEmitter(g)
	if err != nil {
		t.Fatal(err)
	}
	st := g.newStats()
	em.accumulate(st, seqs.X, gamma, T)
	obs, obs2 := make([]float64, k*d), make([]float64, k*d)
	for r := range T {
		for s := range k {
			for f := range d {
				v := seqs.X[r*d+f]
				obs[s*d+f] += gamma[r*k+s] * v
				obs2[s*d+f] += gamma[r*k+s] * (v * v)
			}
		}
	}
	if !sameBits(st.obs, obs) || !sameBits(st.obs2, obs2) {
		t.Errorf("accumulate differs from row-order sums:\n%v\n%v\n%v\n%v", st.obs, obs, st.obs2, obs2)
	}
	for i, v := range st.obs {
		if math.Signbit(v) && v == 0 {
			t.Errorf("obs[%d] = −0", i)
		}
	}
}
