package runfolder

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
)

// Folder is a results folder read into memory: what every reader (show,
// ls, diff, the summary and figures) starts from. Point files
// (points/<point>/) are read on demand with ReadROC and ReadJSON.
type Folder struct {
	Dir      string
	Manifest Manifest
	Metrics  MetricsFile
	// Scores are scores.csv's rows per point (nil when the folder has no
	// scores.csv), ScoreOrder its points in file order.
	Scores     map[string][]ScoreRow
	ScoreOrder []string
}

// Read reads the results folder dir: manifest.json and metrics.json are
// required, scores.csv is optional. It does not judge completeness (see
// pipeline's .partial folders).
func Read(dir string) (*Folder, error) {
	f := &Folder{Dir: dir}
	if err := ReadJSON(filepath.Join(dir, "manifest.json"), &f.Manifest); err != nil {
		return nil, err
	}
	// The points' specs as read hold the file's indentation; compact
	// copies take a third of the memory.
	for i := range f.Manifest.Points {
		if s := f.Manifest.Points[i].Spec; len(s) > 0 {
			var b bytes.Buffer
			if json.Compact(&b, s) == nil {
				f.Manifest.Points[i].Spec = bytes.Clone(b.Bytes())
			}
		}
	}
	if err := ReadJSON(filepath.Join(dir, "metrics.json"), &f.Metrics); err != nil {
		return nil, err
	}
	var err error
	f.Scores, f.ScoreOrder, err = ReadScores(filepath.Join(dir, "scores.csv"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return f, nil
}

// Point returns metrics.json's entry for the named point, nil if it has
// none (a failed point).
func (f *Folder) Point(name string) *MetricsPoint {
	for i := range f.Metrics.Points {
		if f.Metrics.Points[i].Point == name {
			return &f.Metrics.Points[i]
		}
	}
	return nil
}
