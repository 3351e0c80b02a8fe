package hmm

import "fmt"

// Sequences is a set of observation sequences stored row-major in one slice.
//
// Gaussian models read T rows of D features. Categorical models need D == 1 and
// read each value as a symbol id in [0, S). Lengths cuts the T rows into
// consecutive sequences; nil means a single sequence of all T rows.
type Sequences struct {
	X       []float64
	D       int
	Lengths []int
}

// T returns the total number of rows.
func (s Sequences) T() int {
	if s.D <= 0 {
		return 0
	}
	return len(s.X) / s.D
}

// Bounds returns the [start, end) row range of every sequence.
func (s Sequences) Bounds() [][2]int {
	if s.Lengths == nil {
		return [][2]int{{0, s.T()}}
	}
	out := make([][2]int, len(s.Lengths))
	start := 0
	for i, n := range s.Lengths {
		out[i] = [2]int{start, start + n}
		start += n
	}
	return out
}

// Validate reports the first structural problem of s: a non-positive
// dimension, a ragged X, an empty sequence, lengths that do not add up, or a
// non-finite value.
func (s Sequences) Validate() error {
	if err := s.validateShape(); err != nil {
		return err
	}
	return s.checkFinite()
}

// validateShape is Validate without the pass over the values.
func (s Sequences) validateShape() error {
	if s.D <= 0 {
		return fmt.Errorf("hmm: dimension D = %d, need > 0", s.D)
	}
	if len(s.X) == 0 {
		return fmt.Errorf("hmm: no observations")
	}
	if len(s.X)%s.D != 0 {
		return fmt.Errorf("hmm: %d values do not form rows of D = %d", len(s.X), s.D)
	}
	if s.Lengths != nil {
		sum := 0
		for i, n := range s.Lengths {
			if n <= 0 {
				return fmt.Errorf("hmm: sequence %d is empty (length %d)", i, n)
			}
			sum += n
		}
		if sum != s.T() {
			return fmt.Errorf("hmm: lengths add up to %d, but there are %d rows", sum, s.T())
		}
	}
	return nil
}

// checkFinite reports the first NaN or ±Inf value of s.
func (s Sequences) checkFinite() error {
	if allFinite(s.X) {
		return nil
	}
	for i, v := range s.X {
		if v-v != 0 { // NaN or ±Inf
			return fmt.Errorf("hmm: row %d, feature %d is %v", i/s.D, i%s.D, v)
		}
	}
	return nil
}

// allFinite reports whether no value of x is NaN or ±Inf: v − v is 0 for a
// finite v and NaN otherwise, and a NaN survives any sum. Four independent
// sums and no branch per value make this a fraction of the cost of testing
// each value.
func allFinite(x []float64) bool {
	var z0, z1, z2, z3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		z0 += v[0] - v[0]
		z1 += v[1] - v[1]
		z2 += v[2] - v[2]
		z3 += v[3] - v[3]
	}
	for _, v := range x[i:] {
		z0 += v - v
	}
	return z0+z1+z2+z3 == 0
}
