package cache

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// codesRecord builds a record shaped like discretize's output plus a
// nullable column, with n rows.
func codesRecord(mem memory.Allocator, n int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "host", Type: arrow.BinaryTypes.String},
		{Name: "line", Type: arrow.PrimitiveTypes.Int64},
		{Name: "start_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "code", Type: arrow.PrimitiveTypes.Int32},
		{Name: "src_port", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "duration", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	hosts := []string{"147.32.84.165", "147.32.84.191", "147.32.84.192"}
	base := time.Date(2011, 8, 18, 10, 19, 13, 0, time.UTC)
	for i := range n {
		b.Field(0).(*array.StringBuilder).Append(hosts[i*len(hosts)/n])
		b.Field(1).(*array.Int64Builder).Append(int64(i + 1))
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(base.Add(time.Duration(i) * time.Millisecond).UnixMicro()))
		b.Field(3).(*array.Int32Builder).Append(int32(i*7919) % 60)
		if i%5 == 0 {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Int32Builder).Append(int32(1024 + i%3000))
		}
		b.Field(5).(*array.Float64Builder).Append(float64(i%100) / 8)
	}
	return b.NewRecordBatch()
}

// TestParquetGenericReader opens a written file with the plain Parquet and
// pqarrow readers, as other tools would, and checks its metadata.
func TestParquetGenericReader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := codesRecord(mem, 1000)
	defer rec.Release()
	var buf bytes.Buffer
	if err := WriteParquet(&buf, rec); err != nil {
		t.Fatal(err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	md := pf.MetaData()
	if md.GetCreatedBy() != "botprof" || md.NumRows != 1000 || pf.NumRowGroups() != 1 {
		t.Errorf("created_by %q, rows %d, row groups %d", md.GetCreatedBy(), md.NumRows, pf.NumRowGroups())
	}
	if cc, err := md.RowGroup(0).ColumnChunk(3); err != nil || cc.Compression().String() != "SNAPPY" {
		t.Errorf("column code compression: %v, %v", cc.Compression(), err)
	}
	// Min/max statistics on numeric columns only: arrow-go's string
	// statistics compare every value and slowed the writes down.
	for i, wantStats := range map[int]bool{0: false, 1: true, 3: true} {
		cc, err := md.RowGroup(0).ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		if set, _ := cc.StatsSet(); set != wantStats {
			t.Errorf("column %d: statistics set %v, want %v", i, set, wantStats)
		}
	}
	// The process writes Snappy pages with klauspost's fast encoder.
	if c, err := compress.GetCodec(compress.Codecs.Snappy); err != nil {
		t.Fatal(err)
	} else if _, ok := c.(fastSnappy); !ok {
		t.Errorf("Snappy codec %T, want fastSnappy", c)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 128}, mem)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	rows := 0
	for rr.Next() {
		rows += int(rr.RecordBatch().NumRows())
	}
	if rows != 1000 {
		t.Errorf("read %d rows, want 1000", rows)
	}
}

// TestTableToRecord covers files with several row groups, which ReadParquet
// reads as several chunks per column.
func TestTableToRecord(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	whole := codesRecord(mem, 100)
	defer whole.Release()
	parts := []arrow.RecordBatch{whole.NewSlice(0, 30), whole.NewSlice(30, 100)}
	tbl := array.NewTableFromRecords(whole.Schema(), parts)
	for _, p := range parts {
		p.Release()
	}
	got, err := tableToRecord(tbl, mem)
	tbl.Release()
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if !array.RecordEqual(got, whole) {
		t.Error("concatenated record differs")
	}
}
