package runfolder

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// A manifest written and read back is the same manifest, its typed spec
// read as generic JSON.
func TestManifestRoundTrip(t *testing.T) {
	type spec struct {
		Window struct {
			Size int `json:"size"`
		} `json:"window"`
	}
	var s spec
	s.Window.Size = 10
	raw := json.RawMessage(`{"window":{"size":10}}`)
	m := Manifest{Format: FormatVersion, BotprofVersion: "0.1.0", Experiment: "x", RunID: "20261205T000000.000Z",
		SpecPath: "experiments/x.yaml", Sets: []string{"model.seed=1"}, SpecText: "experiment: x\n", Spec: s,
		NarrowedAxes: []string{"model.seed"}, Sweep: Sweep{"window.size": {"5", "10"}}, SweepOrder: []string{"window.size"},
		Data: Data{"d.zst", "abc"}, Git: Git{"c0ffee", true}, GoVersion: "go1.26", Modules: map[string]string{"m": "v1"},
		Started: "2026-12-05T00:00:00Z", WallSeconds: 1.5,
		Points: []ManifestPoint{{Name: "window.size=5", Params: Params{"window.size": "5"}, Spec: raw, Seed: seed(3), Status: "ok",
			Stages: []StageRecord{{Stage: "train", Key: "k", Cached: true, Seconds: 0.25, Changed: []string{"model.seed"}}}}}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Manifest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	generic := map[string]any{"window": map[string]any{"size": 10.0}}
	if !reflect.DeepEqual(back.SpecMap(), generic) || string(back.Points[0].Spec) != string(raw) {
		t.Errorf("spec read back as %v / %s", back.Spec, back.Points[0].Spec)
	}
	back.Spec = s
	if !reflect.DeepEqual(back, m) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, m)
	}
}

// Folders of format 1 wrote sweep values and params as JSON numbers: a
// reader gets their canonical text; objects or arrays are an error.
func TestParamsScalars(t *testing.T) {
	var p ManifestPoint
	if err := json.Unmarshal([]byte(`{"params":{"window.size":10,"model.cov":"diag","x":0.5,"b":true,"big":1e6},"seed":2}`), &p); err != nil {
		t.Fatal(err)
	}
	want := Params{"window.size": "10", "model.cov": "diag", "x": "0.5", "b": "true", "big": "1e+06"}
	if !reflect.DeepEqual(p.Params, want) || p.Seed == nil || *p.Seed != 2 {
		t.Errorf("params %v seed %d, want %v 2", p.Params, p.Seed, want)
	}
	var s Sweep
	if err := json.Unmarshal([]byte(`{"model.states":[2,4,8]}`), &s); err != nil || !reflect.DeepEqual(s, Sweep{"model.states": {"2", "4", "8"}}) {
		t.Errorf("sweep %v, %v", s, err)
	}
	for _, bad := range []string{`{"params":{"a":{"b":1}}}`, `{"params":{"a":[1]}}`} {
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if err := json.Unmarshal([]byte(`{"s":[[1]]}`), &s); err == nil {
		t.Error("nested sweep value: no error")
	}
}

func seed(s uint64) *uint64 { return &s }

// A seed that is not known (a reference folder's published scores) is
// null, and reads back as nil.
func TestSeedNull(t *testing.T) {
	var p ManifestPoint
	if err := json.Unmarshal([]byte(`{"name":"source=published","seed":null}`), &p); err != nil || p.Seed != nil {
		t.Errorf("seed %v, %v", p.Seed, err)
	}
	b, _ := json.Marshal(MetricsPoint{Point: "p"})
	if !strings.Contains(string(b), `"seed":null`) {
		t.Errorf("%s", b)
	}
}
