package discretize

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestPercentile(t *testing.T) {
	// Expected values follow numpy's linear definition by hand:
	// h = (n-1)·q/100, result = x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]).
	for _, tc := range []struct {
		x    []float64
		q    float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, 50, 2.5},        // h = 1.5
		{[]float64{10, 20, 30, 40, 50}, 20, 18}, // h = 0.8
		{[]float64{10, 20, 30, 40, 50}, 0, 10},
		{[]float64{10, 20, 30, 40, 50}, 100, 50},
		{[]float64{0, 1000}, 0.1, 1},    // h = 0.001
		{[]float64{0, 1000}, 99.9, 999}, // h = 0.999
		{[]float64{7}, 30, 7},
		{[]float64{60, 60, 60, 1066}, 0.9, 60},
	} {
		if got := Percentile(tc.x, tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tc.x, tc.q, got, tc.want)
		}
	}
}

var t0 = time.Date(2011, 8, 18, 10, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func codesOf(r *Result) []int32 {
	return r.Codes.Column(3).(*array.Int32).Int32Values()
}

func linesOf(r *Result) []int64 {
	return r.Codes.Column(1).(*array.Int64).Int64Values()
}

func TestRunDefault(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := record(t, mem, []flow{
		{line: 2, time: at(3), proto: "TCP", src: "A", bytes: 100},
		{line: 3, time: at(1), proto: "UDP", src: "A", bytes: 300},
		{line: 4, time: at(1), proto: "TCP", src: "A", bytes: 200}, // same time as line 3: after it
		{line: 5, time: at(2), proto: "TCP", src: "A", bytes: 400},
		{line: 6, time: at(0), proto: "ICMP", src: "B", bytes: 250},
		{line: 7, time: at(5), proto: "UDP", src: "B", bytes: 50},
		{line: 8, time: at(5), proto: "UDP", src: "D", bytes: 50}, // not listed
	})
	defer rec.Release()
	feats := []Feature{{Column: "proto", Kind: KindCategory}, {Column: "bytes", Kind: KindPercentile, Percentiles: []float64{50}}}

	for _, tc := range []struct {
		fitOn   string
		more    []string // MoreProfiles
		fitted  []string // Mapping.FitHosts
		cut     float64
		cats    []string
		codes   []int32
		symbols int
	}{
		// A's bytes 100 200 300 400: h = 1.5, cut = 250. Digits: TCP 0, UDP 1,
		// unseen 2; code = proto·2 + bin.
		{FitProfile, nil, []string{"A"}, 250, []string{"TCP", "UDP"}, []int32{3, 0, 1, 0, 5, 2}, 6},
		// A and B: 50 100 200 250 300 400: h = 2.5, cut = 225. ICMP 0, TCP 1, UDP 2, unseen 3.
		{FitAll, nil, nil, 225, []string{"ICMP", "TCP", "UDP"}, []int32{5, 2, 3, 2, 1, 4}, 8},
		// Two profiled hosts, A and B: fitted on both, as fit_on all here.
		{FitProfile, []string{"B", "A"}, []string{"A", "B"}, 225, []string{"ICMP", "TCP", "UDP"}, []int32{5, 2, 3, 2, 1, 4}, 8},
	} {
		t.Run(tc.fitOn+strings.Join(tc.more, ","), func(t *testing.T) {
			res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{Features: feats, FitOn: tc.fitOn, Profile: "A", MoreProfiles: tc.more,
				Hosts: []string{"B", "A", "C", "B"}})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			if got := codesOf(res); !reflect.DeepEqual(got, tc.codes) {
				t.Errorf("codes %v, want %v", got, tc.codes)
			}
			if got, want := linesOf(res), []int64{3, 4, 5, 2, 6, 7}; !reflect.DeepEqual(got, want) {
				t.Errorf("lines %v, want %v", got, want)
			}
			wantHosts := []HostSpan{{"A", 0, 4}, {"B", 4, 2}, {"C", 6, 0}}
			if !reflect.DeepEqual(res.Hosts, wantHosts) {
				t.Errorf("hosts %v, want %v", res.Hosts, wantHosts)
			}
			want := Mapping{Compat: "", FitOn: tc.fitOn, FitHosts: tc.fitted, Symbols: tc.symbols, Features: []FeatureMap{
				{Column: "proto", Kind: KindCategory, Categories: tc.cats, Size: len(tc.cats) + 1},
				{Column: "bytes", Kind: KindPercentile, Percentiles: []float64{50}, Cuts: []float64{tc.cut}, Size: 2},
			}}
			if !reflect.DeepEqual(res.Mapping, want) || res.Symbols != tc.symbols {
				t.Errorf("mapping %+v, want %+v", res.Mapping, want)
			}
			hosts := res.Codes.Column(0).(*array.String)
			if hosts.Value(0) != "A" || hosts.Value(5) != "B" {
				t.Errorf("host column %v", hosts)
			}
			if got := res.HostCodes(1); !reflect.DeepEqual(got, tc.codes[4:]) {
				t.Errorf("HostCodes(B) = %v", got)
			}
		})
	}
}

func TestRunIntegerCategory(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := record(t, mem, []flow{
		{line: 2, time: at(0), src: "A", port: 443},
		{line: 3, time: at(1), src: "A", port: 80},
		{line: 4, time: at(2), src: "A", port: -1},
		{line: 5, time: at(3), src: "A", port: 1000},
		{line: 6, time: at(4), src: "B", port: 53},
	})
	defer rec.Release()
	res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{Features: []Feature{{Column: "dst_port", Kind: KindCategory}}, Profile: "A", Hosts: []string{"B"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	// Sorted numerically, null first: (null) 80 443 1000, unseen 4.
	if got, want := res.Mapping.Features[0].Categories, []string{"(null)", "80", "443", "1000"}; !reflect.DeepEqual(got, want) {
		t.Errorf("categories %q, want %q", got, want)
	}
	if got, want := codesOf(res), []int32{2, 1, 0, 3, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("codes %v, want %v", got, want)
	}
}

// TestNotebookIterator checks the Python 3 reading of the notebook on a case
// where the shared map iterator runs out part-way through the profiled host.
func TestNotebookIterator(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := record(t, mem, []flow{
		{line: 2, time: at(0), proto: "ICMP", src: "R", bytes: 999}, // not listed, but first in the table
		{line: 3, time: at(5), proto: "TCP", src: "P", bytes: 15},
		{line: 4, time: at(1), proto: "UDP", src: "P", bytes: 25},
		{line: 5, time: at(2), proto: "TCP", src: "P", bytes: 45},
		{line: 6, time: at(3), proto: "TCP", src: "P", bytes: 35},
		{line: 7, time: at(4), proto: "UDP", src: "P", bytes: 50},
		{line: 8, time: at(6), proto: "ICMP", src: "Q", bytes: 20},
	})
	defer rec.Release()
	// P's bytes at percentiles 0, 25, 50, 75, 100 are the cuts 15 25 35 45 50.
	// Protocol codes by first appearance: ICMP 0, TCP 1, UDP 2; |M_proto| = 2
	// (P uses TCP and UDP), |M_bytes| = 5, code = proto·5 + bin.
	feats := []Feature{{Column: "proto", Kind: KindCategory}, {Column: "bytes", Kind: KindPercentile, Percentiles: []float64{0, 25, 50, 75, 100}}}
	for _, tc := range []struct {
		compat  string
		codes   []int32
		symbols int
	}{
		// One iterator for all calls:
		//   15: 0≤15<15 no, 15≤15<25 → 1 (two cuts used)
		//   25: 0≤25<35 → 0 (enumerate restarts at 0, prev at 0)
		//   45: 0≤45<45 no, 45≤45<50 → 1 (iterator now empty)
		//   35, 50 and Q's 20 → 0
		{CompatNotebook, []int32{6, 10, 6, 5, 10, 0}, 11},
		// Fresh list every call: 15→1, 25→2, 45→4, 35→3, 50 (≥ last cut)→0, 20→1.
		{CompatNotebookList, []int32{6, 12, 9, 8, 10, 1}, 13},
	} {
		t.Run(tc.compat, func(t *testing.T) {
			res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{Features: feats, Compat: tc.compat, Profile: "P", Hosts: []string{"Q"}})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			if got := codesOf(res); !reflect.DeepEqual(got, tc.codes) {
				t.Errorf("codes %v, want %v", got, tc.codes)
			}
			// File order, not time order.
			if got, want := linesOf(res), []int64{3, 4, 5, 6, 7, 8}; !reflect.DeepEqual(got, want) {
				t.Errorf("lines %v, want %v", got, want)
			}
			m := res.Mapping
			if m.Symbols != tc.symbols || m.Features[0].Size != 2 || m.Features[1].Size != 5 ||
				!reflect.DeepEqual(m.Features[0].Categories, []string{"ICMP", "TCP", "UDP"}) ||
				!reflect.DeepEqual(m.Features[1].Cuts, []float64{15, 25, 35, 45, 50}) {
				t.Errorf("mapping %+v", m)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := record(t, mem, []flow{
		{line: 2, time: at(0), proto: "TCP", src: "A", bytes: 10, port: 80},
		{line: 7, time: at(1), proto: "ICMP", src: "B", bytes: 10, port: -1},
	})
	defer rec.Release()
	bytes := []Feature{{Column: "bytes", Kind: KindPercentile, Percentiles: []float64{50}}}
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{Features: bytes}, "stage discretize: no profiled host"},
		{Params{Profile: "A"}, "stage discretize: no features"},
		{Params{Features: bytes, Profile: "A", Compat: "python2"}, `stage discretize: compat "python2": want "", "notebook" or "notebook-list"`},
		{Params{Features: bytes, Profile: "A", Compat: CompatNotebook, FitOn: FitAll}, `stage discretize: compat "notebook" fits on the profiled host only, not fit_on "all"`},
		{Params{Features: []Feature{{Column: "bytes", Kind: "quantile"}}, Profile: "A"}, `stage discretize: features[0].kind: "quantile" is not one of percentile, cuts, kmeans, category`},
		{Params{Features: []Feature{{Column: "bytes", Kind: KindPercentile, Percentiles: []float64{80, 20, 120}}}, Profile: "A"},
			"stage discretize: features[0].percentiles[1]: percentiles must not decrease (20 after 80)\nstage discretize: features[0].percentiles[2]: 120 is outside 0..100"},
		{Params{Features: []Feature{{Column: "bytes", Kind: KindCuts, Cuts: []float64{5, 5}, K: 3, Categories: []string{"x"}}}, Profile: "A"},
			"stage discretize: features[0].k: k belongs to a kmeans feature, not cuts\nstage discretize: features[0].categories: categories belong to a category feature, not cuts\nstage discretize: features[0].cuts[1]: cut points must increase (5 after 5)"},
		{Params{Features: []Feature{{Column: "bytes", Kind: KindPercentile, Percentiles: []float64{50}, Seed: new(uint64(3))}}, Profile: "A"},
			"stage discretize: features[0].seed: seed belongs to a kmeans feature, not percentile"},
		{Params{Features: []Feature{{Column: "proto", Kind: KindCategory, Categories: []string{"a", "a"}, Unseen: "keep"}}, Profile: "A"},
			"stage discretize: features[0].unseen: \"keep\" is not one of error, extra, drop\nstage discretize: features[0].categories[1]: \"a\" is listed twice"},
		{Params{Features: bytes, Profile: "C"}, "stage discretize: profiled host C has no flows"},
		{Params{Features: []Feature{{Column: "proto", Kind: KindPercentile, Percentiles: []float64{50}}}, Profile: "A"},
			`stage discretize: features[0]: column "proto" is utf8, percentile features need a numeric column`},
		{Params{Features: []Feature{{Column: "size", Kind: KindCategory}}, Profile: "A"}, `stage discretize: input has no "size" column`},
		{Params{Features: []Feature{{Column: "dst_port", Kind: KindPercentile, Percentiles: []float64{50}}}, Profile: "A", Hosts: []string{"B"}},
			"stage discretize: line 7: dst_port is null (host B); numeric features (percentile, cuts, kmeans) need a value"},
		{Params{Features: []Feature{{Column: "dst_port", Kind: KindPercentile, Percentiles: []float64{50}}}, Profile: "B"},
			"stage discretize: fitting features[0]: line 7: dst_port is null (host B); numeric features (percentile, cuts, kmeans) need a value"},
	} {
		res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, tc.p)
		if err == nil {
			res.Release()
			t.Errorf("%+v: no error", tc.p)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.p, err, tc.want)
		}
	}
}

// Scenario 10 hosts as the notebook lists them.
var (
	s10Normal   = []string{"147.32.84.170", "147.32.84.134", "147.32.84.164", "147.32.87.36", "147.32.80.9", "147.32.87.11"}
	s10Infected = []string{"147.32.84.165", "147.32.84.191", "147.32.84.192", "147.32.84.193", "147.32.84.205", "147.32.84.206", "147.32.84.207", "147.32.84.208", "147.32.84.209"}
)

// TestS10Notebook runs the notebook's discretization on the whole embedded
// scenario-10 table. The reference README (shared/reference/notebook)
// established that the Python 3 iterator is used up by .204's first flow
// (64 bytes ≥ every cut, and .204's 0.1st–0.9th byte percentiles are all 60),
// so every code is 5 × protocol code with TCP 0, UDP 1, ICMP 2; the list
// reading gives the same codes on this data.
func TestS10Notebook(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	flows := readS10(t, nil)
	rec := record(t, mem, flows)
	defer rec.Release()
	protoCode := map[string]int32{"TCP": 0, "UDP": 1, "ICMP": 2}
	byLine := make([]flow, flows[len(flows)-1].line+1)
	for _, f := range flows {
		byLine[f.line] = f
	}
	wantFlows := map[string]int{"147.32.84.204": 22804, "147.32.84.165": 19889, "147.32.84.170": 20980, "147.32.84.134": 5916,
		"147.32.84.164": 10910, "147.32.87.36": 1390, "147.32.80.9": 729, "147.32.87.11": 0, "147.32.84.191": 21494,
		"147.32.84.192": 21473, "147.32.84.193": 20577, "147.32.84.205": 24572, "147.32.84.206": 23169,
		"147.32.84.207": 21861, "147.32.84.208": 22844, "147.32.84.209": 20092}
	for _, compat := range []string{CompatNotebook, CompatNotebookList} {
		res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{Features: NotebookFeatures(), Compat: compat,
			Profile: "147.32.84.204", Hosts: append(append([]string{}, s10Normal...), s10Infected...)})
		if err != nil {
			t.Fatal(err)
		}
		m := res.Mapping
		if m.Features[0].Size != 3 || m.Features[1].Size != 5 || m.Symbols != 15 ||
			!reflect.DeepEqual(m.Features[1].Cuts, []float64{60, 60, 60, 60, 60}) ||
			!reflect.DeepEqual(m.Features[0].Categories, []string{"TCP", "UDP", "ICMP"}) {
			t.Errorf("%s: mapping %+v", compat, m)
		}
		for _, h := range res.Hosts {
			if h.Flows != wantFlows[h.Host] {
				t.Errorf("%s: host %s has %d flows, want %d", compat, h.Host, h.Flows, wantFlows[h.Host])
			}
		}
		lines, codes := linesOf(res), codesOf(res)
		bad := 0
		for i, l := range lines {
			if want := 5 * protoCode[byLine[l].proto]; codes[i] != want && bad < 5 {
				bad++
				t.Errorf("%s: line %d (%s): code %d, want %d", compat, l, byLine[l].proto, codes[i], want)
			}
		}
		res.Release()
	}
}

// TestS10Golden fits quintiles of bytes and a protocol table on the real rows
// of 147.32.87.36 and encodes it and the first rows of 147.32.84.165.
func TestS10Golden(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	hosts := map[string]bool{"147.32.87.36": true, "147.32.84.165": true}
	var flows []flow
	n165 := 0
	for _, f := range readS10(t, hosts) {
		if f.src == "147.32.84.165" {
			if n165 == 300 {
				continue
			}
			n165++
		}
		flows = append(flows, f)
	}
	rec := record(t, mem, flows)
	defer rec.Release()
	res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{
		Features: []Feature{{Column: "proto", Kind: KindCategory}, {Column: "bytes", Kind: KindPercentile, Percentiles: []float64{20, 40, 60, 80}}},
		Profile:  "147.32.87.36", Hosts: []string{"147.32.84.165"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	// Reference cuts: Python floats on the 1,390 sorted byte values of
	// 147.32.87.36 with numpy's linear rule (h = (n-1)·q/100, lerp from the
	// upper end when the fraction is ≥ 0.5), printed with repr().
	wantCuts := []float64{66.0, 597.2000000000003, 15505.59999999999, 177249.40000000002}
	if got := res.Mapping.Features[1].Cuts; !reflect.DeepEqual(got, wantCuts) {
		t.Errorf("cuts %v, want %v", got, wantCuts)
	}
	var b strings.Builder
	mj, _ := json.MarshalIndent(res.Mapping, "", "  ")
	fmt.Fprintf(&b, "%s\n", mj)
	for _, h := range res.Hosts {
		fmt.Fprintf(&b, "%s %d:", h.Host, h.Flows)
		for _, c := range res.HostCodes(indexOf(res.Hosts, h.Host)) {
			fmt.Fprintf(&b, " %d", c)
		}
		b.WriteString("\n")
	}
	golden := "testdata/s10_golden.txt"
	if want := readGolden(t, golden, b.String()); b.String() != want {
		t.Errorf("output differs from %s (go test -update to rewrite):\n%s", golden, b.String())
	}
}

// readGolden returns the golden file's content, after rewriting it with got
// under -update.
func readGolden(t *testing.T, golden, got string) string {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	return string(want)
}

func indexOf(hs []HostSpan, host string) int {
	for i, h := range hs {
		if h.Host == host {
			return i
		}
	}
	return -1
}

func BenchmarkDiscretize(b *testing.B) {
	mem := memory.NewGoAllocator()
	rec := record(b, mem, readS10(b, nil))
	defer rec.Release()
	for _, tc := range []struct {
		name string
		p    Params
	}{
		{"compat=notebook", Params{Features: NotebookFeatures(), Compat: CompatNotebook}},
		{"quintiles", Params{Features: []Feature{{Column: "proto", Kind: KindCategory}, {Column: "bytes", Kind: KindPercentile, Percentiles: []float64{20, 40, 60, 80}}}}},
	} {
		tc.p.Profile = "147.32.84.204"
		tc.p.Hosts = append(append([]string{}, s10Normal...), s10Infected...)
		b.Run(fmt.Sprintf("%s/flows=%d", tc.name, rec.NumRows()), func(b *testing.B) {
			for b.Loop() {
				res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, tc.p)
				if err != nil {
					b.Fatal(err)
				}
				res.Release()
			}
			b.ReportMetric(float64(rec.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
		})
	}
}

// Explicit cuts, the right bin rule, k-means and fixed category tables, by
// hand on TestRunDefault's flows: A (profiled) sends, in time order, lines
// 3 4 5 2 with bytes 300 200 400 100 and protocols UDP TCP TCP TCP; B sends
// lines 6 7: ICMP 250, UDP 50.
func TestFeatureVariants(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := record(t, mem, []flow{
		{line: 2, time: at(3), proto: "TCP", src: "A", bytes: 100},
		{line: 3, time: at(1), proto: "UDP", src: "A", bytes: 300},
		{line: 4, time: at(1), proto: "TCP", src: "A", bytes: 200},
		{line: 5, time: at(2), proto: "TCP", src: "A", bytes: 400},
		{line: 6, time: at(0), proto: "ICMP", src: "B", bytes: 250},
		{line: 7, time: at(5), proto: "UDP", src: "B", bytes: 50},
	})
	defer rec.Release()
	for _, tc := range []struct {
		name  string
		f     Feature
		codes []int32
		size  int
		cuts  []float64
		lines []int64
	}{
		// Cuts 200 300: digit = cuts ≤ v.
		{"cuts", Feature{Column: "bytes", Kind: KindCuts, Cuts: []float64{200, 300}}, []int32{2, 1, 2, 0, 1, 0}, 3, []float64{200, 300}, nil},
		// right: digit = cuts < v.
		{"cuts right", Feature{Column: "bytes", Kind: KindCuts, Cuts: []float64{200, 300}, Right: true}, []int32{1, 0, 2, 0, 1, 0}, 3, []float64{200, 300}, nil},
		// Percentile 50 of 100 200 300 400 is 250; right puts 250 left.
		{"percentile right", Feature{Column: "bytes", Kind: KindPercentile, Percentiles: []float64{50}, Right: true}, []int32{1, 0, 1, 0, 0, 0}, 2, []float64{250}, nil},
		// k-means, k = 2, of 100 200 300 400: centres start at 200 and 400
		// (the 1/4 and 3/4 quantiles), clusters {100,200} {300,400}, centres
		// 150 350, cut 250.
		{"kmeans", Feature{Column: "bytes", Kind: KindKMeans, K: 2}, []int32{1, 0, 1, 0, 1, 0}, 2, []float64{250}, nil},
		{"categories extra", Feature{Column: "proto", Kind: KindCategory, Categories: []string{"TCP", "UDP"}, Unseen: UnseenExtra},
			[]int32{1, 0, 0, 0, 2, 1}, 3, nil, nil},
		// B's ICMP flow (line 6) is dropped.
		{"categories drop", Feature{Column: "proto", Kind: KindCategory, Categories: []string{"TCP", "UDP"}, Unseen: UnseenDrop},
			[]int32{1, 0, 0, 0, 1}, 2, nil, []int64{3, 4, 5, 2, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{Features: []Feature{tc.f}, Profile: "A", Hosts: []string{"B"}})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			if got := codesOf(res); !reflect.DeepEqual(got, tc.codes) {
				t.Errorf("codes %v, want %v", got, tc.codes)
			}
			fm := res.Mapping.Features[0]
			if fm.Size != tc.size || tc.cuts != nil && !reflect.DeepEqual(fm.Cuts, tc.cuts) {
				t.Errorf("size %d cuts %v, want %d %v", fm.Size, fm.Cuts, tc.size, tc.cuts)
			}
			if tc.lines != nil {
				if got := linesOf(res); !reflect.DeepEqual(got, tc.lines) || res.Mapping.Dropped != 1 || res.Hosts[1].Flows != 1 {
					t.Errorf("lines %v (dropped %d, B %d flows), want %v", got, res.Mapping.Dropped, res.Hosts[1].Flows, tc.lines)
				}
			}
			for k, v := range []float64{300, 200, 400, 100} {
				if tc.f.Kind != KindCategory && int32(fm.Bin(v)) != tc.codes[k] {
					t.Errorf("FeatureMap.Bin(%v) = %d, want %d", v, fm.Bin(v), tc.codes[k])
				}
			}
		})
	}
	_, err := Run(context.Background(), Input{Mem: mem, Flows: rec}, Params{Features: []Feature{{Column: "proto", Kind: KindCategory,
		Categories: []string{"TCP", "UDP"}}}, Profile: "A", Hosts: []string{"B"}})
	if err == nil || !strings.Contains(err.Error(), `host B, line 6: proto "ICMP" is not in the categories [TCP UDP]`) {
		t.Errorf("unseen error: %v", err)
	}
}

func TestKMeansCuts(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		k    int
		want []float64
	}{
		{[]float64{1, 2, 3, 10, 11, 12}, 2, []float64{6.5}}, // centres 2 and 11
		{[]float64{5, 5, 5, 5}, 3, []float64{}},             // one distinct value: one bin
		// Centres start at 0, 1, 9 (quantiles 1/6, 3/6, 5/6) and end at 0,
		// 1, 28/3: cuts 0.5 and (1 + 28/3)/2.
		{[]float64{0, 0, 0, 1, 9, 9, 10}, 3, []float64{0.5, (1 + 28.0/3) / 2}},
	} {
		got := kmeansCuts(tc.xs, tc.k, nil)
		if len(got) != len(tc.want) {
			t.Errorf("kmeansCuts(%v, %d) = %v, want %v", tc.xs, tc.k, got, tc.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("kmeansCuts(%v, %d) = %v, want %v", tc.xs, tc.k, got, tc.want)
			}
		}
	}
}

// A seeded k-means starts from k-means++ (PCG(seed, kmeansStream)), then
// runs the same Lloyd steps. On 0 10 11 21 with k = 2, Lloyd has three
// fixed points: {0} {10 11 21} (centres 0, 14: cut 7), {0 10} {11 21}
// (5, 16: cut 10.5) and {0 10 11} {21} (7, 21: cut 14); the quantile start
// (centres 10, 21) ends at cut 14. The seeding draws i = IntN(4) for the
// first centre, then u = Float64() against the running sum of D² in index
// order; the draws of seeds 0, 1, 3 are checked below and give, by hand:
//
//	seed 0: i = 2 (11); D² = 121 1 0 100, total 222; u·222 ≈ 144.3 lands in
//	        the last term (sums 121 122 122 222): 21. Centres 11 21, midpoint
//	        16: {0 10 11} {21}, centres 7 21, stable: cut 14.
//	seed 1: i = 3 (21); D² = 441 121 100 0, total 662; u·662 ≈ 131.4 < 441:
//	        0. Centres 0 21, midpoint 10.5: {0 10} {11 21}, centres 5 16,
//	        midpoint 10.5 again: cut 10.5.
//	seed 3: i = 2 (11); u·222 ≈ 98.1 < 121: 0. Centres 0 11, midpoint 5.5:
//	        {0} {10 11 21}, centres 0 14, midpoint 7 again: cut 7.
func TestKMeansSeeded(t *testing.T) {
	xs := []float64{0, 10, 11, 21}
	for _, tc := range []struct {
		seed  uint64
		first int
		uLo   float64 // u·total falls in [uLo, uHi)
		uHi   float64
		total float64
		want  float64
	}{
		{0, 2, 122, 222, 222, 14},
		{1, 3, 0, 441, 662, 10.5},
		{3, 2, 0, 121, 222, 7},
	} {
		r := rand.New(rand.NewPCG(tc.seed, kmeansStream))
		first := r.IntN(len(xs))
		u := r.Float64() * tc.total
		if first != tc.first || u < tc.uLo || u >= tc.uHi {
			t.Errorf("seed %d: draws %d, %v; the hand computation assumed %d and [%v, %v)", tc.seed, first, u, tc.first, tc.uLo, tc.uHi)
		}
		got := kmeansCuts(xs, 2, &tc.seed)
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("seed %d: cuts %v, want [%v]", tc.seed, got, tc.want)
		}
	}
	if got := kmeansCuts(xs, 2, nil); len(got) != 1 || got[0] != 14 {
		t.Errorf("quantile start: cuts %v, want [14]", got)
	}
	// All values equal: seeding stops at one centre, one bin.
	if got := kmeansCuts([]float64{5, 5, 5}, 3, new(uint64(9))); len(got) != 0 {
		t.Errorf("equal values: cuts %v, want none", got)
	}
	// Two runs of values: whatever the seed, k-means++ never puts both
	// centres in one run (its D² is 0 there), so the cut is 5.
	for seed := range uint64(20) {
		if got := kmeansCuts([]float64{0, 0, 0, 10, 10, 10}, 2, &seed); len(got) != 1 || got[0] != 5 {
			t.Errorf("seed %d: cuts %v, want [5]", seed, got)
		}
	}
}

// The same seed gives the same cuts; on skewed data with many clusters
// seeds differ, and each result is sorted with at most k-1 cuts.
func TestKMeansSeedDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	xs := make([]float64, 5000)
	for i := range xs {
		xs[i] = math.Floor(math.Exp(r.NormFloat64()*2) * 100)
	}
	slices.Sort(xs)
	distinct := map[string]bool{}
	for seed := range uint64(5) {
		a := kmeansCuts(xs, 8, &seed)
		b := kmeansCuts(slices.Clone(xs), 8, new(seed))
		if !slices.Equal(a, b) {
			t.Errorf("seed %d: %v then %v", seed, a, b)
		}
		if len(a) == 0 || len(a) > 7 || !slices.IsSorted(a) {
			t.Errorf("seed %d: cuts %v", seed, a)
		}
		distinct[fmt.Sprint(a)] = true
	}
	if len(distinct) < 2 {
		t.Errorf("5 seeds gave one result %v: the seed is not used", distinct)
	}
}

// Run with a seed: the seeded cuts bin the flows and the mapping records
// the seed; without one the mapping has none (mapping.json unchanged).
func TestRunKMeansSeed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := record(t, mem, []flow{
		{line: 2, time: at(0), proto: "TCP", src: "A", bytes: 0},
		{line: 3, time: at(1), proto: "TCP", src: "A", bytes: 10},
		{line: 4, time: at(2), proto: "TCP", src: "A", bytes: 11},
		{line: 5, time: at(3), proto: "TCP", src: "A", bytes: 21},
	})
	defer rec.Release()
	for _, tc := range []struct {
		seed  *uint64
		cut   float64
		codes []int32
		json  string
	}{
		{nil, 14, []int32{0, 0, 0, 1}, `"k":2,"size":2`},
		{new(uint64(1)), 10.5, []int32{0, 0, 1, 1}, `"k":2,"seed":1,"size":2`},
		{new(uint64(3)), 7, []int32{0, 1, 1, 1}, `"k":2,"seed":3,"size":2`},
	} {
		res, err := Run(context.Background(), Input{Mem: mem, Flows: rec},
			Params{Features: []Feature{{Column: "bytes", Kind: KindKMeans, K: 2, Seed: tc.seed}}, Profile: "A"})
		if err != nil {
			t.Fatal(err)
		}
		fm := res.Mapping.Features[0]
		if got := codesOf(res); !reflect.DeepEqual(got, tc.codes) || !reflect.DeepEqual(fm.Cuts, []float64{tc.cut}) {
			t.Errorf("seed %v: codes %v cuts %v, want %v [%v]", tc.seed, got, fm.Cuts, tc.codes, tc.cut)
		}
		b, _ := json.Marshal(fm)
		if !strings.Contains(string(b), tc.json) {
			t.Errorf("seed %v: mapping %s, want %s", tc.seed, b, tc.json)
		}
		res.Release()
	}
}

// Repeated cuts are bins no value can fall in: the mapping says how many,
// per feature; distinct cuts and category features give no warning.
func TestMappingWarnsRepeatedCuts(t *testing.T) {
	m := Mapping{Features: []FeatureMap{
		{Column: "proto", Kind: "category", Size: 4},
		{Column: "bytes", Kind: "percentile", Cuts: []float64{1066, 1066, 1066, 1066}, Size: 5},
		{Column: "duration", Kind: "cuts", Cuts: []float64{0.5, 1, 2}, Size: 4},
		{Column: "packets", Kind: "percentile", Cuts: []float64{1, 2, 2, 7.5}, Size: 5},
	}}
	got := m.Warnings()
	want := []string{
		"discretize: bytes: 3 of its 4 cuts repeat the one before (1066, 1066, 1066, 1066), so 3 of its 5 bins can hold no flow",
		"discretize: packets: 1 of its 4 cuts repeats the one before (1, 2, 2, 7.5), so 1 of its 5 bins can hold no flow",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Warnings() = %q, want %q", got, want)
	}
}
