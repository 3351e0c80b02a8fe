package report

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"io"

	"github.com/klauspost/compress/zlib"
)

// encodePNG writes img as an 8-bit RGB PNG if every pixel is opaque (a
// rendered figure always is) and leaves other images to image/png (PNG
// stores non-premultiplied alpha). It is image/png's job done
// faster for figures: image/png tries five filters on every row and
// deflates with the standard library, which made PNG encoding half of a
// cached run's figure time; here every row uses the Up filter (plots are
// mostly runs that repeat from row to row) and klauspost/compress's zlib at
// its fastest level deflates. Decoders see an ordinary PNG.
func encodePNG(w io.Writer, img *image.RGBA) error {
	b := img.Bounds()
	width, height := b.Dx(), b.Dy()
	opaque := true
	for y := range height {
		row := img.Pix[y*img.Stride : y*img.Stride+4*width]
		for x := 3; x < len(row); x += 4 {
			if row[x] != 0xff {
				opaque = false
				break
			}
		}
		if !opaque {
			break
		}
	}
	if !opaque {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	}
	const bpp, colorType = 3, 2 // truecolour

	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, colorType // bit depth 8; compression, filter and interlace 0
	writeChunk(bw, "IHDR", ihdr[:])

	idat := &chunkWriter{w: bw, kind: "IDAT"}
	zw, err := zlib.NewWriterLevel(idat, zlib.BestSpeed)
	if err != nil {
		return err
	}
	n := width * bpp
	prev := make([]byte, n) // the row above the first is zero
	cur := make([]byte, n)
	out := make([]byte, 1+n)
	out[0] = 2 // filter Up
	for y := range height {
		row := img.Pix[y*img.Stride : y*img.Stride+4*width]
		for x, j := 0, 0; j < n; x, j = x+4, j+3 {
			cur[j], cur[j+1], cur[j+2] = row[x], row[x+1], row[x+2]
		}
		f := out[1:]
		for i, v := range cur {
			f[i] = v - prev[i]
		}
		if _, err := zw.Write(out); err != nil {
			return err
		}
		prev, cur = cur, prev
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := idat.flush(); err != nil {
		return err
	}
	writeChunk(bw, "IEND", nil)
	return bw.Flush()
}

// writeChunk writes one PNG chunk: length, type, data, CRC of type and data.
func writeChunk(w *bufio.Writer, kind string, data []byte) {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], kind)
	w.Write(head[:])
	w.Write(data)
	crc := crc32.Update(crc32.ChecksumIEEE(head[4:]), crc32.IEEETable, data)
	binary.BigEndian.PutUint32(head[:4], crc)
	w.Write(head[:4])
}

// chunkWriter collects a chunk's data and writes it out as chunks of at
// most 1 MiB.
type chunkWriter struct {
	w    *bufio.Writer
	kind string
	buf  []byte
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for len(c.buf) >= 1<<20 {
		writeChunk(c.w, c.kind, c.buf[:1<<20])
		c.buf = append(c.buf[:0], c.buf[1<<20:]...)
	}
	return len(p), nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) > 0 {
		writeChunk(c.w, c.kind, c.buf)
		c.buf = c.buf[:0]
	}
	return nil
}
