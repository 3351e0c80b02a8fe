package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTwoProcessesOneCache runs two botprof processes on one spec and one
// fresh stage cache at the same moment, for several rounds: they race for
// every stage entry (one computes it while the other waits on its claim;
// when they do compute one together, the cache's rename decides which copy
// stays), both must succeed with results equal to a run alone, and the
// cache must verify clean afterwards.
func TestTwoProcessesOneCache(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no multi-process run")
	}
	bin := buildBotprof(t)
	spec := "../experiments/default.yaml"
	root := t.TempDir()
	alone := runIn(t, bin, filepath.Join(root, "alone-cache"), filepath.Join(root, "alone"), spec)
	const rounds = 4
	for round := range rounds {
		cacheDir := filepath.Join(root, fmt.Sprintf("cache-%d", round))
		cmds := make([]*exec.Cmd, 2)
		outs := make([]bytes.Buffer, 2)
		for i := range cmds {
			cmds[i] = exec.Command(bin, "run", spec, "--quiet", "--results", filepath.Join(root, fmt.Sprintf("r%d-%d", round, i)))
			cmds[i].Env = append(os.Environ(), "BOTPROF_CACHE="+cacheDir)
			cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		}
		for _, c := range cmds {
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Fatalf("round %d process %d: %v\n%s", round, i, err, outs[i].Bytes())
			}
			sameFiles(t, alone, runFolder(t, filepath.Join(root, fmt.Sprintf("r%d-%d", round, i))))
		}
		out, err := exec.Command(bin, "cache", "verify", "--dir", cacheDir).CombinedOutput()
		if err != nil || !strings.Contains(string(out), ": 0 problems") {
			t.Fatalf("round %d: cache verify: %v\n%s", round, err, out)
		}
	}
}

// runIn runs spec alone with its own cache and returns its results folder.
func runIn(t *testing.T, bin, cacheDir, results, spec string) string {
	t.Helper()
	botprof(t, bin, []string{"BOTPROF_CACHE=" + cacheDir}, "run", spec, "--quiet", "--results", results)
	return runFolder(t, results)
}

// runFolder returns the one run folder under a results root.
func runFolder(t *testing.T, results string) string {
	t.Helper()
	runs, _ := filepath.Glob(filepath.Join(results, "*", "*"))
	if len(runs) != 1 {
		t.Fatalf("want one run under %s, found %v", results, runs)
	}
	return runs[0]
}

// TestShardsComputeSharedStagesOnce starts two shards of the sweep on one
// fresh cache at the same moment, for several rounds: the stages their
// points share (the load of the data file, its discretization) must run in
// one of them only, the other waiting for the entry (cache.Claim) instead
// of computing it too, as the cluster bar on total CPU needs.
func TestShardsComputeSharedStagesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no multi-process run")
	}
	bin := buildBotprof(t)
	spec := "../experiments/sweep.yaml"
	root := t.TempDir()
	const rounds = 3
	for round := range rounds {
		cacheDir := filepath.Join(root, fmt.Sprintf("cache-%d", round))
		cmds := make([]*exec.Cmd, 2)
		outs := make([]bytes.Buffer, 2)
		for i := range cmds {
			cmds[i] = exec.Command(bin, "run", spec, "--quiet", "--explain", "--jobs", "1", "--shard", fmt.Sprintf("%d/2", i))
			cmds[i].Env = append(os.Environ(), "BOTPROF_CACHE="+cacheDir)
			cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		}
		for _, c := range cmds {
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		}
		ran := map[string][]int{} // "stage key" -> the shards that ran it
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Fatalf("round %d shard %d: %v\n%s", round, i, err, outs[i].Bytes())
			}
			for _, line := range strings.Split(outs[i].String(), "\n") {
				f := strings.Fields(line)
				if len(f) >= 4 && f[3] == "ran" {
					ran[f[1]+" "+f[2]] = append(ran[f[1]+" "+f[2]], i)
				}
			}
		}
		for _, stage := range []string{"load", "discretize", "train", "evaluate"} {
			n := 0
			for k, shards := range ran {
				if !strings.HasPrefix(k, stage+" ") {
					continue
				}
				n++
				if len(shards) != 1 {
					t.Errorf("round %d: %s ran in shards %v, want one", round, k, shards)
				}
			}
			if n == 0 {
				t.Errorf("round %d: no %s stage ran in either shard", round, stage)
			}
		}
		out, err := exec.Command(bin, "cache", "verify", "--dir", cacheDir).CombinedOutput()
		if err != nil || !strings.Contains(string(out), ": 0 problems") {
			t.Fatalf("round %d: cache verify: %v\n%s", round, err, out)
		}
		if locks, _ := os.ReadDir(filepath.Join(cacheDir, "locks")); len(locks) != 0 {
			t.Errorf("round %d: %d lock files left in the cache, want none", round, len(locks))
		}
	}
}
