package pipeline

// Shared stages: a stage output that several points need is computed once
// and awaited by the others (runner.once).

import (
	"context"
	"time"
)

// future is a stage output computed once per key and shared by all points.
type future struct {
	done   chan struct{}
	val    any
	err    error
	cached bool
	secs   float64

	prefetched, claimed bool // computed before the points ran (see hashWhileLoading)
}

// stopwatch times a stage's own work: a stage restarts it once its inputs
// (computed by other stages) are ready.
type stopwatch struct{ start time.Time }

func (s *stopwatch) restart() { s.start = time.Now() }

// once computes key's value with fn unless another point already did or is
// doing it. fn reports whether its value came from the disk cache.
func (r *runner) once(ctx context.Context, key string, fn func(sw *stopwatch) (any, bool, error)) (*future, bool) {
	r.mu.Lock()
	f, ok := r.memo[key]
	if !ok {
		f = &future{done: make(chan struct{})}
		r.memo[key] = f
	}
	// The first point to use a prefetched output owns it: for that point
	// the stage ran, for the others it is shared.
	owner := ok && f.prefetched && !f.claimed
	if owner {
		f.claimed = true
	}
	r.mu.Unlock()
	if owner {
		return f, false
	}
	if ok {
		select {
		case <-f.done:
		case <-ctx.Done():
			return &future{err: ctx.Err()}, true
		}
		return f, true
	}
	sw := &stopwatch{start: time.Now()}
	f.val, f.cached, f.err = fn(sw)
	f.secs = time.Since(sw.start).Seconds()
	close(f.done)
	return f, false
}
