//go:build unix

package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"botprof/runfolder"
)

// A cached point's files in a results folder are copies of its cache
// entry's files, not links: editing one folder's file in place must not
// change another folder's, nor the cache entry (hG found that hard links,
// f4bea25, did).
func TestCachedPointFilesCopied(t *testing.T) {
	spec := writeSpec(t, smallSpec)
	sets := []string{"model.n_iter=2"}
	cacheDir := t.TempDir()
	runSpec(t, spec, sets, Options{CacheDir: cacheDir})
	var dirs []string
	for range 2 {
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
		dirs = append(dirs, filepath.Join(dir, "points", plan.Point(0).Name))
	}
	for _, f := range runfolder.PointFileNames {
		a := filepath.Join(dirs[0], f)
		st, err := os.Stat(a)
		if err != nil {
			t.Fatal(err)
		}
		if n := st.Sys().(*syscall.Stat_t).Nlink; n != 1 {
			t.Errorf("%s has %d links", f, n)
		}
		before, _ := os.ReadFile(filepath.Join(dirs[1], f))
		w, err := os.OpenFile(a, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString("edited\n")
		w.Close()
		if after, _ := os.ReadFile(filepath.Join(dirs[1], f)); string(after) != string(before) {
			t.Errorf("appending to one folder's %s changed the other folder's", f)
		}
	}
}
