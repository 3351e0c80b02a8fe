package runfolder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

// MetricsFile is metrics.json: per point, its metrics, training summary
// and warnings.
type MetricsFile struct {
	Score  string         `json:"score"`
	Points []MetricsPoint `json:"points"`
}

// MetricsPoint is one point of metrics.json.
type MetricsPoint struct {
	Point    string        `json:"point"`
	Params   Params        `json:"params"`
	Seed     *uint64       `json:"seed"` // null when not known (reference folders)
	Metrics  Metrics       `json:"metrics"`
	Train    *TrainSummary `json:"train,omitempty"` // nil when botprof did not fit the model (reference folders)
	Warnings []string      `json:"warnings,omitempty"`
}

// Metrics maps metric names to values; NaN (undefined) is written as null.
type Metrics map[string]float64

// MarshalJSON writes metrics sorted by name, NaN as null.
func (m Metrics) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k)
		b = append(b, kb...)
		b = append(b, ':')
		vb, err := json.Marshal(Float(m[k]))
		if err != nil {
			return nil, err
		}
		b = append(b, vb...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads null as NaN.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var raw map[string]Float
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = Metrics{}
	for k, v := range raw {
		(*m)[k] = float64(v)
	}
	return nil
}

// Defined returns the metrics that have a value (not NaN).
func (m Metrics) Defined() map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) {
			out[k] = v
		}
	}
	return out
}

// WriteMetrics writes metrics.json (mf, indented) and metrics.csv into
// dir. metrics.csv has a row per point: its name, its value of each axis
// (axes, in sweep order), every metric any point has (sorted by name;
// empty where undefined or where the point has no such metric) and the
// training log-likelihood, iterations and convergence (empty for a point
// without a fit).
func WriteMetrics(dir string, mf MetricsFile, axes []string) error {
	var names []string
	seen := map[string]bool{}
	for _, p := range mf.Points {
		for k := range p.Metrics {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	w, err := NewMetricsWriter(dir, mf.Score, axes, names)
	if err != nil {
		return err
	}
	for _, p := range mf.Points {
		if err := w.Add(p); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// ReadMetrics reads metrics.json.
func ReadMetrics(path string) (*MetricsFile, error) {
	var mf MetricsFile
	if err := ReadJSON(path, &mf); err != nil {
		return nil, err
	}
	return &mf, nil
}

// WriteJSON writes v as indented JSON (one space) with a final newline,
// mode 0644: the layout of every JSON file of a results folder.
func WriteJSON(path string, v any) error {
	var b bytes.Buffer
	if err := encodeJSON(&b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}

// ReadJSON decodes the JSON file at path into v; errors name the file.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
