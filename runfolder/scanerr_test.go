package runfolder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A manifest.json or metrics.json that is empty or cut short says so,
// naming the file: the scanner said only "EOF" for an empty file and for
// one cut after the points array (the whole-file reader said "unexpected
// end of JSON input").
func TestScanJSONPointsTruncated(t *testing.T) {
	_, _, mf, m := streamFixture(3)
	dir := t.TempDir()
	if err := WriteJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(filepath.Join(dir, "metrics.json"), mf); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"manifest.json", "metrics.json"} {
		whole, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		end := strings.LastIndex(string(whole), "]")
		for _, tc := range []struct {
			what, text, want string
		}{
			{"empty", "", "empty file"},
			{"blank", " \n", "empty file"},
			{"cut after the points", string(whole[:end+1]), "unexpected end of JSON input"},
			{"cut in a point", string(whole[:end-20]), "unexpected end of JSON input"},
			{"cut in the head", string(whole[:10]), "unexpected end of JSON input"},
			{"just {", "{", "unexpected end of JSON input"},
		} {
			path := filepath.Join(t.TempDir(), name)
			os.WriteFile(path, []byte(tc.text), 0o644)
			var err error
			if name == "manifest.json" {
				_, err = ScanManifest(path, func(ManifestPoint) error { return nil })
			} else {
				_, err = ScanMetrics(path, func(MetricsPoint) error { return nil })
			}
			if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %s: err = %v, want %q naming the file", name, tc.what, err, tc.want)
			}
		}
	}
}

// A point listed twice in manifest.json or metrics.json is an error
// naming the file and the point: the report counted it twice (46 points
// of a 45-point run, its warnings "45 of 46 points") or kept either copy.
func TestScanJSONPointsDuplicate(t *testing.T) {
	_, _, mf, m := streamFixture(3)
	m.Points = append(m.Points, m.Points[1])
	mf.Points = append(mf.Points, mf.Points[1])
	dir := t.TempDir()
	manifest, metrics := filepath.Join(dir, "manifest.json"), filepath.Join(dir, "metrics.json")
	if err := WriteJSON(manifest, m); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(metrics, mf); err != nil {
		t.Fatal(err)
	}
	_, err := ScanManifest(manifest, func(ManifestPoint) error { return nil })
	if want := manifest + `: point "` + m.Points[1].Name + `" is listed twice`; err == nil || err.Error() != want {
		t.Errorf("manifest: err = %v, want %q", err, want)
	}
	_, err = ScanMetrics(metrics, func(MetricsPoint) error { return nil })
	if want := metrics + `: point "` + mf.Points[1].Point + `" is listed twice`; err == nil || err.Error() != want {
		t.Errorf("metrics: err = %v, want %q", err, want)
	}
}
