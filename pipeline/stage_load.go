package pipeline

// Stage load (and its pushed-down label filter): run, cache read/write, data path.

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"botprof/pipeline/cache"
	"botprof/stages/filter"
	"botprof/stages/load"
)

// flowsOut is the load stage's output: flows with the label filter applied.
type flowsOut struct {
	rec   arrow.RecordBatch
	stats *load.Stats
}

func (r *runner) labelFilter(s *Spec, format string) filter.Params {
	classes := make([]filter.ClassRule, 0, len(s.Labels.Classes))
	for _, c := range s.Labels.Classes {
		classes = append(classes, filter.ClassRule{Match: c.Match, Class: c.Class})
	}
	if len(classes) == 0 {
		classes = filter.DefaultClasses(format)
	}
	fp := filter.Params{Include: s.Labels.Include, Exclude: s.Labels.Exclude, Classes: classes}
	for _, ex := range s.Labels.ExcludeClasses {
		for _, c := range classes {
			if c.Class == ex {
				fp.Exclude = append(fp.Exclude, c.Match)
			}
		}
	}
	return fp
}

func (r *runner) stageLoad(ctx context.Context, s *Spec, key cache.Key) (any, bool, error) {
	if r.cache != nil {
		if e := r.get(key); e != nil {
			rec, err := cache.ReadArrow(e.Path("flows.arrow"), r.mem)
			var stats load.Stats
			if err == nil && readJSON(e, "stats.json", &stats) == nil {
				r.mu.Lock()
				r.loadStats = &stats
				r.mu.Unlock()
				return &flowsOut{rec: rec, stats: &stats}, true, nil
			}
		}
	}
	fl, err := r.loadFlows(ctx, s)
	if err != nil {
		return nil, false, err
	}
	r.putLoad(key, fl)
	return fl, false, nil
}

// putLoad stores the load stage's output in the cache.
func (r *runner) putLoad(key cache.Key, fl *flowsOut) {
	if r.cache == nil {
		return
	}
	r.putAsync(key, map[string]cache.WriteFunc{
		"flows.arrow": func(w io.Writer) error { return cache.WriteArrow(w, fl.rec) },
		"stats.json":  jsonWriter(fl.stats),
	})
}

// hashWhileLoading loads the first point's flows and has the loader hash the
// data file's decompressed content from the blocks it parses, so that a
// file seen for the first time is read and decompressed once. The loaded
// flows are handed to the points as a prefetched load output.
func (r *runner) hashWhileLoading(ctx context.Context, s *Spec) (string, error) {
	start := time.Now()
	fl, sha, loadErr := r.loadFlowsHashed(ctx, s, true)
	secs := time.Since(start).Seconds()
	if sha == "" {
		// The load failed or stopped early; the point's own load reports
		// the error where it belongs, with the file's hash in its key.
		var err error
		if sha, err = load.SHA256File(ctx, r.dataPath); err != nil {
			return "", err
		}
	}
	r.rememberSHA(r.dataPath, sha)
	if loadErr != nil {
		return sha, nil
	}
	r.dataSHA = sha
	keys, err := r.keys(s)
	if err != nil {
		return "", err
	}
	f := &future{done: make(chan struct{}), val: fl, secs: secs, prefetched: true}
	close(f.done)
	r.memo[keys.load.ID] = f
	r.putLoad(keys.load, fl)
	return sha, nil
}

// loadFlows runs the loader with the spec's label filter pushed down.
func (r *runner) loadFlows(ctx context.Context, s *Spec) (*flowsOut, error) {
	fl, _, err := r.loadFlowsHashed(ctx, s, false)
	return fl, err
}

// loadFlowsHashed is loadFlows that also returns the sha256 of the file's
// decompressed content if hash is set and the whole file was read.
func (r *runner) loadFlowsHashed(ctx context.Context, s *Spec, hash bool) (*flowsOut, string, error) {
	// The loader reads the format from the header and asks for its label
	// filter then (default classes differ between the formats).
	keepFor := func(format string) func([]byte) bool { return r.labelFilter(s, format).Keep() }
	var prog func(int64)
	if r.opt.Progress != nil {
		if st, err := os.Stat(r.dataPath); err == nil {
			total := st.Size()
			prog = func(done int64) { r.opt.Progress.LoadBytes(done, total) }
		}
	}
	res, err := load.Run(ctx, r.mem, load.Params{Path: r.dataPath, Format: s.Data.Format, OnBadLine: s.Data.OnBadLine,
		SkipFirstDataLine: s.Data.SkipFirstDataLine, Columns: loadColumns(s)}, load.Options{KeepFor: keepFor, Progress: prog, SHA256: hash})
	if err != nil {
		return nil, "", fmt.Errorf("stage load: %w", err)
	}
	r.mu.Lock()
	r.loadStats = &res.Stats
	r.mu.Unlock()
	return &flowsOut{rec: res.Flows, stats: &res.Stats}, res.SHA256, nil
}

// resolveDataPath finds a spec's data file: absolute, relative to the spec
// file's directory, or relative to the working directory.
func resolveDataPath(specFile, p string) (string, error) {
	if filepath.IsAbs(p) {
		return p, statOK(p)
	}
	cand := filepath.Join(filepath.Dir(specFile), p)
	if statOK(cand) == nil {
		return cand, nil
	}
	if statOK(p) == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s: data.path %s: no such file (looked in %s and the working directory)", specFile, p, filepath.Dir(specFile))
}

func statOK(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory", p)
	}
	return nil
}
