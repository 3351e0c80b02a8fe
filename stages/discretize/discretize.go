package discretize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/stages"
	"botprof/stages/load"
)

// Feature kinds.
const (
	KindPercentile = "percentile" // cuts at percentiles of the fit values
	KindCuts       = "cuts"       // cuts given in the spec
	KindKMeans     = "kmeans"     // cuts between 1-D k-means centres of the fit values
	KindCategory   = "category"
)

// FitOn values.
const (
	FitProfile = "profile"
	FitAll     = "all"
)

// Compat values. The default ("") is the correct method.
const (
	// CompatNotebook reproduces the notebook under Python 3. Percentile
	// features: the cuts are np.percentile(profile values, Percentiles)
	// with Percentiles on numpy's 0–100 scale as written (the notebook
	// passes 0.1 … 0.9), |M| = len(Percentiles), and a value is binned by
	//
	//	prev = 0
	//	for i, cur in enumerate(cuts): if prev <= v < cur: return i; prev = cur
	//	return 0
	//
	// where cuts is ONE iterator (Python 3 map) shared by every call: a call
	// resumes where the previous one stopped and, once the iterator is
	// exhausted, returns 0. Calls happen flow by flow, the profiled host
	// first, then the other hosts in Params.Hosts order, each host in file
	// (line) order. Category features: codes by first appearance in the
	// whole input table (pandas Categorical on the filtered table), and
	// |M| = the number of distinct values the profiled host has, which may
	// be smaller than the largest code + 1. Fitting is always on the
	// profiled host.
	CompatNotebook = "notebook"
	// CompatNotebookList is CompatNotebook with the cuts read as a list
	// (list(map(...))): every call iterates all cuts afresh.
	CompatNotebookList = "notebook-list"
)

// Feature is one digit of the flow code.
type Feature struct {
	// Column is a load.Schema column. Percentile features take numeric
	// columns (bytes, packets, duration, src_bytes, src_port, dst_port,
	// stos, dtos, flows); a null value is an error naming the line.
	// Category features take any utf8 or integer column; null is its own
	// category, written "(null)".
	Column string `json:"column" yaml:"column"`
	// Kind is "percentile", "cuts" or "kmeans" (numeric bins) or
	// "category".
	Kind string `json:"kind" yaml:"kind"`
	// Percentiles are numpy-scale (0..100) percentiles of the fit values
	// used as cut points; [20, 40, 60, 80] gives quintiles.
	Percentiles []float64 `json:"percentiles,omitempty" yaml:"percentiles"`
	// Cuts are the cut points of a cuts feature, increasing.
	Cuts []float64 `json:"cuts,omitempty" yaml:"cuts"`
	// K is the number of k-means clusters of a kmeans feature.
	K int `json:"k,omitempty" yaml:"k"`
	// Seed, when set, starts a kmeans feature's Lloyd iterations from a
	// k-means++ seeding drawn with it (see kmeansCuts) instead of from the
	// (j+½)/k quantiles. Nil (the default) keeps the quantile start, and
	// keeps the field out of the cache key.
	Seed *uint64 `json:"seed,omitempty" yaml:"seed"`
	// Right is the bin rule of numeric features: false (the default, numpy
	// digitize's) puts v in bin i when cut_i-1 <= v < cut_i, so the digit
	// is the number of cuts <= v; true when cut_i-1 < v <= cut_i, the
	// number of cuts < v.
	Right bool `json:"right,omitempty" yaml:"right"`
	// Categories is a fixed category table (value k has digit k) instead
	// of one fitted on the data; Unseen says what a value outside it does:
	// "error" (the default), "extra" (one more digit) or "drop" (the flow
	// is removed before windowing, as if the file did not have it).
	Categories []string `json:"categories,omitempty" yaml:"categories"`
	Unseen     string   `json:"unseen,omitempty" yaml:"unseen"`
}

// Unseen policies of a fixed category table.
const (
	UnseenError = "error"
	UnseenExtra = "extra"
	UnseenDrop  = "drop"
)

// numericKind reports whether kind bins a numeric column.
func numericKind(kind string) bool {
	return kind == KindPercentile || kind == KindCuts || kind == KindKMeans
}

// Version is the version of the stage's output for the same Params and
// input: part of its cache key. 2: Mapping.FitHosts.
const Version = 2

// Input is the stage's input: the flows of the hosts (line, start_time,
// src_addr naming the host, the feature columns).
type Input struct {
	Mem   memory.Allocator // nil: memory.DefaultAllocator
	Flows arrow.RecordBatch
}

// Params configures the stage.
type Params struct {
	Features []Feature `json:"features" yaml:"features"`
	// FitOn is "profile" (default) or "all" (every listed host's flows).
	FitOn string `json:"fit_on" yaml:"fit_on"`
	// Compat is "", "notebook" or "notebook-list".
	Compat string `json:"compat,omitempty" yaml:"compat"`
	// Profile is the profiled host (a src_addr).
	Profile string `json:"profile" yaml:"profile"`
	// MoreProfiles are further profiled hosts: under fit_on profile the
	// cuts and tables are fitted on the flows of Profile and these.
	MoreProfiles []string `json:"more_profiles,omitempty" yaml:"more_profiles"`
	// Hosts are the other hosts to encode, in order (normal, then
	// infected). The profile, if listed, and repeats are skipped.
	Hosts []string `json:"hosts" yaml:"hosts"`
}

// NotebookFeatures returns the notebook's features: the protocol as a
// category, then bytes binned by the 0.1st, 0.3rd, 0.5th, 0.7th and 0.9th
// percentiles (np.arange(.1, 1, 1/5) passed to np.percentile).
func NotebookFeatures() []Feature {
	return []Feature{
		{Column: load.ColProto, Kind: KindCategory},
		{Column: load.ColBytes, Kind: KindPercentile, Percentiles: []float64{0.1, 0.3, 0.5, 0.7, 0.9}},
	}
}

// HostOrder returns the encoding order: the profiled hosts, then Hosts,
// without repeats.
func (p Params) HostOrder() []string {
	return unique(append(p.profiles(), p.Hosts...))
}

// profiles lists Profile and MoreProfiles without repeats.
func (p Params) profiles() []string {
	return unique(append([]string{p.Profile}, p.MoreProfiles...))
}

func unique(hosts []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range hosts {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

func (p Params) fitOn() string {
	if p.FitOn == "" {
		return FitProfile
	}
	return p.FitOn
}

// NoFitFlowsError is Run's error when the hosts the cuts are fitted on
// (Profile and MoreProfiles) have no flow among the input's.
type NoFitFlowsError struct {
	Hosts []string
}

func (e *NoFitFlowsError) Error() string {
	return fmt.Sprintf("stage discretize: profiled host %s has no flows", strings.Join(e.Hosts, ", "))
}

func (p Params) errorf(format string, args ...any) error {
	return fmt.Errorf("stage discretize: "+format, args...)
}

// Validate reports parameter mistakes, all of them.
func (p Params) Validate() error {
	var errs []error
	if p.Profile == "" {
		errs = append(errs, p.errorf("no profiled host"))
	}
	if len(p.Features) == 0 {
		errs = append(errs, p.errorf("no features"))
	}
	switch p.Compat {
	case "", CompatNotebook, CompatNotebookList:
	default:
		errs = append(errs, p.errorf("compat %q: want \"\", %q or %q", p.Compat, CompatNotebook, CompatNotebookList))
	}
	switch p.fitOn() {
	case FitProfile:
		if p.Compat != "" && len(p.MoreProfiles) > 0 {
			errs = append(errs, p.errorf("compat %q fits on one profiled host, not %d", p.Compat, 1+len(p.MoreProfiles)))
		}
	case FitAll:
		if p.Compat != "" {
			errs = append(errs, p.errorf("compat %q fits on the profiled host only, not fit_on %q", p.Compat, p.FitOn))
		}
	default:
		errs = append(errs, p.errorf("fit_on %q: want %q or %q", p.FitOn, FitProfile, FitAll))
	}
	for i, f := range p.Features {
		at := func(field, format string, args ...any) {
			errs = append(errs, stages.Fieldf("discretize", fmt.Sprintf("features[%d].%s", i, field), format, args...))
		}
		if f.Kind != KindPercentile && len(f.Percentiles) > 0 {
			at("percentiles", "percentiles belong to a percentile feature, not %s", f.Kind)
		}
		if f.Kind != KindCuts && len(f.Cuts) > 0 {
			at("cuts", "cuts belong to a cuts feature, not %s", f.Kind)
		}
		if f.Kind != KindKMeans && f.K != 0 {
			at("k", "k belongs to a kmeans feature, not %s", f.Kind)
		}
		if f.Kind != KindKMeans && f.Seed != nil {
			at("seed", "seed belongs to a kmeans feature, not %s", f.Kind)
		}
		if f.Kind == KindCategory && f.Right {
			at("right", "a bin rule belongs to a numeric feature")
		}
		if f.Kind != KindCategory && len(f.Categories) > 0 {
			at("categories", "categories belong to a category feature, not %s", f.Kind)
		}
		if f.Kind != KindCategory && f.Unseen != "" {
			at("unseen", "unseen belongs to a category feature, not %s", f.Kind)
		}
		if p.Compat != "" && (f.Kind == KindCuts || f.Kind == KindKMeans || f.Right || len(f.Categories) > 0) {
			at("kind", "compat %s reproduces the notebook's percentile and category features only", p.Compat)
		}
		switch f.Kind {
		case KindPercentile:
			if len(f.Percentiles) == 0 {
				at("percentiles", "a percentile feature needs cut points, e.g. [20, 40, 60, 80]")
			}
			for j, q := range f.Percentiles {
				if !(q >= 0 && q <= 100) {
					at(fmt.Sprintf("percentiles[%d]", j), "%v is outside 0..100", q)
				} else if p.Compat == "" && j > 0 && q < f.Percentiles[j-1] {
					// Equal percentiles give an empty bin; specs refuse
					// them (Spec.Validate), the stage computes them.
					at(fmt.Sprintf("percentiles[%d]", j), "percentiles must not decrease (%v after %v)", q, f.Percentiles[j-1])
				}
			}
		case KindCuts:
			if len(f.Cuts) == 0 {
				at("cuts", "a cuts feature needs cut points, e.g. [100, 1000]")
			}
			for j, c := range f.Cuts {
				if math.IsNaN(c) || math.IsInf(c, 0) {
					at(fmt.Sprintf("cuts[%d]", j), "%v is not a finite number", c)
				} else if j > 0 && c <= f.Cuts[j-1] {
					at(fmt.Sprintf("cuts[%d]", j), "cut points must increase (%v after %v)", c, f.Cuts[j-1])
				}
			}
		case KindKMeans:
			if f.K < 2 || f.K > 256 {
				at("k", "want 2..256 clusters, got %d", f.K)
			}
		case KindCategory:
			switch f.Unseen {
			case "", UnseenError, UnseenExtra, UnseenDrop:
			default:
				at("unseen", "%q is not one of error, extra, drop", f.Unseen)
			}
			if f.Unseen != "" && len(f.Categories) == 0 {
				at("unseen", "applies to a fixed table: list the categories")
			}
			for j, c := range f.Categories {
				if slices.Index(f.Categories, c) < j {
					at(fmt.Sprintf("categories[%d]", j), "%q is listed twice", c)
				}
			}
		default:
			at("kind", "%q is not one of percentile, cuts, kmeans, category", f.Kind)
		}
	}
	return errors.Join(errs...)
}

// FeatureMap is one fitted feature.
type FeatureMap struct {
	Column      string    `json:"column"`
	Kind        string    `json:"kind"`
	Percentiles []float64 `json:"percentiles,omitempty"`
	// Cuts are the cut points of a numeric feature (fitted, or given).
	Cuts []float64 `json:"cuts,omitempty"`
	// K is the number of clusters a kmeans feature asked for; Cuts has
	// K-1 cuts or fewer (clusters that coincide or empty are merged).
	K int `json:"k,omitempty"`
	// Seed is a kmeans feature's k-means++ seed, if it has one.
	Seed *uint64 `json:"seed,omitempty"`
	// Right is the bin rule (see Feature.Right).
	Right bool `json:"right,omitempty"`
	// Unseen is a fixed category table's policy (see Feature.Unseen).
	Unseen string `json:"unseen,omitempty"`
	// Categories is the ordered table of a category feature: value k has
	// digit k. By default it is sorted (null first, integers numerically)
	// and one more digit, len(Categories), stands for values not seen when
	// fitting; in notebook compat it is in order of first appearance.
	Categories []string `json:"categories,omitempty"`
	// Size is |M|, the radix of this digit.
	Size int `json:"size"`
}

// Bin returns the digit of v of a numeric feature (outside notebook
// compat): the number of cuts ≤ v (or < v with Right), so k cuts give k+1
// bins.
func (f *FeatureMap) Bin(v float64) int {
	if f.Right {
		return sort.Search(len(f.Cuts), func(i int) bool { return f.Cuts[i] >= v })
	}
	return bin(f.Cuts, v)
}

// bin is the index of the first cut > v (len(cuts) if none).
func bin(cuts []float64, v float64) int {
	return sort.Search(len(cuts), func(i int) bool { return cuts[i] > v })
}

// Mapping is the fitted discretization, JSON-serialisable (mapping.json).
type Mapping struct {
	Features []FeatureMap `json:"features"`
	Compat   string       `json:"compat"`
	FitOn    string       `json:"fit_on"`
	// FitHosts are the hosts whose flows the cuts and tables were fitted
	// on under FitOn profile (Profile and MoreProfiles: the profiled
	// hosts, or a spec's fit_on host list or fit_host); empty under all.
	FitHosts []string `json:"fit_hosts,omitempty"`
	// Symbols is the number of distinct codes the model must accept.
	Symbols int `json:"symbols"`
	// Dropped counts the flows removed for a category value outside a
	// fixed table (unseen: drop).
	Dropped int `json:"dropped,omitempty"`
}

// Warnings describes the features whose cuts coincide: each repeated cut
// is a bin no value can fall in, so the code has fewer distinct values
// than its Size says (percentiles of a column concentrated on a few
// values, as bytes on CTU-13's bot traffic: 20/40/60/80 all at 1066).
func (m *Mapping) Warnings() []string {
	var out []string
	for _, f := range m.Features {
		same := 0
		for i := 1; i < len(f.Cuts); i++ {
			if f.Cuts[i] == f.Cuts[i-1] {
				same++
			}
		}
		if same > 0 {
			verb := "repeat"
			if same == 1 {
				verb = "repeats"
			}
			out = append(out, fmt.Sprintf("discretize: %s: %d of its %d cuts %s the one before (%s), so %d of its %d bins can hold no flow",
				f.Column, same, len(f.Cuts), verb, formatCuts(f.Cuts), same, len(f.Cuts)+1))
		}
	}
	return out
}

// formatCuts writes cuts as "a, b, c" (shortest float formatting).
func formatCuts(cuts []float64) string {
	s := make([]string, len(cuts))
	for i, c := range cuts {
		s[i] = strconv.FormatFloat(c, 'g', -1, 64)
	}
	return strings.Join(s, ", ")
}

// dropRows removes the rows marked in drop from idx and from every host's
// rows (parts of idx), keeping their order, and counts them.
func dropRows(idx []int, rows [][]int, drop []bool) ([]int, [][]int, int) {
	out := make([]int, 0, len(idx))
	kept := make([][]int, len(rows))
	for h, r := range rows {
		start := len(out)
		for _, i := range r {
			if !drop[i] {
				out = append(out, i)
			}
		}
		kept[h] = out[start:len(out):len(out)]
	}
	return out, kept, len(idx) - len(out)
}

// HostSpan locates one host's flows in Result.Codes.
type HostSpan struct {
	Host   string `json:"host"`
	Offset int    `json:"offset"`
	Flows  int    `json:"flows"`
}

// Column names of CodesSchema.
const (
	ColHost = "host"
	ColCode = "code"
)

// CodesSchema is the schema of Result.Codes.
var CodesSchema = arrow.NewSchema([]arrow.Field{
	{Name: ColHost, Type: arrow.BinaryTypes.String},
	{Name: load.ColLine, Type: arrow.PrimitiveTypes.Int64},
	{Name: load.ColStartTime, Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: ColCode, Type: arrow.PrimitiveTypes.Int32},
}, nil)

// Result is the stage output. Release it when done.
type Result struct {
	// Codes has one row per flow of the listed hosts (CodesSchema), grouped
	// by host in HostOrder, in time order (ties by line) inside a host —
	// in file order under notebook compat, as the notebook reads them.
	Codes arrow.RecordBatch
	// Hosts lists every host of HostOrder, those without flows included.
	Hosts   []HostSpan
	Mapping Mapping
	// Symbols is Mapping.Symbols: Π |M_f|, or the largest code + 1 when
	// notebook compat produces codes beyond that product.
	Symbols int
}

// Release releases Codes.
func (r *Result) Release() {
	if r.Codes != nil {
		r.Codes.Release()
		r.Codes = nil
	}
}

// CheckCodes reports a Result whose Codes lack a null-free int32 code
// column or whose Hosts spans fall outside it, as a Result read back from
// a cache could. HostCodes needs a Result that passes.
func (r *Result) CheckCodes() error {
	if r.Codes == nil {
		return fmt.Errorf("no code record")
	}
	idx := r.Codes.Schema().FieldIndices(ColCode)
	if len(idx) != 1 {
		return fmt.Errorf("code record has no %q column", ColCode)
	}
	col := r.Codes.Column(idx[0])
	c, ok := col.(*array.Int32)
	if !ok || col.NullN() > 0 {
		return fmt.Errorf("column %q is %s with %d nulls, want int32 without nulls", ColCode, col.DataType(), col.NullN())
	}
	for _, h := range r.Hosts {
		if h.Offset < 0 || h.Flows < 0 || h.Offset+h.Flows > c.Len() {
			return fmt.Errorf("host %s: rows [%d, %d) outside the %d codes", h.Host, h.Offset, h.Offset+h.Flows, c.Len())
		}
	}
	return nil
}

// HostCodes returns the codes of host i of r.Hosts, a view into r.Codes
// (capacity-limited, so appending to it never writes into r.Codes). It
// panics if r fails CheckCodes.
func (r *Result) HostCodes(i int) []int32 {
	codes := r.Codes.Column(r.Codes.Schema().FieldIndices(ColCode)[0]).(*array.Int32).Int32Values()
	h := r.Hosts[i]
	return codes[h.Offset : h.Offset+h.Flows : h.Offset+h.Flows]
}

// Run encodes the flows of p.HostOrder() whose src_addr is that host.
// flows has load.Schema (only line, start_time, src_addr and the feature
// columns are read).
//
// It works column by column: the listed hosts' rows are gathered once in
// output order (host by host, each in file or time order), every feature
// adds its digits to all rows in one loop, and the output columns are
// written straight into Arrow buffers.
func Run(ctx context.Context, input Input, p Params) (*Result, error) {
	mem, flows := input.Mem, input.Flows
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	in, err := newInput(flows, p)
	if err != nil {
		return nil, err
	}
	// Factorize the category columns on a second core while the rows of
	// the hosts are found.
	cats := make([]catColumn, len(p.Features))
	catsDone := make(chan struct{})
	go func() {
		defer close(catsDone)
		for f, feat := range p.Features {
			if feat.Kind == KindCategory {
				cats[f].ids, cats[f].vals = factorize(in.column(feat.Column))
			}
		}
	}()
	defer func() { <-catsDone }() // it reads flows, which the caller may release
	order := p.HostOrder()
	idx, rows := in.hostRows(order)
	dropped := 0
	if slices.ContainsFunc(p.Features, func(f Feature) bool { return f.Unseen == UnseenDrop }) {
		<-catsDone
		idx, rows, dropped = dropRows(idx, rows, in.unseenRows(cats))
	}
	nprof := len(p.profiles())
	nfit := 0
	for h := range nprof {
		nfit += len(rows[h])
	}
	if nfit == 0 {
		return nil, &NoFitFlowsError{Hosts: slices.Clone(order[:nprof])}
	}
	if p.Compat == "" {
		in.sortByTime(rows)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Result{Hosts: make([]HostSpan, len(order))}
	offset := 0
	for h, host := range order {
		res.Hosts[h] = HostSpan{Host: host, Offset: offset, Flows: len(rows[h])}
		offset += len(rows[h])
	}
	// The fit rows are a prefix of idx: the profiled hosts come first.
	fit := idx[:nfit]
	if p.fitOn() == FitAll {
		fit = idx
	}
	// Write the host, line and start_time columns on a second core while
	// the features are fitted and encoded.
	var rc *rowColumns
	var rcErr error
	rcDone := make(chan struct{})
	go func() {
		defer close(rcDone)
		rc, rcErr = in.rowColumns(mem, res.Hosts, idx)
	}()
	defer func() {
		<-rcDone
		rc.release()
	}()
	<-catsDone

	m := Mapping{Compat: p.Compat, FitOn: p.fitOn(), Features: make([]FeatureMap, len(p.Features)), Dropped: dropped}
	if m.FitOn == FitProfile {
		m.FitHosts = p.profiles()
	}
	digits := make([]*encoder, len(p.Features))
	for f, feat := range p.Features {
		fm, d, err := in.fit(f, feat, idx, len(fit), p.Compat, cats[f])
		if err != nil {
			return nil, err
		}
		m.Features[f], digits[f] = fm, d
	}
	radix := make([]int64, len(digits))
	product := int64(1)
	for f := len(digits) - 1; f >= 0; f-- {
		radix[f] = product
		product *= int64(m.Features[f].Size)
		if product > math.MaxInt32 {
			return nil, p.errorf("the code space has more than %d symbols", math.MaxInt32)
		}
	}

	// Rows from the first null of a percentile feature on are not encoded:
	// the error names it unless a code overflows before.
	stop, nullF := len(idx), -1
	for f, d := range digits {
		if d.firstNull < stop {
			stop, nullF = d.firstNull, f
		}
	}
	codes := make([]int64, stop)
	for f, d := range digits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d.add(codes, idx[:stop], radix[f])
	}
	maxCode := int64(-1)
	for k, code := range codes {
		if code > math.MaxInt32 {
			return nil, p.errorf("host %s, line %d: code %d overflows int32", hostOf(res.Hosts, k), in.line[idx[k]], code)
		}
		maxCode = max(maxCode, code)
	}
	if nullF >= 0 {
		return nil, in.nullError("", nullF, idx[stop])
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.Symbols = int(max(product, maxCode+1))
	<-rcDone
	if rcErr != nil {
		return nil, rcErr
	}
	res.Codes = rc.record(mem, codes)
	res.Mapping, res.Symbols = m, m.Symbols
	return res, nil
}

// hostOf returns the host whose span holds output row k.
func hostOf(hosts []HostSpan, k int) string {
	for _, h := range hosts {
		if k >= h.Offset && k < h.Offset+h.Flows {
			return h.Host
		}
	}
	return ""
}
