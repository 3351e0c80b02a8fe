package hmm

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzModel feeds random models (randomModel, seeded by the input) and
// data with injected bad values — NaN, ±Inf, 1e308, symbols out of range —
// and odd sequence cuts to every public method and to Train: each must
// return an error or results without NaN, never panic. make fuzz runs it.
func FuzzModel(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint16(0), uint8(0))
	f.Add(uint64(2), uint8(1), uint16(3), uint8(1))
	f.Add(uint64(3), uint8(2), uint16(0), uint8(2))
	f.Add(uint64(4), uint8(3), uint16(7), uint8(3))
	f.Add(uint64(5), uint8(4), uint16(1), uint8(0))
	f.Fuzz(func(t *testing.T, seed uint64, bad uint8, at uint16, cut uint8) {
		r := rand.New(rand.NewPCG(seed, 99))
		m, seqs := randomModel(r, seed%2 == 1)
		n := len(seqs.X)
		i := int(at) % n
		switch bad % 6 {
		case 1:
			seqs.X[i] = math.NaN()
		case 2:
			seqs.X[i] = math.Inf(1)
		case 3:
			seqs.X[i] = math.Inf(-1)
		case 4:
			seqs.X[i] = 1e308
		case 5:
			seqs.X[i] = -3 // not a symbol
		}
		switch cut % 4 {
		case 1:
			seqs.Lengths = []int{seqs.T()}
		case 2:
			seqs.Lengths = []int{1, seqs.T() - 1} // may be 0: an error
		case 3:
			seqs.Lengths = []int{seqs.T() + 1} // an error
		}
		noNaN := func(what string, v []float64, err error) {
			if err != nil {
				return
			}
			for _, x := range v {
				if math.IsNaN(x) {
					t.Fatalf("%s: NaN without an error", what)
				}
			}
		}
		sc, err := m.Score(seqs)
		noNaN("Score", sc, err)
		fr, err := m.ScoreFrames(seqs)
		noNaN("ScoreFrames", fr, err)
		lp, _, err := m.Decode(seqs)
		noNaN("Decode", lp, err)
		vit, fr2, err := m.DecodeAndScoreFrames(seqs)
		noNaN("DecodeAndScoreFrames", vit, err)
		noNaN("DecodeAndScoreFrames frames", fr2, err)
		g, err := m.Posteriors(seqs)
		noNaN("Posteriors", g, err)
		cfg := DefaultConfig()
		cfg.States, cfg.NIter = 1+int(seed%3), 3
		if c, ok := m.(*Categorical); ok {
			cfg.Kind, cfg.Symbols = KindCategorical, c.S
		}
		if fit, rep, err := Train(context.Background(), cfg, seqs); err == nil {
			if fit == nil || math.IsNaN(rep.Restarts[rep.Best].FinalLogLik) {
				t.Fatalf("Train: model %v, final log-likelihood NaN", fit)
			}
		}
	})
}
