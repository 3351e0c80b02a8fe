package report

import (
	"botprof/runfolder"
	"path/filepath"
	"testing"
)

func TestWriteReference(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ref")
	ref := Reference{
		Experiment:   "toy-reference",
		Score:        "viterbi",
		Classes:      map[string]string{"n1": "normal", "n2": "normal", "n3": "normal", "i1": "infected", "i2": "infected"},
		Hosts:        []string{"n1", "n2", "n3", "i1", "i2"},
		Insufficient: map[string]bool{"n3": true},
		Points: []ReferencePoint{
			{Name: "source=published", Params: runfolder.Params{"source": "published"}, Scores: map[string]float64{"n1": 1, "n2": 5, "n3": 0, "i1": 4, "i2": 9}},
			{Name: "fit=a,model.seed=0", Params: runfolder.Params{"fit": "a", "model.seed": "0"}, Seed: new(uint64), Scores: map[string]float64{"n1": 1, "n2": 2, "n3": 0, "i1": 4, "i2": 9}},
		},
	}
	if err := WriteReference(dir, ref); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// published: infected {4, 9} vs normal {1, 5} (n3 insufficient): 3 of 4 pairs
	// ordered → AUC 0.75, margin 4 − 5 = −1, TPR at FPR 0 = ½ (only 9 > 5).
	want := map[string]map[string]float64{
		"source=published":   {"auc_host": 0.75, "margin": -1, "tpr_at_fpr0": 0.5},
		"fit=a,model.seed=0": {"auc_host": 1, "margin": 2, "tpr_at_fpr0": 1},
	}
	for _, p := range r.Points {
		for k, v := range want[p.Name] {
			if p.Metrics[k] != v {
				t.Errorf("%s: %s = %v, want %v", p.Name, k, p.Metrics[k], v)
			}
		}
		if len(p.Hosts) != 5 || p.Hosts[2].Status != "insufficient" || p.Hosts[2].Scores.Len() != 0 {
			t.Errorf("%s: hosts = %+v", p.Name, p.Hosts)
		}
	}
}
