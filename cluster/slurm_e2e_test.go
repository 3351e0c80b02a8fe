package cluster

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// slurmUp skips the test unless a Slurm controller answers (start one with
// scripts/slurm-local.sh start; .ci/run does).
func slurmUp(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no Slurm end-to-end test")
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Skip("sbatch not found: install slurm-wlm and run scripts/slurm-local.sh start to run the Slurm end-to-end test")
	}
	out, err := exec.Command("sinfo", "-h", "-o", "%T").Output()
	if err != nil || !regexp.MustCompile(`idle|mixed|allocated`).Match(out) {
		t.Skipf("no Slurm node is up (sinfo: %q, %v): run scripts/slurm-local.sh start", out, err)
	}
}

func buildBotprof(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "botprof")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/botprof").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func botprof(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("botprof %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

var jobIDs = regexp.MustCompile(`submitted array job (\d+) .* collect job (\d+)`)

// waitGone waits until none of the jobs is queued or running.
func waitGone(t *testing.T, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		out, err := exec.Command("squeue", "-h", "-o", "%i %T %r", "-j", strings.Join(ids, ",")).Output()
		if err == nil && strings.TrimSpace(string(out)) == "" {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	out, _ := exec.Command("squeue", "-j", strings.Join(ids, ",")).CombinedOutput()
	t.Fatalf("jobs %v still queued after 3 minutes:\n%s", ids, out)
}

func latestRun(t *testing.T, results string) string {
	t.Helper()
	runs, _ := filepath.Glob(filepath.Join(results, "sweep", "*"))
	if len(runs) != 1 {
		t.Fatalf("want one run under %s, found %v", results, runs)
	}
	return runs[0]
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	for _, f := range []string{"scores.csv", "scores.parquet", "metrics.json", "metrics.csv"} {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s (%v %v)", f, a, b, err1, err2)
		}
	}
}

// ranPoints counts, over the shard logs, how often each point's evaluate
// stage ran (each task runs with --explain).
func ranPoints(t *testing.T, logs string) map[string]int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(logs, "shard-*.out"))
	n := map[string]int{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if len(fields) >= 4 && fields[1] == "evaluate" && fields[3] == "ran" {
				n[fields[0]]++
			}
		}
	}
	return n
}

// The 45-point sweep as a 4-task array plus a collect job on a real Slurm:
// the collected results equal a local run's byte for byte, and every point
// was computed by exactly one task.
func TestSlurmSweepEndToEnd(t *testing.T) {
	slurmUp(t)
	bin := buildBotprof(t)
	tmp := t.TempDir()
	spec, _ := filepath.Abs("../experiments/sweep.yaml")

	local := filepath.Join(tmp, "local")
	botprof(t, bin, []string{"BOTPROF_CACHE=" + filepath.Join(tmp, "cache-local")}, "run", spec, "--quiet", "--results", local)

	results, sub := filepath.Join(tmp, "slurm-results"), filepath.Join(tmp, "sub")
	out := botprof(t, bin, nil, "slurm", spec, "--shards", "4", "--cache", filepath.Join(tmp, "cache-shared"),
		"--results", results, "--dir", sub)
	m := jobIDs.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job ids in %q", out)
	}
	waitGone(t, m[1], m[2])
	if b, _ := os.ReadFile(filepath.Join(sub, "logs", "collect.out")); !strings.Contains(string(b), "45 points") {
		t.Fatalf("collect log: %s", b)
	}
	sameFiles(t, latestRun(t, local), latestRun(t, results))
	ran := ranPoints(t, filepath.Join(sub, "logs"))
	if len(ran) != 45 {
		t.Errorf("%d points ran in the shards, want 45", len(ran))
	}
	for p, n := range ran {
		if n != 1 {
			t.Errorf("point %s ran %d times", p, n)
		}
	}
}

// A cancelled array task leaves its points uncached and the collect job
// waiting on a dependency that can no longer be met; --resubmit submits
// that task alone with a new collect job, which completes the sweep.
func TestSlurmResubmitAfterCancel(t *testing.T) {
	slurmUp(t)
	bin := buildBotprof(t)
	tmp := t.TempDir()
	spec, _ := filepath.Abs("../experiments/sweep.yaml")
	cache := filepath.Join(tmp, "cache")
	// Submit held, so that task 2 is cancelled before it can run.
	hold := filepath.Join(tmp, "sbatch-hold")
	os.WriteFile(hold, []byte("#!/bin/sh\nexec sbatch --hold \"$@\"\n"), 0o755)
	results := filepath.Join(tmp, "results")
	out := botprof(t, bin, []string{"BOTPROF_SBATCH=" + hold}, "slurm", spec, "--shards", "4", "--cache", cache,
		"--results", results, "--dir", filepath.Join(tmp, "sub1"))
	m := jobIDs.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job ids in %q", out)
	}
	array, collect := m[1], m[2]
	defer exec.Command("scancel", array, collect).Run()
	if out, err := exec.Command("scancel", array+"_2").CombinedOutput(); err != nil {
		t.Fatalf("scancel %s_2: %v %s", array, err, out)
	}
	if out, err := exec.Command("scontrol", "release", array+","+collect).CombinedOutput(); err != nil {
		t.Fatalf("scontrol release: %v %s", err, out)
	}
	waitGone(t, array)
	exec.Command("scancel", collect).Run() // its dependency can no longer be met
	if _, err := os.Stat(filepath.Join(results, "sweep")); err == nil {
		t.Fatal("the first collect job wrote results although a task was cancelled")
	}

	out = botprof(t, bin, nil, "slurm", spec, "--shards", "4", "--cache", cache, "--results", results,
		"--dir", filepath.Join(tmp, "sub2"), "--resubmit")
	if !strings.Contains(out, "task 2: 11 points not cached") || strings.Contains(out, "task 0:") {
		t.Fatalf("resubmit output:\n%s", out)
	}
	m = jobIDs.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job ids in %q", out)
	}
	waitGone(t, m[1], m[2])
	b, _ := os.ReadFile(filepath.Join(tmp, "sub2", "array.sbatch"))
	if !strings.Contains(string(b), "#SBATCH --array=2\n") {
		t.Fatalf("resubmitted array script:\n%s", b)
	}
	run := latestRun(t, results)
	local := filepath.Join(tmp, "local")
	botprof(t, bin, []string{"BOTPROF_CACHE=" + filepath.Join(tmp, "cache-local")}, "run", spec, "--quiet", "--results", local)
	sameFiles(t, latestRun(t, local), run)
	out = botprof(t, bin, nil, "slurm", spec, "--shards", "4", "--cache", cache, "--results", results, "--resubmit")
	if !strings.Contains(out, "nothing to resubmit") {
		t.Fatalf("second resubmit: %s", out)
	}
}
