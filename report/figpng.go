package report

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"io"
	"math"

	"git.sr.ht/~sbinet/gg"
	"github.com/klauspost/compress/flate"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// pngDPI is the resolution of the PNG figures: FigureWidth × FigureHeight
// at 96 dpi is 576 × 384 pixels.
const pngDPI = 96

// pixels is a PNG canvas's image, its text faces and the PNG encoder's
// buffers, kept from one figure to the next: a fresh 576 × 384 RGBA image
// per figure (two, as vgimg copies it for its graphics context) and a
// fresh font face per string cost more in page faults on new memory than
// the drawing on them.
type pixels struct {
	img   *image.RGBA
	faces map[font.Face]xfont.Face // a face per font and size, at pngDPI
	rows  []byte                   // a block of rows of image data, to deflate
	file  bytes.Buffer             // the PNG file
}

// canvas returns a canvas on p's image, cleared to white: a vgimg canvas
// as vgimg.NewWith with the same size and dpi gives (without its
// allocations) that draws upright text itself (see pngCanvas).
func (p *pixels) canvas() *pngCanvas {
	if p.img == nil {
		w := int(math.Round(float64(FigureWidth / vg.Inch * pngDPI)))
		h := int(math.Round(float64(FigureHeight / vg.Inch * pngDPI)))
		p.img = image.NewRGBA(image.Rect(0, 0, w, h))
		p.faces = map[font.Face]xfont.Face{}
	}
	ctx := gg.NewContextForRGBA(p.img)
	// What vgimg.NewWith does to the context it makes itself.
	ctx.SetLineCapButt()
	ctx.InvertY()
	c := vgimg.NewWith(vgimg.UseImageWithContext(p.img, ctx), vgimg.UseDPI(pngDPI))
	return &pngCanvas{Canvas: c, ctx: ctx, px: p, colors: []color.Color{color.Black}}
}

// pngCanvas is a vgimg canvas that draws upright text (any text drawn
// with no Rotate, Translate or Scale in force, which is all but the
// rotated axis labels) itself, glyph by glyph as gg does for vgimg, but
// with image/draw's glyph compositing and a font face kept per font: gg
// draws each glyph through a bilinear affine transform on x/image/draw's
// generic path, which took half the time of a figure's text, and vgimg
// makes a new face per string. The pixels are vgimg's: with no transform
// the bilinear kernel samples each mask pixel alone
// (TestFigureFilesAsDrawnAlone).
type pngCanvas struct {
	*vgimg.Canvas
	ctx    *gg.Context // the canvas's graphics context
	px     *pixels
	colors []color.Color // the colour stack, as vgimg keeps it
}

// SetColor sets the colour as vgimg does, for FillString too.
func (c *pngCanvas) SetColor(clr color.Color) {
	if clr == nil {
		clr = color.Black
	}
	c.Canvas.SetColor(clr)
	c.colors[len(c.colors)-1] = clr
}

// Push saves the canvas state, the colour included.
func (c *pngCanvas) Push() {
	c.colors = append(c.colors, c.colors[len(c.colors)-1])
	c.Canvas.Push()
}

// Pop restores the canvas state saved by Push.
func (c *pngCanvas) Pop() {
	c.colors = c.colors[:len(c.colors)-1]
	c.Canvas.Pop()
}

// FillString draws text as vgimg does, with its baseline starting at pt;
// upright text itself (see pngCanvas).
func (c *pngCanvas) FillString(f font.Face, pt vg.Point, text string) {
	if f.Font.Size == 0 {
		return
	}
	_, hl := c.Size()
	h := hl.Dots(c.DPI())
	// The context's initial transform, y up (InvertY): no Rotate,
	// Translate or Scale since.
	x0, y0 := c.ctx.TransformPoint(0, 0)
	x1, y1 := c.ctx.TransformPoint(1, 0)
	x2, y2 := c.ctx.TransformPoint(0, 1)
	if x0 != 0 || y0 != h || x1 != 1 || y1 != h || x2 != 0 || y2 != h-1 {
		c.Canvas.FillString(f, pt, text)
		return
	}
	face, ok := c.px.faces[f]
	if !ok {
		face = f.FontFace(c.DPI())
		c.px.faces[f] = face
	}
	// gg's drawString on the identity transform, from the point gg's
	// DrawString(text, x, h-y) starts at.
	dot := fixed.Point26_6{
		X: fixed.Int26_6(math.Round(pt.X.Dots(c.DPI()) * 64)),
		Y: fixed.Int26_6(math.Round((h - pt.Y.Dots(c.DPI())) * 64)),
	}
	src := image.NewUniform(c.colors[len(c.colors)-1])
	prev := rune(-1)
	for _, r := range text {
		if prev >= 0 {
			dot.X += face.Kern(prev, r)
		}
		dr, mask, maskp, advance, ok := face.Glyph(dot, r)
		if !ok {
			continue
		}
		draw.DrawMask(c.px.img, dr, src, image.Point{}, mask, maskp, draw.Over)
		dot.X += advance
		prev = r
	}
}

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// pngBlock is the most image data passed to flate.StatelessDeflate at
// once: the most it compresses as one block (its maxStatelessBlock).
const pngBlock = 1<<15 - 1

// encode writes p's image, which must be opaque (a canvas cleared to
// white and drawn over is), as an 8-bit RGB PNG: rows unfiltered, in one
// IDAT chunk, deflated by klauspost's stateless deflate in blocks of
// whole rows, each block on its own (no match reaches back into the
// block before).
//
// image/png at BestSpeed tries five filters per row and deflates with a
// ~850 KB compressor per worker, live during all the figures; klauspost's
// zlib at BestSpeed holds as much. Stateless deflate needs one 256 KB
// token buffer from a pool while it runs and p keeps one block of rows:
// in a fresh process, whose page faults on new memory cost more than
// the encoding, that is ~1 MB less heap for the two workers. On the
// figures of testdata/runs/b, image/png took 11 ms per figure, this
// takes 1 ms; its files are 3 % smaller (the figures are mostly runs of
// equal pixels, which deflate takes better unfiltered).
func (p *pixels) encode(w io.Writer) error {
	b := p.img.Bounds()
	width, height := b.Dx(), b.Dy()
	p.file.Reset()
	p.file.WriteString(pngSignature)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 2 // bit depth, colour type RGB; compression, filter, interlace 0
	p.chunk("IHDR", ihdr[:])
	start := p.chunkStart("IDAT")
	p.file.Write([]byte{0x78, 0x01}) // zlib header: deflate, 32 KiB window, fastest
	rowLen := 1 + 3*width            // filter type None (0), then RGB
	perBlock := max(1, pngBlock/rowLen)
	if cap(p.rows) < perBlock*rowLen {
		p.rows = make([]byte, 0, perBlock*rowLen)
	}
	rows := p.rows[:0]
	sum := adler32.New()
	alpha := byte(0xff)
	for y := range height {
		px := p.img.Pix[p.img.PixOffset(b.Min.X, b.Min.Y+y):][:4*width]
		rows = append(rows, 0)
		for x := range width {
			rows = append(rows, px[4*x], px[4*x+1], px[4*x+2])
			alpha &= px[4*x+3]
		}
		if last := y == height-1; last || len(rows)+rowLen > cap(rows) {
			sum.Write(rows)
			if err := flate.StatelessDeflate(&p.file, rows, last, nil); err != nil {
				return err
			}
			rows = rows[:0]
		}
	}
	if alpha != 0xff {
		return errors.New("png: the figure is not opaque")
	}
	p.file.Write(sum.Sum(nil))
	p.chunkEnd(start)
	p.chunk("IEND", nil)
	_, err := w.Write(p.file.Bytes())
	return err
}

// chunk appends a PNG chunk of type typ holding data to p.file.
func (p *pixels) chunk(typ string, data []byte) {
	start := p.chunkStart(typ)
	p.file.Write(data)
	p.chunkEnd(start)
}

// chunkStart appends the length (to be set by chunkEnd) and type of a
// chunk to p.file and returns where the chunk starts.
func (p *pixels) chunkStart(typ string) int {
	start := p.file.Len()
	p.file.Write([]byte{0, 0, 0, 0})
	p.file.WriteString(typ)
	return start
}

// chunkEnd sets the length of the chunk that starts at start, which runs
// to the end of p.file, and appends its CRC.
func (p *pixels) chunkEnd(start int) {
	c := p.file.Bytes()[start:]
	binary.BigEndian.PutUint32(c, uint32(len(c)-8))
	var crc [4]byte
	binary.BigEndian.PutUint32(crc[:], crc32.ChecksumIEEE(c[4:]))
	p.file.Write(crc[:])
}
