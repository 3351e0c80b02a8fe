package pipeline

import "testing"

// FuzzParsePlan feeds arbitrary spec text and one --set override to the
// spec loader: it returns a plan or an error, never panics, and a plan it
// returns has at least one point, each named and within the point limit.
func FuzzParsePlan(f *testing.F) {
	f.Add([]byte("experiment: x\ndata: {path: a}\nhosts: {profile: h, normal: [n], infected: [i]}\nsweep:\n  model.seed: [0, 1]\n"), "model.seed=7")
	f.Add([]byte("data: {path: a}\nhosts: {profile: h}\nmodel: {states: 0}\n"), "sweep.window.size=[1,2]")
	f.Add([]byte("experiment: ../x\n"), "experiment=..")
	f.Add([]byte("- a\n- b\n"), "a.b.c=[1, {x: 2}]")
	f.Add([]byte("sweep: {model.states: [1, 1]}\n"), "sweep=[1]")
	f.Fuzz(func(t *testing.T, spec []byte, set string) {
		plan, err := parsePlan("fuzz.yaml", spec, []string{set}, 200)
		if err != nil {
			return
		}
		if plan.Len() == 0 || plan.Len() > 200 {
			t.Fatalf("%d points", plan.Len())
		}
		for _, p := range plan.Points() {
			if p.Name == "" || CheckExperimentName(p.Spec.Experiment) != nil {
				t.Fatalf("point %+v", p)
			}
		}
	})
}
