package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestShowGolden(t *testing.T) {
	for _, name := range []string{"a", "b"} {
		var buf bytes.Buffer
		if err := Show(filepath.Join("testdata", "runs", name), &buf); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "show_"+name+".md", buf.Bytes())
	}
}

func TestListGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := List("testdata", &buf); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "ls.txt", buf.Bytes())
}

func TestWriteSummary(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"manifest.json", "metrics.json", "scores.csv"} {
		b, err := os.ReadFile(filepath.Join(runA, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteSummary(dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "golden", "show_a.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("summary.md differs from Show's output")
	}
}

// When every point failed the summary says so instead of printing the
// header of an empty "best points" table, and lists the failures.
func TestSummaryAllFailed(t *testing.T) {
	dir := t.TempDir()
	var m map[string]any
	b, err := os.ReadFile(filepath.Join(runA, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, p := range m["points"].([]any) {
		p.(map[string]any)["status"] = "failed"
		p.(map[string]any)["error"] = "stage train: too few flows"
	}
	b, _ = json.Marshal(m)
	os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "metrics.json"), []byte(`{"score": "viterbi", "points": []}`), 0o644)
	var buf bytes.Buffer
	if err := Show(dir, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "No point finished") || strings.Contains(out, "| point | seeds |") {
		t.Errorf("summary of a run whose points all failed:\n%s", out)
	}
	if !strings.Contains(out, "stage train: too few flows") {
		t.Errorf("the failures are not listed:\n%s", out)
	}
}
