package cache

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ParquetRowGroupRows is the row-group length of files written by
// WriteParquet. Stage outputs are a few million rows at most, so most files
// hold one row group.
const ParquetRowGroupRows = 1 << 20

// parquetProps pins every writer property that could change the bytes of a
// file, so equal records always give identical files (and identical sha256
// in meta.json): the created_by string (the library default embeds its
// version), codec, dictionary use, page and row-group sizes, format and
// page versions, statistics.
//
// The cache is written on the critical path of a cold run, so the choices
// favour writing speed (measured on the 258,700 scenario-10 flows, all 17
// columns, 2 cores):
//   - Snappy, Parquet's usual codec: 0.10 s and 4.7 MB against 0.20 s and
//     1.9 MB for zstd level 3, with klauspost's fast Snappy encoder (see
//     fastSnappy: the notebook's 5 load columns in 40 ms instead of 68 ms).
//   - No min/max statistics on string columns: arrow-go compares every value
//     (a fifth of the write time); numeric columns keep theirs.
//   - Dictionary encoding only for boolean and 8/16/32-bit integer columns
//     (codes, ports), where values repeat; 64-bit and floating-point columns
//     (line numbers, times, byte counts) are mostly distinct, and hashing
//     them into a dictionary that is then abandoned doubled the write time.
//     String columns (hosts, labels, protocols) repeat too, but arrow-go's
//     byte-array dictionary encoder boxes every value (0.27 s against 0.19 s
//     plain).
func parquetProps(schema *arrow.Schema, mem memory.Allocator) *parquet.WriterProperties {
	opts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCreatedBy("botprof"),
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV1),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryPageSizeLimit(1 << 20),
		parquet.WithDataPageSize(1 << 20),
		parquet.WithBatchSize(1 << 16),
		parquet.WithMaxRowGroupLength(ParquetRowGroupRows),
		parquet.WithStats(true),
		parquet.WithPageIndexEnabled(false),
		parquet.WithBloomFilterEnabled(false),
	}
	for _, f := range schema.Fields() {
		if repetitive(f.Type) {
			opts = append(opts, parquet.WithDictionaryFor(f.Name, true))
		}
		if f.Type.ID() == arrow.STRING {
			opts = append(opts, parquet.WithStatsFor(f.Name, false))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

func repetitive(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL,
		arrow.INT8, arrow.INT16, arrow.INT32, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return true
	}
	return false
}

// WriteParquet writes rec to w as a Parquet file with pinned writer
// properties (Snappy, dictionaries for small integer columns, row groups of
// ParquetRowGroupRows rows, created_by "botprof") and the Arrow schema
// stored in the file metadata, so ReadParquet restores exact Arrow types
// (timestamps with zone, int32 ports). Equal records give identical bytes.
func WriteParquet(w io.Writer, rec arrow.RecordBatch) error {
	fw, err := newFileWriter(w, rec.Schema())
	if err != nil {
		return err
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return fmt.Errorf("parquet: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// ReadParquet reads the whole Parquet file at path into one record
// allocated from mem. The caller releases it.
func ReadParquet(path string, mem memory.Allocator) (arrow.RecordBatch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return nil, fmt.Errorf("parquet %s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		return nil, fmt.Errorf("parquet %s: %w", path, err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, fmt.Errorf("parquet %s: %w", path, err)
	}
	defer tbl.Release()
	rec, err := tableToRecord(tbl, mem)
	if err != nil {
		return nil, fmt.Errorf("parquet %s: %w", path, err)
	}
	return rec, nil
}

// tableToRecord concatenates each column's chunks into one array.
func tableToRecord(tbl arrow.Table, mem memory.Allocator) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, tbl.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		chunks := tbl.Column(i).Data().Chunks()
		switch len(chunks) {
		case 0:
			cols[i] = array.MakeArrayOfNull(mem, tbl.Schema().Field(i).Type, 0)
		case 1:
			chunks[0].Retain()
			cols[i] = chunks[0]
		default:
			c, err := array.Concatenate(chunks, mem)
			if err != nil {
				return nil, err
			}
			cols[i] = c
		}
	}
	return array.NewRecordBatch(plainSchema(tbl.Schema()), cols, tbl.NumRows()), nil
}

// plainSchema drops the "PARQUET:field_id" metadata the reader adds to every
// top-level field, so a record read back has the schema it was written with
// (stage schemas such as load.Schema are compared with Schema.Equal).
func plainSchema(s *arrow.Schema) *arrow.Schema {
	fields := s.Fields()
	for i, f := range fields {
		idx := f.Metadata.FindKey(fieldIDKey)
		if idx < 0 {
			continue
		}
		var keys, vals []string
		for j := range f.Metadata.Len() {
			if j != idx {
				keys = append(keys, f.Metadata.Keys()[j])
				vals = append(vals, f.Metadata.Values()[j])
			}
		}
		fields[i].Metadata = arrow.NewMetadata(keys, vals)
		if len(keys) == 0 {
			fields[i].Metadata = arrow.Metadata{}
		}
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

const fieldIDKey = "PARQUET:field_id"

// ParquetWriter writes a Parquet file a record at a time, with
// WriteParquet's pinned properties: the records' rows fill row groups of
// ParquetRowGroupRows rows, and the bytes are those WriteParquet gives
// for all the rows in one record.
type ParquetWriter struct {
	fw *pqarrow.FileWriter
}

// NewParquetWriter starts a Parquet file of the given schema on w (which
// Close does not close).
func NewParquetWriter(w io.Writer, schema *arrow.Schema) (*ParquetWriter, error) {
	fw, err := newFileWriter(struct{ io.Writer }{w}, schema)
	if err != nil {
		return nil, err
	}
	return &ParquetWriter{fw: fw}, nil
}

// newFileWriter starts a Parquet file of schema on w with the pinned
// properties (parquetProps) and the Arrow schema stored. It closes w when
// w is an io.Closer.
func newFileWriter(w io.Writer, schema *arrow.Schema) (*pqarrow.FileWriter, error) {
	mem := memory.DefaultAllocator
	fw, err := pqarrow.NewFileWriter(schema, w, parquetProps(schema, mem),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	return fw, nil
}

// Write adds rec's rows. A record without rows is a row group of its
// own (as WriteParquet writes one).
func (p *ParquetWriter) Write(rec arrow.RecordBatch) error {
	write := p.fw.WriteBuffered
	if rec.NumRows() == 0 {
		write = p.fw.Write
	}
	if err := write(rec); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// Close writes the last row group and the footer; closing twice is a no-op.
func (p *ParquetWriter) Close() error {
	if p.fw == nil {
		return nil
	}
	fw := p.fw
	p.fw = nil
	if err := fw.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}
