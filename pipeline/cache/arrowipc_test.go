package cache

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// tableFormats are the two file formats of tabular data: Arrow IPC for the
// cache's intermediate tables, Parquet for scores.parquet.
var tableFormats = []struct {
	name, file string
	write      func(io.Writer, arrow.RecordBatch) error
	read       func(string, memory.Allocator) (arrow.RecordBatch, error)
}{
	{"arrow", "codes.arrow", WriteArrow, ReadArrow},
	{"parquet", "codes.parquet", WriteParquet, ReadParquet},
}

// TestTableStableRoundTrip: in both formats, equal records give identical
// files, and reading one back restores the record and its exact schema
// (zoned timestamps, nullable int32), for empty, one-row and larger records.
func TestTableStableRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, tf := range tableFormats {
		for _, n := range []int{0, 1, 5000} {
			rec := codesRecord(mem, n)
			var a, b bytes.Buffer
			if err := tf.write(&a, rec); err != nil {
				t.Fatal(err)
			}
			if err := tf.write(&b, rec); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("%s n=%d: two writes of one record differ", tf.name, n)
			}
			path := filepath.Join(t.TempDir(), tf.file)
			if err := os.WriteFile(path, a.Bytes(), 0o666); err != nil {
				t.Fatal(err)
			}
			got, err := tf.read(path, mem)
			if err != nil {
				t.Fatal(err)
			}
			if !array.RecordEqual(got, rec) || !got.Schema().Equal(rec.Schema()) {
				t.Errorf("%s n=%d: round trip differs:\nwrote %v\nread  %v", tf.name, n, rec.Schema(), got.Schema())
			}
			got.Release()
			rec.Release()
		}
	}
}

// TestTableInCache stores a record through Put and reads it back from the
// entry, as stages do; two keys with equal records hold identical files.
func TestTableInCache(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := codesRecord(mem, 300)
	defer rec.Release()
	for _, tf := range tableFormats {
		c := newTestCache(t)
		var entries []*Entry
		for _, size := range []int{10, 20} {
			k := testKey(t, "discretize", size)
			err := c.Put(k, map[string]WriteFunc{tf.file: func(w io.Writer) error { return tf.write(w, rec) }})
			if err != nil {
				t.Fatal(err)
			}
			e, reason := c.Get(k)
			if e == nil {
				t.Fatal(reason)
			}
			entries = append(entries, e)
		}
		if entries[0].Files[0] != entries[1].Files[0] {
			t.Errorf("%s: equal records stored differently: %+v vs %+v", tf.name, entries[0].Files[0], entries[1].Files[0])
		}
		got, err := tf.read(entries[1].Path(tf.file), mem)
		if err != nil {
			t.Fatal(err)
		}
		if !array.RecordEqual(got, rec) {
			t.Errorf("%s: record read from the cache differs", tf.name)
		}
		got.Release()
	}
}

// TestReadArrowBatches: a file of several record batches (as other tools
// write) is read as one record.
func TestReadArrowBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	whole := codesRecord(mem, 100)
	defer whole.Release()
	var buf bytes.Buffer
	w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(whole.Schema()), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int64{{0, 30}, {30, 31}, {31, 100}} {
		part := whole.NewSlice(r[0], r[1])
		if err := w.Write(part); err != nil {
			t.Fatal(err)
		}
		part.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "parts.arrow")
	os.WriteFile(path, buf.Bytes(), 0o666)
	got, err := ReadArrow(path, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if !array.RecordEqual(got, whole) {
		t.Error("batches read back differ from the record written")
	}
}

// TestReadArrowErrors: a missing, truncated or non-Arrow file is an error
// naming the file, never a panic or a partial record.
func TestReadArrowErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := codesRecord(mem, 500)
	var buf bytes.Buffer
	if err := WriteArrow(&buf, rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	dir := t.TempDir()
	cases := map[string][]byte{
		"truncated.arrow": buf.Bytes()[:buf.Len()/2],
		"header.arrow":    buf.Bytes()[:8],
		"text.arrow":      []byte("host,line\n147.32.84.165,1\n"),
		"empty.arrow":     nil,
	}
	for name, b := range cases {
		path := filepath.Join(dir, name)
		os.WriteFile(path, b, 0o666)
		got, err := ReadArrow(path, mem)
		if err == nil {
			got.Release()
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
	if _, err := ReadArrow(filepath.Join(dir, "missing.arrow"), mem); err == nil {
		t.Error("missing file: no error")
	}
}

// BenchmarkWriteTable and BenchmarkReadTable time 100,000 codes rows in
// each table format.
func BenchmarkWriteTable(b *testing.B) {
	const rows = 100_000
	rec := codesRecord(memory.DefaultAllocator, rows)
	defer rec.Release()
	for _, tf := range tableFormats {
		b.Run("format="+tf.name, func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := tf.write(&buf, rec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(buf.Len()), "file-bytes")
		})
	}
}

func BenchmarkReadTable(b *testing.B) {
	const rows = 100_000
	rec := codesRecord(memory.DefaultAllocator, rows)
	defer rec.Release()
	for _, tf := range tableFormats {
		b.Run("format="+tf.name, func(b *testing.B) {
			var buf bytes.Buffer
			if err := tf.write(&buf, rec); err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(b.TempDir(), tf.file)
			if err := os.WriteFile(path, buf.Bytes(), 0o666); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				got, err := tf.read(path, memory.DefaultAllocator)
				if err != nil {
					b.Fatal(err)
				}
				got.Release()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
