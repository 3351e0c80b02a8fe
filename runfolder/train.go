package runfolder

// TrainSummary is points/<point>/convergence.json: how the profiled
// host's model was fitted. Restarts[Best] is the fit that was kept.
type TrainSummary struct {
	LogLik     float64        `json:"loglik"`
	Iterations int            `json:"iterations"`
	Converged  bool           `json:"converged"`
	History    []float64      `json:"history"`
	Windows    int            `json:"windows"`
	Best       int            `json:"best_restart"`
	Restarts   []RestartTrace `json:"restarts"`
}

// RestartTrace is one restart of the fit.
type RestartTrace struct {
	Seed       uint64    `json:"seed"`
	LogLik     float64   `json:"loglik"`
	Iterations int       `json:"iterations"`
	Converged  bool      `json:"converged"`
	History    []float64 `json:"history"`
}
