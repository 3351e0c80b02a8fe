package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
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

// ScoreColumns is the header of scores.csv after the point and sweep-axis
// columns.
var ScoreColumns = []string{"host", "class", "role", "status", "flows", "windows", "viterbi", "loglik", "loglik_per_window"}

func fmtFloat(v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// axisType is the Arrow type of a sweep axis's column in scores.parquet:
// int64 when every value is an integer, float64 when every value is a
// number, boolean when every value is true or false, else utf8.
func axisType(values []string) arrow.DataType {
	all := func(ok func(string) bool) bool {
		for _, v := range values {
			if !ok(v) {
				return false
			}
		}
		return true
	}
	switch {
	case all(func(v string) bool { _, err := strconv.ParseInt(v, 10, 64); return err == nil }):
		return arrow.PrimitiveTypes.Int64
	case all(func(v string) bool { _, err := strconv.ParseFloat(v, 64); return err == nil }):
		return arrow.PrimitiveTypes.Float64
	case all(func(v string) bool { return v == "true" || v == "false" }):
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String
}

// appendAxis appends a sweep value to its typed column.
func appendAxis(b array.Builder, v string) {
	switch b := b.(type) {
	case *array.Int64Builder:
		x, _ := strconv.ParseInt(v, 10, 64)
		b.Append(x)
	case *array.Float64Builder:
		x, _ := strconv.ParseFloat(v, 64)
		b.Append(x)
	case *array.BooleanBuilder:
		b.Append(v == "true")
	case *array.StringBuilder:
		b.Append(v)
	}
}

// scoreRole splits the evaluate stage's class "profile": the profiled host
// is an infected host whose role is profile (the others' role is scored).
func scoreRole(class string) (string, string) {
	if class == "profile" {
		return "infected", "profile"
	}
	return class, "scored"
}

func writeScores(dir string, out *Outcome) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	fields := []arrow.Field{{Name: "point", Type: arrow.BinaryTypes.String}}
	header := []string{"point"}
	for _, ax := range out.Plan.Sweep {
		fields = append(fields, arrow.Field{Name: ax.Key, Type: axisType(ax.Values)})
		header = append(header, ax.Key)
	}
	header = append(header, ScoreColumns...)
	w.Write(header)
	nax := len(out.Plan.Sweep)
	fields = append(fields,
		arrow.Field{Name: "host", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "class", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "role", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "status", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "flows", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "windows", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "viterbi", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		arrow.Field{Name: "loglik", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		arrow.Field{Name: "loglik_per_window", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	)
	mem := memory.NewGoAllocator()
	rb := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer rb.Release()
	addF := func(i int, v *float64) {
		fb := rb.Field(i).(*array.Float64Builder)
		if v == nil || math.IsNaN(*v) {
			fb.AppendNull()
		} else {
			fb.Append(*v)
		}
	}
	for _, p := range out.Points {
		if p.Out == nil {
			continue
		}
		for _, h := range p.Out.Hosts {
			class, role := scoreRole(h.Class)
			row := []string{p.Point.Name}
			rb.Field(0).(*array.StringBuilder).Append(p.Point.Name)
			for i, ax := range out.Plan.Sweep {
				v := p.Point.Params[ax.Key]
				row = append(row, v)
				appendAxis(rb.Field(1+i), v)
			}
			w.Write(append(row, h.Host, class, role, h.Status, strconv.Itoa(h.Flows), strconv.Itoa(h.Windows),
				fmtFloat(h.Viterbi), fmtFloat(h.LogLik), fmtFloat(h.LogLikPerWindow)))
			k := 1 + nax
			rb.Field(k).(*array.StringBuilder).Append(h.Host)
			rb.Field(k + 1).(*array.StringBuilder).Append(class)
			rb.Field(k + 2).(*array.StringBuilder).Append(role)
			rb.Field(k + 3).(*array.StringBuilder).Append(h.Status)
			rb.Field(k + 4).(*array.Int64Builder).Append(int64(h.Flows))
			rb.Field(k + 5).(*array.Int64Builder).Append(int64(h.Windows))
			addF(k+6, h.Viterbi)
			addF(k+7, h.LogLik)
			addF(k+8, h.LogLikPerWindow)
		}
	}
	w.Flush()
	if err := os.WriteFile(filepath.Join(dir, "scores.csv"), b.Bytes(), 0o644); err != nil {
		return err
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(filepath.Join(dir, "scores.parquet"))
	if err != nil {
		return err
	}
	// WriteParquet closes a sink that is an io.Closer; keep the file's close here.
	if err := cache.WriteParquet(struct{ io.Writer }{f}, rec); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
	for _, kind := range ScoreKinds {
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
