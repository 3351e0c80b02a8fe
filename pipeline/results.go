package pipeline

import (
	"io"
	"os"
	"path/filepath"

	"botprof/runfolder"
)

// Version is botprof's version, recorded in every manifest.
const Version = "0.1.0"

// WriteResults writes the run's files into dir (made by NewRunDir); the
// point files only if Execute did not write them there already
// (Options.ResultsDir).
func WriteResults(dir, runID string, out *Outcome) error {
	if out.pointErr != nil {
		return out.pointErr
	}
	m, err := buildManifest(runID, out)
	if err != nil {
		return err
	}
	if err := runfolder.WriteJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
		return err
	}
	if err := writeScores(dir, out); err != nil {
		return err
	}
	if err := writeMetrics(dir, out); err != nil {
		return err
	}
	if out.pointFiles == dir {
		return nil
	}
	for _, p := range out.Points {
		if p.Out == nil {
			continue
		}
		if err := writePointFiles(filepath.Join(dir, "points", p.Point.Name), p.Out); err != nil {
			return err
		}
	}
	return nil
}

// writeScores writes scores.csv and scores.parquet (runfolder.WriteScores).
func writeScores(dir string, out *Outcome) error {
	axes := make([]runfolder.Axis, len(out.Plan.Sweep))
	for i, ax := range out.Plan.Sweep {
		axes[i] = runfolder.Axis{Key: ax.Key, Values: ax.Values}
	}
	var points []runfolder.PointScores
	for _, p := range out.Points {
		if p.Out != nil {
			points = append(points, runfolder.PointScores{Point: p.Point.Name, Params: out.Plan.Point(p.Point.Index).Params, Hosts: p.Out.Hosts})
		}
	}
	return runfolder.WriteScores(dir, axes, points)
}

// writeMetrics writes metrics.json and metrics.csv (runfolder.WriteMetrics).
func writeMetrics(dir string, out *Outcome) error {
	mf := runfolder.MetricsFile{Score: out.Plan.Point(0).Spec.Evaluate.Score}
	for _, p := range out.Points {
		if p.Out != nil {
			pt := out.Plan.Point(p.Point.Index)
			mf.Points = append(mf.Points, runfolder.MetricsPoint{Point: p.Point.Name, Params: pt.Params, Seed: &pt.Spec.Model.Seed,
				Metrics: p.Out.Metrics, Train: &p.Out.Train, Warnings: p.Out.Warnings})
		}
	}
	var axes []string
	for _, ax := range out.Plan.Sweep {
		axes = append(axes, ax.Key)
	}
	return runfolder.WriteMetrics(dir, mf, axes)
}

// writePointFiles writes points/<point>/: runfolder.WritePointFiles for a
// point computed in this run, a copy of the encoded files of its cache
// entry for a cached point.
func writePointFiles(dir string, o *PointOutput) error {
	if o.files == nil {
		return runfolder.WritePointFiles(dir, *o.pointFiles())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range runfolder.PointFileNames {
		if err := copyFile(filepath.Join(dir, name), o.files.Path(name)); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies src to a new file dst (mode 0644).
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
