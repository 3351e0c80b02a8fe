package hmm

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// Implementations of forward-backward (hmmlearn's implementation argument).
const (
	ImplLog     = "log"
	ImplScaling = "scaling"
)

// ErrUnderflow is returned by the scaling implementation when a frame has
// (near-)zero probability under every state, like hmmlearn's ValueError.
var ErrUnderflow = errors.New("hmm: forward pass failed with underflow; use implementation \"log\"")

// chain holds π and A in the forms the recursions read.
type chain struct {
	k       int
	pi, a   []float64 // π (K), A (K×K, row = from-state)
	logPi   []float64
	logA    []float64
	aT      []float64 // Aᵀ: Σ_i w_i·A_ij reads a contiguous row
	logAT   []float64 // (log A)ᵀ
	invalid bool      // A holds NaN: only the log-space recursions apply
}

func newChain(pi, a []float64) *chain {
	k := len(pi)
	c := &chain{k: k, pi: pi, a: a, logPi: make([]float64, k), logA: make([]float64, k*k),
		aT: make([]float64, k*k), logAT: make([]float64, k*k)}
	c.update()
	return c
}

// update recomputes the derived tables after π or A changed in place.
func (c *chain) update() {
	k := c.k
	for i, p := range c.pi {
		c.logPi[i] = math.Log(p)
	}
	c.invalid = false
	for i := range k {
		for j := range k {
			v := c.a[i*k+j]
			c.logA[i*k+j] = math.Log(v)
			c.aT[j*k+i] = v
			c.logAT[j*k+i] = c.logA[i*k+j]
			c.invalid = c.invalid || math.IsNaN(v)
		}
	}
}

// work holds the buffers of the passes over one sequence. It grows to the
// longest sequence and is reused across sequences and EM iterations.
type work struct {
	k       int
	logEm   []float64 // T×K log emission densities b_t(j), filled by the caller
	prob    []float64 // T×K p_t(j) = exp(b_t(j) − emMax_t) (scaled), exp(b_t(j)) (scaling)
	emMax   []float64 // T   max_j b_t(j) (scaled)
	alpha   []float64 // T×K normalised forward values â_t (scaled, scaling)
	beta    []float64 // T×K β̂_t (scaling); 2×K, the last two frames (scaled)
	scale   []float64 // T   normalisers s_t (scaled), c_t (scaling)
	dropped []bool    // K   start states dropped by the scaled forward pass
	// startDropped: a start state's π_j·p_0(j) underflowed (see forwardScaled).
	startDropped bool
	probReady    bool // prob and emMax hold p_t and m_t (probEmitter)

	logAlpha  []float64 // T×K log α_t − alphaOff_t, maximum 0 (log)
	alphaOff  []float64 // T
	alphaStep []float64 // T   alphaOff_t − alphaOff_{t−1}
	alphaExp  []float64 // T×K exp(logAlpha_t)
	logBeta   []float64 // T×K log β_t − betaOff_t, maximum 0 (log)
	betaOff   []float64 // T
	betaStep  []float64 // T
	betaExp   []float64 // T×K exp(log β_t − m_t), see backwardLog
	nextExp   []float64 // T×K exp(b_t + log β_t − m_{t−1})

	gamma []float64 // T×K posteriors γ_t
	xi    []float64 // K×K Σ_t ξ_t
	delta []float64 // T×K Viterbi log-probabilities δ_t
	tmp   []float64 // K
}

func newWork(k int) *work {
	return &work{k: k, xi: make([]float64, k*k), tmp: make([]float64, k)}
}

// works keeps the buffers of finished calls for the next: the evaluate
// stage scores host after host, each a sequence of thousands of rows.
var works sync.Pool

// getWork returns a pooled work for K states, or a new one.
func getWork(k int) *work {
	if w, ok := works.Get().(*work); ok && w.k == k {
		return w
	}
	return newWork(k)
}

// emissions computes the log emission densities of the T rows of x into
// w.logEm and returns them.
func (w *work) emissions(em emitter, x []float64, T int) []float64 {
	ensure(T*w.k, &w.logEm)
	em.frameLogProb(w.logEm, x, T)
	w.probReady = false
	if pe, ok := em.(probEmitter); ok {
		ensure(T*w.k, &w.prob)
		ensure(T, &w.emMax)
		w.probReady = pe.frameProb(w.prob, w.emMax, x, T)
	}
	return w.logEm
}

// probEmitter is an emitter that can give the scaled rung p_t and m_t
// directly, without an exp per value (categorical: table look-ups). It
// reports false where the scaled rung would have to decline.
type probEmitter interface {
	frameProb(p, emMax, x []float64, T int) bool
}

// ensure sets the length of every buffer to n, reallocating if needed.
func ensure[E any](n int, bufs ...*[]E) {
	for _, b := range bufs {
		if cap(*b) < n {
			*b = make([]E, n)
		}
		*b = (*b)[:n]
	}
}

// addXi adds ξ_t(i,j) = f_i·inv·A_ij·e_j to w.xi, skipping rows whose
// f_i·inv is 0: f is a forward frame, e = p_{t+1} ⊙ β_{t+1}, inv 1/Z_t.
func (w *work) addXi(c *chain, f, e []float64, inv float64) {
	k := w.k
	for i, fv := range f {
		fi := fv * inv
		if fi == 0 {
			continue
		}
		row, out := c.a[i*k:(i+1)*k:(i+1)*k], w.xi[i*k:(i+1)*k:(i+1)*k]
		for j, ej := range e {
			out[j] += fi * row[j] * ej
		}
	}
}

// need says what a pass must compute besides log P.
type need int

const (
	needLogP  need = iota // log P (and, if asked, the per-row increments)
	needGamma             // the posteriors γ_t in w.gamma
	needXi                // γ_t and Σ_t ξ_t added to w.xi
)

// pass runs forward(-backward) over a sequence of T rows whose log emission
// densities w.logEm holds and returns its log-likelihood; frames, if not
// nil, receives the forward increments log P(x_t | x_<t). It is the one
// place that picks an implementation:
//
//  1. ImplScaling: hmmlearn's scaled recursions (scaling.go), failing with
//     ErrUnderflow where hmmlearn raises.
//  2. The fast scaled recursions (scaled.go), which decline as soon as a
//     positive quantity may have underflowed.
//  3. The log-space recursions (logspace.go), which never decline.
//
// With needGamma or needXi a sequence of zero probability is an error.
func (w *work) pass(c *chain, impl string, T int, n need, frames []float64) (float64, error) {
	if n == needXi {
		clear(w.xi)
	}
	if impl == ImplScaling {
		logP, err := w.forwardScaling(c, T)
		if err == nil && n > needLogP {
			w.backwardScaling(c, T)
			w.posteriorsScaling(c, T, n == needXi)
		}
		return logP, err
	}
	if !c.invalid {
		if logP, ok := w.forwardScaled(c, T, frames); ok {
			if n == needLogP || w.backwardScaled(c, T, n == needXi) {
				return logP, nil
			}
			clear(w.xi)
		}
	}
	logP := w.forwardLog(c, T, frames)
	if n == needLogP {
		return logP, nil
	}
	if math.IsInf(logP, -1) || math.IsNaN(logP) {
		return 0, fmt.Errorf("hmm: the sequence has zero probability under the model (log-likelihood %v)", logP)
	}
	w.backwardLog(c, T)
	w.posteriorsLog(c, T, logP, n == needXi)
	return logP, nil
}

// forEach calls f for every sequence i of seqs (rows lo to lo+T) in order,
// with a pooled work holding its log emission densities.
func forEach(c *chain, em emitter, seqs Sequences, f func(w *work, i, lo, T int) error) error {
	w := getWork(c.k)
	defer works.Put(w)
	for i, b := range seqs.Bounds() {
		T := b[1] - b[0]
		w.emissions(em, seqs.X[b[0]*seqs.D:b[1]*seqs.D], T)
		if err := f(w, i, b[0], T); err != nil {
			return fmt.Errorf("sequence %d: %w", i, err)
		}
	}
	return nil
}

// score returns the log-likelihood of every sequence.
func score(c *chain, em emitter, seqs Sequences, impl string) ([]float64, error) {
	out := make([]float64, len(seqs.Bounds()))
	err := forEach(c, em, seqs, func(w *work, i, _, T int) (err error) {
		out[i], err = w.pass(c, impl, T, needLogP, nil)
		return err
	})
	return out, err
}

// minRepeatT is the shortest sequence whose frames are checked for
// repeats: short ones (windows given as sequences) gain nothing.
const minRepeatT = 64

// repeatsAt returns the earlier frame of the lattice lat (frames of K
// values) that frame t of a recursion equals, or −1. Frame t is a function
// of frame t+dir and one row of b (K values per row): b_t going forward
// (dir = −1), b_{t+1} going backward (dir = +1). So frame t equals frame
// t+dir if their rows match and frames t+dir and t+2·dir are the same, and
// frame t+2·dir if three rows match and frames t+dir and t+3·dir are the
// same: in runs of identical rows frames repeat with period 1 or 2. n is
// the number of frames that may be sources.
func repeatsAt(b, lat []float64, k, n, t, dir int) int {
	row := func(u int) []float64 { // the row frame u is computed with
		if dir < 0 {
			return b[u*k : (u+1)*k]
		}
		return b[(u+1)*k : (u+2)*k]
	}
	same := func(u, v int) bool { return sameBits(lat[u*k:(u+1)*k], lat[v*k:(v+1)*k]) }
	t1, t2, t3 := t+dir, t+2*dir, t+3*dir
	if n < minRepeatT || t2 < 0 || t2 >= n || !sameBits(row(t), row(t1)) {
		return -1
	}
	if same(t1, t2) {
		return t1
	}
	if t3 >= 0 && t3 < n && sameBits(row(t1), row(t2)) && same(t1, t3) {
		return t2
	}
	return -1
}

// sameBits reports whether two rows hold the same bits.
func sameBits(a, b []float64) bool {
	b = b[:len(a)]
	for i, v := range a {
		if math.Float64bits(v) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

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
