package report

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"botprof/runfolder"
)

// TestLoadMemoryPerPoint: a results folder loaded for the summary and
// figures keeps what reports use of each point, not the point's resolved
// spec, stage records or fit restarts. A 400-point folder (15 scored hosts,
// a 2.4 KB spec, 6 stage records and 3 restarts of 30 EM iterations per
// point) kept 11.6 KB per point when Load held the manifest's and metrics'
// points whole; 7.7 KB once they were read a point at a time; 4.3 KB since
// a score row holds its scores in an array, not a map. The summary and
// figures, which keep the rows of the points they show only, 1.7 KB.
func TestLoadMemoryPerPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes a 400-point folder")
	}
	const n, hosts = 400, 15
	dir := t.TempDir()
	axes := []runfolder.Axis{{Key: "window.size"}, {Key: "model.seed"}}
	spec := map[string]any{}
	for i := range 40 { // a resolved spec's size
		spec[fmt.Sprintf("key_%02d", i)] = map[string]any{"value": float64(i), "name": "some text of a spec value"}
	}
	raw, _ := json.Marshal(spec)
	m := runfolder.Manifest{Format: runfolder.FormatVersion, Experiment: "x", RunID: "r", Sweep: runfolder.Sweep{},
		SweepOrder: []string{"window.size", "model.seed"}, Modules: map[string]string{}}
	var points []runfolder.PointScores
	var mf runfolder.MetricsFile
	history := make([]float64, 30)
	for i := range history {
		history[i] = -1000 + float64(i)*1.25
	}
	for p := range n {
		w, s := strconv.Itoa(p%40), strconv.Itoa(p/40)
		if p < 40 {
			axes[0].Values = append(axes[0].Values, w)
		}
		if p%40 == 0 {
			axes[1].Values = append(axes[1].Values, s)
		}
		name := "window.size=" + w + ",model.seed=" + s
		params := runfolder.Params{"window.size": w, "model.seed": s}
		var hs []runfolder.HostScore
		for h := range hosts {
			v := -float64(h*p + 1)
			hs = append(hs, runfolder.HostScore{Host: fmt.Sprintf("147.32.84.%d", 100+h), Class: "normal", Status: "ok", Flows: 1000, Windows: 990,
				Viterbi: &v, LogLik: &v, LogLikPerWindow: &v})
		}
		points = append(points, runfolder.PointScores{Point: name, Params: params, Hosts: hs})
		var stages []runfolder.StageRecord
		for _, st := range []string{"load", "derive", "discretize", "window", "train", "evaluate"} {
			stages = append(stages, runfolder.StageRecord{Stage: st, Key: "0123456789abcdef", Seconds: 0.125,
				Changed: []string{"model.seed: 1 -> " + s}})
		}
		m.Points = append(m.Points, runfolder.ManifestPoint{Name: name, Params: params, Spec: raw, Status: "ok", Stages: stages})
		train := &runfolder.TrainSummary{LogLik: -900, Iterations: 30, History: history}
		for r := range 3 {
			train.Restarts = append(train.Restarts, runfolder.RestartTrace{Seed: uint64(r), LogLik: -900, Iterations: 30, History: history})
		}
		mf.Points = append(mf.Points, runfolder.MetricsPoint{Point: name, Params: params,
			Metrics: runfolder.Metrics{"auc_host": float64(p%40) / 40, "auc_window": 0.5, "tpr": 1, "fpr": 0}, Train: train, Warnings: []string{"a warning"}})
	}
	if err := runfolder.WriteJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
		t.Fatal(err)
	}
	if err := runfolder.WriteMetrics(dir, mf, m.SweepOrder); err != nil {
		t.Fatal(err)
	}
	if err := runfolder.WriteScores(dir, axes, points); err != nil {
		t.Fatal(err)
	}
	points, mf = nil, runfolder.MetricsFile{}

	kept := func(rows hostRows) (*Run, float64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.GC() // and what finalizers and cleanups of the writing freed
		runtime.ReadMemStats(&before)
		r, err := load(dir, rows)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		return r, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
	}
	r, perPoint := kept(allHosts)
	if len(r.Points) != n || len(r.Points[n-1].Hosts) != hosts || len(r.Points[7].History) != 30 || r.Points[3].Metrics["auc_window"] != 0.5 {
		t.Fatalf("loaded %d points, the last with %d hosts", len(r.Points), len(r.Points[n-1].Hosts))
	}
	t.Logf("Load keeps %.0f B per point (%d hosts)", perPoint, hosts)
	if perPoint > 5000 {
		t.Errorf("Load keeps %.0f B per point, want at most 5,000", perPoint)
	}
	r = nil
	// The summary and figures keep the rows of the points they show: here
	// the 10 seeds of the best of 40 configurations and each one's best.
	r, perPoint = kept(shownHosts)
	withRows := 0
	for _, p := range r.Points {
		if len(p.Hosts) > 0 {
			withRows++
		}
	}
	t.Logf("the report's load keeps %.0f B per point (rows of %d points)", perPoint, withRows)
	if withRows > 49 || perPoint > 2000 {
		t.Errorf("the report's load keeps %.0f B per point, rows of %d points; want at most 2,000 B, 49 points", perPoint, withRows)
	}
	runtime.KeepAlive(r)
}
