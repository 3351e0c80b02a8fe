package hmm

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
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

// engine runs E-steps in parallel if asked, summing the per-sequence
// statistics in sequence order so results do not depend on the workers.
type engine struct {
	impl    string
	workers int
	works   []*work  // one per worker
	slots   []*stats // one per sequence of a batch
	fresh   func() *stats
	logPs   []float64
	errs    []error
}

func newEngine(k int, impl string, workers int, fresh func() *stats) (*engine, error) {
	switch impl {
	case "":
		impl = ImplLog
	case ImplLog, ImplScaling:
	default:
		return nil, fmt.Errorf("hmm: unknown implementation %q (want log or scaling)", impl)
	}
	e := &engine{impl: impl, workers: max(workers, 1), fresh: fresh}
	for range e.workers {
		e.works = append(e.works, newWork(k))
	}
	return e, nil
}

// estep sums the statistics of seqs into total and returns Σ log P, a
// batch of sequences at a time in parallel.
func (e *engine) estep(ctx context.Context, c *chain, em emitter, seqs Sequences, total *stats) (float64, error) {
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
	logP := 0.0
	for lo := 0; lo < len(bounds); lo += batch {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n := min(batch, len(bounds)-lo)
		parallel(n, e.workers, func(wi, i int) {
			w, b, st := e.works[wi], bounds[lo+i], e.slots[i]
			st.zero()
			T, x := b[1]-b[0], seqs.X[b[0]*seqs.D:b[1]*seqs.D]
			w.emissions(em, x, T)
			e.logPs[i], e.errs[i] = w.pass(c, e.impl, T, needXi, nil)
			if e.errs[i] != nil {
				e.errs[i] = fmt.Errorf("sequence %d: %w", lo+i, e.errs[i])
				return
			}
			em.accumulate(st, x, w.gamma, T)
			for j := range c.k {
				st.start[j] += w.gamma[j]
			}
			if T > 1 {
				for j, v := range w.xi {
					st.trans[j] += v
				}
			}
		})
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

// parallel calls f(w, i) for every i in [0, n), on min(workers, n)
// goroutines that take the next i in turn, w being the goroutine's index;
// with workers ≤ 1 or n = 1, in order on the calling goroutine (w = 0).
func parallel(n, workers int, f func(w, i int)) {
	if workers <= 1 || n == 1 {
		for i := range n {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range min(workers, n) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(w, i)
			}
		})
	}
	wg.Wait()
}

// baumWelch runs EM. prepare builds the emitter for the current parameters;
// mstep updates the parameters in place from the summed statistics.
func baumWelch(ctx context.Context, c *chain, seqs Sequences, opt FitOptions, fresh func() *stats,
	prepare func() (emitter, error), mstep func(*stats)) (Run, error) {
	var run Run
	eng, err := newEngine(c.k, opt.Implementation, opt.Workers, fresh)
	if err != nil {
		return run, err
	}
	total := fresh()
	for it := 1; it <= opt.NIter; it++ {
		c.update()
		em, err := prepare()
		if err != nil {
			return run, fmt.Errorf("iteration %d: %w", it, err)
		}
		logP, err := eng.estep(ctx, c, em, seqs, total)
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
	c.update()
	em, err := prepare()
	if err != nil {
		return run, fmt.Errorf("final parameters: %w", err)
	}
	lps, err := score(c, em, seqs, eng.impl)
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
