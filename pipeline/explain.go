package pipeline

// The --explain printer: why a stage ran or came from the cache.

import (
	"botprof/runfolder"
	"fmt"
)

func (r *runner) explain(point string, sr runfolder.StageRecord, shared bool) {
	if r.opt.Explain == nil {
		return
	}
	r.explainMu.Lock()
	defer r.explainMu.Unlock()
	what := "ran"
	switch {
	case shared:
		what = "shared (computed once for this run)"
	case sr.Cached:
		what = "cache hit"
	}
	why := ""
	if !sr.Cached && !shared && len(sr.Changed) > 0 {
		why = " — " + joinChanged(sr.Changed)
	}
	fmt.Fprintf(r.opt.Explain, "%-40s %-10s %s %s%s\n", point, sr.Stage, sr.Key, what, why)
}

func joinChanged(c []string) string {
	out := ""
	for i, s := range c {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}
