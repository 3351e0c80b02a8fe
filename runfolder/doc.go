// Package runfolder owns botprof's results folder
// (results/<experiment>/<run-id>/): its types, how every file is written
// and how it is read back. pipeline writes a run through it (WriteJSON
// for manifest.json, WriteScores, WriteMetrics, WritePointFiles); report
// (summary, figures, diff, show, ls) reads through it (Read, ReadROC,
// ReadJSON). No other package declares these formats.
//
//	manifest.json        Manifest: spec, sweep, data, git, per point its
//	                     params, resolved spec, status and stage records
//	scores.csv/.parquet  a row per point and host (WriteScores, ReadScores)
//	metrics.json/.csv    MetricsFile: per point its metrics and fit summary
//	points/<point>/      model.json, mapping.json, convergence.json
//	                     (TrainSummary), roc_host.csv, roc_window.csv
//
// Numbers: an undefined value (NaN) is JSON null and an empty CSV field;
// ±Inf is "inf"/"-inf" in JSON (Float) and ROC files, "+Inf"/"-Inf" in
// scores.csv, and a host whose score is -Inf has the status
// zero_probability. Readers accept folders of format 1 (sweep values as
// JSON numbers, the profiled host as class "profile").
package runfolder
