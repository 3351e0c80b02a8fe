package markov

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"botprof/hmm"
)

// Kind is the model kind of a chain in specs and model.json.
const Kind = "markov"

// MaxOrder bounds the order (contexts are S^order symbols).
const MaxOrder = 8

// Chain is a trained order-n Markov chain over symbols 0..Symbols-1.
type Chain struct {
	Order   int
	Symbols int
	Alpha   float64
	// tables[m] maps a context of m symbols (mixed radix, base Symbols,
	// oldest first) to the counts of the next symbol.
	tables []map[int64]*row
}

type row struct {
	counts []float64
	total  float64
}

// Validate reports an impossible order, symbol count or smoothing.
func validate(order, symbols int, alpha float64) error {
	switch {
	case order < 1 || order > MaxOrder:
		return fmt.Errorf("markov: order %d: want 1..%d", order, MaxOrder)
	case symbols < 1:
		return fmt.Errorf("markov: %d symbols: want at least 1", symbols)
	case !(alpha >= 0) || math.IsInf(alpha, 1):
		return fmt.Errorf("markov: smoothing alpha %v: want a finite value ≥ 0", alpha)
	case float64(order)*math.Log2(float64(symbols)) > 62:
		return fmt.Errorf("markov: %d symbols to the order %d: too many contexts", symbols, order)
	}
	return nil
}

// symbols returns the sequences' symbols and bounds, checking that they
// are symbol sequences of the chain's alphabet.
func symbolsOf(seqs hmm.Sequences, s int) ([][2]int, error) {
	if seqs.D != 1 {
		return nil, fmt.Errorf("markov: a chain reads symbol sequences (D = 1), got D = %d (model.input: sequences)", seqs.D)
	}
	if err := seqs.Validate(); err != nil {
		return nil, err
	}
	for _, v := range seqs.X {
		if v != math.Trunc(v) || v < 0 || v >= float64(s) {
			return nil, fmt.Errorf("markov: symbol %v outside 0..%d", v, s-1)
		}
	}
	return seqs.Bounds(), nil
}

// Train counts the transitions of seqs.
func Train(seqs hmm.Sequences, symbols, order int, alpha float64) (*Chain, error) {
	if err := validate(order, symbols, alpha); err != nil {
		return nil, err
	}
	bounds, err := symbolsOf(seqs, symbols)
	if err != nil {
		return nil, err
	}
	c := &Chain{Order: order, Symbols: symbols, Alpha: alpha, tables: make([]map[int64]*row, order+1)}
	for m := range c.tables {
		c.tables[m] = map[int64]*row{}
	}
	for _, b := range bounds {
		c.walk(seqs.X[b[0]:b[1]], func(m int, ctx int64, s int) {
			r := c.tables[m][ctx]
			if r == nil {
				r = &row{counts: make([]float64, symbols)}
				c.tables[m][ctx] = r
			}
			r.counts[s]++
			r.total++
		})
	}
	return c, nil
}

// walk calls fn for every position of x with its context length, context
// and symbol.
func (c *Chain) walk(x []float64, fn func(m int, ctx int64, s int)) {
	base := int64(c.Symbols)
	for t := range x {
		m := min(t, c.Order)
		var ctx int64
		for _, v := range x[t-m : t] {
			ctx = ctx*base + int64(v)
		}
		fn(m, ctx, int(x[t]))
	}
}

// logProb is log P(s | ctx) for a context of m symbols.
func (c *Chain) logProb(m int, ctx int64, s int) float64 {
	r := c.tables[m][ctx]
	if r == nil {
		if c.Alpha > 0 {
			return -math.Log(float64(c.Symbols))
		}
		return math.Inf(-1)
	}
	return math.Log((r.counts[s] + c.Alpha) / (r.total + c.Alpha*float64(c.Symbols)))
}

// Score returns the log-probability of every sequence.
func (c *Chain) Score(seqs hmm.Sequences) ([]float64, error) {
	bounds, err := symbolsOf(seqs, c.Symbols)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(bounds))
	for i, b := range bounds {
		ll := 0.0
		c.walk(seqs.X[b[0]:b[1]], func(m int, ctx int64, s int) { ll += c.logProb(m, ctx, s) })
		out[i] = ll
	}
	return out, nil
}

// Decode returns Score's log-probabilities (a chain has no hidden states:
// its most likely path is the sequence itself, returned as the states).
func (c *Chain) Decode(seqs hmm.Sequences) ([]float64, []int, error) {
	ll, err := c.Score(seqs)
	if err != nil {
		return nil, nil, err
	}
	states := make([]int, len(seqs.X))
	for i, v := range seqs.X {
		states[i] = int(v)
	}
	return ll, states, nil
}

// DecodeAndScoreFrames returns Score's log-probabilities and, for every
// symbol of every sequence, its log-probability given its context: the
// symbols of a sequence add up to its score.
func (c *Chain) DecodeAndScoreFrames(seqs hmm.Sequences) ([]float64, []float64, error) {
	bounds, err := symbolsOf(seqs, c.Symbols)
	if err != nil {
		return nil, nil, err
	}
	lp, frames := make([]float64, len(bounds)), make([]float64, 0, len(seqs.X))
	for i, b := range bounds {
		c.walk(seqs.X[b[0]:b[1]], func(m int, ctx int64, s int) {
			v := c.logProb(m, ctx, s)
			frames = append(frames, v)
			lp[i] += v
		})
	}
	return lp, frames, nil
}

// modelJSON is a chain in model.json: per context length, the contexts in
// increasing order with their next-symbol counts.
type modelJSON struct {
	Format  int         `json:"format"`
	Kind    string      `json:"kind"`
	Order   int         `json:"order"`
	Symbols int         `json:"symbols"`
	Alpha   float64     `json:"alpha"`
	Tables  [][]rowJSON `json:"tables"`
}

type rowJSON struct {
	Context int64     `json:"context"`
	Counts  []float64 `json:"counts"`
}

// MarshalJSON writes the chain's counts, contexts sorted.
func (c *Chain) MarshalJSON() ([]byte, error) {
	j := modelJSON{Format: 1, Kind: Kind, Order: c.Order, Symbols: c.Symbols, Alpha: c.Alpha, Tables: make([][]rowJSON, len(c.tables))}
	for m, t := range c.tables {
		ctxs := make([]int64, 0, len(t))
		for ctx := range t {
			ctxs = append(ctxs, ctx)
		}
		slices.Sort(ctxs)
		j.Tables[m] = []rowJSON{}
		for _, ctx := range ctxs {
			j.Tables[m] = append(j.Tables[m], rowJSON{Context: ctx, Counts: t[ctx].counts})
		}
	}
	return json.Marshal(j)
}

// Unmarshal reads what MarshalJSON writes.
func Unmarshal(b []byte) (*Chain, error) {
	var j modelJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("markov: decoding model: %w", err)
	}
	if j.Format != 1 || j.Kind != Kind {
		return nil, fmt.Errorf("markov: model format %d kind %q, want 1 and %q", j.Format, j.Kind, Kind)
	}
	if err := validate(j.Order, j.Symbols, j.Alpha); err != nil {
		return nil, err
	}
	if len(j.Tables) != j.Order+1 {
		return nil, fmt.Errorf("markov: %d tables for order %d", len(j.Tables), j.Order)
	}
	c := &Chain{Order: j.Order, Symbols: j.Symbols, Alpha: j.Alpha, tables: make([]map[int64]*row, len(j.Tables))}
	for m, rows := range j.Tables {
		c.tables[m] = map[int64]*row{}
		for _, r := range rows {
			if len(r.Counts) != j.Symbols {
				return nil, fmt.Errorf("markov: context %d has %d counts for %d symbols", r.Context, len(r.Counts), j.Symbols)
			}
			total := 0.0
			for _, n := range r.Counts {
				if !(n >= 0) || math.IsInf(n, 1) {
					return nil, fmt.Errorf("markov: context %d: count %v", r.Context, n)
				}
				total += n
			}
			c.tables[m][r.Context] = &row{counts: r.Counts, total: total}
		}
	}
	return c, nil
}
