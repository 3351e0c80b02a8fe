package filter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/stages/load"
)

// Classes assigned by ClassRule tables.
const (
	ClassBotnet     = "botnet"
	ClassNormal     = "normal"
	ClassBackground = "background"
	// ClassUnknown is what Params.Class returns for a label no rule matches.
	ClassUnknown = "unknown"
)

// ClassRule maps the labels matched by Match (exact, or prefix when it ends
// with '*') to Class.
type ClassRule struct {
	Match string `json:"match" yaml:"match"`
	Class string `json:"class" yaml:"class"`
}

// Version is the version of the stage's output for the same Params and
// input: part of its cache key.
const Version = 1

// Params selects flows by label. A flow is kept when Include is empty or one
// of its patterns matches, no Exclude pattern matches and its class is not
// one of ExcludeClasses. Classes is the label → class table (the first
// matching rule wins); empty, it is DefaultClasses of the file's format.
type Params struct {
	Include        []string    `json:"include,omitempty" yaml:"include"`
	Exclude        []string    `json:"exclude,omitempty" yaml:"exclude"`
	ExcludeClasses []string    `json:"exclude_classes,omitempty" yaml:"exclude_classes"`
	Classes        []ClassRule `json:"classes,omitempty" yaml:"classes"`
}

// ForFormat returns p for a file of format: Classes defaulted to the
// format's, and ExcludeClasses turned into the Exclude patterns of their
// rules.
func (p Params) ForFormat(format string) Params {
	out := Params{Include: p.Include, Exclude: slices.Clone(p.Exclude), Classes: p.Classes}
	if len(out.Classes) == 0 {
		out.Classes = DefaultClasses(format)
	}
	for _, ex := range p.ExcludeClasses {
		for _, c := range out.Classes {
			if c.Class == ex {
				out.Exclude = append(out.Exclude, c.Match)
			}
		}
	}
	return out
}

// KeepFor is the predicate of p for a file of format (see ForFormat and
// Keep): the loader takes it (load.Input.KeepFor) to drop a line before it
// is parsed, which gives the rows Run gives on the unfiltered table.
func (p Params) KeepFor(format string) func(label []byte) bool {
	return p.ForFormat(format).Keep()
}

// Input is the stage's input: a flow table and the format of its file.
type Input struct {
	Mem    memory.Allocator // nil: memory.DefaultAllocator
	Flows  arrow.RecordBatch
	Format string // "netflow" or "binetflow": chooses the default classes
}

// Result is the stage's output: the kept rows and the counts.
type Result struct {
	Flows arrow.RecordBatch // the caller releases it
	Stats Stats
}

// DefaultClasses returns the CTU-13 label → class table for format
// ("netflow" or "binetflow"), or nil for an unknown format.
//
// NetFlow files label flows Background, LEGITIMATE or Botnet. Binetflow
// labels follow the grammar flow=<From|To>-<Botnet|Normal|Background>-…,
// flow=Normal-… and flow=Background…; the From-/To-Background forms (flows
// to or from well-known servers such as the CVUT DNS server) are real and
// frequent in scenario 11, so they are classed background too.
func DefaultClasses(format string) []ClassRule {
	switch format {
	case "netflow":
		return []ClassRule{
			{Match: "Background", Class: ClassBackground},
			{Match: "LEGITIMATE", Class: ClassNormal},
			{Match: "Botnet", Class: ClassBotnet},
		}
	case "binetflow":
		return []ClassRule{
			{Match: "flow=From-Botnet*", Class: ClassBotnet},
			{Match: "flow=To-Botnet*", Class: ClassBotnet},
			{Match: "flow=From-Normal*", Class: ClassNormal},
			{Match: "flow=To-Normal*", Class: ClassNormal},
			{Match: "flow=Normal*", Class: ClassNormal},
			{Match: "flow=Background*", Class: ClassBackground},
			{Match: "flow=From-Background*", Class: ClassBackground},
			{Match: "flow=To-Background*", Class: ClassBackground},
		}
	}
	return nil
}

// Validate reports empty patterns, '*' anywhere but at the end, and class
// rules without a class. A lone "*" is valid and matches every label.
func (p Params) Validate() error {
	check := func(what string, i int, pat string) error {
		if pat == "" {
			return fmt.Errorf("stage filter: %s[%d] is empty", what, i)
		}
		if k := strings.IndexByte(pat, '*'); k >= 0 && k != len(pat)-1 {
			return fmt.Errorf("stage filter: %s[%d] %q: '*' is only allowed at the end (prefix match)", what, i, pat)
		}
		return nil
	}
	var errs []error
	for i, s := range p.Include {
		errs = append(errs, check("include", i, s))
	}
	for i, s := range p.Exclude {
		errs = append(errs, check("exclude", i, s))
	}
	for i, c := range p.ExcludeClasses {
		if !slices.Contains([]string{ClassBotnet, ClassNormal, ClassBackground, ClassUnknown}, c) {
			errs = append(errs, fmt.Errorf("stage filter: exclude_classes[%d] %q: want botnet, normal, background or unknown", i, c))
		}
	}
	for i, r := range p.Classes {
		errs = append(errs, check("classes", i, r.Match))
		if r.Class == "" {
			errs = append(errs, fmt.Errorf("stage filter: classes[%d] %q has no class", i, r.Match))
		}
	}
	return errors.Join(errs...)
}

// pattern is a compiled label pattern.
type pattern struct {
	s      string
	prefix bool
}

func compile(pats []string) []pattern {
	out := make([]pattern, len(pats))
	for i, s := range pats {
		if strings.HasSuffix(s, "*") {
			out[i] = pattern{s: s[:len(s)-1], prefix: true}
		} else {
			out[i] = pattern{s: s}
		}
	}
	return out
}

// match reports whether label matches p. The string conversions are
// comparisons only, which the compiler does without allocating.
func (p pattern) match(label []byte) bool {
	if p.prefix {
		return len(label) >= len(p.s) && string(label[:len(p.s)]) == p.s
	}
	return string(label) == p.s
}

func (p pattern) matchString(label string) bool {
	if p.prefix {
		return strings.HasPrefix(label, p.s)
	}
	return label == p.s
}

func matchAny(ps []pattern, label []byte) bool {
	for _, p := range ps {
		if p.match(label) {
			return true
		}
	}
	return false
}

// Keep returns the label predicate of p: true when the flow is kept. It does
// not allocate per call, so the loader can call it on every line.
func (p Params) Keep() func(label []byte) bool {
	inc, exc := compile(p.Include), compile(p.Exclude)
	return func(label []byte) bool {
		if len(inc) > 0 && !matchAny(inc, label) {
			return false
		}
		return !matchAny(exc, label)
	}
}

// Class returns the class of label by the first matching rule of p.Classes,
// or ClassUnknown ("unknown") when no rule matches.
func (p Params) Class(label string) string {
	for _, r := range p.Classes {
		if compile([]string{r.Match})[0].matchString(label) {
			return r.Class
		}
	}
	return ClassUnknown
}

// LabelCount is how many flows carried one label, and whether they were kept.
type LabelCount struct {
	Label string `json:"label"`
	Count int    `json:"count"`
	Kept  bool   `json:"kept"`
}

// Stats counts what Run kept and dropped. Labels is sorted by label.
type Stats struct {
	Kept    int          `json:"kept"`
	Dropped int          `json:"dropped"`
	Labels  []LabelCount `json:"labels"`
}

// Run returns the rows of in.Flows (schema load.Schema, or any schema with
// a utf8 "label" column) whose label p keeps (for in.Format), in their
// original order.
func Run(ctx context.Context, in Input, p Params) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	mem, flows := in.Mem, in.Flows
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rec, st, err := run(ctx, mem, flows, p.ForFormat(in.Format))
	if err != nil {
		return nil, err
	}
	return &Result{Flows: rec, Stats: st}, nil
}

func run(ctx context.Context, mem memory.Allocator, flows arrow.RecordBatch, p Params) (arrow.RecordBatch, Stats, error) {
	var st Stats
	idx := flows.Schema().FieldIndices(load.ColLabel)
	if len(idx) != 1 {
		return nil, st, fmt.Errorf("stage filter: input has no %q column", load.ColLabel)
	}
	labels, ok := flows.Column(idx[0]).(*array.String)
	if !ok {
		return nil, st, fmt.Errorf("stage filter: column %q is %s, want utf8", load.ColLabel, flows.Column(idx[0]).DataType())
	}
	keep := p.Keep()
	mb := array.NewBooleanBuilder(mem)
	defer mb.Release()
	mb.Reserve(labels.Len())
	counts := map[string]int{}
	kept := map[string]bool{}
	data, offs := labels.ValueBytes(), labels.ValueOffsets()
	for i := 0; i < labels.Len(); i++ {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, st, err
			}
		}
		l := labels.Value(i)
		k := keep(data[offs[i]-offs[0] : offs[i+1]-offs[0]])
		mb.UnsafeAppend(k)
		if k {
			st.Kept++
		} else {
			st.Dropped++
		}
		if _, seen := counts[l]; !seen {
			kept[l] = k
		}
		counts[l]++
	}
	for l, n := range counts {
		st.Labels = append(st.Labels, LabelCount{Label: l, Count: n, Kept: kept[l]})
	}
	sort.Slice(st.Labels, func(i, j int) bool { return st.Labels[i].Label < st.Labels[j].Label })
	if st.Dropped == 0 {
		flows.Retain()
		return flows, st, nil
	}
	mask := mb.NewBooleanArray()
	defer mask.Release()
	out, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), flows, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, st, fmt.Errorf("stage filter: %w", err)
	}
	return out, st, nil
}
