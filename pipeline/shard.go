package pipeline

import (
	"context"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"botprof/pipeline/cache"
)

// Shard selects the points of a sweep one task of a job array computes:
// the Index-th of Count contiguous blocks of the expanded sweep (its point
// order is stable for a spec and its overrides), cut so that the blocks'
// expected costs (PointCost) are as equal as they can be. Contiguous
// rather than every Count-th point: consecutive points share their leading
// sweep values (all points of window.size=5 come first), hence their load,
// discretize and window stages, which a task then computes once instead of
// every task computing all of them. The zero Shard selects every point.
type Shard struct {
	Index, Count int
}

// All reports whether s selects every point.
func (s Shard) All() bool { return s.Count <= 1 }

// Cost model constants, fitted to the per-stage seconds of
// experiments/sweep.yaml run with --jobs 1 (train and evaluate of the 9
// window.size × model.states cells): a point costs about pointOverhead
// plus, per pass over the data, K·(K+E) per observation, where the
// training does n_iter × restarts passes and scoring about evalPasses.
const (
	costScale     = 1000 // per-observation units per flow, so stride divides exactly enough
	pointOverhead = 600 * costScale
	evalPasses    = 4
	maxPointCost  = 1 << 40 // keeps a sweep's total far from overflowing int64
)

// PointCost is the expected cost of computing the point with spec s, in
// arbitrary units that only compare points of one sweep (they share data
// and hosts). The forward-backward pass over T observations with K states
// and E emission terms per state costs T·K·(K+E): a gaussian on rows sees
// one size-dimensional row per window start (T = flows/stride, E = size,
// or size² for full and tied covariances); a model on sequences sees every
// window's codes (T = size·flows/stride, E = 1); time windows (window.span)
// hold every flow once (T = flows, E = 1). A Markov chain costs two passes
// of one term per observation (count, score). An HMM point trains for up to
// n_iter passes per restart and scores in about evalPasses more, plus a
// fixed pointOverhead (scoring bookkeeping, stage I/O). On
// experiments/sweep.yaml each of the 9 cells' measured train + evaluate
// seconds is within 0.8–1.3 times the model's share of the total.
func PointCost(s *Spec) int64 {
	m := s.Model
	k := int64(max(m.States, 1))
	size := int64(max(s.Window.Size, 1))
	stride := int64(max(s.Window.Stride, 1))
	obs, e := int64(1), size // rows
	switch {
	case s.Window.Span != "":
		obs, e, stride = 1, 1, 1 // time windows: every flow in one window
	case m.ModelInput() == "sequences":
		obs, e = size, 1
	case m.Covariance == "full" || m.Covariance == "tied":
		e = size * size
	}
	passes := int64(max(m.NIter, 1))*int64(max(m.Restarts, 1)) + evalPasses
	if m.Kind == "markov" {
		passes, k, e = 2, 1, 0 // counts transitions once, scores once
	}
	cost := pointOverhead + sat(sat(sat(passes, k), k+e), obs*costScale)/stride
	return min(cost, maxPointCost)
}

// sat multiplies non-negative a and b, saturating at maxPointCost.
func sat(a, b int64) int64 {
	if a != 0 && b > maxPointCost/a {
		return maxPointCost
	}
	return a * b
}

// ShardBounds cuts the plan's points into count contiguous blocks of about
// equal expected cost: shard k owns points [b[k], b[k+1]) of the returned
// count+1 bounds. Block k ends where the running cost total comes closest
// to k/count of the whole (ties to the earlier point), so no block costs
// more than the mean plus the dearest point, and the cut depends only on
// the plan: every task of an array computes the same one.
func (p *Plan) ShardBounds(count int) []int {
	costs := make([]int64, p.Len())
	for i, pt := range p.Points() {
		costs[i] = PointCost(&pt.Spec)
	}
	return costBounds(costs, count)
}

// costBounds is ShardBounds on a list of point costs.
func costBounds(costs []int64, count int) []int {
	count = max(count, 1)
	prefix := make([]int64, len(costs)+1) // prefix[j]: cost of points before j
	for i, c := range costs {
		prefix[i+1] = prefix[i] + c
	}
	total := prefix[len(costs)]
	b := make([]int, count+1)
	j := 0
	for k := 1; k < count; k++ {
		// target = k·total/count, exactly, in 128 bits.
		hi, lo := bits.Mul64(uint64(k), uint64(total))
		target, _ := bits.Div64(hi, lo, uint64(count))
		for j < len(costs) && uint64(prefix[j+1]) <= target {
			j++
		}
		// prefix[j] ≤ target < prefix[j+1]: cut at j or j+1, whichever is closer.
		if j < len(costs) && uint64(prefix[j+1])-target < target-uint64(prefix[j]) {
			b[k] = j + 1
		} else {
			b[k] = j
		}
		b[k] = max(b[k], b[k-1])
	}
	b[count] = len(costs)
	return b
}

// ShardOf returns the index of the shard of count that owns point i,
// given the plan's ShardBounds(count).
func ShardOf(bounds []int, i int) int {
	k := sort.SearchInts(bounds[1:], i+1) // first k with bounds[k+1] > i
	return min(k, len(bounds)-2)
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
	b := p.ShardBounds(s.Count)
	q := *p
	q.off, q.n = p.off+b[s.Index], b[s.Index+1]-b[s.Index]
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
	r := &runner{plan: plan, cache: c, params: &cache.ParamsMemo{}}
	if err := r.resolveSources(ctx, plan, false); err != nil {
		return nil, err
	}
	out := make([]PointStatus, plan.Len())
	for i, p := range plan.Points() {
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

// Uncached returns the points of plan whose results are not in the cache
// at dir (CacheStatus), in plan order: what a collect would compute.
func Uncached(ctx context.Context, plan *Plan, dir string) ([]PointStatus, error) {
	st, err := CacheStatus(ctx, plan, dir)
	if err != nil {
		return nil, err
	}
	var out []PointStatus
	for _, p := range st {
		if !p.Cached {
			out = append(out, p)
		}
	}
	return out, nil
}
