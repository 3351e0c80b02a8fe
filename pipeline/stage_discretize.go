package pipeline

// Stage discretize: run, cache read/write.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
	"botprof/report/plural"
	"botprof/stages/derive"
	"botprof/stages/discretize"
	"botprof/stages/load"
	"botprof/stages/view"
)

// stageDiscretize runs the discretizer on the point's flows (after the
// view step, when the point needs it: several sources, a dst or both view,
// a split), with the derive stage's columns appended when a feature names
// a derived column.
func (r *runner) stageDiscretize(ctx context.Context, sp *stageParams, sw *stopwatch, key cache.Key,
	getLoads func() ([]*flowsOut, error), getFlows func() (arrow.RecordBatch, error), getDerive func() (*deriveOut, error)) (any, bool, error) {
	d, hit, cl, err := lookup(ctx, r, key, "", func(e *cache.Entry) (*discretize.Result, error) { return readDiscretize(e, r.mem) })
	if err != nil {
		return nil, false, err
	}
	if hit {
		return d, true, nil
	}
	defer cl.drop()
	if _, err := getLoads(); err != nil {
		return nil, false, err
	}
	var derived *deriveOut
	if len(sp.derive.Columns) > 0 {
		var err error
		if derived, err = getDerive(); err != nil {
			return nil, false, err
		}
	}
	sw.restart()
	flows, err := getFlows()
	if err != nil {
		return nil, false, err
	}
	if derived != nil {
		if flows, err = derive.Attach(flows, derived.cols); err != nil {
			return nil, false, err
		}
		defer flows.Release()
	}
	d, err = discretize.Run(ctx, discretize.Input{Mem: r.mem, Flows: flows}, sp.discretize)
	if nf := (*discretize.NoFitFlowsError)(nil); errors.As(err, &nf) {
		return nil, false, r.noFitFlows(ctx, sp, nf.Hosts)
	}
	if err != nil {
		r.locateNull(sp, err)
		return nil, false, err
	}
	if err := splitLeftNoTest(sp.view, d.Hosts); err != nil {
		d.Release()
		return nil, false, err
	}
	if r.cache != nil {
		r.putAsync(key, map[string]cache.WriteFunc{
			"codes.arrow":  func(w io.Writer) error { return cache.WriteArrow(w, d.Codes) },
			"mapping.json": jsonWriter(d.Mapping),
			"symbols.json": jsonWriter(d.Symbols),
			"hosts.json":   jsonWriter(d.Hosts),
		}, cl)
	}
	return d, false, nil
}

// pointFlows returns a point's flows as discretize and derive read them:
// the first source's loaded flows, or the view step's output when the point
// needs it, computed once for the point (derive and discretize may both
// need it). release drops it (the point calls it once its discretize stage
// is done) and releases what it made.
func (r *runner) pointFlows(ctx context.Context, sp *stageParams, getLoads func() ([]*flowsOut, error)) (get func() (arrow.RecordBatch, error), release func()) {
	var (
		done bool
		rec  arrow.RecordBatch
		err  error
		made arrow.RecordBatch
	)
	get = func() (arrow.RecordBatch, error) {
		if done {
			return rec, err
		}
		done = true
		var loads []*flowsOut
		if loads, err = getLoads(); err != nil {
			return nil, err
		}
		rec = loads[0].rec
		if sp.needView {
			recs := make([]arrow.RecordBatch, len(loads))
			for i, fl := range loads {
				recs[i] = fl.rec
			}
			var v *view.Result
			if v, err = view.Run(ctx, view.Input{Mem: r.mem, Flows: recs}, sp.view); err != nil {
				rec = nil
				return nil, err
			}
			rec, made = v.Flows, v.Flows
			if err = splitLeftNoTraining(sp.view, v.Stats); err != nil {
				return nil, err
			}
		}
		return rec, nil
	}
	release = func() {
		if made != nil {
			made.Release()
		}
		done, rec, err, made = false, nil, nil, nil
	}
	return get, release
}

// splitLeftNoTest reports a hosts.split by time that holds out no flow of
// any profiled host (a time after their last flow; a fraction below 1
// always holds out one): HOST@test would have no flows, so the ROC no
// infected host and every metric NaN, in a run that exits 0. The point
// fails before its discretize entry is stored, so no cached entry can
// hold such a split.
func splitLeftNoTest(p view.Params, hosts []discretize.HostSpan) error {
	if p.Split == nil {
		return nil
	}
	flows := map[string]int{}
	for _, h := range hosts {
		flows[h.Host] = h.Flows
	}
	var names []string
	training := 0
	for _, h := range p.Profiles {
		name := h.Name(p.Namespace)
		if flows[name+view.TestSuffix] > 0 {
			return nil
		}
		names = append(names, name)
		training += flows[name]
	}
	if training == 0 {
		return nil // no flows at all: discretize says so
	}
	return fmt.Errorf("hosts.split: by %s at %q holds out no flow of the profiled host %s: all %d of its flows start before it, so %s%s has none to score; split earlier",
		p.Split.By, p.Split.At, strings.Join(names, ", "), training, names[0], view.TestSuffix)
}

// splitLeftNoTraining reports a hosts.split that leaves the profiled hosts
// no flow to train on although they have flows (a time before their first
// flow, or a fraction of too few flows). Without it discretize says the
// profiled host "has no flows", blaming the data instead of the split.
func splitLeftNoTraining(p view.Params, st view.Stats) error {
	if p.Split == nil {
		return nil
	}
	var names []string
	held := 0
	for _, h := range p.Profiles {
		name := h.Name(p.Namespace)
		if st.Training[name] > 0 {
			return nil
		}
		names = append(names, name)
		held += st.HeldOut[name+view.TestSuffix]
	}
	if held == 0 {
		return nil // no flows at all: discretize says so
	}
	return fmt.Errorf("hosts.split: by %s at %q leaves the profiled host %s no flow to train on: all %d of its flows are held out as %s",
		p.Split.By, p.Split.At, strings.Join(names, ", "), held, view.TestSuffix)
}

func readDiscretize(e *cache.Entry, mem memory.Allocator) (*discretize.Result, error) {
	rec, err := cache.ReadArrow(e.Path("codes.arrow"), mem)
	if err != nil {
		return nil, err
	}
	d := &discretize.Result{Codes: rec}
	if err := readJSON(e, "mapping.json", &d.Mapping); err != nil {
		return nil, err
	}
	if err := readJSON(e, "symbols.json", &d.Symbols); err != nil {
		return nil, err
	}
	if err := readJSON(e, "hosts.json", &d.Hosts); err != nil {
		return nil, err
	}
	return d, nil
}

// locateNull names the data file (and, when the file's format has no such
// column, the format) of a null value derive or discretize found: they
// know its line and host, not the file.
func (r *runner) locateNull(sp *stageParams, err error) {
	var ne *load.NullError
	if !errors.As(err, &ne) {
		return
	}
	src := 0
	if sp.view.Namespace {
		name, _, _ := strings.Cut(ne.Host, ":")
		src = slices.Index(sp.view.Sources, name)
	}
	if src < 0 || src >= len(r.sources) {
		return
	}
	r.mu.Lock()
	path, format := r.sources[src].Path, ""
	if st := r.sources[src].Load; st != nil {
		format = st.Format
	}
	r.mu.Unlock()
	ne.SetFile(path, format)
}

// noFitFlows explains discretize's "profiled host has no flows": the spec
// key that named the hosts the cuts are fitted on (hosts.profile,
// discretize.fit_host or discretize.fit_on) and, per host, whether the data
// has no flow of it or the label filter removed them all. It reads the
// sources once more, without the filter (an error path only).
func (r *runner) noFitFlows(ctx context.Context, sp *stageParams, hosts []string) error {
	col := "src_addr"
	switch sp.view.View {
	case view.Dst:
		col = "dst_addr"
	case view.Both:
		col = "src_addr or dst_addr"
	}
	var why []string
	for _, h := range hosts {
		src, addr := 0, h
		if sp.view.Namespace {
			name, a, _ := strings.Cut(h, ":")
			src, addr = slices.Index(sp.view.Sources, name), a
		}
		if src < 0 || src >= len(r.sources) {
			why = append(why, fmt.Sprintf("%s: no such source", h))
			continue
		}
		all, kept, err := r.countHostFlows(ctx, sp, src, addr)
		if err != nil {
			return fmt.Errorf("stage discretize: %s has no flows (and counting them failed: %w)", h, err)
		}
		switch {
		case all == 0:
			why = append(why, fmt.Sprintf("%s is in no flow of %s as %s: check the address", h, r.sources[src].Path, col))
		case kept == 0:
			why = append(why, fmt.Sprintf("%s has %s in %s, and the label filter (labels.*) removed every one", h, plural.Count(all, "flow"), r.sources[src].Path))
		default:
			// The view or split left it none; they say so themselves
			// when they can (splitLeftNoTraining).
			why = append(why, fmt.Sprintf("%s has %s after the label filter, none left for the fit", h, plural.Count(kept, "flow")))
		}
	}
	return fmt.Errorf("stage discretize: no flows to fit the cuts on, from the hosts %s names: %s", sp.fitKey, strings.Join(why, "; "))
}

// countHostFlows counts the flows of source i with addr as src_addr or
// dst_addr (as the view reads them), all of them and those the label
// filter keeps.
func (r *runner) countHostFlows(ctx context.Context, sp *stageParams, i int, addr string) (all, kept int, err error) {
	p := load.Params{Format: sp.load[i].Format, OnBadLine: "skip", SkipFirstDataLine: sp.load[i].SkipFirstDataLine,
		Columns: []string{"src_addr", "dst_addr", "label"}}
	res, err := load.Run(ctx, load.Input{Mem: r.mem, Path: r.sources[i].Path}, p)
	if err != nil {
		return 0, 0, err
	}
	defer res.Flows.Release()
	keep := sp.filter.KeepFor(res.Stats.Format)
	sch := res.Flows.Schema()
	srcs := res.Flows.Column(sch.FieldIndices("src_addr")[0]).(*array.String)
	dsts := res.Flows.Column(sch.FieldIndices("dst_addr")[0]).(*array.String)
	labels := res.Flows.Column(sch.FieldIndices("label")[0]).(*array.String)
	for j := 0; j < srcs.Len(); j++ {
		var match bool
		switch sp.view.View {
		case view.Dst:
			match = dsts.Value(j) == addr
		case view.Both:
			match = srcs.Value(j) == addr || dsts.Value(j) == addr
		default:
			match = srcs.Value(j) == addr
		}
		if match {
			all++
			if keep == nil || keep([]byte(labels.Value(j))) {
				kept++
			}
		}
	}
	return all, kept, nil
}
