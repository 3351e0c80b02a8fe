package runfolder

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
)

// Sweep-axis columns of scores.parquet are typed from the axis's values.
func TestAxisType(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
	}{
		{[]string{"5", "10", "20"}, "int64"},
		{[]string{"0.5", "1", "2e3"}, "float64"},
		{[]string{"true", "false"}, "bool"},
		{[]string{"gaussian", "markov"}, "utf8"},
		{[]string{"10", "10ms"}, "utf8"},
	} {
		if got := axisType(tc.values).String(); got != tc.want {
			t.Errorf("axisType(%v) = %s, want %s", tc.values, got, tc.want)
		}
	}
	if c, r := scoreRole("profile"); c != "infected" || r != "profile" {
		t.Errorf("profile: %s %s", c, r)
	}
	if c, r := scoreRole("normal"); c != "normal" || r != "scored" {
		t.Errorf("normal: %s %s", c, r)
	}
}

func ptr(v float64) *float64 { return &v }

// scoresFixture is a 2-point sweep over two axes, with every kind of score
// value: defined, undefined (insufficient), -Inf (zero_probability).
func scoresFixture() ([]Axis, []PointScores) {
	axes := []Axis{{"window.size", []string{"5", "10"}}, {"model.kind", []string{"gaussian", "markov"}}}
	hosts := func(s float64) []HostScore {
		return []HostScore{
			{Host: "147.32.84.204", Class: "profile", Status: "ok", Flows: 100, Windows: 96, Viterbi: ptr(-1.5 * s), LogLik: ptr(-1.25 * s), LogLikPerWindow: ptr(-0.125)},
			{Host: "147.32.84.170", Class: "normal", Status: "insufficient", Flows: 3},
			{Host: "147.32.84.165", Class: "infected", Status: StatusZeroProbability, Flows: 20, Windows: 16,
				Viterbi: ptr(math.Inf(-1)), LogLik: ptr(math.Inf(-1)), LogLikPerWindow: ptr(math.NaN())},
		}
	}
	return axes, []PointScores{
		{"window.size=5,model.kind=gaussian", Params{"window.size": "5", "model.kind": "gaussian"}, hosts(1)},
		{"window.size=10,model.kind=markov", Params{"window.size": "10", "model.kind": "markov"}, hosts(2)},
	}
}

// scores.csv is golden; reading it back gives every written value, the
// profiled host as class infected with role profile, and the axes in
// Params.
func TestScoresGoldenRoundTrip(t *testing.T) {
	dir := t.TempDir()
	axes, points := scoresFixture()
	if err := WriteScores(dir, axes, points); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "scores.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := `point,window.size,model.kind,host,class,role,status,flows,windows,viterbi,loglik,loglik_per_window
"window.size=5,model.kind=gaussian",5,gaussian,147.32.84.204,infected,profile,ok,100,96,-1.5,-1.25,-0.125
"window.size=5,model.kind=gaussian",5,gaussian,147.32.84.170,normal,scored,insufficient,3,0,,,
"window.size=5,model.kind=gaussian",5,gaussian,147.32.84.165,infected,scored,zero_probability,20,16,-Inf,-Inf,
"window.size=10,model.kind=markov",10,markov,147.32.84.204,infected,profile,ok,100,96,-3,-2.5,-0.125
"window.size=10,model.kind=markov",10,markov,147.32.84.170,normal,scored,insufficient,3,0,,,
"window.size=10,model.kind=markov",10,markov,147.32.84.165,infected,scored,zero_probability,20,16,-Inf,-Inf,
`
	if string(got) != want {
		t.Errorf("scores.csv:\n%s\nwant\n%s", got, want)
	}
	rows, order, err := ReadScores(filepath.Join(dir, "scores.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(order, []string{points[0].Point, points[1].Point}) {
		t.Errorf("order %v", order)
	}
	for _, p := range points {
		if len(rows[p.Point]) != len(p.Hosts) {
			t.Fatalf("%s: %d rows", p.Point, len(rows[p.Point]))
		}
		for i, h := range p.Hosts {
			r := rows[p.Point][i]
			class, role := scoreRole(h.Class)
			if r.Host != h.Host || r.Class != class || r.Role != role || r.Status != h.Status || !reflect.DeepEqual(r.Params, p.Params) {
				t.Errorf("%s row %d: %+v", p.Point, i, r)
			}
			for _, k := range ScoreKinds {
				v, ok := r.Scores.Get(k)
				w := h.Score(k)
				defined := w != nil && !math.IsNaN(*w)
				if ok != defined || (ok && v != *w) {
					t.Errorf("%s %s %s: read %v (%v), wrote %v", p.Point, h.Host, k, v, ok, w)
				}
			}
		}
	}
	// scores.parquet: the same rows, axis columns typed.
	rec, err := cache.ReadParquet(filepath.Join(dir, "scores.parquet"), memory.NewGoAllocator())
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.NumRows() != 6 || rec.Schema().Field(1).Type.String() != "int64" || rec.Schema().Field(2).Type.String() != "utf8" {
		t.Errorf("scores.parquet: %d rows, schema %v", rec.NumRows(), rec.Schema())
	}
}

// Older and reference folders: no role column (the profiled host has
// class "profile"), no flows or windows; a score that is not a number is
// an error naming file and line; a missing required column too.
func TestReadScoresFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rows, _, err := ReadScores(write("v1.csv", "point,host,class,status,flows,windows,viterbi,loglik,loglik_per_window\n"+
		"p,a,profile,ok,,,-1,,\np,b,normal,ok,,,-2,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := rows["p"][0]; r.Class != "infected" || r.Role != "profile" || r.Scores != ScoresOf(map[string]float64{"viterbi": -1}) || r.Scores.Len() != 1 || r.Flows != "" {
		t.Errorf("format 1 profile row: %+v", r)
	}
	if r := rows["p"][1]; r.Class != "normal" || r.Role != "scored" {
		t.Errorf("format 1 normal row: %+v", r)
	}
	for name, tc := range map[string]struct{ text, err string }{
		"bad score":  {"point,host,class,status,viterbi\np,a,normal,ok,x\n", `bad score.csv:2: host a: viterbi: strconv.ParseFloat: parsing "x": invalid syntax`},
		"no status":  {"point,host,class\np,a,normal\n", `no status.csv:1: no column "status"`},
		"short line": {"point,host,class,status\np,a\n", `short line.csv:2: record on line 2: wrong number of fields`},
	} {
		_, _, err := ReadScores(write(name+".csv", tc.text))
		if err == nil || err.Error() != filepath.Join(dir, tc.err) {
			t.Errorf("%s: %v, want %s", name, err, filepath.Join(dir, tc.err))
		}
	}
}

// ReadScoresOf keeps the rows of the points asked for, and still checks
// every row: a bad score of a point not kept is an error at its line.
func TestReadScoresOfChecksEveryRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scores.csv")
	os.WriteFile(path, []byte("point,host,class,status,viterbi\np,h1,normal,ok,-1\nq,h2,normal,ok,-2\n"), 0o644)
	rows, order, err := ReadScoresOf(path, func(pt string) bool { return pt == "q" })
	if err != nil || len(rows) != 1 || len(rows["q"]) != 1 || len(order) != 1 || order[0] != "q" {
		t.Fatalf("rows %v, order %v, err %v", rows, order, err)
	}
	os.WriteFile(path, []byte("point,host,class,status,viterbi\np,h1,normal,ok,nope\nq,h2,normal,ok,-2\n"), 0o644)
	if _, _, err := ReadScoresOf(path, func(pt string) bool { return pt == "q" }); err == nil || !strings.Contains(err.Error(), path+":2: host h1: viterbi") {
		t.Errorf("a bad row of a point not kept: %v", err)
	}
}
