package runfolder

import (
	"encoding/json"
	"math"
	"testing"
)

// A host score survives JSON: undefined scores as null, -Inf as "-inf".
func TestHostScoreJSON(t *testing.T) {
	v, inf := 1.5, math.Inf(-1)
	h := HostScore{Host: "a", Class: "normal", Status: StatusZeroProbability, Flows: 3, Windows: 1, Viterbi: &v, LogLik: &inf}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"host":"a","class":"normal","status":"zero_probability","flows":3,"windows":1,"viterbi":1.5,"loglik":"-inf","loglik_per_window":null}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	var back HostScore
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if *back.Viterbi != 1.5 || !math.IsInf(*back.LogLik, -1) || back.LogLikPerWindow != nil || back.Score("loglik") != back.LogLik {
		t.Errorf("round trip: %+v", back)
	}
}
