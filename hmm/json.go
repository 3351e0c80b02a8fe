package hmm

import (
	"encoding/json"
	"fmt"
	"math"
)

// modelJSON is the stable serialised form. Matrices are nested row-major;
// covars nest as diag [K][D], spherical [K], full [K][D][D], tied [D][D].
type modelJSON struct {
	Format     int             `json:"format"`
	Kind       string          `json:"kind"`
	Covariance string          `json:"covariance,omitempty"`
	States     int             `json:"states"`
	Features   int             `json:"features,omitempty"`
	Symbols    int             `json:"symbols,omitempty"`
	Startprob  []float64       `json:"startprob"`
	Transmat   [][]float64     `json:"transmat"`
	Means      [][]float64     `json:"means,omitempty"`
	Covars     json.RawMessage `json:"covars,omitempty"`
	Emission   [][]float64     `json:"emission,omitempty"`
}

// rows cuts v into rows of n; rows(rows(v, d), d) nests a full covariance.
func rows[E any](v []E, n int) [][]E {
	out := make([][]E, 0, len(v)/n)
	for i := 0; i < len(v); i += n {
		out = append(out, v[i:i+n])
	}
	return out
}

// flatten undoes rows after checking that m has r rows of c entries.
func flatten[E any](m [][]E, r, c int, name string) ([]E, error) {
	if len(m) != r {
		return nil, fmt.Errorf("hmm: model %s has %d rows, want %d", name, len(m), r)
	}
	out := make([]E, 0, r*c)
	for i, row := range m {
		if len(row) != c {
			return nil, fmt.Errorf("hmm: model %s row %d has %d entries, want %d", name, i, len(row), c)
		}
		out = append(out, row...)
	}
	return out, nil
}

func finite(name string, vs ...[]float64) error {
	for _, v := range vs {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("hmm: cannot marshal %s model with non-finite parameter %v", name, x)
			}
		}
	}
	return nil
}

// MarshalModel encodes m as JSON. Floats use the shortest representation
// that parses back to the same bits, so UnmarshalModel round-trips exactly.
func MarshalModel(m Model) ([]byte, error) {
	switch v := m.(type) {
	case *Gaussian:
		if err := finite("gaussian", v.Startprob, v.Transmat, v.Means, v.Covars); err != nil {
			return nil, err
		}
		var cov any
		switch v.Covariance {
		case Diag, Tied:
			cov = rows(v.Covars, v.D)
		case Spherical:
			cov = v.Covars
		case Full:
			cov = rows(rows(v.Covars, v.D), v.D)
		default:
			return nil, fmt.Errorf("hmm: unknown covariance type %q", v.Covariance)
		}
		raw, err := json.Marshal(cov)
		if err != nil {
			return nil, err
		}
		return json.Marshal(modelJSON{Format: 1, Kind: KindGaussian, Covariance: v.Covariance, States: v.K, Features: v.D,
			Startprob: v.Startprob, Transmat: rows(v.Transmat, v.K), Means: rows(v.Means, v.D), Covars: raw})
	case *Categorical:
		if err := finite("categorical", v.Startprob, v.Transmat, v.Emission); err != nil {
			return nil, err
		}
		return json.Marshal(modelJSON{Format: 1, Kind: KindCategorical, States: v.K, Symbols: v.S,
			Startprob: v.Startprob, Transmat: rows(v.Transmat, v.K), Emission: rows(v.Emission, v.S)})
	}
	return nil, fmt.Errorf("hmm: cannot marshal model of type %T", m)
}

// UnmarshalModel decodes a model written by MarshalModel and validates it.
func UnmarshalModel(b []byte) (Model, error) {
	var j modelJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("hmm: decoding model: %w", err)
	}
	if j.Format != 1 {
		return nil, fmt.Errorf("hmm: model format %d, want 1", j.Format)
	}
	k := j.States
	trans, err := flatten(j.Transmat, k, k, "transmat")
	if err != nil {
		return nil, err
	}
	switch j.Kind {
	case KindGaussian:
		d := j.Features
		means, err := flatten(j.Means, k, d, "means")
		if err != nil {
			return nil, err
		}
		g := &Gaussian{Covariance: j.Covariance, K: k, D: d, Startprob: j.Startprob, Transmat: trans, Means: means}
		switch j.Covariance {
		case Spherical:
			err = json.Unmarshal(j.Covars, &g.Covars)
		case Diag, Tied:
			var m [][]float64
			if err = json.Unmarshal(j.Covars, &m); err == nil {
				r := k
				if j.Covariance == Tied {
					r = d
				}
				g.Covars, err = flatten(m, r, d, "covars")
			}
		case Full:
			var m [][][]float64
			var r [][]float64 // the K·D rows of the K matrices
			if err = json.Unmarshal(j.Covars, &m); err == nil {
				if r, err = flatten(m, k, d, "covars"); err == nil {
					g.Covars, err = flatten(r, k*d, d, "covars")
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("hmm: decoding covars: %w", err)
		}
		if err := g.Validate(); err != nil {
			return nil, err
		}
		return g, nil
	case KindCategorical:
		em, err := flatten(j.Emission, k, j.Symbols, "emission")
		if err != nil {
			return nil, err
		}
		c := &Categorical{K: k, S: j.Symbols, Startprob: j.Startprob, Transmat: trans, Emission: em}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, fmt.Errorf("hmm: unknown model kind %q", j.Kind)
}
