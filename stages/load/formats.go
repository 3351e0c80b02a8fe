package load

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// Format names accepted in Params.Format and reported in Stats.Format.
const (
	FormatAuto      = "auto"
	FormatNetflow   = "netflow"
	FormatBinetflow = "binetflow"
)

var (
	netflowHeader   = []string{"Date", "flow", "start", "Durat", "Prot", "Src", "IP", "Addr:Port", "Dst", "IP", "Addr:Port", "Flags", "Tos", "Packets", "Bytes", "Flows", "Label"}
	binetflowHeader = []string{"StartTime", "Dur", "Proto", "SrcAddr", "Sport", "Dir", "DstAddr", "Dport", "State", "sTos", "dTos", "TotPkts", "TotBytes", "SrcBytes", "Label"}
)

// Detect returns the format ("netflow" or "binetflow") whose header line
// header is, or an error that quotes the header. Surrounding whitespace, a
// trailing newline and a leading UTF-8 byte-order mark (which editors and
// spreadsheet programs on Windows write) are ignored.
func Detect(header []byte) (string, error) {
	h := trimSpace(bytes.TrimRight(bytes.TrimPrefix(header, []byte("\xef\xbb\xbf")), "\r\n"))
	if equalWords(bytes.FieldsFunc(h, func(r rune) bool { return r == ' ' || r == '\t' }), netflowHeader) {
		return FormatNetflow, nil
	}
	fields := bytes.Split(h, []byte(","))
	for i := range fields {
		fields[i] = trimSpace(fields[i])
	}
	if equalWords(fields, binetflowHeader) {
		return FormatBinetflow, nil
	}
	q := h
	if len(q) > 120 {
		q = q[:120]
	}
	return "", fmt.Errorf("unknown header %q: want a CTU-13 NetFlow (%q...) or binetflow (%q...) header",
		q, "Date flow start", "StartTime,Dur,Proto")
}

func equalWords(got [][]byte, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if string(got[i]) != want[i] {
			return false
		}
	}
	return true
}

// A lineParser knows one format's line layout. label returns the last field
// cheaply (for the Keep pushdown); parse fills r or says why it cannot.
type lineParser interface {
	label(line []byte) []byte
	// parse fills the columns of need (every field is still counted);
	// days belongs to the calling goroutine.
	parse(line []byte, r *row, need colset, days *dayCache) error
}

func parserFor(format string) lineParser {
	if format == FormatBinetflow {
		return binetflowParser{}
	}
	return netflowParser{}
}

// netflowParser reads argus NetFlow text lines:
// Date Time Durat Prot Src -> Dst Flags Tos Packets Bytes Flows Label.
type netflowParser struct{}

const netflowFields = 13

var netflowNames = [netflowFields]string{"Date", "time", "Durat", "Prot", "Src IP Addr:Port", "direction",
	"Dst IP Addr:Port", "Flags", "Tos", "Packets", "Bytes", "Flows", "Label"}

func (netflowParser) label(line []byte) []byte {
	j := len(line)
	for j > 0 && isSpace(line[j-1]) {
		j--
	}
	i := j
	for i > 0 && !isSpace(line[i-1]) {
		i--
	}
	return line[i:j]
}

func (netflowParser) parse(line []byte, r *row, need colset, days *dayCache) error {
	f, n := splitFields(line)
	if n > netflowFields {
		return fmt.Errorf("more than %d fields", netflowFields)
	}
	if n != netflowFields {
		return fmt.Errorf("%d fields, want %d", n, netflowFields)
	}
	var err error
	bad := func(i int, err error) error {
		return fmt.Errorf("field %d (%s) %q: %v", i+1, netflowNames[i], f[i], err)
	}
	if need.has(bitStart) {
		if r.start, err = days.parseTime(f[0], f[1]); err != nil {
			return fmt.Errorf("fields 1-2 (Date flow start) %q: %v", bytes.Join(f[:2], []byte(" ")), err)
		}
	}
	if need.has(bitDuration) {
		if r.duration, err = parseFloat(f[2]); err != nil {
			return bad(2, err)
		}
	}
	r.proto, r.dir, r.state, r.label = f[3], f[5], f[7], f[12]
	if !isDirection(r.dir) {
		// A line missing its arrow but with a token too many elsewhere
		// has 13 fields, every one shifted: the destination would be read
		// as the direction and the flags as the destination.
		return bad(5, errors.New("not a flow direction (->, <-, <->, ?>, <?, <?>, who)"))
	}
	if need&(bitSrcAddr|bitSrcPort|bitDstAddr|bitDstPort) != 0 {
		ported := hasPorts(r.proto)
		if need&(bitSrcAddr|bitSrcPort) != 0 {
			if r.srcAddr, r.srcPort, r.hasSrcPort, err = splitEndpoint(f[4], ported, need.has(bitSrcPort)); err != nil {
				return bad(4, err)
			}
		}
		if need&(bitDstAddr|bitDstPort) != 0 {
			if r.dstAddr, r.dstPort, r.hasDstPort, err = splitEndpoint(f[6], ported, need.has(bitDstPort)); err != nil {
				return bad(6, err)
			}
		}
	}
	if need.has(bitSTos) {
		tos, err := parseInt(f[8], math.MaxInt32)
		if err != nil {
			return bad(8, err)
		}
		r.stos, r.hasSTos = int32(tos), true
	}
	r.hasDTos = false
	if need.has(bitPackets) {
		if r.packets, err = parseInt(f[9], math.MaxInt64); err != nil {
			return bad(9, err)
		}
	}
	if need.has(bitBytes) {
		if r.bytes, err = parseInt(f[10], math.MaxInt64); err != nil {
			return bad(10, err)
		}
	}
	if need.has(bitFlows) {
		flows, err := parseInt(f[11], math.MaxInt32)
		if err != nil {
			return bad(11, err)
		}
		r.flows, r.hasFlows = int32(flows), true
	}
	r.hasSrcBytes = false
	return nil
}

// isDirection reports whether d is an argus direction: arrows made of
// '<', '-', '>' and '?' ("->", "<->", "?>", ...), or "who".
func isDirection(d []byte) bool {
	if string(d) == "who" {
		return true
	}
	if len(d) == 0 || len(d) > 3 {
		return false
	}
	for _, c := range d {
		if c != '<' && c != '>' && c != '-' && c != '?' {
			return false
		}
	}
	return true
}

// hasPorts reports whether argus prints ports for protocol p; it decides
// whether the text after the last colon of a multi-colon (IPv6) endpoint is
// a port.
func hasPorts(p []byte) bool {
	switch len(p) {
	case 3:
		return eqFold(p, "tcp") || eqFold(p, "udp") || eqFold(p, "udt") || eqFold(p, "rtp")
	case 4:
		return eqFold(p, "sctp") || eqFold(p, "rtcp")
	}
	return false
}

func eqFold(b []byte, lower string) bool {
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// splitEndpoint splits a NetFlow "addr:port" endpoint; see the package
// documentation for the IPv6 rule. Without port the port is not parsed (nor
// checked).
func splitEndpoint(e []byte, ported, port bool) (addr []byte, portNum int32, ok bool, err error) {
	var a, p []byte
	first := bytes.IndexByte(e, ':')
	switch {
	case first < 0:
		return e, 0, false, nil
	case len(e) > 0 && e[0] == '[':
		end := bytes.Index(e, []byte("]:"))
		if end < 0 {
			return nil, 0, false, fmt.Errorf("no \"]:\" after a bracketed address")
		}
		a, p = e[1:end], e[end+2:]
	case ported || bytes.IndexByte(e[first+1:], ':') < 0: // one colon, or a ported protocol
		cut := bytes.LastIndexByte(e, ':')
		a, p = e[:cut], e[cut+1:]
	default:
		return e, 0, false, nil
	}
	if len(a) == 0 {
		return nil, 0, false, fmt.Errorf("no address")
	}
	if !port {
		return a, 0, true, nil
	}
	v, err := parseInt(p, 65535)
	if err != nil {
		return nil, 0, false, fmt.Errorf("port %q: %v", p, err)
	}
	return a, int32(v), true, nil
}

// binetflowParser reads bidirectional CSV lines with the 15 columns of
// binetflowHeader.
type binetflowParser struct{}

const binetflowFields = 15

func (binetflowParser) label(line []byte) []byte {
	line = trimSpace(line)
	return line[bytes.LastIndexByte(line, ',')+1:]
}

func (binetflowParser) parse(line []byte, r *row, need colset, days *dayCache) error {
	line = trimSpace(line)
	var f [binetflowFields][]byte
	n := 0
	for {
		i := bytes.IndexByte(line, ',')
		if n == binetflowFields-1 {
			if i >= 0 {
				return fmt.Errorf("more than %d fields", binetflowFields)
			}
			f[n] = line
			break
		}
		if i < 0 {
			return fmt.Errorf("%d fields, want %d", n+1, binetflowFields)
		}
		f[n] = line[:i]
		n++
		line = line[i+1:]
	}
	var err error
	bad := func(i int, err error) error {
		return fmt.Errorf("field %d (%s) %q: %v", i+1, binetflowHeader[i], f[i], err)
	}
	if need.has(bitStart) {
		sp := bytes.IndexByte(f[0], ' ')
		if sp < 0 {
			return bad(0, errTime)
		}
		if r.start, err = days.parseTime(f[0][:sp], f[0][sp+1:]); err != nil {
			return bad(0, err)
		}
	}
	if need.has(bitDuration) {
		if r.duration, err = parseFloat(f[1]); err != nil {
			return bad(1, err)
		}
	}
	r.proto, r.srcAddr, r.dir, r.dstAddr, r.state, r.label = f[2], f[3], trimSpace(f[5]), f[6], f[8], f[14]
	// Proto and the addresses are never null (load.Schema): an empty one
	// would make a flow of protocol "" or of host "", silently lost from
	// its host. (NetFlow text cannot hold an empty field.)
	for _, i := range [...]int{2, 3, 6} {
		if len(f[i]) == 0 && need&binetflowBits[i] != 0 {
			return bad(i, errEmpty)
		}
	}
	opt := func(i int, max uint64) (int32, bool, error) {
		if len(f[i]) == 0 || need&binetflowBits[i] == 0 {
			return 0, false, nil
		}
		v, err := parseInt(f[i], max)
		if err != nil {
			return 0, false, bad(i, err)
		}
		return int32(v), true, nil
	}
	if r.srcPort, r.hasSrcPort, err = opt(4, 65535); err != nil {
		return err
	}
	if r.dstPort, r.hasDstPort, err = opt(7, 65535); err != nil {
		return err
	}
	if r.stos, r.hasSTos, err = opt(9, math.MaxInt32); err != nil {
		return err
	}
	if r.dtos, r.hasDTos, err = opt(10, math.MaxInt32); err != nil {
		return err
	}
	if need.has(bitPackets) {
		if r.packets, err = parseInt(f[11], math.MaxInt64); err != nil {
			return bad(11, err)
		}
	}
	if need.has(bitBytes) {
		if r.bytes, err = parseInt(f[12], math.MaxInt64); err != nil {
			return bad(12, err)
		}
	}
	r.hasSrcBytes = len(f[13]) > 0 && need.has(bitSrcBytes)
	if r.hasSrcBytes {
		if r.srcBytes, err = parseInt(f[13], math.MaxInt64); err != nil {
			return bad(13, err)
		}
	} else {
		r.srcBytes = 0
	}
	r.hasFlows = false
	return nil
}

// binetflowBits maps the binetflow fields to their columns.
var binetflowBits = [binetflowFields]colset{bitStart, bitDuration, bitProto, bitSrcAddr, bitSrcPort, bitDir,
	bitDstAddr, bitDstPort, bitState, bitSTos, bitDTos, bitPackets, bitBytes, bitSrcBytes, bitLabel}
