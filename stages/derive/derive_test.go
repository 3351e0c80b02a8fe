package derive

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/stages/load"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: load.ColLine, Type: arrow.PrimitiveTypes.Int64},
	{Name: load.ColStartTime, Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: load.ColDuration, Type: arrow.PrimitiveTypes.Float64},
	{Name: load.ColSrcAddr, Type: arrow.BinaryTypes.String},
	{Name: load.ColPackets, Type: arrow.PrimitiveTypes.Int64},
	{Name: load.ColBytes, Type: arrow.PrimitiveTypes.Int64},
	{Name: load.ColSrcBytes, Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// Four flows, by hand (line: host, start s, duration s, packets, bytes):
//
//	2: A 0 0.5 2 100   bytes/packet 50,  bytes/s 200,   interarrival 0 (A's first)
//	3: B 1 0   1 60    bytes/packet 60,  bytes/s 6e7 (duration 0 counts 1 µs), 0 (B's first)
//	4: A 3 0   0 0     bytes/packet 0 (0/0), bytes/s 0, 1 (A's previous flow is line 5, at 2 s)
//	5: A 2 2   4 400   bytes/packet 100, bytes/s 200,   2
func flows(mem memory.Allocator, nullSrcBytes bool) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	t0 := time.Date(2011, 8, 18, 10, 0, 0, 0, time.UTC)
	for i, f := range []struct {
		host           string
		start, dur     float64
		packets, bytes int64
	}{{"A", 0, 0.5, 2, 100}, {"B", 1, 0, 1, 60}, {"A", 3, 0, 0, 0}, {"A", 2, 2, 4, 400}} {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 2))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(t0.Add(time.Duration(f.start * float64(time.Second))).UnixMicro()))
		b.Field(2).(*array.Float64Builder).Append(f.dur)
		b.Field(3).(*array.StringBuilder).Append(f.host)
		b.Field(4).(*array.Int64Builder).Append(f.packets)
		b.Field(5).(*array.Int64Builder).Append(f.bytes)
		if nullSrcBytes && i == 2 {
			b.Field(6).AppendNull()
		} else {
			b.Field(6).(*array.Int64Builder).Append(f.bytes / 2)
		}
	}
	return b.NewRecordBatch()
}

func TestDerivedColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := flows(mem, false)
	defer rec.Release()
	want := map[string][]float64{
		BytesPerPacket:                     {50, 60, 0, 100},
		BytesPerSecond:                     {200, 6e7, 0, 200},
		Interarrival:                       {0, 0, 1, 2},
		Ratio(load.ColPackets, "duration"): {4, 1e6, 0, 2},
		Ratio(load.ColBytes, "packets"):    {50, 60, 0, 100},
	}
	var cols []string
	for c := range want {
		cols = append(cols, c)
	}
	res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	for name, w := range want {
		idx := res.Flows.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Errorf("no column %s", name)
			continue
		}
		got := res.Flows.Column(idx[0]).(*array.Float64).Float64Values()
		for i := range w {
			if math.Abs(got[i]-w[i]) > 1e-9*math.Max(1, math.Abs(w[i])) {
				t.Errorf("%s = %v, want %v", name, got, w)
				break
			}
		}
	}
	if res.Flows.NumCols() != rec.NumCols()+int64(len(want)) {
		t.Errorf("%d columns", res.Flows.NumCols())
	}
}

func TestDeriveErrors(t *testing.T) {
	mem := memory.NewGoAllocator()
	rec := flows(mem, true)
	defer rec.Release()
	if _, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{Columns: []string{Ratio("src_bytes", "bytes")}}); err == nil ||
		!strings.Contains(err.Error(), "line 4: src_bytes is null") {
		t.Errorf("null operand: %v", err)
	}
	// 400 bytes in 1e-310 s is more bytes per second than a float64 holds.
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).Append(9)
	b.Field(1).(*array.TimestampBuilder).Append(0)
	b.Field(2).(*array.Float64Builder).Append(1e-310)
	b.Field(3).(*array.StringBuilder).Append("A")
	b.Field(4).(*array.Int64Builder).Append(1)
	b.Field(5).(*array.Int64Builder).Append(400)
	b.Field(6).(*array.Int64Builder).Append(200)
	tiny := b.NewRecordBatch()
	defer tiny.Release()
	if _, err := Run(context.Background(), Input{Mem: mem, Flows: tiny}, Params{Columns: []string{BytesPerSecond}}); err == nil ||
		!strings.Contains(err.Error(), "line 9: bytes / duration = 400 / 1e-310 overflows a float64") {
		t.Errorf("overflow: %v", err)
	}
	for _, c := range []string{"bytes_per_flow", Ratio("proto", "bytes"), "ratio(bytes)", Ratio("line", "bytes")} {
		if err := (Params{Columns: []string{c}}).Validate(); err == nil {
			t.Errorf("%s: no error", c)
		}
	}
	if !Is(Ratio("bytes", "packets")) || Is("bytes") || strings.Join(Needs(Interarrival), ",") != "start_time,src_addr" {
		t.Error("Is/Needs")
	}
}

// Columns holds line and the derived columns alone; Attach puts them back
// on the flows they came from, as Run's Flows has them, and refuses flows
// with other lines or another row count.
func TestColumnsAttach(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := flows(mem, false)
	defer rec.Release()
	res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{Columns: []string{BytesPerPacket, Interarrival}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	var names []string
	for _, f := range res.Columns.Schema().Fields() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "line bytes_per_packet interarrival" || res.Columns.NumRows() != 4 {
		t.Fatalf("columns %s, %d rows", got, res.Columns.NumRows())
	}
	back, err := Attach(rec, res.Columns)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Release()
	if !array.RecordEqual(back, res.Flows) {
		t.Errorf("Attach(flows, Columns) = %v\nwant Run's %v", back, res.Flows)
	}
	// Attaching to flows that have the columns already adds nothing.
	again, err := Attach(res.Flows, res.Columns)
	if err != nil {
		t.Fatal(err)
	}
	if again.NumCols() != res.Flows.NumCols() {
		t.Errorf("%d columns, want %d", again.NumCols(), res.Flows.NumCols())
	}
	again.Release()

	other := flows(mem, false)
	defer other.Release()
	b := array.NewInt64Builder(mem)
	b.AppendValues([]int64{2, 3, 5, 4}, nil)
	lines := b.NewInt64Array()
	b.Release()
	cols := slices.Clone(other.Columns())
	cols[0] = lines
	shuffled := array.NewRecordBatch(other.Schema(), cols, other.NumRows())
	lines.Release()
	defer shuffled.Release()
	if _, err := Attach(shuffled, res.Columns); err == nil || !strings.Contains(err.Error(), "their lines differ") {
		t.Errorf("other lines: %v", err)
	}
	short := other.NewSlice(0, 3)
	defer short.Release()
	if _, err := Attach(short, res.Columns); err == nil || !strings.Contains(err.Error(), "3 flows") {
		t.Errorf("other row count: %v", err)
	}
}
