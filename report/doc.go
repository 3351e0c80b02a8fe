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
// a change that is not significant is shown as "~".
package report
