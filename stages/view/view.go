package view

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/stages/load"
)

// Version is the version of the step's output for the same Params; it is
// part of the discretize stage's cache key.
const Version = 1

// Views.
const (
	Src  = "src"
	Dst  = "dst"
	Both = "both"
)

// Split kinds.
const (
	ByTime     = "time"
	ByFraction = "fraction"
)

// TestSuffix names the held-out part of a split profiled host.
const TestSuffix = "@test"

// TimeLayout is how Split.At is written for a split by time: the data
// files' own clock, read as UTC like their start times.
const TimeLayout = "2006-01-02 15:04:05"

// Host is one listed host.
type Host struct {
	Source string `json:"source"` // the source's name ("" for the only, unnamed source)
	Addr   string `json:"addr"`   // its address in that source
}

// Name is the host's name in the output: "source:addr" when namespaced.
func (h Host) Name(namespace bool) string {
	if namespace {
		return h.Source + ":" + h.Addr
	}
	return h.Addr
}

// Split cuts profiled hosts into a training and a held-out part.
type Split struct {
	By string `json:"by"` // "time" or "fraction"
	// At is a time (TimeLayout) for By time, a fraction in (0, 1) for
	// By fraction.
	At string `json:"at"`
}

// Params configure the step.
type Params struct {
	// Sources are the source names, in the order of Input.Flows.
	Sources []string `json:"sources"`
	// Namespace writes hosts as "source:addr".
	Namespace bool `json:"namespace,omitempty"`
	// View is src (default), dst or both.
	View string `json:"view,omitempty"`
	// Hosts are the hosts whose flows are kept.
	Hosts []Host `json:"hosts"`
	// Profiles are the hosts Split cuts (a subset of Hosts).
	Profiles []Host `json:"profiles,omitempty"`
	Split    *Split `json:"split,omitempty"`
}

// Validate reports unknown views and splits, hosts of unknown sources and
// an At that does not parse.
func (p Params) Validate() error {
	var errs []error
	if len(p.Sources) == 0 {
		errs = append(errs, errors.New("view: no sources"))
	}
	if !slices.Contains([]string{"", Src, Dst, Both}, p.View) {
		errs = append(errs, fmt.Errorf("view %q: want src, dst or both", p.View))
	}
	for _, h := range append(slices.Clone(p.Hosts), p.Profiles...) {
		if !slices.Contains(p.Sources, h.Source) {
			errs = append(errs, fmt.Errorf("host %s: no source named %q", h.Addr, h.Source))
		}
	}
	if p.Split != nil {
		errs = append(errs, p.Split.Validate())
	}
	return errors.Join(errs...)
}

// Validate reports an unknown By and an At that does not parse.
func (s Split) Validate() error {
	_, _, err := s.parse()
	return err
}

// parse returns the split's time (By time) or fraction (By fraction).
func (s Split) parse() (time.Time, float64, error) {
	switch s.By {
	case ByTime:
		t, err := time.Parse(TimeLayout, s.At)
		if err != nil {
			return t, 0, fmt.Errorf("split at %q: want a time like \"2011-08-18 12:00:00\" (the data's clock)", s.At)
		}
		return t, 0, nil
	case ByFraction:
		var f float64
		if _, err := fmt.Sscan(s.At, &f); err != nil || !(f > 0 && f < 1) {
			return time.Time{}, 0, fmt.Errorf("split at %q: want a fraction between 0 and 1 (exclusive)", s.At)
		}
		return time.Time{}, f, nil
	}
	return time.Time{}, 0, fmt.Errorf("split by %q: want time or fraction", s.By)
}

// Input is the loaded, filtered flows of every source, in Params.Sources
// order. Each must have the line, start_time and src_addr columns (and
// dst_addr for the dst and both views) and the same schema.
type Input struct {
	Mem   memory.Allocator
	Flows []arrow.RecordBatch
}

// Stats count the rows the step wrote.
type Stats struct {
	Rows     int            `json:"rows"`
	PerHost  map[string]int `json:"per_host"`
	HeldOut  map[string]int `json:"held_out,omitempty"` // rows of each split host's test part
	Training map[string]int `json:"training,omitempty"` // rows of each split host's training part
}

// Result is the step's output.
type Result struct {
	Flows arrow.RecordBatch // the caller releases it
	Stats Stats
}

// Run gathers the listed hosts' flows.
func Run(ctx context.Context, in Input, p Params) (*Result, error) {
	rec, st, err := run(ctx, in, p)
	if err != nil {
		return nil, err
	}
	return &Result{Flows: rec, Stats: st}, nil
}

func run(ctx context.Context, in Input, p Params) (arrow.RecordBatch, Stats, error) {
	st := Stats{PerHost: map[string]int{}}
	if err := p.Validate(); err != nil {
		return nil, st, fmt.Errorf("stage view: %w", err)
	}
	if len(in.Flows) != len(p.Sources) {
		return nil, st, fmt.Errorf("stage view: %d flow tables for %d sources", len(in.Flows), len(p.Sources))
	}
	mem := in.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	schema := in.Flows[0].Schema()
	for i, f := range in.Flows[1:] {
		if !f.Schema().Equal(schema) {
			return nil, st, fmt.Errorf("stage view: source %s has columns %v, source %s %v", p.Sources[i+1], names(f.Schema()), p.Sources[0], names(schema))
		}
	}
	view := cmp.Or(p.View, Src)
	var parts []arrow.RecordBatch
	defer func() {
		for _, r := range parts {
			r.Release()
		}
	}()
	for si, rec := range in.Flows {
		if err := ctx.Err(); err != nil {
			return nil, st, err
		}
		rows, hosts, err := gather(rec, p, p.Sources[si], view)
		if err != nil {
			return nil, st, fmt.Errorf("stage view: source %s: %w", p.Sources[si], err)
		}
		if p.Split != nil {
			if err := split(rec, p, p.Sources[si], rows, hosts, &st); err != nil {
				return nil, st, fmt.Errorf("stage view: source %s: %w", p.Sources[si], err)
			}
		}
		part, err := take(ctx, mem, rec, rows, hosts)
		if err != nil {
			return nil, st, fmt.Errorf("stage view: source %s: %w", p.Sources[si], err)
		}
		parts = append(parts, part)
		for _, h := range hosts {
			st.PerHost[h]++
		}
		st.Rows += len(rows)
	}
	if len(parts) == 1 {
		out := parts[0]
		parts = nil
		return out, st, nil
	}
	out, err := concat(mem, parts)
	if err != nil {
		return nil, st, fmt.Errorf("stage view: %w", err)
	}
	return out, st, nil
}

func names(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name)
	}
	return out
}

func stringColumn(rec arrow.RecordBatch, name string) (*array.String, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		return nil, fmt.Errorf("input has no %q column", name)
	}
	a, ok := rec.Column(idx[0]).(*array.String)
	if !ok {
		return nil, fmt.Errorf("column %q is %s, want utf8", name, rec.Column(idx[0]).DataType())
	}
	return a, nil
}

// gather returns the rows of rec that belong to a listed host of source,
// in file order (a row twice under view both when both ends are listed),
// and the name of the host each belongs to.
func gather(rec arrow.RecordBatch, p Params, source, view string) ([]int64, []string, error) {
	listed := map[string]string{}
	for _, h := range p.Hosts {
		if h.Source == source {
			listed[h.Addr] = h.Name(p.Namespace)
		}
	}
	var src, dst *array.String
	var err error
	if view != Dst {
		if src, err = stringColumn(rec, load.ColSrcAddr); err != nil {
			return nil, nil, err
		}
	}
	if view != Src {
		if dst, err = stringColumn(rec, load.ColDstAddr); err != nil {
			return nil, nil, err
		}
	}
	var rows []int64
	var hosts []string
	for i := 0; i < int(rec.NumRows()); i++ {
		var a, b string
		if src != nil && src.IsValid(i) {
			a = src.Value(i)
			if name, ok := listed[a]; ok {
				rows, hosts = append(rows, int64(i)), append(hosts, name)
			}
		}
		if dst != nil && dst.IsValid(i) {
			if b = dst.Value(i); b != a || src == nil {
				if name, ok := listed[b]; ok {
					rows, hosts = append(rows, int64(i)), append(hosts, name)
				}
			}
		}
	}
	return rows, hosts, nil
}

// split renames the held-out rows of the profiled hosts of source.
func split(rec arrow.RecordBatch, p Params, source string, rows []int64, hosts []string, st *Stats) error {
	at, frac, err := p.Split.parse()
	if err != nil {
		return err
	}
	idx := rec.Schema().FieldIndices(load.ColStartTime)
	if len(idx) != 1 {
		return fmt.Errorf("input has no %q column", load.ColStartTime)
	}
	ts, ok := rec.Column(idx[0]).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("column %q is %s, want a timestamp", load.ColStartTime, rec.Column(idx[0]).DataType())
	}
	unit := ts.DataType().(*arrow.TimestampType).Unit
	lines, _ := rec.Column(rec.Schema().FieldIndices(load.ColLine)[0]).(*array.Int64)
	if st.HeldOut == nil {
		st.HeldOut, st.Training = map[string]int{}, map[string]int{}
	}
	for _, h := range p.Profiles {
		if h.Source != source {
			continue
		}
		name := h.Name(p.Namespace)
		var mine []int // positions in rows of the host's rows
		for k, hn := range hosts {
			if hn == name {
				mine = append(mine, k)
			}
		}
		// Time order, ties by line: the order discretize gives the flows.
		slices.SortStableFunc(mine, func(a, b int) int {
			c := cmp.Compare(ts.Value(int(rows[a])), ts.Value(int(rows[b])))
			if c == 0 && lines != nil {
				c = cmp.Compare(lines.Value(int(rows[a])), lines.Value(int(rows[b])))
			}
			return c
		})
		train := 0
		if p.Split.By == ByFraction {
			train = int(math.Floor(frac * float64(len(mine))))
		} else {
			for train < len(mine) && ts.Value(int(rows[mine[train]])).ToTime(unit).Before(at) {
				train++
			}
		}
		for _, k := range mine[train:] {
			hosts[k] = name + TestSuffix
		}
		st.Training[name] += train
		st.HeldOut[name+TestSuffix] += len(mine) - train
	}
	return nil
}

// take gathers rows of rec, with src_addr replaced by the host names.
func take(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, rows []int64, hosts []string) (arrow.RecordBatch, error) {
	ib := array.NewInt64Builder(mem)
	defer ib.Release()
	ib.AppendValues(rows, nil)
	indices := ib.NewInt64Array()
	defer indices.Release()
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	cctx := compute.WithAllocator(ctx, mem)
	for i, f := range rec.Schema().Fields() {
		if f.Name == load.ColSrcAddr {
			sb := array.NewStringBuilder(mem)
			sb.AppendValues(hosts, nil)
			cols[i] = sb.NewStringArray()
			sb.Release()
			continue
		}
		c, err := compute.TakeArray(cctx, rec.Column(i), indices)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(len(rows))), nil
}

// concat appends records of one schema.
func concat(mem memory.Allocator, recs []arrow.RecordBatch) (arrow.RecordBatch, error) {
	schema := recs[0].Schema()
	cols := make([]arrow.Array, schema.NumFields())
	n := int64(0)
	for _, r := range recs {
		n += r.NumRows()
	}
	for i := range cols {
		parts := make([]arrow.Array, len(recs))
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			for _, c := range cols[:i] {
				c.Release()
			}
			return nil, err
		}
		cols[i] = c
	}
	out := array.NewRecordBatch(schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// HostNames lists the names of hosts, "@test" parts of split profiles
// after their host.
func (p Params) HostNames() []string {
	var out []string
	for _, h := range p.Hosts {
		out = append(out, h.Name(p.Namespace))
		if p.Split != nil && slices.Contains(p.Profiles, h) {
			out = append(out, h.Name(p.Namespace)+TestSuffix)
		}
	}
	return out
}
