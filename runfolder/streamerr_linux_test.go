package runfolder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A results file that cannot be written (here a link to /dev/full: every
// write fails with ENOSPC) fails Close with its error once per file: the
// CSV writer and its buffer hold the same error, and Close joined both,
// so a full disk printed "write .../metrics.csv: no space left on device"
// twice (and scores.csv twice) in one message.
func TestStreamWriterErrorsOnce(t *testing.T) {
	axes, ps, mf, _ := streamFixture(300)
	writeMetrics := func(dir string) error { return WriteMetrics(dir, mf, nil) }
	writeScores := func(dir string) error { return WriteScores(dir, axes, ps) }
	for _, tc := range []struct {
		full  string // the file on /dev/full
		write func(dir string) error
	}{
		{"metrics.csv", writeMetrics},
		{"metrics.json", writeMetrics},
		{"scores.csv", writeScores},
		{"scores.parquet", writeScores},
	} {
		dir := t.TempDir()
		if err := os.Symlink("/dev/full", filepath.Join(dir, tc.full)); err != nil {
			t.Skip(err)
		}
		err := tc.write(dir)
		if err == nil {
			t.Errorf("%s on /dev/full: no error", tc.full)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		seen := map[string]bool{}
		for _, l := range lines {
			if seen[l] {
				t.Errorf("%s on /dev/full: the error says %q more than once:\n%v", tc.full, l, err)
			}
			seen[l] = true
		}
		if !strings.Contains(err.Error(), tc.full) {
			t.Errorf("%s on /dev/full: error %q does not name the file", tc.full, err)
		}
	}
}
