package pipeline

// The runner's use of the stage cache: lookups, miss reasons, background writes.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"botprof/pipeline/cache"
	"botprof/report/plural"
)

// noteCacheWrite counts a failed cache write: the run's results stay
// correct (the value is in memory), but the next run recomputes it, and a
// full or read-only cache should not go unnoticed.
func (r *runner) noteCacheWrite(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cacheErrs == 0 {
		r.firstCacheErr = err
	}
	r.cacheErrs++
}

// get reads a stage's cache entry, keeping the content of its file keep
// if not "" (cache.GetKeeping). A miss other than "absent" (a partial,
// corrupt or foreign entry) is remembered, so that --explain and the
// manifest say why the stage ran although an entry existed.
func (r *runner) get(key cache.Key, keep string) *cache.Entry {
	e, reason := r.cache.GetKeeping(key, keep)
	if e == nil && reason != "" && reason != "absent" {
		r.mu.Lock()
		if r.missWhy == nil {
			r.missWhy = map[string]string{}
		}
		r.missWhy[key.ID] = reason
		r.mu.Unlock()
	}
	return e
}

// claim is a stage's claim on its cache entry (cache.Claim), held from a
// miss until the entry is stored, so that processes sharing the cache (the
// shards of a sweep) compute each entry once. A nil claim (no cache) does
// nothing.
type claim struct {
	cl     *cache.Claim
	handed bool // to a write, which releases it
}

// drop releases the claim unless a write took it over (a stage that
// failed, or one that stored its entry synchronously).
func (c *claim) drop() {
	if c != nil && !c.handed {
		c.cl.Release()
	}
}

// lookup is every cached stage's first step: key's entry, read by read, or
// on a miss a claim on the entry, which the stage defers drop of and hands
// to putAsync with its output. When another process held the claim, the
// entry is looked up again: that process has usually stored it by then.
// keep names the entry's file read reads whole, if any: it is kept from
// verifying the entry, not read twice.
func lookup[T any](ctx context.Context, r *runner, key cache.Key, keep string, read func(*cache.Entry) (T, error)) (v T, hit bool, cl *claim, err error) {
	if r.cache == nil {
		return v, false, nil, nil
	}
	hitOf := func() (T, bool) {
		if e := r.get(key, keep); e != nil {
			if v, err := read(e); err == nil {
				return v, true
			}
		}
		var zero T
		return zero, false
	}
	if v, hit = hitOf(); hit {
		return v, true, nil, nil
	}
	c, waited, err := r.cache.Claim(ctx, key.ID)
	if err != nil {
		return v, false, nil, err
	}
	if waited {
		if v, hit = hitOf(); hit {
			c.Release()
			return v, true, nil, nil
		}
	}
	return v, false, &claim{cl: c}, nil
}

// missReason returns why key's existing entry was not used, if it was not.
func (r *runner) missReason(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.missWhy[id]
}

// cacheWriteErrors returns the number of failed cache writes and the first.
func (r *runner) cacheWriteErrors() (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cacheErrs, r.firstCacheErr
}

// cacheWarning describes the failed cache writes, if any.
func (r *runner) cacheWarning() string {
	n, first := r.cacheWriteErrors()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("stage cache %s: %s failed (first: %v); the results are correct, but the next run recomputes what was not stored",
		r.cache.Dir(), plural.Count(n, "write"), first)
}

// putAsync stores a stage output in the background, off the critical path:
// on two cores a cache write overlaps the next stage's work. Execute waits
// for every write before it returns. The values the writers read must stay
// unchanged, which holds: stage outputs are immutable once made. The
// entry's claim is released once the entry is stored (or failed to be).
func (r *runner) putAsync(key cache.Key, files map[string]cache.WriteFunc, cl *claim, after ...func()) {
	var held *cache.Claim
	if cl != nil {
		held, cl.handed = cl.cl, true
	}
	r.pending.Add(1)
	go func() {
		defer r.pending.Done()
		defer held.Release()
		if r.opt.beforeBackgroundWrite != nil {
			r.opt.beforeBackgroundWrite()
		}
		r.noteCacheWrite(r.cache.Put(key, files))
		for _, f := range after {
			f()
		}
	}()
}

func jsonWriter(v any) cache.WriteFunc {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(v)
	}
}

func readJSON(e *cache.Entry, name string, v any) error {
	b, err := e.ReadFile(name)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
