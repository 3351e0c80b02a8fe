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

// stageLoad loads data source i.
func (r *runner) stageLoad(ctx context.Context, s *Spec, i int, key cache.Key) (any, bool, error) {
	if r.cache != nil {
		if e := r.get(key); e != nil {
			rec, err := cache.ReadArrow(e.Path("flows.arrow"), r.mem)
			var stats load.Stats
			if err == nil && readJSON(e, "stats.json", &stats) == nil {
				r.mu.Lock()
				r.sources[i].Load = &stats
				r.mu.Unlock()
				return &flowsOut{rec: rec, stats: &stats}, true, nil
			}
		}
	}
	fl, _, err := r.loadFlowsHashed(ctx, s, i, false)
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

// hashWhileLoading loads the first point's flows of source i and has the
// loader hash the data file's decompressed content from the blocks it
// parses, so that a file seen for the first time is read and decompressed
// once. The loaded flows are handed to the points as a prefetched load
// output.
func (r *runner) hashWhileLoading(ctx context.Context, s *Spec, i int) (string, error) {
	start := time.Now()
	path := r.sources[i].Path
	fl, sha, loadErr := r.loadFlowsHashed(ctx, s, i, true)
	secs := time.Since(start).Seconds()
	if sha == "" {
		// The load failed or stopped early; the point's own load reports
		// the error where it belongs, with the file's hash in its key.
		var err error
		if sha, err = load.SHA256File(ctx, path); err != nil {
			return "", err
		}
	}
	r.rememberSHA(path, sha)
	if loadErr != nil {
		return sha, nil
	}
	r.sources[i].SHA256 = sha
	key, err := r.loadKey(s, i)
	if err != nil {
		return "", err
	}
	f := &future{done: make(chan struct{}), val: fl, secs: secs, prefetched: true}
	close(f.done)
	r.memo[key.ID] = f
	r.putLoad(key, fl)
	return sha, nil
}

// loadFlowsHashed runs the loader on source i with the spec's label filter
// pushed down. It also returns the sha256 of the file's decompressed
// content if hash is set and the whole file was read.
func (r *runner) loadFlowsHashed(ctx context.Context, s *Spec, i int, hash bool) (*flowsOut, string, error) {
	d, path := s.Data.List()[i], r.sources[i].Path
	// The loader reads the format from the header and asks for its label
	// filter then (default classes differ between the formats).
	keepFor := func(format string) func([]byte) bool { return r.labelFilter(s, format).Keep() }
	var prog func(int64)
	if r.opt.Progress != nil {
		if st, err := os.Stat(path); err == nil {
			total := st.Size()
			prog = func(done int64) { r.opt.Progress.LoadBytes(done, total) }
		}
	}
	res, err := load.Run(ctx, r.mem, load.Params{Path: path, Format: d.Format, OnBadLine: d.OnBadLine,
		SkipFirstDataLine: d.SkipFirstDataLine, Columns: loadColumns(s)}, load.Options{KeepFor: keepFor, Progress: prog, SHA256: hash})
	if err != nil {
		if d.Name != "" {
			return nil, "", fmt.Errorf("stage load: source %s: %w", d.Name, err)
		}
		return nil, "", fmt.Errorf("stage load: %w", err)
	}
	r.mu.Lock()
	r.sources[i].Load = &res.Stats
	r.mu.Unlock()
	return &flowsOut{rec: res.Flows, stats: &res.Stats}, res.SHA256, nil
}

// resolveDataPath finds a spec's data file: absolute, relative to the spec
// file's directory, or relative to the working directory.
func resolveDataPath(specFile, key, p string) (string, error) {
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
	return "", fmt.Errorf("%s: %s %s: no such file (looked in %s and the working directory)", specFile, key, p, filepath.Dir(specFile))
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
