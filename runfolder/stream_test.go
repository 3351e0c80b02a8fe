package runfolder

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/stream goldens")

// streamFixture is a sweep of n points over three typed axes whose hosts
// and metrics have every kind of value the writers treat apart: nil, NaN,
// -Inf, metrics only some points have, a point without hosts, a point
// without a fit.
func streamFixture(n int) ([]Axis, []PointScores, MetricsFile, Manifest) {
	axes := []Axis{{Key: "window.size", Values: []string{"10", "20"}}, {Key: "model.tol", Values: []string{"0.5", "1e-06"}},
		{Key: "model.kind", Values: []string{"gaussian", "categorical"}}}
	var ps []PointScores
	mf := MetricsFile{Score: "loglik"}
	m := Manifest{Format: FormatVersion, Experiment: "x<&>", RunID: "r", Sweep: Sweep{}, Modules: map[string]string{"a": "v1"},
		Spec: map[string]any{"points": []any{}, "note": "a\n \"points\": [] in a string"}}
	for _, ax := range axes {
		m.Sweep[ax.Key] = ax.Values
		m.SweepOrder = append(m.SweepOrder, ax.Key)
	}
	seed := uint64(7)
	for i := range n {
		params := Params{"window.size": axes[0].Values[i%2], "model.tol": axes[1].Values[i/2%2], "model.kind": axes[2].Values[i/4%2]}
		name := fmt.Sprintf("p%04d", i)
		var hosts []HostScore
		for h := range i % 5 {
			v, ll := -float64(i*h)/3, math.Inf(-1)
			hs := HostScore{Host: "147.32.84." + strconv.Itoa(100+h), Class: []string{"profile", "normal", "infected"}[h%3], Status: "ok",
				Flows: i + h, Windows: i, Viterbi: &v}
			switch h % 4 {
			case 1:
				hs.LogLik = &ll
				hs.Status = StatusZeroProbability
			case 2:
				nan := math.NaN()
				hs.LogLikPerWindow = &nan
			case 3:
				hs.LogLik, hs.LogLikPerWindow = &v, &v
			}
			hosts = append(hosts, hs)
		}
		ps = append(ps, PointScores{Point: name, Params: params, Hosts: hosts})
		mp := MetricsPoint{Point: name, Params: params, Seed: &seed, Metrics: Metrics{"auc_host": float64(i) / 7, "tpr": math.NaN()}}
		if i%3 == 0 {
			mp.Metrics["only_some"] = 1e-300
			mp.Warnings = []string{"a <warning> & " + name}
		}
		if i%4 != 1 {
			mp.Train = &TrainSummary{LogLik: -float64(i) * 1.5, Iterations: i, Converged: i%2 == 0, History: []float64{1, 2.5}}
		}
		mf.Points = append(mf.Points, mp)
		st := "ok"
		if i%6 == 5 {
			st = "failed"
		}
		m.Points = append(m.Points, ManifestPoint{Name: name, Params: params, Spec: []byte(`{"a":{"b":[1,2,{}],"c":"<"}}`), Seed: &seed, Status: st,
			Stages: []StageRecord{{Stage: "load", Key: "k", Seconds: 0.125}, {Stage: "train", Key: "t", Cached: true, Changed: []string{"x"}}}})
	}
	return axes, ps, mf, m
}

// TestStreamWritersGolden: the results files of a 300-point sweep (in
// Parquet batches of 97 rows), of a one-point and of an empty one are the
// bytes the whole-value writers gave before the files were streamed
// (goldens written with them).
func TestStreamWritersGolden(t *testing.T) {
	defer func(n int) { scoresBatchRows = n }(scoresBatchRows)
	scoresBatchRows = 97
	for _, n := range []int{0, 1, 300} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			axes, ps, mf, m := streamFixture(n)
			if n == 0 {
				ps, mf.Points, m.Points = nil, nil, nil
			}
			dir := t.TempDir()
			if err := WriteJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
				t.Fatal(err)
			}
			if err := WriteMetrics(dir, mf, m.SweepOrder); err != nil {
				t.Fatal(err)
			}
			if err := WriteScores(dir, axes, ps); err != nil {
				t.Fatal(err)
			}
			// manifest.json streamed as pipeline writes it.
			pts := m.Points
			m.Points = []ManifestPoint{}
			js, err := CreateJSONPoints(filepath.Join(dir, "manifest-streamed.json"), m)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pts {
				if err := js.Add(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := js.Close(); err != nil {
				t.Fatal(err)
			}
			streamed, _ := os.ReadFile(filepath.Join(dir, "manifest-streamed.json"))
			if want := readGz(t, filepath.Join("testdata", "stream", fmt.Sprintf("%d-manifest.json.gz", n))); !bytes.Equal(streamed, want) {
				t.Errorf("streamed manifest.json: %d bytes differ from the golden's %d", len(streamed), len(want))
			}
			for _, name := range []string{"manifest.json", "metrics.json", "metrics.csv", "scores.csv", "scores.parquet"} {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", "stream", fmt.Sprintf("%d-%s.gz", n, name))
				if *update {
					writeGz(t, golden, got)
					continue
				}
				if want := readGz(t, golden); !bytes.Equal(got, want) {
					t.Errorf("%s: %d bytes differ from the golden's %d", name, len(got), len(want))
				}
			}
		})
	}
}

func writeGz(t *testing.T, path string, b []byte) {
	t.Helper()
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(b)
	w.Close()
	if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readGz(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
