package runfolder

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// TestReadMemoryPerPoint: a results folder read back keeps no per-point
// copy of what readers do not use. With 15 scored hosts and a 2.4 KB
// resolved spec per point, Read kept 16.2-16.4 KB per point while specs
// were decoded into generic maps and every score row held its own params
// map and its whole CSV record; 9.7-9.8 KB since (edb5306).
func TestReadMemoryPerPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes a 400-point folder")
	}
	const n, hosts = 400, 15
	dir := t.TempDir()
	axes := []Axis{{"model.seed", nil}}
	spec := map[string]any{}
	for i := range 40 { // a resolved spec's size
		spec[fmt.Sprintf("key_%02d", i)] = map[string]any{"value": float64(i), "name": "some text of a spec value"}
	}
	raw, _ := json.Marshal(spec)
	m := Manifest{Format: FormatVersion, Experiment: "x", RunID: "r", Sweep: Sweep{}, SweepOrder: []string{"model.seed"}, Modules: map[string]string{}}
	var points []PointScores
	var mf MetricsFile
	for p := range n {
		s := strconv.Itoa(p)
		axes[0].Values = append(axes[0].Values, s)
		name := "model.seed=" + s
		params := Params{"model.seed": s}
		var hs []HostScore
		for h := range hosts {
			v := -float64(h*p + 1)
			hs = append(hs, HostScore{Host: fmt.Sprintf("147.32.84.%d", 100+h), Class: "normal", Status: "ok", Flows: 1000, Windows: 990,
				Viterbi: &v, LogLik: &v, LogLikPerWindow: &v})
		}
		points = append(points, PointScores{Point: name, Params: params, Hosts: hs})
		m.Points = append(m.Points, ManifestPoint{Name: name, Params: params, Spec: raw, Status: "ok"})
		mf.Points = append(mf.Points, MetricsPoint{Point: name, Params: params, Metrics: Metrics{"auc_host": 1}})
	}
	if err := WriteJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
		t.Fatal(err)
	}
	if err := WriteMetrics(dir, mf, []string{"model.seed"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteScores(dir, axes, points); err != nil {
		t.Fatal(err)
	}
	m, points, mf = Manifest{}, nil, MetricsFile{}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perPoint := float64(after.HeapAlloc-before.HeapAlloc) / n
	runtime.KeepAlive(f)
	t.Logf("runfolder.Read keeps %.0f B per point (%d hosts)", perPoint, hosts)
	if perPoint > 12000 {
		t.Errorf("runfolder.Read keeps %.0f B per point, want at most 12000", perPoint)
	}
}
