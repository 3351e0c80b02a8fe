package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A data path that is not a regular file is a clear error naming it and
// what it is
// (resolveSources adds the spec's key and line), whether written absolute or relative to the spec; a named
// pipe used to block the run forever in its open.
func TestResolveDataPathNotRegular(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "x.yaml")
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "adir"), "not a regular file: a directory"},
		{filepath.Join(dir, "fifo"), "not a regular file: a named pipe (FIFO)"},
		{"adir", "not a regular file: a directory"},
		{"fifo", "not a regular file: a named pipe (FIFO)"},
		{filepath.Join(dir, "missing"), "no such file"},
		// It said "not a regular file (mode Dc---------)".
		{"/dev/null", "not a regular file: a character device"},
	} {
		got, err := resolveDataPath(spec, tc.path)
		if err == nil {
			t.Errorf("%s: resolved to %s, want an error", tc.path, got)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, tc.path+": ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want %q naming the path", tc.path, msg, tc.want)
		}
	}
}
