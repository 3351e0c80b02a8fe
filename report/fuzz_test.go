package report

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad reads a results folder whose manifest.json, metrics.json and
// scores.csv are arbitrary: Load, the summary and ls return an error or a
// result, never panic.
func FuzzLoad(f *testing.F) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "runs", "a", name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(read("manifest.json"), read("metrics.json"), read("scores.csv"))
	f.Add([]byte(`{"points":[{"name":"p"}]}`), []byte(`{"points":[{"point":"p","metrics":{"auc_host":"-inf","margin":null}}]}`), []byte("point,host\np,h\n"))
	f.Add([]byte("{"), []byte("[]"), []byte(""))
	f.Fuzz(func(t *testing.T, manifest, metrics, scores []byte) {
		dir := filepath.Join(t.TempDir(), "exp", "run")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644)
		os.WriteFile(filepath.Join(dir, "metrics.json"), metrics, 0o644)
		os.WriteFile(filepath.Join(dir, "scores.csv"), scores, 0o644)
		if _, err := Load(dir); err == nil {
			_ = Show(dir, io.Discard)
		}
		if err := List(filepath.Dir(filepath.Dir(dir)), io.Discard); err != nil {
			t.Fatalf("ls failed for the whole tree: %v", err)
		}
	})
}
