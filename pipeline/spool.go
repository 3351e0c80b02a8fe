package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"sync"

	"botprof/runfolder"
)

// spool keeps a run's finished points on disk until WriteResults writes
// them into manifest.json, metrics.json and scores: with
// Options.ResultsDir, Execute hands every finished point to the spool and
// keeps only its name and error, so that a run's memory does not grow
// with its points (a 10^5-point sweep kept 5 KB per point: host scores,
// metrics, fit histories and stage records).
//
// The spool is one file of JSON records, appended in the order points
// finish, read back by offset in plan order. Its record is the point's
// stage records and its PointOutput in the JSON of the evaluate stage's
// cache entry, which a cached point is read from: the results of a point
// read back from the spool are those of the point in memory. The file is
// unlinked as soon as it is created (it never outlives the process, even
// killed) and closed by WriteResults, or when its Outcome is collected.
type spool struct {
	mu   sync.Mutex
	f    *os.File
	size int64
	at   []spoolRef // by plan index
	err  error      // the first failed write

	names    map[string]bool   // the metrics any point has: metrics.csv's columns
	warnings map[string]warnAt // each point warning, where it first occurs
	first    int               // plan index of the first point with an output (-1: none)
	firstOut *PointOutput      // its output, for Reproduce
}

// spoolRef locates one point's record; n == 0: the point has none.
type spoolRef struct {
	off int64
	n   int32
}

// warnAt is where a warning first occurs: the plan index of the point,
// its position among the point's warnings.
type warnAt struct{ index, pos int }

// spooled is one point's record.
type spooled struct {
	Stages []runfolder.StageRecord `json:"stages,omitempty"`
	Out    *PointOutput            `json:"out,omitempty"`
}

// newSpool creates the spool of a plan of n points in dir (the run's
// results folder).
func newSpool(dir string, n int) (*spool, error) {
	f, err := os.CreateTemp(dir, ".spool-*")
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	os.Remove(f.Name()) // open, it lives on unnamed (where the OS allows; else close removes it)
	s := &spool{f: f, at: make([]spoolRef, n), names: map[string]bool{}, warnings: map[string]warnAt{}, first: -1}
	runtime.AddCleanup(s, func(f *os.File) { f.Close() }, f)
	return s, nil
}

// put records point i's stages and output.
func (s *spool) put(i int, pr PointResult) error {
	b, err := json.Marshal(spooled{Stages: pr.Stages, Out: pr.Out})
	if err != nil {
		return fmt.Errorf("point %s: %w", pr.Point.Name, err)
	}
	b = append(b, '\n')
	if len(b) > 1<<31-1 {
		return fmt.Errorf("point %s: its results are %d bytes, over the spool's 2 GiB", pr.Point.Name, len(b))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if _, err := s.f.WriteAt(b, s.size); err != nil {
		s.err = fmt.Errorf("results: spooling point %s: %w", pr.Point.Name, err)
		return s.err
	}
	s.at[i] = spoolRef{off: s.size, n: int32(len(b))}
	s.size += int64(len(b))
	if o := pr.Out; o != nil {
		for k := range o.Metrics {
			s.names[k] = true
		}
		for pos, w := range o.Warnings {
			if at, ok := s.warnings[w]; !ok || i < at.index {
				s.warnings[w] = warnAt{i, pos}
			}
		}
		if s.first < 0 || i < s.first {
			s.first, s.firstOut = i, o
		}
	}
	return nil
}

// get reads point i's record back (an empty one if the point has none).
func (s *spool) get(i int) (spooled, error) {
	var rec spooled
	ref := s.at[i]
	if ref.n == 0 {
		return rec, nil
	}
	b := make([]byte, ref.n)
	if _, err := s.f.ReadAt(b, ref.off); err != nil {
		return rec, fmt.Errorf("results: reading the spool back: %w", err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("results: reading the spool back: %w", err)
	}
	return rec, nil
}

// pointWarnings are the spooled points' warnings once each, in plan
// order (as Outcome.Warnings lists them).
func (s *spool) pointWarnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := make([]string, 0, len(s.warnings))
	for w := range s.warnings {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, b string) int {
		x, y := s.warnings[a], s.warnings[b]
		if x.index != y.index {
			return x.index - y.index
		}
		return x.pos - y.pos
	})
	return ws
}

// close closes the spool's file, and removes it if it could not be
// unlinked while open.
func (s *spool) close() error {
	err := s.f.Close()
	if rerr := os.Remove(s.f.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}
