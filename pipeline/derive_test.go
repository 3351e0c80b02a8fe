package pipeline

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
	"botprof/stages/derive"
)

// derivedSpec is smallSpec with bytes per packet in place of bytes.
var derivedSpec = strings.Replace(smallSpec, "{column: bytes, kind: percentile", "{column: bytes_per_packet, kind: percentile", 1)

// stagesOf lists one point's stages as "stage=ran|hit", in record order.
func stagesOf(pr PointResult) []string {
	var out []string
	for _, s := range pr.Stages {
		st := "ran"
		if s.Cached {
			st = "hit"
		}
		out = append(out, s.Stage+"="+st)
	}
	return out
}

// The derived columns are their own stage, with its own cache entry: a
// second run of a spec with bytes_per_packet whose discretize (and later)
// entries are gone hits derive's entry, and its results are those of the
// first run and of a run without a cache.
func TestDeriveStageCached(t *testing.T) {
	spec := writeSpec(t, derivedSpec)
	_, dir0 := runSpec(t, spec, nil, Options{})
	cacheDir := t.TempDir()
	first, dir1 := runSpec(t, spec, nil, Options{CacheDir: cacheDir})
	want := []string{"load=ran", "derive=ran", "discretize=ran", "window=ran", "train=ran", "evaluate=ran"}
	if got := stagesOf(first.Points[0]); !slices.Equal(got, want) {
		t.Errorf("first run: stages %v, want %v", got, want)
	}
	sameResultFiles(t, dir0, dir1)

	c, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{plan: first.Plan, sources: first.Sources}
	keys, err := r.keysOf(firstSpec(first.Plan))
	if err != nil {
		t.Fatal(err)
	}
	e, reason := c.Get(keys.derive)
	if e == nil {
		t.Fatalf("no derive entry: %s", reason)
	}
	rec, err := cache.ReadArrow(e.Path("derived.arrow"), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range rec.Schema().Fields() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "line "+derive.BytesPerPacket || rec.NumRows() == 0 {
		t.Errorf("derived.arrow: columns %s, %d rows", got, rec.NumRows())
	}
	rec.Release()
	if !strings.Contains(keys.discretize.Desc, "input derived="+keys.derive.ID) {
		t.Errorf("discretize's key does not name derive's:\n%s", keys.discretize.Desc)
	}

	for _, k := range []cache.Key{keys.discretize, keys.window, keys.train, keys.evaluate} {
		if err := c.Remove(k.ID); err != nil {
			t.Fatal(err)
		}
	}
	var explain bytes.Buffer
	second, dir2 := runSpec(t, spec, nil, Options{CacheDir: cacheDir, Explain: &explain})
	want = []string{"load=hit", "derive=hit", "discretize=ran", "window=ran", "train=ran", "evaluate=ran"}
	if got := stagesOf(second.Points[0]); !slices.Equal(got, want) {
		t.Errorf("second run: stages %v, want %v", got, want)
	}
	if !regexp.MustCompile(`(?m)^base +derive +` + keys.derive.Short() + ` cache hit$`).MatchString(explain.String()) {
		t.Errorf("--explain does not list the derive hit:\n%s", explain.String())
	}
	sameResultFiles(t, dir1, dir2)
}

// Changing how a derived feature is discretized hits derive's entry and
// misses discretize's; changing the derived column itself re-runs derive
// and what follows, not load (when the column reads the same flow
// columns); a spec without derived columns has no derive stage.
func TestDerivedFeatureChange(t *testing.T) {
	spec := writeSpec(t, derivedSpec)
	cacheDir := t.TempDir()
	runSpec(t, spec, nil, Options{CacheDir: cacheDir})
	for _, tc := range []struct {
		name string
		sets []string
		want []string
		why  string // in derive's or discretize's --explain line
	}{
		{"percentiles", []string{"discretize.features=[{column: proto, kind: category}, {column: bytes_per_packet, kind: percentile, percentiles: [25, 50, 75]}]"},
			[]string{"load=hit", "derive=hit", "discretize=ran", "window=ran", "train=ran", "evaluate=ran"}, "param features:"},
		{"kind", []string{"discretize.features=[{column: proto, kind: category}, {column: bytes_per_packet, kind: kmeans, k: 4}]"},
			[]string{"load=hit", "derive=hit", "discretize=ran", "window=ran", "train=ran", "evaluate=ran"}, "param features:"},
		// bytes / packets as a ratio: the same flow columns, another
		// derived column.
		{"column", []string{"discretize.features=[{column: proto, kind: category}, {ratio: [bytes, packets], kind: percentile, percentiles: [20, 40, 60, 80]}]"},
			[]string{"load=hit", "derive=ran", "discretize=ran", "window=ran", "train=ran", "evaluate=ran"}, "param columns:"},
	} {
		var explain bytes.Buffer
		out, _ := runSpec(t, spec, tc.sets, Options{CacheDir: cacheDir, Explain: &explain})
		if got := stagesOf(out.Points[0]); !slices.Equal(got, tc.want) {
			t.Errorf("%s: stages %v, want %v", tc.name, got, tc.want)
		}
		if !strings.Contains(explain.String(), tc.why) {
			t.Errorf("%s: --explain does not say %q:\n%s", tc.name, tc.why, explain.String())
		}
	}
	out, _ := runSpec(t, writeSpec(t, smallSpec), nil, Options{CacheDir: cacheDir})
	if got := stagesOf(out.Points[0]); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "derive=") }) {
		t.Errorf("a spec without derived columns: stages %v", got)
	}
}
