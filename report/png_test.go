package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// encodePNG's files decode, with image/png, to the pixels encoded (opaque
// images, sizes that cut IDAT chunks included); other images are image/png's.
func TestEncodePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		w, h   int
		opaque bool
	}{{1, 1, true}, {576, 384, true}, {37, 11, false}, {700, 600, true}, {700, 600, false}} {
		img := image.NewRGBA(image.Rect(0, 0, tc.w, tc.h))
		for i := range img.Pix {
			img.Pix[i] = byte(rng.IntN(4) * 85) // few levels: runs and repeats
		}
		for y := range tc.h {
			for x := range tc.w {
				c := img.RGBAAt(x, y)
				if tc.opaque {
					c.A = 0xff
				}
				c.R, c.G, c.B = min(c.R, c.A), min(c.G, c.A), min(c.B, c.A) // premultiplied
				img.SetRGBA(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := encodePNG(&buf, img); err != nil {
			t.Fatal(err)
		}
		if !tc.opaque {
			var std bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&std, img); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), std.Bytes()) {
				t.Errorf("%dx%d with alpha: not image/png's encoding", tc.w, tc.h)
			}
			continue
		}
		got, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("%dx%d: %v", tc.w, tc.h, err)
		}
		if got.Bounds() != img.Bounds() {
			t.Fatalf("%dx%d: bounds %v", tc.w, tc.h, got.Bounds())
		}
		for y := range tc.h {
			for x := range tc.w {
				want := img.RGBAAt(x, y)
				if g := color.RGBAModel.Convert(got.At(x, y)).(color.RGBA); g != want {
					t.Fatalf("%dx%d opaque=%v: pixel (%d, %d) = %v, want %v", tc.w, tc.h, tc.opaque, x, y, g, want)
				}
			}
		}
	}
}

func BenchmarkEncodePNG(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 576, 384))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 100; y < 300; y++ {
		for x := 50; x < 500; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), 80, 0xff})
		}
	}
	b.Run("encoder=botprof", func(b *testing.B) {
		for b.Loop() {
			if err := encodePNG(&bytes.Buffer{}, img); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoder=image-png-BestSpeed", func(b *testing.B) {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		for b.Loop() {
			if err := enc.Encode(&bytes.Buffer{}, img); err != nil {
				b.Fatal(err)
			}
		}
	})
}
