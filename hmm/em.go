package hmm

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// Implementations of forward-backward (hmmlearn's implementation argument).
const (
	ImplLog     = "log"
	ImplScaling = "scaling"
)

// FitOptions control one Baum–Welch run.
type FitOptions struct {
	NIter          int     // maximum number of EM iterations (hmmlearn n_iter)
	Tol            float64 // stop when the log-likelihood gain is below Tol (signed)
	Implementation string  // ImplLog (default when empty) or ImplScaling
	Workers        int     // sequences processed in parallel; ≤ 1 is sequential
}

// Run is the convergence record of one Baum–Welch run.
type Run struct {
	Seed uint64 `json:"seed"`
	// History[i] is the training log-likelihood of the parameters before the
	// (i+1)-th M-step, as in hmmlearn's monitor_.history.
	History    []float64 `json:"history"`
	Iterations int       `json:"iterations"`
	// Converged is true when the tolerance test stopped the run (hmmlearn's
	// monitor also reports convergence when n_iter is reached; botprof does not).
	Converged bool `json:"converged"`
	// FinalLogLik is the training log-likelihood of the returned parameters
	// (hmmlearn's score after fit, one forward pass more than History).
	FinalLogLik float64 `json:"final_loglik"`
}

// engine runs E-steps over a set of sequences, in parallel if asked, and
// always sums per-sequence statistics in sequence order so that the result
// does not depend on the number of workers.
type engine struct {
	k       int
	impl    string
	workers int
	lats    []*lattice
	slots   []*stats
	fresh   func() *stats
	logPs   []float64
	errs    []error
	// rowDup[t] = row t of the data equals row t−1, computed once for the
	// data rowX (rows of rowD values) and handed to the emitter.
	rowDup []bool
	rowX   *float64
	rowD   int
}

// rowsFor returns rowDup for seqs, computing it if the data changed.
func (e *engine) rowsFor(seqs Sequences) []bool {
	d, T := seqs.D, seqs.T()
	if T == 0 {
		return nil
	}
	if e.rowX == &seqs.X[0] && e.rowD == d && len(e.rowDup) == T {
		return e.rowDup
	}
	if cap(e.rowDup) < T {
		e.rowDup = make([]bool, T)
	}
	e.rowDup, e.rowX, e.rowD = e.rowDup[:T], &seqs.X[0], d
	e.rowDup[0] = false
	for t := 1; t < T; t++ {
		e.rowDup[t] = sameRow(seqs.X[t*d:(t+1)*d], seqs.X[(t-1)*d:t*d])
	}
	return e.rowDup
}

func newEngine(k int, impl string, workers int, fresh func() *stats) (*engine, error) {
	switch impl {
	case "":
		impl = ImplLog
	case ImplLog, ImplScaling:
	default:
		return nil, fmt.Errorf("hmm: unknown implementation %q (want log or scaling)", impl)
	}
	workers = max(workers, 1)
	e := &engine{k: k, impl: impl, workers: workers, fresh: fresh}
	for range workers {
		e.lats = append(e.lats, newLattice(k))
	}
	return e, nil
}

// estep computes the summed statistics into total and returns Σ log P.
func (e *engine) estep(ctx context.Context, ch *chain, em emitter, seqs Sequences, total *stats) (float64, error) {
	total.zero()
	bounds := seqs.Bounds()
	batch := 1
	if e.workers > 1 {
		batch = 16 * e.workers
	}
	for len(e.slots) < batch {
		e.slots = append(e.slots, e.fresh())
	}
	if len(e.logPs) < batch {
		e.logPs, e.errs = make([]float64, batch), make([]error, batch)
	}
	var rowDup []bool
	if _, ok := em.(rowsEmitter); ok {
		rowDup = e.rowsFor(seqs)
	}
	logP := 0.0
	for lo := 0; lo < len(bounds); lo += batch {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n := min(batch, len(bounds)-lo)
		// A lone sequence may use the idle workers inside (splitAccumulator).
		par := 1
		if n == 1 {
			par = e.workers
		}
		one := func(w, i int) {
			st := e.slots[i]
			st.zero()
			b := bounds[lo+i]
			e.lats[w].rowDup = nil
			if rowDup != nil {
				e.lats[w].rowDup = rowDup[b[0]:b[1]]
			}
			e.logPs[i], e.errs[i] = e.sequence(e.lats[w], ch, em, seqs.X[b[0]*seqs.D:b[1]*seqs.D], b[1]-b[0], st, par)
			if e.errs[i] != nil {
				e.errs[i] = fmt.Errorf("sequence %d: %w", lo+i, e.errs[i])
			}
		}
		if e.workers == 1 || n == 1 {
			for i := range n {
				one(0, i)
			}
		} else {
			var wg sync.WaitGroup
			for w := range min(e.workers, n) {
				wg.Go(func() {
					for i := w; i < n; i += e.workers {
						one(w, i)
					}
				})
			}
			wg.Wait()
		}
		for i := range n {
			if e.errs[i] != nil {
				return 0, e.errs[i]
			}
			logP += e.logPs[i]
			total.add(e.slots[i])
		}
	}
	return logP, nil
}

// splitAccumulator is an emitter that can accumulate a sequence's
// statistics on two goroutines with the same result; side, if not nil,
// runs on the second one too.
type splitAccumulator interface {
	accumulateSplit(st *stats, x, gamma []float64, T int, side func())
}

// sequence runs forward-backward on one sequence and adds its statistics to
// st; with par ≥ 2 it may use a second goroutine.
func (e *engine) sequence(l *lattice, ch *chain, em emitter, x []float64, T int, st *stats, par int) (float64, error) {
	l.grow(T)
	clear(l.xi)
	l.par = par
	var logP float64
	if e.impl == ImplScaling {
		l.frameLogProb(em, x, T)
		var err error
		if logP, err = l.forwardScaling(ch, T); err != nil {
			return 0, err
		}
		l.backwardScaling(ch, T)
		l.posteriorsScaling(ch, T, true)
		e.addStats(l, em, x, T, st, nil)
		return logP, nil
	}
	ok, flp := false, false
	if ch.fast {
		ok, flp = l.scaledProbs(em, x, T)
		if ok {
			logP, ok = l.forwardScaled(ch, T)
		}
		ok = ok && l.backwardFast(ch, T, true)
	}
	if ok {
		e.addStats(l, em, x, T, st, nil)
		return logP, nil
	}
	if ch.fast {
		if !flp {
			l.frameLogProb(em, x, T)
			flp = true
		}
		clear(l.xi)
		// Σ_t ξ_t, the last part of dropPosteriors, is needed only with
		// the statistics; on two goroutines it is under way before.
		xi := func() bool { return l.dropXi(ch, T) }
		if l.par >= 2 && T >= splitMinT {
			logP, ok, xi = l.dropGammaPar(ch, T)
		} else {
			logP, ok = l.dropGamma(ch, T)
		}
		if ok {
			xiOK := false
			e.addStats(l, em, x, T, st, func() { xiOK = xi() })
			if xiOK {
				return logP, nil
			}
			st.zero()
		}
	}
	if !flp {
		l.frameLogProb(em, x, T)
	}
	clear(l.xi)
	logP = l.forwardLog(ch, T)
	if math.IsInf(logP, -1) || math.IsNaN(logP) {
		return 0, fmt.Errorf("hmm: the sequence has zero probability under the model (log-likelihood %v)", logP)
	}
	l.backwardLog(ch, T)
	l.posteriorsLog(ch, T, logP, true)
	e.addStats(l, em, x, T, st, nil)
	return logP, nil
}

// addStats adds the statistics of the sequence whose posteriors l holds to
// st: the emission statistics of γ, and those of π and A from γ_0 and
// l.xi. side, if not nil, runs first (it may complete l.xi), next to the
// emission statistics if the emitter splits them (l.par ≥ 2).
func (e *engine) addStats(l *lattice, em emitter, x []float64, T int, st *stats, side func()) {
	if sa, ok := em.(splitAccumulator); ok && l.par >= 2 {
		sa.accumulateSplit(st, x, l.gamma, T, side)
	} else {
		if side != nil {
			side()
		}
		em.accumulate(st, x, l.gamma, T)
	}
	for i := range e.k {
		st.start[i] += l.gamma[i]
	}
	if T > 1 {
		for i, v := range l.xi {
			st.trans[i] += v
		}
	}
}

// score returns the forward log-likelihood of every sequence.
func score(ch *chain, em emitter, seqs Sequences, impl string) ([]float64, error) {
	l := newLattice(ch.k)
	bounds := seqs.Bounds()
	out := make([]float64, len(bounds))
	for i, b := range bounds {
		T := b[1] - b[0]
		x := seqs.X[b[0]*seqs.D : b[1]*seqs.D]
		if impl != ImplScaling && ch.fast {
			if lp, ok := l.scoreFast(ch, em, x, seqs.D, T, nil); ok {
				out[i] = lp
				continue
			}
			if lp, ok := l.scoreDrop(ch, em, x, seqs.D, T, nil); ok {
				out[i] = lp
				continue
			}
		}
		l.grow(T)
		em.frameLogProb(l.flp, x, T)
		if impl == ImplScaling {
			lp, err := l.forwardScaling(ch, T)
			if err != nil {
				return nil, fmt.Errorf("sequence %d: %w", i, err)
			}
			out[i] = lp
			continue
		}
		out[i] = l.forwardLog(ch, T)
	}
	return out, nil
}

// score is score(ch, em, seqs, e.impl) for the E-steps' data. A lone long
// sequence has its frame log-probabilities computed first, on two
// goroutines (lattice.split) and with the E-steps' rowDup, and the passes
// of score read them (l.pre) instead of computing them a block at a time:
// the same values, so the same result.
func (e *engine) score(ch *chain, em emitter, seqs Sequences) ([]float64, error) {
	T, d := seqs.T(), seqs.D
	_, lookup := em.(probEmitter)
	if e.workers < 2 || len(seqs.Bounds()) != 1 || T < splitMinT || e.impl == ImplScaling || !ch.fast || lookup {
		return score(ch, em, seqs, e.impl)
	}
	l := e.lats[0]
	l.grow(T)
	l.par, l.rowDup = e.workers, nil
	if _, ok := em.(rowsEmitter); ok {
		l.rowDup = e.rowsFor(seqs)
	}
	l.frameLogProb(em, seqs.X, T)
	l.rowDup, l.pre = nil, l.flp[:T*l.k:T*l.k]
	l.flp = nil // the block scratch of scoreFast and scoreDrop, which l.pre makes unused
	defer func() { l.flp, l.pre = l.pre, nil }()
	if lp, ok := l.scoreFast(ch, em, seqs.X, d, T, nil); ok {
		return []float64{lp}, nil
	}
	if lp, ok := l.scoreDrop(ch, em, seqs.X, d, T, nil); ok {
		return []float64{lp}, nil
	}
	l.flp = l.pre
	return []float64{l.forwardLog(ch, T)}, nil
}

// scoreFrames returns, for every row t of every sequence, the forward
// log-likelihood increment log P(x_t | x_<t) within its sequence (log P(x_0)
// for a sequence's first row); see lattice.frames.
func scoreFrames(ch *chain, em emitter, seqs Sequences) []float64 {
	l := newLattice(ch.k)
	out := make([]float64, seqs.T())
	for _, b := range seqs.Bounds() {
		l.frames(ch, em, seqs.X[b[0]*seqs.D:b[1]*seqs.D], seqs.D, b[1]-b[0], out[b[0]:b[1]])
	}
	return out
}

// frames writes the forward increments of the T rows of x to frames. The
// fast path gives max_j b_t(j) + log s_t; a sequence it declines is
// recomputed in log space, where the increment is LSE(α_t) − LSE(α_{t−1}).
// A row after which the sequence has zero probability gets −∞, and so do
// the rows that follow it.
func (l *lattice) frames(ch *chain, em emitter, x []float64, d, T int, frames []float64) {
	if ch.fast {
		if _, ok := l.scoreFast(ch, em, x, d, T, frames); ok {
			return
		}
		if _, ok := l.scoreDrop(ch, em, x, d, T, frames); ok {
			return
		}
	}
	k := l.k
	l.grow(T)
	em.frameLogProb(l.flp, x, T)
	if l.vfeed {
		l.viterbiFeed(ch, 0, l.flp[:T*k])
	}
	l.forwardLog(ch, T)
	prev := 0.0
	for t := range T {
		cur := logSumExp(l.alpha[t*k : (t+1)*k])
		if math.IsInf(prev, -1) {
			frames[t] = prev
			continue
		}
		frames[t] = cur - prev
		prev = cur
	}
}

// decodeScoreFrames returns decode's log-probabilities (no paths) and
// scoreFrames's increments, bit for bit, computing the frame
// log-probabilities of a sequence once: the forward passes feed every block
// they compute to the Viterbi pass (a frame's b_t(j) does not depend on its
// block, and a pass that restarts feeds only frames not yet fed). An emitter
// with frameProb gives the forward pass table look-ups instead, and the
// Viterbi pass computes its own.
func decodeScoreFrames(ch *chain, em emitter, seqs Sequences) (vit, frames []float64) {
	l := newLattice(ch.k)
	bounds := seqs.Bounds()
	vit, frames = make([]float64, len(bounds)), make([]float64, seqs.T())
	_, lookup := em.(probEmitter)
	for i, b := range bounds {
		T, x := b[1]-b[0], seqs.X[b[0]*seqs.D:b[1]*seqs.D]
		if lookup {
			vit[i] = l.viterbi(ch, em, x, seqs.D, T, nil)
			l.frames(ch, em, x, seqs.D, T, frames[b[0]:b[1]])
			continue
		}
		l.viterbiStart(T, false)
		l.vfeed = true
		l.frames(ch, em, x, seqs.D, T, frames[b[0]:b[1]])
		l.vfeed = false
		vit[i] = l.viterbiEnd(ch, T, nil)
	}
	return vit, frames
}

// posteriors returns γ (T×K) of every sequence, concatenated.
func posteriors(ch *chain, em emitter, seqs Sequences, impl string) ([]float64, error) {
	l := newLattice(ch.k)
	k := ch.k
	out := make([]float64, seqs.T()*k)
	for i, b := range seqs.Bounds() {
		T := b[1] - b[0]
		l.grow(T)
		em.frameLogProb(l.flp, seqs.X[b[0]*seqs.D:b[1]*seqs.D], T)
		if impl == ImplScaling {
			if _, err := l.forwardScaling(ch, T); err != nil {
				return nil, fmt.Errorf("sequence %d: %w", i, err)
			}
			l.backwardScaling(ch, T)
			l.posteriorsScaling(ch, T, false)
		} else if !ch.fast || (!l.fastPosteriors(ch, T) && !l.dropOK(ch, T)) {
			logP := l.forwardLog(ch, T)
			if math.IsInf(logP, -1) || math.IsNaN(logP) {
				return nil, fmt.Errorf("hmm: sequence %d has zero probability under the model", i)
			}
			l.backwardLog(ch, T)
			l.posteriorsLog(ch, T, logP, false)
		}
		copy(out[b[0]*k:b[1]*k], l.gamma[:T*k])
	}
	return out, nil
}

// decode returns the Viterbi log-probability of every sequence and the
// concatenated state paths.
func decode(ch *chain, em emitter, seqs Sequences) ([]float64, []int, error) {
	l := newLattice(ch.k)
	bounds := seqs.Bounds()
	lp := make([]float64, len(bounds))
	path := make([]int, seqs.T())
	for i, b := range bounds {
		T := b[1] - b[0]
		lp[i] = l.viterbi(ch, em, seqs.X[b[0]*seqs.D:b[1]*seqs.D], seqs.D, T, path[b[0]:b[1]])
	}
	return lp, path, nil
}

// decodeMAP is hmmlearn's decode(algorithm="map"): the state of highest
// posterior per frame (first index on ties) and, per sequence, Σ_t max_j γ_t(j)
// — a sum of probabilities, not a log-probability.
func decodeMAP(ch *chain, em emitter, seqs Sequences) ([]float64, []int, error) {
	g, err := posteriors(ch, em, seqs, ImplLog)
	if err != nil {
		return nil, nil, err
	}
	k := ch.k
	bounds := seqs.Bounds()
	vals := make([]float64, len(bounds))
	path := make([]int, seqs.T())
	for i, b := range bounds {
		for t := b[0]; t < b[1]; t++ {
			row := g[t*k : (t+1)*k]
			best := 0
			for j := 1; j < k; j++ {
				if row[j] > row[best] {
					best = j
				}
			}
			path[t] = best
			vals[i] += row[best]
		}
	}
	return vals, path, nil
}

// baumWelch runs EM. prepare builds the emitter for the current parameters;
// mstep updates the parameters in place from the summed statistics.
func baumWelch(ctx context.Context, ch *chain, seqs Sequences, opt FitOptions, fresh func() *stats,
	prepare func() (emitter, error), mstep func(*stats)) (Run, error) {
	var run Run
	eng, err := newEngine(ch.k, opt.Implementation, opt.Workers, fresh)
	if err != nil {
		return run, err
	}
	total := fresh()
	for it := 1; it <= opt.NIter; it++ {
		ch.update()
		em, err := prepare()
		if err != nil {
			return run, fmt.Errorf("iteration %d: %w", it, err)
		}
		logP, err := eng.estep(ctx, ch, em, seqs, total)
		if err != nil {
			return run, fmt.Errorf("iteration %d: %w", it, err)
		}
		mstep(total)
		run.History = append(run.History, logP)
		run.Iterations = it
		if h := run.History; len(h) >= 2 && h[len(h)-1]-h[len(h)-2] < opt.Tol {
			run.Converged = true
			break
		}
	}
	ch.update()
	em, err := prepare()
	if err != nil {
		return run, fmt.Errorf("final parameters: %w", err)
	}
	lps, err := eng.score(ch, em, seqs)
	if err != nil {
		return run, fmt.Errorf("final parameters: %w", err)
	}
	for _, v := range lps {
		run.FinalLogLik += v
	}
	return run, nil
}

// mstepChain is hmmlearn's MAP update of π and A with Dirichlet priors:
// max(α − 1 + stat, 0), exact zeros of the current value kept, normalised.
// A start vector or transition row whose update sums to 0 keeps its previous
// value (hmmlearn would produce NaN or an all-zero row).
func mstepChain(k int, pi, a, piPrior, aPrior []float64, st *stats) {
	normaliseInto(pi, func(i int) float64 {
		if pi[i] == 0 {
			return 0
		}
		return max(piPrior[i]-1+st.start[i], 0)
	}, k)
	for r := range k {
		row := a[r*k : (r+1)*k]
		normaliseInto(row, func(j int) float64 {
			if row[j] == 0 {
				return 0
			}
			return max(aPrior[r*k+j]-1+st.trans[r*k+j], 0)
		}, k)
	}
}

// normaliseInto sets dst[i] = f(i)/Σf unless Σf is 0, in which case dst is
// left unchanged.
func normaliseInto(dst []float64, f func(int) float64, n int) {
	var buf [64]float64
	v := buf[:0]
	if n > len(buf) {
		v = make([]float64, 0, n)
	}
	s := 0.0
	for i := range n {
		x := f(i)
		v = append(v, x)
		s += x
	}
	if s == 0 || math.IsNaN(s) {
		return
	}
	for i := range n {
		dst[i] = v[i] / s
	}
}

func (l *lattice) dropOK(ch *chain, T int) bool {
	_, ok := l.dropPosteriors(ch, T, false)
	return ok
}

func (l *lattice) fastPosteriors(ch *chain, T int) bool {
	_, ok := l.forwardFast(ch, T)
	return ok && l.backwardFast(ch, T, false)
}
