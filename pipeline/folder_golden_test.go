package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// folderVolatile are the manifest.json fields that differ from run to run
// (times, the machine's toolchain and build, the stage timings); the
// folder golden test blanks them.
var folderVolatile = []string{"run_id", "started", "wall_seconds", "git", "go_version", "modules", "botprof_version"}

// normalizeManifest blanks the volatile fields of manifest.json.
func normalizeManifest(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range folderVolatile {
		if _, ok := m[k]; ok {
			m[k] = "-"
		}
	}
	pts, _ := m["points"].([]any)
	for _, p := range pts {
		// A point records the stages it pulled: when another point of
		// the sweep computed their shared discretize stage first, it
		// never pulls load and has no load record. Which point that is
		// depends on scheduling, so load records are left out here (the
		// load stage's output is checked through every other file).
		var stages []any
		for _, s := range p.(map[string]any)["stages"].([]any) {
			if st, _ := s.(map[string]any)["stage"].(string); !strings.HasPrefix(st, "load") {
				stages = append(stages, s)
			}
		}
		p.(map[string]any)["stages"] = stages
		for _, s := range stages {
			s.(map[string]any)["seconds"] = 0
			s.(map[string]any)["cached"] = false
			// Why a stage ran depends on which point's record of a
			// shared stage the cache saw first: scheduling, not output.
			delete(s.(map[string]any), "changed")
		}
	}
	if srcs, ok := m["sources"].([]any); ok {
		for _, s := range srcs {
			if ld, ok := s.(map[string]any)["load"].(map[string]any); ok {
				delete(ld, "seconds")
			}
		}
	}
	out, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestResultsFolderGolden writes the results folders of three experiments
// (one source, unswept; two sources; a 3-point sweep) and compares every file the pipeline
// writes with testdata/golden-folder/<spec>/, manifest.json with its
// volatile fields blanked: a refactor of the results-folder writer must
// leave them byte for byte (amd64; elsewhere only the file list is
// checked). Regenerate with -update, saying why in the commit.
func TestResultsFolderGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two experiments")
	}
	for _, tc := range []struct {
		name, spec string
		sets       []string
	}{
		{"default", "default", nil},
		{"s10-to-s11", "s10-to-s11", nil},
		{"sweep-3", "sweep", []string{"model.seed=0", "model.states=2"}}, // typed axis columns
	} {
		name := tc.name
		t.Run(name, func(t *testing.T) {
			plan, err := LoadPlan(filepath.Join("..", "experiments", tc.spec+".yaml"), tc.sets)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Execute(context.Background(), plan, Options{CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := WriteResults(dir, "RUN", out); err != nil {
				t.Fatal(err)
			}
			gdir := filepath.Join("testdata", "golden-folder", name)
			got := map[string][]byte{}
			err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				if rel == "manifest.json" {
					b = normalizeManifest(t, b)
				}
				got[filepath.ToSlash(rel)] = b
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if *updateGolden {
				os.RemoveAll(gdir)
				for rel, b := range got {
					p := filepath.Join(gdir, filepath.FromSlash(rel))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			want := map[string][]byte{}
			err = filepath.WalkDir(gdir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				rel, _ := filepath.Rel(gdir, path)
				want[filepath.ToSlash(rel)] = b
				return err
			})
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			for rel := range want {
				if _, ok := got[rel]; !ok {
					t.Errorf("%s: not written", rel)
				}
			}
			for rel, b := range got {
				w, ok := want[rel]
				switch {
				case !ok:
					t.Errorf("%s: written, not in %s", rel, gdir)
				case runtime.GOARCH == "amd64" && !bytes.Equal(b, w):
					t.Errorf("%s differs from %s: %s", rel, filepath.Join(gdir, rel), firstDiff(b, w, 0))
				}
			}
		})
	}
}
