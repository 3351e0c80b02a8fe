package report

import (
	"bytes"
	"os"
	"path/filepath"
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
