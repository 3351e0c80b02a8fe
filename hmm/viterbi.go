package hmm

import "math"

// viterbi runs the log-space Viterbi recursion over w.logEm (T rows) and
// returns the log-probability of the best path; unless path is nil it
// writes the path to path[:T] with hmmlearn's tie-breaking: the last state
// takes the lowest index among equal maxima, every earlier state the
// highest.
func (w *work) viterbi(c *chain, T int, path []int) float64 {
	k := w.k
	// Without a path only the last two frames of δ are kept.
	rows := 2
	if path != nil {
		rows = T
	}
	ensure(rows*k, &w.delta)
	d, b := w.delta, w.logEm
	for j := range k {
		d[j] = c.logPi[j] + b[j]
	}
	for t := 1; t < T; t++ {
		r := t % rows
		prev, cur := d[((t-1)%rows)*k:((t-1)%rows+1)*k], d[r*k:(r+1)*k]
		for j := range cur {
			col := c.logAT[j*k : (j+1)*k]
			col = col[:len(prev)]
			m := math.Inf(-1)
			for i, v := range prev {
				if v += col[i]; v > m {
					m = v
				}
			}
			cur[j] = m + b[t*k+j]
		}
	}
	last := d[((T-1)%rows)*k : ((T-1)%rows+1)*k]
	best := 0
	for j := 1; j < k; j++ {
		if last[j] > last[best] {
			best = j
		}
	}
	if path == nil {
		return last[best]
	}
	path[T-1] = best
	for t := T - 2; t >= 0; t-- {
		next := path[t+1]
		arg, m := 0, math.Inf(-1)
		for i, v := range d[t*k : (t+1)*k] {
			if v += c.logA[i*k+next]; v >= m {
				arg, m = i, v
			}
		}
		path[t] = arg
	}
	return last[best]
}
