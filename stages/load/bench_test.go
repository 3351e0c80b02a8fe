package load

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// notBackground is the Background filter of both formats ("Background",
// "flow=To-Background-CVUT-Proxy").
func notBackground(l []byte) bool { return !bytes.Contains(l, []byte("Background")) }

// notebookColumns are the columns the notebook's pipeline reads.
var notebookColumns = []string{ColStartTime, ColSrcAddr, ColProto, ColBytes}

func benchmarkLoad(b *testing.B, path string, cols []string, hash bool) {
	res, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: path, Keep: notBackground, SHA256: hash}, Params{Columns: cols})
	if err != nil {
		b.Fatal(err)
	}
	res.Flows.Release()
	b.SetBytes(res.Stats.Bytes)
	b.ResetTimer()
	for b.Loop() {
		res, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: path, Keep: notBackground, SHA256: hash}, Params{Columns: cols})
		if err != nil {
			b.Fatal(err)
		}
		res.Flows.Release()
	}
	b.ReportMetric(float64(res.Stats.Lines)*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}

// BenchmarkLoad loads the embedded scenario-10 extract (zstd) and, when
// scripts/bench-data has written it, the 513 MB NetFlow benchmark file, with
// the Background filter pushed down: every column, the notebook's, and the
// notebook's with the sha256 of the content computed alongside (a cold run).
func BenchmarkLoad(b *testing.B) {
	b.Run("file=s10-16hosts.zst", func(b *testing.B) { benchmarkLoad(b, s10Path, nil, false) })
	b.Run("file=s10-16hosts.zst/columns=notebook", func(b *testing.B) { benchmarkLoad(b, s10Path, notebookColumns, false) })
	b.Run("file=s10-16hosts.zst/columns=notebook/sha256", func(b *testing.B) { benchmarkLoad(b, s10Path, notebookColumns, true) })
	matches, _ := filepath.Glob("../../bench/data/*.netflow.labeled")
	if len(matches) == 0 {
		b.Log("no bench/data/*.netflow.labeled: run scripts/bench-data")
		return
	}
	b.Run("file=bench-513MB.netflow", func(b *testing.B) { benchmarkLoad(b, matches[0], nil, false) })
	b.Run("file=bench-513MB.netflow/columns=notebook", func(b *testing.B) { benchmarkLoad(b, matches[0], notebookColumns, false) })
	b.Run("file=bench-513MB.netflow/columns=notebook/sha256", func(b *testing.B) { benchmarkLoad(b, matches[0], notebookColumns, true) })
	if m, _ := filepath.Glob("../../bench/data/*.binetflow"); len(m) > 0 {
		b.Run("file=bench-511MB.binetflow", func(b *testing.B) { benchmarkLoad(b, m[0], nil, false) })
	}
}
