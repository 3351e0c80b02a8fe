// Package cluster turns a sweep into work for a cluster scheduler: a Slurm
// job array with a dependent collect job, or a Kubernetes Indexed Job with a
// collect Job. It only writes scripts and manifests and, for Slurm, submits
// them with sbatch; the work itself is botprof's own `run --shard` (each task
// computes its points into the shared stage cache) and `run
// --require-cached` (the collect step reads every point back and writes the
// results folder).
//
// It sits beside the pipeline, not in it: the pipeline's point planner
// (pipeline.Shard, pipeline.CacheStatus) decides which points a task
// computes and which are missing; this package decides how tasks are
// described to the scheduler. The stage cache must be on a filesystem every
// node sees (NFS, Lustre, BeeGFS, a ReadWriteMany volume): its writes are
// atomic renames, so tasks racing on a shared stage are safe, and a
// pre-empted task loses at most the points it had not finished.
package cluster
