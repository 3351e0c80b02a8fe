// Package report reads results folders and turns them into what a
// researcher reads: summary.md, figures (SVG and PNG), a statistical diff of
// two runs, one run's summary (show) and a list of runs (ls).
//
// It sits after the pipeline (load → filter → discretize → window → train →
// evaluate → results folder) and reads only the on-disk results format
// described in docs/architecture.md ("Results folder"): manifest.json,
// metrics.json, scores.csv and points/<point>/{roc_host.csv, roc_window.csv,
// convergence.json}. It never imports the pipeline's Go types, so it can read
// folders written by older botprof versions and hand-made reference folders
// (results/reference/notebook, made by WriteReference).
//
// Statistics follow benchstat: over the seeds of a sweep point a metric is
// summarised by its median and a distribution-free 95 % confidence interval
// (order statistics), and two runs are compared with a Mann–Whitney U test;
// a change that is not significant is shown as "~". Too few seeds are said
// in words, as benchstat does ("need >= 6 samples for a confidence interval
// at level 0.95", "need >= 4 samples to detect a difference at alpha level
// 0.05"), and no ±Inf or NaN is printed: a zero-probability host's -Inf
// score is ranked by the test, but a median, bound or change that is not
// finite is said in words (text, markdown), empty (CSV) or null (JSON).
//
// Pairing the points of two runs (Diff, Compare). A point is a sweep
// configuration: its parameters minus the seed (model.seed), e.g.
// "model.states=4 window.size=10"; its seeds are the samples. By default
// points pair by that name, which needs both runs to sweep the same
// parameters; points of one run that the other lacks are noted. When the
// runs sweep different parameters (one unswept, or other axes), or no
// point pairs with any of the other's, pairing by name would be ambiguous
// or silently compare the wrong configurations, so Compare returns an
// *OptionError that names the keys to pair on: --match KEY[,KEY] pairs the
// points that agree on those keys (a run that does not sweep a key has its
// spec value), --match none pairs every point of A with every point of B.
//
// Rows and multiple comparisons. --metric keeps rows (a run-level metric,
// a score kind's host rows, or KIND[HOST]), --filter KEY=VALUE keeps points
// (all filters hold). --correct holm|bh adjusts the p-values of every row
// tested (after --metric and --filter): Holm's step-down controls the
// family-wise error rate, Benjamini–Hochberg's step-up the false discovery
// rate; the header of every format states the correction ("none"
// included), and significance, the summary line and --fail-if use the
// adjusted p-value.
package report
