package view

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/stages/load"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: load.ColLine, Type: arrow.PrimitiveTypes.Int64},
	{Name: load.ColStartTime, Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: load.ColSrcAddr, Type: arrow.BinaryTypes.String},
	{Name: load.ColDstAddr, Type: arrow.BinaryTypes.String},
	{Name: load.ColBytes, Type: arrow.PrimitiveTypes.Int64},
}, nil)

type flow struct {
	sec      int // seconds after 2011-08-18 10:00:00
	src, dst string
	bytes    int64
}

var t0 = time.Date(2011, 8, 18, 10, 0, 0, 0, time.UTC)

func table(mem memory.Allocator, flows []flow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	for i, f := range flows {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 2))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(t0.Add(time.Duration(f.sec) * time.Second).UnixMicro()))
		b.Field(2).(*array.StringBuilder).Append(f.src)
		b.Field(3).(*array.StringBuilder).Append(f.dst)
		b.Field(4).(*array.Int64Builder).Append(f.bytes)
	}
	return b.NewRecordBatch()
}

// rows reads the output as "host:bytes" per row.
func rows(rec arrow.RecordBatch) string {
	src := rec.Column(2).(*array.String)
	by := rec.Column(4).(*array.Int64)
	var out []string
	for i := 0; i < int(rec.NumRows()); i++ {
		out = append(out, src.Value(i)+"="+strconv.FormatInt(by.Value(i), 10))
	}
	return strings.Join(out, " ")
}

// One capture: A and B are listed, C is not. Bytes number the flows.
var capture = []flow{
	{0, "A", "C", 1},
	{1, "C", "A", 2},
	{2, "A", "B", 3},
	{3, "B", "B", 4},
	{4, "C", "B", 5},
	{5, "A", "C", 6},
}

func TestViews(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := table(mem, capture)
	defer rec.Release()
	hosts := []Host{{Addr: "A"}, {Addr: "B"}}
	for _, tc := range []struct{ view, want string }{
		{"", "A=1 A=3 B=4 A=6"},
		{Src, "A=1 A=3 B=4 A=6"},
		{Dst, "A=2 B=3 B=4 B=5"},
		// Flow 3 (A→B) is a row of both; the self-flow 4 counts once.
		{Both, "A=1 A=2 A=3 B=3 B=4 B=5 A=6"},
	} {
		res, err := Run(context.Background(), Input{Mem: mem, Flows: []arrow.RecordBatch{rec}},
			Params{Sources: []string{""}, View: tc.view, Hosts: hosts})
		if err != nil {
			t.Fatal(err)
		}
		out, st := res.Flows, res.Stats
		if got := rows(out); got != tc.want {
			t.Errorf("view %q: got %s, want %s", tc.view, got, tc.want)
		}
		if st.Rows != int(out.NumRows()) {
			t.Errorf("view %q: stats rows %d, table %d", tc.view, st.Rows, out.NumRows())
		}
		out.Release()
	}
}

func TestSourcesNamespaced(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	a := table(mem, capture)
	defer a.Release()
	b := table(mem, []flow{{0, "A", "B", 10}, {1, "B", "A", 11}})
	defer b.Release()
	p := Params{Sources: []string{"s10", "s11"}, Namespace: true,
		Hosts: []Host{{Source: "s10", Addr: "A"}, {Source: "s11", Addr: "A"}, {Source: "s11", Addr: "B"}}}
	res, err := Run(context.Background(), Input{Mem: mem, Flows: []arrow.RecordBatch{a, b}}, p)
	if err != nil {
		t.Fatal(err)
	}
	out, st := res.Flows, res.Stats
	defer out.Release()
	if got, want := rows(out), "s10:A=1 s10:A=3 s10:A=6 s11:A=10 s11:B=11"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if st.PerHost["s10:A"] != 3 || st.PerHost["s11:B"] != 1 {
		t.Errorf("per host %v", st.PerHost)
	}
	if got := strings.Join(p.HostNames(), " "); got != "s10:A s11:A s11:B" {
		t.Errorf("host names %s", got)
	}
}

func TestSplit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// A sends flows at 0, 2, 5 s and, out of time order in the file, 1 s.
	rec := table(mem, []flow{{0, "A", "C", 1}, {2, "A", "C", 2}, {5, "A", "C", 3}, {1, "A", "C", 4}, {3, "B", "C", 5}})
	defer rec.Release()
	a := Host{Addr: "A"}
	for _, tc := range []struct {
		split Split
		want  string
	}{
		// 4 flows of A in time order: 1, 4, 2, 3 (bytes); ⌊0.5·4⌋ = 2 train.
		{Split{By: ByFraction, At: "0.5"}, "A=1 A@test=2 A@test=3 A=4 B=5"},
		// ⌊0.9·4⌋ = 3.
		{Split{By: ByFraction, At: "0.9"}, "A=1 A=2 A@test=3 A=4 B=5"},
		// Before 10:00:02: the flows at 0 and 1 s.
		{Split{By: ByTime, At: "2011-08-18 10:00:02"}, "A=1 A@test=2 A@test=3 A=4 B=5"},
		{Split{By: ByTime, At: "2011-08-18 09:00:00"}, "A@test=1 A@test=2 A@test=3 A@test=4 B=5"},
	} {
		p := Params{Sources: []string{""}, Hosts: []Host{a, {Addr: "B"}}, Profiles: []Host{a}, Split: &tc.split}
		res, err := Run(context.Background(), Input{Mem: mem, Flows: []arrow.RecordBatch{rec}}, p)
		if err != nil {
			t.Fatal(err)
		}
		out, st := res.Flows, res.Stats
		if got := rows(out); got != tc.want {
			t.Errorf("split %+v: got %s, want %s", tc.split, got, tc.want)
		}
		if st.Training["A"]+st.HeldOut["A@test"] != 4 {
			t.Errorf("split %+v: stats %+v", tc.split, st)
		}
		out.Release()
		if got := strings.Join(p.HostNames(), " "); got != "A A@test B" {
			t.Errorf("host names %s", got)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{}, "no sources"},
		{Params{Sources: []string{""}, View: "out"}, `view "out"`},
		{Params{Sources: []string{"s10"}, Hosts: []Host{{Source: "s11", Addr: "A"}}}, `no source named "s11"`},
		{Params{Sources: []string{""}, Split: &Split{By: "rows", At: "1"}}, `split by "rows"`},
		{Params{Sources: []string{""}, Split: &Split{By: ByFraction, At: "1"}}, "between 0 and 1"},
		{Params{Sources: []string{""}, Split: &Split{By: ByFraction, At: "x"}}, "between 0 and 1"},
		{Params{Sources: []string{""}, Split: &Split{By: ByTime, At: "18/08/2011"}}, "want a time"},
	} {
		err := tc.p.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error containing %q", tc.p, err, tc.want)
		}
	}
	if err := (Params{Sources: []string{""}, Split: &Split{By: ByTime, At: "2011-08-18 12:00:00"}}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestSchemaMismatch(t *testing.T) {
	mem := memory.NewGoAllocator()
	a := table(mem, capture)
	defer a.Release()
	b := array.NewRecordBatch(arrow.NewSchema(testSchema.Fields()[:4], nil), a.Columns()[:4], a.NumRows())
	defer b.Release()
	_, err := Run(context.Background(), Input{Mem: mem, Flows: []arrow.RecordBatch{a, b}},
		Params{Sources: []string{"x", "y"}, Namespace: true, Hosts: []Host{{Source: "x", Addr: "A"}}})
	if err == nil || !strings.Contains(err.Error(), "source y has columns") {
		t.Errorf("got %v", err)
	}
}
