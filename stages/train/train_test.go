package train

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/hmm"
	"botprof/stages/discretize"
	"botprof/stages/window"
)

// windows builds size-3 windows over the given hosts' codes.
func windows(t *testing.T, hosts []string, codes [][]int32) *window.Result {
	t.Helper()
	return windowsOf(t, hosts, codes, window.Params{Size: 3, Stride: 1})
}

// windowsOf builds windows with p over the given hosts' codes.
func windowsOf(t *testing.T, hosts []string, codes [][]int32, p window.Params) *window.Result {
	t.Helper()
	b := array.NewRecordBuilder(memory.NewGoAllocator(), discretize.CodesSchema)
	defer b.Release()
	d := &discretize.Result{Symbols: 4}
	for i, h := range hosts {
		d.Hosts = append(d.Hosts, discretize.HostSpan{Host: h, Offset: b.Field(0).Len(), Flows: len(codes[i])})
		for k, c := range codes[i] {
			b.Field(0).(*array.StringBuilder).Append(h)
			b.Field(1).(*array.Int64Builder).Append(int64(k))
			b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(k))
			b.Field(3).(*array.Int32Builder).Append(c)
		}
	}
	d.Codes = b.NewRecordBatch()
	w, err := window.Run(context.Background(), window.Input{Codes: d}, p)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRunFitsTheProfiledHost(t *testing.T) {
	codes := []int32{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 3, 3, 2, 1, 0, 0, 1, 2}
	w := windows(t, []string{"P", "Q"}, [][]int32{codes, {1, 2}})
	for _, tc := range []struct {
		kind, input string
		d           int
	}{{"gaussian", "rows", 3}, {"categorical", "sequences", 1}} {
		cfg := hmm.DefaultConfig()
		cfg.Kind, cfg.States, cfg.NIter = tc.kind, 2, 5
		res, err := Run(context.Background(), Input{Windows: w, Symbols: 4}, Params{Model: cfg, Input: tc.input, Profiles: []string{"P"}})
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		k := 0
		switch m := res.Model.(type) {
		case *hmm.Gaussian:
			k = m.K
		case *hmm.Categorical:
			k = m.K
		}
		if res.Windows != len(codes)-2 || k != 2 || res.Model.(hmm.Model).Kind() != tc.kind ||
			len(res.Report.Restarts) != 1 || res.Report.Restarts[0].Iterations < 1 {
			t.Errorf("%s: result %+v", tc.kind, res)
		}
		if in, _ := Inputs(w.Host("P"), tc.input); in.D != tc.d {
			t.Errorf("%s: input D = %d, want %d", tc.kind, in.D, tc.d)
		}
	}
}

func TestRunNeedsWindows(t *testing.T) {
	w := windows(t, []string{"P", "Q"}, [][]int32{{1, 2}, {1, 2, 3, 1}})
	cfg := hmm.DefaultConfig()
	for host, want := range map[string]string{"P": "profiled host P has no window to train on (2 flows, need > 2)", "X": "profiled host X has no windows"} {
		_, err := Run(context.Background(), Input{Windows: w, Symbols: 4}, Params{Model: cfg, Input: "rows", Profiles: []string{host}})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "stage train:") {
			t.Errorf("host %s: err = %v, want %q", host, err, want)
		}
	}
	cfg.States = 0
	if _, err := Run(context.Background(), Input{Windows: w, Symbols: 4}, Params{Model: cfg, Input: "rows", Profiles: []string{"Q"}}); err == nil {
		t.Error("an impossible config trained")
	}
}

// Several profiled hosts train one model, each host's windows their own
// sequence(s): the same fit as hmm.Train on the sequences by hand.
func TestRunSeveralProfiles(t *testing.T) {
	p := []int32{0, 1, 2, 3, 0, 1, 2, 3, 0, 1}
	q := []int32{3, 3, 2, 1, 0, 0}
	w := windows(t, []string{"P", "Q"}, [][]int32{p, q})
	for _, input := range []string{"rows", "sequences"} {
		cfg := hmm.DefaultConfig()
		cfg.Kind, cfg.States, cfg.NIter, cfg.Symbols = "gaussian", 2, 5, 4
		want := hmm.Sequences{D: 3, Lengths: []int{8, 4}}
		if input == "sequences" {
			cfg.Kind = "categorical"
			want = hmm.Sequences{D: 1, Lengths: []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}}
		}
		for _, h := range []string{"P", "Q"} {
			x, _ := Inputs(w.Host(h), input)
			want.X = append(want.X, x.X...)
		}
		res, err := Run(context.Background(), Input{Windows: w, Symbols: 4}, Params{Model: cfg, Input: input, Profiles: []string{"P", "Q"}})
		if err != nil {
			t.Fatal(err)
		}
		m, rep, err := hmm.Train(context.Background(), cfg, want)
		if err != nil {
			t.Fatal(err)
		}
		hist := func(r *hmm.Report) []float64 { return r.Restarts[r.Best].History }
		if res.Windows != 12 || !slices.Equal(hist(rep), hist(res.Report)) {
			t.Errorf("%s: %d windows, history %v, want 12 and %v", input, res.Windows, hist(res.Report), hist(rep))
		}
		x, _ := Inputs(w.Host("Q"), input)
		a, _ := m.Score(x)
		b, _ := res.Model.Score(x)
		if !slices.Equal(a, b) {
			t.Errorf("%s: the models differ: score %v vs %v", input, b, a)
		}
	}
}

// Emission smoothing on expected counts, by hand: with one state every
// posterior is 1, so the counts are the symbol counts of the training
// windows, and B_s = (n_s + 1) / (24 + 5) for 8 windows of 3 symbols over
// an alphabet of 5.
func TestEmissionSmoothing(t *testing.T) {
	codes := []int32{0, 1, 2, 3, 0, 1, 2, 3, 0, 1}
	w := windows(t, []string{"P"}, [][]int32{codes})
	cfg := hmm.DefaultConfig()
	cfg.Kind, cfg.States, cfg.NIter, cfg.Symbols = "categorical", 1, 3, 5
	res, err := Run(context.Background(), Input{Windows: w, Symbols: 5},
		Params{Model: cfg, Input: InputSequences, Profiles: []string{"P"}, EmissionSmoothing: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Windows (0,1,2) (1,2,3) (2,3,0) (3,0,1) (0,1,2) (1,2,3) (2,3,0) (3,0,1):
	// every symbol 0..3 six times, symbol 4 never; S = 5.
	want := []float64{7.0 / 29, 7.0 / 29, 7.0 / 29, 7.0 / 29, 1.0 / 29}
	got := res.Model.(*hmm.Categorical).Emission
	for s := range want {
		if math.Abs(got[s]-want[s]) > 1e-12 {
			t.Errorf("emission %v, want %v", got, want)
			break
		}
	}
	cfg.Kind = "gaussian"
	if _, err := Run(context.Background(), Input{Windows: w, Symbols: 5},
		Params{Model: cfg, Input: InputRows, Profiles: []string{"P"}, EmissionSmoothing: 1}); err == nil {
		t.Error("emission smoothing of a gaussian model accepted")
	}
}
