package pipeline

import (
	"bytes"
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden from this run's outputs")

// goldenFiles are the outputs of a run that a refactor must leave
// unchanged (issue 13): every host's scores and every point's metrics.
var goldenFiles = []string{"scores.csv", "metrics.json", "metrics.csv"}

// TestExperimentsGolden runs every spec in experiments/ on the embedded
// data and compares its scores and metrics with testdata/golden/<spec>/,
// byte for byte on amd64 (Go does not fuse floating-point operations
// there) and to 1e-9 relative elsewhere. After a change that is meant to
// move results, regenerate with
//
//	go test ./pipeline -run TestExperimentsGolden -update
//
// and say in the commit why and by how much they moved.
func TestExperimentsGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every experiment")
	}
	specs, err := filepath.Glob("../experiments/*.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no experiments found: %v", err)
	}
	for _, spec := range specs {
		name := strings.TrimSuffix(filepath.Base(spec), ".yaml")
		t.Run(name, func(t *testing.T) {
			plan, err := LoadPlan(spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			// A fresh stage cache, as a first run: points share their
			// load, discretize and window stages like in the CLI.
			out, err := Execute(context.Background(), plan, Options{CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out.Points {
				if p.Err != nil {
					t.Fatalf("point %s: %v", p.Point.Name, p.Err)
				}
			}
			dir := t.TempDir()
			if err := WriteResults(dir, "golden", out); err != nil {
				t.Fatal(err)
			}
			gdir := filepath.Join("testdata", "golden", name)
			for _, f := range goldenFiles {
				got, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if *updateGolden {
					if err := os.MkdirAll(gdir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(gdir, f), got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(filepath.Join(gdir, f))
				if err != nil {
					t.Fatalf("%v (a new experiment? run with -update)", err)
				}
				if runtime.GOARCH == "amd64" {
					if !bytes.Equal(got, want) {
						t.Errorf("%s differs from %s: %s", f, filepath.Join(gdir, f), firstDiff(got, want, 0))
					}
				} else if d := firstDiff(got, want, 1e-9); d != "" {
					t.Errorf("%s differs from %s beyond 1e-9: %s", f, filepath.Join(gdir, f), d)
				}
			}
		})
	}
}

var numberRE = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?`)

// firstDiff describes the first difference between got and want: the
// text between numbers must match exactly, numbers to rtol relative ("" if
// they agree).
func firstDiff(got, want []byte, rtol float64) string {
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	if len(gl) != len(wl) {
		return "got " + strconv.Itoa(len(gl)) + " lines, want " + strconv.Itoa(len(wl))
	}
	for i := range gl {
		if gl[i] == wl[i] {
			continue
		}
		g, w := gl[i], wl[i]
		where := "line " + strconv.Itoa(i+1) + ": got " + clip(g) + ", want " + clip(w)
		if numberRE.ReplaceAllString(g, "#") != numberRE.ReplaceAllString(w, "#") {
			return where
		}
		gn, wn := numberRE.FindAllString(g, -1), numberRE.FindAllString(w, -1)
		for j := range gn {
			a, errA := strconv.ParseFloat(gn[j], 64)
			b, errB := strconv.ParseFloat(wn[j], 64)
			if errA != nil || errB != nil || math.Abs(a-b) > rtol*math.Max(math.Abs(a), math.Abs(b)) {
				return where
			}
		}
	}
	return ""
}

func clip(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// TestFirstDiff: the comparison used off amd64 accepts numbers within the
// tolerance and nothing else.
func TestFirstDiff(t *testing.T) {
	want := []byte("point,host,viterbi\nbase,1.2.3.4,-66280.81694606779\n")
	for _, c := range []struct {
		got  string
		rtol float64
		same bool
	}{
		{"point,host,viterbi\nbase,1.2.3.4,-66280.81694606779\n", 0, true},
		{"point,host,viterbi\nbase,1.2.3.4,-66280.81694606780\n", 0, false},
		{"point,host,viterbi\nbase,1.2.3.4,-66280.81694606780\n", 1e-9, true},
		{"point,host,viterbi\nbase,1.2.3.4,-66280.82\n", 1e-9, false},
		{"point,host,viterbi\nbase,1.2.3.5,-66280.81694606779\n", 1e-9, false},
		{"point,host,loglik\nbase,1.2.3.4,-66280.81694606779\n", 1e-9, false},
		{"point,host,viterbi\n", 1e-9, false},
	} {
		if d := firstDiff([]byte(c.got), want, c.rtol); (d == "") != c.same {
			t.Errorf("firstDiff(%q, rtol %g) = %q, want same = %v", c.got, c.rtol, d, c.same)
		}
	}
}
