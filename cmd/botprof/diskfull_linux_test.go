package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A run whose results filesystem fills up at various points (a small
// tmpfs: at 8k scores.csv fails, at 64k a point file, at 256k a figure)
// exits non-zero and leaves
// nothing that reads as a run: only a .partial folder, which ls lists as
// partial. Needs root to mount the tmpfs; skipped otherwise.
func TestResultsOnFullDisk(t *testing.T) {
	cacheDir := t.TempDir() // the stage cache stays on a normal disk
	for _, size := range []string{"8k", "64k", "256k"} {
		dir := t.TempDir()
		if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
			t.Skipf("cannot mount a tmpfs (needs root): %v", err)
		}
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"run", "../../experiments/default.yaml", "--quiet", "--cache", cacheDir,
			"--results", dir, "--set", "model.restarts=1"}, &out, &errb)
		code := exitCode(context.Background(), err, &errb)
		entries, _ := os.ReadDir(filepath.Join(dir, "default"))
		var ls bytes.Buffer
		lsErr := run(context.Background(), []string{"ls", dir}, &ls, &errb)
		unmount(t, dir)
		if code != 1 || !strings.Contains(errb.String(), "no space left on device") {
			t.Errorf("size %s: exit %d, %v", size, code, err)
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".partial") {
				t.Errorf("size %s: %s looks like a finished run", size, e.Name())
			}
		}
		if lsErr != nil || strings.Contains(ls.String(), "complete") {
			t.Errorf("size %s: ls: %v\n%s", size, lsErr, ls.String())
		}
		if strings.Contains(out.String(), "results: ") {
			t.Errorf("size %s: printed a results folder:\n%s", size, out.String())
		}
	}
}

// unmount unmounts the test's tmpfs. On a loaded machine the kernel may
// still report it busy for a moment after the last file is closed: retry,
// then detach it, so that the folder's cleanup cannot fail the test.
func unmount(t *testing.T, dir string) {
	for range 40 {
		if err := syscall.Unmount(dir, 0); err == nil || err != syscall.EBUSY {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s still busy after 2 s: detaching it", dir)
	syscall.Unmount(dir, syscall.MNT_DETACH)
}
