package runfolder

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// FormatVersion is the version of the results-folder layout. 2: scores
// carry a column per sweep axis and a role column; the profiled host's
// class is infected.
const FormatVersion = 2

// Manifest is manifest.json: how a run was made. Spec and a point's Spec
// are the writer's typed spec (pipeline.Spec); a reader gets them as
// generic JSON (map[string]any). Sources and Load are the writer's load
// records, generic JSON when read.
type Manifest struct {
	Format         int               `json:"format"`
	BotprofVersion string            `json:"botprof_version"`
	Experiment     string            `json:"experiment"`
	RunID          string            `json:"run_id"`
	SpecPath       string            `json:"spec_path"`
	Sets           []string          `json:"sets,omitempty"`
	SpecText       string            `json:"spec_text"`               // the spec file as written
	Spec           any               `json:"spec"`                    // as written plus --set, before the sweep
	NarrowedAxes   []string          `json:"narrowed_axes,omitempty"` // sweep axes --set replaced or added
	Sweep          Sweep             `json:"sweep,omitempty"`
	SweepOrder     []string          `json:"sweep_order,omitempty"`
	Data           Data              `json:"data"`              // the first (or only) data source
	Sources        any               `json:"sources,omitempty"` // every source, with its load stats, when the spec lists several
	Git            Git               `json:"git"`
	GoVersion      string            `json:"go_version"`
	Modules        map[string]string `json:"modules"`
	Started        string            `json:"started"`
	WallSeconds    float64           `json:"wall_seconds"`
	Points         []ManifestPoint   `json:"points"`
	Load           any               `json:"load,omitempty"`
}

// SpecMap returns the manifest's spec as generic JSON (as a reader decodes
// it), nil if it has none.
func (m *Manifest) SpecMap() map[string]any {
	s, _ := m.Spec.(map[string]any)
	return s
}

// Data identifies the input file.
type Data struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Git records the commit botprof was built from and whether its tree had
// uncommitted changes.
type Git struct {
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty"`
}

// ManifestPoint is one point of the run.
type ManifestPoint struct {
	Name   string `json:"name"`
	Params Params `json:"params"`
	// Spec is the point's resolved parameters, kept as JSON text: readers
	// of big sweeps need the params, and decoding every point's spec into
	// generic maps cost 6.7 KB per point.
	Spec   json.RawMessage `json:"spec"`
	Seed   *uint64         `json:"seed"` // null when not known (reference folders)
	Status string          `json:"status"`
	Error  string          `json:"error,omitempty"`
	Stages []StageRecord   `json:"stages"`
}

// StageRecord is what happened to one stage of one point.
type StageRecord struct {
	Stage   string   `json:"stage"`
	Key     string   `json:"key"`
	Cached  bool     `json:"cached"`
	Seconds float64  `json:"seconds"`
	Changed []string `json:"changed,omitempty"`
}

// Params are a point's sweep values by key, as canonical text ("10",
// "0.5", "true", "gaussian"). They are written as JSON strings; a reader
// also accepts numbers and booleans (folders of format 1).
type Params map[string]string

// UnmarshalJSON reads an object of JSON scalars.
func (p *Params) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*p = make(Params, len(raw))
	for k, v := range raw {
		s, err := scalarText(v)
		if err != nil {
			return fmt.Errorf("params %q: %w", k, err)
		}
		(*p)[k] = s
	}
	return nil
}

// Sweep are the values of each sweep axis, as canonical text; a reader
// also accepts numbers and booleans (folders of format 1).
type Sweep map[string][]string

// UnmarshalJSON reads an object of arrays of JSON scalars.
func (s *Sweep) UnmarshalJSON(b []byte) error {
	var raw map[string][]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = make(Sweep, len(raw))
	for k, vs := range raw {
		out := make([]string, len(vs))
		for i, v := range vs {
			var err error
			if out[i], err = scalarText(v); err != nil {
				return fmt.Errorf("sweep %q: %w", k, err)
			}
		}
		(*s)[k] = out
	}
	return nil
}

// scalarText is a JSON string's value, or a number's or boolean's text
// (numbers canonical: 10, 0.5, 1e+06).
func scalarText(v json.RawMessage) (string, error) {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return "", err
	}
	switch x := x.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("%s is not a string, number or boolean", v)
}

// SkippedLinesWarning is the warning a run gives, on stderr and in
// summary.md, for the n lines of a data file its load skipped
// (on_bad_line: skip); the manifest lists the first of them.
func SkippedLinesWarning(path string, n int64) string {
	return fmt.Sprintf("%s: %d unparsable lines skipped (on_bad_line: skip); the first are listed in manifest.json", path, n)
}
