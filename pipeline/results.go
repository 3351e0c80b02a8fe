package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
	"botprof/runfolder"
)

// Version is botprof's version, recorded in every manifest.
const Version = "0.1.0"

// FormatVersion is the version of the results-folder layout.
const FormatVersion = 1

// Manifest is manifest.json: how a run was made.
type Manifest struct {
	Format         int                 `json:"format"`
	BotprofVersion string              `json:"botprof_version"`
	Experiment     string              `json:"experiment"`
	RunID          string              `json:"run_id"`
	SpecPath       string              `json:"spec_path"`
	Sets           []string            `json:"sets,omitempty"`
	SpecText       string              `json:"spec_text"`               // the spec file as written
	Spec           Spec                `json:"spec"`                    // as written plus --set, before the sweep
	NarrowedAxes   []string            `json:"narrowed_axes,omitempty"` // sweep axes --set replaced or added
	Sweep          map[string][]string `json:"sweep,omitempty"`
	SweepOrder     []string            `json:"sweep_order,omitempty"`
	Data           ManifestData        `json:"data"`
	Git            ManifestGit         `json:"git"`
	GoVersion      string              `json:"go_version"`
	Modules        map[string]string   `json:"modules"`
	Started        string              `json:"started"`
	WallSeconds    float64             `json:"wall_seconds"`
	Points         []ManifestPoint     `json:"points"`
	Load           any                 `json:"load,omitempty"`
}

// ManifestData identifies the input file.
type ManifestData struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// ManifestGit records the commit botprof was built from and whether its
// tree had uncommitted changes (see gitState).
type ManifestGit struct {
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty"`
}

// ManifestPoint is one point of the run.
type ManifestPoint struct {
	Name   string            `json:"name"`
	Params map[string]string `json:"params"`
	Spec   Spec              `json:"spec"` // the point's resolved parameters
	Seed   uint64            `json:"seed"`
	Status string            `json:"status"`
	Error  string            `json:"error,omitempty"`
	Stages []StageRecord     `json:"stages"`
}

// PartialSuffix ends the name of a results folder being written: a run is
// built in results/<experiment>/.<run-id>.partial/ and renamed to
// results/<experiment>/<run-id>/ by CommitRunDir once every file is
// written, so that a folder under its final name is always complete. A
// failed or killed run leaves the .partial folder, which readers list as
// partial and never as a run.
const PartialSuffix = ".partial"

// NewRunDir creates the folder a run's results are written into,
// results/<experiment>/.<run-id>.partial/, with a run id that sorts by time
// and is not used by another run, and returns it and the run id.
func NewRunDir(root, experiment string, now time.Time) (string, string, error) {
	if err := CheckExperimentName(experiment); err != nil {
		return "", "", err
	}
	base := filepath.Join(root, experiment)
	if rel, err := filepath.Rel(root, base); err != nil || rel != experiment {
		return "", "", fmt.Errorf("experiment %q: its results folder %s is not directly under %s", experiment, base, root)
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", "", err
	}
	id := now.UTC().Format("20060102T150405.000Z")
	for i := 1; ; i++ {
		runID := id
		if i > 1 {
			runID = fmt.Sprintf("%s-%d", id, i)
		}
		if _, err := os.Lstat(filepath.Join(base, runID)); err == nil {
			continue
		}
		dir := filepath.Join(base, "."+runID+PartialSuffix)
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, runID, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", "", err
		}
	}
}

// CommitRunDir gives a completely written run folder (from NewRunDir) its
// final name and returns it. The folder's files are flushed to disk first,
// so that a crash after the rename cannot leave a complete-looking folder
// with missing contents.
func CommitRunDir(partial string) (string, error) {
	name := filepath.Base(partial)
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, PartialSuffix) {
		return "", fmt.Errorf("%s is not a partial run folder", partial)
	}
	final := filepath.Join(filepath.Dir(partial), strings.TrimSuffix(name[1:], PartialSuffix))
	if err := filepath.WalkDir(partial, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return syncFile(path)
	}); err != nil {
		return "", err
	}
	if _, err := os.Lstat(final); err == nil {
		return "", fmt.Errorf("%s already exists", final)
	}
	if err := os.Rename(partial, final); err != nil {
		return "", err
	}
	return final, nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// WriteResults writes the run's files into dir (made by NewRunDir).
func WriteResults(dir, runID string, out *Outcome) error {
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

func buildManifest(runID string, out *Outcome) Manifest {
	plan := out.Plan
	m := Manifest{
		Format: FormatVersion, BotprofVersion: Version, Experiment: plan.Name, RunID: runID,
		SpecPath: plan.File, Sets: plan.Sets, SpecText: string(plan.Raw), Spec: plan.Base, NarrowedAxes: plan.Narrowed,
		Data:      ManifestData{Path: out.DataPath, SHA256: out.DataSHA},
		Git:       out.gitState(),
		GoVersion: runtime.Version(), Modules: modules(),
		Started: out.Started.UTC().Format(time.RFC3339Nano), WallSeconds: round3(out.Wall.Seconds()),
	}
	if out.Load != nil {
		m.Load = out.Load
	}
	if len(plan.Sweep) > 0 {
		m.Sweep = map[string][]string{}
		for _, ax := range plan.Sweep {
			m.Sweep[ax.Key] = ax.Values
			m.SweepOrder = append(m.SweepOrder, ax.Key)
		}
	}
	for _, p := range out.Points {
		mp := ManifestPoint{Name: p.Point.Name, Params: p.Point.Params, Spec: p.Point.Spec, Seed: p.Point.Spec.Model.Seed, Status: "ok", Stages: p.Stages}
		if mp.Params == nil {
			mp.Params = map[string]string{}
		}
		if p.Err != nil {
			mp.Status, mp.Error = "failed", p.Err.Error()
		}
		for i := range mp.Stages {
			mp.Stages[i].Seconds = round3(mp.Stages[i].Seconds)
		}
		m.Points = append(m.Points, mp)
	}
	return m
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func (o *Outcome) gitState() ManifestGit {
	if o.git == nil {
		return gitState()
	}
	return o.git()
}

// gitState is the commit botprof was built from: Go's VCS stamp in the
// binary (go build in a git checkout), or, for a binary without one (go run,
// go test), the git state of the working directory, which costs two git
// processes (Execute starts them early, in the background).
func gitState() ManifestGit {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if g, stamped := vcsStamp(bi.Settings); stamped {
			return g
		}
	}
	g := ManifestGit{Commit: "unknown"}
	if b, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		g.Commit = strings.TrimSpace(string(b))
		if s, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
			g.Dirty = len(bytes.TrimSpace(s)) > 0
		}
	}
	return g
}

// vcsStamp reads the commit and the dirty flag from Go's build settings; it
// reports whether the binary was stamped.
func vcsStamp(settings []debug.BuildSetting) (g ManifestGit, stamped bool) {
	for _, st := range settings {
		switch st.Key {
		case "vcs.revision":
			g.Commit, stamped = st.Value, true
		case "vcs.modified":
			g.Dirty = st.Value == "true"
		}
	}
	return g, stamped
}

func modules() map[string]string {
	out := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			out[d.Path] = d.Version
		}
	}
	return out
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

// ScoreColumns is the header of scores.csv.
var ScoreColumns = []string{"point", "host", "class", "status", "flows", "windows", "viterbi", "loglik", "loglik_per_window"}

func fmtFloat(v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func writeScores(dir string, out *Outcome) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(ScoreColumns)
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "point", Type: arrow.BinaryTypes.String},
		{Name: "host", Type: arrow.BinaryTypes.String},
		{Name: "class", Type: arrow.BinaryTypes.String},
		{Name: "status", Type: arrow.BinaryTypes.String},
		{Name: "flows", Type: arrow.PrimitiveTypes.Int64},
		{Name: "windows", Type: arrow.PrimitiveTypes.Int64},
		{Name: "viterbi", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "loglik", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "loglik_per_window", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
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
			w.Write([]string{p.Point.Name, h.Host, h.Class, h.Status, strconv.Itoa(h.Flows), strconv.Itoa(h.Windows),
				fmtFloat(h.Viterbi), fmtFloat(h.LogLik), fmtFloat(h.LogLikPerWindow)})
			rb.Field(0).(*array.StringBuilder).Append(p.Point.Name)
			rb.Field(1).(*array.StringBuilder).Append(h.Host)
			rb.Field(2).(*array.StringBuilder).Append(h.Class)
			rb.Field(3).(*array.StringBuilder).Append(h.Status)
			rb.Field(4).(*array.Int64Builder).Append(int64(h.Flows))
			rb.Field(5).(*array.Int64Builder).Append(int64(h.Windows))
			addF(6, h.Viterbi)
			addF(7, h.LogLik)
			addF(8, h.LogLikPerWindow)
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
		params := map[string]any{}
		for k, v := range p.Point.Params {
			params[k] = v
		}
		mf.Points = append(mf.Points, MetricsPoint{Point: p.Point.Name, Params: params, Seed: p.Point.Spec.Model.Seed,
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
