//go:build unix

package pipeline

import (
	"botprof/runfolder"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A cached point's files in the results folder are hard links of its
// cache entry's files where the two share a filesystem, copies where a
// link fails; either way the folder is the one a cold run writes.
func TestCachedPointFilesLinked(t *testing.T) {
	spec := writeSpec(t, smallSpec)
	sets := []string{"model.n_iter=2"}
	cacheDir := t.TempDir()
	_, cold := runSpec(t, spec, sets, Options{CacheDir: cacheDir})
	for _, linked := range []bool{true, false} {
		if !linked {
			defer func(l func(string, string) error) { link = l }(link)
			link = func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EXDEV} }
		}
		plan, err := LoadPlan(spec, sets)
		if err != nil {
			t.Fatal(err)
		}
		dir, runID, err := NewRunDir(t.TempDir(), plan.Name, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		out, err := Execute(context.Background(), plan, Options{CacheDir: cacheDir, ResultsDir: dir})
		if err != nil || out.Failed() > 0 {
			t.Fatal(err, out.Failed())
		}
		if err := WriteResults(dir, runID, out); err != nil {
			t.Fatal(err)
		}
		name := plan.Point(0).Name
		for _, f := range runfolder.PointFileNames {
			path := filepath.Join(dir, "points", name, f)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if n := st.Sys().(*syscall.Stat_t).Nlink; (n > 1) != linked {
				t.Errorf("linked=%v: %s has %d links", linked, f, n)
			}
			a, _ := os.ReadFile(path)
			b, _ := os.ReadFile(filepath.Join(cold, "points", name, f))
			if !bytes.Equal(a, b) {
				t.Errorf("linked=%v: %s differs from the cold run's", linked, f)
			}
		}
	}
}
