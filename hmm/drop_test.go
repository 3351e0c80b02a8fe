package hmm

import (
	"context"
	"math"
	"testing"
)

// logScoreFrames is the reference for scoreDrop: the log-space forward pass
// and its increments LSE(α_t) − LSE(α_{t−1}).
func logScoreFrames(ch *chain, em emitter, x []float64, T int) (float64, []float64) {
	l := newLattice(ch.k)
	l.grow(T)
	em.frameLogProb(l.flp, x, T)
	lp := l.forwardLog(ch, T)
	frames, prev := make([]float64, T), 0.0
	for t := range T {
		cur := logSumExp(l.alpha[t*ch.k : (t+1)*ch.k])
		frames[t], prev = cur-prev, cur
	}
	return lp, frames
}

func relClose(a, b, rtol float64) bool {
	return a == b || math.Abs(a-b) <= rtol*math.Abs(b)
}

// TestScoreDrop checks that the dropped-state forward pass runs on
// degenerate data (where scoreFast declines) and agrees with the log-space
// pass to rounding, for the model Train fits on the fixture's data.
func TestScoreDrop(t *testing.T) {
	seqs := degenerateData(t)
	cfg := DefaultConfig()
	cfg.States = 4
	trained, _, err := Train(context.Background(), cfg, seqs)
	if err != nil {
		t.Fatal(err)
	}
	// One element for now; other degenerate models can join it.
	for name, g := range map[string]*Gaussian{"trained": trained.(*Gaussian)} {
		ch := newChain(g.Startprob, g.Transmat)
		em, err := newGaussianEmitter(g)
		if err != nil {
			t.Fatal(err)
		}
		T := seqs.T()
		l := newLattice(g.K)
		if _, ok := l.scoreFast(ch, em, seqs.X, seqs.D, T, nil); ok {
			t.Errorf("%s: scoreFast took the degenerate data; the test no longer covers scoreDrop", name)
		}
		frames := make([]float64, T)
		lp, ok := l.scoreDrop(ch, em, seqs.X, seqs.D, T, frames)
		if !ok {
			t.Fatalf("%s: scoreDrop declined", name)
		}
		want, wantFrames := logScoreFrames(ch, em, seqs.X, T)
		if !relClose(lp, want, 1e-13) {
			t.Errorf("%s: scoreDrop %v, forwardLog %v", name, lp, want)
		}
		for i := range T {
			if math.Abs(frames[i]-wantFrames[i]) > 1e-9*max(1, math.Abs(wantFrames[i])) {
				t.Errorf("%s: frame %d: increment %v, log space %v", name, i, frames[i], wantFrames[i])
				break
			}
		}
	}
}

// TestScoreDropDeclines builds a sequence where a dropped state matters: x_0
// favours state 0 by 50000 nats, but state 1 (reachable only from itself)
// explains x_1 as well as state 0 explains x_0. scoreDrop must decline, and
// Score must still equal the log-space value.
func TestScoreDropDeclines(t *testing.T) {
	g := &Gaussian{Covariance: Diag, K: 2, D: 1, Means: []float64{0, 10}, Covars: []float64{1e-3, 1e-3},
		Startprob: []float64{0.5, 0.5}, Transmat: []float64{1, 0, 0, 1}}
	seqs := Sequences{X: []float64{0, 10}, D: 1}
	ch := newChain(g.Startprob, g.Transmat)
	em, err := newGaussianEmitter(g)
	if err != nil {
		t.Fatal(err)
	}
	l := newLattice(2)
	if _, ok := l.scoreDrop(ch, em, seqs.X, 1, 2, nil); ok {
		t.Error("scoreDrop accepted a sequence whose likelihood comes from a dropped state")
	}
	got, err := g.Score(seqs)
	if err != nil {
		t.Fatal(err)
	}
	want, wantFrames := logScoreFrames(ch, em, seqs.X, 2)
	if !relClose(got[0], want, 1e-13) {
		t.Errorf("Score %v, log space %v", got[0], want)
	}
	frames, err := g.ScoreFrames(seqs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frames {
		if !relClose(frames[i], wantFrames[i], 1e-12) {
			t.Errorf("frame %d: %v, log space %v", i, frames[i], wantFrames[i])
		}
	}
}

// TestScoreDropRepeats: on runs of identical rows scoreDrop copies frames
// that repeat; the result must be the same, bit for bit, as computing every
// frame, and agree with the log-space pass.
func TestScoreDropRepeats(t *testing.T) {
	const T = 3000
	seqs := repeatedRows(t, T)
	for name, g := range degenerateModels(t, seqs) {
		ch := newChain(g.Startprob, g.Transmat)
		em, err := newGaussianEmitter(g)
		if err != nil {
			t.Fatal(err)
		}
		var lps [2]float64
		var frames [2][]float64
		for i, repeat := range []bool{true, false} {
			l := newLattice(g.K)
			l.noRepeat = !repeat
			frames[i] = make([]float64, T)
			var ok bool
			if lps[i], ok = l.scoreDrop(ch, em, seqs.X, seqs.D, T, frames[i]); !ok {
				t.Fatalf("%s: scoreDrop declined (repeat %v)", name, repeat)
			}
		}
		if !sameBits(lps[:1], lps[1:]) || !sameBits(frames[0], frames[1]) {
			t.Errorf("%s: copying repeated frames changed the result: %v vs %v", name, lps[0], lps[1])
		}
		want, wantFrames := logScoreFrames(ch, em, seqs.X, T)
		if !relClose(lps[0], want, 1e-13) {
			t.Errorf("%s: scoreDrop %v, forwardLog %v", name, lps[0], want)
		}
		for i := range T {
			if math.Abs(frames[0][i]-wantFrames[i]) > 1e-9*max(1, math.Abs(wantFrames[i])) {
				t.Errorf("%s: frame %d: increment %v, log space %v", name, i, frames[0][i], wantFrames[i])
				break
			}
		}
	}
}
