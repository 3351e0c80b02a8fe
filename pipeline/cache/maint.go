package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// tmpMaxAge is how old a temporary directory must be before GC removes it:
// old enough that no Put can still be writing into it.
const tmpMaxAge = time.Hour

// EntryInfo describes a stored entry without verifying it.
type EntryInfo struct {
	ID      string
	Dir     string
	Bytes   int64     // all files, meta.json included
	LastUse time.Time // mtime of meta.json (of the directory if meta.json is missing)
}

// Stats summarises the cache.
type Stats struct {
	Dir            string
	Entries        int
	Bytes          int64
	Oldest, Newest time.Time // least and most recent use over entries; zero if empty
	TempDirs       int       // unfinished writes and removals in tmp/
	TempBytes      int64
	ExplainRecords int
	FileHashes     int // remembered data-file hashes (filehash/)
}

// Problem is an entry that failed verification, or a path that does not
// belong in the cache.
type Problem struct {
	ID     string // empty for a stray path or a memo
	Path   string
	Reason string
	Memo   bool // a damaged data-file hash memo (RemoveFileHash)
}

// List returns every entry directory, sorted by id. Stray paths are
// returned as problems.
func (c *Cache) List() ([]EntryInfo, []Problem, error) {
	var infos []EntryInfo
	var strays []Problem
	tops, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("cache: %w", err)
	}
	for _, top := range tops {
		name := top.Name()
		if name == tmpDir || name == explainDir || name == fileHashDir || name == locksDir {
			continue
		}
		path := filepath.Join(c.dir, name)
		if !top.IsDir() || len(name) != 2 || !isHexID(name+zeros62) {
			strays = append(strays, Problem{Path: path, Reason: "unexpected path"})
			continue
		}
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, nil, fmt.Errorf("cache: %w", err)
		}
		for _, e := range ents {
			p := filepath.Join(path, e.Name())
			if !e.IsDir() || !isHexID(e.Name()) || e.Name()[:2] != name {
				strays = append(strays, Problem{Path: p, Reason: "unexpected path"})
				continue
			}
			info, err := entryInfo(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed concurrently
			}
			if err != nil {
				return nil, nil, fmt.Errorf("cache: %w", err)
			}
			infos = append(infos, info)
		}
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].ID < infos[j].ID })
	return infos, strays, nil
}

const zeros62 = "00000000000000000000000000000000000000000000000000000000000000"

func entryInfo(dir string) (EntryInfo, error) {
	info := EntryInfo{ID: filepath.Base(dir), Dir: dir}
	st, err := os.Stat(dir)
	if err != nil {
		return info, err
	}
	info.LastUse = st.ModTime()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return info, err
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		info.Bytes += fi.Size()
		if e.Name() == metaName {
			info.LastUse = fi.ModTime()
		}
	}
	return info, nil
}

// Info returns statistics about the cache.
func (c *Cache) Info() (Stats, error) {
	s := Stats{Dir: c.dir}
	infos, _, err := c.List()
	if err != nil {
		return s, err
	}
	for _, e := range infos {
		s.Entries++
		s.Bytes += e.Bytes
		if s.Oldest.IsZero() || e.LastUse.Before(s.Oldest) {
			s.Oldest = e.LastUse
		}
		if e.LastUse.After(s.Newest) {
			s.Newest = e.LastUse
		}
	}
	tmps, err := os.ReadDir(filepath.Join(c.dir, tmpDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("cache: %w", err)
	}
	for _, t := range tmps {
		s.TempDirs++
		s.TempBytes += dirSize(filepath.Join(c.dir, tmpDir, t.Name()))
	}
	for _, d := range []struct {
		name string
		n    *int
	}{{explainDir, &s.ExplainRecords}, {fileHashDir, &s.FileHashes}} {
		recs, err := os.ReadDir(filepath.Join(c.dir, d.name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return s, fmt.Errorf("cache: %w", err)
		}
		*d.n = len(recs)
	}
	return s, nil
}

func dirSize(path string) int64 {
	var n int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// Verify checks every entry as Get would (meta.json, sizes, sha256) and
// every data-file hash memo (its checksum), and returns the problems found, sorted by path. It changes nothing; remove a
// damaged entry with Remove.
func (c *Cache) Verify() ([]Problem, error) {
	infos, problems, err := c.List()
	if err != nil {
		return nil, err
	}
	for _, e := range infos {
		if _, reason := c.verify(e.Dir, Key{}); reason != "" && reason != "absent" {
			problems = append(problems, Problem{ID: e.ID, Path: e.Dir, Reason: reason})
		}
	}
	memos, err := c.verifyFileHashes()
	if err != nil {
		return nil, err
	}
	problems = append(problems, memos...)
	sort.Slice(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
	return problems, nil
}

// Stale returns the entries GC(olderThan, now) would remove: those last used
// at or before now-olderThan.
func (c *Cache) Stale(olderThan time.Duration, now time.Time) ([]EntryInfo, error) {
	infos, _, err := c.List()
	if err != nil {
		return nil, err
	}
	cutoff := now.Add(-olderThan)
	var stale []EntryInfo
	for _, e := range infos {
		if !e.LastUse.After(cutoff) {
			stale = append(stale, e)
		}
	}
	return stale, nil
}

// GC removes entries last used at or before now-olderThan, explain records
// not written since then, and temporary directories older than an hour
// (left by writers that crashed). It returns the number of entries removed
// and the bytes freed, temporary directories included.
func (c *Cache) GC(olderThan time.Duration, now time.Time) (removed int, freed int64, err error) {
	stale, err := c.Stale(olderThan, now)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range stale {
		if err := c.Remove(e.ID); err != nil {
			return removed, freed, err
		}
		removed++
		freed += e.Bytes
	}
	tmp := filepath.Join(c.dir, tmpDir)
	tmps, err := os.ReadDir(tmp)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return removed, freed, fmt.Errorf("cache gc: %w", err)
	}
	for _, t := range tmps {
		fi, err := t.Info()
		if err != nil || now.Sub(fi.ModTime()) < tmpMaxAge {
			continue
		}
		p := filepath.Join(tmp, t.Name())
		n := dirSize(p)
		if err := os.RemoveAll(p); err != nil {
			return removed, freed, fmt.Errorf("cache gc: %w", err)
		}
		freed += n
	}
	c.removeFreeLocks()
	// Explain records and data-file hash memos age by their mtime.
	cutoff := now.Add(-olderThan)
	for _, dir := range []string{explainDir, fileHashDir} {
		recs, err := os.ReadDir(filepath.Join(c.dir, dir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, freed, fmt.Errorf("cache gc: %w", err)
		}
		for _, r := range recs {
			fi, err := r.Info()
			if err != nil || fi.ModTime().After(cutoff) {
				continue
			}
			if err := os.Remove(filepath.Join(c.dir, dir, r.Name())); err == nil {
				freed += fi.Size()
			}
		}
	}
	return removed, freed, nil
}
