package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A summary lists each distinct failure once, with the points that had
// it: a sweep whose 45 points failed alike repeated one error 45 times.
func TestSummaryGroupsFailures(t *testing.T) {
	r := &Run{Dir: t.TempDir()}
	for i, name := range []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7"} {
		p := Point{Name: name, Status: "failed", Error: "stage load: boom", Params: map[string]any{}, Metrics: map[string]float64{}}
		if i == 3 {
			p.Error = "other"
		}
		r.Points = append(r.Points, p)
	}
	var b bytes.Buffer
	if err := r.writeSummary(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	want := "failed points: stage load: boom (6 points: p1, p2, p3, p5, p6, …); p4: other"
	if !strings.Contains(s, want) || strings.Count(s, "boom") != 1 {
		t.Errorf("summary does not list the failures once each (want %q):\n%s", want, s)
	}
}

// metrics.json naming a point manifest.json does not list is a folder
// whose files disagree: an error naming the point, not a point skipped.
func TestLoadRefusesMetricsOfUnknownPoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	copyDir(t, filepath.Join("testdata", "runs", "a"), dir)
	path := filepath.Join(dir, "metrics.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mf map[string]any
	if err := json.Unmarshal(raw, &mf); err != nil {
		t.Fatal(err)
	}
	pts := mf["points"].([]any)
	extra := map[string]any{}
	for k, v := range pts[0].(map[string]any) {
		extra[k] = v
	}
	extra["point"] = "not-a-point"
	mf["points"] = append(pts, extra)
	raw, _ = json.Marshal(mf)
	os.WriteFile(path, raw, 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), `point "not-a-point" is not in manifest.json`) ||
		!strings.Contains(err.Error(), "metrics.json") {
		t.Errorf("Load: %v", err)
	}
}
