package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

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
	m := buildManifest(runID, out)
	if err := writeJSONFile(filepath.Join(dir, "manifest.json"), m); err != nil {
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

func writeJSONFile(path string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
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
			points = append(points, runfolder.PointScores{Point: p.Point.Name, Params: p.Point.Params, Hosts: p.Out.Hosts})
		}
	}
	return runfolder.WriteScores(dir, axes, points)
}

func fmtFloat(v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// MetricsFile is metrics.json (owned by runfolder).
type MetricsFile = runfolder.MetricsFile

// MetricsPoint is one point's metrics.
type MetricsPoint = runfolder.MetricsPoint

func writeMetrics(dir string, out *Outcome) error {
	mf := MetricsFile{Score: out.Plan.Points[0].Spec.Evaluate.Score}
	var names []string
	seen := map[string]bool{}
	for _, p := range out.Points {
		if p.Out == nil {
			continue
		}
		mf.Points = append(mf.Points, MetricsPoint{Point: p.Point.Name, Params: p.Point.Params, Seed: p.Point.Spec.Model.Seed,
			Metrics: p.Out.Metrics, Train: p.Out.Train, Warnings: p.Out.Warnings})
		for k := range p.Out.Metrics {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	if err := writeJSONFile(filepath.Join(dir, "metrics.json"), mf); err != nil {
		return err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	var axes []string
	for _, ax := range out.Plan.Sweep {
		axes = append(axes, ax.Key)
	}
	header := append(append([]string{"point"}, axes...), names...)
	header = append(header, "train_loglik", "train_iterations", "train_converged")
	w.Write(header)
	for _, p := range mf.Points {
		row := []string{p.Point}
		for _, a := range axes {
			row = append(row, fmt.Sprint(p.Params[a]))
		}
		for _, n := range names {
			v := p.Metrics[n]
			row = append(row, fmtFloat(&v))
		}
		ll := p.Train.LogLik
		row = append(row, fmtFloat(&ll), strconv.Itoa(p.Train.Iterations), strconv.FormatBool(p.Train.Converged))
		w.Write(row)
	}
	w.Flush()
	return os.WriteFile(filepath.Join(dir, "metrics.csv"), b.Bytes(), 0o644)
}

func writePointFiles(dir string, o *PointOutput) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, raw := range map[string][]byte{"model.json": o.Model, "mapping.json": o.Mapping} {
		if err := writeRawJSON(filepath.Join(dir, name), raw); err != nil {
			return err
		}
	}
	if err := writeJSONFile(filepath.Join(dir, "convergence.json"), o.Train); err != nil {
		return err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"kind", "threshold", "fpr", "tpr"})
	for _, kind := range runfolder.ScoreKinds {
		for _, pt := range o.ROCHost[kind] {
			w.Write([]string{kind, fmtROC(pt.Threshold), fmtROC(pt.FPR), fmtROC(pt.TPR)})
		}
	}
	w.Flush()
	if err := os.WriteFile(filepath.Join(dir, "roc_host.csv"), b.Bytes(), 0o644); err != nil {
		return err
	}
	b.Reset()
	w = csv.NewWriter(&b)
	w.Write([]string{"threshold", "fpr", "tpr"})
	for _, pt := range o.ROCWindow {
		w.Write([]string{fmtROC(pt.Threshold), fmtROC(pt.FPR), fmtROC(pt.TPR)})
	}
	w.Flush()
	return os.WriteFile(filepath.Join(dir, "roc_window.csv"), b.Bytes(), 0o644)
}

// writeRawJSON writes JSON text in one layout whatever layout it came in
// (it may have been re-indented by a cache round trip).
func writeRawJSON(path string, raw []byte) error {
	var c, out bytes.Buffer
	if err := json.Compact(&c, raw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Indent(&out, c.Bytes(), "", " "); err != nil {
		return err
	}
	out.WriteByte('\n')
	return os.WriteFile(path, out.Bytes(), 0o644)
}

func fmtROC(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case math.IsNaN(v):
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
