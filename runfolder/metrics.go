package runfolder

import (
	"encoding/json"
	"math"
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
	Point    string       `json:"point"`
	Params   Params       `json:"params"`
	Seed     uint64       `json:"seed"`
	Metrics  Metrics      `json:"metrics"`
	Train    TrainSummary `json:"train"`
	Warnings []string     `json:"warnings,omitempty"`
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
