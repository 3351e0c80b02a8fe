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
// fresh stage cache at the same moment, for several rounds: both compute
// and write every stage entry at once (the cache's rename decides which
// copy stays), both must succeed with results equal to a run alone, and
// the cache must verify clean afterwards.
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
