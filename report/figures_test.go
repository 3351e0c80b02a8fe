package report

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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

// Every figure's PNG and SVG, drawn once on both canvases (tee) with a
// worker's reused canvas, font faces and encoder buffers, are byte for
// byte the files of the plot drawn alone on a fresh vgimg and a fresh
// vgsvg canvas: nothing of the previous figure, of the other canvas or of
// the encoder's state shows through, and pngCanvas draws text as vgimg.
func TestFigureFilesAsDrawnAlone(t *testing.T) {
	r, figs := figuresOf(t, runB)
	dir := t.TempDir()
	var shared pixels
	for i, f := range figs {
		if err := saveFigure(f, dir, &shared); err != nil {
			t.Fatal(err)
		}
		// Drawn again from a fresh plot: plot.Draw may change a plot.
		again, err := r.figures()
		if err != nil {
			t.Fatal(err)
		}
		wantPNG, wantSVG := drawnAlone(t, again[i])
		gotPNG, _ := os.ReadFile(filepath.Join(dir, f.name+".png"))
		gotSVG, _ := os.ReadFile(filepath.Join(dir, f.name+".svg"))
		if len(gotPNG) == 0 || !bytes.Equal(gotPNG, wantPNG) {
			t.Errorf("figure %d (%s): PNG of %d bytes, drawn alone %d, or they differ", i, f.name, len(gotPNG), len(wantPNG))
		}
		if len(gotSVG) == 0 || !bytes.Equal(gotSVG, wantSVG) {
			t.Errorf("figure %d (%s): SVG of %d bytes, drawn alone %d, or they differ", i, f.name, len(gotSVG), len(wantSVG))
		}
	}
	if shared.img == nil || shared.rows == nil {
		t.Error("the canvas or the encoder buffers were not kept for the next figure")
	}
	if len(shared.faces) == 0 {
		t.Error("no text was drawn by pngCanvas itself")
	}
	left, err := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if err != nil || len(left) > 0 {
		t.Errorf("temporary files left: %v %v", left, err)
	}
}

// drawnAlone returns f's PNG and SVG as f drawn on its own on fresh
// canvases gives them (each format its own drawing, default vgimg canvas,
// a fresh encoder).
func drawnAlone(t *testing.T, f figure) (pngFile, svgFile []byte) {
	t.Helper()
	ic := vgimg.NewWith(vgimg.UseWH(FigureWidth, FigureHeight), vgimg.UseDPI(pngDPI))
	f.draw(draw.New(ic))
	var pb bytes.Buffer
	if err := (&pixels{img: ic.Image().(*image.RGBA)}).encode(&pb); err != nil {
		t.Fatal(err)
	}
	sc := newSVG()
	f.draw(draw.New(sc))
	var sb bytes.Buffer
	if _, err := sc.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	return pb.Bytes(), sb.Bytes()
}

// A figure's PNG decodes (with image/png) to exactly the pixels drawn,
// and so does an image of every byte value; an image that is not opaque
// is refused, not written without its alpha.
func TestFigurePNGIsThePixels(t *testing.T) {
	_, figs := figuresOf(t, runB)
	var px pixels
	for _, f := range figs {
		f.draw(draw.New(px.canvas()))
		checkPNG(t, f.name, &px)
	}
	noise := image.NewRGBA(image.Rect(0, 0, 300, 7))
	for i := range noise.Pix {
		noise.Pix[i] = byte(i * 7919 >> 3)
		if i%4 == 3 {
			noise.Pix[i] = 0xff
		}
	}
	checkPNG(t, "noise", &pixels{img: noise})
	noise.Pix[len(noise.Pix)-1] = 0xfe
	if err := (&pixels{img: noise}).encode(&bytes.Buffer{}); err == nil {
		t.Error("an image that is not opaque was encoded")
	}
}

// checkPNG encodes px's image and checks that image/png decodes the file
// to the same pixels.
func checkPNG(t *testing.T, name string, px *pixels) {
	t.Helper()
	var b bytes.Buffer
	if err := px.encode(&b); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got, ok := img.(*image.RGBA)
	if !ok || got.Rect != px.img.Rect || !bytes.Equal(got.Pix, px.img.Pix) {
		t.Errorf("%s: the PNG decodes to other pixels (%T %v, drawn %v)", name, img, img.Bounds(), px.img.Rect)
	}
}

// figuresOf loads the results folder dir as the report does and returns
// it with its figures, of which there must be at least three.
func figuresOf(t *testing.T, dir string) (*Run, []figure) {
	t.Helper()
	r, err := load(dir, shownHosts)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := r.figures()
	if err != nil || len(figs) < 3 {
		t.Fatalf("%d figures, %v", len(figs), err)
	}
	return r, figs
}
