package filter

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/stages/load"
)

func TestKeep(t *testing.T) {
	notBackground := Params{Exclude: []string{"Background"}}
	binetBots := Params{Include: []string{"flow=From-Botnet*", "flow=To-Botnet*"}, Exclude: []string{"flow=From-Botnet-V42-UDP-DNS"}}
	for _, tc := range []struct {
		p     Params
		label string
		want  bool
	}{
		{notBackground, "Background", false},
		{notBackground, "Botnet", true},
		{notBackground, "LEGITIMATE", true},
		{notBackground, "Background2", true}, // exact match only
		{Params{}, "anything", true},
		{Params{Include: []string{"*"}}, "", true},
		{Params{Exclude: []string{"flow=Background*"}}, "flow=Background-Established-cmpgw-CVUT", false},
		{Params{Exclude: []string{"flow=Background*"}}, "flow=Backgroun", true},
		{binetBots, "flow=From-Botnet-V42-TCP-CC6-Plain-HTTP-Encrypted-Data", true},
		{binetBots, "flow=To-Botnet-V42-UDP-Attempt-DNS", true},
		{binetBots, "flow=From-Botnet-V42-UDP-DNS", false},
		{binetBots, "flow=From-Normal-V42-Stribrek", false},
	} {
		if got := tc.p.Keep()([]byte(tc.label)); got != tc.want {
			t.Errorf("%+v.Keep()(%q) = %v, want %v", tc.p, tc.label, got, tc.want)
		}
	}
}

func TestKeepDoesNotAllocate(t *testing.T) {
	keep := Params{Include: []string{"flow=From-*", "Botnet"}, Exclude: []string{"flow=From-Normal*"}}.Keep()
	label := []byte("flow=From-Botnet-V42-TCP-CC6-Plain-HTTP-Encrypted-Data")
	if n := testing.AllocsPerRun(100, func() { keep(label) }); n != 0 {
		t.Errorf("Keep allocates %v times per call, want 0", n)
	}
}

func TestClass(t *testing.T) {
	net := Params{Classes: DefaultClasses("netflow")}
	bi := Params{Classes: DefaultClasses("binetflow")}
	for _, tc := range []struct {
		p           Params
		label, want string
	}{
		{net, "Background", ClassBackground},
		{net, "LEGITIMATE", ClassNormal},
		{net, "Botnet", ClassBotnet},
		{net, "botnet", ClassUnknown},
		{bi, "flow=From-Botnet-V42-UDP-DNS", ClassBotnet},
		{bi, "flow=To-Botnet-V42-UDP-Attempt-DNS", ClassBotnet},
		{bi, "flow=From-Normal-V42-Stribrek", ClassNormal},
		{bi, "flow=To-Normal-V42-Grill", ClassNormal},
		{bi, "flow=Normal-V42-Jist", ClassNormal},
		{bi, "flow=Background-UDP-Established", ClassBackground},
		{bi, "flow=To-Background-UDP-CVUT-DNS-Server", ClassBackground},
		{bi, "Background", ClassUnknown},
		{Params{Classes: []ClassRule{{"a*", "x"}, {"ab", "y"}}}, "ab", "x"}, // first match wins
	} {
		if got := tc.p.Class(tc.label); got != tc.want {
			t.Errorf("Class(%q) = %q, want %q", tc.label, got, tc.want)
		}
	}
	if DefaultClasses("pcap") != nil {
		t.Error("DefaultClasses(pcap) != nil")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{Include: []string{"Botnet"}, Exclude: []string{"flow=Back*"}, Classes: DefaultClasses("binetflow")}, ""},
		{Params{Include: []string{""}}, `stage filter: include[0] is empty`},
		{Params{Exclude: []string{"a", "fl*ow"}}, `stage filter: exclude[1] "fl*ow": '*' is only allowed at the end (prefix match)`},
		{Params{Classes: []ClassRule{{Match: "Botnet"}}}, `stage filter: classes[0] "Botnet" has no class`},
	} {
		err := tc.p.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("Validate(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

// flowRecord builds a load.Schema record with the given labels and src
// addresses; line i is i+2 (after the header) and every other column holds
// a value derived from i.
func flowRecord(t testing.TB, mem memory.Allocator, labels []string) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, load.Schema)
	defer b.Release()
	t0 := time.Date(2011, 8, 18, 10, 19, 13, 0, time.UTC)
	for i, l := range labels {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 2))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(t0.Add(time.Duration(i) * time.Second).UnixMicro()))
		b.Field(2).(*array.Float64Builder).Append(float64(i) / 10)
		b.Field(3).(*array.StringBuilder).Append("TCP")
		b.Field(4).(*array.StringBuilder).Append("147.32.84.204")
		b.Field(5).(*array.Int32Builder).Append(int32(1000 + i))
		b.Field(6).(*array.StringBuilder).Append("->")
		b.Field(7).(*array.StringBuilder).Append("8.8.8.8")
		b.Field(8).(*array.Int32Builder).AppendNull()
		b.Field(9).(*array.StringBuilder).Append("S_")
		b.Field(10).(*array.Int32Builder).Append(0)
		b.Field(11).(*array.Int32Builder).AppendNull()
		b.Field(12).(*array.Int64Builder).Append(int64(i + 1))
		b.Field(13).(*array.Int64Builder).Append(int64(60 * (i + 1)))
		b.Field(14).(*array.Int64Builder).AppendNull()
		b.Field(15).(*array.Int32Builder).Append(1)
		b.Field(16).(*array.StringBuilder).Append(l)
	}
	return b.NewRecordBatch()
}

func TestRun(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	in := flowRecord(t, mem, []string{"Background", "Botnet", "LEGITIMATE", "Background", "Botnet", "Background"})
	defer in.Release()

	res, err := Run(context.Background(), Input{Mem: mem, Flows: in, Format: "netflow"}, Params{Exclude: []string{"Background"}})
	if err != nil {
		t.Fatal(err)
	}
	out, st := res.Flows, res.Stats
	defer out.Release()
	wantStats := Stats{Kept: 3, Dropped: 3, Labels: []LabelCount{
		{"Background", 3, false}, {"Botnet", 2, true}, {"LEGITIMATE", 1, true}}}
	if !reflect.DeepEqual(st, wantStats) {
		t.Errorf("stats = %+v, want %+v", st, wantStats)
	}
	if !out.Schema().Equal(load.Schema) {
		t.Errorf("schema changed: %v", out.Schema())
	}
	lines := out.Column(0).(*array.Int64).Int64Values()
	if want := []int64{3, 4, 6}; !reflect.DeepEqual(lines, want) {
		t.Errorf("kept lines %v, want %v", lines, want)
	}
	if got := out.Column(13).(*array.Int64).Int64Values(); !reflect.DeepEqual(got, []int64{120, 180, 300}) {
		t.Errorf("bytes %v", got)
	}
	if out.Column(8).NullN() != 3 {
		t.Errorf("dst_port nulls lost: %d", out.Column(8).NullN())
	}

	res, err = Run(context.Background(), Input{Mem: mem, Flows: in}, Params{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Flows.Release()
	if res.Flows.NumRows() != 6 || res.Stats.Dropped != 0 {
		t.Errorf("keep-all: %d rows, %d dropped", res.Flows.NumRows(), res.Stats.Dropped)
	}

	// exclude_classes by the format's default classes: as Exclude
	// Background above. The predicate the loader is given (KeepFor) keeps
	// exactly the rows Run keeps.
	p := Params{ExcludeClasses: []string{ClassBackground}}
	res, err = Run(context.Background(), Input{Mem: mem, Flows: in, Format: "netflow"}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Flows.Release()
	if !reflect.DeepEqual(res.Stats, wantStats) {
		t.Errorf("exclude_classes: stats = %+v, want %+v", res.Stats, wantStats)
	}
	keep := p.KeepFor("netflow")
	var pushed []int64
	labels := in.Column(16).(*array.String)
	for i := 0; i < labels.Len(); i++ {
		if keep([]byte(labels.Value(i))) {
			pushed = append(pushed, in.Column(0).(*array.Int64).Value(i))
		}
	}
	if got := res.Flows.Column(0).(*array.Int64).Int64Values(); !reflect.DeepEqual(got, pushed) {
		t.Errorf("KeepFor keeps lines %v, Run %v", pushed, got)
	}
}

func TestRunErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	in := flowRecord(t, mem, []string{"Botnet"})
	defer in.Release()
	for _, p := range []Params{{Include: []string{""}}, {ExcludeClasses: []string{"Background"}}} {
		if _, err := Run(context.Background(), Input{Mem: mem, Flows: in}, p); err == nil {
			t.Errorf("invalid params %+v accepted", p)
		}
	}
	sch := arrow.NewSchema(load.Schema.Fields()[:16], nil)
	cut := array.NewRecordBatch(sch, in.Columns()[:16], 1)
	defer cut.Release()
	if _, err := Run(context.Background(), Input{Mem: mem, Flows: cut}, Params{}); err == nil || err.Error() != `stage filter: input has no "label" column` {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Input{Mem: mem, Flows: in}, Params{}); err == nil {
		t.Error("cancelled context not reported")
	}
}

func BenchmarkKeep(b *testing.B) {
	keep := Params{Exclude: []string{"Background", "flow=Background*"}}.Keep()
	label := []byte("flow=From-Botnet-V42-TCP-CC6-Plain-HTTP-Encrypted-Data")
	for b.Loop() {
		keep(label)
	}
}
