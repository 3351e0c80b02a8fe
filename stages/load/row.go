package load

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// row is one parsed flow. Byte slices point into the input chunk and are
// copied only when appended to the builders.
type row struct {
	start                               int64
	duration                            float64
	proto, srcAddr, dir, dstAddr, state []byte
	label                               []byte
	srcPort, dstPort, stos, dtos, flows int32
	hasSrcPort, hasDstPort, hasSTos     bool
	hasDTos, hasFlows, hasSrcBytes      bool
	packets, bytes, srcBytes            int64
}

// builders accumulates the rows of one chunk. The line column is kept as
// chunk-local indexes and offset when chunks are concatenated, because a
// chunk does not know how many lines precede it until earlier chunks finish.
type builders struct {
	lines    []int64
	start    *array.TimestampBuilder
	duration *array.Float64Builder
	proto    *array.StringBuilder
	srcAddr  *array.StringBuilder
	srcPort  *array.Int32Builder
	dir      *array.StringBuilder
	dstAddr  *array.StringBuilder
	dstPort  *array.Int32Builder
	state    *array.StringBuilder
	stos     *array.Int32Builder
	dtos     *array.Int32Builder
	packets  *array.Int64Builder
	bytes    *array.Int64Builder
	srcBytes *array.Int64Builder
	flows    *array.Int32Builder
	label    *array.StringBuilder
}

func newBuilders(mem memory.Allocator) *builders {
	return &builders{
		start:    array.NewTimestampBuilder(mem, Schema.Field(1).Type.(*arrow.TimestampType)),
		duration: array.NewFloat64Builder(mem),
		proto:    array.NewStringBuilder(mem),
		srcAddr:  array.NewStringBuilder(mem),
		srcPort:  array.NewInt32Builder(mem),
		dir:      array.NewStringBuilder(mem),
		dstAddr:  array.NewStringBuilder(mem),
		dstPort:  array.NewInt32Builder(mem),
		state:    array.NewStringBuilder(mem),
		stos:     array.NewInt32Builder(mem),
		dtos:     array.NewInt32Builder(mem),
		packets:  array.NewInt64Builder(mem),
		bytes:    array.NewInt64Builder(mem),
		srcBytes: array.NewInt64Builder(mem),
		flows:    array.NewInt32Builder(mem),
		label:    array.NewStringBuilder(mem),
	}
}

func appendOpt32(b *array.Int32Builder, v int32, ok bool) {
	if ok {
		b.Append(v)
	} else {
		b.AppendNull()
	}
}

func (b *builders) append(localLine int64, r *row) {
	b.lines = append(b.lines, localLine)
	b.start.Append(arrow.Timestamp(r.start))
	b.duration.Append(r.duration)
	b.proto.BinaryBuilder.Append(r.proto)
	b.srcAddr.BinaryBuilder.Append(r.srcAddr)
	appendOpt32(b.srcPort, r.srcPort, r.hasSrcPort)
	b.dir.BinaryBuilder.Append(r.dir)
	b.dstAddr.BinaryBuilder.Append(r.dstAddr)
	appendOpt32(b.dstPort, r.dstPort, r.hasDstPort)
	b.state.BinaryBuilder.Append(r.state)
	appendOpt32(b.stos, r.stos, r.hasSTos)
	appendOpt32(b.dtos, r.dtos, r.hasDTos)
	b.packets.Append(r.packets)
	b.bytes.Append(r.bytes)
	if r.hasSrcBytes {
		b.srcBytes.Append(r.srcBytes)
	} else {
		b.srcBytes.AppendNull()
	}
	appendOpt32(b.flows, r.flows, r.hasFlows)
	b.label.BinaryBuilder.Append(r.label)
}

// finish returns the arrays of every column but line, in Schema order
// starting at column 1, and releases the builders.
func (b *builders) finish() []arrow.Array {
	bs := []array.Builder{b.start, b.duration, b.proto, b.srcAddr, b.srcPort, b.dir, b.dstAddr,
		b.dstPort, b.state, b.stos, b.dtos, b.packets, b.bytes, b.srcBytes, b.flows, b.label}
	out := make([]arrow.Array, len(bs))
	for i, x := range bs {
		out[i] = x.NewArray()
		x.Release()
	}
	return out
}

// release frees the builders without producing arrays.
func (b *builders) release() {
	for _, x := range []array.Builder{b.start, b.duration, b.proto, b.srcAddr, b.srcPort, b.dir, b.dstAddr,
		b.dstPort, b.state, b.stos, b.dtos, b.packets, b.bytes, b.srcBytes, b.flows, b.label} {
		x.Release()
	}
}
