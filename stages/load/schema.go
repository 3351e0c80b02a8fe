package load

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Column names of Schema, in order.
const (
	ColLine      = "line"
	ColStartTime = "start_time"
	ColDuration  = "duration"
	ColProto     = "proto"
	ColSrcAddr   = "src_addr"
	ColSrcPort   = "src_port"
	ColDir       = "dir"
	ColDstAddr   = "dst_addr"
	ColDstPort   = "dst_port"
	ColState     = "state"
	ColSTos      = "stos"
	ColDTos      = "dtos"
	ColPackets   = "packets"
	ColBytes     = "bytes"
	ColSrcBytes  = "src_bytes"
	ColFlows     = "flows"
	ColLabel     = "label"
)

// Schema is the Arrow schema of loaded flows, shared by both CTU-13 formats.
// line is the 1-based line number in the decompressed file; ports, ToS,
// src_bytes (NetFlow) and flows (binetflow) are null where the format or the
// line has no value. proto is lower case in both formats (NetFlow files
// write TCP, binetflow files tcp).
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: ColLine, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColStartTime, Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: ColDuration, Type: arrow.PrimitiveTypes.Float64},
	{Name: ColProto, Type: arrow.BinaryTypes.String},
	{Name: ColSrcAddr, Type: arrow.BinaryTypes.String},
	{Name: ColSrcPort, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: ColDir, Type: arrow.BinaryTypes.String},
	{Name: ColDstAddr, Type: arrow.BinaryTypes.String},
	{Name: ColDstPort, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: ColState, Type: arrow.BinaryTypes.String},
	{Name: ColSTos, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: ColDTos, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: ColPackets, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColBytes, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColSrcBytes, Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: ColFlows, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: ColLabel, Type: arrow.BinaryTypes.String},
}, nil)

// colset is a set of Schema columns, bit i for field i.
type colset uint32

const allColumns colset = 1<<17 - 1

// Bits of the Schema columns, in Schema order.
const (
	bitLine colset = 1 << iota
	bitStart
	bitDuration
	bitProto
	bitSrcAddr
	bitSrcPort
	bitDir
	bitDstAddr
	bitDstPort
	bitState
	bitSTos
	bitDTos
	bitPackets
	bitBytes
	bitSrcBytes
	bitFlows
	bitLabel
)

func (s colset) has(b colset) bool { return s&b != 0 }

// projection returns the set of the named columns plus line (nil or empty:
// every column).
func projection(names []string) (colset, error) {
	if len(names) == 0 {
		return allColumns, nil
	}
	set := bitLine
	for _, n := range names {
		idx := Schema.FieldIndices(n)
		if len(idx) != 1 {
			return 0, fmt.Errorf("column %q: no such column (want one of %s)", n, columnNames())
		}
		set |= 1 << idx[0]
	}
	return set, nil
}

func columnNames() string {
	var names []string
	for _, f := range Schema.Fields() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// ProjectedSchema is Schema restricted to the columns Params.Columns
// names, plus line, in Schema order.
func ProjectedSchema(columns []string) (*arrow.Schema, error) {
	set, err := projection(columns)
	if err != nil {
		return nil, err
	}
	return set.schema(), nil
}

func (s colset) schema() *arrow.Schema {
	if s == allColumns {
		return Schema
	}
	var fields []arrow.Field
	for i, f := range Schema.Fields() {
		if s.has(1 << i) {
			fields = append(fields, f)
		}
	}
	return arrow.NewSchema(fields, nil)
}

// NullError is a null value (a port, ToS, src_bytes or flows the line or
// its format has not) where a later stage needs a number. That stage
// (derive, discretize) finds the flow's line and host; the pipeline, which
// knows which data file the host's flows came from, sets File and, when
// the whole format lacks the column, Format (SetFile). The stage returns it
// unwrapped, with Where saying where it arose, so that its text follows.
type NullError struct {
	Where  string // the stage and step, e.g. "stage discretize: fitting features[1]"
	File   string // the data file, when known
	Format string // the file's format, when it has no such column at all
	Line   int64  // in File
	Column string
	Host   string // the flow's host as the stage saw it (source:address after the view step)
	Need   string // what needs a value, e.g. "numeric features"
}

func (e *NullError) Error() string {
	var b strings.Builder
	if e.Where != "" {
		b.WriteString(e.Where + ": ")
	}
	if e.File != "" {
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	} else {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	fmt.Fprintf(&b, "%s is null", e.Column)
	if e.Host != "" {
		fmt.Fprintf(&b, " (host %s)", e.Host)
	}
	if e.Format != "" {
		fmt.Fprintf(&b, "; %s files have no %s", e.Format, e.Column)
	}
	if e.Need != "" {
		fmt.Fprintf(&b, "; %s need a value", e.Need)
	}
	return b.String()
}

// formatLacks reports whether files of format never have a value of
// column: src_bytes in NetFlow, flows in binetflow.
func formatLacks(format, column string) bool {
	return format == "netflow" && column == ColSrcBytes || format == "binetflow" && column == ColFlows
}

// SetFile names the data file (and, when it lacks the column, its format)
// of e.
func (e *NullError) SetFile(path, format string) {
	e.File = path
	if formatLacks(format, e.Column) {
		e.Format = map[string]string{"netflow": "NetFlow", "binetflow": "binetflow"}[format]
	}
}
