package pipeline

import (
	"botprof/runfolder"
	"runtime/debug"
	"testing"
)

// The manifest's git record comes from Go's VCS stamp when the binary has
// one; without it the working directory's git state is asked for.
func TestVCSStamp(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings []debug.BuildSetting
		want     runfolder.Git
		stamped  bool
	}{
		{"stamped clean", []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}},
			runfolder.Git{Commit: "abc123"}, true},
		{"stamped dirty", []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "def456"}},
			runfolder.Git{Commit: "def456", Dirty: true}, true},
		{"not stamped", []debug.BuildSetting{{Key: "-buildmode", Value: "exe"}, {Key: "GOOS", Value: "linux"}}, runfolder.Git{}, false},
	} {
		g, stamped := vcsStamp(tc.settings)
		if g != tc.want || stamped != tc.stamped {
			t.Errorf("%s: %+v, %v; want %+v, %v", tc.name, g, stamped, tc.want, tc.stamped)
		}
	}
	// A test binary carries no stamp: the fallback names a commit (this is a
	// git checkout) or says "unknown".
	if g := gitState(); g.Commit == "" {
		t.Error("gitState gave no commit")
	}
}
