package pipeline

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"botprof/runfolder"
	"botprof/stages/evaluate"
)

// Reproduction compares one point's host scores with a reference run's.
type Reproduction struct {
	Reference      string            `json:"reference"`
	ReferencePoint string            `json:"reference_point"`
	Point          string            `json:"point"`
	Score          string            `json:"score"`
	Hosts          []ReproducedHost  `json:"hosts"`
	Spearman       runfolder.Float   `json:"spearman"`
	InfectedAbove  bool              `json:"every_infected_above_every_normal"`
	Within         map[string]int    `json:"within"` // "0.6%" -> hosts
	Compared       int               `json:"compared"`
	MaxAbsRelDiff  runfolder.Float   `json:"max_abs_rel_diff"`
	Notes          []string          `json:"notes,omitempty"`
	Params         map[string]string `json:"params,omitempty"`
}

// ReproducedHost is one host's published and reproduced score.
type ReproducedHost struct {
	Host      string          `json:"host"`
	Class     string          `json:"class"`
	Reference runfolder.Float `json:"reference"`
	Botprof   runfolder.Float `json:"botprof"`
	Ratio     runfolder.Float `json:"ratio"`
	RelDiff   runfolder.Float `json:"rel_diff"`
	Status    string          `json:"status"`
}

// Reproduce compares the first successful point of out with the reference
// folder named by the spec.
func Reproduce(out *Outcome) (*Reproduction, error) {
	pr, po := out.firstOutput()
	if pr == nil {
		return nil, fmt.Errorf("reproduction: no point finished")
	}
	pt := out.Plan.Point(pr.Point.Index)
	ref := pt.Spec.Reference
	refDir := referenceDir(out.Plan.File, ref.Path)
	scores, order, err := runfolder.ReadScores(filepath.Join(refDir, "scores.csv"))
	if err != nil {
		return nil, fmt.Errorf("reference.path: %w", err)
	}
	point := ref.Point
	if point == "" {
		point = order[0]
	}
	refRows := map[string]runfolder.ScoreRow{}
	for _, r := range scores[point] {
		refRows[r.Host] = r
	}
	if _, ok := scores[point]; !ok {
		return nil, fmt.Errorf("reference.point: %s has no point %q (it has %v)", refDir, point, order)
	}
	kind := ref.Score
	if kind == "" {
		kind = pt.Spec.Evaluate.Score
	}
	rep := &Reproduction{Reference: ref.Path, ReferencePoint: point, Point: pt.Name, Score: kind,
		Within: map[string]int{"0.02%": 0, "0.5%": 0, "0.6%": 0, "1%": 0}, Params: pt.Params}
	var xs, ys []float64
	minInf, maxNorm := math.Inf(1), math.Inf(-1)
	maxRel := 0.0
	for _, h := range po.Hosts {
		rh := ReproducedHost{Host: h.Host, Class: h.Class, Status: h.Status,
			Reference: runfolder.Float(math.NaN()), Botprof: runfolder.Float(math.NaN()), Ratio: runfolder.Float(math.NaN()), RelDiff: runfolder.Float(math.NaN())}
		if v := h.Score(kind); v != nil {
			rh.Botprof = runfolder.Float(*v)
			// The profiled host is infected too.
			if h.Class == "normal" {
				maxNorm = math.Max(maxNorm, *v)
			} else {
				minInf = math.Min(minInf, *v)
			}
		}
		if v, ok := refRows[h.Host].Scores.Get(kind); ok {
			rh.Reference = runfolder.Float(v)
		}
		b, a := float64(rh.Botprof), float64(rh.Reference)
		if !math.IsNaN(a) && !math.IsNaN(b) {
			rh.Ratio = runfolder.Float(b / a)
			rel := (b - a) / math.Abs(a)
			rh.RelDiff = runfolder.Float(rel)
			rep.Compared++
			xs, ys = append(xs, a), append(ys, b)
			maxRel = math.Max(maxRel, math.Abs(rel))
			for _, t := range []struct {
				name string
				tol  float64
			}{{"0.02%", 2e-4}, {"0.5%", 5e-3}, {"0.6%", 6e-3}, {"1%", 1e-2}} {
				if math.Abs(rel) <= t.tol {
					rep.Within[t.name]++
				}
			}
		} else if h.Status != "ok" {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: %s (the notebook prints 0 for it; that is not a score)", h.Host, h.Status))
		}
		rep.Hosts = append(rep.Hosts, rh)
	}
	rep.Spearman = runfolder.Float(evaluate.Spearman(xs, ys))
	rep.InfectedAbove = minInf > maxNorm
	rep.MaxAbsRelDiff = runfolder.Float(maxRel)
	return rep, nil
}

// referenceDir is the folder reference.path names: relative to the spec
// file's directory when it is there, else to the working directory.
func referenceDir(specFile, path string) string {
	if !filepath.IsAbs(path) {
		if cand := filepath.Join(filepath.Dir(specFile), path); statDir(cand) {
			return cand
		}
	}
	return path
}

func statDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// WriteReproduction writes reproduction.json and reproduction.md into dir
// when the spec names a reference.
func WriteReproduction(dir string, out *Outcome) error {
	if out.Plan.Point(0).Spec.Reference.Path == "" {
		return nil
	}
	rep, err := Reproduce(out)
	if err != nil {
		return err
	}
	if err := runfolder.WriteJSON(filepath.Join(dir, "reproduction.json"), rep); err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Reproduction of %s (point %s)\n\n", rep.Reference, rep.ReferencePoint)
	fmt.Fprintf(&b, "botprof point `%s`, score `%s`.\n\n", rep.Point, rep.Score)
	fmt.Fprintf(&b, "| host | class | reference | botprof | ratio | difference |\n|---|---|---:|---:|---:|---:|\n")
	for _, h := range rep.Hosts {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", h.Host, h.Class, fmtCell(float64(h.Reference), "%.4f"),
			fmtCell(float64(h.Botprof), "%.4f"), fmtCell(float64(h.Ratio), "%.6f"), fmtCell(100*float64(h.RelDiff), "%+.4f %%"))
	}
	fmt.Fprintf(&b, "\n- hosts compared: %d; within 0.02 %%: %d; within 0.5 %%: %d; within 0.6 %%: %d; within 1 %%: %d\n",
		rep.Compared, rep.Within["0.02%"], rep.Within["0.5%"], rep.Within["0.6%"], rep.Within["1%"])
	fmt.Fprintf(&b, "- largest difference: %.4f %%\n", 100*float64(rep.MaxAbsRelDiff))
	fmt.Fprintf(&b, "- Spearman ρ (reference vs botprof): %.4f\n", float64(rep.Spearman))
	fmt.Fprintf(&b, "- every infected host above every normal host: %v\n", rep.InfectedAbove)
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return os.WriteFile(filepath.Join(dir, "reproduction.md"), b.Bytes(), 0o644)
}

func fmtCell(v float64, format string) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf(format, v)
}
