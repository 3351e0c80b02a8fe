package runfolder

import (
	"encoding/json"
	"fmt"
	"math"
)

// Float is a float64 whose non-finite values survive JSON, which has no
// NaN or infinity. Every number of the results folder's JSON files is
// written this way:
//
//	NaN (undefined, e.g. an AUC without negatives)   null
//	+Inf                                             "inf"
//	-Inf (e.g. a log-likelihood of an impossible
//	      sequence under a categorical model)        "-inf"
//
// CSV files write the same values as "" (NaN), "+Inf" and "-Inf", which
// strconv.ParseFloat reads back.
type Float float64

// MarshalJSON writes f as a number, null, "inf" or "-inf".
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte("null"), nil
	case math.IsInf(v, 1):
		return []byte(`"inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-inf"`), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Float) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*f = Float(math.NaN())
		return nil
	case `"inf"`:
		*f = Float(math.Inf(1))
		return nil
	case `"-inf"`:
		*f = Float(math.Inf(-1))
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("want a number, null, \"inf\" or \"-inf\", got %s", b)
	}
	*f = Float(v)
	return nil
}
