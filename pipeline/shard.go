package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"botprof/pipeline/cache"
)

// Shard selects the points of a sweep one task of a job array computes:
// the Index-th of Count contiguous blocks of the expanded sweep (its point
// order is stable for a spec and its overrides), as equal in size as they
// can be. Contiguous rather than every Count-th point: consecutive points
// share their leading sweep values (all points of window.size=5 come
// first), hence their load, discretize and window stages, which a task
// then computes once instead of every task computing all of them. The
// zero Shard selects every point.
type Shard struct {
	Index, Count int
}

// All reports whether s selects every point.
func (s Shard) All() bool { return s.Count <= 1 }

// blockStart is the first point index of block k of count over n points.
func blockStart(k, count, n int) int { return k * n / count }

// Owns reports whether point index i of n belongs to s.
func (s Shard) Owns(i, n int) bool {
	return s.All() || (blockStart(s.Index, s.Count, n) <= i && i < blockStart(s.Index+1, s.Count, n))
}

// ShardOf returns the index of the shard of count that owns point i of n.
func ShardOf(i, n, count int) int {
	for k := 0; k < count; k++ {
		if i < blockStart(k+1, count, n) {
			return k
		}
	}
	return count - 1
}

func (s Shard) String() string {
	if s.All() {
		return "all"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// ParseShard reads "i/n" (0 ≤ i < n) or "auto". Auto takes the task index
// and count from the scheduler's environment, read through getenv: Slurm's
// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or Kubernetes Indexed
// Jobs' JOB_COMPLETION_INDEX with the count in BOTPROF_SHARDS (an Indexed
// Job does not export its completions).
func ParseShard(v string, getenv func(string) string) (Shard, error) {
	if v == "auto" {
		if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
			return shardFrom(id, getenv("SLURM_ARRAY_TASK_COUNT"), "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT")
		}
		if id := getenv("JOB_COMPLETION_INDEX"); id != "" {
			return shardFrom(id, getenv("BOTPROF_SHARDS"), "JOB_COMPLETION_INDEX", "BOTPROF_SHARDS")
		}
		return Shard{}, fmt.Errorf("--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set (not inside a Slurm array task or a Kubernetes Indexed Job)")
	}
	i, n, ok := strings.Cut(v, "/")
	if !ok {
		return Shard{}, fmt.Errorf("--shard %q: want i/n (e.g. 0/4) or auto", v)
	}
	return shardFrom(i, n, "i", "n")
}

func shardFrom(is, ns, iName, nName string) (Shard, error) {
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 {
		return Shard{}, fmt.Errorf("--shard: %s must be a positive integer, got %q", nName, ns)
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("--shard: %s must be an integer in [0, %d), got %q", iName, n, is)
	}
	return Shard{Index: i, Count: n}, nil
}

// Shard returns a copy of p holding only the points s owns (in plan order,
// names unchanged, so their stage keys are those of the whole sweep).
func (p *Plan) Shard(s Shard) *Plan {
	if s.All() {
		return p
	}
	q := *p
	q.Points = nil
	for i, pt := range p.Points {
		if s.Owns(i, len(p.Points)) {
			q.Points = append(q.Points, pt)
		}
	}
	return &q
}

// PointStatus says whether a point's final stage output is in the cache.
type PointStatus struct {
	Index  int
	Name   string
	Cached bool
	Reason string // why not, when not cached
}

// CacheStatus reports, for every point of plan, whether its final (evaluate)
// cache entry is present and intact in the cache at dir: such a point costs
// a collect run one read. It hashes the data file unless the cache remembers
// its hash, and computes nothing else.
func CacheStatus(ctx context.Context, plan *Plan, dir string) ([]PointStatus, error) {
	c, err := cache.Open(dir)
	if err != nil {
		return nil, err
	}
	r := &runner{plan: plan, cache: c}
	if err := r.resolveSources(ctx, plan, false); err != nil {
		return nil, err
	}
	out := make([]PointStatus, len(plan.Points))
	for i, p := range plan.Points {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		keys, err := r.keysOf(&p.Spec)
		if err != nil {
			return nil, fmt.Errorf("point %s: %w", p.Name, err)
		}
		e, reason := c.Get(keys.evaluate)
		out[i] = PointStatus{Index: i, Name: p.Name, Cached: e != nil, Reason: reason}
	}
	return out, nil
}
