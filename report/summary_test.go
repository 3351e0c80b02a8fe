package report

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// summary.md lists the points' warnings, each once with the number of
// points that gave it, and shows the host scores of a point even when the
// selected metric is undefined (a run without a scored normal host:
// auc_host NaN), where before it stopped after a table of dashes. With the
// metric undefined for every point, nothing is called best by it: the
// table says how its points are ordered, and the host scores are the first
// point's.
func TestSummaryWarningsAndUndefinedMetric(t *testing.T) {
	dir := copyRun(t, runA)
	n := editPoints(t, filepath.Join(dir, "metrics.json"), func(i int, pm map[string]any) {
		delete(pm["metrics"].(map[string]any), "auc_host")
		pm["warnings"] = []string{"host ROC (viterbi): no scored normal hosts: its metrics are NaN"}
		if i == 0 {
			pm["warnings"] = append(pm["warnings"].([]string), "host 10.0.0.9: insufficient data (3 flows, need > 9): kept out of the ROC")
		}
	})
	var buf bytes.Buffer
	if err := Show(dir, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"## Points: no point has a defined auc_host",
		"Every point's auc_host is undefined (see the warnings below): the points are ranked by median auc_window.",
		"## Host scores of the first point",
		"(auc_host = undefined)",
		"## Warnings",
		fmt.Sprintf("- host ROC (viterbi): no scored normal hosts: its metrics are NaN (%d of %d points)", n, n),
		fmt.Sprintf("insufficient data (3 flows, need > 9): kept out of the ROC (1 of %d points)", n),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// With neither auc_host nor auc_window defined anywhere, the points are
// listed by their parameters and the summary says so.
func TestSummaryNoMetricDefined(t *testing.T) {
	dir := copyRun(t, runA)
	editPoints(t, filepath.Join(dir, "metrics.json"), func(_ int, pm map[string]any) {
		m := pm["metrics"].(map[string]any)
		delete(m, "auc_host")
		delete(m, "auc_window")
	})
	var buf bytes.Buffer
	if err := Show(dir, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "Every point's auc_host is undefined (see the warnings below): the points are listed by their parameters.") ||
		strings.Contains(out, "Best points") || strings.Contains(out, "best point") {
		t.Errorf("summary with no metric defined:\n%s", out)
	}
}

// A point with one seed has no spread: its IQR reads "n=1" in the best
// points table and the sweep table, where it was printed as a range of
// one value ("1.0000–1.0000"), a spread measured to be zero.
func TestSummaryIQROfOneSeed(t *testing.T) {
	dir := copyRun(t, runA)
	editPoints(t, filepath.Join(dir, "manifest.json"), func(_ int, pm map[string]any) {
		if name := pm["name"].(string); strings.HasPrefix(name, "window.size=20,model.states=2,") && !strings.HasSuffix(name, "seed=1") {
			pm["status"], pm["error"] = "failed", "stage train: too few flows"
		}
	})
	var buf bytes.Buffer
	if err := Show(dir, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	var row, cell string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "| model.states=2 window.size=20 |") {
			row = l
		}
		if strings.HasPrefix(l, "| 20 |") {
			cell = strings.Split(l, "|")[2]
		}
	}
	if !strings.HasPrefix(row, "| model.states=2 window.size=20 | 1 | ") || !strings.Contains(row, "| n=1 |") {
		t.Errorf("best points row of a one-seed point: %q, want seeds 1 and IQR n=1\n%s", row, out)
	}
	if strings.TrimSpace(cell) != "1.0000 (n=1)" {
		t.Errorf("sweep table cell of a one-seed point: %q, want \"1.0000 (n=1)\"\n%s", cell, out)
	}
}

// Lines the loader skipped (on_bad_line: skip) are a warning of summary.md
// (and so of botprof show), not only of the run's stderr: the results rest
// on a file read without them.
func TestSummarySkippedLines(t *testing.T) {
	dir := copyRun(t, runA)
	var mf map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &mf); err != nil {
		t.Fatal(err)
	}
	mf["load"] = map[string]any{"Format": "netflow", "Lines": 40, "Kept": 39, "Bad": 1,
		"BadLines": []any{map[string]any{"Line": 23, "Reason": "5 fields, want 13", "Text": "x"}}}
	b, _ = json.Marshal(mf)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Show(dir, &buf); err != nil {
		t.Fatal(err)
	}
	path, _ := mf["data"].(map[string]any)["path"].(string)
	want := mdEscape(path + ": 1 unparsable lines skipped (on_bad_line: skip); the first are listed in manifest.json")
	if out := buf.String(); !strings.Contains(out, "## Warnings") || !strings.Contains(out, "- "+want) {
		t.Errorf("summary lacks %q:\n%s", want, out)
	}
}

// editPoints rewrites the JSON file path (a manifest.json or metrics.json)
// with edit applied to each element of its points array, and returns how
// many there are.
func editPoints(t *testing.T, path string, edit func(i int, point map[string]any)) int {
	t.Helper()
	var m map[string]any
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	pts := m["points"].([]any)
	for i, p := range pts {
		edit(i, p.(map[string]any))
	}
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return len(pts)
}
