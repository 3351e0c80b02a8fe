package load

import "github.com/apache/arrow-go/v18/arrow"

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
// line has no value.
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
