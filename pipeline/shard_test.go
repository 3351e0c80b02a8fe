package pipeline

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		in   string
		env  map[string]string
		want Shard
		err  string
	}{
		{in: "0/4", want: Shard{0, 4}},
		{in: "3/4", want: Shard{3, 4}},
		{in: "4/4", err: "in [0, 4)"},
		{in: "-1/4", err: "in [0, 4)"},
		{in: "1/0", err: "positive integer"},
		{in: "x", err: "want i/n"},
		{in: "auto", err: "neither SLURM_ARRAY_TASK_ID"},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "5"}, want: Shard{2, 5}},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2"}, err: "SLURM_ARRAY_TASK_COUNT must be a positive integer"},
		{in: "auto", env: map[string]string{"JOB_COMPLETION_INDEX": "1", "BOTPROF_SHARDS": "3"}, want: Shard{1, 3}},
	} {
		got, err := ParseShard(tc.in, env(tc.env))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseShard(%q, %v) err = %v, want %q", tc.in, tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q, %v) = %v, %v; want %v", tc.in, tc.env, got, err, tc.want)
		}
	}
}

// The shards of a plan partition its points: every point exactly once,
// in plan order, whatever the sweep and the shard count.
func TestPlanShardPartitions(t *testing.T) {
	for _, sets := range [][]string{
		nil,
		{"sweep.model.seed=[0]"},
		{"sweep.model.n_iter=[1,5,20]", "sweep.model.restarts=[1,3]"},
		{"sweep.window.size=[20,5,10,2]", "sweep.model.covariance=[diag,full]"},
		{"sweep.model.seed=[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19]"},
	} {
		plan, err := LoadPlan("../experiments/sweep.yaml", sets)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2, 3, 4, 7, 45, 60, 1000} {
			var names []string
			for i := 0; i < n; i++ {
				for _, p := range plan.Shard(Shard{i, n}).Points() {
					names = append(names, p.Name)
				}
			}
			// Concatenated in shard order, the shards are the plan.
			if len(names) != plan.Len() {
				t.Fatalf("%v n=%d: shards hold %d points, want %d", sets, n, len(names), plan.Len())
			}
			for i, p := range plan.Points() {
				if names[i] != p.Name {
					t.Fatalf("%v n=%d: shard point %d is %s, want %s", sets, n, i, names[i], p.Name)
				}
			}
		}
	}
}

// After the shards of a sweep ran, every point's final entry is cached, and
// a shard's run alone leaves the other shards' points missing.
func TestCacheStatusAfterShards(t *testing.T) {
	dir := t.TempDir()
	data, err := filepath.Abs("../data/ctu13/s10/capture20110818.16hosts.reconstructed.netflow.labeled.zst")
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "small.yaml")
	os.WriteFile(spec, []byte("experiment: small\ndata: {path: "+data+"}\n"+
		"hosts: {profile: 147.32.84.204, normal: [147.32.84.170], infected: [147.32.84.165]}\n"+
		"window: {size: 5}\nmodel: {states: 2}\nsweep:\n  model.seed: [0, 1, 2]\n"), 0o644)
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Len() != 3 {
		t.Fatalf("got %d points, want 3", plan.Len())
	}
	ctx := context.Background()
	st, err := CacheStatus(ctx, plan, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st {
		if p.Cached || p.Reason == "" {
			t.Fatalf("empty cache: %+v", p)
		}
	}
	if _, err := Execute(ctx, plan.Shard(Shard{1, 2}), Options{CacheDir: dir}); err != nil {
		t.Fatal(err)
	}
	st, err = CacheStatus(ctx, plan, dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range st {
		if want := i >= 1; p.Cached != want { // shard 1/2 of 3 points: indices 1 and 2
			t.Fatalf("after shard 1/2: point %d cached=%v, want %v", i, p.Cached, want)
		}
	}
	if un, err := Uncached(ctx, plan, dir); err != nil || len(un) != 1 || un[0].Index != 0 || un[0].Reason == "" {
		t.Fatalf("Uncached after shard 1/2: %+v, %v; want point 0 with its reason", un, err)
	}
}

func TestCostBounds(t *testing.T) {
	for _, tc := range []struct {
		costs []int64
		count int
		want  []int
	}{
		{[]int64{1, 1, 1, 1}, 2, []int{0, 2, 4}},
		{[]int64{3, 1, 1, 1}, 2, []int{0, 1, 4}},    // target 3 = the first point
		{[]int64{1, 1, 1, 1}, 3, []int{0, 1, 2, 4}}, // targets 1 and 2 (4/3, 8/3 rounded down)
		{[]int64{1, 1, 4}, 2, []int{0, 2, 3}},       // target 3: prefix 2 is 1 away, 6 is 3
		{[]int64{2, 2}, 2, []int{0, 1, 2}},
		{[]int64{1, 2}, 2, []int{0, 1, 2}}, // target 1 (3/2): the first point
		{[]int64{5}, 3, []int{0, 0, 1, 1}}, // targets 1, 3: 0 is closer to 1, 5 to 3
		{nil, 2, []int{0, 0, 0}},
		{[]int64{1, 1}, 1, []int{0, 2}},
	} {
		if got := costBounds(tc.costs, tc.count); !slices.Equal(got, tc.want) {
			t.Errorf("costBounds(%v, %d) = %v, want %v", tc.costs, tc.count, got, tc.want)
		}
	}
}

// For random costs, the bounds cut every point into exactly one block, in
// order; no block costs more than the mean plus the dearest point; and
// ShardOf names the block that holds each point.
func TestCostBoundsPartition(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2))
	for _, n := range []int{0, 1, 2, 3, 10, 45, 100, 1000} {
		for _, count := range []int{1, 2, 3, 4, 5, 7, 45, 60, 2000} {
			costs := make([]int64, n)
			var total, dearest int64
			for i := range costs {
				costs[i] = 1 + rng.Int64N(1000)
				if rng.IntN(10) == 0 {
					costs[i] *= 100 // a few expensive points
				}
				total += costs[i]
				dearest = max(dearest, costs[i])
			}
			b := costBounds(costs, count)
			if len(b) != count+1 || b[0] != 0 || b[count] != n {
				t.Fatalf("n=%d count=%d: bounds %v", n, count, b)
			}
			for k := 0; k < count; k++ {
				if b[k] > b[k+1] {
					t.Fatalf("n=%d count=%d: bounds not sorted: %v", n, count, b)
				}
				var block int64
				for i := b[k]; i < b[k+1]; i++ {
					block += costs[i]
					if got := ShardOf(b, i); got != k {
						t.Fatalf("n=%d count=%d: ShardOf(point %d) = %d, want %d", n, count, i, got, k)
					}
				}
				if float64(block) > float64(total)/float64(count)+float64(dearest) {
					t.Fatalf("n=%d count=%d: block %d costs %d, mean %d, dearest point %d", n, count, k, block, total/int64(count), dearest)
				}
			}
		}
	}
}

// On experiments/sweep.yaml the cost-weighted blocks are better balanced
// than equal-size blocks: their dearest block is closer to the mean.
func TestShardBalanceSweep(t *testing.T) {
	plan, err := LoadPlan("../experiments/sweep.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	costs := make([]int64, plan.Len())
	for i, p := range plan.Points() {
		costs[i] = PointCost(&p.Spec)
	}
	ratio := func(b []int) float64 { // dearest block cost / mean block cost
		var total, dearest int64
		for k := 0; k+1 < len(b); k++ {
			var c int64
			for _, x := range costs[b[k]:b[k+1]] {
				c += x
			}
			total += c
			dearest = max(dearest, c)
		}
		return float64(dearest) * float64(len(b)-1) / float64(total)
	}
	for _, count := range []int{2, 3, 4, 5, 8} {
		plain := make([]int, count+1)
		for k := range plain {
			plain[k] = k * len(costs) / count
		}
		weighted, equal := ratio(plan.ShardBounds(count)), ratio(plain)
		t.Logf("%d shards: dearest/mean block cost %.3f weighted, %.3f equal-size", count, weighted, equal)
		if weighted >= equal {
			t.Errorf("%d shards: weighted blocks %.3f of the mean, equal-size %.3f", count, weighted, equal)
		}
	}
}

// The cost model's hand-computed values: gaussian rows on window 5, 2
// states, 10 iterations, 1 restart, stride 1: 600000 + (10+4)·2·(2+5)·1000.
func TestPointCost(t *testing.T) {
	base := Spec{Window: WindowSpec{Size: 5, Stride: 1}, Model: ModelSpec{Kind: "gaussian", States: 2, NIter: 10, Restarts: 1, Covariance: "diag"}}
	for _, tc := range []struct {
		edit func(*Spec)
		want int64
	}{
		{func(*Spec) {}, 600000 + 14*2*7*1000},
		{func(s *Spec) { s.Model.Covariance = "full" }, 600000 + 14*2*27*1000},
		{func(s *Spec) { s.Model.Restarts = 3 }, 600000 + 34*2*7*1000},
		{func(s *Spec) { s.Window.Stride = 2 }, 600000 + 14*2*7*1000/2},
		{func(s *Spec) { s.Model.Kind = "categorical" }, 600000 + 14*2*3*5*1000},
		{func(s *Spec) { s.Model.Kind = "markov" }, 600000 + 2*1*1*5*1000},
		{func(s *Spec) { s.Model.Kind, s.Window.Span, s.Window.Stride = "categorical", "1s", 3 }, 600000 + 14*2*3*1*1000},
		{func(s *Spec) { s.Model.NIter, s.Model.States = 1<<30, 1<<20 }, maxPointCost},
	} {
		s := base
		tc.edit(&s)
		if got := PointCost(&s); got != tc.want {
			t.Errorf("PointCost(%+v) = %d, want %d", s.Model, got, tc.want)
		}
	}
}

// A shard of more shards than points may own none: its run computes
// nothing and succeeds (it used to index the first point).
func TestEmptyShardRuns(t *testing.T) {
	plan, err := LoadPlan("../experiments/sweep.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	empty := plan.Shard(Shard{Index: 99, Count: 100})
	if empty.Len() != 0 {
		t.Skipf("shard 99/100 owns %d points", empty.Len())
	}
	out, err := Execute(context.Background(), empty, Options{CacheDir: t.TempDir(), DropOutputs: true})
	if err != nil || len(out.Points) != 0 || out.Failed() != 0 {
		t.Fatalf("out %+v, err %v", out, err)
	}
}
