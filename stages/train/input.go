package train

import (
	"fmt"

	"botprof/hmm"
	"botprof/stages/window"
)

// Model inputs: how windows are given to a model is the train stage's
// business; evaluate builds a scored host's input with the same functions.
const (
	// InputRows gives a host's windows as one sequence of Count rows of
	// D = window size features (row i is window i as float64): the
	// notebook's layout for the Gaussian model.
	InputRows = "rows"
	// InputSequences gives every window as its own symbol sequence of
	// length window size (D = 1), for a categorical model.
	InputSequences = "sequences"
	// InputConcat trains as InputSequences (every window its own
	// sequence) but scores a host's windows concatenated into one symbol
	// sequence: a window's score is its share of that sequence's
	// log-likelihood, log P(w_i | w_<i), rather than its log-likelihood
	// from the start distribution.
	InputConcat = "concat"
)

// symbols reports whether input gives symbol sequences (D = 1).
func symbols(input string) bool { return input == InputSequences || input == InputConcat }

// Inputs builds the model input of one host's windows.
func Inputs(h *window.HostWindows, input string) (hmm.Sequences, error) {
	return InputsInto(h, input, nil)
}

// InputsInto is Inputs writing its values into buf's memory when it is
// large enough, so that a caller scoring host after host reuses one buffer.
// Time windows (window.Params.Span) vary in length: they make sequences
// only.
func InputsInto(h *window.HostWindows, input string, buf []float64) (hmm.Sequences, error) {
	size := h.Size()
	if size == 0 && !symbols(input) {
		return hmm.Sequences{}, fmt.Errorf("host %s: time windows vary in length: they make symbol sequences (model.input: sequences), not rows", h.Host)
	}
	n := 0
	for i := range h.Count {
		n += len(h.Window(i))
	}
	if cap(buf) < n {
		buf = make([]float64, n)
	}
	x := buf[:n]
	k := 0
	for i := range h.Count {
		for _, c := range h.Window(i) {
			x[k] = float64(c)
			k++
		}
	}
	if !symbols(input) {
		return hmm.Sequences{X: x, D: size}, nil
	}
	lengths := make([]int, h.Count)
	for i := range lengths {
		lengths[i] = len(h.Window(i))
	}
	return hmm.Sequences{X: x, D: 1, Lengths: lengths}, nil
}
