package pipeline

// Data sources: finding and hashing a run's flow files.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"botprof/pipeline/cache"
	"botprof/stages/filter"
	"botprof/stages/load"
)

// SourceFile is one data source of a run as read.
type SourceFile struct {
	Name   string      `json:"name,omitempty"`
	Path   string      `json:"path"`
	SHA256 string      `json:"sha256"`
	Load   *load.Stats `json:"load,omitempty"` // nil when no point needed the source's flows
}

// DataFiles finds the data file of each of plan's data sources as a run
// does, without reading them; a file that is missing or not a regular
// file is an error at its spec key's line (or --set), a data error (exit
// 1). botprof validate checks a spec's data with it.
func DataFiles(plan *Plan) ([]string, error) {
	if plan.Len() == 0 {
		return nil, nil
	}
	p0 := plan.Point(0)
	if err := sameSources(plan); err != nil {
		return nil, err
	}
	var paths []string
	for i, d := range p0.Spec.Data.List() {
		path, err := resolveDataPath(plan.File, d.Path)
		if err != nil {
			return nil, errors.New(plan.located(sourceKey(p0.Spec.Data, i, "path"), d.Path, err.Error()))
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// sameSources checks that every point reads the first point's data
// sources (names and paths): a run reads one data set, so a sweep axis
// that gives points other files is a spec error (exit 2) at the value's
// line. Other data keys (sha256, format, ...) may be swept.
func sameSources(plan *Plan) error {
	if !plan.sweeps("data") {
		return nil
	}
	first := plan.Point(0).Spec.Data.List()
	for _, p := range plan.Points() {
		l := p.Spec.Data.List()
		same := len(l) == len(first)
		for i := 0; same && i < len(l); i++ {
			same = l[i].Name == first[i].Name && l[i].Path == first[i].Path
		}
		if same {
			continue
		}
		key, val := "sweep", ""
		for _, ax := range plan.Sweep {
			if ax.Key == "data" || strings.HasPrefix(ax.Key, "data.") || strings.HasPrefix(ax.Key, "data[") {
				key, val = ax.Key, p.Params[ax.Key]
				break
			}
		}
		return plan.specError(key, val, fmt.Sprintf("sweep point %s reads other data files than point %s: a run reads one data set; run one spec per data set", p.Name, plan.Point(0).Name))
	}
	return nil
}

// resolveSources finds every data source of plan and its content hash: the
// remembered one when the file is unchanged, else it hashes the file. With
// prefetch, a file hashed for the first time is loaded for the first point
// while it is hashed (hashWhileLoading), instead of being read twice.
func (r *runner) resolveSources(ctx context.Context, plan *Plan, prefetch bool) error {
	p0 := plan.Point(0)
	first := p0.Spec.Data.List()
	// The points' data differ from the first's only through a data axis.
	var others []DataSpec // every point's data, when a sweep axis sets it
	if plan.sweeps("data") {
		for _, p := range plan.Points() {
			others = append(others, p.Spec.Data) // the same files (DataFiles checks)
		}
	} else {
		others = []DataSpec{p0.Spec.Data}
	}
	paths, err := DataFiles(plan)
	if err != nil {
		return err
	}
	r.sources = make([]SourceFile, len(first))
	for i, d := range first {
		path := paths[i]
		r.sources[i] = SourceFile{Name: d.Name, Path: path}
		sha, known := r.knownSHA(path)
		if known && d.SHA256 != "" && d.SHA256 != sha {
			// Hash the file itself before blaming it: the memo may be stale.
			known = false
		}
		switch {
		case known:
		case prefetch:
			var cl *claim
			if sha, known, cl, err = r.claimDataFile(ctx, path); err != nil {
				return err
			}
			if !known {
				sha, err = r.hashWhileLoading(ctx, &p0.Spec, i, cl)
				cl.drop()
				if err != nil {
					return err
				}
			}
		default:
			if sha, err = load.SHA256File(ctx, path); err != nil {
				return err
			}
			r.rememberSHA(path, sha)
		}
		for _, data := range others {
			if want := data.List()[i].SHA256; want != "" && want != sha {
				key := sourceKey(data, i, "sha256")
				return errors.New(plan.located(key, want, fmt.Sprintf("the spec says %s but %s has sha256 %s (of its decompressed content): if this file is the one meant, set %s to its sha256; if not, restore the file the spec was written for", want, path, sha, key)))
			}
		}
		r.sources[i].SHA256 = sha
	}
	return nil
}

// claimDataFile claims the first read of a data file whose sha256 is not
// remembered: of the processes sharing the cache (shards starting
// together), one reads and hashes it and stores its load entry
// (hashWhileLoading), and the others wait, then find its sha256
// remembered (known) and the load entry stored.
func (r *runner) claimDataFile(ctx context.Context, path string) (sha string, known bool, cl *claim, err error) {
	if r.cache == nil {
		return "", false, nil, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	c, waited, err := r.cache.Claim(ctx, "data file\x00"+abs)
	if err != nil {
		return "", false, nil, err
	}
	if waited {
		if sha, ok := r.knownSHA(path); ok {
			c.Release()
			return sha, true, nil, nil
		}
	}
	return "", false, &claim{cl: c}, nil
}

// sourceKey is the spec key of a source's field: data.KEY, or data[i].KEY
// for the list form.
func sourceKey(d DataSpec, i int, key string) string {
	if len(d.Sources) == 0 {
		return "data." + key
	}
	return fmt.Sprintf("data[%d].%s", i, key)
}

// loadKey is the cache key of source i's load stage, with the label filter
// pushed down.
func (r *runner) loadKey(sp *stageParams, i int) (cache.Key, error) {
	return cache.NewKey("load", load.Version).File("data", r.sources[i].SHA256).ParamsWith(r.params, sp.load[i]).
		Param("filter", sp.filter).Param("filter_version", filter.Version).Key()
}
