package runfolder

import "encoding/json"

// HostScore is one host's scores; nil scores are undefined (insufficient data).
type HostScore struct {
	Host            string   `json:"host"`
	Class           string   `json:"class"`
	Status          string   `json:"status"`
	Flows           int      `json:"flows"`
	Windows         int      `json:"windows"`
	Viterbi         *float64 `json:"viterbi"`
	LogLik          *float64 `json:"loglik"`
	LogLikPerWindow *float64 `json:"loglik_per_window"`
}

// hostScoreJSON is HostScore as JSON: -Inf scores (zero probability)
// survive as "-inf" (see Float); plain *float64 made the whole
// point.json unwritable, so such points were never cached.
type hostScoreJSON struct {
	Host            string `json:"host"`
	Class           string `json:"class"`
	Status          string `json:"status"`
	Flows           int    `json:"flows"`
	Windows         int    `json:"windows"`
	Viterbi         *Float `json:"viterbi"`
	LogLik          *Float `json:"loglik"`
	LogLikPerWindow *Float `json:"loglik_per_window"`
}

// MarshalJSON writes h with non-finite scores encoded as runfolder.Float.
func (h HostScore) MarshalJSON() ([]byte, error) {
	return json.Marshal(hostScoreJSON{h.Host, h.Class, h.Status, h.Flows, h.Windows,
		(*Float)(h.Viterbi), (*Float)(h.LogLik), (*Float)(h.LogLikPerWindow)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (h *HostScore) UnmarshalJSON(b []byte) error {
	var v hostScoreJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*h = HostScore{v.Host, v.Class, v.Status, v.Flows, v.Windows,
		(*float64)(v.Viterbi), (*float64)(v.LogLik), (*float64)(v.LogLikPerWindow)}
	return nil
}

// Score returns the host's score of the given kind (nil if undefined).
func (h HostScore) Score(kind string) *float64 {
	switch kind {
	case "viterbi":
		return h.Viterbi
	case "loglik":
		return h.LogLik
	case "loglik_per_window":
		return h.LogLikPerWindow
	}
	return nil
}

// StatusZeroProbability is a host's status when the model gives its windows
// probability 0: its scores are -Inf. It stays in the ROC (ranked lowest);
// the summary lists it as this status instead of averaging -Inf.
const StatusZeroProbability = "zero_probability"
