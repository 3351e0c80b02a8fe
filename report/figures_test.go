package report

import (
	"encoding/xml"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// copyRun copies a results folder so that figures are written outside testdata.
func copyRun(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "run")
	err := os.CopyFS(dst, os.DirFS(src))
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestWriteFigures(t *testing.T) {
	dir := copyRun(t, runB)
	if err := WriteFigures(dir); err != nil {
		t.Fatal(err)
	}
	want := []string{"heatmap_auc_host", "heatmap_auc_window", "heatmap_margin", "loglik", "roc_host", "roc_host_by_model_states", "roc_host_by_window_size",
		"roc_window", "roc_window_by_model_states", "roc_window_by_window_size", "scores_by_class"}
	entries, err := os.ReadDir(filepath.Join(dir, "figures"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".svg") {
			got = append(got, strings.TrimSuffix(e.Name(), ".svg"))
		}
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("figures = %v, want %v", got, want)
	}
	wantW, wantH := int(FigureWidth.Dots(96)+0.5), int(FigureHeight.Dots(96)+0.5)
	for _, name := range want {
		checkSVG(t, filepath.Join(dir, "figures", name+".svg"))
		f, err := os.Open(filepath.Join(dir, "figures", name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || format != "png" || cfg.Width != wantW || cfg.Height != wantH {
			t.Errorf("%s.png: %s %dx%d, err %v; want png %dx%d", name, format, cfg.Width, cfg.Height, err, wantW, wantH)
		}
	}
}

// checkSVG checks that path is non-empty XML whose root element is <svg>.
func checkSVG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Errorf("%s: no <svg> element: %v", path, err)
			return
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "svg" {
				t.Errorf("%s: root element <%s>, want <svg>", path, se.Name.Local)
			}
			return
		}
	}
}

func BenchmarkWriteFigures(b *testing.B) {
	dir := copyRun(b, runB)
	for b.Loop() {
		if err := WriteFigures(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// A PNG drawn on a canvas and encoder buffers that drew and encoded other
// figures before is byte for byte the PNG drawn on fresh ones: nothing of
// the previous figure or of the encoder's state shows through.
func TestPNGReusedCanvas(t *testing.T) {
	r, err := load(runB)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := r.figures()
	if err != nil || len(figs) < 3 {
		t.Fatalf("%d figures, %v", len(figs), err)
	}
	dir := t.TempDir()
	var shared pixels
	for i, f := range figs {
		reused, fresh := filepath.Join(dir, "reused.png"), filepath.Join(dir, "fresh.png")
		if err := savePNG(f, reused, &shared); err != nil {
			t.Fatal(err)
		}
		if err := savePNG(f, fresh, &pixels{}); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(reused)
		b, _ := os.ReadFile(fresh)
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("figure %d (%s): %d bytes on a reused canvas, %d on a fresh one, or they differ", i, f.name, len(a), len(b))
		}
	}
	if shared.img == nil || shared.enc == nil {
		t.Error("the canvas or the encoder buffers were not kept for the next figure")
	}
}
