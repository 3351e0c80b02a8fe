package pipeline

// Stage load and the filter pushed down into it: run, cache read/write,
// data path. The load entry holds the filtered flows; its key includes
// the filter's Params.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"botprof/pipeline/cache"
	"botprof/stages/load"
)

// flowsOut is the load stage's output: flows with the label filter applied.
type flowsOut struct {
	rec   arrow.RecordBatch
	stats *load.Stats
}

// stageLoad loads data source i.
func (r *runner) stageLoad(ctx context.Context, sp *stageParams, i int, key cache.Key) (any, bool, error) {
	fl, hit, cl, err := lookup(ctx, r, key, "", func(e *cache.Entry) (*flowsOut, error) {
		rec, err := cache.ReadArrow(e.Path("flows.arrow"), r.mem)
		if err != nil {
			return nil, err
		}
		var stats load.Stats
		if err := readJSON(e, "stats.json", &stats); err != nil {
			rec.Release()
			return nil, err
		}
		return &flowsOut{rec: rec, stats: &stats}, nil
	})
	if err != nil {
		return nil, false, err
	}
	if hit {
		r.mu.Lock()
		r.sources[i].Load = fl.stats
		r.mu.Unlock()
		return fl, true, nil
	}
	defer cl.drop()
	fl, _, err = r.loadFlowsHashed(ctx, sp, i, false)
	if err != nil {
		return nil, false, err
	}
	r.putLoad(key, fl, cl)
	return fl, false, nil
}

// cachedLoadStats fills in the load stats of the sources no point loaded
// (a warm run reads only the final entries) from their load entries'
// stats.json, if still cached: lines skipped under on_bad_line: skip are
// then reported, in the warnings and the manifest, by every run whose
// results rest on them, not only by the run that loaded the file.
func (r *runner) cachedLoadStats(plan *Plan) {
	if r.cache == nil || plan.Len() == 0 {
		return
	}
	p0 := plan.Point(0)
	sp := paramsOf(&p0.Spec)
	for i := range r.sources {
		r.mu.Lock()
		known := r.sources[i].Load != nil || r.sources[i].SHA256 == ""
		r.mu.Unlock()
		if known {
			continue
		}
		key, err := r.loadKey(sp, i)
		if err != nil {
			continue
		}
		b, _ := r.cache.ReadFile(key, "stats.json") // not flows.arrow: a warm run reads no flows
		if b == nil {
			continue
		}
		var stats load.Stats
		if json.Unmarshal(b, &stats) == nil {
			r.mu.Lock()
			r.sources[i].Load = &stats
			r.mu.Unlock()
		}
	}
}

// putLoad stores the load stage's output in the cache and then releases
// the entry's claim.
func (r *runner) putLoad(key cache.Key, fl *flowsOut, cl *claim) {
	if r.cache == nil {
		return
	}
	r.putAsync(key, map[string]cache.WriteFunc{
		"flows.arrow": func(w io.Writer) error { return cache.WriteArrow(w, fl.rec) },
		"stats.json":  jsonWriter(fl.stats),
	}, cl)
}

// hashWhileLoading loads the first point's flows of source i and has the
// loader hash the data file's decompressed content from the blocks it
// parses, so that a file seen for the first time is read and decompressed
// once. The loaded flows are handed to the points as a prefetched load
// output.
// cl, the claim on the file's first read, is released once the load entry
// is stored.
func (r *runner) hashWhileLoading(ctx context.Context, s *Spec, i int, cl *claim) (string, error) {
	start := time.Now()
	path := r.sources[i].Path
	sp := paramsOf(s)
	fl, sha, loadErr := r.loadFlowsHashed(ctx, sp, i, true)
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
	key, err := r.loadKey(sp, i)
	if err != nil {
		return "", err
	}
	f := &future{done: make(chan struct{}), val: fl, secs: secs, prefetched: true}
	close(f.done)
	r.memo[key.ID] = f
	r.putLoad(key, fl, cl)
	return sha, nil
}

// loadFlowsHashed runs the loader on source i with the spec's label filter
// pushed down. It also returns the sha256 of the file's decompressed
// content if hash is set and the whole file was read.
func (r *runner) loadFlowsHashed(ctx context.Context, sp *stageParams, i int, hash bool) (*flowsOut, string, error) {
	path := r.sources[i].Path
	var prog func(int64)
	if r.opt.Progress != nil {
		if st, err := os.Stat(path); err == nil {
			total := st.Size()
			prog = func(done int64) { r.opt.Progress.LoadBytes(done, total) }
		}
	}
	// The loader reads the format from the header and asks for the filter's
	// predicate then (default classes differ between the formats).
	in := load.Input{Mem: r.mem, Path: path, KeepFor: sp.filter.KeepFor, Progress: prog, SHA256: hash}
	res, err := load.Run(ctx, in, sp.load[i])
	if fe, ok := errors.AsType[*load.FormatError](err); ok && r.plan != nil && r.plan.Len() > 0 {
		// The spec's data.format is wrong for the file: name the key.
		key := sourceKey(r.plan.Point(0).Spec.Data, i, "format")
		err = errors.New(r.plan.located(key, fe.Requested, fmt.Sprintf("%s has a %s header (line 1), not %s: set %s to %s (or auto), or point the spec at a %s file",
			fe.Path, fe.Header, fe.Requested, key, fe.Header, fe.Requested)))
	}
	if err != nil {
		if name := r.sources[i].Name; name != "" {
			return nil, "", fmt.Errorf("stage load: source %s: %w", name, err)
		}
		return nil, "", fmt.Errorf("stage load: %w", err)
	}
	r.mu.Lock()
	r.sources[i].Load = &res.Stats
	r.mu.Unlock()
	return &flowsOut{rec: res.Flows, stats: &res.Stats}, res.SHA256, nil
}

// resolveDataPath finds a spec's data file p: absolute, relative to the
// spec file's directory, or relative to the working directory. Its error
// names p, not the spec key: resolveSources locates it at the key's line.
func resolveDataPath(specFile, p string) (string, error) {
	if filepath.IsAbs(p) {
		if err := statOK(p); err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		return p, nil
	}
	cand := filepath.Join(filepath.Dir(specFile), p)
	err := statOK(cand)
	if err == nil {
		return cand, nil
	}
	if errors.Is(err, errNotRegular) {
		if cand != p {
			err = fmt.Errorf("%s: %w", cand, err)
		}
		return "", fmt.Errorf("%s: %w", p, err)
	}
	if err := statOK(p); err == nil {
		return p, nil
	} else if errors.Is(err, errNotRegular) {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return "", fmt.Errorf("%s: no such file (looked in %s, the spec file's folder, and in the working directory): correct the path, or fetch the file (scripts/fetch-ctu13.sh fetches the CTU-13 captures)", p, filepath.Dir(specFile))
}

var errNotRegular = errors.New("not a regular file")

// statOK reports whether p is a regular file (or a link to one): a
// directory, a named pipe (whose open would block until a writer comes), a
// device or a socket is not a flow file.
func statOK(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errors.New("no such file")
		}
		return err
	}
	switch m := st.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return fmt.Errorf("%w: a directory", errNotRegular)
	case m&fs.ModeNamedPipe != 0:
		return fmt.Errorf("%w: a named pipe (FIFO)", errNotRegular)
	case m&fs.ModeCharDevice != 0:
		return fmt.Errorf("%w: a character device", errNotRegular)
	case m&fs.ModeDevice != 0:
		return fmt.Errorf("%w: a block device", errNotRegular)
	case m&fs.ModeSocket != 0:
		return fmt.Errorf("%w: a socket", errNotRegular)
	default:
		return fmt.Errorf("%w (mode %s)", errNotRegular, m.Type())
	}
}
