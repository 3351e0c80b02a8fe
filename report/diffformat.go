package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Write writes the diff in format "text" (or ""), "csv", "json" or "markdown".
func (d *DiffResult) Write(w io.Writer, format string) error {
	switch format {
	case "", "text":
		return d.writeText(w)
	case "csv":
		return d.writeCSV(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(d.jsonLists())
	case "markdown", "md":
		return d.writeMarkdown(w)
	}
	return fmt.Errorf("format %q: want text, csv, json or markdown", format)
}

func (d *DiffResult) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "A: %s\nB: %s\n", runLabel(d.A), runLabel(d.B))
	if len(d.Inputs) > 0 {
		b.WriteString("\ndiffering inputs:\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, c := range d.Inputs {
			fmt.Fprintf(tw, "  %s\t%s\t→ %s\n", c.Key, orDash(c.A), orDash(c.B))
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "\n%s\n", d.correctionText())
	if len(d.Summary) > 0 {
		fmt.Fprintf(&b, "\nsummary (B vs A at alpha %g%s):\n", d.Alpha, d.correctionSuffix())
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, m := range d.Summary {
			fmt.Fprintf(tw, "  %s\t%s\n", m.Metric, m.text())
		}
		tw.Flush()
	}
	for _, t := range d.Tables {
		fmt.Fprintf(&b, "\n%s\n", t.Name())
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "metric\tA\tB\tchange\tp\n")
		for _, r := range t.Rows {
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", r.Metric, superscripts(r.Notes),
				fmtSample(r.A), fmtSample(r.B), fmtChange(r), fmtP(r))
		}
		tw.Flush()
	}
	if len(d.Notes) > 0 {
		b.WriteString("\n")
		for i, n := range d.Notes {
			fmt.Fprintf(&b, "%s %s\n", superscripts([]int{i + 1}), n)
		}
	}
	for _, f := range d.Failures {
		fmt.Fprintf(&b, "FAIL %s\n", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// correctionText states the multiple-comparison correction in force, or
// that there is none.
func (d *DiffResult) correctionText() string {
	if d.Correction == "" || d.Correction == "none" {
		return fmt.Sprintf("p-values of %s not adjusted for multiple comparisons (--correct none; holm or bh adjust them)", Count(d.Tests, "test"))
	}
	name := map[string]string{"holm": "Holm (family-wise error rate)", "bh": "Benjamini-Hochberg (false discovery rate)"}[d.Correction]
	return fmt.Sprintf("p-values adjusted for %s by %s (--correct %s); significance uses the adjusted values", Count(d.Tests, "test"), name, d.Correction)
}

func (d *DiffResult) correctionSuffix() string {
	if d.Correction == "" || d.Correction == "none" {
		return ""
	}
	return ", " + d.Correction + "-adjusted"
}

// text is "2 improved, 0 worsened, 13 unchanged of 15 points; median change +0.0250".
func (m MetricSummary) text() string {
	n := m.Improved + m.Worsened + m.Unchanged
	change := fmtSigned(m.MedianDelta, m.MedianDelta)
	switch {
	case m.NotFinite == n:
		change = "not finite"
	case m.NotFinite > 0:
		change += fmt.Sprintf(" (%d of %d changes not finite)", m.NotFinite, n)
	}
	return fmt.Sprintf("%d improved, %d worsened, %d unchanged of %s; median change %s",
		m.Improved, m.Worsened, m.Unchanged, Count(n, "point"), change)
}

func (d *DiffResult) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# botprof diff\n\n- **A**: %s\n- **B**: %s\n", mdEscape(runLabel(d.A)), mdEscape(runLabel(d.B)))
	if len(d.Inputs) > 0 {
		b.WriteString("\n| input | A | B |\n|---|---|---|\n")
		for _, c := range d.Inputs {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdEscape(c.Key), mdEscape(orDash(c.A)), mdEscape(orDash(c.B)))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", mdEscape(d.correctionText()))
	if len(d.Summary) > 0 {
		fmt.Fprintf(&b, "\n## Summary (B vs A at alpha %g%s)\n\n| metric | summary |\n|---|---|\n", d.Alpha, d.correctionSuffix())
		for _, m := range d.Summary {
			fmt.Fprintf(&b, "| %s | %s |\n", mdEscape(m.Metric), mdEscape(m.text()))
		}
	}
	for _, t := range d.Tables {
		fmt.Fprintf(&b, "\n## %s\n\n| metric | A | B | change | p |\n|---|---:|---:|---:|---|\n", mdEscape(t.Name()))
		for _, r := range t.Rows {
			var refs string
			for _, n := range r.Notes {
				refs += fmt.Sprintf("[^%d]", n)
			}
			fmt.Fprintf(&b, "| %s%s | %s | %s | %s | %s |\n", mdEscape(r.Metric), refs,
				fmtSample(r.A), fmtSample(r.B), fmtChange(r), fmtP(r))
		}
	}
	if len(d.Notes) > 0 {
		b.WriteString("\n")
		for i, n := range d.Notes {
			fmt.Fprintf(&b, "[^%d]: %s\n", i+1, mdEscape(n))
		}
	}
	if len(d.Failures) > 0 {
		b.WriteString("\n**Failed conditions**\n\n")
		for _, f := range d.Failures {
			fmt.Fprintf(&b, "- %s\n", mdEscape(f))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCSV writes one row per compared metric; warnings are left to the
// other formats so that the file stays one rectangular table.
func (d *DiffResult) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"a_point", "b_point", "metric", "class",
		"a_n", "a_median", "a_ci_lo", "a_ci_hi", "b_n", "b_median", "b_ci_lo", "b_ci_hi",
		"delta", "relative", "p", "p_adj", "correction", "tests", "significant", "notes"})
	side := func(s *Sample) []string {
		if s == nil {
			return []string{"0", "", "", ""}
		}
		lo, hi := "", ""
		if s.HasCI {
			lo, hi = csvFloat(s.Lo), csvFloat(s.Hi)
		}
		return []string{strconv.Itoa(s.N), csvFloat(s.Median), lo, hi}
	}
	opt := func(p *float64) string {
		if p == nil {
			return ""
		}
		return csvFloat(*p)
	}
	// Every row states the correction (none, holm, bh) and the number of
	// tests it ran over: the file stays one rectangular table.
	correction := d.Correction
	if correction == "" {
		correction = "none"
	}
	for _, t := range d.Tables {
		for _, r := range t.Rows {
			rec := []string{t.A, t.B, r.Metric, r.Class}
			rec = append(rec, side(r.A)...)
			rec = append(rec, side(r.B)...)
			var notes []string
			for _, n := range r.Notes {
				notes = append(notes, d.Notes[n-1])
			}
			rec = append(rec, opt(r.Delta), opt(r.Relative), opt(r.P), opt(r.PAdj), correction, strconv.Itoa(d.Tests), strconv.FormatBool(r.Significant), strings.Join(notes, "; "))
			cw.Write(rec)
		}
	}
	cw.Flush()
	return cw.Error()
}

func runLabel(r RunRef) string {
	s := r.Dir
	var info []string
	if r.Experiment != "" {
		info = append(info, r.Experiment)
	}
	if r.RunID != "" {
		info = append(info, "run "+r.RunID)
	}
	if r.Score != "" {
		info = append(info, "score "+r.Score)
	}
	if len(info) > 0 {
		s += " (" + strings.Join(info, ", ") + ")"
	}
	return s
}

// fmtFloat formats a number for machine-readable output (shortest exact form).
func fmtFloat(x float64) string {
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// csvFloat is fmtFloat, or "" when x is not finite (the notes column says why).
func csvFloat(x float64) string {
	if !isFinite(x) {
		return ""
	}
	return fmtFloat(x)
}

// fmtNum formats a number for people: one decimal for large scores, four for rates.
func fmtNum(x float64) string { return fmtLike(x, x) }

// fmtLike formats x with the decimals fmtNum would use for ref, so that a
// spread or a change reads at the precision of the value it belongs to.
func fmtLike(x, ref float64) string {
	if math.Abs(ref) >= 1000 {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}

func fmtSigned(x, ref float64) string {
	s := fmtLike(x, ref)
	if x >= 0 {
		s = "+" + s
	}
	return s
}

// fmtSample prints median ± the larger distance to a CI bound, benchstat style;
// "(no CI, n=5)" when there are too few samples for an interval (the
// footnote says how many are needed). A median or bound that is not finite
// is said in words: no ∞, Inf or NaN is ever printed.
func fmtSample(s *Sample) string {
	switch {
	case s == nil:
		return "—"
	case !isFinite(s.Median):
		return fmt.Sprintf("no finite median (%d of %d infinite)", s.Infinite, s.N)
	case !s.HasCI:
		return fmt.Sprintf("%s (no CI, n=%d)", fmtNum(s.Median), s.N)
	case !isFinite(s.Lo) || !isFinite(s.Hi):
		return fmt.Sprintf("%s (CI unbounded, n=%d)", fmtNum(s.Median), s.N)
	}
	return fmtNum(s.Median) + " ± " + fmtLike(math.Max(s.Median-s.Lo, s.Hi-s.Median), s.Median)
}

// fmtChange prints the change of medians, absolute and relative to A.
func fmtChange(r DiffRow) string {
	if r.Delta == nil {
		if r.A != nil && r.B != nil {
			return "not finite"
		}
		return ""
	}
	s := fmtSigned(*r.Delta, r.A.Median)
	if r.Relative != nil && isFinite(*r.Relative) {
		s += fmt.Sprintf(" (%+.2f%%)", 100**r.Relative)
	}
	return s
}

// fmtP prints the test result; "~" marks a change that is not significant.
func fmtP(r DiffRow) string {
	if r.P == nil || math.IsNaN(*r.P) {
		return ""
	}
	s := fmt.Sprintf("p=%.3f n=%d+%d", *r.P, r.A.N, r.B.N)
	if r.PAdj != nil {
		s = fmt.Sprintf("p=%.3f adj=%.3f n=%d+%d", *r.P, *r.PAdj, r.A.N, r.B.N)
	}
	if !r.Significant {
		s = "~ " + s
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

var superDigits = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

func superscripts(ns []int) string {
	var b strings.Builder
	for i, n := range ns {
		if i > 0 {
			b.WriteRune(',')
		}
		for _, c := range strconv.Itoa(n) {
			b.WriteRune(superDigits[c-'0'])
		}
	}
	return b.String()
}

var mdReplacer = strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`)

func mdEscape(s string) string { return mdReplacer.Replace(s) }

// jsonLists is d with its empty lists empty rather than nil: JSON "[]"
// (none), not null, which reads as "not computed" and which jq's length
// and iteration treat otherwise.
func (d *DiffResult) jsonLists() *DiffResult {
	out := *d
	if out.Inputs == nil {
		out.Inputs = []InputChange{}
	}
	if out.Summary == nil {
		out.Summary = []MetricSummary{}
	}
	if out.Tables == nil {
		out.Tables = []DiffTable{}
	}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	if out.Failures == nil {
		out.Failures = []string{}
	}
	return &out
}
