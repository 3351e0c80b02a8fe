// Package runfolder holds the conventions of botprof's results folder
// (results/<experiment>/<run-id>/) that its writer (pipeline) and its
// readers (report: summary, figures, diff, show, ls) must share so that
// they cannot drift apart. Today that is the encoding of numbers in its
// JSON files; see Float.
package runfolder
