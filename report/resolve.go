package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Resolve turns a run reference into a results folder. A reference is
//
//	a path to a results folder   results/sweep/20261127T051502.123Z
//	latest                       the newest complete run under root
//	EXPERIMENT                   its newest complete run (root/EXPERIMENT/)
//	EXPERIMENT~N                 the run N before that (EXPERIMENT~1: the previous one)
//	RUN-ID PREFIX                the one run under root whose id starts so (20261127T05)
//
// "Complete" runs are those ls lists as complete or failed (a failed point
// is part of a finished run); partial and unreadable folders are never
// chosen. Runs are ordered by start time.
//
// An error about ref itself (it names no finished run) is a *RefError.
func Resolve(root, ref string) (string, error) {
	dir, err := resolve(root, ref)
	var re readError
	switch {
	case errors.As(err, &re):
		return "", re.err
	case err != nil:
		return "", &RefError{Ref: ref, Msg: err.Error()}
	}
	return dir, nil
}

// readError is resolve's error reading the results root.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }

// RefError is Resolve's error for a reference that names no finished run
// (a usage error of show and diff), as opposed to a results root it could
// not read.
type RefError struct {
	Ref string
	Msg string
}

func (e *RefError) Error() string { return e.Msg }

func resolve(root, ref string) (string, error) {
	if st, err := os.Stat(filepath.Join(ref, "manifest.json")); err == nil && !st.IsDir() {
		return ref, nil
	}
	if st, err := os.Stat(ref); err == nil && st.IsDir() && isPartial(filepath.Clean(ref)) {
		// One stopped before its manifest was written; Load refuses the others.
		return "", fmt.Errorf("%s is a partial results folder: its run stopped or failed before its results were complete", ref)
	}
	runs, err := Runs(root)
	if err != nil && ref != "" {
		if os.IsNotExist(err) {
			return "", fmt.Errorf("%q is not a results folder, and there is no results root %s to look it up in", ref, root)
		}
		return "", readError{err}
	}
	var done []RunInfo // oldest first, as Runs sorts
	for _, r := range runs {
		if r.Status == "complete" || strings.HasPrefix(r.Status, "failed") {
			done = append(done, r)
		}
	}
	path := func(r RunInfo) string { return filepath.Join(root, filepath.FromSlash(r.Path)) }
	if ref == "latest" {
		if len(done) == 0 {
			return "", fmt.Errorf("latest: no finished run under %s", root)
		}
		return path(done[len(done)-1]), nil
	}
	exp, back := ref, 0
	if i := strings.LastIndex(ref, "~"); i > 0 {
		n, err := strconv.Atoi(ref[i+1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("%q: want EXPERIMENT~N with N a non-negative integer", ref)
		}
		exp, back = ref[:i], n
	}
	var ofExp []RunInfo
	for _, r := range done {
		if r.Experiment == exp && strings.HasPrefix(r.Path, exp+"/") {
			ofExp = append(ofExp, r)
		}
	}
	if len(ofExp) > 0 {
		if back >= len(ofExp) {
			return "", fmt.Errorf("%s: experiment %s has %d finished runs under %s", ref, exp, len(ofExp), root)
		}
		return path(ofExp[len(ofExp)-1-back]), nil
	}
	if back > 0 || ref == "" {
		return "", fmt.Errorf("%q: no finished run of experiment %q under %s", ref, exp, root)
	}
	var matches []string
	for _, r := range done {
		if strings.HasPrefix(filepath.Base(filepath.FromSlash(r.Path)), ref) {
			matches = append(matches, r.Path)
		}
	}
	switch len(matches) {
	case 1:
		return filepath.Join(root, filepath.FromSlash(matches[0])), nil
	case 0:
		return "", fmt.Errorf("%q is not a results folder, an experiment with runs under %s, latest, or the start of a run id", ref, root)
	}
	return "", fmt.Errorf("run id prefix %q is ambiguous under %s: %s", ref, root, strings.Join(matches, ", "))
}
