package pipeline

import (
	"os"
	"reflect"
	"slices"
	"testing"

	"botprof/runfolder"
)

// The spool gives back each point's record whatever order points finish
// in, lists warnings as an Outcome with whole outputs does (each once, in
// plan order), and leaves no file behind.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	s, err := newSpool(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	ll := -2.5
	outs := []*PointOutput{
		{Warnings: []string{"c", "b"}, Metrics: runfolder.Metrics{"auc": 1}},
		{Warnings: []string{"a", "d", "a"}, Metrics: runfolder.Metrics{"tpr": 0.5}, Hosts: []runfolder.HostScore{{Host: "h", LogLik: &ll}}},
		nil, // a failed point
		{Warnings: []string{"b", "a", "e"}, Metrics: runfolder.Metrics{"auc": 0.25}, Train: runfolder.TrainSummary{History: []float64{-3, -2.5}}},
	}
	whole := &Outcome{}
	for i, o := range outs {
		whole.Points = append(whole.Points, PointResult{Point: PointRef{Index: i}, Out: o})
	}
	for _, i := range []int{3, 1, 2, 0} {
		pr := PointResult{Point: PointRef{Index: i, Name: "p"}, Out: outs[i], Stages: []runfolder.StageRecord{{Stage: "train", Seconds: float64(i) / 3}}}
		if err := s.put(i, pr); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := s.pointWarnings(), whole.Warnings(); !slices.Equal(got, want) || len(got) != 5 {
		t.Errorf("spool warnings %q, whole outputs' %q", got, want)
	}
	if s.first != 0 || s.firstOut != outs[0] {
		t.Errorf("first output at %d", s.first)
	}
	if names := (&Outcome{spool: s}).metricNames(); !slices.Equal(names, []string{"auc", "tpr"}) {
		t.Errorf("metric names %q", names)
	}
	for i, o := range outs {
		rec, err := s.get(i)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rec.Out, o) || len(rec.Stages) != 1 || rec.Stages[0].Seconds != float64(i)/3 {
			t.Errorf("point %d read back as %+v, %+v", i, rec.Out, rec.Stages)
		}
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("the spool left %v", entries)
	}
}
