package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The summary and figures read host rows only for the points they show
// (load with shownHosts): they are the bytes they are from every point's
// rows, and the rows of other points are really left out.
func TestShownHostsSameReport(t *testing.T) {
	for _, run := range []string{"a", "b"} {
		dir := filepath.Join("testdata", "runs", run)
		all, err := load(dir, allHosts)
		if err != nil {
			t.Fatal(err)
		}
		shown, err := load(dir, shownHosts)
		if err != nil {
			t.Fatal(err)
		}
		kept, total := 0, 0
		for i := range all.Points {
			if len(all.Points[i].Hosts) > 0 {
				total++
			}
			if len(shown.Points[i].Hosts) > 0 {
				kept++
			}
		}
		if kept == 0 || kept >= total {
			t.Errorf("run %s: host rows of %d of %d points kept; want some, not all", run, kept, total)
		}
		var a, b bytes.Buffer
		if err := all.writeSummary(&a); err != nil {
			t.Fatal(err)
		}
		if err := shown.writeSummary(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("run %s: summary differs:\n%s\n---\n%s", run, a.String(), b.String())
		}
		figsA, err := all.figures()
		if err != nil {
			t.Fatal(err)
		}
		figsB, err := shown.figures()
		if err != nil {
			t.Fatal(err)
		}
		if len(figsA) != len(figsB) || len(figsA) == 0 {
			t.Fatalf("run %s: %d figures from every row, %d from the shown ones", run, len(figsA), len(figsB))
		}
		da, db := t.TempDir(), t.TempDir()
		var px pixels
		for i := range figsA {
			if err := saveFigure(figsA[i], da, &px); err != nil {
				t.Fatal(err)
			}
			if err := saveFigure(figsB[i], db, &px); err != nil {
				t.Fatal(err)
			}
			for _, ext := range []string{".png", ".svg"} {
				x, _ := os.ReadFile(filepath.Join(da, figsA[i].name+ext))
				y, _ := os.ReadFile(filepath.Join(db, figsB[i].name+ext))
				if len(x) == 0 || !bytes.Equal(x, y) {
					t.Errorf("run %s: figure %s%s differs", run, figsA[i].name, ext)
				}
			}
		}
	}
}
