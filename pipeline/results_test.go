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

// Sweep-axis columns of scores.parquet are typed from the axis's values.
func TestAxisType(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
	}{
		{[]string{"5", "10", "20"}, "int64"},
		{[]string{"0.5", "1", "2e3"}, "float64"},
		{[]string{"true", "false"}, "bool"},
		{[]string{"gaussian", "markov"}, "utf8"},
		{[]string{"10", "10ms"}, "utf8"},
	} {
		if got := axisType(tc.values).String(); got != tc.want {
			t.Errorf("axisType(%v) = %s, want %s", tc.values, got, tc.want)
		}
	}
	if c, r := scoreRole("profile"); c != "infected" || r != "profile" {
		t.Errorf("profile: %s %s", c, r)
	}
	if c, r := scoreRole("normal"); c != "normal" || r != "scored" {
		t.Errorf("normal: %s %s", c, r)
	}
}
