package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// The embedded CTU-13 extracts (data/ctu13/README.md).
const (
	s10Path = "../../data/ctu13/s10/capture20110818.16hosts.reconstructed.netflow.labeled.zst"
	s11Path = "../../data/ctu13/s11/capture20110818-2.binetflow.zst"

	netflowHeaderLine   = "Date flow start          Durat Prot    Src IP Addr:Port          Dst IP Addr:Port   Flags   Tos  Packets    Bytes  Flows  Label"
	binetflowHeaderLine = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label"
)

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rowStrings renders every row as its column values joined by "|".
func rowStrings(rec arrow.RecordBatch) []string {
	out := make([]string, rec.NumRows())
	for i := range out {
		vals := make([]string, rec.NumCols())
		for c := range vals {
			vals[c] = rec.Column(c).ValueStr(i)
		}
		out[i] = strings.Join(vals, "|")
	}
	return out
}

func mustRun(t *testing.T, in Input, p Params) *Result {
	t.Helper()
	res, err := Run(context.Background(), in, p)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Real lines of the scenario-10 NetFlow file, plus real scenario-11 flows
// written in the NetFlow layout (IPv6, ARP, IGMP) and padding variants.
func TestNetflowLines(t *testing.T) {
	cases := []struct{ name, line, want string }{
		{"tcp",
			"2011-08-18 10:19:13.328     0.002 TCP          147.32.86.166:33426 ->       212.24.150.110:25443 FRPA_     0        4      321      1   Background",
			"2|2011-08-18T10:19:13.328Z|0.002|tcp|147.32.86.166|33426|->|212.24.150.110|25443|FRPA_|0|(null)|4|321|(null)|1|Background"},
		{"icmp without ports",
			"2011-08-18 11:41:27.645     0.000 ICMP               147.32.84.164 ->             109.237.233.97 URP       0        1      135      1   LEGITIMATE",
			"2|2011-08-18T11:41:27.645Z|0|icmp|147.32.84.164|(null)|->|109.237.233.97|(null)|URP|0|(null)|1|135|(null)|1|LEGITIMATE"},
		{"tabs and trailing blanks",
			"2011-08-18\t10:19:15.693\t2.500\tTCP\t147.32.84.164:54784\t->\t74.125.232.215:443\tPA_\t0\t5\t2675\t1\tLEGITIMATE \t\r",
			"2|2011-08-18T10:19:15.693Z|2.5|tcp|147.32.84.164|54784|->|74.125.232.215|443|PA_|0|(null)|5|2675|(null)|1|LEGITIMATE"},
		{"ipv6 udp: port after the last colon",
			"2011-08-18 10:20:19.139     0.101 UDP  fe80::f180:4f5c:7d4a:bbd7:49204 ->             ff02::1:3:5355 INT       0        2      168      1   Background",
			"2|2011-08-18T10:20:19.139Z|0.101|udp|fe80::f180:4f5c:7d4a:bbd7|49204|->|ff02::1:3|5355|INT|0|(null)|2|168|(null)|1|Background"},
		{"ipv6-icmp: no port",
			"2011-08-18 10:20:21.390     0.000 IPV6-ICMP  fe80::21d:7eff:fe9b:a8f6 ->          ff02::1:ffb6:80a0 NNS       0        1       78      1   Background",
			"2|2011-08-18T10:20:21.39Z|0|ipv6-icmp|fe80::21d:7eff:fe9b:a8f6|(null)|->|ff02::1:ffb6:80a0|(null)|NNS|0|(null)|1|78|(null)|1|Background"},
		{"bracketed ipv6",
			"2011-08-18 10:20:21.390 0.5 TCP [2001:db8::1]:443 -> [2001:db8::2]:0x0050 A_ 0 1 78 1 Background",
			"2|2011-08-18T10:20:21.39Z|0.5|tcp|2001:db8::1|443|->|2001:db8::2|80|A_|0|(null)|1|78|(null)|1|Background"},
		{"arp who",
			"2011-08-18 10:19:13.409   899.912 ARP                 147.32.87.13 who                147.32.87.1 CON       0        6      360      1   Background",
			"2|2011-08-18T10:19:13.409Z|899.912|arp|147.32.87.13|(null)|who|147.32.87.1|(null)|CON|0|(null)|6|360|(null)|1|Background"},
		{"mac addresses",
			"2011-08-18 10:19:13.409   965.590 IPX/SPX   00:15:17:2c:e5:2d ->  ff:ff:ff:ff:ff:ff INT       0      154    14286      1   Background",
			"2|2011-08-18T10:19:13.409Z|965.59|ipx/spx|00:15:17:2c:e5:2d|(null)|->|ff:ff:ff:ff:ff:ff|(null)|INT|0|(null)|154|14286|(null)|1|Background"},
		{"igmp, <?> and hex icmp port",
			"2011-08-18 10:19:40.875     0.000 IGMP   147.32.84.59:0x0303 <?>   224.0.0.1 INT     192        1       60      1   Background",
			"2|2011-08-18T10:19:40.875Z|0|igmp|147.32.84.59|771|<?>|224.0.0.1|(null)|INT|192|(null)|1|60|(null)|1|Background"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			res := mustRun(t, Input{Mem: mem, Path: writeTemp(t, "f.netflow.labeled", netflowHeaderLine+"\n"+c.line+"\n")}, Params{})
			defer res.Flows.Release()
			if got := rowStrings(res.Flows); len(got) != 1 || got[0] != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// Real lines of the scenario-11 binetflow file.
func TestBinetflowLines(t *testing.T) {
	cases := []struct{ name, line, want string }{
		{"tcp",
			"2011/08/18 15:40:53.826372,2.983247,tcp,76.76.172.248,63577,   ->,147.32.84.229,13363,SR_SA,0,0,3,184,122,flow=Background-TCP-Established",
			"2|2011-08-18T15:40:53.826372Z|2.983247|tcp|76.76.172.248|63577|->|147.32.84.229|13363|SR_SA|0|0|3|184|122|(null)|flow=Background-TCP-Established"},
		{"hex ports, empty dTos",
			"2011/08/18 15:39:35.197789,0.000000,icmp,147.32.84.59,0x0303,   ->,210.49.64.185,0x4fa8,URP,0,,1,173,173,flow=Background-Attempt-cmpgw-CVUT",
			"2|2011-08-18T15:39:35.197789Z|0|icmp|147.32.84.59|771|->|210.49.64.185|20392|URP|0|(null)|1|173|173|(null)|flow=Background-Attempt-cmpgw-CVUT"},
		{"empty sport and sTos, <-",
			"2011/08/18 15:39:35.316904,0.001798,icmp,147.32.87.249,,  <-,147.32.87.13,0x0002,RED,,0,2,148,0,flow=Background",
			"2|2011-08-18T15:39:35.316904Z|0.001798|icmp|147.32.87.249|(null)|<-|147.32.87.13|2|RED|(null)|0|2|148|0|(null)|flow=Background"},
		{"arp who",
			"2011/08/18 15:39:35.316152,899.911987,arp,147.32.87.13,,  who,147.32.87.1,,CON,,,6,360,180,flow=Background",
			"2|2011-08-18T15:39:35.316152Z|899.911987|arp|147.32.87.13|(null)|who|147.32.87.1|(null)|CON|(null)|(null)|6|360|180|(null)|flow=Background"},
		{"igmp",
			"2011/08/18 15:39:40.875195,0.000000,igmp,147.32.87.1,,   ->,224.0.0.1,,INT,192,,1,60,60,flow=Background",
			"2|2011-08-18T15:39:40.875195Z|0|igmp|147.32.87.1|(null)|->|224.0.0.1|(null)|INT|192|(null)|1|60|60|(null)|flow=Background"},
		{"ipv6 udp",
			"2011/08/18 15:42:41.482466,0.100622,udp,fe80::f180:4f5c:7d4a:bbd7,49204,   ->,ff02::1:3,5355,INT,0,,2,168,168,flow=Background-UDP-Attempt",
			"2|2011-08-18T15:42:41.482466Z|0.100622|udp|fe80::f180:4f5c:7d4a:bbd7|49204|->|ff02::1:3|5355|INT|0|(null)|2|168|168|(null)|flow=Background-UDP-Attempt"},
		{"ipx/spx mac addresses",
			"2011/08/18 15:39:35.891783,965.590210,ipx/spx,00:15:17:2c:e5:2d,,   ->,ff:ff:ff:ff:ff:ff,,INT,,,154,14286,14286,flow=Background",
			"2|2011-08-18T15:39:35.891783Z|965.59021|ipx/spx|00:15:17:2c:e5:2d|(null)|->|ff:ff:ff:ff:ff:ff|(null)|INT|(null)|(null)|154|14286|14286|(null)|flow=Background"},
		{"<?> and empty state",
			"2011/08/18 15:39:35.093493,38.753445,tcp,147.32.86.116,19083,  <?>,151.82.9.107,2185,,0,,7,456,456,flow=Background",
			"2|2011-08-18T15:39:35.093493Z|38.753445|tcp|147.32.86.116|19083|<?>|151.82.9.107|2185||0|(null)|7|456|456|(null)|flow=Background"},
		{"botnet label, crlf",
			"2011/08/18 15:40:11.012339,0.000000,icmp,147.32.84.165,0x0008,   ->,147.32.96.69,0x2c1b,ECO,0,,1,1066,1066,flow=From-Botnet-V51-1-ICMP\r",
			"2|2011-08-18T15:40:11.012339Z|0|icmp|147.32.84.165|8|->|147.32.96.69|11291|ECO|0|(null)|1|1066|1066|(null)|flow=From-Botnet-V51-1-ICMP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			res := mustRun(t, Input{Mem: mem, Path: writeTemp(t, "f.binetflow", binetflowHeaderLine+"\n"+c.line+"\n")}, Params{})
			defer res.Flows.Release()
			if got := rowStrings(res.Flows); len(got) != 1 || got[0] != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{netflowHeaderLine + "\n", FormatNetflow},
		{"Date\tflow start Durat Prot Src IP Addr:Port Dst IP Addr:Port Flags Tos Packets Bytes Flows Label\r\n", FormatNetflow},
		{binetflowHeaderLine + "\n", FormatBinetflow},
		{"\xef\xbb\xbf" + netflowHeaderLine + "\r\n", FormatNetflow}, // a UTF-8 byte-order mark
		{"\xef\xbb\xbf" + binetflowHeaderLine + "\n", FormatBinetflow},
		{"\xef\xbb" + binetflowHeaderLine + "\n", ""},
		{"StartTime,Dur,Proto\n", ""},
		{"a,b,c", ""},
	} {
		got, err := Detect([]byte(c.header))
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("Detect(%q) = %q, %v; want %q", c.header, got, err, c.want)
		}
	}
}

// The golden counts are those of data/ctu13/README.md.
func TestGoldenS10(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	notBackground := func(l []byte) bool { return string(l) != "Background" }
	res := mustRun(t, Input{Mem: mem, Path: s10Path, Keep: notBackground}, Params{})
	defer res.Flows.Release()
	st := res.Stats
	if st.Format != FormatNetflow || st.Lines != 258701 || st.Kept != 258700 || st.Filtered != 1 || st.Bad != 0 || st.Bytes != 37153463 {
		t.Fatalf("stats %+v", st)
	}
	labels := countLabels(res.Flows, func(l string) string { return l })
	if labels["Botnet"] != 218928 || labels["LEGITIMATE"] != 39772 || len(labels) != 2 {
		t.Errorf("labels %v", labels)
	}
	// Line numbers point into the decompressed text, across chunks.
	text := decompressedLines(t, s10Path)
	line := res.Flows.Column(0).(*array.Int64)
	src := res.Flows.Column(4).(*array.String)
	for _, i := range []int{0, 1, 30000, 123456, 258699} {
		l := text[line.Value(i)-1]
		if !strings.Contains(l, " "+src.Value(i)) {
			t.Errorf("row %d: line %d is %q, want source %s", i, line.Value(i), l, src.Value(i))
		}
	}

	skip := mustRun(t, Input{Mem: mem, Path: s10Path, Keep: notBackground}, Params{SkipFirstDataLine: true})
	defer skip.Flows.Release()
	if st := skip.Stats; st.Skipped != 1 || st.Filtered != 0 || st.Kept != 258700 || !array.RecordEqual(skip.Flows, res.Flows) {
		t.Errorf("SkipFirstDataLine: stats %+v", st)
	}
}

func TestGoldenS11(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	res := mustRun(t, Input{Mem: mem, Path: s11Path}, Params{Format: FormatBinetflow})
	defer res.Flows.Release()
	if st := res.Stats; st.Format != FormatBinetflow || st.Lines != 107251 || st.Kept != 107251 || st.Bad != 0 {
		t.Fatalf("stats %+v", st)
	}
	// The README counts labels by the class word they contain, Background
	// first ("flow=To-Background-CVUT-Proxy" is Background).
	labels := countLabels(res.Flows, func(l string) string {
		for _, k := range []string{"Background", "Botnet", "Normal"} {
			if strings.Contains(l, k) {
				return k
			}
		}
		return l
	})
	if labels["Background"] != 96369 || labels["Botnet"] != 8164 || labels["Normal"] != 2718 || len(labels) != 3 {
		t.Errorf("labels %v", labels)
	}
}

func countLabels(rec arrow.RecordBatch, class func(string) string) map[string]int {
	out := map[string]int{}
	col := rec.Column(rec.Schema().FieldIndices(ColLabel)[0]).(*array.String)
	for i := range col.Len() {
		out[class(col.Value(i))]++
	}
	return out
}

func decompressedText(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// plainAndGzip writes text to a plain file and a gzip file in a temporary
// folder and returns their paths.
func plainAndGzip(t *testing.T, text []byte) (plainPath, gzPath string) {
	t.Helper()
	dir := t.TempDir()
	plainPath, gzPath = filepath.Join(dir, "plain"), filepath.Join(dir, "gz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(text)
	zw.Close()
	if err := os.WriteFile(plainPath, text, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return plainPath, gzPath
}

func decompressedLines(t *testing.T, path string) []string {
	return strings.Split(string(decompressedText(t, path)), "\n")
}

// Records do not depend on the worker count or on the compression.
func TestDeterministic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	text := decompressedText(t, s11Path)
	dir := t.TempDir()
	plainPath := filepath.Join(dir, "s11.binetflow")
	if err := os.WriteFile(plainPath, text, 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(text)
	zw.Close()
	gzPath := filepath.Join(dir, "s11.binetflow.data") // no telling extension: magic bytes decide
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	keep := func(l []byte) bool { return !bytes.Contains(l, []byte("Background")) }
	ref := mustRun(t, Input{Mem: mem, Path: s11Path, Workers: 1, Keep: keep}, Params{})
	defer ref.Flows.Release()
	if ref.Stats.Kept != 8164+2718 {
		t.Fatalf("kept %d", ref.Stats.Kept)
	}
	for _, c := range []struct {
		name    string
		path    string
		workers int
	}{{"zst/4", s11Path, 4}, {"plain/1", plainPath, 1}, {"plain/4", plainPath, 4}, {"gz/3", gzPath, 3}} {
		res := mustRun(t, Input{Mem: mem, Path: c.path, Workers: c.workers, Keep: keep}, Params{})
		if !array.RecordEqual(res.Flows, ref.Flows) {
			t.Errorf("%s: record differs from zst/1", c.name)
		}
		if res.Stats.Bytes != ref.Stats.Bytes || res.Stats.Filtered != ref.Stats.Filtered {
			t.Errorf("%s: stats %+v, want %+v", c.name, res.Stats, ref.Stats)
		}
		res.Flows.Release()
	}
}

func TestBadLines(t *testing.T) {
	text := netflowHeaderLine + "\n" +
		"2011-08-18 10:19:13.328     0.002 TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Botnet\n" +
		"\n" + // blank lines are not bad
		"  \t\n" +
		"2011-08-18 10:19:13.400     zero TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Botnet\n" +
		"2011-08-18 10:19:13.500     0.002 TCP  147.32.86.166:33426 -> 212.24.150.110:99999 FRPA_ 0 4 321 1 Botnet\n" +
		"2011-08-18 10:19:13.600     0.002 TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Background\n" +
		"2011-08-18 10:19 0.002 TCP Botnet\n" +
		"2011-08-18 10:19:13.700     0.002 TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Botnet"
	path := writeTemp(t, "bad.netflow.labeled", text)
	keep := func(l []byte) bool { return string(l) != "Background" }

	_, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: path, Keep: keep}, Params{OnBadLine: "fail"})
	if want := path + `:5: field 3 (Durat) "zero": not a number`; err == nil || err.Error() != want {
		t.Errorf("fail: got %v, want %s", err, want)
	}

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	res := mustRun(t, Input{Mem: mem, Path: path, Keep: keep}, Params{OnBadLine: "skip"})
	defer res.Flows.Release()
	st := res.Stats
	if st.Lines != 6 || st.Kept != 2 || st.Filtered != 1 || st.Bad != 3 || len(st.BadLines) != 3 {
		t.Fatalf("stats %+v", st)
	}
	for i, want := range []BadLine{
		{5, `field 3 (Durat) "zero": not a number`, "2011-08-18 10:19:13.400"},
		{6, `field 7 (Dst IP Addr:Port) "212.24.150.110:99999": port "99999": out of range`, "2011-08-18 10:19:13.500"},
		{8, "5 fields, want 13", "2011-08-18 10:19 0.002"},
	} {
		got := st.BadLines[i]
		if got.Line != want.Line || got.Reason != want.Reason || !strings.HasPrefix(got.Text, want.Text) {
			t.Errorf("bad line %d: got %+v, want %+v", i, got, want)
		}
	}
	if got := res.Flows.Column(0).(*array.Int64).Int64Values(); len(got) != 2 || got[0] != 2 || got[1] != 9 {
		t.Errorf("line numbers %v, want [2 9]", got)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		p    Params
		text string
		want string
	}{
		{"missing file", Params{}, "", "no such file"},
		{"empty file", Params{}, "", "empty file"},
		{"unknown header", Params{}, "a b c\n", ":1: unknown header"},
		{"wrong format", Params{Format: FormatBinetflow}, netflowHeaderLine + "\n", ":1: format binetflow requested"},
		{"bad format param", Params{Format: "csv"}, netflowHeaderLine + "\n", `format "csv"`},
		{"bad on_bad_line", Params{OnBadLine: "ignore"}, netflowHeaderLine + "\n", `on_bad_line "ignore"`},
		{"bad binetflow line", Params{}, binetflowHeaderLine + "\n1,2,3\n", ":2: 3 fields, want 15"},
		{"bad time", Params{}, binetflowHeaderLine + "\n2011/08/18 15:39:35.1x,0,tcp,a,1,->,b,2,S,0,0,1,2,3,flow=x\n", `:2: field 1 (StartTime) "2011/08/18 15:39:35.1x": not a time`},
		// Proto and the addresses are never null: an empty one is not a
		// flow of protocol "" or of host "".
		{"empty proto", Params{}, binetflowHeaderLine + "\n2011/08/18 15:39:35.1,0,,a,1,->,b,2,S,0,0,1,2,3,flow=x\n", `:2: field 3 (Proto) "": empty`},
		{"empty src", Params{}, binetflowHeaderLine + "\n2011/08/18 15:39:35.1,0,tcp,,1,->,b,2,S,0,0,1,2,3,flow=x\n", `:2: field 4 (SrcAddr) "": empty`},
		// No arrow, one token too many: 13 fields, all shifted.
		{"netflow no direction", Params{}, netflowHeaderLine + "\n2011-08-18 10:19:13.400 0.002 TCP 147.32.86.166:33426 212.24.150.110:25443 FRPA_ 0 4 321 9 1 Botnet\n",
			`:2: field 6 (direction) "212.24.150.110:25443": not a flow direction`},
		{"empty dst", Params{}, binetflowHeaderLine + "\n2011/08/18 15:39:35.1,0,tcp,a,1,->,,2,S,0,0,1,2,3,flow=x\n", `:2: field 7 (DstAddr) "": empty`},
	}
	for i, c := range cases {
		path := filepath.Join(dir, "none")
		if i > 0 {
			path = filepath.Join(dir, string(rune('a'+i)))
			if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Run(context.Background(), Input{Path: path}, c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestHeaderOnly(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	res := mustRun(t, Input{Mem: mem, Path: writeTemp(t, "h", binetflowHeaderLine)}, Params{})
	defer res.Flows.Release()
	if res.Flows.NumRows() != 0 || res.Flows.NumCols() != 17 || !res.Flows.Schema().Equal(Schema) {
		t.Errorf("got %v", res.Flows)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Input{Mem: memory.DefaultAllocator, Path: s11Path}, Params{}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestProgress(t *testing.T) {
	var last int64
	res := mustRun(t, Input{Mem: memory.DefaultAllocator, Path: s11Path, Progress: func(n int64) {
		if n < last {
			t.Errorf("progress went back from %d to %d", last, n)
		}
		last = n
	}}, Params{})
	defer res.Flows.Release()
	if last != res.Stats.Bytes {
		t.Errorf("last progress %d, want %d", last, res.Stats.Bytes)
	}
}

// The sha256 values are those of data/ctu13/README.md.
func TestSHA256File(t *testing.T) {
	for path, want := range map[string]string{
		s10Path: "dc9e9194d6fcac69475e2a78203b31627eb171673bc08375b36cb48b12b2666b",
		s11Path: "d761b4513ee42be57193fe8f442e9234e73ac81f4fbd01248e37c23ca8ec1cf2",
	} {
		got, err := SHA256File(context.Background(), path)
		if err != nil || got != want {
			t.Errorf("SHA256File(%s) = %s, %v; want %s", path, got, err, want)
		}
	}
}

// Tiny chunks put chunk and block boundaries inside lines and make lines
// longer than a stream block; the records must not change.
func TestSmallChunks(t *testing.T) {
	text := decompressedText(t, s11Path)
	text = text[:bytes.IndexByte(text[200000:], '\n')+200001]
	plainPath, gzPath := plainAndGzip(t, text)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ref := mustRun(t, Input{Mem: mem, Path: plainPath, Workers: 1}, Params{})
	defer ref.Flows.Release()
	defer func(n int) { chunkSize = n }(chunkSize)
	for _, size := range []int{1, 100, 4096} {
		chunkSize = size
		for _, path := range []string{plainPath, gzPath} {
			res := mustRun(t, Input{Mem: mem, Path: path, Workers: 3}, Params{})
			if !array.RecordEqual(res.Flows, ref.Flows) || res.Stats.Lines != ref.Stats.Lines || res.Stats.Bytes != ref.Stats.Bytes {
				t.Errorf("chunk size %d, %s: records differ; stats %+v, want %+v", size, filepath.Base(path), res.Stats, ref.Stats)
			}
			res.Flows.Release()
		}
	}
}

// With OnBadLine "fail", the error names the first bad line of the file
// whatever chunk a worker happens to finish first.
func TestFirstBadLineAcrossChunks(t *testing.T) {
	good := "2011/08/18 15:40:53.826372,2.983247,tcp,76.76.172.248,63577,   ->,147.32.84.229,13363,SR_SA,0,0,3,184,122,flow=Background-TCP-Established\n"
	var text strings.Builder
	text.WriteString(binetflowHeaderLine + "\n")
	for i := 2; i <= 400; i++ {
		switch i {
		case 120, 310:
			text.WriteString("2011/08/18 15:40:53.826372,2.983247,tcp\n")
		default:
			text.WriteString(good)
		}
	}
	path := writeTemp(t, "f.binetflow", text.String())
	defer func(n int) { chunkSize = n }(chunkSize)
	chunkSize = 1000
	for _, workers := range []int{1, 2, 4} {
		_, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: path, Workers: workers}, Params{})
		if want := path + ":120: 3 fields, want 15"; err == nil || err.Error() != want {
			t.Errorf("workers %d: got %v, want %s", workers, err, want)
		}
	}
	res := mustRun(t, Input{Mem: memory.DefaultAllocator, Path: path, Workers: 4}, Params{OnBadLine: "skip"})
	defer res.Flows.Release()
	if st := res.Stats; st.Bad != 2 || st.BadLines[0].Line != 120 || st.BadLines[1].Line != 310 || st.Kept != 397 {
		t.Errorf("skip: stats %+v", st)
	}
}

// KeepFor receives the format read from the header, and its filter is the
// one applied.
func TestKeepFor(t *testing.T) {
	for path, want := range map[string]string{s10Path: FormatNetflow, s11Path: FormatBinetflow} {
		var got string
		res := mustRun(t, Input{Mem: memory.DefaultAllocator, Path: path, KeepFor: func(format string) func([]byte) bool {
			got = format
			return notBackground
		}}, Params{Columns: []string{ColLabel}})
		if got != want {
			t.Errorf("%s: KeepFor(%q), want %q", path, got, want)
		}
		labels := countLabels(res.Flows, func(l string) string { return l })
		res.Flows.Release()
		for l := range labels {
			if strings.Contains(l, "Background") {
				t.Errorf("%s: label %q kept", path, l)
			}
		}
		if res.Stats.Filtered == 0 {
			t.Errorf("%s: nothing filtered", path)
		}
	}
}

// A projection returns exactly the asked columns of the full load, for both
// formats, and checks only their values.
func TestColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		path, format string
		cols         []string
	}{
		{s10Path, FormatNetflow, []string{ColSrcAddr, ColBytes, ColProto, ColStartTime}},
		{s10Path, FormatNetflow, []string{ColDstPort, ColLabel, ColSTos, ColFlows}},
		{s11Path, FormatBinetflow, []string{ColSrcAddr, ColBytes, ColProto, ColStartTime}},
		{s11Path, FormatBinetflow, []string{ColDuration, ColSrcBytes, ColDTos, ColDir, ColState, ColPackets, ColSrcPort, ColDstAddr}},
	} {
		full := mustRun(t, Input{Mem: mem, Path: tc.path}, Params{})
		part := mustRun(t, Input{Mem: mem, Path: tc.path}, Params{Columns: tc.cols})
		want, err := ProjectedSchema(tc.cols)
		if err != nil {
			t.Fatal(err)
		}
		if !part.Flows.Schema().Equal(want) || int(part.Flows.NumCols()) != len(tc.cols)+1 {
			t.Errorf("%s %v: schema %v, want %v", tc.format, tc.cols, part.Flows.Schema(), want)
		}
		if part.Stats.Kept != full.Stats.Kept || part.Flows.NumRows() != full.Flows.NumRows() {
			t.Errorf("%s %v: %d rows, want %d", tc.format, tc.cols, part.Flows.NumRows(), full.Flows.NumRows())
		}
		for i, f := range part.Flows.Schema().Fields() {
			if !array.Equal(part.Flows.Column(i), full.Flows.Column(full.Flows.Schema().FieldIndices(f.Name)[0])) {
				t.Errorf("%s %v: column %s differs from the full load's", tc.format, tc.cols, f.Name)
			}
		}
		full.Flows.Release()
		part.Flows.Release()
	}

	// A bad duration is an error only when duration is asked for.
	text := netflowHeaderLine + "\n" +
		"2011-08-18 10:19:13.400     zero TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Botnet\n" +
		"2011-08-18 10:19 0.002 TCP Botnet\n"
	path := writeTemp(t, "bad.netflow.labeled", text)
	res := mustRun(t, Input{Mem: mem, Path: path}, Params{OnBadLine: "skip", Columns: []string{ColSrcAddr, ColBytes}})
	if st := res.Stats; st.Kept != 1 || st.Bad != 1 || st.BadLines[0].Reason != "5 fields, want 13" {
		t.Errorf("projected bad lines: %+v", st)
	}
	res.Flows.Release()
	res = mustRun(t, Input{Mem: mem, Path: path}, Params{OnBadLine: "skip", Columns: []string{ColDuration}})
	if st := res.Stats; st.Kept != 0 || st.Bad != 2 {
		t.Errorf("bad lines with duration: %+v", st)
	}
	res.Flows.Release()

	_, err := Run(context.Background(), Input{Mem: mem, Path: path}, Params{Columns: []string{"bytez"}})
	if err == nil || !strings.Contains(err.Error(), `column "bytez": no such column (want one of line, start_time,`) {
		t.Errorf("unknown column: %v", err)
	}
}

// Input.SHA256 hashes the blocks the parsers read: the same digest as
// SHA256File for zstd, gzip and plain (memory-mapped) input, with chunks
// that cut lines, and no digest when a bad line stops the read early.
func TestLoadSHA256(t *testing.T) {
	plainPath, gzPath := plainAndGzip(t, decompressedText(t, s11Path))
	const s11SHA = "d761b4513ee42be57193fe8f442e9234e73ac81f4fbd01248e37c23ca8ec1cf2"
	defer func(n int) { chunkSize = n }(chunkSize)
	for _, size := range []int{4 << 20, 4096} {
		chunkSize = size
		for path, want := range map[string]string{
			s10Path: "dc9e9194d6fcac69475e2a78203b31627eb171673bc08375b36cb48b12b2666b",
			s11Path: s11SHA, plainPath: s11SHA, gzPath: s11SHA,
		} {
			res := mustRun(t, Input{Mem: memory.DefaultAllocator, Path: path, SHA256: true, Keep: notBackground}, Params{Columns: []string{ColBytes}})
			res.Flows.Release()
			if res.SHA256 != want {
				t.Errorf("chunks of %d: %s: sha256 %q, want %s", size, path, res.SHA256, want)
			}
		}
	}

	// fail mode stops at a bad line: no digest, whatever the error.
	chunkSize = 64
	bad := netflowHeaderLine + "\n" + strings.Repeat("2011-08-18 10:19 0.002 TCP Botnet\n", 100)
	if _, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: writeTemp(t, "bad.netflow", bad), SHA256: true}, Params{}); err == nil {
		t.Error("bad lines loaded")
	}
	res := mustRun(t, Input{Mem: memory.DefaultAllocator, Path: writeTemp(t, "bad.netflow", bad), SHA256: true}, Params{OnBadLine: "skip"})
	res.Flows.Release()
	if sum := sha256.Sum256([]byte(bad)); res.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("skip mode: sha256 %q", res.SHA256)
	}
}

// TestEmbeddedDataWindow: the embedded files are compressed with a 1 MiB
// window (zstd -19 --zstd=wlog=20, see data/ctu13/README.md), so a stream
// decoder keeps 1 MiB of history, not level 19's default 8 MiB.
func TestEmbeddedDataWindow(t *testing.T) {
	for _, path := range []string{s10Path, s11Path} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var h zstd.Header
		if err := h.Decode(b); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.SingleSegment || h.WindowSize > 1<<20 {
			t.Errorf("%s: window %d bytes (single segment %v), want at most 1 MiB", path, h.WindowSize, h.SingleSegment)
		}
	}
}

// Durations get the checks bytes and packets get: finite and non-negative,
// with file:line: field N (Name) errors, in both formats (they were
// accepted as NaN, -5 and +Inf).
func TestBadDurations(t *testing.T) {
	for _, tc := range []struct{ dur, want string }{
		{"nan", "not a finite number"}, {"NaN", "not a finite number"}, {"inf", "not a finite number"},
		{"+Inf", "not a finite number"}, {"-5", "negative"}, {"-0.001", "negative"}, {"1e999", "not a finite number"},
	} {
		nf := writeTemp(t, "d.netflow.labeled", netflowHeaderLine+"\n"+
			"2011-08-18 10:19:13.328     "+tc.dur+" TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Botnet\n")
		_, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: nf}, Params{OnBadLine: "fail"})
		if want := nf + `:2: field 3 (Durat) "` + tc.dur + `": ` + tc.want; err == nil || err.Error() != want {
			t.Errorf("netflow %s: got %v, want %s", tc.dur, err, want)
		}
		bf := writeTemp(t, "d.binetflow", binetflowHeaderLine+"\n2011/08/18 15:39:35.1,"+tc.dur+",tcp,a,1,->,b,2,S,0,0,1,2,3,flow=x\n")
		_, err = Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: bf}, Params{OnBadLine: "fail"})
		if want := bf + `:2: field 2 (Dur) "` + tc.dur + `": ` + tc.want; err == nil || err.Error() != want {
			t.Errorf("binetflow %s: got %v, want %s", tc.dur, err, want)
		}
		res, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: bf}, Params{OnBadLine: "skip"})
		if err != nil || res.Stats.Bad != 1 || res.Flows.NumRows() != 0 {
			t.Errorf("binetflow %s, skip: %v %+v", tc.dur, err, res)
		}
		if res != nil {
			res.Flows.Release()
		}
	}
}

// /dev/zero (or any device or pipe) is refused instead of read forever, and
// damaged compressed files say so, where, and how to check them.
func TestNonRegularAndCorruptInput(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: "/dev/zero"}, Params{})
		if err == nil || !strings.Contains(err.Error(), "/dev/zero is not a regular file") {
			t.Errorf("/dev/zero: %v", err)
		}
		if _, err := SHA256File(context.Background(), "/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("SHA256File(/dev/zero): %v", err)
		}
	}
	good, err := os.ReadFile(s11Path)
	if err != nil {
		t.Fatal(err)
	}
	flip := append([]byte(nil), good...)
	for i := 1000; i < 1100; i++ {
		flip[i] ^= 0x5a
	}
	for name, data := range map[string][]byte{"flipped.zst": flip, "short.zst": good[:len(good)/2]} {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, data, 0o644)
		_, err := Run(context.Background(), Input{Mem: memory.DefaultAllocator, Path: p}, Params{})
		if err == nil || !strings.Contains(err.Error(), "corrupt zstd data") || !strings.Contains(err.Error(), "zstd -t "+p) {
			t.Errorf("%s: load error %v", name, err)
		}
		if _, err := SHA256File(context.Background(), p); err == nil || !strings.Contains(err.Error(), "corrupt zstd data") {
			t.Errorf("%s: SHA256File error %v", name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SHA256File(ctx, s11Path); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled SHA256File: %v", err)
	}
}
