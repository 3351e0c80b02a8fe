package pipeline

// manifest.json: what a run was made from (spec, data, code, git state).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"botprof/runfolder"
)

// manifestHead is the run's manifest.json (runfolder.Manifest) without
// its points (manifestPoint), which WriteResults streams into it.
func manifestHead(runID string, out *Outcome) runfolder.Manifest {
	plan := out.Plan
	m := runfolder.Manifest{
		Format: runfolder.FormatVersion, BotprofVersion: Version, Experiment: plan.Name, RunID: runID,
		SpecPath: plan.File, Sets: plan.Sets, SpecText: string(plan.Raw), Spec: plan.Base, NarrowedAxes: plan.Narrowed,
		Data:      runfolder.Data{Path: out.DataPath, SHA256: out.DataSHA},
		Git:       out.gitState(),
		GoVersion: runtime.Version(), Modules: modules(),
		Started: out.Started.UTC().Format(time.RFC3339Nano), WallSeconds: round3(out.Wall.Seconds()),
	}
	if out.Load != nil {
		m.Load = out.Load
	}
	if len(plan.Base.Data.Sources) > 0 {
		m.Sources = out.Sources
	}
	if len(plan.Sweep) > 0 {
		m.Sweep = runfolder.Sweep{}
		for _, ax := range plan.Sweep {
			m.Sweep[ax.Key] = ax.Values
			m.SweepOrder = append(m.SweepOrder, ax.Key)
		}
	}
	return m
}

// manifestPoint is point pt's entry of manifest.json: its error, nil if it
// succeeded, and its stage records.
func manifestPoint(pt Point, err error, stages []runfolder.StageRecord) (runfolder.ManifestPoint, error) {
	spec, jerr := json.Marshal(pt.Spec)
	if jerr != nil {
		return runfolder.ManifestPoint{}, fmt.Errorf("point %s: spec: %w", pt.Name, jerr)
	}
	mp := runfolder.ManifestPoint{Name: pt.Name, Params: pt.Params, Spec: spec, Seed: &pt.Spec.Model.Seed, Status: "ok", Stages: stages}
	if mp.Params == nil {
		mp.Params = runfolder.Params{}
	}
	if err != nil {
		mp.Status, mp.Error = "failed", err.Error()
	}
	for i := range mp.Stages {
		mp.Stages[i].Seconds = round3(mp.Stages[i].Seconds)
	}
	return mp, nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func (o *Outcome) gitState() runfolder.Git {
	if o.git == nil {
		return gitState()
	}
	return o.git()
}

// gitState is the commit botprof was built from: Go's VCS stamp in the
// binary (go build in a git checkout), or, for a binary without one (go run,
// go test), the git state of the working directory, which costs two git
// processes (Execute starts them early, in the background).
func gitState() runfolder.Git {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if g, stamped := vcsStamp(bi.Settings); stamped {
			return g
		}
	}
	g := runfolder.Git{Commit: "unknown"}
	if b, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		g.Commit = strings.TrimSpace(string(b))
		if s, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
			g.Dirty = len(bytes.TrimSpace(s)) > 0
		}
	}
	return g
}

// vcsStamp reads the commit and the dirty flag from Go's build settings; it
// reports whether the binary was stamped.
func vcsStamp(settings []debug.BuildSetting) (g runfolder.Git, stamped bool) {
	for _, st := range settings {
		switch st.Key {
		case "vcs.revision":
			g.Commit, stamped = st.Value, true
		case "vcs.modified":
			g.Dirty = st.Value == "true"
		}
	}
	return g, stamped
}

func modules() map[string]string {
	out := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			out[d.Path] = d.Version
		}
	}
	return out
}

// startGitState computes gitState in the background.
func startGitState() func() runfolder.Git {
	ch := make(chan runfolder.Git, 1)
	go func() { ch <- gitState() }()
	return sync.OnceValue(func() runfolder.Git { return <-ch })
}
