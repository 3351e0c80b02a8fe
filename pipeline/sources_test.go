package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"botprof/pipeline/cache"
)

const twoSources = `experiment: t
data:
  - name: a
    path: a.netflow
  - name: b
    path: b.binetflow
    format: binetflow
hosts:
  profile: a:10.0.0.1
  normal: [b:10.0.0.2]
  infected: [b:10.0.0.3]
`

func TestSourcesSpec(t *testing.T) {
	plan, err := ParsePlan("t.yaml", []byte(twoSources), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := plan.Point(0).Spec
	l := s.Data.List()
	if len(l) != 2 || l[0].Name != "a" || l[0].Format != "auto" || l[0].OnBadLine != "fail" || l[1].Format != "binetflow" {
		t.Errorf("sources = %+v, want a (defaults) and b (binetflow)", l)
	}
	vp, needed := viewParams(&s)
	if !needed || !vp.Namespace || len(vp.Hosts) != 3 || vp.Hosts[0].Source != "a" || vp.Hosts[2].Source != "b" {
		t.Errorf("view params %+v (needed %v)", vp, needed)
	}
	// One named source: a bare address is that source's host.
	one := strings.Replace(twoSources, "  - name: b\n    path: b.binetflow\n    format: binetflow\n", "", 1)
	one = strings.NewReplacer("b:", "").Replace(one)
	plan, err = ParsePlan("t.yaml", []byte(one), nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := plan.Point(0).Spec.Hosts; h.Profile.First() != "a:10.0.0.1" || h.Normal[0] != "a:10.0.0.2" {
		t.Errorf("hosts = %+v, want a:-prefixed", h)
	}
	// The one-source mapping form needs no view step (keys as before it).
	plan, err = ParsePlan("t.yaml", []byte(minimalSpec), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, needed := viewParams(firstSpec(plan)); needed {
		t.Error("the one-source form asks for the view step")
	}
	for _, set := range []string{"hosts.view=dst", "hosts.split={by: fraction, at: 0.5}"} {
		plan, err = ParsePlan("t.yaml", []byte(minimalSpec), []string{set})
		if err != nil {
			t.Fatal(err)
		}
		if _, needed := viewParams(firstSpec(plan)); !needed {
			t.Errorf("--set %s does not ask for the view step", set)
		}
	}
}

func TestSourcesSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		sets       []string
		want       string
	}{
		{"bare host, two sources", strings.Replace(twoSources, "normal: [b:10.0.0.2]", "normal: [10.0.0.2]", 1), nil,
			`t.yaml:10: hosts.normal[0]: host "10.0.0.2": with several data sources write source:address (sources: a, b)`},
		{"unknown source", strings.Replace(twoSources, "profile: a:10.0.0.1", "profile: c:10.0.0.1", 1), nil,
			`t.yaml:9: hosts.profile: host "c:10.0.0.1": with several data sources write source:address`},
		{"no name", strings.Replace(twoSources, "  - name: b\n    path", "  - path", 1), nil,
			`t.yaml:5: data[1].name: "": a source needs a name`},
		{"same name", strings.Replace(twoSources, "name: b", "name: a", 1), nil,
			"t.yaml:5: data[1].name: source a is already named at data[0].name"},
		{"no path", strings.Replace(twoSources, "    path: b.binetflow\n", "", 1), nil, "data[1].path: missing"},
		{"bad format", twoSources, []string{}, ""},
		{"nested list", strings.Replace(twoSources, "  - name: a\n    path: a.netflow\n", "  - [x]\n", 1), nil, "t.yaml:3: data[0]: a source is a mapping (name, path, ...), got a list"},
		{"empty list", "experiment: t\ndata: []\nhosts: {profile: x, normal: [y], infected: [z]}\n", nil, "t.yaml:2: data: an empty list of sources"},
		{"no address", strings.Replace(twoSources, "infected: [b:10.0.0.3]", "infected: [\"b:\"]", 1), nil, `hosts.infected[0]: host "b:" has no address`},
		{"view", minimalSpec, []string{"hosts.view=out"}, `--set hosts.view=out: hosts.view: "out" is not one of src, dst, both`},
		{"split by", minimalSpec, []string{"hosts.split={by: rows, at: 1}"}, `hosts.split.by: "rows" is not one of time, fraction`},
		{"split fraction", minimalSpec, []string{"hosts.split={by: fraction, at: 1.5}"}, "hosts.split.at: split at \"1.5\": want a fraction between 0 and 1"},
		{"split time", minimalSpec + "  split: {by: time, at: 12:30}\n", nil, `t.yaml:8: hosts.split.at: split at "12:30": want a time like`},
	} {
		if tc.want == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePlan("t.yaml", []byte(tc.spec), tc.sets)
			var se *SpecError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant a SpecError containing %q", err, tc.want)
			}
		})
	}
}

// A split makes a ROC possible on a capture with one infected host.
func TestSplitGivesAPositive(t *testing.T) {
	sets := []string{"hosts.infected=[]"}
	if _, err := LoadPlan("../experiments/default.yaml", sets); err == nil {
		t.Fatal("no error without a split")
	}
	if _, err := LoadPlan("../experiments/default.yaml", append(sets, "hosts.split={by: fraction, at: 0.5}")); err != nil {
		t.Fatal(err)
	}
}

// The views on the embedded scenario 11 with every label kept (CTU-13
// labels a flow by its source, so received flows are mostly Background).
// The counts are the file's, by awk: 147.32.84.165 sends 4151 flows and
// receives 314, 147.32.84.170 sends 581 and receives 6, and no flow goes
// between two listed hosts. A fraction split then divides the profiled
// host's flows between it and its held-out part.
func TestViewsAndSplitRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded data")
	}
	flows := func(sets ...string) map[string]int {
		t.Helper()
		plan, err := LoadPlan("../experiments/s11.yaml", append([]string{"labels.exclude_classes=[]", "evaluate.roc=false",
			"model.n_iter=1", "model.restarts=1"}, sets...))
		if err != nil {
			t.Fatal(err)
		}
		out, err := Execute(context.Background(), plan, Options{Jobs: 1})
		if err != nil || out.Failed() > 0 {
			t.Fatalf("%v: %v %v", sets, err, out.Points[0].Err)
		}
		m := map[string]int{}
		for _, h := range out.Points[0].Out.Hosts {
			m[h.Host] = h.Flows
		}
		return m
	}
	src, dst, both := flows(), flows("hosts.view=dst"), flows("hosts.view=both")
	for _, tc := range []struct {
		host     string
		src, dst int
	}{{"147.32.84.165", 4151, 314}, {"147.32.84.170", 581, 6}} {
		if src[tc.host] != tc.src || dst[tc.host] != tc.dst || both[tc.host] != tc.src+tc.dst {
			t.Errorf("%s: src %d dst %d both %d flows, want %d, %d, %d", tc.host, src[tc.host], dst[tc.host], both[tc.host],
				tc.src, tc.dst, tc.src+tc.dst)
		}
	}
	split := flows("hosts.split={by: fraction, at: 0.25}")
	if p, test := split["147.32.84.165"], split["147.32.84.165@test"]; p != 4151/4 || test != 4151-4151/4 {
		t.Errorf("split: %d + %d flows, want %d + %d", p, test, 4151/4, 4151-4151/4)
	}
}

// A split that leaves the profiled host no training flow says so; the
// point failed with "stage discretize: profiled host 147.32.84.165 has no
// flows", blaming a host that has 4151.
func TestSplitWithoutTrainingFlows(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded data")
	}
	for _, split := range []string{"{by: time, at: '2000-01-01 00:00:00'}", "{by: fraction, at: 0.0001}"} {
		plan, err := LoadPlan("../experiments/s11.yaml", []string{"model.n_iter=1", "hosts.split=" + split})
		if err != nil {
			t.Fatal(err)
		}
		out, err := Execute(context.Background(), plan, Options{Jobs: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := "leaves the profiled host 147.32.84.165 no flow to train on: all 4151 of its flows are held out"
		if out.Failed() != 1 || out.Points[0].Err == nil || !strings.Contains(out.Points[0].Err.Error(), want) {
			t.Errorf("split %s: point error %v, want %q", split, out.Points[0].Err, want)
		}
	}
}

func TestProfileList(t *testing.T) {
	list := strings.Replace(minimalSpec, "profile: 10.0.0.1", "profile: [10.0.0.1, 10.0.0.4]", 1)
	plan, err := ParsePlan("t.yaml", []byte(list+"  split: {by: fraction, at: 0.5}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := firstSpec(plan)
	if got := strings.Join(hostOrder(s), " "); got != "10.0.0.1 10.0.0.4 10.0.0.1@test 10.0.0.4@test 10.0.0.2 10.0.0.3" {
		t.Errorf("host order %s", got)
	}
	if hostClass(s, "10.0.0.4") != "profile" || hostClass(s, "10.0.0.4@test") != "infected" {
		t.Error("classes of a second profiled host and its held-out part")
	}
	if vp, _ := viewParams(s); len(vp.Profiles) != 2 {
		t.Errorf("view profiles %+v", vp.Profiles)
	}
	// One host keeps its JSON form (manifests, cache keys): a string.
	plan, err = ParsePlan("t.yaml", []byte(minimalSpec), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(plan.Point(0).Spec.Hosts.Profile); string(b) != `"10.0.0.1"` {
		t.Errorf("one profiled host marshals as %s", b)
	}
	var back HostList
	if err := json.Unmarshal([]byte(`["a","b"]`), &back); err != nil || len(back) != 2 {
		t.Errorf("unmarshal list: %v %v", back, err)
	}
	for _, tc := range []struct{ spec, want string }{
		{strings.Replace(minimalSpec, "profile: 10.0.0.1", "profile: [10.0.0.1, 10.0.0.1]", 1),
			"t.yaml:5: hosts.profile[1]: host 10.0.0.1 is already listed at hosts.profile[0]"},
		{strings.Replace(minimalSpec, "profile: 10.0.0.1", "profile: [10.0.0.1, 10.0.0.2]", 1),
			"hosts.profile[1]: the profiled host 10.0.0.2 is listed as normal"},
		{strings.Replace(minimalSpec, "profile: 10.0.0.1", "profile: []", 1), "hosts.profile: missing"},
		{strings.Replace(minimalSpec, "profile: 10.0.0.1", "profile: [10.0.0.1, 10.0.0.3]", 1),
			"hosts.infected: no infected host besides the profiled one 10.0.0.1, 10.0.0.3"},
	} {
		if _, err := ParsePlan("t.yaml", []byte(tc.spec), nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// A source is cached on its own: a spec that reads scenario 10 alone
// leaves the load entry s10-to-s11.yaml's first source hits.
func TestSourceLoadShared(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded data")
	}
	dir := t.TempDir()
	run := func(spec string, sets ...string) PointResult {
		t.Helper()
		plan, err := LoadPlan(spec, append([]string{"model.n_iter=1", "model.restarts=1"}, sets...))
		if err != nil {
			t.Fatal(err)
		}
		out, err := Execute(context.Background(), plan, Options{Jobs: 1, CacheDir: dir})
		if err != nil || out.Failed() > 0 {
			t.Fatalf("%s: %v %v", spec, err, out.Points[0].Err)
		}
		return out.Points[0]
	}
	run("../experiments/split.yaml")
	pr := run("../experiments/s10-to-s11.yaml", "hosts.profile=s10:147.32.84.204")
	got := map[string]bool{}
	for _, sr := range pr.Stages {
		got[sr.Stage] = sr.Cached
	}
	if !got["load:s10"] || got["load:s11"] {
		t.Errorf("stages %+v: want load:s10 a hit and load:s11 run", pr.Stages)
	}
}

func TestModelVariantSpecs(t *testing.T) {
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"model.kind=markov", "model.input=rows"}, "model.input: a markov model reads symbol sequences"},
		{[]string{"model.kind=markov", "model.order=0"}, "model.order: a Markov chain's order is 1..8, got 0"},
		{[]string{"model.smoothing={kind: laplace}"}, `model.smoothing.kind: "laplace" is not one of none, additive`},
		{[]string{"model.smoothing={kind: additive, alpha: -1}"}, "model.smoothing.alpha: must be a finite number ≥ 0, got -1"},
		{[]string{"model.smoothing={alpha: 1}"}, "model.smoothing.alpha: a pseudo-count alpha needs model.smoothing.kind: additive"},
	} {
		_, err := ParsePlan("t.yaml", []byte(minimalSpec), tc.sets)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.sets, err, tc.want)
		}
	}
	params := func(sets ...string) *stageParams {
		plan, err := ParsePlan("t.yaml", []byte(minimalSpec), sets)
		if err != nil {
			t.Fatal(err)
		}
		return paramsOf(firstSpec(plan))
	}
	sp := params("model.kind=markov", "model.order=2", "model.smoothing={kind: additive, alpha: 0.5}", "model.states=7")
	if m := sp.train.Markov; m == nil || m.Order != 2 || m.Alpha != 0.5 || sp.train.Model.States != 0 || sp.train.Input != "sequences" {
		t.Errorf("markov train params %+v %+v", sp.train, sp.train.Markov)
	}
	// The chain ignores HMM settings: they do not change its key.
	r := &runner{sources: []SourceFile{{SHA256: strings.Repeat("a", 64)}}}
	k1, _ := r.keys(params("model.kind=markov", "model.states=7"))
	k2, _ := r.keys(params("model.kind=markov", "model.states=3"))
	if k1.train != k2.train {
		t.Error("model.states changes a Markov chain's key")
	}
	if sp := params("model.kind=categorical", "model.smoothing={kind: additive, alpha: 2}"); sp.train.EmissionSmoothing != 2 {
		t.Errorf("categorical smoothing %v", sp.train.EmissionSmoothing)
	}
	if sp := params("model.smoothing={kind: additive, alpha: 2}"); sp.train.EmissionSmoothing != 0 || sp.train.Markov != nil {
		t.Error("a gaussian model takes the smoothing")
	}
}

// The discretize variants in a spec: each at its YAML path, and a host
// list for fit_on.
func TestDiscretizeVariantSpecs(t *testing.T) {
	feat := func(f string) string {
		return minimalSpec + "discretize:\n  features:\n    - " + f + "\n"
	}
	for _, tc := range []struct{ spec, want string }{
		{feat("{column: bytes, kind: cuts, cuts: [10, 5]}"), "t.yaml:10: discretize.features[0].cuts[1]: cut points must increase (5 after 10)"},
		{feat("{column: bytes, kind: kmeans, k: 1}"), "t.yaml:10: discretize.features[0].k: want 2..256 clusters, got 1"},
		{feat("{column: bytes, kind: cuts, cuts: [1], k: 3}"), "discretize.features[0].k: k belongs to a kmeans feature, not cuts"},
		{feat("{column: proto, kind: category, unseen: drop}"), "discretize.features[0].unseen: applies to a fixed table"},
		{feat("{column: proto, kind: category, categories: [tcp], unseen: skip}"), `discretize.features[0].unseen: "skip" is not one of error, extra, drop`},
		{feat("{column: bytes, kind: bins}"), `discretize.features[0].kind: "bins" is not one of percentile, cuts, kmeans, category`},
		{feat("{column: bytes, kind: percentile, percentiles: [50], seed: 1}"), "t.yaml:10: discretize.features[0].seed: seed belongs to a kmeans feature, not percentile"},
		{feat("{column: bytes, kind: kmeans, k: 3, seed: -1}"), `t.yaml:10: discretize.features[0].seed: expected a non-negative integer, got "-1"`},
		{feat("{column: bytes, kind: kmeans, k: 3, seed: 1.5}"), "t.yaml:10: discretize.features[0].seed: expected a non-negative integer, got the number 1.5"},
		{feat("{column: bytes, kind: kmeans, k: 3, seed: one}"), `t.yaml:10: discretize.features[0].seed: expected a non-negative integer, got the string "one"`},
		// Block style: the line of the seed key itself.
		{feat("column: bytes\n      kind: cuts\n      cuts: [1]\n      seed: 4"), "t.yaml:13: discretize.features[0].seed: seed belongs to a kmeans feature, not cuts"},
		{minimalSpec + "discretize:\n  fit_on: [10.0.0.2, \"\"]\n", "discretize.fit_on[1]: empty host"},
	} {
		_, err := ParsePlan("t.yaml", []byte(tc.spec), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v\nwant %q", err, tc.want)
		}
	}
	plan, err := ParsePlan("t.yaml", []byte(minimalSpec+"discretize:\n  fit_on: [10.0.0.2, 10.0.0.3]\n  features:\n    - {column: bytes, kind: cuts, cuts: [100], right: true}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	sp := paramsOf(firstSpec(plan))
	d := sp.discretize
	if d.FitOn != "profile" || d.Profile != "10.0.0.2" || strings.Join(d.MoreProfiles, ",") != "10.0.0.3" || !d.Features[0].Right || d.Features[0].Cuts[0] != 100 {
		t.Errorf("discretize params %+v", d)
	}
	if sp.train.Profiles[0] != "10.0.0.1" {
		t.Errorf("the model still trains on the profiled host, got %v", sp.train.Profiles)
	}
}

// discretize.features[].seed: absent, the kmeans feature and the
// discretize key are what they were without the key; set, it reaches the
// stage and changes the key, each seed its own.
func TestKMeansSeedSpec(t *testing.T) {
	key := func(f string) (*stageParams, cache.Key) {
		t.Helper()
		plan, err := ParsePlan("t.yaml", []byte(minimalSpec+"discretize:\n  features:\n    - "+f+"\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		sp := paramsOf(firstSpec(plan))
		r := &runner{sources: []SourceFile{{SHA256: strings.Repeat("a", 64)}}}
		k, err := r.keys(sp)
		if err != nil {
			t.Fatal(err)
		}
		return sp, k.discretize
	}
	sp, none := key("{column: bytes, kind: kmeans, k: 3}")
	if sp.discretize.Features[0].Seed != nil {
		t.Errorf("no seed in the spec, seed %v in the params", *sp.discretize.Features[0].Seed)
	}
	// Params enter the key as their JSON: without a seed the JSON, and so
	// the key, is the one of the params before the key existed.
	if b, _ := json.Marshal(sp.discretize); strings.Contains(string(b), "seed") {
		t.Errorf("discretize params without a seed: %s", b)
	}
	sp0, zero := key("{column: bytes, kind: kmeans, k: 3, seed: 0}")
	_, one := key("{column: bytes, kind: kmeans, k: 3, seed: 1}")
	if s := sp0.discretize.Features[0].Seed; s == nil || *s != 0 {
		t.Errorf("seed 0 params %v", s)
	}
	if zero == none || one == none || zero == one {
		t.Errorf("keys none %s, seed 0 %s, seed 1 %s: want three", none.Short(), zero.Short(), one.Short())
	}
}

func TestSelectSpec(t *testing.T) {
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"evaluate.select=auc"}, `evaluate.select: "auc" is not one of auc_host, auc_window, train_loglik, f1`},
		{[]string{"evaluate.select=f1"}, "evaluate.select: f1 comes from a decision rule: set evaluate.decision"},
	} {
		if _, err := ParsePlan("t.yaml", []byte(minimalSpec), tc.sets); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.sets, err, tc.want)
		}
	}
	if _, err := ParsePlan("t.yaml", []byte(minimalSpec), []string{"evaluate.select=f1", "evaluate.decision={rule: fpr, value: 0}"}); err != nil {
		t.Error(err)
	}
}

func TestSpanSpecs(t *testing.T) {
	span := minimalSpec + "window:\n  span: 20ms\nmodel:\n  kind: categorical\n"
	for _, tc := range []struct {
		spec string
		sets []string
		want string
	}{
		{span, []string{"window.span=20"}, `window.span: "20" is not a duration`},
		{span, []string{"window.span=1ns"}, "window.span: 1ns: want a positive whole number of microseconds"},
		{span, []string{"window.size=10"}, "window.size: time windows (window.span) have no size"},
		{span, []string{"model.kind=gaussian"}, "--set model.kind=gaussian: model.kind: time windows vary in length: the model must read sequences"},
		{minimalSpec, []string{"window.min_flows=3"}, "window.min_flows: applies to time windows"},
		{span, []string{"window.min_flows=-1"}, "window.min_flows: must not be negative"},
	} {
		if _, err := ParsePlan("t.yaml", []byte(tc.spec), tc.sets); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.sets, err, tc.want)
		}
	}
	plan, err := ParsePlan("t.yaml", []byte(span), nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := paramsOf(firstSpec(plan)).window; w.Span != 20000 || w.MinFlows != 1 || w.Size != 0 {
		t.Errorf("window params %+v", w)
	}
}

func TestDerivedColumnSpecs(t *testing.T) {
	feat := func(f string) string {
		return minimalSpec + "discretize:\n  features:\n    - " + f + "\n"
	}
	for _, tc := range []struct{ spec, want string }{
		{feat("{ratio: [bytes], kind: cuts, cuts: [1]}"), "discretize.features[0].ratio: want [a, b] (two numeric columns) and no column"},
		{feat("{ratio: [bytes, pkts], kind: cuts, cuts: [1]}"), `discretize.features[0].ratio[1]: "pkts" is not a flow column`},
		{feat("{ratio: [proto, bytes], kind: cuts, cuts: [1]}"), `discretize.features: derive: ratio(proto,bytes): "proto" is not a numeric flow column`},
		{feat("{column: bytes_per_flow, kind: cuts, cuts: [1]}"), `discretize.features[0].column: "bytes_per_flow" is not a flow column`},
	} {
		if _, err := ParsePlan("t.yaml", []byte(tc.spec), nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v\nwant %q", err, tc.want)
		}
	}
	plan, err := ParsePlan("t.yaml", []byte(feat("{column: interarrival, kind: kmeans, k: 3}")+"    - {ratio: [src_bytes, bytes], kind: cuts, cuts: [0.5]}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := firstSpec(plan)
	sp := paramsOf(s)
	if got := strings.Join(sp.derive.Columns, " "); got != "interarrival ratio(src_bytes,bytes)" {
		t.Errorf("derived columns %s", got)
	}
	if got := strings.Join(loadColumns(s), " "); got != "bytes src_addr src_bytes start_time" {
		t.Errorf("load columns %s: want the derived columns' inputs", got)
	}
}

// A split time written without quotes is a YAML timestamp; it is read as
// the text written, like a quoted one (it was "expected a string, got
// \"2011-08-18 12:30:00\"").
func TestSplitAtUnquotedTime(t *testing.T) {
	for _, at := range []string{`"2011-08-18 12:30:00"`, `2011-08-18 12:30:00`} {
		plan, err := ParsePlan("t.yaml", []byte(minimalSpec+"  split: {by: time, at: "+at+"}\n"), nil)
		if err != nil {
			t.Fatalf("at: %s: %v", at, err)
		}
		if got := plan.Point(0).Spec.Hosts.Split.At; got != "2011-08-18 12:30:00" {
			t.Errorf("at: %s read as %q", at, got)
		}
	}
}

// A split by time after the profiled host's last flow holds out nothing:
// the point failed with nothing, HOST@test had no flows and every ROC
// metric was NaN in a run that exited 0.
func TestSplitWithoutTestFlows(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded data")
	}
	plan, err := LoadPlan("../experiments/s11.yaml", []string{"model.n_iter=1", "hosts.split={by: time, at: '2030-01-01 00:00:00'}"})
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for run := 0; run < 2; run++ { // the second run finds the cache as the first left it
		out, err := Execute(context.Background(), plan, Options{Jobs: 1, CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		want := `hosts.split: by time at "2030-01-01 00:00:00" holds out no flow of the profiled host 147.32.84.165: all 4151 of its flows start before it, so 147.32.84.165@test has none to score`
		if out.Failed() != 1 || out.Points[0].Err == nil || !strings.Contains(out.Points[0].Err.Error(), want) {
			t.Errorf("run %d: point error %v, want %q", run, out.Points[0].Err, want)
		}
	}
}
