package evaluate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/hmm"
	"botprof/stages/discretize"
	"botprof/stages/train"
	"botprof/stages/window"
)

// fakeModel scores a sequence by the sum of its values and decodes it to
// minus twice that; it records the shapes it was called with.
type fakeModel struct {
	mu    sync.Mutex
	calls []string
	fail  string // a host's first code value that makes Score fail
}

func (f *fakeModel) per(s hmm.Sequences, scale float64) []float64 {
	var out []float64
	for _, b := range s.Bounds() {
		out = append(out, scale*sum(s.X[b[0]*s.D:b[1]*s.D]))
	}
	return out
}

func (f *fakeModel) record(op string, s hmm.Sequences) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("%s D=%d T=%d lengths=%v", op, s.D, s.T(), s.Lengths))
}

func (f *fakeModel) Score(s hmm.Sequences) ([]float64, error) {
	f.record("score", s)
	if f.fail != "" && fmt.Sprint(s.X[0]) == f.fail {
		return nil, errors.New("underflow")
	}
	return f.per(s, 1), nil
}

func (f *fakeModel) Decode(s hmm.Sequences) ([]float64, []int, error) {
	f.record("decode", s)
	return f.per(s, -2), make([]int, s.T()), nil
}

// DecodeAndScoreFrames decodes like Decode and scores every row by its sum.
func (f *fakeModel) DecodeAndScoreFrames(s hmm.Sequences) ([]float64, []float64, error) {
	f.record("decode+frames", s)
	if f.fail != "" && fmt.Sprint(s.X[0]) == f.fail {
		return nil, nil, errors.New("underflow")
	}
	out := make([]float64, s.T())
	for t := range out {
		out[t] = sum(s.X[t*s.D : (t+1)*s.D])
	}
	return f.per(s, -2), out, nil
}

// windows builds window results of size 2, stride 1, for hosts with codes.
func windows(t testing.TB, mem memory.Allocator, hosts []string, codes [][]int32) *window.Result {
	t.Helper()
	b := array.NewRecordBuilder(mem, discretize.CodesSchema)
	defer b.Release()
	dr := &discretize.Result{}
	for i, h := range hosts {
		dr.Hosts = append(dr.Hosts, discretize.HostSpan{Host: h, Offset: b.Field(0).Len(), Flows: len(codes[i])})
		for k, c := range codes[i] {
			b.Field(0).(*array.StringBuilder).Append(h)
			b.Field(1).(*array.Int64Builder).Append(int64(k))
			b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(k))
			b.Field(3).(*array.Int32Builder).Append(c)
		}
	}
	dr.Codes = b.NewRecordBatch()
	defer dr.Release()
	w, err := window.Run(context.Background(), window.Input{Codes: dr}, window.Params{Size: 2, Stride: 1})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

var specs = []HostSpec{
	{"P", ClassProfile}, {"N1", ClassNormal}, {"N2", ClassNormal}, {"N3", ClassNormal},
	{"I1", ClassInfected}, {"I2", ClassInfected},
}

func testWindows(t testing.TB, mem memory.Allocator) *window.Result {
	return windows(t, mem, []string{"P", "N1", "N2", "N3", "I1", "I2"}, [][]int32{
		{9, 9, 9},
		{1, 2, 3}, // windows (1,2) (2,3)
		{2, 2},    // (2,2)
		{5},       // insufficient
		{4, 4, 6}, // (4,4) (4,6)
		{3, 7},    // (3,7)
	})
}

func TestRun(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	wins := testWindows(t, mem)
	defer wins.Release()

	m := &fakeModel{}
	res, err := Run(context.Background(), Input{Model: m, Windows: wins}, Params{Score: ScoreLogLikPerWindow, Input: InputRows, Hosts: specs})
	if err != nil {
		t.Fatal(err)
	}
	// rows: one sequence of the host's windows; loglik = Σ codes of all
	// windows, viterbi = −2·loglik; window scores = each window's sum.
	nan := math.NaN()
	want := []HostScore{
		{"P", ClassProfile, StatusOK, 3, 2, -72, 36, 18, []float64{18, 18}},
		{"N1", ClassNormal, StatusOK, 3, 2, -16, 8, 4, []float64{3, 5}},
		{"N2", ClassNormal, StatusOK, 2, 1, -8, 4, 4, []float64{4}},
		{"N3", ClassNormal, StatusInsufficient, 1, 0, nan, nan, nan, nil},
		{"I1", ClassInfected, StatusOK, 3, 2, -36, 18, 9, []float64{8, 10}},
		{"I2", ClassInfected, StatusOK, 2, 1, -20, 10, 10, []float64{10}},
	}
	if fmt.Sprint(res.Hosts) != fmt.Sprint(want) {
		t.Errorf("hosts\n got %v\nwant %v", res.Hosts, want)
	}
	// Normal 8, 4 against infected 18, 10 (loglik); per window 4, 4 vs 9, 10;
	// viterbi −16, −8 vs −36, −20: inverted. Windows: normal 3 5 4, infected 8 10 10.
	wantMetrics := map[string]float64{
		"auc_host": 1, "margin": 5, "tpr_at_fpr0": 1, "auc_window": 1,
		"auc_host.viterbi": 0, "margin.viterbi": -28, "tpr_at_fpr0.viterbi": 0,
		"auc_host.loglik": 1, "margin.loglik": 2, "tpr_at_fpr0.loglik": 1,
		"auc_host.loglik_per_window": 1, "margin.loglik_per_window": 5, "tpr_at_fpr0.loglik_per_window": 1,
	}
	if !reflect.DeepEqual(res.Metrics, wantMetrics) {
		t.Errorf("metrics\n got %v\nwant %v", res.Metrics, wantMetrics)
	}
	wantWarnings := []string{"host N3: insufficient data (1 flow, need > 1): kept out of the ROC"}
	if !reflect.DeepEqual(res.Warnings, wantWarnings) {
		t.Errorf("warnings %q, want %q", res.Warnings, wantWarnings)
	}
	if got := res.ROCHost[ScoreLogLik]; len(got) != 5 || got[len(got)-1] != (Point{4, 1, 1}) {
		t.Errorf("loglik ROC %v", got)
	}
	if got := res.ROCWindow; len(got) != 6 || got[1] != (Point{10, 0, 2.0 / 3}) {
		t.Errorf("window ROC %v", got)
	}
	slices.Sort(m.calls)
	m.calls = slices.Compact(m.calls)
	wantCalls := []string{"decode+frames D=2 T=1 lengths=[]", "decode+frames D=2 T=2 lengths=[]"}
	if !reflect.DeepEqual(m.calls, wantCalls) {
		t.Errorf("model calls %q, want %q", m.calls, wantCalls)
	}
}

func TestRunSequences(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	wins := testWindows(t, mem)
	defer wins.Release()
	m := &fakeModel{}
	res, err := Run(context.Background(), Input{Model: m, Windows: wins}, Params{Score: ScoreViterbi, Input: InputSequences, Hosts: specs[:3]})
	if err != nil {
		t.Fatal(err)
	}
	// Every window its own sequence: the window scores are the loglik terms.
	if h := res.Hosts[1]; h.LogLik != 8 || h.Viterbi != -16 || !reflect.DeepEqual(h.WindowScores, []float64{3, 5}) {
		t.Errorf("N1: %+v", h)
	}
	if !slices.Contains(m.calls, "score D=1 T=4 lengths=[2 2]") || len(m.calls) != 6 {
		t.Errorf("calls %q", m.calls)
	}
	if !math.IsNaN(res.Metrics["auc_host"]) || !math.IsNaN(res.Metrics["auc_window"]) {
		t.Errorf("metrics without infected hosts: %v", res.Metrics)
	}
	wantWarnings := []string{
		"host ROC (viterbi): no scored infected hosts: its metrics are NaN",
		"host ROC (loglik): no scored infected hosts: its metrics are NaN",
		"host ROC (loglik_per_window): no scored infected hosts: its metrics are NaN",
		"window ROC (loglik): no scored infected windows: its metrics are NaN",
	}
	if !reflect.DeepEqual(res.Warnings, wantWarnings) {
		t.Errorf("warnings %q", res.Warnings)
	}
}

// TestWorkers checks that results do not depend on the number of workers.
func TestWorkers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	wins := testWindows(t, mem)
	defer wins.Release()
	var first string
	for _, w := range []int{0, 1, 2, 8} {
		res, err := Run(context.Background(), Input{Model: &fakeModel{}, Windows: wins}, Params{Score: ScoreLogLik, Input: InputRows, Workers: w, Hosts: specs})
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%v %v %v %v %q", res.Hosts, res.Metrics, res.ROCHost, res.ROCWindow, res.Warnings)
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("workers=%d: results differ:\n%s\n%s", w, got, first)
		}
	}
}

func TestRunErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	wins := testWindows(t, mem)
	defer wins.Release()
	ok := Params{Score: ScoreViterbi, Input: InputRows, Workers: 2}
	for _, tc := range []struct {
		hosts []HostSpec
		p     Params
		m     *fakeModel
		want  string
	}{
		{specs, Params{Score: "auc", Input: "matrix"}, &fakeModel{},
			"stage evaluate: score \"auc\": want one of [\"viterbi\" \"loglik\" \"loglik_per_window\"]\nstage evaluate: input \"matrix\": want \"rows\", \"sequences\" or \"concat\""},
		{[]HostSpec{{"X", ClassNormal}}, ok, &fakeModel{}, "stage evaluate: host X has no windows (not in the window stage's hosts)"},
		{[]HostSpec{{"N1", "benign"}}, ok, &fakeModel{}, `stage evaluate: host N1: class "benign": want profile, normal or infected`},
		{[]HostSpec{{"N1", ClassNormal}, {"N1", ClassNormal}}, ok, &fakeModel{}, "stage evaluate: host N1 is listed twice"},
		{specs, ok, &fakeModel{fail: "4"}, "stage evaluate: host I1: viterbi and window log-likelihoods: underflow"},
	} {
		p := tc.p
		p.Hosts = tc.hosts
		_, err := Run(context.Background(), Input{Model: tc.m, Windows: wins}, p)
		if err == nil || err.Error() != tc.want {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ok.Hosts = specs
	if _, err := Run(ctx, Input{Model: &fakeModel{}, Windows: wins}, ok); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

// TestRunModel runs the stage with real models, one ordinary and one with
// variances so small that emission densities differ by thousands of nats
// between states (the fast forward pass declines), and checks every
// host's scores, bit for bit, against Decode and ScoreFrames called
// separately on the host's rows.
func TestRunModel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	wins := testWindows(t, mem)
	defer wins.Release()
	for _, v := range []float64{1, 1e-4} {
		m := &hmm.Gaussian{Covariance: hmm.Diag, K: 4, D: 2,
			Startprob: []float64{0.4, 0.3, 0.2, 0.1},
			Transmat:  []float64{0.7, 0.1, 0.1, 0.1, 0.1, 0.7, 0.1, 0.1, 0.1, 0.1, 0.7, 0.1, 0.1, 0.1, 0.1, 0.7},
			Means:     []float64{1, 2, 2, 3, 4, 5, 9, 9},
			Covars:    []float64{v, v, v, v, v, v, v, v}}
		res, err := Run(context.Background(), Input{Model: m, Windows: wins}, Params{Score: ScoreViterbi, Input: InputRows, Workers: 2, Hosts: specs})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hosts {
			hw := wins.Host(h.Host)
			if hw.Insufficient {
				continue
			}
			seqs, _ := train.Inputs(hw, train.InputRows)
			vit, _, err := m.Decode(seqs)
			if err != nil {
				t.Fatal(err)
			}
			frames, err := m.ScoreFrames(seqs)
			if err != nil {
				t.Fatal(err)
			}
			want := []float64{sum(vit), sum(frames), sum(frames) / float64(hw.Count)}
			got := []float64{h.Viterbi, h.LogLik, h.LogLikPerWindow}
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(h.WindowScores, frames) {
				t.Errorf("variance %g, host %s: scores %v %v, separately %v %v", v, h.Host, got, h.WindowScores, want, frames)
			}
		}
	}
}

func TestLongestFirst(t *testing.T) {
	var hws []*window.HostWindows
	for _, n := range []int{2, 5, 0, 5, 1} {
		hws = append(hws, &window.HostWindows{Count: n})
	}
	if got, want := longestFirst(hws), []int{1, 3, 0, 4, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("longestFirst = %v, want %v", got, want)
	}
}

// The Markov baseline end to end on a tiny input, against a hand
// computation. Windows of 2 flows, stride 1; P's codes 0 1 1 0 give the
// training sequences (0,1) (1,1) (1,0). Order 1, α = 1, S = 3:
//
//	start counts 1 2 0 of 3:      P(0) = 2/6, P(1) = 3/6, P(2) = 1/6
//	after 0 (0→1), 1 of 1:        P(·|0) = 1/4 2/4 1/4
//	after 1 (1→1, 1→0), 2 of 2:   P(·|1) = 2/5 2/5 1/5
//	after 2: unseen, uniform 1/3
//
// so P scores (0,1) 1/3·2/4, (1,1) 1/2·2/5, (1,0) 1/2·2/5: 1/150 in all; N's
// windows (2,2) and (2,0) score 1/6·1/3 each; I's (0,1) 1/6.
func TestMarkovBaselineByHand(t *testing.T) {
	mem := memory.NewGoAllocator()
	w := windows(t, mem, []string{"P", "N", "I"}, [][]int32{{0, 1, 1, 0}, {2, 2, 0}, {0, 1}})
	tr, err := train.Run(context.Background(), train.Input{Windows: w, Symbols: 3},
		train.Params{Markov: &train.MarkovParams{Order: 1, Alpha: 1}, Input: InputSequences, Profiles: []string{"P"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Input{Model: tr.Model, Windows: w}, Params{Score: ScoreLogLik, Input: InputSequences,
		Hosts: []HostSpec{{"P", ClassProfile}, {"N", ClassNormal}, {"I", ClassInfected}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"P": math.Log(1.0 / 150), "N": 2 * math.Log(1.0/18), "I": math.Log(1.0 / 6)}
	for _, h := range res.Hosts {
		if math.Abs(h.LogLik-want[h.Host]) > 1e-12 || h.Viterbi != h.LogLik {
			t.Errorf("%s: loglik %v viterbi %v, want %v for both", h.Host, h.LogLik, h.Viterbi, want[h.Host])
		}
	}
	if got := tr.Report.Restarts[0].FinalLogLik; math.Abs(got-want["P"]) > 1e-12 {
		t.Errorf("training log-likelihood %v, want %v", got, want["P"])
	}
	if res.Metrics["auc_host"] != 1 {
		t.Errorf("auc_host %v, want 1", res.Metrics["auc_host"])
	}
}

// concat: the chain of TestMarkovBaselineByHand scores I's and N's windows
// concatenated. N's windows (2,2) (2,0) make the sequence 2 2 2 0:
// P(2) = 1/6, then three times after 2 (unseen, 1/3): window (2,2) scores
// 1/6·1/3 and window (2,0) 1/3·1/3; loglik = log(1/162).
func TestConcatByHand(t *testing.T) {
	mem := memory.NewGoAllocator()
	w := windows(t, mem, []string{"P", "N"}, [][]int32{{0, 1, 1, 0}, {2, 2, 0}})
	tr, err := train.Run(context.Background(), train.Input{Windows: w, Symbols: 3},
		train.Params{Markov: &train.MarkovParams{Order: 1, Alpha: 1}, Input: InputConcat, Profiles: []string{"P"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Input{Model: tr.Model, Windows: w}, Params{Score: ScoreLogLik, Input: InputConcat,
		Hosts: []HostSpec{{"P", ClassProfile}, {"N", ClassNormal}}})
	if err != nil {
		t.Fatal(err)
	}
	n := res.Hosts[1]
	want := []float64{math.Log(1.0 / 18), math.Log(1.0 / 9)}
	if math.Abs(n.LogLik-math.Log(1.0/162)) > 1e-12 || len(n.WindowScores) != 2 ||
		math.Abs(n.WindowScores[0]-want[0]) > 1e-12 || math.Abs(n.WindowScores[1]-want[1]) > 1e-12 {
		t.Errorf("N: loglik %v windows %v, want %v and %v", n.LogLik, n.WindowScores, math.Log(1.0/162), want)
	}
}
