package runfolder

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ScoreKinds are the host scores botprof computes, in output order.
var ScoreKinds = []string{"viterbi", "loglik", "loglik_per_window"}

// ScoreColumns is the header of scores.csv after the point and sweep-axis
// columns.
var ScoreColumns = []string{"host", "class", "role", "status", "flows", "windows", "viterbi", "loglik", "loglik_per_window"}

// Axis is one sweep axis: its key and values, in sweep order. The values
// type the axis's column in scores.parquet (see axisType).
type Axis struct {
	Key    string
	Values []string
}

// PointScores are one point's host scores, as the evaluate stage gives
// them: the profiled host has class "profile".
type PointScores struct {
	Point  string
	Params Params // the point's value of every axis
	Hosts  []HostScore
}

// scoreRole splits the evaluate stage's class "profile": the profiled host
// is an infected host whose role is profile (the others' role is scored).
func scoreRole(class string) (string, string) {
	if class == "profile" {
		return "infected", "profile"
	}
	return class, "scored"
}

// WriteScores writes scores.csv and scores.parquet into dir: a row per
// point and host, with the point's name, one column per sweep axis
// (typed in Parquet), then ScoreColumns. An undefined score (nil or NaN)
// is an empty CSV field and a Parquet null; a -Inf score (status
// zero_probability) is written as -Inf (CSV "-Inf").
func WriteScores(dir string, axes []Axis, points []PointScores) error {
	w, err := NewScoresWriter(dir, axes)
	if err != nil {
		return err
	}
	for _, p := range points {
		if err := w.Add(p); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// fmtScore is a score in scores.csv: shortest exact form, "" when
// undefined.
func fmtScore(v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// axisType is the Arrow type of a sweep axis's column in scores.parquet:
// int64 when every value is an integer, float64 when every value is a
// number, boolean when every value is true or false, else utf8.
func axisType(values []string) arrow.DataType {
	all := func(ok func(string) bool) bool {
		for _, v := range values {
			if !ok(v) {
				return false
			}
		}
		return true
	}
	switch {
	case all(func(v string) bool { _, err := strconv.ParseInt(v, 10, 64); return err == nil }):
		return arrow.PrimitiveTypes.Int64
	case all(func(v string) bool { _, err := strconv.ParseFloat(v, 64); return err == nil }):
		return arrow.PrimitiveTypes.Float64
	case all(func(v string) bool { return v == "true" || v == "false" }):
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String
}

// appendAxis appends a sweep value to its typed column.
func appendAxis(b array.Builder, v string) {
	switch b := b.(type) {
	case *array.Int64Builder:
		x, _ := strconv.ParseInt(v, 10, 64)
		b.Append(x)
	case *array.Float64Builder:
		x, _ := strconv.ParseFloat(v, 64)
		b.Append(x)
	case *array.BooleanBuilder:
		b.Append(v == "true")
	case *array.StringBuilder:
		b.Append(v)
	}
}

// WriteScoreRows writes scores.csv from rows as ReadScores gives them,
// for folders whose scores botprof did not compute (reference folders:
// flows and windows may be unknown, empty). Only the score kinds a row
// has are filled. It writes no scores.parquet.
func WriteScoreRows(dir string, axes []string, rows []ScoreRow) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(append(append([]string{"point"}, axes...), ScoreColumns...))
	for _, r := range rows {
		rec := []string{r.Point}
		for _, a := range axes {
			rec = append(rec, r.Params[a])
		}
		rec = append(rec, r.Host, r.Class, r.Role, r.Status, r.Flows, r.Windows)
		for _, k := range ScoreKinds {
			s := ""
			if v, ok := r.Scores.Get(k); ok {
				s = fmtScore(&v)
			}
			rec = append(rec, s)
		}
		w.Write(rec)
	}
	w.Flush()
	return os.WriteFile(filepath.Join(dir, "scores.csv"), b.Bytes(), 0o644)
}

// ScoreRow is one row of scores.csv as read: fields as written (Flows and
// Windows are empty in reference folders that do not know them), the
// sweep-axis columns in Params, and the scores that have a value.
type ScoreRow struct {
	Point                     string
	Params                    Params
	Host, Class, Role, Status string
	Flows, Windows            string
	Scores                    RowScores
}

// RowScores are a score row's values by kind (ScoreKinds): a kind
// without a value is absent. A fixed array, not a map: a report of a big
// sweep holds millions of rows (a map of three scores cost 250 B a row).
type RowScores struct {
	v   [3]float64
	has uint8 // bit i: ScoreKinds[i] has a value
}

// scoreKind is kind's index in ScoreKinds, -1 if it is none.
func scoreKind(kind string) int {
	switch kind {
	case "viterbi":
		return 0
	case "loglik":
		return 1
	case "loglik_per_window":
		return 2
	}
	return -1
}

// Get returns the score of the given kind and whether the row has one.
func (s RowScores) Get(kind string) (float64, bool) {
	i := scoreKind(kind)
	if i < 0 || s.has&(1<<i) == 0 {
		return 0, false
	}
	return s.v[i], true
}

// Set gives the row a score of the given kind; it reports false, and
// keeps nothing, for a kind not in ScoreKinds.
func (s *RowScores) Set(kind string, v float64) bool {
	i := scoreKind(kind)
	if i < 0 {
		return false
	}
	s.v[i], s.has = v, s.has|1<<i
	return true
}

// Len is how many kinds have a value.
func (s RowScores) Len() int {
	n := 0
	for i := range s.v {
		n += int(s.has >> i & 1)
	}
	return n
}

// ScoresOf are the scores of m (kind → value); kinds not in ScoreKinds
// are left out.
func ScoresOf(m map[string]float64) RowScores {
	var s RowScores
	for k, v := range m {
		s.Set(k, v)
	}
	return s
}

// ReadScores reads scores.csv into its rows per point, in file order,
// and the points in order of first appearance. Columns are found by
// name: point, host, class and status are required; role, flows, windows
// and the score kinds are optional (older folders and reference folders
// lack some); any other column is a sweep axis. A folder of format 1 has
// no role column and gives the profiled host class "profile"; it is read
// as class infected, role profile.
func ReadScores(path string) (map[string][]ScoreRow, []string, error) {
	return ReadScoresOf(path, nil)
}

// ReadScoresOf is ReadScores keeping only the rows of the points keep
// accepts (every row when keep is nil); it checks every row all the same.
// The order lists the kept points.
func ReadScoresOf(path string, keep func(point string) bool) (map[string][]ScoreRow, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s:1: %w", path, err)
	}
	col := map[string]int{}
	var axes []string
	for i, h := range head {
		col[h] = i
		if h != "point" && !slices.Contains(ScoreColumns, h) {
			axes = append(axes, h)
		}
	}
	for _, need := range []string{"point", "host", "class", "status"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("%s:1: no column %q", path, need)
		}
	}
	// A record's fields share one string; every field a row keeps is
	// interned, so that the records are freed and a sweep's thousands of
	// repeats of one host, class or value share one copy.
	interned := map[string]string{}
	get := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		v, ok := interned[rec[i]]
		if !ok {
			v = strings.Clone(rec[i])
			interned[v] = v
		}
		return v
	}
	out := map[string][]ScoreRow{}
	var order []string
	var prev ScoreRow // the previous row: rows of one point share its Params
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if keep != nil {
			if i := col["point"]; i >= len(rec) || !keep(rec[i]) {
				// Not kept, and not interned: checked only.
				if err := checkScores(rec, col); err != nil {
					return nil, nil, fmt.Errorf("%s:%d: %w", path, line, err)
				}
				continue
			}
		}
		r := ScoreRow{Point: get(rec, "point"), Params: Params{}, Host: get(rec, "host"), Class: get(rec, "class"),
			Role: get(rec, "role"), Status: get(rec, "status"), Flows: get(rec, "flows"), Windows: get(rec, "windows")}
		if r.Role == "" {
			r.Class, r.Role = scoreRole(r.Class)
		}
		for _, a := range axes {
			r.Params[a] = get(rec, a)
		}
		if prev.Point == r.Point && maps.Equal(prev.Params, r.Params) {
			r.Params = prev.Params
		}
		prev = r
		for _, k := range ScoreKinds {
			s := get(rec, k)
			if s == "" {
				continue
			}
			v, err := parseScore(r.Host, k, s)
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%d: %w", path, line, err)
			}
			r.Scores.Set(k, v)
		}
		if _, ok := out[r.Point]; !ok {
			order = append(order, r.Point)
		}
		out[r.Point] = append(out[r.Point], r)
	}
	return out, order, nil
}

// parseScore reads host's score of the given kind from scores.csv.
func parseScore(host, kind, s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("host %s: %s: %w", host, kind, err)
	}
	return v, nil
}

// checkScores checks the scores of a scores.csv record ReadScoresOf does
// not keep, as it checks a kept one's.
func checkScores(rec []string, col map[string]int) error {
	host := ""
	if i, ok := col["host"]; ok && i < len(rec) {
		host = rec[i]
	}
	for _, k := range ScoreKinds {
		if i, ok := col[k]; ok && i < len(rec) && rec[i] != "" {
			if _, err := parseScore(host, k, rec[i]); err != nil {
				return err
			}
		}
	}
	return nil
}
