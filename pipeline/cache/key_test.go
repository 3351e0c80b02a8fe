package cache

import (
	"math"
	"strings"
	"testing"
)

// fixedKey is a description whose hash must never change by accident: a
// changed ID silently invalidates every user's cache (or, worse, a changed
// description that keeps old IDs would serve stale results).
func fixedKey(t *testing.T) Key {
	t.Helper()
	codes := Key{ID: strings.Repeat("3f2a", 16)}
	k, err := NewKey("window", 2).
		Param("window.size", 10).
		Param("window.compat", "").
		Input("codes", codes).
		File("data", strings.Repeat("ab", 32)).
		Key()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyKnownAnswer(t *testing.T) {
	k := fixedKey(t)
	const wantDesc = "botprof-cache v2\n" +
		"stage window\n" +
		"version 2\n" +
		"file data=abababababababababababababababababababababababababababababababab\n" +
		"input codes=3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a\n" +
		"param window.compat=\"\"\n" +
		"param window.size=10\n"
	// sha256 of wantDesc, computed outside Go: printf '%s' "$wantDesc" | sha256sum
	const wantID = "60c19b228d3327cd58e0cdda9bafe6ecf963d347cd6f20a2f7b479fff35d67f8"
	if k.Desc != wantDesc {
		t.Errorf("Desc =\n%s\nwant\n%s", k.Desc, wantDesc)
	}
	if k.ID != wantID {
		t.Errorf("ID = %s, want %s", k.ID, wantID)
	}
	if k.Stage() != "window" || k.Short() != wantID[:12] {
		t.Errorf("Stage, Short = %q, %q", k.Stage(), k.Short())
	}
}

func TestKeyCanonicalParams(t *testing.T) {
	type feature struct {
		Kind        string    `json:"kind"`
		Column      string    `json:"column"`
		Percentiles []float64 `json:"percentiles"`
	}
	a, err := NewKey("discretize", 1).
		Param("features", []feature{{"percentile", "bytes", []float64{25, 50}}}).
		Param("fit_on", "profile").
		Key()
	if err != nil {
		t.Fatal(err)
	}
	// Same value as a map, parameters in another order.
	b, err := NewKey("discretize", 1).
		Param("fit_on", "profile").
		Param("features", []map[string]any{{"percentiles": []float64{25, 50}, "kind": "percentile", "column": "bytes"}}).
		Key()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("struct and map params differ:\n%s\n%s", a.Desc, b.Desc)
	}
	if !strings.Contains(a.Desc, `param features=[{"column":"bytes","kind":"percentile","percentiles":[25,50]}]`) {
		t.Errorf("features not canonical:\n%s", a.Desc)
	}
	c, _ := NewKey("discretize", 2).Param("fit_on", "profile").Param("features", []feature{{"percentile", "bytes", []float64{25, 50}}}).Key()
	if c.ID == a.ID {
		t.Error("stage version does not change the key")
	}
}

func TestKeyErrors(t *testing.T) {
	sha := strings.Repeat("0", 64)
	for _, tc := range []struct {
		name string
		b    *KeyBuilder
		want string
	}{
		{"nan", NewKey("train", 1).Param("tol", math.NaN()), "param tol"},
		{"chan", NewKey("train", 1).Param("c", make(chan int)), "param c"},
		{"name with =", NewKey("train", 1).Param("a=b", 1), `"a=b"`},
		{"name with newline", NewKey("train", 1).Param("a\nb", 1), "line break"},
		{"empty stage", NewKey("", 1), "empty name"},
		{"twice", NewKey("train", 1).Param("seed", 1).Param("seed", 2), "given twice"},
		{"bad input", NewKey("train", 1).Input("codes", Key{ID: "xyz"}), "not a key id"},
		{"bad sha", NewKey("load", 1).File("data", "ABC"), "not a hex sha256"},
		{"first error kept", NewKey("train", 1).File("data", "x").Param("seed", 1).Param("seed", 1), "file data"},
		{"ok", NewKey("load", 1).File("data", sha), ""},
	} {
		_, err := tc.b.Key()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// Params adds one parameter per field: the same key as Param per field,
// and a field tagged json:"-" stays out of it.
func TestKeyParams(t *testing.T) {
	type params struct {
		FitOn    string   `json:"fit_on"`
		Hosts    []string `json:"hosts"`
		Workers  int      `json:"-"`
		Optional string   `json:"optional,omitempty"`
	}
	a, err := NewKey("discretize", 1).Params(params{FitOn: "profile", Hosts: []string{"A"}, Workers: 4}).Key()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewKey("discretize", 1).Param("hosts", []string{"A"}).Param("fit_on", "profile").Key()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("Params differs from Param per field:\n%s\n%s", a.Desc, b.Desc)
	}
	if _, err := NewKey("x", 1).Params(params{}).Param("fit_on", "all").Key(); err == nil {
		t.Error("a field given twice is not an error")
	}
	if _, err := NewKey("x", 1).Params([]int{1}).Key(); err == nil {
		t.Error("params that are not an object are not an error")
	}
}
