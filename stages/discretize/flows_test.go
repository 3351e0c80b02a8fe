package discretize

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/zstd"

	"botprof/stages/load"
)

// s10Path is the embedded scenario-10 extract (every flow sent by the
// notebook's 16 hosts, time-ordered; line 2 is a Background row).
const s10Path = "../../data/ctu13/s10/capture20110818.16hosts.reconstructed.netflow.labeled.zst"

// flow is one test row; fields not listed are filled with fixed values.
type flow struct {
	line  int64
	time  time.Time
	proto string
	src   string
	port  int32 // dst_port; < 0 means null
	bytes int64
	label string
}

// record builds a load.Schema record of fs.
func record(t testing.TB, mem memory.Allocator, fs []flow) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, load.Schema)
	defer b.Release()
	for _, f := range fs {
		b.Field(0).(*array.Int64Builder).Append(f.line)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(f.time.UnixMicro()))
		b.Field(2).(*array.Float64Builder).Append(0)
		b.Field(3).(*array.StringBuilder).Append(f.proto)
		b.Field(4).(*array.StringBuilder).Append(f.src)
		b.Field(5).(*array.Int32Builder).AppendNull()
		b.Field(6).(*array.StringBuilder).Append("->")
		b.Field(7).(*array.StringBuilder).Append("147.32.80.9")
		if f.port < 0 {
			b.Field(8).(*array.Int32Builder).AppendNull()
		} else {
			b.Field(8).(*array.Int32Builder).Append(f.port)
		}
		b.Field(9).(*array.StringBuilder).Append("INT")
		b.Field(10).(*array.Int32Builder).Append(0)
		b.Field(11).(*array.Int32Builder).AppendNull()
		b.Field(12).(*array.Int64Builder).Append(1)
		b.Field(13).(*array.Int64Builder).Append(f.bytes)
		b.Field(14).(*array.Int64Builder).AppendNull()
		b.Field(15).(*array.Int32Builder).Append(1)
		b.Field(16).(*array.StringBuilder).Append(f.label)
	}
	return b.NewRecordBatch()
}

var s10 struct {
	once  sync.Once
	flows []flow
	err   error
}

// readS10 returns the flows of the embedded scenario-10 file as the
// notebook reads it: the header and the first data line are skipped
// (read_csv(skiprows=1, header=0)) and Background rows are dropped. hosts,
// if not nil, keeps only flows sent by those hosts. The file is parsed once
// per test binary.
func readS10(t testing.TB, hosts map[string]bool) []flow {
	t.Helper()
	s10.once.Do(func() { s10.flows, s10.err = parseS10() })
	if s10.err != nil {
		t.Fatal(s10.err)
	}
	if hosts == nil {
		return s10.flows
	}
	var out []flow
	for _, f := range s10.flows {
		if hosts[f.src] {
			out = append(out, f)
		}
	}
	return out
}

func parseS10() ([]flow, error) {
	f, err := os.Open(s10Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	sc := bufio.NewScanner(zr)
	var out []flow
	for line := int64(1); sc.Scan(); line++ {
		if line <= 2 {
			continue
		}
		fs := strings.Fields(sc.Text())
		if len(fs) != 13 {
			return nil, fmt.Errorf("%s:%d: %d fields", s10Path, line, len(fs))
		}
		if fs[12] == "Background" {
			continue
		}
		src, _, _ := strings.Cut(fs[4], ":")
		tm, err := time.Parse("2006-01-02 15:04:05.000", fs[0]+" "+fs[1])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", s10Path, line, err)
		}
		port := int32(-1)
		if _, p, ok := strings.Cut(fs[6], ":"); ok {
			v, err := strconv.ParseInt(p, 0, 32)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", s10Path, line, err)
			}
			port = int32(v)
		}
		bytes, err := strconv.ParseInt(fs[10], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", s10Path, line, err)
		}
		out = append(out, flow{line: line, time: tm, proto: fs[3], src: src, port: port, bytes: bytes, label: fs[12]})
	}
	return out, sc.Err()
}
