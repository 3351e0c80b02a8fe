package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A run killed while writing its results leaves a .partial folder, and a
// damaged folder may hold a manifest that does not parse: ls lists both for
// what they are and still lists the good run; Load refuses the partial one.
func TestListPartialAndDamagedRuns(t *testing.T) {
	root := t.TempDir()
	copyDir(t, "testdata/runs/a", filepath.Join(root, "toy", "20261127T050102.000Z"))
	partial := filepath.Join(root, "toy", ".20261128T000000.000Z.partial")
	copyDir(t, "testdata/runs/a", partial)
	damaged := filepath.Join(root, "toy", "20261129T000000.000Z")
	os.MkdirAll(damaged, 0o755)
	os.WriteFile(filepath.Join(damaged, "manifest.json"), []byte(`{"points": [`), 0o644)

	var out bytes.Buffer
	if err := List(root, &out); err != nil {
		t.Fatalf("List: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 rows:\n%s", out.String())
	}
	for _, want := range []string{"toy/20261127T050102.000Z", "complete", "toy/.20261128T000000.000Z.partial", "partial", "unreadable: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ls output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := Load(partial); err == nil || !strings.Contains(err.Error(), "partial results folder") {
		t.Errorf("Load(partial) = %v", err)
	}
	if err := Show(partial, &out); err == nil {
		t.Error("show accepted a partial folder")
	}
}

// ls shows each run's overrides and can list one experiment.
func TestListExperimentAndOverrides(t *testing.T) {
	root := t.TempDir()
	copyDir(t, "testdata/runs/a", filepath.Join(root, "toy", "20261127T050102.000Z"))
	m := filepath.Join(root, "toy", "20261127T050102.000Z", "manifest.json")
	b, _ := os.ReadFile(m)
	os.WriteFile(m, bytes.Replace(b, []byte(`"experiment": "toy",`), []byte(`"experiment": "toy", "sets": ["model.seed=7"],`), 1), 0o644)
	var out bytes.Buffer
	if err := ListExperiment(root, "toy", &out); err != nil || !strings.Contains(out.String(), "--set model.seed=7") {
		t.Fatalf("ls --experiment toy: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := ListExperiment(root, "other", &out); err != nil || strings.Contains(out.String(), "toy/") {
		t.Fatalf("ls --experiment other: %v\n%s", err, out.String())
	}
}

// ls does not know how many points a partial or unreadable folder has:
// its points column says "—", where it said 0 (a killed 20-point run
// read as a run of no points).
func TestListPointsOfPartialAndDamagedRuns(t *testing.T) {
	root := t.TempDir()
	copyDir(t, "testdata/runs/a", filepath.Join(root, "toy", "20261127T050102.000Z"))
	os.MkdirAll(filepath.Join(root, "toy", ".20261128T000000.000Z.partial", "points"), 0o755)
	damaged := filepath.Join(root, "toy", "20261129T000000.000Z")
	os.MkdirAll(damaged, 0o755)
	os.WriteFile(filepath.Join(damaged, "manifest.json"), []byte(`{"points": [`), 0o644)
	var out bytes.Buffer
	if err := List(root, &out); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		f := strings.Fields(l)
		switch {
		case strings.HasSuffix(f[0], ".partial") || strings.HasPrefix(f[0], "toy/20261129"):
			if f[3] != "—" {
				t.Errorf("points of %s: %q, want —\n%s", f[0], f[3], out.String())
			}
		case f[4] != "15":
			t.Errorf("points of %s: %q, want 15\n%s", f[0], f[4], out.String())
		}
	}
}
