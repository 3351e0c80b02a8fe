package discretize

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/stages/load"
)

// pinRecord builds a pseudo-random load.Schema record of n rows that
// exercises what the other tests do not: null and empty categories, null
// src_addr, unlisted hosts, integer categories of both widths (negative
// values included), float64 values (NaN if nan), time ties out of file
// order, and nulls in numeric columns confined to some hosts.
func pinRecord(t testing.TB, mem memory.Allocator, n int, nan bool) arrow.RecordBatch {
	return pinRecordSeed(t, mem, n, nan, 1)
}

func pinRecordSeed(t testing.TB, mem memory.Allocator, n int, nan bool, seed uint64) arrow.RecordBatch {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 2))
	b := array.NewRecordBuilder(mem, load.Schema)
	defer b.Release()
	srcs := []string{"A", "B", "C", "D", "E", ""}
	protos := []string{"TCP", "UDP", "ICMP", "ARP", "IGMP", "", "(null)"}
	ports := []int32{0, 7, 80, 443, 65535, -3, 1 << 20}
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 2))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(r.IntN(60) * 1_000_000))
		switch d := r.Float64() * 100; {
		case nan && r.IntN(10) == 0:
			b.Field(2).(*array.Float64Builder).Append(math.NaN())
		default:
			b.Field(2).(*array.Float64Builder).Append(d)
		}
		// src: mostly runs of the same host, with a null now and then.
		si := r.IntN(len(srcs))
		src := srcs[si]
		if si == len(srcs)-1 {
			b.Field(4).(*array.StringBuilder).AppendNull()
		} else {
			b.Field(4).(*array.StringBuilder).Append(src)
		}
		// proto: host A never sends ARP or IGMP, so other hosts have
		// categories A lacks; null protocols appear.
		pi := r.IntN(len(protos) + 1)
		switch {
		case pi == len(protos):
			b.Field(3).(*array.StringBuilder).AppendNull()
		case src == "A" && (protos[pi] == "ARP" || protos[pi] == "IGMP"):
			b.Field(3).(*array.StringBuilder).Append("TCP")
		default:
			b.Field(3).(*array.StringBuilder).Append(protos[pi])
		}
		b.Field(5).(*array.Int32Builder).Append(int32(r.IntN(65536)))
		// dir: host A only ever "->".
		if dirs := []string{"<-", "<->", "?>", "->"}; src == "A" {
			b.Field(6).(*array.StringBuilder).Append("->")
		} else {
			b.Field(6).(*array.StringBuilder).Append(dirs[r.IntN(len(dirs))])
		}
		b.Field(7).(*array.StringBuilder).Append("147.32.80.9")
		if k := r.IntN(len(ports) + 1); k == len(ports) {
			b.Field(8).(*array.Int32Builder).AppendNull()
		} else {
			b.Field(8).(*array.Int32Builder).Append(ports[k])
		}
		b.Field(9).(*array.StringBuilder).Append("INT")
		// stos: null only for host C.
		if src == "C" && r.IntN(4) == 0 {
			b.Field(10).(*array.Int32Builder).AppendNull()
		} else {
			b.Field(10).(*array.Int32Builder).Append(int32(r.IntN(4)))
		}
		b.Field(11).(*array.Int32Builder).AppendNull()
		b.Field(12).(*array.Int64Builder).Append(int64(r.IntN(12)) - 2)
		b.Field(13).(*array.Int64Builder).Append(int64(r.ExpFloat64() * 5000))
		// src_bytes: null for host E from the middle on.
		if src == "E" && i > n/2 {
			b.Field(14).(*array.Int64Builder).AppendNull()
		} else {
			b.Field(14).(*array.Int64Builder).Append(int64(r.IntN(1000)))
		}
		b.Field(15).(*array.Int32Builder).AppendNull()
		b.Field(16).(*array.StringBuilder).Append("flow=From-Normal")
	}
	return b.NewRecordBatch()
}

type pinCase struct {
	name   string
	p      Params
	nan    bool
	slice  bool // run on rows [7, n-5) of the record
	nFlows int
}

func pinCases() []pinCase {
	cat := func(c string) Feature { return Feature{Column: c, Kind: KindCategory} }
	pct := func(c string, q ...float64) Feature { return Feature{Column: c, Kind: KindPercentile, Percentiles: q} }
	hosts := []string{"B", "A", "C", "Z", "B", "E"}
	var cs []pinCase
	sets := []struct {
		name  string
		feats []Feature
		nan   bool
	}{
		{"proto+bytes", []Feature{cat(load.ColProto), pct(load.ColBytes, 20, 40, 60, 80)}, false},
		{"notebook", NotebookFeatures(), false},
		{"dst_port+duration+proto", []Feature{cat(load.ColDstPort), pct(load.ColDuration, 10, 50, 90), cat(load.ColProto)}, false},
		{"packets+src_port", []Feature{cat(load.ColPackets), pct(load.ColSrcPort, 0, 25, 50, 75, 100)}, false},
		{"duration-nan", []Feature{pct(load.ColDuration, 5, 30, 60, 95), cat(load.ColSTos)}, true},
		{"pct-repeats", []Feature{pct(load.ColBytes, 50, 50, 90), pct(load.ColPackets, 10, 90)}, false},
	}
	for _, s := range sets {
		for _, compat := range []string{"", CompatNotebook, CompatNotebookList} {
			for _, fit := range []string{"", FitAll} {
				if compat != "" && fit != "" {
					continue
				}
				for _, slice := range []bool{false, true} {
					cs = append(cs, pinCase{
						name: fmt.Sprintf("%s/compat=%s/fit=%s/slice=%v", s.name, compat, fit, slice),
						p:    Params{Features: s.feats, Compat: compat, FitOn: fit, Profile: "A", Hosts: hosts},
						nan:  s.nan, slice: slice, nFlows: 400,
					})
				}
			}
		}
	}
	// Errors: nulls in the profile (fit), in a later host, overflow of the
	// notebook codes (category digits beyond |M| times a large radix), and
	// a code space beyond int32.
	for _, compat := range []string{"", CompatNotebook, CompatNotebookList} {
		cs = append(cs,
			pinCase{name: "null-later-host/compat=" + compat, nFlows: 400,
				p: Params{Features: []Feature{cat(load.ColProto), pct(load.ColSTos, 50), pct(load.ColSrcBytes, 50)}, Compat: compat, Profile: "A", Hosts: hosts}},
			pinCase{name: "null-later-host-E/compat=" + compat, nFlows: 400,
				p: Params{Features: []Feature{pct(load.ColSrcBytes, 50), pct(load.ColSTos, 50)}, Compat: compat, Profile: "A", Hosts: []string{"E", "C"}}},
			pinCase{name: "null-profile/compat=" + compat, nFlows: 400,
				p: Params{Features: []Feature{cat(load.ColProto), pct(load.ColSTos, 50)}, Compat: compat, Profile: "C", Hosts: hosts}},
		)
	}
	cs = append(cs, pinCase{name: "null-fit-all", nFlows: 400,
		p: Params{Features: []Feature{pct(load.ColBytes, 50), pct(load.ColSrcBytes, 50), pct(load.ColSTos, 50)}, FitOn: FitAll, Profile: "A", Hosts: hosts}})
	many := make([]float64, 200)
	for i := range many {
		many[i] = float64(i) / 2
	}
	big := []Feature{{Column: load.ColSrcPort, Kind: KindPercentile, Percentiles: many}, {Column: load.ColBytes, Kind: KindPercentile, Percentiles: many},
		{Column: load.ColPackets, Kind: KindPercentile, Percentiles: many}, {Column: load.ColDuration, Kind: KindPercentile, Percentiles: many}}
	for _, compat := range []string{CompatNotebook, CompatNotebookList} {
		cs = append(cs, pinCase{name: "overflow/compat=" + compat, nFlows: 400,
			p: Params{Features: append([]Feature{cat(load.ColDir)}, big...), Compat: compat, Profile: "A", Hosts: []string{"C", "E"}}})
	}
	for _, compat := range []string{"", CompatNotebook} {
		cs = append(cs, pinCase{name: "space/compat=" + compat, nFlows: 400,
			p: Params{Features: append(append([]Feature{}, big...), cat(load.ColSrcPort)), Compat: compat, Profile: "B", Hosts: []string{"A"}}})
	}
	cs = append(cs, pinCase{name: "profile-listed-first", nFlows: 400,
		p: Params{Features: []Feature{cat(load.ColProto), pct(load.ColBytes, 50)}, Profile: "E", Hosts: []string{"E", "D", "", "A"}}})
	return cs
}

// TestPinned pins the output of Run, byte for byte, on pinRecord for many
// parameter sets (testdata/pinned_golden.txt; go test -update rewrites it).
func TestPinned(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	var b strings.Builder
	for _, tc := range pinCases() {
		rec := pinRecord(t, mem, tc.nFlows, tc.nan)
		in := rec
		if tc.slice {
			in = rec.NewSlice(7, int64(tc.nFlows-5))
		}
		fmt.Fprintf(&b, "== %s\n", tc.name)
		res, err := Run(context.Background(), Input{Mem: mem, Flows: in}, tc.p)
		if tc.slice {
			in.Release()
		}
		rec.Release()
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			continue
		}
		fmt.Fprintf(&b, "mapping %+v\nsymbols %d\n", res.Mapping, res.Symbols)
		for _, f := range res.Mapping.Features {
			fmt.Fprintf(&b, "nil: percentiles %v cuts %v categories %v\n", f.Percentiles == nil, f.Cuts == nil, f.Categories == nil)
		}
		if err := res.CheckCodes(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		for c := range res.Codes.NumCols() {
			if n := res.Codes.Column(int(c)).NullN(); n != 0 {
				t.Errorf("%s: column %d has %d nulls", tc.name, c, n)
			}
		}
		if !res.Codes.Schema().Equal(CodesSchema) {
			t.Errorf("%s: schema %v", tc.name, res.Codes.Schema())
		}
		hostCol := res.Codes.Column(0).(*array.String)
		lines := linesOf(res)
		times := res.Codes.Column(2).(*array.Timestamp).TimestampValues()
		for i, h := range res.Hosts {
			fmt.Fprintf(&b, "host %q offset %d flows %d\n", h.Host, h.Offset, h.Flows)
			for k := h.Offset; k < h.Offset+h.Flows; k++ {
				if hostCol.Value(k) != h.Host {
					t.Errorf("%s: row %d: host %q, want %q", tc.name, k, hostCol.Value(k), h.Host)
				}
			}
			b.WriteString(" lines")
			for _, l := range lines[h.Offset : h.Offset+h.Flows] {
				fmt.Fprintf(&b, " %d", l)
			}
			b.WriteString("\n times")
			for _, tm := range times[h.Offset : h.Offset+h.Flows] {
				fmt.Fprintf(&b, " %d", tm/1_000_000)
			}
			b.WriteString("\n codes")
			for _, c := range res.HostCodes(i) {
				fmt.Fprintf(&b, " %d", c)
			}
			b.WriteString("\n")
		}
		if n := int(res.Codes.NumRows()); n != hostCol.Len() || n != len(lines) || n != len(times) {
			t.Errorf("%s: %d rows, columns of %d, %d, %d", tc.name, n, hostCol.Len(), len(lines), len(times))
		}
		res.Release()
	}
	golden := "testdata/pinned_golden.txt"
	if got, want := b.String(), readGolden(t, golden, b.String()); got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("output differs from %s at line %d (go test -update to rewrite):\n got %.300s\nwant %.300s", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("output differs from %s: %d lines, want %d", golden, len(gl), len(wl))
	}
}
