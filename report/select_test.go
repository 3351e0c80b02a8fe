package report

import (
	"testing"

	"botprof/runfolder"
)

// evaluate.select chooses the metric that ranks points: by auc_host, a
// ranks first (ties broken by auc_window); by train_loglik, b does.
func TestSelectMetric(t *testing.T) {
	a := &group{Points: []*Point{{Name: "a", Metrics: map[string]float64{"auc_host": 1, "auc_window": 0.9, "train_loglik": -50}}}}
	b := &group{Points: []*Point{{Name: "b", Metrics: map[string]float64{"auc_host": 1, "auc_window": 0.8, "train_loglik": -10}}}}
	for _, tc := range []struct {
		spec map[string]any
		want string
	}{
		{nil, "a"},
		{map[string]any{"evaluate": map[string]any{"select": "auc_host"}}, "a"},
		{map[string]any{"evaluate": map[string]any{"select": "train_loglik"}}, "b"},
		{map[string]any{"evaluate": map[string]any{"score": "viterbi"}}, "a"},
	} {
		r := &Run{Manifest: runfolder.Manifest{Spec: tc.spec}}
		sel := r.selectMetric()
		if got := rankGroups([]*group{b, a}, sel)[0].Points[0].Name; got != tc.want {
			t.Errorf("spec %v: best %s by %s, want %s", tc.spec, got, sel, tc.want)
		}
	}
}
