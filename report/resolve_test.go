package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	root := t.TempDir()
	older := filepath.Join(root, "toy", "20261127T050102.000Z")
	newer := filepath.Join(root, "toy", "20261128T090000.000Z")
	copyDir(t, "testdata/runs/a", older)
	copyDir(t, "testdata/runs/a", newer)
	copyDir(t, "testdata/runs/a", filepath.Join(root, "toy", ".20261129T000000.000Z.partial"))
	// A run stopped before its manifest was written leaves a folder without one.
	bare := filepath.Join(root, "toy", ".20261130T000000.000Z.partial")
	os.MkdirAll(filepath.Join(bare, "points"), 0o755)
	for _, tc := range []struct{ ref, want, err string }{
		{ref: older, want: older},
		{ref: "latest", want: newer},
		{ref: "toy", want: newer},
		{ref: "toy~0", want: newer},
		{ref: "toy~1", want: older},
		{ref: "toy~2", err: "has 2 finished runs"},
		{ref: "toy~x", err: "non-negative integer"},
		{ref: "20261127", want: older},
		{ref: "2026112", err: "ambiguous"},
		{ref: "20261129", err: "not a results folder"}, // the partial run is never chosen
		{ref: "nosuch", err: "not a results folder"},
		{ref: bare, err: "is a partial results folder"},
		{ref: bare + "/", err: "is a partial results folder"},
	} {
		got, err := Resolve(root, tc.ref)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Resolve(%q) = %q, %v; want error %q", tc.ref, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
		}
	}
}
