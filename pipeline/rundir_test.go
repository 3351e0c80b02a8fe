package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCommitRunDir: a partial folder, its points/ flushed in the
// background, gets its final name with every file; a file that cannot be
// flushed (here a dangling link) fails the commit, whether it is under the
// background flush or not, and leaves the partial folder.
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
