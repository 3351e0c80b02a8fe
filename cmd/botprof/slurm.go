package main

import (
	"botprof/report"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"botprof/cluster"
	"botprof/pipeline"
	"botprof/pipeline/cache"
)

type slurmOptions struct {
	sets              setFlags
	shards, cpus      int
	partition, limit  string
	account, mem, dir string
	results, cacheDir string
	dryRun, resubmit  bool
}

// runSlurm writes a sweep's job array and collect job, and submits them.
func runSlurm(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o slurmOptions
	fs := flag.NewFlagSet("botprof slurm", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.IntVar(&o.shards, "shards", 0, "array tasks; task i computes the i-th of N contiguous, cost-balanced blocks of the sweep's points (required)")
	fs.IntVar(&o.cpus, "cpus-per-task", 1, "CPUs per task (sbatch --cpus-per-task; the task runs that many points at once)")
	fs.StringVar(&o.partition, "partition", "", "sbatch --partition")
	fs.StringVar(&o.limit, "time", "", "sbatch --time, e.g. 1:00:00")
	fs.StringVar(&o.account, "account", "", "sbatch --account")
	fs.StringVar(&o.mem, "mem", "", "sbatch --mem, e.g. 4G")
	fs.StringVar(&o.dir, "dir", "", "submission folder for the scripts, logs and job ids (default slurm/EXPERIMENT-TIME)")
	fs.StringVar(&o.results, "results", "results", "results root of the collect job")
	fs.StringVar(&o.cacheDir, "cache", cache.DefaultDir(), "stage cache shared by every node ($BOTPROF_CACHE)")
	fs.Var(&o.sets, "set", "override a spec key, passed to every task (repeatable)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "write the scripts, submit nothing")
	fs.BoolVar(&o.resubmit, "resubmit", false, "submit only the tasks whose points are not all in the cache (after failed or cancelled tasks), and a new collect job")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: botprof slurm SPEC --shards N [flags]\n\nflags:\n")
		printDefaults(fs)
	}
	spec, err := parseWithSpec(fs, args)
	if err != nil {
		return err
	}
	if o.shards < 1 {
		return usageError{"botprof slurm: --shards N is required (N ≥ 1)"}
	}
	plan, err := pipeline.LoadPlan(spec, o.sets)
	if err != nil {
		return err
	}
	job, err := clusterJob(plan.Name, spec, o)
	if err != nil {
		return err
	}
	if err := job.Validate(); err != nil {
		return usageError{err.Error()}
	}
	tasks := make([]int, 0, o.shards)
	if o.resubmit {
		uncached, err := pipeline.Uncached(ctx, plan, job.CacheDir)
		if err != nil {
			return err
		}
		missing := map[int]int{}
		bounds := plan.ShardBounds(o.shards)
		for _, p := range uncached {
			missing[pipeline.ShardOf(bounds, p.Index)]++
		}
		for i := 0; i < o.shards; i++ {
			if missing[i] > 0 {
				tasks = append(tasks, i)
				fmt.Fprintf(stdout, "task %d: %s not cached\n", i, report.Count(missing[i], "point"))
			}
		}
		if len(tasks) == 0 {
			fmt.Fprintf(stdout, "every point is cached: nothing to resubmit; collect with\n  BOTPROF_CACHE=%s %s run %s --require-cached\n", job.CacheDir, job.Binary, job.Spec)
			return nil
		}
	} else {
		for i := 0; i < o.shards; i++ {
			tasks = append(tasks, i)
		}
	}
	if o.dryRun {
		array, collect, err := job.WriteScripts(tasks)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\nwrote %s\nsubmit with: sbatch --parsable %s, then sbatch --dependency=afterok:ID %s\n", array, collect, array, collect)
		return nil
	}
	s, err := job.Submit(tasks, cluster.ExecSbatch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "submitted array job %s (tasks %s of %d) and collect job %s (after the array succeeds)\n",
		s.ArrayJob, cluster.ArrayRange(tasks), o.shards, s.CollectJob)
	fmt.Fprintf(stdout, "scripts and logs: %s\nwatch: squeue -j %s,%s\nif tasks fail or are cancelled: botprof slurm %s --shards %d --resubmit\n",
		job.Dir, s.ArrayJob, s.CollectJob, spec, o.shards)
	return nil
}

// clusterJob fills a cluster.Job with absolute paths: the tasks run on
// other nodes from another working directory.
func clusterJob(experiment, spec string, o slurmOptions) (cluster.Job, error) {
	bin, err := os.Executable()
	if err != nil {
		return cluster.Job{}, err
	}
	dir := o.dir
	if dir == "" {
		dir = filepath.Join("slurm", experiment+"-"+time.Now().UTC().Format("20060102T150405Z"))
	}
	j := cluster.Job{Experiment: experiment, Binary: bin, Sets: o.sets, Shards: o.shards, Partition: o.partition,
		Time: o.limit, Account: o.account, Mem: o.mem, CPUsPerTask: o.cpus}
	for _, p := range []struct {
		dst *string
		src string
	}{{&j.Spec, spec}, {&j.CacheDir, o.cacheDir}, {&j.ResultsDir, o.results}, {&j.Dir, dir}} {
		if *p.dst, err = filepath.Abs(p.src); err != nil {
			return cluster.Job{}, err
		}
	}
	return j, nil
}

// runK8s writes a Kubernetes Indexed Job and a collect Job for a sweep.
func runK8s(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	k := cluster.K8sJob{}
	var sets setFlags
	var out string
	fs := flag.NewFlagSet("botprof k8s", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.IntVar(&k.Shards, "shards", 0, "completions of the Indexed Job; pod i computes shard i/N (required)")
	fs.IntVar(&k.Parallelism, "parallelism", 0, "pods at once (0: all shards)")
	fs.IntVar(&k.CPUs, "cpus-per-task", 1, "CPU request and --jobs of each pod")
	fs.StringVar(&k.Memory, "mem", "", "memory request of each pod, e.g. 2Gi")
	fs.StringVar(&k.Image, "image", "", "container image with botprof on its PATH (required)")
	fs.StringVar(&k.CachePVC, "cache-pvc", "", "PersistentVolumeClaim (ReadWriteMany) holding the stage cache and results (required)")
	fs.StringVar(&k.Mount, "mount", "/botprof", "where the claim is mounted in the pods: cache in MOUNT/cache, results in MOUNT/results")
	fs.StringVar(&k.Spec, "pod-spec", "", "the spec's path inside the pods (default MOUNT/SPEC as given)")
	fs.StringVar(&out, "out", "", "folder for the manifests (default k8s/EXPERIMENT)")
	fs.Var(&sets, "set", "override a spec key, passed to every pod (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: botprof k8s SPEC --shards N --image IMAGE --cache-pvc NAME [flags]\n\nflags:\n")
		printDefaults(fs)
	}
	spec, err := parseWithSpec(fs, args)
	if err != nil {
		return err
	}
	plan, err := pipeline.LoadPlan(spec, sets)
	if err != nil {
		return err
	}
	k.Experiment, k.Sets = plan.Name, sets
	if k.Spec == "" {
		k.Spec = filepath.ToSlash(filepath.Join(k.Mount, filepath.Clean(spec)))
	}
	if err := k.Validate(); err != nil {
		return usageError{err.Error()}
	}
	if out == "" {
		out = filepath.Join("k8s", plan.Name)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	shards, collect := filepath.Join(out, "shards.yaml"), filepath.Join(out, "collect.yaml")
	if err := os.WriteFile(shards, []byte(k.ShardsManifest()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(collect, []byte(k.CollectManifest()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\nrun:\n  kubectl apply -f %s\n  kubectl wait --for=condition=complete --timeout=24h job/%s\n  kubectl apply -f %s\n",
		shards, collect, shards, k.Name(), collect)
	return nil
}
