package pipeline

import (
	"strings"
	"testing"
)

// evaluate.normalize is validated at its YAML path and line, takes part in
// the evaluate stage's cache key only (the model is reused), and none, the
// default, leaves the keys unchanged.
func TestNormalizeSpec(t *testing.T) {
	_, err := ParsePlan("t.yaml", []byte(minimalSpec+"evaluate:\n  normalize: per_host\n"), nil)
	if err == nil || !strings.Contains(err.Error(), `t.yaml:9`) || !strings.Contains(err.Error(), `evaluate.normalize: "per_host" is not one of`) {
		t.Errorf("err = %v", err)
	}
	def, none := defaultKeys(t), defaultKeys(t, "evaluate.normalize=none")
	win, flow := defaultKeys(t, "evaluate.normalize=per_window"), defaultKeys(t, "evaluate.normalize=per_flow")
	if def.evaluate.ID != none.evaluate.ID {
		t.Error("normalize: none changed a key")
	}
	if flow.train.ID != def.train.ID || flow.evaluate.ID == def.evaluate.ID || flow.evaluate.ID == win.evaluate.ID || win.evaluate.ID == def.evaluate.ID {
		t.Error("normalize must change the evaluate key and only it")
	}
}

// defaultKeys are the stage keys of experiments/default.yaml's first point
// with sets applied.
func defaultKeys(t *testing.T, sets ...string) stageKeys {
	t.Helper()
	plan, err := LoadPlan("../experiments/default.yaml", sets)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{sources: []SourceFile{{SHA256: strings.Repeat("a", 64)}}}
	k, err := r.keysOf(firstSpec(plan))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
