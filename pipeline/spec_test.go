package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const minimalSpec = `experiment: t
data:
  path: flows.netflow.labeled
hosts:
  profile: 10.0.0.1
  normal: [10.0.0.2]
  infected: [10.0.0.3]
`

func TestParsePlanDefaults(t *testing.T) {
	plan, err := ParsePlan("t.yaml", []byte(minimalSpec), nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Len() != 1 || plan.Point(0).Name != "base" {
		t.Fatalf("points = %+v, want one point named base", plan.Len())
	}
	s := plan.Point(0).Spec
	// The notebook's defaults: window 10, 4 states, diagonal Gaussian, n_iter 10.
	if s.Window.Size != 10 || s.Model.States != 4 || s.Model.Covariance != "diag" || s.Model.NIter != 10 ||
		s.Model.Kind != "gaussian" || s.Model.Tol != 0.01 || s.Evaluate.Score != "viterbi" {
		t.Errorf("defaults differ from the notebook's: %+v", s)
	}
	if got := len(s.Discretize.Features); got != 2 {
		t.Errorf("default features = %d, want 2 (proto, bytes)", got)
	}
}

func TestParsePlanErrors(t *testing.T) {
	tests := []struct {
		name string
		spec string
		sets []string
		want string // substring: file:line: path: message
	}{
		{"unknown key", minimalSpec + "modle:\n  states: 3\n", nil, "t.yaml:8: modle: unknown key"},
		{"unknown nested key", minimalSpec + "model:\n  statez: 3\n", nil, "t.yaml:9: model.statez: unknown key"},
		{"wrong type", minimalSpec + "model:\n  states: four\n", nil, `t.yaml:9: model.states: expected an integer, got the string "four"`},
		{"float for int", minimalSpec + "window:\n  size: 2.5\n", nil, "t.yaml:9: window.size: expected an integer"},
		{"list for scalar", minimalSpec + "window:\n  size: [1]\n", nil, "t.yaml:9: window.size: expected an integer, got a list"},
		{"scalar for list", strings.Replace(minimalSpec, "normal: [10.0.0.2]", "normal: 10.0.0.2", 1), nil, "t.yaml:6: hosts.normal: expected a list"},
		{"impossible states", minimalSpec + "model:\n  states: 0\n", nil, "t.yaml:9: model.states: must be between 1 and 512, got 0"},
		{"bad enum", minimalSpec + "model:\n  covariance: diagonal\n", nil, `t.yaml:9: model.covariance: "diagonal" is not one of diag, spherical, full, tied`},
		{"negative seed", minimalSpec + "model:\n  seed: -1\n", nil, "t.yaml:9: model.seed: expected a non-negative integer"},
		{"percentile range", minimalSpec + "discretize:\n  features:\n    - {column: bytes, kind: percentile, percentiles: [20, 120]}\n", nil,
			"discretize.features[0].percentiles[1]: 120 is outside 0..100"},
		{"unknown column", minimalSpec + "discretize:\n  features:\n    - {column: bytez, kind: percentile, percentiles: [50]}\n", nil,
			`t.yaml:10: discretize.features[0].column: "bytez" is not a flow column (want one of line, start_time,`},
		{"percentiles decrease", minimalSpec + "discretize:\n  features:\n    - {column: bytes, kind: percentile, percentiles: [50, 20]}\n", nil,
			"percentiles[1]: cut points must increase"},
		{"duplicate host", strings.Replace(minimalSpec, "infected: [10.0.0.3]", "infected: [10.0.0.2]", 1), nil,
			"hosts.infected[0]: host 10.0.0.2 is already listed at hosts.normal[0]"},
		{"missing profile", strings.Replace(minimalSpec, "  profile: 10.0.0.1\n", "", 1), nil, "hosts.profile: missing"},
		{"notebook stride", minimalSpec + "window:\n  compat: notebook\n  stride: 2\n", nil, "window.stride: compat notebook slides by one flow"},
		{"bad sha", minimalSpec + "", []string{"data.sha256=abc"}, `data.sha256: expected 64 lower-case hex digits, got "abc"`},
		{"duplicate key", minimalSpec + "window:\n  size: 3\nwindow:\n  size: 4\n", nil, "window: key given twice"},
		{"sweep not a list", minimalSpec + "sweep:\n  model.states: 3\n", nil, "t.yaml:9: sweep.model.states: expected a non-empty list"},
		{"sweep bad value", minimalSpec + "sweep:\n  model.states: [2, x]\n", nil, `t.yaml:9: model.states: expected an integer, got the string "x"`},
		// At the swept value's line, not at the line of the value it
		// replaces (t.yaml:9, "states: 4", which is no error).
		{"sweep value line", minimalSpec + "model:\n  states: 4\nsweep:\n  model.states: [2,\n    0]\n", nil, "sweep point model.states=0: t.yaml:12: model.states: must be between 1 and 512, got 0"},
		{"sweep unknown key", minimalSpec + "sweep:\n  model.stats: [2, 3]\n", nil, "model.stats: unknown key"},
		{"set unknown key", minimalSpec, []string{"window.sise=3"}, "window.sise: unknown key"},
		{"set malformed", minimalSpec, []string{"window.size"}, `--set window.size: want key=value`},
		{"not yaml", "a: [", nil, "t.yaml: not valid YAML"},
		{"categorical rows", minimalSpec + "model:\n  kind: categorical\n  input: rows\n", nil, "model.input: a categorical model reads symbol sequences"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePlan("t.yaml", []byte(tc.spec), tc.sets)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSpecErrorType(t *testing.T) {
	_, err := ParsePlan("t.yaml", []byte(minimalSpec+"model:\n  states: 0\n"), nil)
	var se *SpecError
	if !errors.As(err, &se) || se.Line != 9 || se.Path != "model.states" {
		t.Fatalf("err = %#v, want a SpecError at line 9, path model.states", err)
	}
}

func TestSweepExpansion(t *testing.T) {
	spec := minimalSpec + "sweep:\n  window.size: [5, 20]\n  model.states: [2, 4, 8]\n  model.seed: [0, 1]\n"
	plan, err := ParsePlan("t.yaml", []byte(spec), nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Len() != 12 {
		t.Fatalf("%d points, want 12", plan.Len())
	}
	// First key varies slowest, last fastest; names are stable.
	want := []string{
		"window.size=5,model.states=2,model.seed=0",
		"window.size=5,model.states=2,model.seed=1",
		"window.size=5,model.states=4,model.seed=0",
	}
	for i, w := range want {
		if plan.Point(i).Name != w {
			t.Errorf("point %d = %s, want %s", i, plan.Point(i).Name, w)
		}
	}
	last := plan.Point(11)
	if last.Name != "window.size=20,model.states=8,model.seed=1" || last.Spec.Window.Size != 20 ||
		last.Spec.Model.States != 8 || last.Spec.Model.Seed != 1 || last.Params["model.states"] != "8" {
		t.Errorf("last point = %+v", last)
	}
}

func TestSetOverrides(t *testing.T) {
	plan, err := ParsePlan("t.yaml", []byte(minimalSpec), []string{"model.states=8", "hosts.normal=[10.0.0.8, 10.0.0.9]", "evaluate.score=loglik"})
	if err != nil {
		t.Fatal(err)
	}
	s := plan.Point(0).Spec
	if s.Model.States != 8 || len(s.Hosts.Normal) != 2 || s.Hosts.Normal[1] != "10.0.0.9" || s.Evaluate.Score != "loglik" {
		t.Fatalf("overrides not applied: %+v", s)
	}
}

func TestExperimentSpecsValidate(t *testing.T) {
	files, err := filepath.Glob("../experiments/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no experiment specs found: %v", err)
	}
	for _, f := range files {
		plan, err := LoadPlan(f, nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, d := range plan.Point(0).Spec.Data.List() {
			if _, err := resolveDataPath(f, d.Path); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
}

func TestHelpTextCoversEveryKey(t *testing.T) {
	h := HelpText()
	for _, k := range []string{"data.path", "data.sha256", "labels.exclude_classes", "hosts.profile", "discretize.compat",
		"discretize.features[].percentiles", "window.size", "window.stride", "model.states", "model.restarts",
		"evaluate.score", "reference.path", "sweep"} {
		if !strings.Contains(h, k) {
			t.Errorf("help text lacks %s", k)
		}
	}
	if strings.Contains(h, "help:") {
		t.Error("help text leaks struct tags")
	}
}

// The README's example spec must stay a valid spec.
func TestReadmeSpecExample(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "## An experiment spec")
	if start < 0 {
		t.Fatal("README has no example spec section")
	}
	block := text[start:]
	open := strings.Index(block, "```yaml\n")
	end := strings.Index(block[open+8:], "```")
	if open < 0 || end < 0 {
		t.Fatal("README example spec is not a yaml code block")
	}
	spec := block[open+8 : open+8+end]
	plan, err := ParsePlan("README.md", []byte(spec), nil)
	if err != nil {
		t.Fatalf("README example spec: %v", err)
	}
	if plan.Len() != 45 {
		t.Errorf("README example spec has %d points, want 45", plan.Len())
	}
}

// --set on a swept key narrows that axis; sweep.KEY sets or adds an axis;
// the manifest's spec is the one the points share, not the first point's.
func TestSetNarrowsSweepAxis(t *testing.T) {
	for _, tc := range []struct {
		sets     []string
		points   int
		seeds    []uint64
		narrowed []string
	}{
		{nil, 45, []uint64{0, 1, 2, 3, 4}, nil},
		{[]string{"model.seed=7"}, 9, []uint64{7}, []string{"model.seed"}},
		{[]string{"model.seed=[1,2]"}, 18, []uint64{1, 2}, []string{"model.seed"}},
		{[]string{"sweep.model.seed=[3]", "window.size=10"}, 3, []uint64{3}, []string{"model.seed", "window.size"}},
		{[]string{"sweep.model.n_iter=[5,6]"}, 90, []uint64{0, 1, 2, 3, 4}, []string{"model.n_iter"}},
	} {
		plan, err := LoadPlan("../experiments/sweep.yaml", tc.sets)
		if err != nil {
			t.Fatalf("%v: %v", tc.sets, err)
		}
		if plan.Len() != tc.points {
			t.Errorf("%v: %d points, want %d", tc.sets, plan.Len(), tc.points)
		}
		seeds := map[uint64]bool{}
		for _, p := range plan.Points() {
			seeds[p.Spec.Model.Seed] = true
		}
		for _, s := range tc.seeds {
			if !seeds[s] {
				t.Errorf("%v: no point with seed %d", tc.sets, s)
			}
		}
		if len(seeds) != len(tc.seeds) {
			t.Errorf("%v: seeds %v, want %v", tc.sets, seeds, tc.seeds)
		}
		if !slices.Equal(plan.Narrowed, tc.narrowed) {
			t.Errorf("%v: narrowed %v, want %v", tc.sets, plan.Narrowed, tc.narrowed)
		}
	}
	plan, err := LoadPlan("../experiments/sweep.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	// sweep.yaml sets no states outside its sweep: the base has the default.
	if plan.Base.Model.States != DefaultSpec().Model.States || plan.Point(0).Spec.Model.States != 2 {
		t.Errorf("base states %d, first point %d", plan.Base.Model.States, plan.Point(0).Spec.Model.States)
	}
}

// Errors in --set values name the override, not a line of the spec file.
func TestSetErrorsNameTheOverride(t *testing.T) {
	for _, tc := range []struct {
		file string
		set  string
		want string
	}{
		{"../experiments/sweep.yaml", "model.seed=abc", "--set model.seed=abc: model.seed: expected a non-negative integer"},
		{"../experiments/default.yaml", "model.states=0", "--set model.states=0: model.states: must be between 1 and 512"},
		{"../experiments/default.yaml", "model=3", "--set model=3: model: expected a mapping"},
		{"../experiments/default.yaml", "nonsense", "--set nonsense: want key=value"},
		{"../experiments/default.yaml", "sweep.experiment=[a,b]", "--set sweep.experiment=[a,b]: sweep.experiment: this key cannot be swept"},
		{"../experiments/default.yaml", "sweep=[1]", "--set sweep=[1]: set one sweep axis at a time"},
	} {
		_, err := LoadPlan(tc.file, []string{tc.set})
		var se *SpecError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &se) {
			t.Errorf("--set %s: err = %v, want a SpecError containing %q", tc.set, err, tc.want)
		}
	}
}

// The experiment name becomes a folder under the results root: names that
// would escape it, or break the "results:" line, are spec errors at the
// experiment key, from the file, from --set, or derived from the file name.
func TestExperimentNameCannotEscape(t *testing.T) {
	dir := t.TempDir()
	body := "data: {path: x.netflow}\nhosts: {profile: a, normal: [b], infected: [c]}\n"
	for _, tc := range []struct {
		file, text string
		sets       []string
	}{
		{"a.yaml", "experiment: ../../x\n" + body, nil},
		{"b.yaml", "experiment: ..\n" + body, nil},
		{"c.yaml", "experiment: \"a/b\"\n" + body, nil},
		{"d.yaml", "experiment: \"a\\nb\"\n" + body, nil},
		{"e.yaml", "experiment: \"a\\u0000b\"\n" + body, nil},
		{"f.yaml", "experiment: ok\n" + body, []string{"experiment=../x"}},
		{"...yaml", body, nil},
		{".hidden.yaml", body, nil},
	} {
		path := filepath.Join(dir, tc.file)
		os.WriteFile(path, []byte(tc.text), 0o644)
		_, err := LoadPlan(path, tc.sets)
		var se *SpecError
		if err == nil || !errors.As(err, &se) || se.Path != "experiment" || !strings.Contains(err.Error(), "invalid experiment name") {
			t.Errorf("%s %v: err = %v, want an invalid experiment name at the experiment key", tc.file, tc.sets, err)
		}
	}
	for _, name := range []string{"../x", "..", "", "a/b"} {
		if _, _, err := NewRunDir(dir, name, time.Now()); err == nil {
			t.Errorf("NewRunDir accepted %q", name)
		}
	}
	if _, _, err := NewRunDir(dir, "s10-to-s11", time.Now()); err != nil {
		t.Error(err)
	}
}

// A sweep over the limit is refused before its points are built, saying
// how many and why; the limit can be raised or lifted.
func TestMaxPoints(t *testing.T) {
	_, err := LoadPlanLimit("../experiments/sweep.yaml", nil, 44)
	var se *SpecError
	if !errors.As(err, &se) || se.Path != "sweep" || !strings.Contains(err.Error(), "45 points (window.size (3) × model.states (3) × model.seed (5)) exceed the limit of 44") {
		t.Fatalf("err = %v", err)
	}
	for _, max := range []int{45, 0} {
		if p, err := LoadPlanLimit("../experiments/sweep.yaml", nil, max); err != nil || p.Len() != 45 {
			t.Fatalf("max %d: %v", max, err)
		}
	}
	// 10^4 × 10^4 points: refused at once, without planning them.
	vals := make([]string, 10000)
	for i := range vals {
		vals[i] = strconv.Itoa(i + 1)
	}
	list := "[" + strings.Join(vals, ",") + "]"
	_, err = LoadPlan("../experiments/sweep.yaml", []string{"sweep.model.n_iter=" + list, "sweep.model.restarts=" + list})
	if err == nil || !strings.Contains(err.Error(), "exceed the limit of 10000") {
		t.Fatalf("huge sweep: %.200v", err)
	}
}

// A spec whose ROC cannot exist (no infected host besides the profiled one,
// or no normal host) is an error at validation, not a NaN AUC with exit 0,
// unless it asks for scores only.
func TestROCNeedsBothClasses(t *testing.T) {
	for _, tc := range []struct {
		sets []string
		path string
	}{
		{[]string{"hosts.infected=[147.32.84.204]"}, "hosts.infected"},
		{[]string{"hosts.infected=[]"}, "hosts.infected"},
		{[]string{"hosts.normal=[]"}, "hosts.normal"},
	} {
		_, err := LoadPlan("../experiments/default.yaml", tc.sets)
		var se *SpecError
		if !errors.As(err, &se) || se.Path != tc.path || !strings.Contains(err.Error(), "evaluate.roc: false") {
			t.Errorf("%v: err = %v, want a spec error at %s", tc.sets, err, tc.path)
		}
		if _, err := LoadPlan("../experiments/default.yaml", append(tc.sets, "evaluate.roc=false")); err != nil {
			t.Errorf("%v with evaluate.roc=false: %v", tc.sets, err)
		}
	}
}

// evaluate.decision is validated at its YAML path, takes part in the
// evaluate stage's cache key only (the model is reused), and leaves the
// keys of specs without one unchanged.
func TestDecisionSpec(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"evaluate.decision={rule: fpr, value: 2}", "evaluate.decision.value: decision value 2: want a false-positive rate"},
		{"evaluate.decision={rule: median}", "evaluate.decision.rule: decision rule \"median\""},
		{"evaluate.decision={rule: relative, value: -1}", "evaluate.decision.value"},
	} {
		if _, err := LoadPlan("../experiments/default.yaml", []string{tc.set}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.set, err, tc.want)
		}
	}
	none, named := defaultKeys(t), defaultKeys(t, "evaluate.decision.rule=none")
	fpr, fixed := defaultKeys(t, "evaluate.decision={rule: fpr, value: 0.1}"), defaultKeys(t, "evaluate.decision={rule: fixed, value: -5}")
	if none.evaluate.ID != named.evaluate.ID {
		t.Error("rule: none changed the evaluate key")
	}
	if fpr.train.ID != none.train.ID || fpr.evaluate.ID == none.evaluate.ID || fpr.evaluate.ID == fixed.evaluate.ID {
		t.Error("a decision rule must change the evaluate key and only it")
	}
}

// The stage keys are built from the parameters the stages run with: a
// field the stage reads changes its key and every later key, one it does
// not (hmm's Workers) changes none.
func TestKeysFollowStageParams(t *testing.T) {
	plan, err := LoadPlan("../experiments/default.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{sources: []SourceFile{{SHA256: strings.Repeat("a", 64)}}}
	base := paramsOf(firstSpec(plan))
	keys := func(edit func(sp *stageParams)) stageKeys {
		sp := paramsOf(firstSpec(plan))
		edit(sp)
		k, err := r.keys(sp)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k0 := keys(func(*stageParams) {})
	if k := keys(func(sp *stageParams) { sp.train.Model.Workers = base.train.Model.Workers + 7; sp.evaluate.Workers = 9 }); k.evaluate != k0.evaluate {
		t.Error("workers change a key")
	}
	k := keys(func(sp *stageParams) { sp.window.Stride = 2 })
	if k.discretize != k0.discretize || k.window == k0.window || k.train == k0.train || k.evaluate == k0.evaluate {
		t.Error("window.stride: want the window key and the later ones changed, discretize's not")
	}
	k = keys(func(sp *stageParams) { sp.filter.Exclude = []string{"x"} })
	if k.load[0] == k0.load[0] || k.evaluate == k0.evaluate {
		t.Error("the pushed-down filter does not change the load key")
	}
	k = keys(func(sp *stageParams) { sp.evaluate.Hosts = sp.evaluate.Hosts[:3] })
	if k.train != k0.train || k.evaluate == k0.evaluate {
		t.Error("evaluate's hosts: want only the evaluate key changed")
	}
}

// A stage's own Validate runs at spec validation, on the values it will
// run with, and its error names the spec section.
func TestStageValidateAtSpec(t *testing.T) {
	s := DefaultSpec()
	s.Experiment, s.Data.Path = "t", "x"
	s.Hosts = HostsSpec{Profile: HostList{"a"}, Normal: []string{"b"}, Infected: []string{"c"}}
	s.Model.Kind, s.Model.Input = "categorical", "rows"
	v := validator{file: "t.yaml"}
	paramsOf(&s).validate(&s, &v)
	var se *SpecError
	if !errors.As(v.err, &se) || se.Path != "model" || !strings.Contains(se.Msg, "stage train: a categorical model reads symbol sequences") {
		t.Errorf("err = %v, want stage train's error at model", v.err)
	}
}

// An override that fails validation in a sweep point names the override,
// not the spec file: the point's wrapper used to freeze the message before
// the error was attributed ("sweep point …: t.yaml: model.states: …"), and
// a key the override added had no line to attribute by.
func TestSetErrorsNameTheOverrideInSweeps(t *testing.T) {
	spec := minimalSpec + "sweep:\n  model.seed: [0, 1]\n"
	for set, want := range map[string]string{
		"model.states=0":             "sweep point model.seed=0: --set model.states=0: model.states:",
		"window={size: 10, nope: 1}": "--set window={size: 10, nope: 1}: window.nope: unknown key",
		"data[1].sha256=00":          "--set data[1].sha256=00: data[1]: unknown key",
	} {
		_, err := ParsePlan("t.yaml", []byte(spec), []string{set})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "t.yaml") {
			t.Errorf("--set %s: %v, want %q and no t.yaml", set, err, want)
		}
	}
}

// botprof run --help states each key's default once: model.order said
// "1..8 [default 1] [default 1]", its help text and DefaultSpec both
// giving it.
func TestHelpTextDefaultOnce(t *testing.T) {
	for _, l := range strings.Split(HelpText(), "\n") {
		if strings.Count(l, "[default") > 1 {
			t.Errorf("default given twice: %s", l)
		}
	}
}

// A decision value without a rule was dropped silently (no confusion
// matrix, no warning); it is an error at evaluate.decision.value, as a
// smoothing alpha without its kind is. An explicit rule none keeps a
// sweep over rules with one value possible.
func TestDecisionValueWithoutRule(t *testing.T) {
	_, err := LoadPlan("../experiments/default.yaml", []string{"evaluate.decision={value: 3}"})
	if want := "evaluate.decision.value: set evaluate.decision.rule"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
	for _, sets := range [][]string{{"evaluate.decision={rule: none}"},
		{"sweep.evaluate.decision.rule=[none, fixed]", "evaluate.decision.value=-20"}} {
		if _, err := LoadPlan("../experiments/default.yaml", sets); err != nil {
			t.Errorf("%v: %v", sets, err)
		}
	}
}

// A model number that is not finite is an error at its own key, naming
// the --set it came from: model.tol=.inf passed validation and failed the
// point ("cache key train: params: json: unsupported value: +Inf",
// leaving a .partial folder), and the other keys were blamed on the
// spec's model section ("default.yaml:25: model: hmm: config tol = NaN").
func TestModelNumbersFinite(t *testing.T) {
	for _, key := range []string{"model.tol", "model.min_covar", "model.startprob_prior", "model.transmat_prior",
		"model.means_prior", "model.means_weight", "model.covars_prior", "model.covars_weight", "model.emission_prior"} {
		for _, v := range []string{".inf", ".nan"} {
			set := key + "=" + v
			_, err := LoadPlan("../experiments/default.yaml", []string{set})
			if want := "--set " + set + ": " + key + ": must be a finite number"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err = %v, want %q", set, err, want)
			}
		}
	}
}

// The relative rule needs one profiled host: with a list, s_p was the
// score of the last one listed, so reordering hosts.profile moved the
// threshold (-3.4331 for [.204, .205], -3.3244 for [.205, .204]).
func TestDecisionRelativeOneProfile(t *testing.T) {
	sets := []string{"hosts.profile=[147.32.84.204, 147.32.84.205]", "evaluate.decision={rule: relative, value: 0.05}"}
	_, err := LoadPlan("../experiments/default.yaml", sets)
	if want := "evaluate.decision.rule: relative: the threshold is relative to the profiled host's score, and hosts.profile lists 2 hosts"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
	if _, err := LoadPlan("../experiments/default.yaml", sets[1:]); err != nil {
		t.Errorf("one profiled host: %v", err)
	}
}

// fit_on's modes are not hosts: a list that names one was taken as host
// names and failed the point ("stage discretize: profiled host profile,
// all has no flows", exit 1); it is a spec error at its item.
func TestFitOnModeInList(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"discretize.fit_on=[profile, all]", `discretize.fit_on[0]: "profile" is not a host: write fit_on: profile on its own`},
		{"discretize.fit_on=[147.32.84.204, all]", `discretize.fit_on[1]: "all" is not a host`},
	} {
		if _, err := LoadPlan("../experiments/default.yaml", []string{tc.set}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.set, err, tc.want)
		}
	}
	for _, set := range []string{"discretize.fit_on=all", "discretize.fit_on=[all]", "discretize.fit_on=[147.32.84.204, 147.32.84.205]"} {
		if _, err := LoadPlan("../experiments/default.yaml", []string{set}); err != nil {
			t.Errorf("%s: %v", set, err)
		}
	}
}

// The reference folder is checked when the plan is made: a reference.path
// that is no results folder, or a reference.point it does not have, failed
// only after the whole run (exit 1, no line, a .partial folder left), and
// a reference.point without reference.path was ignored.
func TestReferenceCheckedAtPlan(t *testing.T) {
	nb := "../experiments/notebook.yaml"
	for _, tc := range []struct {
		file string
		sets []string
		want string
	}{
		{nb, []string{"reference.path=nope"}, "--set reference.path=nope: reference.path: nope is not a results folder with scores: no such folder"},
		{nb, []string{"reference.path=../experiments"}, "--set reference.path=../experiments: reference.path: ../experiments is not a results folder with scores: open"},
		{nb, []string{"reference.point=zzz"}, `--set reference.point=zzz: reference.point: ../results/reference/notebook has no point "zzz" (points there: source=published, fit=204,model.seed=0,`},
		{nb, []string{"sweep.reference.point=[source=published, zzz]"}, `sweep point reference.point=zzz: --set sweep.reference.point=[source=published, zzz]: reference.point: ../results/reference/notebook has no point "zzz"`},
		{"../experiments/default.yaml", []string{"reference.point=x"}, "--set reference.point=x: reference.point: applies to a reference folder: set reference.path too"},
	} {
		_, err := LoadPlan(tc.file, tc.sets)
		var se *SpecError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &se) {
			t.Errorf("%v: err = %v, want a spec error %q", tc.sets, err, tc.want)
		}
	}
	text := strings.Replace(minimalSpec, "experiment: t\n", "experiment: t\nreference:\n  path: no/such/folder\n", 1)
	if _, err := ParsePlan("x/t.yaml", []byte(text), nil); err == nil || !strings.HasPrefix(err.Error(), "x/t.yaml:3: reference.path: no/such/folder is not a results folder") {
		t.Errorf("err = %v, want it at x/t.yaml:3", err)
	}
	for _, sets := range [][]string{nil, {"reference.point=source=published"}, {"sweep.reference.point=[source=published, 'fit=209,model.seed=3']"}} {
		if _, err := LoadPlan(nb, sets); err != nil {
			t.Errorf("%v: %v", sets, err)
		}
	}
}

// A required value left out was decoded as 0 without a word: additive
// smoothing without alpha added nothing, a decision rule without value
// thresholded at 0. It is an error at the key that needs it; an explicit
// 0 stays legal.
func TestMissingRequiredValue(t *testing.T) {
	for _, tc := range []struct {
		text string
		sets []string
		want string
	}{
		{minimalSpec + "model:\n  kind: markov\n  smoothing:\n    kind: additive\n", nil,
			"t.yaml:11: model.smoothing.alpha: missing: additive smoothing needs the pseudo-count alpha (1 is Laplace)"},
		{minimalSpec, []string{"model.smoothing={kind: additive}"},
			"--set model.smoothing={kind: additive}: model.smoothing.alpha: missing: additive smoothing needs the pseudo-count alpha"},
		{minimalSpec + "evaluate:\n  decision: {rule: fixed}\n", nil,
			"t.yaml:9: evaluate.decision.value: missing: rule fixed needs a value (the score threshold)"},
		{minimalSpec + "evaluate:\n  decision: {rule: none}\n", []string{"evaluate.decision.rule=fpr"},
			"--set evaluate.decision.rule=fpr: evaluate.decision.value: missing: rule fpr needs a value (the false-positive rate)"},
		{minimalSpec + "sweep:\n  evaluate.decision.rule: [none, relative]\n", nil,
			"sweep point evaluate.decision.rule=relative: t.yaml:9: evaluate.decision.value: missing: rule relative needs a value"},
	} {
		_, err := ParsePlan("t.yaml", []byte(tc.text), tc.sets)
		var se *SpecError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &se) {
			t.Errorf("%q %v: err = %v, want %q", tc.text[len(minimalSpec):], tc.sets, err, tc.want)
		}
	}
	for _, sets := range [][]string{{"model.smoothing={kind: additive, alpha: 0}"}, {"evaluate.decision={rule: fixed, value: 0}"},
		{"evaluate.decision.rule=fpr", "evaluate.decision.value=0"}, {"sweep.evaluate.decision.rule=[none, fixed]", "sweep.evaluate.decision.value=[0]"}} {
		if _, err := ParsePlan("t.yaml", []byte(minimalSpec), sets); err != nil {
			t.Errorf("%v: %v", sets, err)
		}
	}
}

// Of two host lists that conflict, the one a --set override gave is
// blamed: --set hosts.normal=[.165] on default.yaml said
// "default.yaml:15: hosts.infected[0]: ... already listed at
// hosts.normal[0]", a line of the file the user had not changed.
func TestConflictBlamesTheOverride(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"hosts.normal=[147.32.84.165]", "--set hosts.normal=[147.32.84.165]: hosts.normal[0]: host 147.32.84.165 is also listed at hosts.infected[0]"},
		{"hosts.normal=[1.1.1.1, 147.32.84.204]", "--set hosts.normal=[1.1.1.1, 147.32.84.204]: hosts.normal[1]: host 147.32.84.204 is the profiled host (hosts.profile), which is infected"},
		// The file's value is the later one: blamed as before.
		{"hosts.infected=[147.32.84.170]", "--set hosts.infected=[147.32.84.170]: hosts.infected[0]: host 147.32.84.170 is already listed at hosts.normal[0]"},
		{"hosts.profile=147.32.84.170", "--set hosts.profile=147.32.84.170: hosts.profile: the profiled host 147.32.84.170 is listed as normal"},
	} {
		if _, err := LoadPlan("../experiments/default.yaml", []string{tc.set}); err == nil || err.Error() != tc.want {
			t.Errorf("%s: err = %v, want %q", tc.set, err, tc.want)
		}
	}
	text := strings.Replace(minimalSpec, "infected: [10.0.0.3]", "infected: [10.0.0.2]", 1)
	if _, err := ParsePlan("t.yaml", []byte(text), nil); err == nil || err.Error() != "t.yaml:7: hosts.infected[0]: host 10.0.0.2 is already listed at hosts.normal[0]" {
		t.Errorf("in the file: %v", err)
	}
}

// A sweep key that names no spec key is an error at the sweep's key: it
// was named by its spec path ("model.bogus: unknown key"), a key the spec
// does not have, leaving the reader to find the sweep entry.
func TestUnknownSweepKeyNamedInSweep(t *testing.T) {
	text := minimalSpec + "sweep:\n  window.size: [3]\n  model.bogus: [1, 2]\n"
	_, err := ParsePlan("t.yaml", []byte(text), nil)
	if want := "t.yaml:10: sweep.model.bogus: unknown key model.bogus (known keys of model: kind, states,"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want %q…", err, want)
	}
	_, err = ParsePlan("t.yaml", []byte(minimalSpec), []string{"sweep.bogus=[1]"})
	if want := "--set sweep.bogus=[1]: sweep.bogus: unknown key bogus (known keys here: experiment, description, data,"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want %q…", err, want)
	}
	// Below a list or a scalar only the value's decoding can tell.
	for _, sets := range [][]string{{"sweep.hosts.profile=[10.0.0.1]"}, {"sweep.model.smoothing.alpha=[1]", "model.smoothing.kind=additive"}} {
		if _, err := ParsePlan("t.yaml", []byte(minimalSpec), sets); err != nil {
			t.Errorf("%v: %v", sets, err)
		}
	}
}

// A tab in a spec's indentation said "found character that cannot start
// any token" (or named the line before), without the word tab.
func TestTabIndentation(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string
	}{
		{"experiment: t\ndata:\n\tpath: x\n", "t.yaml:3: tab characters are not allowed for indentation in YAML"},
		{"experiment: t\ndata:\n  path: x\nhosts:\n  profile: a\n\t\n  normal: [b]\n", "t.yaml:6: tab characters are not allowed for indentation in YAML"},
		{"experiment: t\ndata: [\n", "t.yaml: not valid YAML: line 2:"},
	} {
		_, err := ParsePlan("t.yaml", []byte(tc.text), nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q…", tc.text, err, tc.want)
		}
	}
	_, err := ParsePlan("t.yaml", []byte(minimalSpec), []string{"hosts.normal=\n\t- a"})
	if want := "--set hosts.normal=\n\t- a: value line 2: tab characters are not allowed for indentation in YAML"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("--set: err = %v, want %q…", err, want)
	}
}

// Every key that names hosts takes IP addresses: a host such as 999.1.1.1
// or not-an-ip passed validate and plan and was scored as a host without
// flows (insufficient data, exit 0).
func TestHostsAreAddresses(t *testing.T) {
	sources := "experiment: t\ndata:\n  - {name: a, path: x.netflow}\n  - {name: b, path: y.netflow}\nhosts:\n  profile: a:10.0.0.1\n  normal: [b:10.0.0.2]\n  infected: [b:10.0.0.3]\n"
	for _, tc := range []struct {
		spec string
		sets []string
		want string
	}{
		{strings.Replace(minimalSpec, "profile: 10.0.0.1", "profile: 999.1.1.1", 1), nil, `t.yaml:5: hosts.profile: "999.1.1.1" is not an IPv4 or IPv6 address`},
		{strings.Replace(minimalSpec, "normal: [10.0.0.2]", "normal: [10.0.0.2, not-an-ip]", 1), nil, `t.yaml:6: hosts.normal[1]: "not-an-ip" is not an IPv4 or IPv6 address`},
		{strings.Replace(minimalSpec, "infected: [10.0.0.3]", "infected: [10.0.0.3,\n    1.2.3]", 1), nil, `t.yaml:8: hosts.infected[1]: "1.2.3" is not an IPv4 or IPv6 address`},
		{minimalSpec + "discretize:\n  fit_on: [10.0.0.1, 10.0.0.256]\n", nil, `t.yaml:9: discretize.fit_on[1]: "10.0.0.256" is not an IPv4 or IPv6 address`},
		{minimalSpec + "discretize:\n  fit_host: 10.0.0.1/24\n", nil, `t.yaml:9: discretize.fit_host: "10.0.0.1/24" is not an IPv4 or IPv6 address`},
		{minimalSpec, []string{"hosts.profile=[10.0.0.1, x]"}, `--set hosts.profile=[10.0.0.1, x]: hosts.profile[1]: "x" is not an IPv4 or IPv6 address`},
		{minimalSpec + "sweep:\n  hosts.profile: [10.0.0.1, 10.0.0.1.1]\n", nil, `sweep point hosts.profile=10.0.0.1.1: t.yaml:9: hosts.profile: "10.0.0.1.1" is not an IPv4 or IPv6 address`},
		{strings.Replace(sources, "  - {name: b, path: y.netflow}\n", "", 1), []string{"hosts.normal=[b:10.0.0.2]"}, `--set hosts.normal=[b:10.0.0.2]: hosts.normal[0]: host "b:10.0.0.2": no data source is named b (sources: a)`},
		{sources, []string{"hosts.normal=[b:10.0.0.2, b:zz]"}, `--set hosts.normal=[b:10.0.0.2, b:zz]: hosts.normal[1]: host "b:zz": "zz" is not an IPv4 or IPv6 address`},
	} {
		_, err := ParsePlan("t.yaml", []byte(tc.spec), tc.sets)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q %v:\nerr  %v\nwant %s", tc.spec, tc.sets, err, tc.want)
		}
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("%v: not a SpecError (exit 2)", err)
		}
	}
	// IPv6 and source-prefixed hosts are addresses.
	for _, spec := range []string{
		strings.Replace(minimalSpec, "profile: 10.0.0.1", `profile: "fe80::1"`, 1),
		sources,
		strings.Replace(sources, "profile: a:10.0.0.1", `profile: "a:2001:db8::1"`, 1),
	} {
		if _, err := ParsePlan("t.yaml", []byte(spec), nil); err != nil {
			t.Errorf("%q: %v", spec, err)
		}
	}
}

// Every rule between two keys blames the --set override when the other
// key is fixed in the file (TestConflictBlamesTheOverride has the host
// lists): each of these blamed the file's line of the key the user had
// not changed.
func TestTwoKeyRulesBlameTheOverride(t *testing.T) {
	spanSpec := minimalSpec + "window:\n  span: 20ms\nmodel:\n  kind: categorical\n"
	for _, tc := range []struct {
		spec string
		set  string
		want string // the error's start
	}{
		{minimalSpec + "evaluate:\n  decision: {rule: relative, value: 0.1}\n", "hosts.profile=[10.0.0.1, 10.0.0.4]",
			"--set hosts.profile=[10.0.0.1, 10.0.0.4]: hosts.profile: relative: the threshold is relative to the profiled host's score, and hosts.profile lists 2 hosts"},
		{minimalSpec + "discretize:\n  fit_host: 10.0.0.1\n", "discretize.fit_on=[10.0.0.2]",
			"--set discretize.fit_on=[10.0.0.2]: discretize.fit_on: fit_host and a fit_on host list both name the fit hosts"},
		{minimalSpec + "discretize:\n  features:\n    - {column: bytes, kind: percentile, percentiles: [50]}\n", "discretize.compat=notebook",
			"--set discretize.compat=notebook: discretize.compat: compat notebook reproduces the notebook's two features"},
		{minimalSpec + "discretize:\n  fit_on: all\n  features:\n    - {column: proto, kind: category}\n    - {column: bytes, kind: percentile, percentiles: [50]}\n", "discretize.compat=notebook",
			"--set discretize.compat=notebook: discretize.compat: compat notebook fits on the profiled host"},
		{minimalSpec + "window:\n  stride: 2\n", "window.compat=notebook",
			"--set window.compat=notebook: window.compat: compat notebook slides by one flow; stride must be 1, got 2"},
		{minimalSpec + "model:\n  input: rows\n", "model.kind=categorical",
			"--set model.kind=categorical: model.kind: a categorical model reads symbol sequences"},
		{minimalSpec + "model:\n  kind: markov\n  smoothing: {kind: additive, alpha: 1}\n", "model.smoothing.kind=none",
			`--set model.smoothing.kind=none: model.smoothing.kind: a pseudo-count alpha needs model.smoothing.kind: additive (kind is "none")`},
		{minimalSpec + "evaluate:\n  select: f1\n  decision: {rule: fpr, value: 0}\n", "evaluate.decision.rule=none",
			"--set evaluate.decision.rule=none: evaluate.decision.rule: f1 comes from a decision rule"},
		{minimalSpec + "window:\n  size: 5\nmodel:\n  kind: categorical\n", "window.span=1s",
			"--set window.span=1s: window.span: time windows (window.span) have no size"},
		{spanSpec, "model.kind=gaussian", "--set model.kind=gaussian: model.kind: time windows vary in length"},
		{spanSpec, "model.input=rows", "--set model.input=rows: model.input: "},
		{minimalSpec, "hosts.profile=10.0.0.3",
			"--set hosts.profile=10.0.0.3: hosts.profile: no infected host besides the profiled one"},
	} {
		_, err := ParsePlan("t.yaml", []byte(tc.spec), []string{tc.set})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("--set %s:\nerr  %v\nwant %s…", tc.set, err, tc.want)
		}
	}
	// The file's own conflicts are blamed where they were.
	for _, tc := range []struct{ spec, want string }{
		{minimalSpec + "window:\n  compat: notebook\n  stride: 2\n", "t.yaml:10: window.stride: compat notebook slides by one flow"},
		{minimalSpec + "model:\n  kind: categorical\n  input: rows\n", "t.yaml:10: model.input: a categorical model reads symbol sequences"},
	} {
		if _, err := ParsePlan("t.yaml", []byte(tc.spec), nil); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("err %v, want %s…", err, tc.want)
		}
	}
}
