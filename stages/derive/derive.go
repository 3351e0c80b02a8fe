package derive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/stages/load"
)

// Version is the version of the step's output for the same Params.
const Version = 1

// Derived column names.
const (
	BytesPerPacket = "bytes_per_packet"
	BytesPerSecond = "bytes_per_second"
	Interarrival   = "interarrival"
)

// Ratio is the name of the column a / b.
func Ratio(a, b string) string { return "ratio(" + a + "," + b + ")" }

// Is reports whether name is a derived column.
func Is(name string) bool {
	_, _, ok := parseRatio(name)
	return ok || name == BytesPerPacket || name == BytesPerSecond || name == Interarrival
}

func parseRatio(name string) (a, b string, ok bool) {
	inner, ok := strings.CutPrefix(name, "ratio(")
	if !ok {
		return "", "", false
	}
	inner, ok = strings.CutSuffix(inner, ")")
	if !ok {
		return "", "", false
	}
	a, b, ok = strings.Cut(inner, ",")
	return a, b, ok && a != "" && b != ""
}

// Needs returns the flow columns a derived column is computed from.
func Needs(name string) []string {
	switch name {
	case BytesPerPacket:
		return []string{load.ColBytes, load.ColPackets}
	case BytesPerSecond:
		return []string{load.ColBytes, load.ColDuration}
	case Interarrival:
		return []string{load.ColStartTime, load.ColSrcAddr}
	}
	if a, b, ok := parseRatio(name); ok {
		return []string{a, b}
	}
	return nil
}

// Params lists the derived columns to add.
type Params struct {
	Columns []string `json:"columns"`
}

// Validate reports names that are not derived columns, and ratios of
// columns that are not numeric flow columns.
func (p Params) Validate() error {
	var errs []error
	for _, c := range p.Columns {
		if !Is(c) {
			errs = append(errs, fmt.Errorf("derive: %q is not a derived column (bytes_per_packet, bytes_per_second, interarrival, ratio(a,b))", c))
			continue
		}
		if a, b, ok := parseRatio(c); ok {
			for _, x := range []string{a, b} {
				if !numericColumn(x) {
					errs = append(errs, fmt.Errorf("derive: %s: %q is not a numeric flow column", c, x))
				}
			}
		}
	}
	return errors.Join(errs...)
}

func numericColumn(name string) bool {
	idx := load.Schema.FieldIndices(name)
	if len(idx) != 1 {
		return false
	}
	switch load.Schema.Field(idx[0]).Type.ID() {
	case arrow.INT32, arrow.INT64, arrow.FLOAT64:
		return name != load.ColLine
	}
	return false
}

// unit is the value a zero denominator of column name counts as.
func unit(name string) float64 {
	if name == load.ColDuration {
		return 1e-6
	}
	return 1
}

// Input is the flow table (line, start_time, src_addr naming the host, and
// the columns the derived ones need).
type Input struct {
	Mem   memory.Allocator
	Flows arrow.RecordBatch
}

// Result is the flow table with the derived columns appended, and the
// derived columns alone. The caller releases it (Release).
type Result struct {
	// Flows is the input with the derived columns appended.
	Flows arrow.RecordBatch
	// Columns holds the input's line column and the derived columns (those
	// the input did not have already), in the input's row order: what the
	// pipeline caches, and what Attach appends to the same flows again.
	Columns arrow.RecordBatch
}

// Release releases both records.
func (r *Result) Release() {
	if r.Flows != nil {
		r.Flows.Release()
	}
	if r.Columns != nil {
		r.Columns.Release()
	}
}

// Run appends p.Columns (float64, no nulls) to in.Flows.
func Run(ctx context.Context, in Input, p Params) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	mem := in.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rec := in.Flows
	fields := slices.Clone(rec.Schema().Fields())
	cols := slices.Clone(rec.Columns())
	var made []arrow.Array
	defer func() {
		for _, a := range made {
			a.Release()
		}
	}()
	for _, name := range p.Columns {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(rec.Schema().FieldIndices(name)) > 0 {
			continue
		}
		vals, err := compute(rec, name)
		if ne := (*load.NullError)(nil); errors.As(err, &ne) {
			ne.Where = "derive " + name
			return nil, ne
		}
		if err != nil {
			return nil, fmt.Errorf("derive %s: %w", name, err)
		}
		b := array.NewFloat64Builder(mem)
		b.AppendValues(vals, nil)
		a := b.NewFloat64Array()
		b.Release()
		made = append(made, a)
		fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
		cols = append(cols, a)
	}
	var cfields []arrow.Field
	var ccols []arrow.Array
	if idx := rec.Schema().FieldIndices(load.ColLine); len(idx) == 1 {
		cfields, ccols = append(cfields, rec.Schema().Field(idx[0])), append(ccols, rec.Column(idx[0]))
	}
	cfields = append(cfields, fields[len(rec.Schema().Fields()):]...)
	ccols = append(ccols, made...)
	return &Result{Flows: array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows()),
		Columns: array.NewRecordBatch(arrow.NewSchema(cfields, nil), ccols, rec.NumRows())}, nil
}

// Attach appends the derived columns of cols (a Result's Columns, e.g.
// read back from a cache) to flows, the table they were derived from: the
// row counts must agree, and so must the line columns, row by row, when
// cols has one. A column flows already has is left as it is. The caller
// releases the returned record.
func Attach(flows, cols arrow.RecordBatch) (arrow.RecordBatch, error) {
	if flows.NumRows() != cols.NumRows() {
		return nil, fmt.Errorf("derive: %d derived rows for %d flows", cols.NumRows(), flows.NumRows())
	}
	fields := slices.Clone(flows.Schema().Fields())
	arrs := slices.Clone(flows.Columns())
	for c, f := range cols.Schema().Fields() {
		if f.Name == load.ColLine {
			idx := flows.Schema().FieldIndices(load.ColLine)
			a, ok1 := cols.Column(c).(*array.Int64)
			var b *array.Int64
			ok2 := len(idx) == 1
			if ok2 {
				b, ok2 = flows.Column(idx[0]).(*array.Int64)
			}
			if !ok1 || !ok2 || a.NullN() > 0 || b.NullN() > 0 || !slices.Equal(a.Int64Values(), b.Int64Values()) {
				return nil, errors.New("derive: the derived columns are not those of these flows (their lines differ)")
			}
			continue
		}
		if len(flows.Schema().FieldIndices(f.Name)) > 0 {
			continue
		}
		fields = append(fields, f)
		arrs = append(arrs, cols.Column(c))
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, flows.NumRows()), nil
}

// floats reads a numeric column, erroring on the first null (by line).
func floats(rec arrow.RecordBatch, name string) ([]float64, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		return nil, fmt.Errorf("input has no %q column", name)
	}
	col := rec.Column(idx[0])
	out := make([]float64, col.Len())
	for i := range out {
		if col.IsNull(i) {
			return nil, &load.NullError{Line: lineOf(rec, i), Column: name, Host: hostOf(rec, i), Need: "derived columns"}
		}
		switch a := col.(type) {
		case *array.Int64:
			out[i] = float64(a.Value(i))
		case *array.Int32:
			out[i] = float64(a.Value(i))
		case *array.Float64:
			out[i] = a.Value(i)
		default:
			return nil, fmt.Errorf("column %q is %s, not numeric", name, col.DataType())
		}
	}
	return out, nil
}

// hostOf is row i's src_addr (a source:address host after the view
// step), or "" without the column.
func hostOf(rec arrow.RecordBatch, i int) string {
	if idx := rec.Schema().FieldIndices(load.ColSrcAddr); len(idx) == 1 {
		if s, ok := rec.Column(idx[0]).(*array.String); ok && s.IsValid(i) {
			return s.Value(i)
		}
	}
	return ""
}

func lineOf(rec arrow.RecordBatch, i int) int64 {
	if idx := rec.Schema().FieldIndices(load.ColLine); len(idx) == 1 {
		if l, ok := rec.Column(idx[0]).(*array.Int64); ok {
			return l.Value(i)
		}
	}
	return int64(i)
}

func compute(rec arrow.RecordBatch, name string) ([]float64, error) {
	if name == Interarrival {
		return interarrival(rec)
	}
	num, den := load.ColBytes, load.ColPackets
	switch name {
	case BytesPerSecond:
		den = load.ColDuration
	case BytesPerPacket:
	default:
		num, den, _ = parseRatio(name)
	}
	a, err := floats(rec, num)
	if err != nil {
		return nil, err
	}
	b, err := floats(rec, den)
	if err != nil {
		return nil, err
	}
	u := unit(den)
	out := make([]float64, len(a))
	for i := range out {
		out[i] = divide(a[i], b[i], u)
		if math.IsInf(out[i], 0) {
			// A subnormal denominator (e.g. a duration of 1e-310 s): no
			// cut point or k-means centre could hold it.
			return nil, fmt.Errorf("line %d: %s / %s = %v / %v overflows a float64", lineOf(rec, i), num, den, a[i], b[i])
		}
	}
	return out, nil
}

// divide is a / b with the package's rule for b = 0: 0/0 = 0, otherwise
// b counts as one unit.
func divide(a, b, unit float64) float64 {
	if b == 0 {
		if a == 0 {
			return 0
		}
		b = unit
	}
	return a / b
}

// interarrival is the seconds between each flow and the previous flow of
// the same host (src_addr), in time order with ties by line; 0 for a
// host's first flow.
func interarrival(rec arrow.RecordBatch) ([]float64, error) {
	idx := rec.Schema().FieldIndices(load.ColStartTime)
	sidx := rec.Schema().FieldIndices(load.ColSrcAddr)
	if len(idx) != 1 || len(sidx) != 1 {
		return nil, errors.New("input needs start_time and src_addr columns")
	}
	ts, ok1 := rec.Column(idx[0]).(*array.Timestamp)
	src, ok2 := rec.Column(sidx[0]).(*array.String)
	if !ok1 || !ok2 {
		return nil, errors.New("start_time and src_addr must be a timestamp and utf8")
	}
	unitSecs := 1e-6
	if u := ts.DataType().(*arrow.TimestampType).Unit; u != arrow.Microsecond {
		return nil, fmt.Errorf("start_time is in %s, want microseconds", u)
	}
	n := int(rec.NumRows())
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(strings.Compare(src.Value(a), src.Value(b)), cmp.Compare(ts.Value(a), ts.Value(b)),
			cmp.Compare(lineOf(rec, a), lineOf(rec, b)))
	})
	out := make([]float64, n)
	for k := 1; k < n; k++ {
		i, prev := order[k], order[k-1]
		if src.Value(i) == src.Value(prev) {
			out[i] = float64(ts.Value(i)-ts.Value(prev)) * unitSecs
		}
	}
	return out, nil
}
