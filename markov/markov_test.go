package markov

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"botprof/hmm"
)

func seqs(xs ...[]float64) hmm.Sequences {
	s := hmm.Sequences{D: 1}
	for _, x := range xs {
		s.X = append(s.X, x...)
		s.Lengths = append(s.Lengths, len(x))
	}
	return s
}

// Training on [0 1 1] and [0 2] over S = 3 symbols, by hand:
//
//	start (first symbols 0, 0):   counts 2 0 0
//	after 0 (0→1, 0→2):           counts 0 1 1
//	after 1 (1→1):                counts 0 1 0
//	after 2:                      never seen
//
// With α = 1: P(0) = 3/5, P(1) = P(2) = 1/5; P(·|0) = 1/5 2/5 2/5;
// P(·|1) = 1/4 2/4 1/4; P(·|2) = 1/3 each. Order 2 adds the context (0, 1)
// with counts 0 1 0: P(·|0,1) = 1/4 2/4 1/4.
func TestScoresByHand(t *testing.T) {
	train := seqs([]float64{0, 1, 1}, []float64{0, 2})
	for _, tc := range []struct {
		order int
		alpha float64
		x     []float64
		want  float64
	}{
		{1, 1, []float64{0, 1, 2}, math.Log(3.0 / 5 * 2 / 5 * 1 / 4)},
		{1, 1, []float64{2, 2}, math.Log(1.0 / 5 * 1 / 3)},
		{1, 1, []float64{1}, math.Log(1.0 / 5)},
		{1, 0, []float64{0, 1, 1}, math.Log(1 * 0.5 * 1)},
		{1, 0, []float64{1}, math.Inf(-1)},
		{1, 0, []float64{0, 2, 0}, math.Inf(-1)}, // context 2 unseen
		{2, 1, []float64{0, 1, 1}, math.Log(3.0 / 5 * 2 / 5 * 2 / 4)},
		{2, 1, []float64{0, 1, 0}, math.Log(3.0 / 5 * 2 / 5 * 1 / 4)},
		{2, 1, []float64{1, 1, 1}, math.Log(1.0 / 5 * 1 / 3 * 1 / 3)}, // contexts (1) at t=1 and (1,1) unseen
	} {
		c, err := Train(train, 3, tc.order, tc.alpha)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Score(seqs(tc.x))
		if err != nil {
			t.Fatal(err)
		}
		if !(got[0] == tc.want || math.Abs(got[0]-tc.want) < 1e-12) {
			t.Errorf("order %d α %v: score %v = %v, want %v", tc.order, tc.alpha, tc.x, got[0], tc.want)
		}
		vit, states, err := c.Decode(seqs(tc.x))
		if err != nil || vit[0] != got[0] || len(states) != len(tc.x) {
			t.Errorf("decode: %v %v %v", vit, states, err)
		}
	}
}

// Two sequences that differ only in their middle symbol's context: each
// context's own table is used.
func TestContextsDiffer(t *testing.T) {
	c, err := Train(seqs([]float64{0, 1, 1}, []float64{0, 2}), 3, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Score(seqs([]float64{0, 1, 1}))
	b, _ := c.Score(seqs([]float64{0, 2, 1}))
	// 3/5·2/5·2/4 against 3/5·2/5·1/3.
	if math.Abs(a[0]-b[0]-math.Log(1.5)) > 1e-12 {
		t.Errorf("scores %v %v differ by %v, want log 1.5", a, b, a[0]-b[0])
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c, err := Train(seqs([]float64{0, 1, 1, 3}, []float64{0, 2}), 4, 2, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) {
		t.Errorf("round trip:\n%s\n%s", b, b2)
	}
	x := seqs([]float64{0, 1, 1, 3, 2})
	s1, _ := c.Score(x)
	s2, _ := back.Score(x)
	if s1[0] != s2[0] {
		t.Errorf("scores %v, %v after a round trip", s1, s2)
	}
	for _, bad := range []string{`{"format":1,"kind":"gaussian"}`, `{"format":1,"kind":"markov","order":1,"symbols":2,"tables":[[]]}`,
		`{"format":1,"kind":"markov","order":1,"symbols":2,"tables":[[{"context":0,"counts":[1]}],[]]}`, `{`} {
		if _, err := Unmarshal([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		x        hmm.Sequences
		s, order int
		alpha    float64
		want     string
	}{
		{seqs([]float64{0, 1}), 2, 0, 1, "order 0"},
		{seqs([]float64{0, 1}), 2, 1, -1, "alpha -1"},
		{seqs([]float64{0, 1}), 0, 1, 1, "0 symbols"},
		{seqs([]float64{0, 2}), 2, 1, 1, "symbol 2 outside 0..1"},
		{seqs([]float64{0, 0.5}), 2, 1, 1, "symbol 0.5"},
		{hmm.Sequences{X: []float64{0, 1}, D: 2}, 2, 1, 1, "D = 2"},
		{seqs([]float64{0}), 1 << 20, 4, 1, "too many contexts"},
	} {
		_, err := Train(tc.x, tc.s, tc.order, tc.alpha)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	c, _ := Train(seqs([]float64{0, 1}), 2, 1, 1)
	if _, _, err := c.DecodeAndScoreFrames(hmm.Sequences{X: []float64{0, 1}, D: 2}); err == nil {
		t.Error("rows input accepted")
	}
}

// Per-symbol scores: the test chain's symbols 0 1 2 score 3/5, 2/5, 1/4
// and add up to the sequence's score.
func TestFrames(t *testing.T) {
	c, err := Train(seqs([]float64{0, 1, 1}, []float64{0, 2}), 3, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	lp, frames, err := c.DecodeAndScoreFrames(seqs([]float64{0, 1, 2}, []float64{2}))
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{math.Log(3.0 / 5), math.Log(2.0 / 5), math.Log(1.0 / 4), math.Log(1.0 / 5)}
	for i := range want {
		if math.Abs(frames[i]-want[i]) > 1e-12 {
			t.Errorf("frames %v, want %v", frames, want)
			break
		}
	}
	if math.Abs(lp[0]-(want[0]+want[1]+want[2])) > 1e-12 || lp[1] != frames[3] {
		t.Errorf("scores %v", lp)
	}
}
