package train

import (
	"reflect"
	"strings"
	"testing"

	"botprof/hmm"
	"botprof/stages/window"
)

// Size-4 windows, stride 2, over codes 0..11: rows are the windows' codes,
// sequences the same values one window per sequence.
func TestInputs(t *testing.T) {
	codes := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	w := windowsOf(t, []string{"P"}, [][]int32{codes}, window.Params{Size: 4, Stride: 2})
	p := w.Host("P")
	rows, _ := Inputs(p, InputRows)
	wantRows := hmm.Sequences{D: 4, X: []float64{0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9, 8, 9, 10, 11}}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("rows = %+v, want %+v", rows, wantRows)
	}
	seqs, _ := Inputs(p, InputSequences)
	if seqs.D != 1 || !reflect.DeepEqual(seqs.X, wantRows.X) || !reflect.DeepEqual(seqs.Lengths, []int{4, 4, 4, 4, 4}) {
		t.Errorf("sequences = %+v", seqs)
	}
	if err := seqs.Validate(); err != nil {
		t.Error(err)
	}
}

// Every size and stride (overlapping, adjacent, with gaps) gives the
// windows' codes row by row, in a reused buffer too.
func TestInputsInto(t *testing.T) {
	const n = 37
	codes := make([]int32, n)
	for i := range codes {
		codes[i] = int32(i)
	}
	var buf []float64
	for _, size := range []int{1, 2, 5, 10} {
		for _, stride := range []int{1, 2, 5, 7, 12} {
			w := windowsOf(t, []string{"P"}, [][]int32{codes}, window.Params{Size: size, Stride: stride})
			h := w.Host("P")
			var want []float64
			for i := range h.Count {
				for _, c := range h.Window(i) {
					want = append(want, float64(c))
				}
			}
			got, _ := InputsInto(h, InputRows, buf)
			if got.D != size || !reflect.DeepEqual(got.X, want) && len(want) > 0 {
				t.Errorf("size %d stride %d: rows %v, want %v", size, stride, got.X, want)
			}
			buf = got.X
			w.Release()
		}
	}
}

// Time windows vary in length: sequences of their own lengths, no rows.
func TestInputsOfTimeWindows(t *testing.T) {
	w := windowsOf(t, []string{"P"}, [][]int32{{0, 1, 2, 3, 0, 1}}, window.Params{Span: 2, MinFlows: 1})
	// The helper's flows are 1 µs apart: windows of 2 flows.
	seqs, err := Inputs(w.Host("P"), InputSequences)
	if err != nil || !reflect.DeepEqual(seqs.Lengths, []int{2, 2, 2}) || seqs.D != 1 {
		t.Errorf("sequences %+v, %v", seqs, err)
	}
	if _, err := Inputs(w.Host("P"), InputRows); err == nil || !strings.Contains(err.Error(), "time windows vary in length") {
		t.Errorf("rows of time windows: %v", err)
	}
}
