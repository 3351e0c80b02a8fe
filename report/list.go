package report

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// RunInfo is one line of List.
type RunInfo struct {
	Path       string // relative to the listed root
	Experiment string
	Started    string
	Points     int
	Best       string  // config of the best point, by median auc_host
	BestAUC    float64 // its median BestMetric; NaN when no point has one
	BestMetric string  // the metric that ranks the run's points (evaluate.select)
	HasBest    bool
	// Status is "complete", "failed (k of n points)", "partial" (a
	// .partial folder: its run died or failed while writing results) or
	// "unreadable: reason". Only complete and failed folders are runs.
	Status string
	Sets   []string // the run's --set overrides
}

// Runs finds the results folders (directories with a manifest.json) under
// root, sorted by start time, then path. It does not descend into a run.
func Runs(root string) ([]RunInfo, error) {
	var out []RunInfo
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, path)
		if err != nil {
			if path == root {
				return err
			}
			// A folder that cannot be read (another user's, gone while
			// listed) must not hide every other run either.
			out = append(out, RunInfo{Path: filepath.ToSlash(rel), Status: "unreadable: " + err.Error()})
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if isPartial(path) {
			out = append(out, RunInfo{Path: filepath.ToSlash(rel), Experiment: filepath.Base(filepath.Dir(path)), Status: "partial"})
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "manifest.json")); err != nil {
			return nil
		}
		r, err := Load(path)
		if err != nil {
			// One damaged folder must not hide every other run.
			out = append(out, RunInfo{Path: filepath.ToSlash(rel), Status: "unreadable: " + err.Error()})
			return filepath.SkipDir
		}
		info := RunInfo{Path: filepath.ToSlash(rel), Experiment: r.Manifest.Experiment, Started: r.Manifest.Started, Points: len(r.Points), Status: "complete", Sets: r.Manifest.Sets}
		if _, failed := r.groups(); len(failed) > 0 {
			info.Status = fmt.Sprintf("failed (%d of %d points)", len(failed), len(r.Points))
		}
		gs, _ := r.groups()
		sel := r.selectMetric()
		if ranked := rankGroups(gs, sel); len(ranked) > 0 && len(ranked[0].values(sel)) > 0 {
			g := ranked[0]
			info.Best, info.BestAUC, info.BestMetric, info.HasBest = g.Config.String(), Median(g.values(sel)), sel, true
		}
		out = append(out, info)
		return filepath.SkipDir
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Started != out[j].Started {
			return out[i].Started < out[j].Started
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// List writes the runs under root as an aligned table: run folder,
// experiment, start time, number of points and the best median auc_host
// with its point.
func List(root string, w io.Writer) error {
	return ListExperiment(root, "", w)
}

// ListExperiment is List restricted to one experiment ("" lists all).
func ListExperiment(root, experiment string, w io.Writer) error {
	all, err := Runs(root)
	if err != nil {
		return err
	}
	var runs []RunInfo
	for _, r := range all {
		if experiment == "" || r.Experiment == experiment {
			runs = append(runs, r)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "run\texperiment\tstarted\tpoints\tstatus\tbest (median)\tbest point\toverrides")
	for _, r := range runs {
		auc, best := "—", "—"
		if r.HasBest {
			auc, best = r.BestMetric+" "+fmtNum(r.BestAUC), r.Best
		}
		sets := "—"
		if len(r.Sets) > 0 {
			sets = "--set " + strings.Join(r.Sets, " --set ")
		}
		// A partial or unreadable folder's points are not known: not 0.
		points := "—"
		if r.Status != "partial" && !strings.HasPrefix(r.Status, "unreadable") {
			points = strconv.Itoa(r.Points)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Path, orDash(r.Experiment), orDash(startedSeconds(r.Started)), points, r.Status, auc, best, sets)
	}
	return tw.Flush()
}

// isPartial reports whether dir is a results folder still (or forever)
// being written: .<run-id>.partial (see pipeline.CommitRunDir).
func isPartial(dir string) bool {
	b := filepath.Base(dir)
	return strings.HasPrefix(b, ".") && strings.HasSuffix(b, ".partial")
}

// startedSeconds shows a manifest's RFC 3339 start time to the second, in UTC.
func startedSeconds(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
