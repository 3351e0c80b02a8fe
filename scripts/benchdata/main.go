package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/zstd"

	"botprof/stages/load"
)

const (
	s10File = "s10/capture20110818.16hosts.reconstructed.netflow.labeled.zst"
	s11File = "s11/capture20110818-2.binetflow.zst"

	// realRows is the number of data rows of the real scenario-10 file.
	realRows = 3_495_425
	// realBytes is the size of the real scenario-10 file.
	realBytes = 512_952_178

	netflowName   = "capture20110818.bench.netflow.labeled"
	binetflowName = "capture20110818-2.bench.binetflow"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchdata:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchdata", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "bench/data", "output directory")
	data := fs.String("data", "data/ctu13", "directory of the embedded CTU-13 extracts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	s10, err := readZstd(filepath.Join(*data, s10File))
	if err != nil {
		return err
	}
	s11, err := readZstd(filepath.Join(*data, s11File))
	if err != nil {
		return err
	}
	bg, err := s11Background(filepath.Join(*data, s11File))
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name  string
		write func(w io.Writer) (int64, error)
	}{
		{netflowName, func(w io.Writer) (int64, error) { return writeNetflow(w, s10, bg) }},
		{binetflowName, func(w io.Writer) (int64, error) { return writeBinetflow(w, s11) }},
	} {
		path := filepath.Join(*out, f.name)
		size, rows, sum, err := writeFile(path, f.write)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\t%d bytes\t%d rows\tsha256 %s\n", path, size, rows, sum)
	}
	return nil
}

func readZstd(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer zr.Close()
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// writeFile writes path atomically through a temporary file and returns its
// size, data rows (lines after the header) and sha256.
func writeFile(path string, write func(io.Writer) (int64, error)) (size, rows int64, sum string, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchdata-*")
	if err != nil {
		return 0, 0, "", err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	cw := &countWriter{}
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, h, cw), 1<<20)
	rows, err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return 0, 0, "", fmt.Errorf("%s: %w", path, err)
	}
	return cw.n, rows, hex.EncodeToString(h.Sum(nil)), nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// bgFlow is a scenario-11 Background flow in the fields the NetFlow layout needs.
type bgFlow struct {
	start          int64 // µs
	duration       float64
	proto, dir     string
	src, dst       string // "addr[:port]"
	state          string
	tos            int32
	packets, bytes int64
}

// s11Background loads scenario 11's Background flows (every label naming
// Background, as data/ctu13/README.md counts them), sorted by start time.
func s11Background(path string) ([]bgFlow, error) {
	in := load.Input{Mem: memory.DefaultAllocator, Path: path,
		Keep: func(l []byte) bool { return bytes.Contains(l, []byte("Background")) }}
	res, err := load.Run(context.Background(), in, load.Params{Format: load.FormatBinetflow})
	if err != nil {
		return nil, err
	}
	rec := res.Flows
	defer rec.Release()
	col := func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
	start := col(load.ColStartTime).(*array.Timestamp)
	dur := col(load.ColDuration).(*array.Float64)
	proto := col(load.ColProto).(*array.String)
	srcA, dstA := col(load.ColSrcAddr).(*array.String), col(load.ColDstAddr).(*array.String)
	srcP, dstP := col(load.ColSrcPort).(*array.Int32), col(load.ColDstPort).(*array.Int32)
	dir := col(load.ColDir).(*array.String)
	state := col(load.ColState).(*array.String)
	stos := col(load.ColSTos).(*array.Int32)
	pk, by := col(load.ColPackets).(*array.Int64), col(load.ColBytes).(*array.Int64)
	out := make([]bgFlow, rec.NumRows())
	for i := range out {
		p := strings.ToUpper(proto.Value(i))
		endpoint := func(a *array.String, port *array.Int32) string {
			// NetFlow text writes ports only for port-carrying protocols,
			// the rule stages/load uses to read IPv6 endpoints.
			if port.IsNull(i) || !ported[p] {
				return a.Value(i)
			}
			return fmt.Sprintf("%s:%d", a.Value(i), port.Value(i))
		}
		f := bgFlow{
			start: int64(start.Value(i)), duration: dur.Value(i), proto: p, dir: dir.Value(i),
			src: endpoint(srcA, srcP), dst: endpoint(dstA, dstP), state: state.Value(i),
			packets: pk.Value(i), bytes: by.Value(i),
		}
		if f.state == "" {
			f.state = "-"
		}
		if stos.IsValid(i) {
			f.tos = stos.Value(i)
		}
		out[i] = f
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out, nil
}

var ported = map[string]bool{"TCP": true, "UDP": true, "UDT": true, "RTP": true, "RTCP": true, "SCTP": true}

const netflowTime = "2006-01-02 15:04:05.000"

// writeNetflow merges the scenario-10 rows with tiled Background rows.
func writeNetflow(w io.Writer, s10 []byte, bg []bgFlow) (int64, error) {
	header, rest, ok := bytes.Cut(s10, []byte("\n"))
	if !ok {
		return 0, errors.New("scenario-10 extract has no header")
	}
	lines := bytes.Split(bytes.TrimRight(rest, "\n"), []byte("\n"))
	times := make([]int64, len(lines))
	for i, l := range lines {
		t, err := time.Parse(netflowTime, string(l[:len(netflowTime)]))
		if err != nil {
			return 0, fmt.Errorf("scenario-10 extract line %d: %w", i+2, err)
		}
		times[i] = t.UnixMicro()
	}
	// The first data line (a Background row) stays first, as in the real
	// file; Background tiles fill the time after it up to the last row.
	t0, t1 := times[0]+1000, times[len(times)-1]
	nbg := realRows - len(lines)
	tiles := (nbg + len(bg) - 1) / len(bg)
	period := float64(t1-t0) / float64(tiles)
	bgStart, bgSpan := bg[0].start, float64(bg[len(bg)-1].start-bg[0].start+1)
	bgTime := func(k int) int64 {
		tile, f := k/len(bg), bg[k%len(bg)]
		return t0 + int64(float64(tile)*period+float64(f.start-bgStart)/bgSpan*period)
	}
	if _, err := fmt.Fprintf(w, "%s\n", header); err != nil {
		return 0, err
	}
	var rows int64
	var buf []byte
	i, k := 0, 0
	for i < len(lines) || k < nbg {
		if i < len(lines) && (k == nbg || times[i] <= bgTime(k)) {
			buf = append(append(buf[:0], lines[i]...), '\n')
			i++
		} else {
			f := bg[k%len(bg)]
			ts := time.UnixMicro(bgTime(k)).UTC().Format(netflowTime)
			buf = fmt.Appendf(buf[:0], "%s %9.3f %-5s %26s %-2s %26s %-6s %4d %8d %8d %6d   Background\n",
				ts, f.duration, f.proto, f.src, f.dir, f.dst, f.state, f.tos, f.packets, f.bytes, 1)
			k++
		}
		if _, err := w.Write(buf); err != nil {
			return 0, err
		}
		rows++
	}
	return rows, nil
}

const binetflowTime = "2006/01/02 15:04:05.000000"

// writeBinetflow repeats the scenario-11 file until it is about the size of
// the real scenario-10 NetFlow file, shifting each copy past the previous.
func writeBinetflow(w io.Writer, s11 []byte) (int64, error) {
	header, rest, ok := bytes.Cut(s11, []byte("\n"))
	if !ok {
		return 0, errors.New("scenario-11 file has no header")
	}
	lines := bytes.Split(bytes.TrimRight(rest, "\n"), []byte("\n"))
	times := make([]time.Time, len(lines))
	first, last := time.Time{}, time.Time{}
	for i, l := range lines {
		ts, _, _ := bytes.Cut(l, []byte(","))
		t, err := time.Parse(binetflowTime, string(ts))
		if err != nil {
			return 0, fmt.Errorf("scenario-11 line %d: %w", i+2, err)
		}
		times[i] = t
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	span := last.Sub(first) + time.Second
	copies := int((realBytes + len(s11)/2) / len(s11))
	if _, err := fmt.Fprintf(w, "%s\n", header); err != nil {
		return 0, err
	}
	var rows int64
	var buf []byte
	for c := range copies {
		shift := time.Duration(c) * span
		for i, l := range lines {
			_, tail, _ := bytes.Cut(l, []byte(","))
			buf = times[i].Add(shift).AppendFormat(buf[:0], binetflowTime)
			buf = append(append(append(buf, ','), tail...), '\n')
			if _, err := w.Write(buf); err != nil {
				return 0, err
			}
			rows++
		}
	}
	return rows, nil
}
