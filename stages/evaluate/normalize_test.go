package evaluate

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestNormalize scores testWindows (size 2, stride 1) with fakeModel, whose
// window score is the sum of the window's codes and whose viterbi is −2×
// that. Worked by hand for N1 (codes 1 2 3: windows (1,2) (2,3)) and I1
// (4 4 6: (4,4) (4,6)):
//
//	none:       N1 loglik 3+5 = 8, viterbi −16; I1 8+10 = 18, −36
//	per_window: ÷ 2 windows: N1 4, −8; I1 9, −18
//	per_flow:   ÷ 4 codes: N1 2, −4, windows 3/2 5/2; I1 4.5, −9, windows 4 5
//
// loglik_per_window is loglik / windows before normalising: 4 and 9.
func TestNormalize(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	wins := testWindows(t, mem)
	defer wins.Release()
	for _, tc := range []struct {
		how    string
		n1, i1 string
	}{
		{"", "8 -16 4 [3 5]", "18 -36 9 [8 10]"},
		{NormalizeNone, "8 -16 4 [3 5]", "18 -36 9 [8 10]"},
		{NormalizePerWindow, "4 -8 4 [3 5]", "9 -18 9 [8 10]"},
		{NormalizePerFlow, "2 -4 4 [1.5 2.5]", "4.5 -9 9 [4 5]"},
	} {
		res, err := Run(context.Background(), Input{Model: &fakeModel{}, Windows: wins},
			Params{Score: ScoreLogLik, Input: InputRows, Normalize: tc.how, Hosts: specs})
		if err != nil {
			t.Fatal(err)
		}
		str := func(h HostScore) string {
			return fmt.Sprint(h.LogLik, h.Viterbi, h.LogLikPerWindow, h.WindowScores)
		}
		if got := str(res.Hosts[1]); got != tc.n1 {
			t.Errorf("%q: N1 %s, want %s", tc.how, got, tc.n1)
		}
		if got := str(res.Hosts[4]); got != tc.i1 {
			t.Errorf("%q: I1 %s, want %s", tc.how, got, tc.i1)
		}
		if h := res.Hosts[3]; h.Status != StatusInsufficient || !math.IsNaN(h.LogLik) {
			t.Errorf("%q: an insufficient host is left NaN, got %+v", tc.how, h)
		}
	}

	// Sequences: per_flow divides every window by its own length (time
	// windows differ). P: codes 9 9 9, windows (9,9) (9,9): loglik 36 ÷ 4
	// codes = 9, viterbi −72 ÷ 4 = −18, each window 18 ÷ 2 = 9.
	res, err := Run(context.Background(), Input{Model: &fakeModel{}, Windows: wins},
		Params{Score: ScoreLogLik, Input: InputSequences, Normalize: NormalizePerFlow, Hosts: specs[:3]})
	if err != nil {
		t.Fatal(err)
	}
	if h := res.Hosts[0]; h.LogLik != 9 || h.Viterbi != -18 || fmt.Sprint(h.WindowScores) != "[9 9]" {
		t.Errorf("P: %+v", h)
	}
}

func TestNormalizeInvalid(t *testing.T) {
	err := Params{Score: ScoreLogLik, Input: InputRows, Normalize: "per_host"}.Validate()
	if err == nil || !strings.Contains(err.Error(), `normalize "per_host"`) {
		t.Errorf("err = %v", err)
	}
}
