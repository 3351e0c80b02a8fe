package pipeline

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"botprof/pipeline/cache"
)

// TestKeysMemo checks that the keys a run builds with its memo of encoded
// stage parameters (runner.params) are those built without one, for every
// point of every plan in experiments/, visited in plan order twice (the
// second time every encoding comes from the memo) and backwards.
func TestKeysMemo(t *testing.T) {
	specs, err := filepath.Glob("../experiments/*.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no experiments: %v", err)
	}
	for _, spec := range specs {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			plan, err := LoadPlan(spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			sources := make([]SourceFile, len(firstSpec(plan).Data.List()))
			for i := range sources {
				sources[i].SHA256 = strings.Repeat(fmt.Sprint(i%10), 64)
			}
			memo := &runner{plan: plan, sources: sources, params: &cache.ParamsMemo{}}
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
