// Command mkreference writes results/reference/notebook: the notebook's
// published scores and hmmlearn's per-seed re-runs (fitted on .204 as the
// code reads, and on .209 as the printed table was made) in botprof's
// results format, so that `botprof diff results/reference/notebook RUN
// --match none` compares a run with them (a run does not sweep fit or source).
//
//	go run ./report/cmd/mkreference -src ../shared/reference/notebook -out results/reference/notebook
package main
