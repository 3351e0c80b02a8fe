package runfolder

import (
	"encoding/json"
	"math"
	"testing"
)

func TestFloatRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		json string
	}{
		{1.5, "1.5"}, {0, "0"}, {-2e-300, "-2e-300"},
		{math.NaN(), "null"}, {math.Inf(1), `"inf"`}, {math.Inf(-1), `"-inf"`},
	} {
		b, err := json.Marshal(Float(tc.v))
		if err != nil || string(b) != tc.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.v, b, err, tc.json)
		}
		var back Float
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := float64(back); got != tc.v && !(math.IsNaN(got) && math.IsNaN(tc.v)) {
			t.Errorf("round trip of %v gave %v", tc.v, got)
		}
	}
	var f Float
	if err := json.Unmarshal([]byte(`"-infinity"`), &f); err == nil {
		t.Error(`"-infinity" accepted`)
	}
	// A map of them, as metrics.json holds.
	var m map[string]*Float
	if err := json.Unmarshal([]byte(`{"auc":0.5,"margin":"-inf","x":null}`), &m); err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(float64(*m["margin"]), -1) || *m["auc"] != 0.5 {
		t.Errorf("map: %v", m)
	}
}
