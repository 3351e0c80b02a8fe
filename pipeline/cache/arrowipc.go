package cache

import (
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// WriteArrow writes rec to w as an uncompressed Arrow IPC file (Feather v2;
// pyarrow.ipc.open_file, pandas.read_feather and polars.read_ipc open it).
// The cache stores the intermediate tables of a run this way: writing is a
// copy of the record's buffers, where Parquet encodes and compresses every
// value (the 258,700 scenario-10 flows: under 0.1 ms against 41 ms, for a
// 12.6 MB file instead of 3.3 MB; see BenchmarkNotebookStages/write=*), and
// reading needs no decoding. Equal records give identical bytes.
func WriteArrow(w io.Writer, rec arrow.RecordBatch) error {
	fw, err := ipc.NewFileWriter(w, ipc.WithSchema(rec.Schema()))
	if err != nil {
		return fmt.Errorf("arrow ipc: %w", err)
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return fmt.Errorf("arrow ipc: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("arrow ipc: %w", err)
	}
	return nil
}

// ReadArrow reads the Arrow IPC file at path into one record allocated from
// mem; a file of several record batches is concatenated. The caller
// releases the record.
func ReadArrow(path string, mem memory.Allocator) (rec arrow.RecordBatch, err error) {
	// arrow-go trusts the sizes and offsets in a file's metadata. The stages
	// read only files whose sha256 Cache.Get has checked against the one
	// recorded when they were written; a panic on any other file is turned
	// into an error (sizes damaged to gigabytes can still exhaust memory).
	defer func() {
		if v := recover(); v != nil {
			rec, err = nil, fmt.Errorf("arrow ipc %s: damaged file: %v", path, v)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fr, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("arrow ipc %s: %w", path, err)
	}
	defer fr.Close()
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for i := range fr.NumRecords() {
		r, err := fr.RecordBatch(i)
		if err != nil {
			return nil, fmt.Errorf("arrow ipc %s: batch %d: %w", path, i, err)
		}
		r.Retain() // the reader releases its current batch on the next call
		recs = append(recs, r)
	}
	tbl := array.NewTableFromRecords(fr.Schema(), recs)
	defer tbl.Release()
	rec, err = tableToRecord(tbl, mem)
	if err != nil {
		return nil, fmt.Errorf("arrow ipc %s: %w", path, err)
	}
	return rec, nil
}
