package discretize

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

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
		if numericKind(f.Kind) {
			if _, ok := numeric(a); !ok {
				return nil, p.errorf("features[%d]: column %q is %s, %s features need a numeric column", i, f.Column, a.DataType(), f.Kind)
			}
		} else if !isCategory(a) {
			return nil, p.errorf("features[%d]: column %q is %s, category features need a utf8 or integer column", i, f.Column, a.DataType())
		}
	}
	return in, nil
}

// hostRows returns the row indices of the hosts of order, host by host and
// in file order inside a host, and rows[h], the part of idx that is host
// h's (capacity-limited).
func (in *input) hostRows(order []string) (idx []int, rows [][]int) {
	pos := newStrSet(order)
	n := in.src.Len()
	hid := make([]int32, n) // host of every row, -1 if not listed
	counts := make([]int, len(order))
	offs, data := stringBuffers(in.src)
	nulls := in.src.NullN() > 0
	for i := range hid {
		h := pos.findAt(in.src, offs, data, i)
		if nulls && in.src.IsNull(i) {
			h = -1
		}
		hid[i] = h
		if h >= 0 {
			counts[h]++
		}
	}
	total := 0
	next := make([]int, len(order)) // where host h's next row goes
	rows = make([][]int, len(order))
	for h, c := range counts {
		next[h] = total
		total += c
	}
	idx = make([]int, total)
	for h, c := range counts {
		rows[h] = idx[next[h] : next[h]+c : next[h]+c]
	}
	for i, h := range hid {
		if h >= 0 {
			idx[next[h]] = i
			next[h]++
		}
	}
	return idx, rows
}

// sortByTime orders every host's rows by start time, ties by line.
func (in *input) sortByTime(rows [][]int) {
	byTime := func(a, b int) int {
		return cmp.Or(cmp.Compare(in.time[a], in.time[b]), cmp.Compare(in.line[a], in.line[b]))
	}
	for _, r := range rows {
		// Files are in time order more often than not; a stable sort of
		// sorted rows leaves them as they are.
		sorted := true
		t, l := in.time, in.line
		for k := 1; k < len(r); k++ {
			a, b := r[k-1], r[k]
			if t[a] > t[b] || t[a] == t[b] && l[a] > l[b] {
				sorted = false
				break
			}
		}
		if !sorted {
			slices.SortStableFunc(r, byTime)
		}
	}
}

func (in *input) column(name string) arrow.Array {
	return in.rec.Column(in.rec.Schema().FieldIndices(name)[0])
}

// nullError reports the null value of numeric feature f in row i, where
// ("fitting features[f]", or "" when encoding).
func (in *input) nullError(where string, f, i int) error {
	return &load.NullError{Where: strings.TrimSuffix("stage discretize: "+where, ": "), Line: in.line[i],
		Column: in.p.Features[f].Column, Host: in.src.Value(i), Need: "numeric features (percentile, cuts, kmeans)"}
}

// encoder adds one feature's digits to the codes of the output rows.
type encoder struct {
	compat string
	// Numeric features: the values of the output rows (the fit rows
	// first), the cuts, the bin rule and the first output row whose value
	// is null (len(vals) if none).
	vals      []float64
	cuts      []float64
	right     bool
	firstNull int
	// Category features: the id of every input row and the digit of
	// every id.
	ids   []int32
	digit []int32
}

// fit fits feature f on the first nfit rows of idx, the output rows, and
// returns its map and encoder.
func (in *input) fit(f int, feat Feature, idx []int, nfit int, compat string, cat catColumn) (FeatureMap, *encoder, error) {
	fm := FeatureMap{Column: feat.Column, Kind: feat.Kind, Percentiles: slices.Clone(feat.Percentiles)}
	a := in.column(feat.Column)
	e := &encoder{compat: compat, firstNull: len(idx)}
	if numericKind(feat.Kind) {
		num, _ := numeric(a)
		e.vals = make([]float64, len(idx))
		e.firstNull = num.gather(e.vals, idx)
		if e.firstNull < nfit {
			return fm, nil, in.nullError(fmt.Sprintf("fitting features[%d]", f), f, idx[e.firstNull])
		}
		switch feat.Kind {
		case KindCuts:
			fm.Cuts = slices.Clone(feat.Cuts)
		case KindKMeans:
			xs := slices.Clone(e.vals[:nfit])
			slices.Sort(xs)
			fm.Cuts = kmeansCuts(xs, feat.K, feat.Seed)
		default:
			xs := slices.Clone(e.vals[:nfit])
			slices.Sort(xs)
			fm.Cuts = make([]float64, len(feat.Percentiles))
			for k, q := range feat.Percentiles {
				fm.Cuts[k] = Percentile(xs, q)
			}
		}
		e.cuts, e.right, fm.Right, fm.K, fm.Seed = fm.Cuts, feat.Right, feat.Right, feat.K, feat.Seed
		if compat == "" {
			fm.Size = len(fm.Cuts) + 1
		} else {
			fm.Size = len(fm.Cuts)
		}
		return fm, e, nil
	}

	ids, vals := cat.ids, cat.vals
	if len(feat.Categories) > 0 {
		return in.fixedTable(f, feat, idx, cat, fm, e)
	}
	used := make([]bool, len(vals))
	nused := 0
	for _, i := range idx[:nfit] {
		if id := ids[i]; !used[id] {
			used[id] = true
			nused++
		}
	}
	e.ids = ids
	e.digit = make([]int32, len(vals))
	if compat != "" {
		// pandas Categorical(categories=col.unique()): first appearance in
		// the whole table; |M| counts the profiled host's values only.
		for id, v := range vals {
			e.digit[id] = int32(id)
			fm.Categories = append(fm.Categories, v.String())
		}
		fm.Size = nused
		return fm, e, nil
	}
	keys := make([]int32, 0, nused)
	for id, u := range used {
		if u {
			keys = append(keys, int32(id))
		}
	}
	slices.SortFunc(keys, func(a, b int32) int { return vals[a].compare(vals[b]) })
	for id := range e.digit {
		e.digit[id] = int32(len(keys)) // not seen when fitting
	}
	for k, id := range keys {
		e.digit[id] = int32(k)
		fm.Categories = append(fm.Categories, vals[id].String())
	}
	fm.Size = len(keys) + 1
	return fm, e, nil
}

// add adds digit · radix to codes[k] for the output rows idx (a prefix of
// the rows the encoder was fitted with).
func (e *encoder) add(codes []int64, idx []int, radix int64) {
	switch {
	case e.ids != nil:
		ids, digit := e.ids, e.digit
		for k, i := range idx {
			codes[k] += int64(digit[ids[i]]) * radix
		}
	case e.right:
		// FeatureMap.Bin with Right: the number of cuts < v.
		for k, v := range e.vals[:len(idx)] {
			codes[k] += int64(sort.Search(len(e.cuts), func(i int) bool { return e.cuts[i] >= v })) * radix
		}
	case e.compat == "" && slices.IsSorted(e.cuts) && !slices.ContainsFunc(e.cuts, math.IsNaN):
		// FeatureMap.Bin: with sorted cuts, the first cut > v is the
		// number of cuts that are not.
		cuts := e.cuts
		for k, v := range e.vals[:len(idx)] {
			bin := 0
			for _, c := range cuts {
				x := 1
				if c > v {
					x = 0
				}
				bin += x
			}
			codes[k] += int64(bin) * radix
		}
	case e.compat == "":
		for k, v := range e.vals[:len(idx)] {
			codes[k] += int64(bin(e.cuts, v)) * radix
		}
	case e.compat == CompatNotebookList:
		cuts := e.cuts
		for k, v := range e.vals[:len(idx)] {
			prev := 0.0
			for c, cur := range cuts {
				if prev <= v && v < cur {
					codes[k] += int64(c) * radix
					break
				}
				prev = cur
			}
		}
	default:
		// One iterator shared by all calls: next is the index of its next
		// cut; once it is used up every digit is 0.
		cuts := e.cuts
		next := 0
		for k, v := range e.vals[:len(idx)] {
			if next == len(cuts) {
				break
			}
			prev := 0.0
			for c := 0; next < len(cuts); c++ {
				cur := cuts[next]
				next++
				if prev <= v && v < cur {
					codes[k] += int64(c) * radix
					break
				}
				prev = cur
			}
		}
	}
}

// rowColumns are the buffers of the host, line and start_time columns of
// the output rows.
type rowColumns struct {
	n                                   int
	hostOffsets, hostData, lines, times *memory.Buffer
}

// rowColumns writes the buffers of the output rows idx.
func (in *input) rowColumns(mem memory.Allocator, hosts []HostSpan, idx []int) (*rowColumns, error) {
	n := len(idx)
	size := 0
	for _, h := range hosts {
		size += len(h.Host) * h.Flows
	}
	if size > math.MaxInt32 {
		return nil, in.p.errorf("the host column needs %d bytes, more than %d", size, math.MaxInt32)
	}
	rc := &rowColumns{n: n, hostOffsets: newBuffer(mem, 4*(n+1)), hostData: newBuffer(mem, size),
		lines: newBuffer(mem, 8*n), times: newBuffer(mem, 8*n)}
	offs := arrow.Int32Traits.CastFromBytes(rc.hostOffsets.Bytes())[: n+1 : n+1]
	data := rc.hostData.Bytes()[:size:size]
	pos := 0
	for _, h := range hosts {
		if h.Flows == 0 {
			continue
		}
		w := len(h.Host)
		part := data[pos : pos+w*h.Flows]
		copy(part, h.Host)
		for c := w; c < len(part); c *= 2 {
			copy(part[c:], part[:c])
		}
		for k := h.Offset; k < h.Offset+h.Flows; k++ {
			offs[k] = int32(pos)
			pos += w
		}
	}
	offs[n] = int32(pos)
	ls := arrow.Int64Traits.CastFromBytes(rc.lines.Bytes())[:n:n]
	ts := arrow.TimestampTraits.CastFromBytes(rc.times.Bytes())[:n:n]
	for k, i := range idx {
		ls[k] = in.line[i]
		ts[k] = in.time[i]
	}
	return rc, nil
}

// release releases the buffers rc still holds.
func (rc *rowColumns) release() {
	if rc == nil {
		return
	}
	for _, b := range []*memory.Buffer{rc.hostOffsets, rc.hostData, rc.lines, rc.times} {
		if b != nil {
			b.Release()
		}
	}
	*rc = rowColumns{}
}

// record returns the Codes record of rc and codes, one per row.
func (rc *rowColumns) record(mem memory.Allocator, codes []int64) arrow.RecordBatch {
	n := rc.n
	codeBuf := newBuffer(mem, 4*n)
	defer codeBuf.Release()
	cs := arrow.Int32Traits.CastFromBytes(codeBuf.Bytes())[:n:n]
	for k, c := range codes {
		cs[k] = int32(c)
	}
	cols := make([]arrow.Array, 4)
	for c, bufs := range [][]*memory.Buffer{{nil, rc.hostOffsets, rc.hostData}, {nil, rc.lines}, {nil, rc.times}, {nil, codeBuf}} {
		d := array.NewData(CodesSchema.Field(c).Type, n, bufs, nil, 0, 0)
		cols[c] = array.MakeFromData(d)
		d.Release()
	}
	rec := array.NewRecordBatch(CodesSchema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// newBuffer returns a buffer of n bytes from mem.
func newBuffer(mem memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(n)
	return b
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

// numCol is a numeric column read as a Go slice.
type numCol struct {
	a   arrow.Array
	i64 []int64
	i32 []int32
	f64 []float64
}

// numeric returns the numeric column a, if it is one.
func numeric(a arrow.Array) (numCol, bool) {
	switch a := a.(type) {
	case *array.Int64:
		return numCol{a: a, i64: a.Int64Values()}, true
	case *array.Int32:
		return numCol{a: a, i32: a.Int32Values()}, true
	case *array.Float64:
		return numCol{a: a, f64: a.Float64Values()}, true
	}
	return numCol{}, false
}

// gather sets dst[k] to the value of row idx[k] and returns the first k
// whose row is null, or len(idx).
func (c numCol) gather(dst []float64, idx []int) int {
	switch c.a.(type) {
	case *array.Int64:
		for k, i := range idx {
			dst[k] = float64(c.i64[i])
		}
	case *array.Int32:
		for k, i := range idx {
			dst[k] = float64(c.i32[i])
		}
	default:
		for k, i := range idx {
			dst[k] = c.f64[i]
		}
	}
	if c.a.NullN() > 0 {
		for k, i := range idx {
			if c.a.IsNull(i) {
				return k
			}
		}
	}
	return len(idx)
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

func (k catKey) String() string {
	switch {
	case k.null:
		return "(null)"
	case k.isInt:
		return strconv.FormatInt(k.n, 10)
	}
	return k.s
}

// stringBuffers returns the offsets of a's values and its data buffer,
// which they index.
func stringBuffers(a *array.String) ([]int32, []byte) {
	if a.Len() == 0 {
		return nil, nil
	}
	var data []byte
	if b := a.Data().Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	return a.ValueOffsets(), data
}

// isCategory reports whether a can be a category column.
func isCategory(a arrow.Array) bool {
	switch a.(type) {
	case *array.String, *array.Int64, *array.Int32:
		return true
	}
	return false
}

// catColumn is a factorized category column: the id of every row and
// the value of every id.
type catColumn struct {
	ids  []int32
	vals []catKey
}

// catTable collects the distinct values of a category column.
type catTable struct {
	ids    []int32  // id of every row
	vals   []catKey // value of every id
	nullID int32    // id of null, -1 until seen
}

func (t *catTable) add(k catKey) int32 {
	t.vals = append(t.vals, k)
	return int32(len(t.vals) - 1)
}

func (t *catTable) null() int32 {
	if t.nullID < 0 {
		t.nullID = t.add(catKey{null: true})
	}
	return t.nullID
}

// factorize returns the id of every row of the category column a and the
// distinct values, ids in order of first appearance (null included).
func factorize(a arrow.Array) (ids []int32, vals []catKey) {
	t := &catTable{ids: make([]int32, a.Len()), nullID: -1}
	switch a := a.(type) {
	case *array.String:
		nulls := a.NullN() > 0
		table := newStrTable(16)
		var catID []int32 // table id → id (null has no table id)
		offs, data := stringBuffers(a)
		for i := range t.ids {
			if nulls && a.IsNull(i) {
				t.ids[i] = t.null()
				continue
			}
			sid := table.findAt(a, offs, data, i)
			if sid < 0 {
				sid = table.insert(strings.Clone(a.Value(i))) // detached from the Arrow buffer
				catID = append(catID, t.add(catKey{s: table.keys[sid]}))
			}
			t.ids[i] = catID[sid]
		}
	case *array.Int64:
		factorizeInts(t, a.Int64Values(), a)
	case *array.Int32:
		factorizeInts(t, a.Int32Values(), a)
	}
	return t.ids, t.vals
}

// factorizeInts is factorize for integer columns.
func factorizeInts[T int32 | int64](t *catTable, xs []T, a arrow.Array) {
	nulls := a.NullN() > 0
	table := map[T]int32{}
	var prev T
	prevID := int32(-1)
	for i, x := range xs {
		if nulls && a.IsNull(i) {
			t.ids[i] = t.null()
			continue
		}
		if prevID < 0 || x != prev {
			id, ok := table[x]
			if !ok {
				id = t.add(catKey{isInt: true, n: int64(x)})
				table[x] = id
			}
			prev, prevID = x, id
		}
		t.ids[i] = prevID
	}
}

// fixedTable encodes a category feature with a table given in the spec:
// value k of feat.Categories has digit k; a value outside it is an error
// (naming the first such flow's host and line, in output order), the
// extra digit len(Categories), or was dropped before (Run removes such
// rows first).
func (in *input) fixedTable(f int, feat Feature, idx []int, cat catColumn, fm FeatureMap, e *encoder) (FeatureMap, *encoder, error) {
	pos := map[string]int32{}
	for k, c := range feat.Categories {
		pos[c] = int32(k)
	}
	fm.Categories, fm.Unseen = slices.Clone(feat.Categories), feat.Unseen
	extra := int32(len(feat.Categories))
	e.ids, e.digit = cat.ids, make([]int32, len(cat.vals))
	for id, v := range cat.vals {
		d, ok := pos[v.String()]
		if !ok {
			d = -1
			if feat.Unseen == UnseenExtra {
				d = extra
			}
		}
		e.digit[id] = d
	}
	for _, i := range idx {
		if e.digit[cat.ids[i]] < 0 {
			return fm, nil, in.p.errorf("features[%d]: host %s, line %d: %s %q is not in the categories %v (set unseen: extra or drop to keep or drop such flows)",
				f, in.src.Value(i), in.line[i], feat.Column, cat.vals[cat.ids[i]].String(), feat.Categories)
		}
	}
	fm.Size = len(feat.Categories)
	if feat.Unseen == UnseenExtra {
		fm.Size++
	}
	return fm, e, nil
}

// unseenRows reports, for the category features with unseen: drop, which
// input rows hold a value outside their table (nil if no feature drops).
func (in *input) unseenRows(cats []catColumn) []bool {
	var drop []bool
	for f, feat := range in.p.Features {
		if feat.Kind != KindCategory || feat.Unseen != UnseenDrop {
			continue
		}
		if drop == nil {
			drop = make([]bool, in.src.Len())
		}
		known := map[string]bool{}
		for _, c := range feat.Categories {
			known[c] = true
		}
		bad := make([]bool, len(cats[f].vals))
		for id, v := range cats[f].vals {
			bad[id] = !known[v.String()]
		}
		for i, id := range cats[f].ids {
			drop[i] = drop[i] || bad[id]
		}
	}
	return drop
}

// kmeansStream is the PCG stream of a seeded k-means++ start: the seed
// picks the state, this fixed stream the sequence.
const kmeansStream = 0x6b6d65616e73 // "kmeans"

// kmeansCuts returns the cut points between the sorted centres of a 1-D
// k-means of xs (sorted): the midpoints. Lloyd's algorithm from the
// centres at the (j+½)/k quantiles (seed nil), deterministic by
// construction, or from a k-means++ seeding drawn from PCG(*seed,
// kmeansStream) (see plusPlus), deterministic for a seed; in one dimension
// its clusters are runs of the sorted values, so each step is a binary
// search per boundary and prefix sums. Clusters that end up empty, and
// centres that coincide (many equal values), are dropped: fewer bins.
func kmeansCuts(xs []float64, k int, seed *uint64) []float64 {
	n := len(xs)
	if n == 0 {
		return nil
	}
	var centres []float64
	if seed != nil {
		centres = plusPlus(rand.New(rand.NewPCG(*seed, kmeansStream)), xs, k)
	} else {
		centres = make([]float64, 0, k)
		for j := range k {
			centres = append(centres, xs[min(n-1, int((float64(j)+0.5)/float64(k)*float64(n)))])
		}
	}
	centres = slices.Compact(centres)
	centres = lloyd1D(xs, centres)
	cuts := make([]float64, 0, len(centres)-1)
	for j := 1; j < len(centres); j++ {
		cuts = append(cuts, (centres[j-1]+centres[j])/2)
	}
	return cuts
}

// plusPlus is the k-means++ seeding of the sorted values xs, returned
// sorted: the first centre is xs[r.IntN(n)], each next one the first xs[i]
// whose running sum of D(x)² (the squared distance to the nearest centre
// so far, summed in index order) exceeds r.Float64() times the total.
// When every value sits on a centre (total 0) seeding stops: fewer than k
// centres.
func plusPlus(r *rand.Rand, xs []float64, k int) []float64 {
	n := len(xs)
	c := xs[r.IntN(n)]
	centres := []float64{c}
	d2 := make([]float64, n)
	for i, x := range xs {
		d2[i] = (x - c) * (x - c)
	}
	for len(centres) < k {
		total := 0.0
		for _, d := range d2 {
			total += d
		}
		if !(total > 0) || math.IsInf(total, 1) {
			// All values on centres; or distances too large to weigh (a
			// total of +Inf): stop rather than draw from a broken weighting.
			break
		}
		u := r.Float64() * total
		pick, sum := -1, 0.0
		for i, d := range d2 {
			sum += d
			if d > 0 && sum > u {
				pick = i
				break
			}
		}
		if pick < 0 {
			// Rounding left u at or above the running sum: the last value
			// with a positive weight.
			for i := n - 1; i >= 0; i-- {
				if d2[i] > 0 {
					pick = i
					break
				}
			}
		}
		c = xs[pick]
		centres = append(centres, c)
		for i, x := range xs {
			d2[i] = min(d2[i], (x-c)*(x-c))
		}
	}
	slices.Sort(centres)
	return centres
}

// lloyd1D runs Lloyd's algorithm on the sorted values xs from the sorted,
// distinct centres until they stop moving (at most 300 steps) and returns
// the final centres.
func lloyd1D(xs, centres []float64) []float64 {
	n := len(xs)
	prefix := make([]float64, n+1)
	for i, x := range xs {
		prefix[i+1] = prefix[i] + x
	}
	for range 300 {
		// Cluster j holds xs[lo_j:lo_j+1]: values below the midpoint to
		// the next centre.
		next := make([]float64, 0, len(centres))
		lo := 0
		for j := range centres {
			hi := n
			if j+1 < len(centres) {
				mid := (centres[j] + centres[j+1]) / 2
				hi = sort.SearchFloat64s(xs, mid)
			}
			if hi > lo {
				next = append(next, (prefix[hi]-prefix[lo])/float64(hi-lo))
			}
			lo = max(lo, hi)
		}
		next = slices.Compact(next)
		if slices.Equal(next, centres) {
			break
		}
		centres = next
	}
	return centres
}
