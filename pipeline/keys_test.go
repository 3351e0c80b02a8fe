package pipeline

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"botprof/pipeline/cache"
)

// TestKeysMemo checks that the keys a run builds with its memos of encoded
// stage parameters (runner.params) and upstream keys (runner.upstream) are
// those built without them, for every point of every plan in
// experiments/, visited in plan order twice (the second time everything
// comes from the memos) and backwards. One memo serves all the plans, as
// if they were one run: plans that differ upstream must not share keys.
func TestKeysMemo(t *testing.T) {
	specs, err := filepath.Glob("../experiments/*.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no experiments: %v", err)
	}
	type tc struct {
		spec string
		sets []string
	}
	var cases []tc
	for _, spec := range specs {
		cases = append(cases, tc{spec, nil})
	}
	// Sweeps over what the upstream keys (load, derive, discretize) depend
	// on, which no experiment sweeps (see memoUpstream).
	for _, sets := range [][]string{
		{"sweep.hosts.profile=[147.32.84.204, 147.32.84.165]", "sweep.window.size=[5, 10]"},
		{"sweep.hosts.view=[src, dst, both]", "sweep.model.seed=[0, 1]"},
		{"labels.exclude_classes=[normal]", "sweep.model.seed=[0, 1]"},
		{"discretize.fit_on=all"},
		{"data.on_bad_line=skip"},
	} {
		cases = append(cases, tc{"../experiments/sweep.yaml", sets})
	}
	memos := map[int]*runner{} // by the number of sources
	for _, c := range cases {
		spec := c.spec
		t.Run(filepath.Base(spec)+strings.Join(c.sets, ","), func(t *testing.T) {
			plan, err := LoadPlan(spec, c.sets)
			if err != nil {
				t.Fatal(err)
			}
			sources := make([]SourceFile, len(firstSpec(plan).Data.List()))
			for i := range sources {
				sources[i].SHA256 = strings.Repeat(fmt.Sprint(i%10), 64)
			}
			memo := memos[len(sources)]
			if memo == nil {
				memo = &runner{sources: sources, params: &cache.ParamsMemo{}}
				memos[len(sources)] = memo
			}
			var order []int
			for i := range plan.Len() {
				order = append(order, i)
			}
			for i := range plan.Len() {
				order = append(order, i, plan.Len()-1-i)
			}
			for _, i := range order {
				p := plan.Point(i)
				fresh := &runner{plan: plan, sources: sources}
				want, err := fresh.keysOf(&p.Spec)
				if err != nil {
					t.Fatalf("point %s: %v", p.Name, err)
				}
				got, err := memo.keysOf(&p.Spec)
				if err != nil {
					t.Fatalf("point %s, with the memo: %v", p.Name, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("point %s: keys with the memo\n%+v\nwant\n%+v", p.Name, got, want)
				}
			}
		})
	}
}

// The memo of upstream keys (memoUpstream) tells points apart by
// upstreamID: every field of stageParams must be in it or be one the
// upstream keys do not read. A field added to stageParams and to neither
// list fails here, before two points that differ only in it share keys.
func TestUpstreamIDCoversStageParams(t *testing.T) {
	notUpstream := map[string]bool{"window": true, "train": true, "evaluate": true, "fitKey": true}
	inID := map[string]bool{}
	id := reflect.TypeOf(upstreamID{})
	for i := range id.NumField() {
		inID[strings.ToLower(id.Field(i).Name)] = true
	}
	sp := reflect.TypeOf(stageParams{})
	for i := range sp.NumField() {
		name := sp.Field(i).Name
		switch in := inID[strings.ToLower(name)]; {
		case in && notUpstream[name]:
			t.Errorf("stageParams.%s is in upstreamID and listed as not upstream", name)
		case !in && !notUpstream[name]:
			t.Errorf("stageParams.%s is not in upstreamID: memoUpstream would give points that differ in it the same keys", name)
		}
		delete(inID, strings.ToLower(name))
	}
	for name := range inID {
		t.Errorf("upstreamID.%s is no field of stageParams", name)
	}
}
