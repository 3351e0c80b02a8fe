package report

import (
	"botprof/runfolder"
	"botprof/stages/evaluate"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// ReferencePoint is one set of host scores computed outside botprof (a
// published table, or one seed of a re-run in another library).
type ReferencePoint struct {
	Name   string             // point name, e.g. "source=published" or "fit=204,model.seed=3"
	Params runfolder.Params   // sweep parameters, e.g. {"fit": "204", "model.seed": "3"}
	Seed   *uint64            // model seed, nil when not known
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

// WriteReference writes ref as a results folder in dir through runfolder:
// manifest.json, metrics.json and metrics.csv (auc_host, margin and
// tpr_at_fpr0 from the evaluate stage's statistics: infected hosts
// positive, normal negative, profile and insufficient hosts left out),
// scores.csv (only ref.Score's column filled; flows and windows unknown,
// empty) and points/<point>/roc_host.csv. The output is byte-stable.
func WriteReference(dir string, ref Reference) error {
	if !slices.Contains(runfolder.ScoreKinds, ref.Score) {
		return fmt.Errorf("reference %s: score kind %q is not a scores.csv column", ref.Experiment, ref.Score)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	m := runfolder.Manifest{Format: runfolder.FormatVersion, Experiment: ref.Experiment, RunID: filepath.Base(dir),
		Sweep: runfolder.Sweep{}, Data: runfolder.Data{Path: ref.DataPath, SHA256: ref.DataSHA256}}
	mf := runfolder.MetricsFile{Score: ref.Score}
	var rows []runfolder.ScoreRow
	for _, p := range ref.Points {
		for k, v := range p.Params {
			if !slices.Contains(m.Sweep[k], v) {
				m.Sweep[k] = append(m.Sweep[k], v)
			}
		}
		m.Points = append(m.Points, runfolder.ManifestPoint{Name: p.Name, Params: p.Params, Seed: p.Seed, Status: "ok"})
		var pos, neg []float64
		for _, h := range ref.Hosts {
			v, ok := p.Scores[h]
			if !ok {
				return fmt.Errorf("reference %s: point %s has no score for host %s", ref.Experiment, p.Name, h)
			}
			class, role := ref.Classes[h], "scored"
			if class == "profile" {
				class, role = "infected", "profile"
			}
			row := runfolder.ScoreRow{Point: p.Name, Params: p.Params, Host: h, Class: class, Role: role, Status: "ok"}
			if ref.Insufficient[h] {
				row.Status = "insufficient"
			} else {
				row.Scores.Set(ref.Score, v)
				switch ref.Classes[h] {
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
		auc, margin, tpr := evaluate.AUC(pos, neg), evaluate.Margin(pos, neg), evaluate.TPRAtFPR0(pos, neg)
		mf.Points = append(mf.Points, runfolder.MetricsPoint{Point: p.Name, Params: p.Params, Seed: p.Seed,
			Metrics: runfolder.Metrics{
				"auc_host": auc, "margin": margin, "tpr_at_fpr0": tpr,
				"auc_host." + ref.Score: auc, "margin." + ref.Score: margin, "tpr_at_fpr0." + ref.Score: tpr,
			}})
		var roc []runfolder.ROCPoint
		for _, q := range evaluate.ROC(pos, neg) {
			roc = append(roc, runfolder.ROCPoint{Threshold: q.Threshold, FPR: q.FPR, TPR: q.TPR})
		}
		pdir := filepath.Join(dir, "points", p.Name)
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return err
		}
		if err := runfolder.WriteROC(filepath.Join(pdir, "roc_host.csv"), map[string][]runfolder.ROCPoint{ref.Score: roc}); err != nil {
			return err
		}
	}
	for k, vs := range m.Sweep {
		slices.SortStableFunc(vs, compareValues)
		m.SweepOrder = append(m.SweepOrder, k)
	}
	slices.Sort(m.SweepOrder)
	if err := runfolder.WriteJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
		return err
	}
	if err := runfolder.WriteMetrics(dir, mf, m.SweepOrder); err != nil {
		return err
	}
	return runfolder.WriteScoreRows(dir, m.SweepOrder, rows)
}
