package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// planCase is one spec with its overrides whose expansion is pinned.
type planCase struct {
	name string
	file string // a spec file, or
	text string // spec text (file "t.yaml")
	sets []string
}

const oneSourceSpec = `experiment: t
data:
  - {name: a, path: flows.netflow.labeled}
hosts:
  profile: 10.0.0.1
  normal: [10.0.0.2, 10.0.0.4]
  infected: [10.0.0.3]
model:
sweep:
  model.seed: [1, 2, 3]
`

// planCases are the shipped specs plus sweeps through --set and inline
// specs, valid and not: their points (or errors) were captured before the
// plan became lazy (planGolden).
func planCases(t *testing.T) []planCase {
	files, err := filepath.Glob("../experiments/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no experiment specs: %v", err)
	}
	var cases []planCase
	for _, f := range files {
		cases = append(cases, planCase{name: filepath.Base(f), file: f})
	}
	sw := "../experiments/sweep.yaml"
	tw := "../experiments/timewindows.yaml"
	for _, c := range []struct {
		name string
		file string
		sets []string
	}{
		{"seeds", sw, []string{"model.seed=[1,2]"}},
		{"n_iter", sw, []string{"sweep.model.n_iter=[5,6]"}},
		{"n_iter_narrow", sw, []string{"sweep.model.seed=[3]", "window.size=10", "sweep.model.n_iter=[1,7]"}},
		{"profile_list_key", sw, []string{"sweep.hosts.profile=[147.32.84.204, 147.32.84.165]", "model.seed=0"}},
		{"fit_on_list_key", sw, []string{"sweep.discretize.fit_on=[profile, all]", "model.seed=0"}},
		{"fit_host", sw, []string{"sweep.discretize.fit_host=[147.32.84.165, null]", "model.seed=0"}},
		{"covariance", sw, []string{"sweep.model.covariance=[diag, full, tied]", "model.seed=0"}},
		{"stride_tol", sw, []string{"sweep.window.stride=[1, 2]", "sweep.model.tol=[0.1, 1e-3]", "model.seed=0"}},
		{"normalize", sw, []string{"sweep.evaluate.normalize=[none, per_flow, per_window]"}},
		{"format", sw, []string{"sweep.data.format=[auto, netflow]", "sweep.data.skip_first_data_line=[false, true]"}},
		{"description_null", sw, []string{"sweep.description=[a, null, '']", "model.seed=0"}},
		{"smoothing", tw, []string{"sweep.model.smoothing.kind=[additive]", "sweep.model.smoothing.alpha=[0, 1, 0.5]"}},
		{"err_smoothing", tw, []string{"sweep.model.smoothing.kind=[none, additive]", "sweep.model.smoothing.alpha=[0, 1]"}},
		{"min_flows", tw, []string{"sweep.window.min_flows=[1, 5]"}},
		{"decision", sw, []string{"sweep.evaluate.decision.rule=[fixed, relative]", "sweep.evaluate.decision.value=[0.1, 0.5]", "model.seed=0"}},
		{"reference", sw, []string{"reference.path=../results/reference/notebook", "sweep.reference.point=[source=published, 'fit=209,model.seed=3']", "model.seed=0"}},
		// Errors.
		{"err_bad_value", sw, []string{"sweep.model.states=[2, x]"}},
		{"err_two_bad_axes", sw, []string{"sweep.window.size=[y]", "sweep.model.states=[x]"}},
		{"err_unknown_axis", sw, []string{"sweep.model.stats=[2]"}},
		{"err_invalid_point", sw, []string{"sweep.window.size=[5, 0]"}},
		{"err_features", sw, []string{"sweep.discretize.features=[1]"}},
		{"err_feature_key", sw, []string{"sweep.discretize.features.k=[3]"}},
		{"err_struct_null", sw, []string{"sweep.model=[null]"}},
		{"err_struct_null_smoothing", tw, []string{"sweep.model.smoothing=[null]"}},
		{"err_data_null", sw, []string{"sweep.data=[null]"}},
		{"err_hosts_null", sw, []string{"sweep.hosts=[null]"}},
		{"err_below_scalar", sw, []string{"sweep.window.size.x=[1]"}},
		{"err_span_size", tw, []string{"sweep.window.size=[5]"}},
		{"err_span_rows", sw, []string{"sweep.window.span=[20ms, 1s]"}},
		{"err_normal_scalar", sw, []string{"sweep.hosts.normal=[147.32.84.170]"}},
		{"err_profile_normal", sw, []string{"sweep.hosts.profile=[147.32.84.204, 147.32.84.170]"}},
		{"err_data_list_path", "../experiments/s10-to-s11.yaml", []string{"sweep.data.path=[x]"}},
		{"err_experiment_axis", sw, []string{"sweep.experiment=[a]"}},
		{"err_set_value", sw, []string{"model.seed=[1, x]"}},
		{"err_hosts_sources", "../experiments/s10-to-s11.yaml", []string{"sweep.hosts.infected=[[]]"}},
	} {
		cases = append(cases, planCase{name: c.name, file: c.file, sets: c.sets})
	}
	for _, c := range []struct {
		name string
		text string
		sets []string
	}{
		{"inline_sources", oneSourceSpec, nil},
		{"inline_sources_profile", oneSourceSpec, []string{"sweep.hosts.profile=[10.0.0.1, a:10.0.0.2]"}},
		{"inline_sources_normal_bad", oneSourceSpec, []string{"sweep.hosts.profile=[b:10.0.0.1]"}},
		{"inline_null_parent", oneSourceSpec, []string{"sweep.model.states=[2, 3]"}},
		{"inline_no_experiment", strings.Replace(minimalSpec, "experiment: t\n", "", 1) + "sweep:\n  window.size: [3, 4]\n  model.states: [2, 3]\n", nil},
		{"inline_new_parent", minimalSpec + "sweep:\n  evaluate.decision.rule: [fixed]\n  evaluate.decision.value: [0.5]\n", nil},
		{"inline_err_line", minimalSpec + "window:\n  size: 3\nsweep:\n  model.states: [2,\n    0]\n", nil},
		{"inline_err_scalar_parent", minimalSpec + "window: 3\nsweep:\n  window.size: [2]\n", nil},
		{"inline_err_tree_order", minimalSpec + "window:\n  size: 3\nmodel:\n  states: 2\nsweep:\n  model.states: [x]\n  window.size: [y]\n", nil},
		{"inline_err_dup_value", minimalSpec + "sweep:\n  model.states: [2, 2]\n", nil},
		{"inline_split", strings.Replace(minimalSpec, "hosts:\n", "hosts:\n  split: {by: fraction, at: '0.5'}\n", 1) + "sweep:\n  hosts.split.at: ['0.25', '0.5']\n  hosts.infected: [null]\n", nil},
	} {
		cases = append(cases, planCase{name: c.name, text: c.text, sets: c.sets})
	}
	return cases
}

func (c planCase) load(maxPoints int) (*Plan, error) {
	if c.file != "" {
		return LoadPlanLimit(c.file, c.sets, maxPoints)
	}
	return parsePlan("t.yaml", []byte(c.text), c.sets, maxPoints)
}

// planPoints lists every point of a plan, in order.
func planPoints(p *Plan) []Point {
	var out []Point
	for _, pt := range p.Points() {
		out = append(out, pt)
	}
	return out
}

// planDigest is a text of a plan's points (or its error) that pins what
// a spec expands to: names, params and specs as JSON, in order.
func planDigest(p *Plan, err error) string {
	if err != nil {
		s := "error: " + err.Error()
		var se *SpecError
		if errors.As(err, &se) {
			s += fmt.Sprintf("\nspec error: %#v", *se)
		}
		return s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "name %s\nsweep %v\nnarrowed %v\n", p.Name, p.Sweep, p.Narrowed)
	base, _ := json.Marshal(p.Base)
	fmt.Fprintf(&b, "base %s\n", base)
	for _, pt := range planPoints(p) {
		params, _ := json.Marshal(pt.Params)
		spec, _ := json.Marshal(pt.Spec)
		fmt.Fprintf(&b, "%s %s %s\n", pt.Name, params, spec)
	}
	return b.String()
}

func digestHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// TestPlanGolden pins every case's points (or error) to what the eager
// expansion produced before plans became lazy.
func TestPlanGolden(t *testing.T) {
	got := map[string]string{}
	for _, c := range planCases(t) {
		p, err := c.load(0)
		d := planDigest(p, err)
		got[c.name] = digestHash(d)
		if os.Getenv("BOTPROF_PLAN_GOLDEN") != "" {
			continue
		}
		want, ok := planGolden[c.name]
		if !ok {
			t.Errorf("%s: no golden", c.name)
			continue
		}
		if got[c.name] != want {
			t.Errorf("%s: digest %s, want %s:\n%.2000s", c.name, got[c.name], want, d)
		}
	}
	if os.Getenv("BOTPROF_PLAN_GOLDEN") != "" {
		var names []string
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("\t%q: %q,\n", n, got[n])
		}
	}
}

// planGolden: digestHash(planDigest) of every planCase, captured from the
// eager expansion (before issue 17). Ten error cases were re-captured when
// errors at sweep-axis values gained their file line or --set override
// (they had neither): only those error texts changed.
var planGolden = map[string]string{
	"baselines.yaml":            "0bfb276ea93ccfa7",
	"corrected.yaml":            "85e3110f5e1dbab4",
	"covariance":                "7810f6a09d945af2",
	"decision":                  "4394dc5995fce183",
	"default.yaml":              "1bc12791daa0f640",
	"description_null":          "d84566ce38583eac",
	"err_bad_value":             "ac0249cb74708412",
	"err_below_scalar":          "94a9db3051452504",
	"err_data_list_path":        "848dae208b554cd2",
	"err_data_null":             "3be9d7d996077dd2",
	"err_experiment_axis":       "418b3a57ccf6dad6",
	"err_feature_key":           "69879c70c3fca37d",
	"err_features":              "2289d8f9c7c08e28",
	"err_hosts_null":            "8df460c2dd2b965e",
	"err_hosts_sources":         "5bad166bfa8b55f5",
	"err_invalid_point":         "5553869ca0cb4eea",
	"err_normal_scalar":         "7fae5063ce52ba79",
	"err_profile_normal":        "2f7018b1de01c8bd",
	"err_set_value":             "9d2dd119e0447cde",
	"err_smoothing":             "16220a8efe4eb5a0",
	"err_span_rows":             "4c73f81672c203f0",
	"err_span_size":             "c849ae601b463834",
	"err_struct_null":           "47ed2d8619b4a713",
	"err_struct_null_smoothing": "26ad82d34365373c",
	"err_two_bad_axes":          "9b2eb9349779b1b3",
	"err_unknown_axis":          "2697ec34d9d99cfd",
	"fit_host":                  "8a5ecf88a7cfcc57",
	"fit_on_list_key":           "212d0037e842121e",
	"format":                    "aff1f1ab3081ed0f",
	"inline_err_dup_value":      "119d312eb4cdb9df",
	"inline_err_line":           "dc508ad11b8f23c0",
	"inline_err_scalar_parent":  "5d6e6f4461bb1d35",
	"inline_err_tree_order":     "480e6b1d2d11e43a",
	"inline_new_parent":         "9ed1c695854ead2e",
	"inline_no_experiment":      "28d220cff6b9793c",
	"inline_null_parent":        "90174f7330bb6003",
	"inline_sources":            "28463396d04a5bd1",
	"inline_sources_normal_bad": "34311c133b25acd2",
	"inline_sources_profile":    "6a820eeaef9658ba",
	"inline_split":              "2b48fab461526e2c",
	"min_flows":                 "6279176112f5c6f5",
	"n_iter":                    "8a46fe856cae7a5a",
	"n_iter_narrow":             "ee1cc05f90f66338",
	"normalize":                 "bbdcef0f353d0e1c",
	"notebook-published.yaml":   "cde87033e2e4dd29",
	"notebook.yaml":             "d14e5580c502e786",
	"profile_list_key":          "d2545b4125054428",
	"reference":                 "f0e087413b3f4bda",
	"s10-to-s11.yaml":           "55c71d931c3814c9",
	"s11.yaml":                  "aa7b08dbb8c52dca",
	"seeds":                     "bdd7b81c6d4cbb76",
	"smoothing":                 "32a6000fccdcd3bd",
	"split.yaml":                "07e83d31cfbecc0d",
	"stride_tol":                "b53f72ce830b6afe",
	"sweep.yaml":                "3ad5cb91489c79a0",
	"timewindows.yaml":          "b3475ebe65e0d9c3",
}

// firstSpec is the spec of a plan's first point.
func firstSpec(p *Plan) *Spec {
	pt := p.Point(0)
	return &pt.Spec
}

// bigSweep is experiments/sweep.yaml with seeds 0..seeds-1: 9·seeds points.
func bigSweep(seeds int) []string {
	var s []string
	for i := range seeds {
		s = append(s, strconv.Itoa(i))
	}
	return []string{"model.seed=[" + strings.Join(s, ",") + "]"}
}

// heapInuse is the heap in use after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// A plan's memory does not grow with its points (issue 17): a 100k-point
// plan holds the spec and its axes, not the points. The eager plan held
// about 2.4 KB per point.
func TestPlanMemoryPerPoint(t *testing.T) {
	seeds := 11112 // 100,008 points
	if raceEnabled || testing.Short() {
		seeds = 1112
	}
	sets := bigSweep(seeds)
	before := heapInuse()
	plan, err := LoadPlanLimit("../experiments/sweep.yaml", sets, 0)
	if err != nil {
		t.Fatal(err)
	}
	after := heapInuse()
	n := plan.Len()
	perPoint := float64(int64(after)-int64(before)) / float64(n)
	t.Logf("%d points: %.1f bytes retained per point (heap in use %d -> %d)", n, perPoint, before, after)
	if perPoint > 300 {
		t.Errorf("a plan of %d points retains %.0f bytes per point, want < 300", n, perPoint)
	}
	if p := plan.Point(n - 1); p.Name != fmt.Sprintf("window.size=20,model.states=8,model.seed=%d", seeds-1) || p.Spec.Model.Seed != uint64(seeds-1) {
		t.Errorf("last point %s, seed %d", p.Name, p.Spec.Model.Seed)
	}
	runtime.KeepAlive(plan)
}

// BenchmarkLoadPlan100k plans a 100,008-point sweep (every point decoded
// and validated) and materialises every point once more, as a shard task
// does for its cost bounds: B/op and allocs/op are per plan; retained-B/pt
// is what the plan keeps per point.
func BenchmarkLoadPlan100k(b *testing.B) {
	sets := bigSweep(11112)
	var perPoint float64
	for b.Loop() {
		b.StopTimer()
		before := heapInuse()
		b.StartTimer()
		plan, err := LoadPlanLimit("../experiments/sweep.yaml", sets, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		perPoint = float64(int64(heapInuse())-int64(before)) / float64(plan.Len())
		b.StartTimer()
		_ = plan.ShardBounds(2000)
	}
	b.ReportMetric(perPoint, "retained-B/pt")
}

// Building a point from its base and axis values (the direct path) gives
// what decoding the point's whole tree gives.
func TestPointDirectMatchesTree(t *testing.T) {
	for _, c := range planCases(t) {
		p, err := c.load(0)
		if err != nil {
			continue
		}
		if p.pts.fields == nil && len(p.Sweep) > 0 {
			t.Logf("%s: points decoded from their trees", c.name)
			continue
		}
		slow := *p
		e := *p.pts
		e.fields = nil
		slow.pts = &e
		if a, b := planDigest(p, nil), planDigest(&slow, nil); a != b {
			t.Errorf("%s: direct and tree-decoded points differ:\n%.1500s\n----\n%.1500s", c.name, a, b)
		}
	}
}
