package pipeline

import (
	"context"
	"os"
	"path/filepath"
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
// in plan order, whatever the shard count.
func TestPlanShardPartitions(t *testing.T) {
	plan, err := LoadPlan("../experiments/sweep.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 4, 7, 45, 60} {
		seen := map[string]int{}
		for i := 0; i < n; i++ {
			q := plan.Shard(Shard{i, n})
			for j, p := range q.Points {
				seen[p.Name]++
				if j > 0 && indexOf(plan, p.Name) <= indexOf(plan, q.Points[j-1].Name) {
					t.Fatalf("n=%d shard %d: points out of plan order", n, i)
				}
			}
		}
		if len(seen) != len(plan.Points) {
			t.Fatalf("n=%d: %d distinct points, want %d", n, len(seen), len(plan.Points))
		}
		for name, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: point %s in %d shards", n, name, c)
			}
		}
	}
	if got := len(plan.Points); got != 45 {
		t.Fatalf("sweep has %d points", got)
	}
}

func indexOf(p *Plan, name string) int {
	for i, q := range p.Points {
		if q.Name == name {
			return i
		}
	}
	return -1
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
	if len(plan.Points) != 3 {
		t.Fatalf("got %d points, want 3", len(plan.Points))
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
}

// Blocks are contiguous, cover every point once and differ in size by at
// most one; ShardOf agrees with Owns.
func TestShardBlocks(t *testing.T) {
	for _, n := range []int{1, 3, 45, 100} {
		for _, count := range []int{1, 2, 4, 7, 45, 60} {
			sizes := make([]int, count)
			for i := 0; i < n; i++ {
				k := ShardOf(i, n, count)
				sizes[k]++
				for j := 0; j < count; j++ {
					if (Shard{j, count}).Owns(i, n) != (j == k) && count > 1 {
						t.Fatalf("n=%d count=%d: point %d: Owns(shard %d) disagrees with ShardOf %d", n, count, i, j, k)
					}
				}
			}
			lo, hi := n, 0
			for _, sz := range sizes {
				lo, hi = min(lo, sz), max(hi, sz)
			}
			if hi-lo > 1 {
				t.Fatalf("n=%d count=%d: block sizes %v", n, count, sizes)
			}
		}
	}
}
