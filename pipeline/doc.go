// Package pipeline turns a YAML experiment spec into a results folder.
//
// It parses specs strictly (unknown keys, wrong types and impossible values
// are errors naming file, line and YAML path), expands sweep blocks into
// points, runs the stages load → filter → view → discretize → window →
// train → evaluate for every point on a worker pool with the content-addressed
// stage cache of package pipeline/cache, and writes the manifest, scores and
// metrics of a run. It sits between cmd/botprof (which only parses flags)
// and the stage packages under stages/.
package pipeline
