package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCommitRunDir: a partial folder, its points/ flushed in the
// background, gets its final name with every file; a failed flush fails
// the commit and leaves the partial folder: a filesystem's (syncfs), or,
// flushing file by file (where there is no syncfs), a file that cannot be
// flushed (here a dangling link), whether it is under the background
// flush or not.
func TestCommitRunDir(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC)
	partial, runID, err := NewRunDir(root, "x", now)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"manifest.json", "points/a/model.json", "points/b/model.json", "figures/f.png"}
	for _, f := range files {
		p := filepath.Join(partial, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	final, err := CommitRunDir(partial, StartFlush(filepath.Join(partial, "points")))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "x", runID); final != want {
		t.Errorf("committed as %s, want %s", final, want)
	}
	for _, f := range files {
		if b, err := os.ReadFile(filepath.Join(final, f)); err != nil || string(b) != f {
			t.Errorf("%s: %q, %v", f, b, err)
		}
	}

	// The filesystem's flush fails.
	defer func(f func(string) (bool, error)) { flushFS = f }(flushFS)
	flushFS = func(dir string) (bool, error) { return true, errors.New("syncfs " + dir + ": input/output error") }
	partial, _, err = NewRunDir(root, "x", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = CommitRunDir(partial, StartFlush(filepath.Join(partial, "points"))); err == nil || !strings.Contains(err.Error(), "input/output error") {
		t.Errorf("commit error %v, want the flush's", err)
	}
	if _, err := os.Stat(partial); err != nil {
		t.Errorf("the partial folder is gone after a failed commit: %v", err)
	}

	// File by file.
	flushFS = func(string) (bool, error) { return false, nil }
	for _, bad := range []string{"points/c/broken", "broken"} {
		partial, _, err := NewRunDir(root, "x", now)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(partial, bad)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(root, "nowhere"), p); err != nil {
			t.Fatal(err)
		}
		_, err = CommitRunDir(partial, StartFlush(filepath.Join(partial, "points")))
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: commit error %v, want the dangling link's", bad, err)
		}
		if _, err := os.Stat(partial); err != nil {
			t.Errorf("%s: the partial folder is gone after a failed commit: %v", bad, err)
		}
	}
	// A run without point files: no points/ folder to flush.
	partial, _, err = NewRunDir(root, "y", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CommitRunDir(partial, StartFlush(filepath.Join(partial, "points"))); err != nil {
		t.Errorf("commit without points/: %v", err)
	}
}

// On Linux a commit flushes the run folder's filesystem with syncfs, not
// file by file: a dangling link, which fsync per file fails on, does not
// fail it.
func TestCommitRunDirSyncfs(t *testing.T) {
	if done, err := syncFS(t.TempDir()); !done || err != nil {
		t.Skipf("no syncfs here (%v)", err)
	}
	partial, _, err := NewRunDir(t.TempDir(), "x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(partial, "nowhere"), filepath.Join(partial, "broken")); err != nil {
		t.Fatal(err)
	}
	if _, err := CommitRunDir(partial); err != nil {
		t.Errorf("commit with syncfs: %v", err)
	}
}
