package pipeline

import (
	"botprof/runfolder"
	"context"
	"math"
	"sort"
	"strconv"
	"testing"
)

// The notebook's published scores and hmmlearn 0.3.3's per-seed re-runs of
// it live in results/reference/notebook (made by report/cmd/mkreference from
// the project's reference material). These tests run the compat pipeline on
// the embedded scenario-10 data and check issue 5's bars.

func referenceScores(t *testing.T) map[string]map[string]float64 {
	t.Helper()
	rows, _, err := runfolder.ReadScores("../results/reference/notebook/scores.csv")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for point, hosts := range rows {
		out[point] = map[string]float64{}
		for _, r := range hosts {
			if v, ok := r.Scores.Get("viterbi"); ok {
				out[point][r.Host] = v
			}
		}
	}
	return out
}

func runExperiment(t *testing.T, spec string) *Outcome {
	t.Helper()
	plan, err := LoadPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Execute(context.Background(), plan, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Points[0].Err != nil {
		t.Fatal(out.Points[0].Err)
	}
	return out
}

func TestNotebookPublishedReproduction(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the notebook's compat pipeline with 20 restarts")
	}
	ref := referenceScores(t)
	out := runExperiment(t, "../experiments/notebook-published.yaml")
	rep, err := Reproduce(out)
	if err != nil {
		t.Fatal(err)
	}
	// 15 hosts in the notebook's table; 147.32.87.11 has no flows (no score).
	if rep.Compared != 14 {
		t.Fatalf("compared %d hosts, want 14", rep.Compared)
	}
	if rep.Within["0.6%"] != 14 {
		t.Errorf("%d of 14 hosts within 0.6 %% of the published score", rep.Within["0.6%"])
	}
	// hmmlearn's best optimum itself has 11 of the 14 within 0.02 % (.170,
	// .134 and .164 are 0.44, 0.12 and 0.49 % off); botprof must do as well.
	if rep.Within["0.02%"] < 11 {
		t.Errorf("%d hosts within 0.02 %%, want ≥ 11", rep.Within["0.02%"])
	}
	if rep.Spearman != 1 || !rep.InfectedAbove {
		t.Errorf("Spearman ρ = %v, every infected above every normal = %v", rep.Spearman, rep.InfectedAbove)
	}
	// The restarts find hmmlearn's most likely optimum (seeds 2, 4 and 8 of
	// hmmlearn_fit209): infected hosts' scores equal to 1e-11 relative (they
	// were 2e-9 off before the E-step took the log-space rung on these
	// degenerate windows, issue 15), the normal hosts' smaller scores, sums
	// with cancellation, to 2e-9 (measured: 6e-11 to 9e-10).
	best := ref["fit=209,model.seed=2"]
	for _, h := range out.Points[0].Out.Hosts {
		want, ok := best[h.Host]
		if !ok || h.Viterbi == nil {
			continue
		}
		tol := 1e-11
		if h.Class == "normal" {
			tol = 2e-9
		}
		if rel := math.Abs(*h.Viterbi-want) / math.Abs(want); rel > tol {
			t.Errorf("%s: botprof %.6f, hmmlearn best optimum %.6f (rel %.2g)", h.Host, *h.Viterbi, want, rel)
		}
	}
}

func TestNotebookAsCodeReads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the notebook's compat pipeline with 20 restarts")
	}
	ref := referenceScores(t)
	out := runExperiment(t, "../experiments/notebook.yaml")
	po := out.Points[0].Out
	if po.Metrics["auc_host"] != 1 {
		t.Errorf("auc_host = %v, want 1", po.Metrics["auc_host"])
	}
	rep, err := Reproduce(out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Spearman < 0.9956 {
		t.Errorf("Spearman ρ vs published = %v, want ≥ 0.9956", rep.Spearman)
	}
	inBar := 0
	for _, h := range po.Hosts {
		if h.Viterbi == nil || h.Class == "profile" {
			continue
		}
		var seeds []float64
		for s := 0; s < 10; s++ {
			seeds = append(seeds, ref["fit=204,model.seed="+strconv.Itoa(s)][h.Host])
		}
		sort.Float64s(seeds)
		med := (seeds[4] + seeds[5]) / 2
		v := *h.Viterbi
		if (v >= seeds[0] && v <= seeds[9]) || math.Abs(v-med) <= 0.005*math.Abs(med) {
			inBar++
		} else {
			t.Logf("%s: %.1f outside hmmlearn's seed range [%.1f, %.1f] and %.2f %% from its median",
				h.Host, v, seeds[0], seeds[9], 100*(v-med)/math.Abs(med))
		}
	}
	// 13 of the 14 hosts meet issue 5's bar; 147.32.84.164 does not: the
	// restarts find a more likely optimum than any of hmmlearn's 10 seeds
	// (see README, "Reproducing the notebook").
	if inBar < 13 {
		t.Errorf("%d of 14 hosts within hmmlearn's seed range or 0.5 %% of its median, want ≥ 13", inBar)
	}
}
