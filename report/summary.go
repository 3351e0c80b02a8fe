package report

import (
	"botprof/runfolder"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// primaryMetric ranks sweep points unless the spec's evaluate.select names
// another metric (Run.Select).
const primaryMetric = "auc_host"

// bestCount is how many points the summary lists as best.
const bestCount = 5

// WriteReport writes the summary and the figures of the results folder
// dir (WriteSummary and WriteFigures), reading the folder once: a run
// writes its report with it.
func WriteReport(dir string) error {
	r, err := load(dir, shownHosts)
	if err != nil {
		return err
	}
	if err := r.saveSummary(); err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	if err := r.saveFigures(); err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	return nil
}

// WriteSummary writes dir/summary.md for the results folder dir (see Show).
func WriteSummary(dir string) error {
	r, err := load(dir, shownHosts)
	if err != nil {
		return err
	}
	return r.saveSummary()
}

// saveSummary writes r.Dir/summary.md.
func (r *Run) saveSummary() error {
	dir := r.Dir
	f, err := os.CreateTemp(dir, ".summary-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		f.Close()
		return err
	}
	if err := r.writeSummary(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, "summary.md"))
}

// Show writes the summary of the results folder dir to w as Markdown: the
// run's inputs, the best points by median auc_host over seeds, the sweep
// table (rows window.size, columns model.states, cells median auc_host with
// IQR) when both are swept, the host scores of the best point, and warnings
// as footnotes.
func Show(dir string, w io.Writer) error {
	r, err := loadComplete(dir, shownHosts)
	if err != nil {
		return err
	}
	return r.writeSummary(w)
}

func (r *Run) writeSummary(w io.Writer) error {
	var b strings.Builder
	var notes []string
	note := func(s string) string {
		notes = append(notes, s)
		return fmt.Sprintf("[^%d]", len(notes))
	}
	m := &r.Manifest
	fmt.Fprintf(&b, "# %s — run %s\n\n", orDash(m.Experiment), orDash(m.RunID))
	fmt.Fprintf(&b, "- data: `%s` (sha256 `%s`)\n", orDash(m.Data.Path), orDash(m.Data.SHA256))
	fmt.Fprintf(&b, "- started: %s (%.1f s)\n", orDash(m.Started), m.WallSeconds)
	git := m.Git.Commit
	if m.Git.Dirty {
		git += " (dirty)"
	}
	fmt.Fprintf(&b, "- botprof %s, git %s, %s\n", orDash(m.BotprofVersion), orDash(git), orDash(m.GoVersion))
	if m.SpecPath != "" {
		fmt.Fprintf(&b, "- spec: `%s`\n", m.SpecPath)
	}
	gs, failed := r.groups()
	ref := ""
	if len(failed) > 0 {
		ref = note("failed points: " + r.failures())
	}
	fmt.Fprintf(&b, "- points: %d (%d failed%s), primary score: %s\n", len(r.Points), len(failed), ref, orDash(r.Score))

	sel := r.selectMetric()
	ranked := rankGroups(gs, sel)
	// The column after the IQR: auc_window, or auc_host when auc_window
	// ranks (it would be shown twice and auc_host not at all).
	other := "auc_window"
	if sel == other {
		other = primaryMetric
	}
	// When no point has a value of the ranking metric (no scored infected
	// host, say), no point is better than another by it: the table must
	// not read as a ranking by it, nor its first point as the best.
	undefined := len(ranked) > 0 && !anyValues(ranked, sel)
	best := "best point"
	switch {
	case undefined:
		best = "first point"
		fmt.Fprintf(&b, "\n## Points: no point has a defined %s\n\n", sel)
		if anyValues(ranked, "auc_window") {
			fmt.Fprintf(&b, "Every point's %s is undefined (see the warnings below): the points are ranked by median auc_window.\n\n", sel)
		} else {
			fmt.Fprintf(&b, "Every point's %s is undefined (see the warnings below): the points are listed by their parameters.\n\n", sel)
		}
	default:
		fmt.Fprintf(&b, "\n## Best points by median %s\n\n", sel)
	}
	if len(ranked) == 0 {
		// An empty table would read as a run with nothing to rank.
		b.WriteString("No point finished: nothing to rank (the failures are listed below).\n")
	} else {
		fmt.Fprintf(&b, "| point | seeds | %s | IQR | %s | margin | tpr_at_fpr0 |\n|---|---:|---:|---:|---:|---:|---:|\n", sel, other)
	}
	for i, g := range ranked {
		if i == bestCount {
			break
		}
		xs := g.values(sel)
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", mdEscape(g.Config.String()), len(g.Points),
			fmtMedian(xs), fmtIQR(xs), fmtMedian(g.values(other)), fmtMedian(g.values("margin")), fmtMedian(g.values("tpr_at_fpr0")))
	}
	if len(ranked) > bestCount {
		more := strings.Replace(Count(len(ranked)-bestCount, "point"), " ", " more ", 1) // "1 more point"
		fmt.Fprintf(&b, "\n%s in metrics.json.\n", more)
	}
	r.writeSweepTable(&b, gs, note)
	if len(ranked) > 0 {
		p := ranked[0].bestPoint(sel)
		v := "undefined"
		if x, ok := p.Metrics[sel]; ok {
			v = fmtNum(x)
		}
		fmt.Fprintf(&b, "\n## Host scores of the %s\n\n%s, seed %s (%s = %s)\n\n", best, mdEscape(p.Name), orDash(p.Seed), sel, v)
		b.WriteString("| host | class | status | flows | windows | viterbi | loglik | loglik_per_window |\n|---|---|---|---:|---:|---:|---:|---:|\n")
		hosts := append([]runfolder.ScoreRow(nil), p.Hosts...)
		sort.SliceStable(hosts, func(i, j int) bool { return classRank(hosts[i].Class) < classRank(hosts[j].Class) })
		for _, h := range hosts {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |", h.Host, h.Class, h.Status, orDash(h.Flows), orDash(h.Windows))
			for _, k := range runfolder.ScoreKinds {
				if v, ok := h.Scores.Get(k); ok {
					fmt.Fprintf(&b, " %s |", fmtNum(v))
				} else {
					b.WriteString(" — |")
				}
			}
			b.WriteString("\n")
		}
		if len(hosts) == 0 {
			b.WriteString(note("scores.csv has no rows for this point") + "\n")
		}
	}
	r.writeWarnings(&b)
	if len(notes) > 0 {
		b.WriteString("\n")
		for i, n := range notes {
			fmt.Fprintf(&b, "[^%d]: %s\n", i+1, mdEscape(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// maxWarnings bounds the distinct warnings summary.md lists.
const maxWarnings = 20

// writeWarnings lists the lines the loader skipped (on_bad_line: skip), then
// the points' warnings, each distinct one once in point order, with how
// many points gave it when the run has several.
func (r *Run) writeWarnings(b *strings.Builder) {
	var order []string
	n := map[string]int{}
	for _, w := range r.skippedLines() {
		order = append(order, w)
		n[w] = len(r.Points)
	}
	for _, p := range r.Points {
		for _, w := range p.Warnings {
			if n[w] == 0 {
				order = append(order, w)
			}
			n[w]++
		}
	}
	if len(order) == 0 {
		return
	}
	b.WriteString("\n## Warnings\n\n")
	for i, w := range order {
		if i == maxWarnings {
			fmt.Fprintf(b, "- … %s more in metrics.json\n", Count(len(order)-maxWarnings, "warning"))
			break
		}
		if len(r.Points) > 1 {
			fmt.Fprintf(b, "- %s (%d of %d points)\n", mdEscape(w), n[w], len(r.Points))
		} else {
			fmt.Fprintf(b, "- %s\n", mdEscape(w))
		}
	}
}

// skippedLines describes the unparsable lines each data source's load
// skipped, from the manifest's load stats (generic JSON: load.Stats).
func (r *Run) skippedLines() []string {
	bad := func(stats any) int64 {
		m, _ := stats.(map[string]any)
		v, _ := m["Bad"].(float64)
		return int64(v)
	}
	var out []string
	note := func(path string, n int64) {
		if n > 0 {
			out = append(out, runfolder.SkippedLinesWarning(path, n))
		}
	}
	if srcs, ok := r.Manifest.Sources.([]any); ok && len(srcs) > 0 {
		for _, s := range srcs {
			m, _ := s.(map[string]any)
			path, _ := m["path"].(string)
			note(path, bad(m["load"]))
		}
		return out
	}
	note(r.Manifest.Data.Path, bad(r.Manifest.Load))
	return out
}

// writeSweepTable writes the window.size × model.states table of median
// auc_host over seeds, pooling any other swept key into the cells.
func (r *Run) writeSweepTable(b *strings.Builder, gs []*group, note func(string) string) {
	const rowKey, colKey = "window.size", "model.states"
	rows, cols := axisValues(gs, rowKey), axisValues(gs, colKey)
	if len(rows) == 0 || len(cols) == 0 {
		return
	}
	sel := r.selectMetric()
	fmt.Fprintf(b, "\n## Sweep: median %s over seeds (IQR)\n\n| %s \\ %s |", sel, rowKey, colKey)
	for _, c := range cols {
		fmt.Fprintf(b, " %s |", c)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(cols)) + "\n")
	pooled := false
	for _, rv := range rows {
		fmt.Fprintf(b, "| %s |", rv)
		for _, cv := range cols {
			var xs []float64
			n := 0
			for _, g := range gs {
				gr, _ := g.Config.get(rowKey)
				gc, _ := g.Config.get(colKey)
				if gr == rv && gc == cv {
					xs = append(xs, g.values(sel)...)
					n++
				}
			}
			pooled = pooled || n > 1
			if len(xs) == 0 {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(b, " %s (%s) |", fmtNum(Median(xs)), fmtIQR(xs))
		}
		b.WriteString("\n")
	}
	if pooled {
		b.WriteString("\nCells pool the other swept parameters" + note("each cell takes the median over all points with that window size and number of states") + ".\n")
	}
}

// axisValues returns the values of key over the groups, sorted.
func axisValues(gs []*group, key string) []string {
	seen := map[string]bool{}
	var vs []string
	for _, g := range gs {
		if v, ok := g.Config.get(key); ok && !seen[v] {
			seen[v] = true
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return compareValues(vs[i], vs[j]) < 0 })
	return vs
}

func classRank(c string) int {
	switch c {
	case "profile":
		return 0
	case "normal":
		return 1
	case "infected":
		return 2
	}
	return 3
}

// rankGroups sorts groups best first: by the median of metric, then its
// lower quartile, then median auc_window (so a steadier point wins a tie).
// Every metric that can be selected is better when higher.
func rankGroups(gs []*group, metric string) []*group {
	out := append([]*group(nil), gs...)
	key := func(g *group) [3]float64 {
		xs := g.values(metric)
		q1 := -1e308
		if len(xs) > 0 {
			q1 = Quantile(xs, 0.25)
		}
		return [3]float64{medianOr(xs), q1, medianOr(g.values("auc_window"))}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := key(out[i]), key(out[j])
		for k := range a {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return false
	})
	return out
}

// anyValues reports whether a point of gs has a defined value of metric.
func anyValues(gs []*group, metric string) bool {
	for _, g := range gs {
		if len(g.values(metric)) > 0 {
			return true
		}
	}
	return false
}

func medianOr(xs []float64) float64 {
	if len(xs) == 0 {
		return -1e308
	}
	return Median(xs)
}

func fmtMedian(xs []float64) string {
	if len(xs) == 0 {
		return "—"
	}
	return fmtNum(Median(xs))
}

// fmtIQR is the interquartile range of xs, or "n=1" for a single value:
// a range of one value ("0.4000–0.4000") would read as a spread that was
// measured to be zero.
func fmtIQR(xs []float64) string {
	if len(xs) == 0 {
		return "—"
	}
	if len(xs) == 1 {
		return "n=1"
	}
	return fmtNum(Quantile(xs, 0.25)) + "–" + fmtNum(Quantile(xs, 0.75))
}

// selectMetric is the metric that ranks points: the spec's evaluate.select
// (auc_host, auc_window, train_loglik or f1), auc_host by default.
func (r *Run) selectMetric() string {
	if ev, ok := r.Manifest.SpecMap()["evaluate"].(map[string]any); ok {
		if s, ok := ev["select"].(string); ok && s != "" {
			return s
		}
	}
	return primaryMetric
}

// maxFailedNames bounds the point names summary.md lists per error.
const maxFailedNames = 5

// failures lists the failed points' errors, each distinct error once in
// point order with the points that had it ("point: error" for one point),
// so that a sweep whose every point failed alike reads as one error.
func (r *Run) failures() string {
	var order []string
	names := map[string][]string{}
	for _, p := range r.Points {
		if p.Status != "" && p.Status != "ok" {
			e := orDash(p.Error)
			if _, ok := names[e]; !ok {
				order = append(order, e)
			}
			names[e] = append(names[e], p.Name)
		}
	}
	var parts []string
	for _, e := range order {
		ns := names[e]
		if len(ns) == 1 {
			parts = append(parts, ns[0]+": "+e)
			continue
		}
		list := strings.Join(ns[:min(len(ns), maxFailedNames)], ", ")
		if len(ns) > maxFailedNames {
			list += ", …"
		}
		parts = append(parts, fmt.Sprintf("%s (%d points: %s)", e, len(ns), list))
	}
	return strings.Join(parts, "; ")
}
