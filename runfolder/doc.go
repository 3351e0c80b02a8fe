// Package runfolder holds the conventions of botprof's results folder
// (results/<experiment>/<run-id>/) that its writer (pipeline) and its
// readers (report: summary, figures, diff, show, ls) must share so that
// they cannot drift apart: the encoding of numbers in its JSON files
// (Float), metrics.json (Metrics), convergence.json (TrainSummary) and a
// point's host scores (HostScore).
package runfolder
