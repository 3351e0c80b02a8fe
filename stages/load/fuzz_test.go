package load

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fuzzLine checks one parser on arbitrary input: it never panics, and a
// line it accepts has the invariants the stages rely on (finite,
// non-negative duration; non-negative counts; ports in range).
func fuzzLine(t *testing.T, p lineParser, line []byte) {
	var r row
	var days dayCache
	p.label(line)
	if err := p.parse(line, &r, allColumns, &days); err != nil {
		return
	}
	if math.IsNaN(r.duration) || math.IsInf(r.duration, 0) || r.duration < 0 {
		t.Fatalf("accepted duration %v in %q", r.duration, line)
	}
	if r.packets < 0 || r.bytes < 0 || (r.hasSrcBytes && r.srcBytes < 0) {
		t.Fatalf("accepted negative count in %q: %+v", line, r)
	}
	if (r.hasSrcPort && (r.srcPort < 0 || r.srcPort > 65535)) || (r.hasDstPort && (r.dstPort < 0 || r.dstPort > 65535)) {
		t.Fatalf("accepted port out of range in %q: %+v", line, r)
	}
}

// Seeds: testdata/fuzz/FuzzNetflowLine and the lines below.
func FuzzNetflowLine(f *testing.F) {
	for _, s := range []string{
		"2011-08-18 10:19:13.328     0.002 TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Botnet",
		"2011-08-18 10:19:13.328     1e3 ICMP  147.32.86.166 -> 212.24.150.110 ECO 0 1 60 1 Background",
		"2011-08-18 10:19:13.328     nan UDP  147.32.86.166:1 -> 212.24.150.110:99999 INT 0 4 -1 1 x",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { fuzzLine(t, netflowParser{}, line) })
}

func FuzzBinetflowLine(f *testing.F) {
	for _, s := range []string{
		"2011/08/18 15:39:35.1,0.002,tcp,147.32.84.165,1025,->,212.24.150.110,80,S_RA,0,0,2,120,60,flow=From-Botnet-V43-TCP",
		"2011/08/18 15:39:35.1,-5,icmp,a,0x0008,<->,b,0x0000,ECO,,,1,60,60,flow=Background",
		"2011/08/18 15:39:35.1,inf,udp,a,1,->,b,2,INT,0,0,1,2,3",
		",,,,,,,,,,,,,,",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { fuzzLine(t, binetflowParser{}, line) })
}

// FuzzLoadFile runs the whole loader (header detection, chunking, both
// bad-line policies) on an arbitrary file: an error or a result, never a
// panic, and under skip every line is kept, filtered or counted bad.
func FuzzLoadFile(f *testing.F) {
	f.Add([]byte(netflowHeaderLine + "\n2011-08-18 10:19:13.328     0.002 TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Botnet\n"))
	f.Add([]byte(binetflowHeaderLine + "\n2011/08/18 15:39:35.1,0.002,tcp,a,1,->,b,80,S_RA,0,0,2,120,60,flow=x\n\n"))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, policy := range []string{"fail", "skip"} {
			res, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: path}, Params{OnBadLine: policy})
			if err != nil {
				continue
			}
			st := res.Stats
			if policy == "skip" && st.Kept+st.Filtered+st.Bad+st.Skipped != st.Lines {
				t.Fatalf("stats do not add up: %+v", st)
			}
			if int64(res.Flows.NumRows()) != int64(st.Kept) {
				t.Fatalf("%d rows, %d kept", res.Flows.NumRows(), st.Kept)
			}
			res.Flows.Release()
		}
	})
}
