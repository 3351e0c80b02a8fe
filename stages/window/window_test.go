package window

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/stages/discretize"
)

// codesResult builds a discretize result with the given hosts and codes.
func codesResult(t testing.TB, mem memory.Allocator, hosts []string, codes [][]int32) *discretize.Result {
	t.Helper()
	// Flows 1 ms apart, by line number.
	ms := make([][]int64, len(codes))
	line := int64(2)
	for i := range codes {
		for range codes[i] {
			ms[i] = append(ms[i], line)
			line++
		}
	}
	return codesAt(t, mem, hosts, codes, ms)
}

func seq(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		p       Params
		n, want int
	}{
		{Params{Size: 10, Stride: 1}, 10, 1},
		{Params{Size: 10, Stride: 1}, 9, 0},
		{Params{Size: 10, Stride: 1}, 0, 0},
		{Params{Size: 10, Stride: 1}, 25, 16},
		{Params{Size: 10, Stride: 5}, 25, 4}, // starts 0 5 10 15
		{Params{Size: 10, Stride: 5}, 24, 3},
		{Params{Size: 3, Stride: 10}, 3, 1},
		{Params{Size: 10, Stride: 1, Compat: CompatNotebook}, 25, 15},
		{Params{Size: 10, Stride: 1, Compat: CompatNotebook}, 11, 1},
		{Params{Size: 10, Stride: 1, Compat: CompatNotebook}, 10, 0},
		{Params{Size: 10, Stride: 1, Compat: CompatNotebook}, 0, 0},
		{Params{Size: 10, Stride: 1, Compat: CompatNotebook}, 22804, 22794},
	} {
		if got := tc.p.Count(tc.n); got != tc.want {
			t.Errorf("%+v.Count(%d) = %d, want %d", tc.p, tc.n, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{Size: 20, Stride: 1}, ""},
		{Params{Size: 0, Stride: 1}, "stage window (size=0): size must be ≥ 1"},
		{Params{Size: 20, Stride: 0}, "stage window (size=20): stride 0, must be ≥ 1"},
		{Params{Size: 20, Stride: 2, Compat: CompatNotebook}, "stage window (size=20): compat notebook needs stride 1, not 2"},
		{Params{Size: 20, Stride: 1, Compat: "hmmlearn"}, `stage window (size=20): compat "hmmlearn": want "" or "notebook"`},
	} {
		got := ""
		if err := tc.p.Validate(); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestRun(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	codes := codesResult(t, mem, []string{"P", "A", "B", "C"}, [][]int32{seq(12), {7, 8, 9}, nil, seq(4)})
	res, err := Run(context.Background(), Input{Codes: codes}, Params{Size: 4, Stride: 2})
	codes.Release() // the windows keep the record alive
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()

	type summary struct {
		Host         string
		Flows, Count int
		Insufficient bool
	}
	var got []summary
	for _, h := range res.Hosts {
		got = append(got, summary{h.Host, h.Flows, h.Count, h.Insufficient})
	}
	want := []summary{{"P", 12, 5, false}, {"A", 3, 0, true}, {"B", 0, 0, true}, {"C", 4, 1, false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hosts %+v, want %+v", got, want)
	}

	p := res.Host("P")
	all := res.rec.Column(3).(*array.Int32).Int32Values()
	for i := range p.Count {
		w := p.Window(i)
		if want := seq(12)[2*i : 2*i+4]; !reflect.DeepEqual(w, want) {
			t.Errorf("P window %d = %v, want %v", i, w, want)
		}
		if &w[0] != &all[2*i] {
			t.Errorf("P window %d is a copy, want a view", i)
		}
	}
	if w := res.Host("C").Window(0); &w[0] != &all[15] || !reflect.DeepEqual(w, []int32{0, 1, 2, 3}) {
		t.Errorf("C window 0 = %v, not a view of rows 15..18", w)
	}
	if w := append(p.Window(0), 99); all[4] != 4 || len(w) != 5 {
		t.Error("appending to a window wrote into the codes")
	}

	if res.Host("Z") != nil {
		t.Error("Host(Z) != nil")
	}
}

func TestRunNotebook(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	codes := codesResult(t, mem, []string{"P", "A", "B"}, [][]int32{seq(13), seq(10), seq(11)})
	defer codes.Release()
	res, err := Run(context.Background(), Input{Codes: codes}, Params{Size: 10, Stride: 1, Compat: CompatNotebook})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	for i, want := range []int{3, 0, 1} {
		h := res.Hosts[i]
		if h.Count != want || h.Insufficient != (want == 0) {
			t.Errorf("host %s: %d windows (insufficient %v), want %d", h.Host, h.Count, h.Insufficient, want)
		}
	}
	if got := res.Hosts[0].Window(2); !reflect.DeepEqual(got, seq(12)[2:12]) {
		t.Errorf("last window %v", got)
	}
	if _, err := Run(context.Background(), Input{Codes: codes}, Params{Size: 10}); err == nil {
		t.Error("stride 0 accepted")
	}
}

func TestRunBadCodes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	codes := codesResult(t, mem, []string{"P"}, [][]int32{seq(5)})
	defer codes.Release()
	p := Params{Size: 2, Stride: 1}
	codes.Hosts = append(codes.Hosts, discretize.HostSpan{Host: "A", Offset: 3, Flows: 4})
	if _, err := Run(context.Background(), Input{Codes: codes}, p); err == nil || err.Error() != "stage window (size=2): host A: rows [3, 7) outside the 5 codes" {
		t.Errorf("err = %v", err)
	}
	codes.Hosts = codes.Hosts[:1]
	lines := codes.Codes.Column(1)
	bad := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: discretize.ColCode, Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{lines}, int64(lines.Len()))
	defer bad.Release()
	good := codes.Codes
	codes.Codes = bad
	defer func() { codes.Codes = good }()
	if _, err := Run(context.Background(), Input{Codes: codes}, p); err == nil || err.Error() != `stage window (size=2): column "code" is int64 with 0 nulls, want int32 without nulls` {
		t.Errorf("err = %v", err)
	}
}

func BenchmarkWindow(b *testing.B) {
	mem := memory.NewGoAllocator()
	const n = 22804 // 147.32.84.204's flows
	codes := codesResult(b, mem, []string{"P"}, [][]int32{seq(n)})
	defer codes.Release()
	for _, size := range []int{10, 50} {
		p := Params{Size: size, Stride: 1}
		b.Run(fmt.Sprintf("Rows/size=%d/flows=%d", size, n), func(b *testing.B) {
			for b.Loop() {
				res, err := Run(context.Background(), Input{Codes: codes}, p)
				if err != nil {
					b.Fatal(err)
				}
				res.Release()
			}
			b.ReportMetric(float64(p.Count(n))*float64(b.N)/b.Elapsed().Seconds(), "windows/s")
		})
	}
}

// codesAt is codesResult with given start times (milliseconds).
func codesAt(t testing.TB, mem memory.Allocator, hosts []string, codes [][]int32, ms [][]int64) *discretize.Result {
	t.Helper()
	b := array.NewRecordBuilder(mem, discretize.CodesSchema)
	defer b.Release()
	res := &discretize.Result{}
	line := int64(2)
	for i, h := range hosts {
		res.Hosts = append(res.Hosts, discretize.HostSpan{Host: h, Offset: int(b.Field(0).Len()), Flows: len(codes[i])})
		for k, c := range codes[i] {
			b.Field(0).(*array.StringBuilder).Append(h)
			b.Field(1).(*array.Int64Builder).Append(line)
			b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(ms[i][k] * 1000))
			b.Field(3).(*array.Int32Builder).Append(c)
			line++
		}
	}
	res.Codes = b.NewRecordBatch()
	return res
}

// Time windows of 5 ms: P's flows at 0 1 2 | 10 11 | 30 | 50 51 52 53 ms
// make the windows [0 1 2] [3 4] [6 7 8 9] (the lone flow at 30 ms is a
// window of one, below min_flows 2); Q's two flows 100 ms apart make none.
func TestSpanWindows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	codes := codesAt(t, mem, []string{"P", "Q"}, [][]int32{seq(10), {1, 2}},
		[][]int64{{0, 1, 2, 10, 11, 30, 50, 51, 52, 53}, {0, 100}})
	defer codes.Release()
	for _, tc := range []struct {
		minFlows int
		want     [][]int32
	}{
		{2, [][]int32{{0, 1, 2}, {3, 4}, {6, 7, 8, 9}}},
		{1, [][]int32{{0, 1, 2}, {3, 4}, {5}, {6, 7, 8, 9}}},
		{4, [][]int32{{6, 7, 8, 9}}},
	} {
		res, err := Run(context.Background(), Input{Codes: codes}, Params{Span: 5000, MinFlows: tc.minFlows})
		if err != nil {
			t.Fatal(err)
		}
		p := res.Host("P")
		var got [][]int32
		for i := range p.Count {
			got = append(got, p.Window(i))
		}
		if !reflect.DeepEqual(got, tc.want) || p.Size() != 0 || res.Params.Least() != tc.minFlows {
			t.Errorf("min_flows %d: windows %v, want %v", tc.minFlows, got, tc.want)
		}
		if q := res.Host("Q"); (q.Count == 0) != (tc.minFlows > 1) || q.Insufficient != (q.Count == 0) {
			t.Errorf("min_flows %d: Q has %d windows, insufficient %v", tc.minFlows, q.Count, q.Insufficient)
		}
		res.Release()
	}
	for _, p := range []Params{{Span: 5000}, {Span: 5000, MinFlows: 1, Size: 10}, {Span: -1, MinFlows: 1}, {Size: 10, Stride: 1, MinFlows: 2}} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

// A flow starting exactly span after a window's first flow opens the next
// window (the rule is "less than span"): with span 5 ms, flows at 0 5 9 10
// 14.999 ms make [0] [5 9] [10 14.999]; equal start times share a window.
func TestSpansBoundary(t *testing.T) {
	for _, tc := range []struct {
		t            []arrow.Timestamp
		span         int64
		starts, ends []int32
	}{
		{[]arrow.Timestamp{0, 5000, 9000, 10000, 14999}, 5000, []int32{0, 1, 3}, []int32{1, 3, 5}},
		{[]arrow.Timestamp{7, 7, 7}, 1, []int32{0}, []int32{3}},
		{nil, 5000, nil, nil},
	} {
		starts, ends := spans(tc.t, tc.span, 1)
		if !reflect.DeepEqual(starts, tc.starts) || !reflect.DeepEqual(ends, tc.ends) {
			t.Errorf("spans(%v, %d) = %v %v, want %v %v", tc.t, tc.span, starts, ends, tc.starts, tc.ends)
		}
	}
}
