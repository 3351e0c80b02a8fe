package load

import (
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// row is one parsed flow. Byte slices point into the input chunk and are
// copied only when the row is appended to a chunk's columns.
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

// nullable is a column of values with a validity flag per row.
type nullable[T int32 | int64] struct {
	v     []T
	valid []bool
}

func (c *nullable[T]) grow(n int) {
	c.v = slices.Grow(c.v, n)
	c.valid = slices.Grow(c.valid, n)
}

func (c *nullable[T]) append(v T, ok bool) {
	c.v = append(c.v, v)
	c.valid = append(c.valid, ok)
}

// strCol is a string column: the bytes of all values and the end offset
// of each.
type strCol struct {
	ends []int32
	data []byte
}

func (c *strCol) grow(n int) {
	c.ends = slices.Grow(c.ends, n)
}

func (c *strCol) append(b []byte) {
	if len(c.data)+len(b) > cap(c.data) {
		// Double: append's 1.25 growth of large slices copies too often.
		c.data = slices.Grow(c.data, max(len(b), cap(c.data), 4096))
	}
	c.data = append(c.data, b...)
	c.ends = append(c.ends, int32(len(c.data)))
}

// appendLower is append with ASCII upper-case letters lowered.
func (c *strCol) appendLower(b []byte) {
	n := len(c.data)
	c.append(b)
	for i, ch := range c.data[n:] {
		if 'A' <= ch && ch <= 'Z' {
			c.data[n+i] = ch + 'a' - 'A'
		}
	}
}

// columns holds the rows of one chunk in plain Go slices: appending a row
// is a few slice appends, and the Arrow buffers are written once, at their
// final size, when all chunks are merged. line holds chunk-local line
// indexes, because a chunk does not know how many lines precede it until
// the earlier chunks are parsed.
type columns struct {
	line, start, packets, bytes              []int64
	duration                                 []float64
	srcPort, dstPort, stos, dtos, flows      nullable[int32]
	srcBytes                                 nullable[int64]
	proto, srcAddr, dir, dstAddr, state, lab strCol
}

// grow doubles the room for rows (at least min) in the columns of need:
// append's 1.25 growth of large slices would copy each column several times
// over.
func (c *columns) grow(min int, need colset) {
	n := max(len(c.line), min)
	c.line = slices.Grow(c.line, n)
	if need.has(bitStart) {
		c.start = slices.Grow(c.start, n)
	}
	if need.has(bitPackets) {
		c.packets = slices.Grow(c.packets, n)
	}
	if need.has(bitBytes) {
		c.bytes = slices.Grow(c.bytes, n)
	}
	if need.has(bitDuration) {
		c.duration = slices.Grow(c.duration, n)
	}
	for i, x := range []*nullable[int32]{&c.srcPort, &c.dstPort, &c.stos, &c.dtos, &c.flows} {
		if need.has(int32Bits[i]) {
			x.grow(n)
		}
	}
	if need.has(bitSrcBytes) {
		c.srcBytes.grow(n)
	}
	for i, x := range c.strCols() {
		if need.has(strBits[i]) {
			x.grow(n)
		}
	}
}

// The columns of strCols and of the nullable int32 columns.
var (
	strBits   = [6]colset{bitProto, bitSrcAddr, bitDir, bitDstAddr, bitState, bitLabel}
	int32Bits = [5]colset{bitSrcPort, bitDstPort, bitSTos, bitDTos, bitFlows}
)

func (c *columns) strCols() [6]*strCol {
	return [6]*strCol{&c.proto, &c.srcAddr, &c.dir, &c.dstAddr, &c.state, &c.lab}
}

// append adds row r's values of the columns of need.
func (c *columns) append(localLine int64, r *row, need colset) {
	if len(c.line) == cap(c.line) {
		c.grow(1024, need)
	}
	c.line = append(c.line, localLine)
	if need.has(bitStart) {
		c.start = append(c.start, r.start)
	}
	if need.has(bitDuration) {
		c.duration = append(c.duration, r.duration)
	}
	if need.has(bitProto) {
		// Lower case in both formats: NetFlow files write TCP, binetflow
		// files tcp, and a category must mean the same in both.
		c.proto.appendLower(r.proto)
	}
	if need.has(bitSrcAddr) {
		c.srcAddr.append(r.srcAddr)
	}
	if need.has(bitSrcPort) {
		c.srcPort.append(r.srcPort, r.hasSrcPort)
	}
	if need.has(bitDir) {
		c.dir.append(r.dir)
	}
	if need.has(bitDstAddr) {
		c.dstAddr.append(r.dstAddr)
	}
	if need.has(bitDstPort) {
		c.dstPort.append(r.dstPort, r.hasDstPort)
	}
	if need.has(bitState) {
		c.state.append(r.state)
	}
	if need.has(bitSTos) {
		c.stos.append(r.stos, r.hasSTos)
	}
	if need.has(bitDTos) {
		c.dtos.append(r.dtos, r.hasDTos)
	}
	if need.has(bitPackets) {
		c.packets = append(c.packets, r.packets)
	}
	if need.has(bitBytes) {
		c.bytes = append(c.bytes, r.bytes)
	}
	if need.has(bitSrcBytes) {
		c.srcBytes.append(r.srcBytes, r.hasSrcBytes)
	}
	if need.has(bitFlows) {
		c.flows.append(r.flows, r.hasFlows)
	}
	if need.has(bitLabel) {
		c.lab.append(r.label)
	}
}

// record builds the Arrow record of the chunks' rows, in order; lineBase[i]
// is the file line number of chunk i's first line.
func record(mem memory.Allocator, chunks []*columns, lineBase []int64, need colset) (arrow.RecordBatch, error) {
	n := 0
	for _, c := range chunks {
		n += len(c.line)
		for _, s := range []*strCol{&c.proto, &c.srcAddr, &c.dir, &c.dstAddr, &c.state, &c.lab} {
			if len(s.data) > math.MaxInt32 {
				return nil, errors.New("a string column exceeds 2 GiB: filter more labels")
			}
		}
	}
	// Each column's chunk slices are dropped as soon as the column is
	// built, so that the garbage collector can reuse them for the next.
	i64 := func(dt arrow.DataType, f func(*columns) *[]int64) arrow.Array {
		parts := make([][]int64, len(chunks))
		for i, c := range chunks {
			parts[i] = *f(c)
		}
		a := fixedArray(mem, dt, n, parts, nil)
		for _, c := range chunks {
			*f(c) = nil
		}
		return a
	}
	durations := make([][]float64, len(chunks))
	for i, c := range chunks {
		durations[i] = c.duration
	}
	n32 := func(f func(*columns) *nullable[int32]) arrow.Array {
		v, ok := make([][]int32, len(chunks)), make([][]bool, len(chunks))
		for i, c := range chunks {
			v[i], ok[i] = f(c).v, f(c).valid
		}
		a := fixedArray(mem, arrow.PrimitiveTypes.Int32, n, v, ok)
		for _, c := range chunks {
			*f(c) = nullable[int32]{}
		}
		return a
	}
	str := func(f func(*columns) *strCol) arrow.Array {
		parts := make([]*strCol, len(chunks))
		for i, c := range chunks {
			parts[i] = f(c)
		}
		a := stringArray(mem, n, parts)
		for _, c := range chunks {
			*f(c) = strCol{}
		}
		return a
	}
	srcBytes, srcBytesOK := make([][]int64, len(chunks)), make([][]bool, len(chunks))
	for i, c := range chunks {
		srcBytes[i], srcBytesOK[i] = c.srcBytes.v, c.srcBytes.valid
	}
	lines := make([][]int64, len(chunks))
	for i, c := range chunks {
		lines[i] = c.line
	}
	// Built lazily, column by column, so that each column's chunk slices
	// are dropped once it is built.
	build := []func() arrow.Array{
		func() arrow.Array { return lineArray(mem, n, lines, lineBase) },
		func() arrow.Array { return i64(Schema.Field(1).Type, func(c *columns) *[]int64 { return &c.start }) },
		func() arrow.Array { return fixedArray(mem, arrow.PrimitiveTypes.Float64, n, durations, nil) },
		func() arrow.Array { return str(func(c *columns) *strCol { return &c.proto }) },
		func() arrow.Array { return str(func(c *columns) *strCol { return &c.srcAddr }) },
		func() arrow.Array { return n32(func(c *columns) *nullable[int32] { return &c.srcPort }) },
		func() arrow.Array { return str(func(c *columns) *strCol { return &c.dir }) },
		func() arrow.Array { return str(func(c *columns) *strCol { return &c.dstAddr }) },
		func() arrow.Array { return n32(func(c *columns) *nullable[int32] { return &c.dstPort }) },
		func() arrow.Array { return str(func(c *columns) *strCol { return &c.state }) },
		func() arrow.Array { return n32(func(c *columns) *nullable[int32] { return &c.stos }) },
		func() arrow.Array { return n32(func(c *columns) *nullable[int32] { return &c.dtos }) },
		func() arrow.Array {
			return i64(arrow.PrimitiveTypes.Int64, func(c *columns) *[]int64 { return &c.packets })
		},
		func() arrow.Array {
			return i64(arrow.PrimitiveTypes.Int64, func(c *columns) *[]int64 { return &c.bytes })
		},
		func() arrow.Array { return fixedArray(mem, arrow.PrimitiveTypes.Int64, n, srcBytes, srcBytesOK) },
		func() arrow.Array { return n32(func(c *columns) *nullable[int32] { return &c.flows }) },
		func() arrow.Array { return str(func(c *columns) *strCol { return &c.lab }) },
	}
	var todo []func() arrow.Array
	for i, f := range build {
		if need.has(1 << i) {
			todo = append(todo, f)
		}
	}
	// Two columns at a time: each build touches only its own fields of the
	// chunks, and the merge is the one serial step between the parsers and
	// the next stage.
	cols := make([]arrow.Array, len(todo))
	var next atomic.Int32
	var wg sync.WaitGroup
	for range min(2, len(todo)) {
		wg.Go(func() {
			for k := int(next.Add(1)) - 1; k < len(todo); k = int(next.Add(1)) - 1 {
				cols[k] = todo[k]()
			}
		})
	}
	wg.Wait()
	rec := array.NewRecordBatch(need.schema(), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}

// buffer allocates an Arrow buffer of size bytes from mem.
func buffer(mem memory.Allocator, size int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(size)
	return b
}

// asBytes views a slice of fixed-width values as bytes.
func asBytes[T int32 | int64 | float64](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(v[0])))
}

// fixedArray concatenates parts into one array of type dt; valid, if not
// nil, holds the validity of each value.
func fixedArray[T int32 | int64 | float64](mem memory.Allocator, dt arrow.DataType, n int, parts [][]T, valid [][]bool) arrow.Array {
	var zero T
	values := buffer(mem, n*int(unsafe.Sizeof(zero)))
	defer values.Release()
	dst := values.Bytes()
	for _, p := range parts {
		dst = dst[copy(dst, asBytes(p)):]
	}
	var bitmap *memory.Buffer
	nulls := 0
	for _, v := range valid {
		for _, ok := range v {
			if !ok {
				nulls++
			}
		}
	}
	if nulls > 0 {
		bitmap = buffer(mem, int(bitutil.BytesForBits(int64(n))))
		defer bitmap.Release()
		bits := bitmap.Bytes()
		clear(bits)
		i := 0
		for _, v := range valid {
			for _, ok := range v {
				if ok {
					bitutil.SetBit(bits, i)
				}
				i++
			}
		}
	}
	data := array.NewData(dt, n, []*memory.Buffer{bitmap, values}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// lineArray numbers the rows: chunk-local indexes plus each chunk's base.
func lineArray(mem memory.Allocator, n int, parts [][]int64, base []int64) arrow.Array {
	values := buffer(mem, n*8)
	defer values.Release()
	dst := unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(values.Bytes()))), n)
	i := 0
	for c, p := range parts {
		for _, k := range p {
			dst[i] = base[c] + k
			i++
		}
	}
	data := array.NewData(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{nil, values}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// stringArray concatenates string columns into one utf8 array.
func stringArray(mem memory.Allocator, n int, parts []*strCol) arrow.Array {
	size := 0
	for _, p := range parts {
		size += len(p.data)
	}
	offsets := buffer(mem, (n+1)*4)
	defer offsets.Release()
	values := buffer(mem, size)
	defer values.Release()
	offs := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(offsets.Bytes()))), n+1)
	data := values.Bytes()
	offs[0] = 0
	i, base := 1, int32(0)
	for _, p := range parts {
		for _, e := range p.ends {
			offs[i] = base + e
			i++
		}
		copy(data[base:], p.data)
		base += int32(len(p.data))
	}
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, offsets, values}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}
