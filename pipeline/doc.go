// Package pipeline turns a YAML experiment spec into a results folder.
//
// It parses specs strictly (unknown keys, wrong types and impossible values
// are errors naming file, line and YAML path), expands sweep blocks into
// points, runs the stages load → filter → view → derive (when a feature
// names a derived column) → discretize → window → train → evaluate for
// every point on a worker pool with the content-addressed
// stage cache of package pipeline/cache, and writes the manifest, scores and
// metrics of a run. It sits between cmd/botprof (which only parses flags)
// and the stage packages under stages/.
//
// Every stage package has the same contract: Version, Params (with
// Validate), Input and Run(ctx, Input, Params) (*Result, error). params.go
// translates a spec point into every stage's Params once; the runner
// passes those values to Run and keys.go builds the cache keys from the
// same values. Files: plan.go/spec.go/validate.go (specs), params.go and
// keys.go (stage parameters and keys), runner.go (scheduling), once.go
// (shared stage outputs), stage_*.go (one per stage: run, cache
// read/write), sources.go and hosts.go (data sources, host names),
// explain.go, results.go/manifest.go/rundir.go (the results folder).
package pipeline
