package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"botprof/runfolder"
)

// More hand-computed adjustments (m = 8): Holm multiplies the k-th
// smallest by m−k+1 and keeps the running maximum; BH multiplies it by
// m/k and keeps the running minimum from the largest down.
//
//	p      0.001  0.008  0.039  0.041  0.042  0.06   0.074     0.205
//	Holm   0.008  0.056  0.234  0.234  0.234  0.234  0.234     0.234
//	BH     0.008  0.032  0.0672 0.0672 0.0672 0.08   0.0845714 0.205
//
// and the evenly spaced 0.01…0.05 (m = 5): Holm 0.05 0.08 0.09 0.09 0.09,
// BH 0.05 everywhere.
func TestAdjustPByHand(t *testing.T) {
	eight := []float64{0.041, 0.001, 0.205, 0.039, 0.06, 0.008, 0.074, 0.042} // shuffled: order must be kept
	five := []float64{0.01, 0.02, 0.03, 0.04, 0.05}
	for _, tc := range []struct {
		name, method string
		ps, want     []float64
	}{
		{"eight-holm", "holm", eight, []float64{0.234, 0.008, 0.234, 0.234, 0.234, 0.056, 0.234, 0.234}},
		{"eight-bh", "bh", eight, []float64{0.0672, 0.008, 0.205, 0.0672, 0.08, 0.032, 0.074 * 8 / 7, 0.0672}},
		{"five-holm", "holm", five, []float64{0.05, 0.08, 0.09, 0.09, 0.09}},
		{"five-bh", "bh", five, []float64{0.05, 0.05, 0.05, 0.05, 0.05}},
		{"one-holm", "holm", []float64{0.03}, []float64{0.03}},
		{"one-bh", "bh", []float64{0.03}, []float64{0.03}},
		{"ties-holm", "holm", []float64{0.02, 0.02}, []float64{0.04, 0.04}},
		{"ties-bh", "bh", []float64{0.02, 0.02}, []float64{0.02, 0.02}},
		{"cap-holm", "holm", []float64{0.6, 0.7, 0.8}, []float64{1, 1, 1}},
		{"empty", "bh", nil, nil},
	} {
		got := AdjustP(tc.ps, tc.method)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d values, want %d", tc.name, len(got), len(tc.want))
			continue
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-9 {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

// The adjusted p-values of Compare, by hand. fakeRun(states, 6, ·) gives 4
// rows tested (auc_host and margin at states 2 and 4):
//   - auc_host: 0.5…0.55 vs 0.9…0.95, completely separated, no ties: exact
//     p = 2/C(12,6) = 2/924 = 0.0021645.
//   - margin: six 0.5 vs six 0.9, ties: the permutation distribution of
//     the mid-ranks (3.5 six times, 9.5 six times) has only this split and
//     its mirror as extreme: p = 2/924 too. (The normal approximation gave
//     0.00126, below the 2/924 that any 6+6 split allows.)
//
// Holm over four equal p keeps the running maximum: 4·2/924 = 0.008658 on
// every row. BH from the largest: 2/924 everywhere.
func TestCompareAdjustedByHand(t *testing.T) {
	states := []map[string]any{{"model.states": "2"}, {"model.states": "4"}}
	a, b := fakeRun(states, 6, 0.5), fakeRun(states, 6, 0.9)
	const pa, pm = 2.0 / 924, 2.0 / 924
	for _, tc := range []struct {
		method           string
		auc, margin      float64 // raw p
		aucAdj, marginAd float64
	}{
		{"none", pa, pm, math.NaN(), math.NaN()},
		{"holm", pa, pm, 4 * pa, 4 * pm},
		{"bh", pa, pm, pa, pa},
	} {
		res, err := Compare(a, b, DiffOptions{Correct: tc.method})
		if err != nil {
			t.Fatal(err)
		}
		if res.Correction != tc.method || res.Tests != 4 {
			t.Errorf("%s: correction %q over %d tests", tc.method, res.Correction, res.Tests)
		}
		for _, tb := range res.Tables {
			for _, r := range tb.Rows {
				p, adj := tc.auc, tc.aucAdj
				if r.Metric == "margin" {
					p, adj = tc.margin, tc.marginAd
				}
				if r.P == nil || math.Abs(*r.P-p) > 1e-12 {
					t.Errorf("%s %s %s: p %v, want %v", tc.method, tb.Name(), r.Metric, r.P, p)
				}
				switch {
				case math.IsNaN(adj) && r.PAdj != nil:
					t.Errorf("%s %s %s: adjusted p %v without a correction", tc.method, tb.Name(), r.Metric, *r.PAdj)
				case !math.IsNaN(adj) && (r.PAdj == nil || math.Abs(*r.PAdj-adj) > 1e-9):
					t.Errorf("%s %s %s: adjusted p %v, want %v", tc.method, tb.Name(), r.Metric, deref(r.PAdj), adj)
				}
			}
		}
	}
	// Significance follows the adjusted value: at alpha 0.004 no Holm value
	// (0.00505) is significant, every raw (0.00126, 0.00216) and
	// BH one (0.00216) is.
	for _, tc := range []struct {
		method string
		sig    bool
	}{{"none", true}, {"holm", false}, {"bh", true}} {
		res, err := Compare(a, b, DiffOptions{Correct: tc.method, Alpha: 0.004})
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range res.Tables {
			for _, r := range tb.Rows {
				if r.Significant != tc.sig {
					t.Errorf("%s at alpha 0.004: %s significant %v, want %v", tc.method, r.Metric, r.Significant, tc.sig)
				}
			}
		}
	}
}

// Every format states the correction in its header, "none" included.
func TestCorrectionStatedInEveryFormat(t *testing.T) {
	states := []map[string]any{{"model.states": "2"}, {"model.states": "4"}}
	a, b := fakeRun(states, 6, 0.5), fakeRun(states, 6, 0.9)
	for _, tc := range []struct {
		method string
		want   map[string]string // format → text its header holds
	}{
		{"none", map[string]string{
			"text":     "p-values of 4 tests not adjusted for multiple comparisons (--correct none",
			"markdown": "p-values of 4 tests not adjusted for multiple comparisons (--correct none",
			"json":     `"correction": "none",` + "\n" + `  "tests": 4,`,
		}},
		{"holm", map[string]string{
			"text":     "p-values adjusted for 4 tests by Holm (family-wise error rate) (--correct holm)",
			"markdown": "p-values adjusted for 4 tests by Holm (family-wise error rate) (--correct holm)",
			"json":     `"correction": "holm",` + "\n" + `  "tests": 4,`,
		}},
		{"bh", map[string]string{
			"text":     "p-values adjusted for 4 tests by Benjamini-Hochberg (false discovery rate) (--correct bh)",
			"markdown": "p-values adjusted for 4 tests by Benjamini-Hochberg (false discovery rate) (--correct bh)",
			"json":     `"correction": "bh",` + "\n" + `  "tests": 4,`,
		}},
	} {
		res, err := Compare(a, b, DiffOptions{Correct: tc.method})
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"text", "markdown", "json", "csv"} {
			var buf bytes.Buffer
			if err := res.Write(&buf, format); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if format == "csv" {
				recs, err := csv.NewReader(&buf).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				hdr := recs[0]
				ci, ti := index(hdr, "correction"), index(hdr, "tests")
				if ci < 0 || ti < 0 {
					t.Fatalf("csv header %v has no correction/tests columns", hdr)
				}
				for _, rec := range recs[1:] {
					if rec[ci] != tc.method || rec[ti] != "4" {
						t.Errorf("%s csv row %v: correction %q tests %q", tc.method, rec, rec[ci], rec[ti])
					}
				}
				continue
			}
			want := tc.want[format]
			// The statement comes before the first table.
			if i := strings.Index(out, want); i < 0 || i > strings.Index(out, "model.states=2") {
				t.Errorf("%s %s: header does not state %q before the tables:\n%s", tc.method, format, want, out)
			}
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func index(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

// infRun is a run of 6 seeds (or n) at one point whose host 10.0.0.9 scores
// -Inf on the first k seeds, with a margin of -Inf on those seeds and an
// undefined (NaN) tpr on every seed.
func infRun(n, k int, base float64) *Run {
	r := &Run{Score: "viterbi"}
	for s := range n {
		score, margin := base+float64(s), base
		if s < k {
			score, margin = math.Inf(-1), math.Inf(-1)
		}
		params := map[string]any{SeedKey: float64(s), "model.kind": "categorical"}
		r.Points = append(r.Points, Point{Name: configOf(params).String(), Params: params, Status: "ok",
			Metrics: map[string]float64{"auc_host": 0.9, "margin": margin, "tpr_at_fpr0": math.NaN()},
			Hosts: []runfolder.ScoreRow{
				{Host: "10.0.0.9", Class: "infected", Status: "zero_probability", Scores: runfolder.ScoresOf(map[string]float64{"viterbi": score})},
				{Host: "10.0.0.8", Class: "normal", Scores: runfolder.ScoresOf(map[string]float64{"viterbi": math.Inf(1)})},
				{Host: "10.0.0.7", Class: "normal", Scores: runfolder.ScoresOf(map[string]float64{"viterbi": math.NaN()})},
			}})
	}
	return r
}

// No format ever prints ±∞, Inf or NaN: infinite medians, bounds and
// changes are said in words (text, markdown), left empty (CSV) or null
// (JSON), and too few samples for an interval or a test say so.
func TestDiffNeverPrintsInfinity(t *testing.T) {
	for _, tc := range []struct {
		name       string
		a, b       *Run
		text       []string // in the text output
		notInfRows bool
	}{
		{"most-infinite", infRun(6, 4, -100), infRun(6, 0, -90), []string{
			"no finite median (4 of 6 infinite)", "not finite", "some values are infinite"}, false},
		{"one-infinite", infRun(6, 1, -100), infRun(6, 1, -90), []string{"(CI unbounded, n=6)"}, false},
		{"single-seed", infRun(1, 1, -100), infRun(1, 0, -90), []string{
			"(no CI, n=1)", "need >= 6 samples for a confidence interval at level 0.95",
			"need >= 4 samples to detect a difference at alpha level 0.05"}, false},
		{"all-infinite", infRun(3, 3, -100), infRun(3, 3, -90), []string{"all samples are equal"}, false},
	} {
		res, err := Compare(tc.a, tc.b, DiffOptions{Correct: "bh"})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, format := range []string{"text", "markdown", "csv", "json"} {
			var buf bytes.Buffer
			if err := res.Write(&buf, format); err != nil {
				t.Fatalf("%s %s: %v", tc.name, format, err)
			}
			out := buf.String()
			for _, bad := range []string{"∞", "Inf", "NaN", `"inf"`, `"-inf"`, "+inf", "-inf"} {
				if strings.Contains(out, bad) {
					t.Errorf("%s %s prints %q:\n%s", tc.name, format, bad, out)
				}
			}
			switch format {
			case "json":
				if !json.Valid(buf.Bytes()) {
					t.Errorf("%s: invalid JSON", tc.name)
				}
			case "text":
				for _, w := range tc.text {
					if !strings.Contains(out, w) {
						t.Errorf("%s text lacks %q:\n%s", tc.name, w, out)
					}
				}
			}
		}
	}
}

// Golden text and markdown for a diff with infinite scores, too few seeds
// and a Holm correction: what a reader sees instead of ±∞ and NaN.
func TestDiffInfiniteGolden(t *testing.T) {
	a, b := infRun(6, 4, -100), infRun(3, 0, -90)
	a.Dir, b.Dir = "a", "b"
	res, err := Compare(a, b, DiffOptions{Correct: "holm"})
	if err != nil {
		t.Fatal(err)
	}
	for format, ext := range map[string]string{"text": "txt", "markdown": "md"} {
		var buf bytes.Buffer
		if err := res.Write(&buf, format); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "diff_infinite."+ext, buf.Bytes())
	}
}

// "need >= 4 samples to detect a difference" is said of a row that could
// not be significant, never of one that is: 1 value against ten tied ones
// uses the tie-corrected normal approximation, σ² = 10/12·(12 − 990/110) =
// 2.5, z = (10 − 5 − 0.5)/√2.5 = 2.846, p = 0.0044, below the exact
// minimum 2/C(11,1) = 0.18.
func TestNeedSamplesNoteOnlyWhenNotSignificant(t *testing.T) {
	mk := func(vals ...float64) *Run {
		r := &Run{}
		for s, v := range vals {
			params := map[string]any{SeedKey: float64(s)}
			r.Points = append(r.Points, Point{Name: "p", Params: params, Status: "ok", Metrics: map[string]float64{"auc_host": v}})
		}
		return r
	}
	for _, tc := range []struct {
		name string
		a, b *Run
		sig  bool
		note bool
	}{
		// One seed can never be significant, tied or not: p = 1/11 at best.
		{"ties-one-seed", mk(0.5), mk(0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9), false, true},
		{"three-each", mk(0.5, 0.51, 0.52), mk(0.9, 0.91, 0.92), false, true},
		{"four-each", mk(0.5, 0.51, 0.52, 0.53), mk(0.9, 0.91, 0.92, 0.93), true, false},
	} {
		res, err := Compare(tc.a, tc.b, DiffOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Tables[0].Rows[0]
		hasNote := strings.Contains(strings.Join(res.Notes, "\n"), "to detect a difference")
		if r.Significant != tc.sig || hasNote != tc.note {
			t.Errorf("%s: p %v significant %v note %v, want significant %v note %v", tc.name, deref(r.P), r.Significant, hasNote, tc.sig, tc.note)
		}
	}
}

// A summary whose every change is not finite has median_delta null in
// JSON, as the text says "median change not finite"; it was 0, which reads
// as "no change". A finite median change stays a number.
func TestDiffJSONSummaryNotFiniteIsNull(t *testing.T) {
	res, err := Compare(infRun(6, 4, -100), infRun(6, 0, -90), DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.Write(&buf, "json"); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Summary []map[string]any `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range out.Summary {
		d, ok := s["median_delta"]
		if !ok {
			t.Errorf("%v: no median_delta", s["metric"])
		}
		seen[s["metric"].(string)] = true
		switch s["metric"] {
		case "margin":
			if d != nil {
				t.Errorf("margin: median_delta %v with every change not finite, want null", d)
			}
		case "auc_host":
			if d != 0.0 {
				t.Errorf("auc_host: median_delta %v, want 0", d)
			}
		}
	}
	if !seen["margin"] || !seen["auc_host"] {
		t.Fatalf("summary %v", out.Summary)
	}
}

// --metric drops rows and with them the footnotes only they had: "all
// samples are equal" (auc_host here) was listed under a table of margin
// rows, none of which it applied to. The rows keep notes that exist.
func TestDiffMetricDropsFootnotesOfDroppedRows(t *testing.T) {
	res, err := Compare(infRun(6, 4, -100), infRun(6, 0, -90), DiffOptions{Metrics: []string{"margin"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range res.Notes {
		if n == "all samples are equal" {
			t.Errorf("notes %q keep the note of a dropped auc_host row", res.Notes)
		}
	}
	refs := 0
	for _, tb := range res.Tables {
		for _, r := range tb.Rows {
			if r.Metric != "margin" {
				t.Errorf("row %s kept", r.Metric)
			}
			for _, n := range r.Notes {
				refs++
				if n < 1 || n > len(res.Notes) {
					t.Fatalf("row %s refers to note %d of %d", r.Metric, n, len(res.Notes))
				}
			}
		}
	}
	if refs == 0 {
		t.Error("the margin row lost its notes")
	}
	var buf bytes.Buffer
	if err := res.Write(&buf, "text"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "all samples are equal") {
		t.Errorf("text lists a note no row shown has:\n%s", buf.String())
	}
}

// A metric a run has without a value (null in metrics.json: a ROC without
// both classes, evaluate.roc: false) is "undefined in B", not "only in A",
// which reads as if B had never computed it. A host B lists without a
// score is undefined there too; one B does not list is only in A.
func TestDiffUndefinedIsNotOnlyInOneRun(t *testing.T) {
	mk := func(auc float64, score float64, withNormal bool) *Run {
		r := &Run{Score: "viterbi"}
		for s := range 3 {
			params := map[string]any{SeedKey: float64(s)}
			hosts := []runfolder.ScoreRow{{Host: "10.0.0.9", Class: "infected", Scores: runfolder.ScoresOf(map[string]float64{"viterbi": score + float64(s)})}}
			if withNormal {
				hosts = append(hosts, runfolder.ScoreRow{Host: "10.0.0.8", Class: "normal", Scores: runfolder.ScoresOf(map[string]float64{"viterbi": -50})})
			}
			r.Points = append(r.Points, Point{Name: configOf(params).String(), Params: params, Status: "ok",
				Metrics: map[string]float64{"auc_host": auc}, Hosts: hosts})
		}
		return r
	}
	res, err := Compare(mk(0.9, -10, true), mk(math.NaN(), math.NaN(), false), DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{"base: auc_host undefined in B", "base: viterbi[10.0.0.9] undefined in B", "base: viterbi[10.0.0.8] only in A"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if strings.Contains(notes, "auc_host only in A") {
		t.Errorf("notes say auc_host only in A:\n%s", notes)
	}
}

// The same read from a results folder: metrics.json's null is undefined.
func TestLoadKeepsUndefinedMetrics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	if err := os.CopyFS(dir, os.DirFS(runB)); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"auc_host": [-0-9.e]+`)
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), re.ReplaceAll(raw, []byte(`"auc_host": null`)), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Diff(runA, dir, DiffOptions{Metrics: []string{"auc_host"}}, &buf); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "auc_host undefined in B") || strings.Contains(out, "auc_host only in A") {
		t.Errorf("diff:\n%s", out)
	}
}

// A diff with nothing to summarise (no run-level metric), no differing
// input and no failed gate writes empty lists in JSON, as the lists that
// have entries are lists: "summary": null read as "not computed".
func TestDiffJSONEmptyListsNotNull(t *testing.T) {
	mk := func() *Run {
		r := &Run{Score: "viterbi"}
		for s := range 2 {
			params := map[string]any{SeedKey: float64(s)}
			r.Points = append(r.Points, Point{Name: configOf(params).String(), Params: params, Status: "ok",
				Metrics: map[string]float64{}, Hosts: []runfolder.ScoreRow{{Host: "10.0.0.9", Class: "infected", Scores: runfolder.ScoresOf(map[string]float64{"viterbi": -10})}}})
		}
		return r
	}
	res, err := Compare(mk(), mk(), DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.Write(&buf, "json"); err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"inputs", "summary", "failures"} {
		if l, ok := out[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s: %#v, want []", k, out[k])
		}
	}
}
