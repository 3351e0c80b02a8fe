package discretize

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"botprof/stages/load"
)

// input is the part of the flow record the stage reads.
type input struct {
	rec  arrow.RecordBatch
	line []int64
	time []arrow.Timestamp
	src  *array.String
	p    Params
}

func newInput(flows arrow.RecordBatch, p Params) (*input, error) {
	in := &input{rec: flows, p: p}
	col := func(name string) (arrow.Array, error) {
		idx := flows.Schema().FieldIndices(name)
		if len(idx) != 1 {
			return nil, p.errorf("input has no %q column", name)
		}
		return flows.Column(idx[0]), nil
	}
	line, err := col(load.ColLine)
	if err != nil {
		return nil, err
	}
	start, err := col(load.ColStartTime)
	if err != nil {
		return nil, err
	}
	src, err := col(load.ColSrcAddr)
	if err != nil {
		return nil, err
	}
	l, ok1 := line.(*array.Int64)
	t, ok2 := start.(*array.Timestamp)
	s, ok3 := src.(*array.String)
	if !ok1 || !ok2 || !ok3 || l.NullN() > 0 || t.NullN() > 0 {
		return nil, p.errorf("columns line, start_time, src_addr are %s, %s, %s with %d, %d nulls: want int64, timestamp, utf8 without nulls",
			line.DataType(), start.DataType(), src.DataType(), line.NullN(), start.NullN())
	}
	in.line, in.time, in.src = l.Int64Values(), t.TimestampValues(), s
	for i, f := range p.Features {
		a, err := col(f.Column)
		if err != nil {
			return nil, err
		}
		if f.Kind == KindPercentile {
			if _, ok := numeric(a); !ok {
				return nil, p.errorf("features[%d]: column %q is %s, percentile features need a numeric column", i, f.Column, a.DataType())
			}
		} else if _, ok := category(a); !ok {
			return nil, p.errorf("features[%d]: column %q is %s, category features need a utf8 or integer column", i, f.Column, a.DataType())
		}
	}
	return in, nil
}

// hostRows returns, for every host of order, its row indices in file order.
func (in *input) hostRows(order []string) [][]int {
	pos := make(map[string]int, len(order))
	for i, h := range order {
		pos[h] = i
	}
	rows := make([][]int, len(order))
	for i := 0; i < in.src.Len(); i++ {
		if in.src.IsNull(i) {
			continue
		}
		if h, ok := pos[in.src.Value(i)]; ok {
			rows[h] = append(rows[h], i)
		}
	}
	return rows
}

// sortByTime orders every host's rows by start time, ties by line.
func (in *input) sortByTime(rows [][]int) {
	for _, r := range rows {
		slices.SortStableFunc(r, func(a, b int) int {
			return cmp.Or(cmp.Compare(in.time[a], in.time[b]), cmp.Compare(in.line[a], in.line[b]))
		})
	}
}

// digitFunc returns the digit of one feature for row i.
type digitFunc func(i int) (int, error)

func (in *input) column(name string) arrow.Array {
	return in.rec.Column(in.rec.Schema().FieldIndices(name)[0])
}

// fit fits feature f on the rows fit and returns its map and digit function.
func (in *input) fit(f int, feat Feature, fit []int, compat string) (FeatureMap, digitFunc, error) {
	fm := FeatureMap{Column: feat.Column, Kind: feat.Kind, Percentiles: slices.Clone(feat.Percentiles)}
	a := in.column(feat.Column)
	if feat.Kind == KindPercentile {
		num, _ := numeric(a)
		value := func(i int) (float64, error) {
			v, ok := num(i)
			if !ok {
				return 0, fmt.Errorf("line %d: %s is null; percentile features need a value", in.line[i], feat.Column)
			}
			return v, nil
		}
		xs := make([]float64, len(fit))
		for k, i := range fit {
			v, err := value(i)
			if err != nil {
				return fm, nil, in.p.errorf("fitting features[%d]: %w", f, err)
			}
			xs[k] = v
		}
		slices.Sort(xs)
		fm.Cuts = make([]float64, len(feat.Percentiles))
		for k, q := range feat.Percentiles {
			fm.Cuts[k] = Percentile(xs, q)
		}
		if compat == "" {
			fm.Size = len(fm.Cuts) + 1
			return fm, func(i int) (int, error) {
				v, err := value(i)
				return fm.Bin(v), err
			}, nil
		}
		fm.Size = len(fm.Cuts)
		next := 0 // the shared Python 3 iterator: index of its next cut
		return fm, func(i int) (int, error) {
			v, err := value(i)
			if err != nil {
				return 0, err
			}
			if compat == CompatNotebookList {
				next = 0
			}
			prev := 0.0
			for k := 0; next < len(fm.Cuts); k++ {
				cur := fm.Cuts[next]
				next++
				if prev <= v && v < cur {
					return k, nil
				}
				prev = cur
			}
			return 0, nil
		}, nil
	}

	key, _ := category(a)
	if compat != "" {
		// pandas Categorical(categories=col.unique()): first appearance in
		// the whole table; |M| counts the profiled host's values only.
		table := map[catKey]int{}
		for i := 0; i < a.Len(); i++ {
			k := key(i)
			if _, ok := table[k]; !ok {
				table[k] = len(table)
				fm.Categories = append(fm.Categories, k.clone().String())
			}
		}
		used := map[catKey]bool{}
		for _, i := range fit {
			used[key(i)] = true
		}
		fm.Size = len(used)
		return fm, func(i int) (int, error) { return table[key(i)], nil }, nil
	}
	seen := map[catKey]bool{}
	for _, i := range fit {
		seen[key(i)] = true
	}
	keys := make([]catKey, 0, len(seen))
	for k := range seen {
		keys = append(keys, k.clone())
	}
	slices.SortFunc(keys, catKey.compare)
	table := make(map[catKey]int, len(keys))
	for k, c := range keys {
		table[c] = k
		fm.Categories = append(fm.Categories, c.String())
	}
	fm.Size = len(keys) + 1
	return fm, func(i int) (int, error) {
		if d, ok := table[key(i)]; ok {
			return d, nil
		}
		return len(keys), nil
	}, nil
}

// Percentile returns numpy's np.percentile(x, q) with the default linear
// method, for sorted x and q on the 0..100 scale: with h = (n−1)·q/100,
// lo = ⌊h⌋ and γ = h − lo, it is x[lo] + γ·(x[lo+1] − x[lo]), computed as
// numpy does (from the upper end when γ ≥ 0.5) so results agree bit for bit.
// It panics if x is empty.
func Percentile(x []float64, q float64) float64 {
	n := len(x)
	h := float64(n-1) * (q / 100)
	lo := math.Floor(h)
	g := h - lo
	i := min(max(int(lo), 0), n-1)
	j := min(i+1, n-1)
	a, b := x[i], x[j]
	d := b - a
	if g >= 0.5 {
		return b - d*(1-g)
	}
	return a + d*g
}

// numeric returns an accessor of a numeric column: the value as float64
// and whether it is valid (not null).
func numeric(a arrow.Array) (func(i int) (float64, bool), bool) {
	switch a := a.(type) {
	case *array.Int64:
		return func(i int) (float64, bool) { return float64(a.Value(i)), a.IsValid(i) }, true
	case *array.Int32:
		return func(i int) (float64, bool) { return float64(a.Value(i)), a.IsValid(i) }, true
	case *array.Float64:
		return func(i int) (float64, bool) { return a.Value(i), a.IsValid(i) }, true
	}
	return nil, false
}

// catKey is a category value: a string, an integer or null.
type catKey struct {
	null  bool
	isInt bool
	n     int64
	s     string
}

// compare orders null first, then integers numerically, then strings.
func (k catKey) compare(o catKey) int {
	if k.null || o.null {
		return cmp.Compare(b2i(o.null), b2i(k.null))
	}
	return cmp.Or(cmp.Compare(k.n, o.n), strings.Compare(k.s, o.s))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// clone detaches a string key from the Arrow buffer it points into.
func (k catKey) clone() catKey {
	k.s = strings.Clone(k.s)
	return k
}

func (k catKey) String() string {
	switch {
	case k.null:
		return "(null)"
	case k.isInt:
		return strconv.FormatInt(k.n, 10)
	}
	return k.s
}

// category returns an accessor of a category column.
func category(a arrow.Array) (func(i int) catKey, bool) {
	switch a := a.(type) {
	case *array.String:
		return func(i int) catKey {
			if a.IsNull(i) {
				return catKey{null: true}
			}
			return catKey{s: a.Value(i)}
		}, true
	case *array.Int64:
		return func(i int) catKey {
			if a.IsNull(i) {
				return catKey{null: true}
			}
			return catKey{isInt: true, n: a.Value(i)}
		}, true
	case *array.Int32:
		return func(i int) catKey {
			if a.IsNull(i) {
				return catKey{null: true}
			}
			return catKey{isInt: true, n: int64(a.Value(i))}
		}, true
	}
	return nil, false
}
