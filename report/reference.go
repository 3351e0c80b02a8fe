package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// ReferencePoint is one set of host scores computed outside botprof (a
// published table, or one seed of a re-run in another library).
type ReferencePoint struct {
	Name   string             // point name, e.g. "source=published" or "fit=204,model.seed=3"
	Params map[string]any     // sweep parameters, e.g. {"fit": "204", "model.seed": 3}
	Seed   any                // model seed, nil when not known
	Scores map[string]float64 // host → score
}

// Reference describes a results folder made from scores computed outside
// botprof, so that `botprof diff` can compare a run with them.
type Reference struct {
	Experiment   string
	Score        string            // score kind the numbers are, e.g. "viterbi"
	Classes      map[string]string // host → "normal" | "infected" | "profile"
	Hosts        []string          // output order
	Insufficient map[string]bool   // hosts whose number is a placeholder, not a score
	DataPath     string
	DataSHA256   string // sha256 of the decompressed data the scores were computed on
	Points       []ReferencePoint
}

// WriteReference writes ref as a results folder in dir: manifest.json,
// metrics.json (auc_host, margin and tpr_at_fpr0 computed from the scores:
// infected hosts positive, normal negative, profile and insufficient hosts
// left out), scores.csv (only ref.Score's column filled) and
// points/<point>/roc_host.csv. The output is byte-stable.
func WriteReference(dir string, ref Reference) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sweep := map[string][]any{}
	var mpoints []map[string]any
	var metrics []map[string]any
	rows := [][]string{{"point", "host", "class", "status", "flows", "windows", "viterbi", "loglik", "loglik_per_window"}}
	col := map[string]int{"viterbi": 6, "loglik": 7, "loglik_per_window": 8}[ref.Score]
	if col == 0 {
		return fmt.Errorf("reference %s: score kind %q is not a scores.csv column", ref.Experiment, ref.Score)
	}
	for _, p := range ref.Points {
		for k, v := range p.Params {
			if !containsValue(sweep[k], v) {
				sweep[k] = append(sweep[k], v)
			}
		}
		mpoints = append(mpoints, map[string]any{"name": p.Name, "params": p.Params, "seed": p.Seed, "status": "ok"})
		var pos, neg []float64
		for _, h := range ref.Hosts {
			v, ok := p.Scores[h]
			if !ok {
				return fmt.Errorf("reference %s: point %s has no score for host %s", ref.Experiment, p.Name, h)
			}
			class := ref.Classes[h]
			row := []string{p.Name, h, class, "ok", "", "", "", "", ""}
			if ref.Insufficient[h] {
				row[3] = "insufficient"
			} else {
				row[col] = strconv.FormatFloat(v, 'g', -1, 64)
				switch class {
				case "infected":
					pos = append(pos, v)
				case "normal":
					neg = append(neg, v)
				}
			}
			rows = append(rows, row)
		}
		if len(pos) == 0 || len(neg) == 0 {
			return fmt.Errorf("reference %s: point %s needs scored normal and infected hosts", ref.Experiment, p.Name)
		}
		roc := hostROC(pos, neg)
		auc, margin, tpr := rocAUC(roc), minOf(pos)-maxOf(neg), tprAtFPR0(roc)
		metrics = append(metrics, map[string]any{"point": p.Name, "params": p.Params, "seed": p.Seed,
			"metrics": map[string]float64{
				"auc_host": auc, "margin": margin, "tpr_at_fpr0": tpr,
				"auc_host." + ref.Score: auc, "margin." + ref.Score: margin, "tpr_at_fpr0." + ref.Score: tpr,
			}})
		if err := writeROC(filepath.Join(dir, "points", p.Name, "roc_host.csv"), ref.Score, roc); err != nil {
			return err
		}
	}
	for k := range sweep {
		vs := sweep[k]
		sort.SliceStable(vs, func(i, j int) bool { return compareValues(valueString(vs[i]), valueString(vs[j])) < 0 })
	}
	manifest := map[string]any{"format": 1, "experiment": ref.Experiment, "run_id": filepath.Base(dir),
		"sweep": sweep, "data": map[string]string{"path": ref.DataPath, "sha256": ref.DataSHA256}, "points": mpoints}
	if err := writeJSONFile(filepath.Join(dir, "manifest.json"), manifest); err != nil {
		return err
	}
	if err := writeJSONFile(filepath.Join(dir, "metrics.json"), map[string]any{"score": ref.Score, "points": metrics}); err != nil {
		return err
	}
	return writeCSVFile(filepath.Join(dir, "scores.csv"), rows)
}

func containsValue(vs []any, v any) bool {
	for _, x := range vs {
		if valueString(x) == valueString(v) {
			return true
		}
	}
	return false
}

// rocPoint is (threshold, fpr, tpr): the rates of hosts scoring ≥ threshold.
type rocPoint struct{ T, FPR, TPR float64 }

// hostROC returns the ROC curve from (+Inf, 0, 0) through every distinct score, highest first.
func hostROC(pos, neg []float64) []rocPoint {
	ts := append(append([]float64(nil), pos...), neg...)
	sort.Sort(sort.Reverse(sort.Float64Slice(ts)))
	roc := []rocPoint{{math.Inf(1), 0, 0}}
	for i, t := range ts {
		if i > 0 && t == ts[i-1] {
			continue
		}
		roc = append(roc, rocPoint{t, fracAtLeast(neg, t), fracAtLeast(pos, t)})
	}
	return roc
}

func fracAtLeast(xs []float64, t float64) float64 {
	n := 0
	for _, x := range xs {
		if x >= t {
			n++
		}
	}
	return float64(n) / float64(len(xs))
}

// rocAUC is the trapezoidal area under the curve (ties count ½).
func rocAUC(roc []rocPoint) float64 {
	a := 0.0
	for i := 1; i < len(roc); i++ {
		a += (roc[i].FPR - roc[i-1].FPR) * (roc[i].TPR + roc[i-1].TPR) / 2
	}
	return a
}

func tprAtFPR0(roc []rocPoint) float64 {
	best := 0.0
	for _, p := range roc {
		if p.FPR == 0 && p.TPR > best {
			best = p.TPR
		}
	}
	return best
}

func minOf(xs []float64) float64 { return Quantile(xs, 0) }
func maxOf(xs []float64) float64 { return Quantile(xs, 1) }

func writeROC(path, kind string, roc []rocPoint) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	rows := [][]string{{"kind", "threshold", "fpr", "tpr"}}
	for _, p := range roc {
		rows = append(rows, []string{kind, strconv.FormatFloat(p.T, 'g', -1, 64), strconv.FormatFloat(p.FPR, 'g', -1, 64), strconv.FormatFloat(p.TPR, 'g', -1, 64)})
	}
	return writeCSVFile(path, rows)
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

func writeCSVFile(path string, rows [][]string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	w := csv.NewWriter(f)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// writeFileAtomic writes b to path through a temporary file and a rename.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
