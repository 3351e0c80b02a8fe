package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Job describes a sweep to run as a job array. Paths are absolute: the
// scripts run on other nodes, from another working directory.
type Job struct {
	Experiment string   // job names and the submission folder
	Binary     string   // the botprof executable the tasks run
	Spec       string   // the spec file
	Sets       []string // --set overrides, passed on unchanged
	CacheDir   string   // shared stage cache
	ResultsDir string   // results root of the collect step
	Dir        string   // submission folder: scripts, logs, job ids
	Shards     int      // array size: task i computes shard i/Shards

	// Slurm resources; empty fields are left to the cluster's defaults.
	Partition   string
	Time        string
	Account     string
	Mem         string
	CPUsPerTask int
}

// Validate checks what the scripts need.
func (j Job) Validate() error {
	if j.Shards < 1 {
		return fmt.Errorf("--shards must be at least 1, got %d", j.Shards)
	}
	if j.CPUsPerTask < 1 {
		return fmt.Errorf("--cpus-per-task must be at least 1, got %d", j.CPUsPerTask)
	}
	for name, p := range map[string]string{"binary": j.Binary, "spec": j.Spec, "cache": j.CacheDir, "results": j.ResultsDir, "submission folder": j.Dir} {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("%s path %q is not absolute", name, p)
		}
	}
	for _, v := range []string{j.Partition, j.Time, j.Account, j.Mem} {
		if strings.ContainsAny(v, " \t\n'\"") {
			return fmt.Errorf("slurm option %q contains a space or quote", v)
		}
	}
	return nil
}

// Quote quotes s for a POSIX shell.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ArrayRange renders task indices for sbatch --array: "0-3" for a full
// array, "1,3" for a resubmission of some tasks.
func ArrayRange(tasks []int) string {
	var parts []string
	for i := 0; i < len(tasks); {
		j := i
		for j+1 < len(tasks) && tasks[j+1] == tasks[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", tasks[i], tasks[j]))
		} else {
			parts = append(parts, strconv.Itoa(tasks[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func (j Job) header(b *strings.Builder, name, output string) {
	fmt.Fprintf(b, "#!/bin/bash\n")
	fmt.Fprintf(b, "#SBATCH --job-name=%s\n", name)
	fmt.Fprintf(b, "#SBATCH --output=%s\n", output)
	fmt.Fprintf(b, "#SBATCH --cpus-per-task=%d\n", j.CPUsPerTask)
	for _, o := range []struct{ flag, v string }{{"partition", j.Partition}, {"time", j.Time}, {"account", j.Account}, {"mem", j.Mem}} {
		if o.v != "" {
			fmt.Fprintf(b, "#SBATCH --%s=%s\n", o.flag, o.v)
		}
	}
}

func (j Job) command(b *strings.Builder, args ...string) {
	fmt.Fprintf(b, "set -euo pipefail\nexport BOTPROF_CACHE=%s\n", Quote(j.CacheDir))
	b.WriteString("exec " + Quote(j.Binary) + " run " + Quote(j.Spec))
	for _, a := range args {
		b.WriteString(" " + a)
	}
	for _, s := range j.Sets {
		b.WriteString(" --set " + Quote(s))
	}
	b.WriteString("\n")
}

// ArrayScript is the sbatch script of the shard tasks listed in tasks (all
// of 0..Shards-1 for a first submission). Each task computes shard
// $SLURM_ARRAY_TASK_ID/Shards — the count is written out, not read from
// $SLURM_ARRAY_TASK_COUNT, so that a resubmission of some tasks keeps the
// same partition of the points — with --explain, so its log lists what it
// ran and what it found cached.
func (j Job) ArrayScript(tasks []int) string {
	var b strings.Builder
	j.header(&b, "botprof-"+j.Experiment, filepath.Join(j.Dir, "logs", "shard-%a.out"))
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", ArrayRange(tasks))
	j.command(&b, fmt.Sprintf(`--shard "${SLURM_ARRAY_TASK_ID}/%d"`, j.Shards), `--jobs "${SLURM_CPUS_PER_TASK:-1}"`, "--quiet", "--explain")
	return b.String()
}

// CollectScript is the sbatch script of the collect step: every point from
// the cache (or a failure naming the missing ones), then the results folder.
func (j Job) CollectScript() string {
	var b strings.Builder
	j.header(&b, "botprof-"+j.Experiment+"-collect", filepath.Join(j.Dir, "logs", "collect.out"))
	j.command(&b, "--require-cached", `--jobs "${SLURM_CPUS_PER_TASK:-1}"`, "--quiet", "--results", Quote(j.ResultsDir))
	return b.String()
}

// Submission is what Submit did.
type Submission struct {
	ArrayJob, CollectJob string // Slurm job ids
	ArrayScript          string // paths of the scripts submitted
	CollectScript        string
	Tasks                []int
}

// Sbatch runs sbatch with args and returns its standard output. Tests
// replace it.
type Sbatch func(args ...string) (string, error)

// ExecSbatch runs the sbatch on $PATH (or $BOTPROF_SBATCH).
func ExecSbatch(args ...string) (string, error) {
	bin := os.Getenv("BOTPROF_SBATCH")
	if bin == "" {
		bin = "sbatch"
	}
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// WriteScripts writes the array and collect scripts for tasks into j.Dir
// (with a logs/ folder for their output) and returns their paths.
func (j Job) WriteScripts(tasks []int) (array, collect string, err error) {
	if err := j.Validate(); err != nil {
		return "", "", err
	}
	if len(tasks) == 0 {
		return "", "", fmt.Errorf("no tasks to submit")
	}
	if err := os.MkdirAll(filepath.Join(j.Dir, "logs"), 0o755); err != nil {
		return "", "", err
	}
	array = filepath.Join(j.Dir, "array.sbatch")
	collect = filepath.Join(j.Dir, "collect.sbatch")
	if err := os.WriteFile(array, []byte(j.ArrayScript(tasks)), 0o755); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(collect, []byte(j.CollectScript()), 0o755); err != nil {
		return "", "", err
	}
	return array, collect, nil
}

// Submit writes the scripts and submits the array, then the collect job
// with --dependency=afterok on the array: the collect step runs only when
// every task succeeded. The job ids are also written to j.Dir/jobs.
func (j Job) Submit(tasks []int, sbatch Sbatch) (Submission, error) {
	array, collect, err := j.WriteScripts(tasks)
	if err != nil {
		return Submission{}, err
	}
	s := Submission{ArrayScript: array, CollectScript: collect, Tasks: tasks}
	out, err := sbatch("--parsable", array)
	if err != nil {
		return s, err
	}
	if s.ArrayJob, err = parsableID(out); err != nil {
		return s, err
	}
	out, err = sbatch("--parsable", "--dependency=afterok:"+s.ArrayJob, collect)
	if err != nil {
		return s, fmt.Errorf("array job %s submitted, collect job not: %w", s.ArrayJob, err)
	}
	if s.CollectJob, err = parsableID(out); err != nil {
		return s, err
	}
	ids := fmt.Sprintf("array %s\ncollect %s\n", s.ArrayJob, s.CollectJob)
	return s, os.WriteFile(filepath.Join(j.Dir, "jobs"), []byte(ids), 0o644)
}

// parsableID reads the job id from sbatch --parsable output ("id" or
// "id;cluster").
func parsableID(out string) (string, error) {
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", fmt.Errorf("sbatch --parsable printed %q, not a job id", strings.TrimSpace(out))
	}
	return id, nil
}
