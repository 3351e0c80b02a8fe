package window

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"botprof/stages/discretize"
)

// CompatNotebook makes windows as the notebook does: n − Size windows of a
// host with n flows (the last possible window is dropped), stride 1.
const CompatNotebook = "notebook"

// Version is the version of the stage's output for the same Params and
// input: part of its cache key.
const Version = 1

// Input is the stage's input: the discretizer's codes.
type Input struct {
	Codes *discretize.Result
}

// Params configures the stage: windows of Size flows, Stride apart, or,
// with Span, time windows.
type Params struct {
	Size   int    `json:"size" yaml:"size"`
	Stride int    `json:"stride" yaml:"stride"`
	Compat string `json:"compat,omitempty" yaml:"compat"`
	// Span (microseconds, the start_time unit) makes time windows: a
	// host's flows are cut into consecutive windows, each starting at the
	// first flow not in an earlier one and holding every flow that starts
	// less than Span after it; windows of fewer than MinFlows flows are
	// left out (their flows are not reused). Size and Stride are 0.
	Span     int64 `json:"span_us,omitempty" yaml:"span_us"`
	MinFlows int   `json:"min_flows,omitempty" yaml:"min_flows"`
}

func (p Params) errorf(format string, args ...any) error {
	return fmt.Errorf("stage window (size=%d): "+format, append([]any{p.Size}, args...)...)
}

// Validate reports Size or Stride below 1, an unknown compat, and notebook
// compat with a stride other than 1.
func (p Params) Validate() error {
	var errs []error
	if p.Span != 0 {
		if p.Span < 0 || p.Size != 0 || p.Stride != 0 || p.Compat != "" || p.MinFlows < 1 {
			errs = append(errs, fmt.Errorf("stage window: span %dµs: want span > 0, min_flows ≥ 1 (got %d), and no size, stride or compat",
				p.Span, p.MinFlows))
		}
		return errors.Join(errs...)
	}
	if p.MinFlows != 0 {
		errs = append(errs, p.errorf("min_flows belongs to time windows (span)"))
	}
	if p.Size < 1 {
		errs = append(errs, p.errorf("size must be ≥ 1"))
	}
	if p.Stride < 1 {
		errs = append(errs, p.errorf("stride %d, must be ≥ 1", p.Stride))
	}
	switch p.Compat {
	case "":
	case CompatNotebook:
		if p.Stride != 1 {
			errs = append(errs, p.errorf("compat notebook needs stride 1, not %d", p.Stride))
		}
	default:
		errs = append(errs, p.errorf("compat %q: want \"\" or %q", p.Compat, CompatNotebook))
	}
	return errors.Join(errs...)
}

// Count returns the number of windows of a host with n flows: (n−Size)/Stride
// + 1 when n ≥ Size, else 0; n − Size (at least 0) under notebook compat.
func (p Params) Count(n int) int {
	if p.Compat == CompatNotebook {
		return max(n-p.Size, 0)
	}
	if n < p.Size {
		return 0
	}
	return (n-p.Size)/p.Stride + 1
}

// Least is the least number of flows that gives a host one window:
// Size, or Size + 1 under notebook compat, or MinFlows for time windows.
func (p Params) Least() int {
	if p.Span > 0 {
		return p.MinFlows
	}
	if p.Compat == CompatNotebook {
		return p.Size + 1
	}
	return p.Size
}

// Need says what a host lacks when it has no window, for messages:
// "need > 9" (flows), or for time windows "no 1s window of 3 or more".
func (p Params) Need() string {
	if p.Span > 0 {
		return fmt.Sprintf("no %s window of %d or more", time.Duration(p.Span)*time.Microsecond, p.MinFlows)
	}
	return fmt.Sprintf("need > %d", p.Least()-1)
}

// HostWindows are the windows of one host.
type HostWindows struct {
	Host         string
	Flows        int
	Count        int
	Insufficient bool
	size, stride int
	codes        []int32 // the host's codes: a view into the discretize record
	// Time windows: window i is codes[starts[i]:ends[i]] (nil otherwise).
	starts, ends []int32
}

// Window returns window i (0 ≤ i < Count): a view of Size codes, not a copy.
// Appending to it never writes into the codes.
func (h *HostWindows) Window(i int) []int32 {
	if i < 0 || i >= h.Count {
		panic(fmt.Sprintf("window: index %d out of range [0, %d) for host %s", i, h.Count, h.Host))
	}
	if h.starts != nil {
		s, e := h.starts[i], h.ends[i]
		return h.codes[s:e:e]
	}
	s := i * h.stride
	return h.codes[s : s+h.size : s+h.size]
}

// Size is the number of codes in each of the host's windows (0 for time
// windows, whose lengths vary: see Window).
func (h *HostWindows) Size() int { return h.size }

// Result is the stage output. It holds a reference to the discretize codes
// the windows view; Release it when done.
type Result struct {
	Params Params
	// Hosts are in discretize host order (profiled host first), hosts
	// without flows included.
	Hosts []HostWindows
	rec   arrow.RecordBatch
}

// Host returns the windows of host, or nil if it is not listed.
func (r *Result) Host(host string) *HostWindows {
	for i := range r.Hosts {
		if r.Hosts[i].Host == host {
			return &r.Hosts[i]
		}
	}
	return nil
}

// Release drops the reference to the code record.
func (r *Result) Release() {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
}

// Run windows every host of codes. The windows are views into codes.Codes,
// which Run retains until Result.Release.
func Run(ctx context.Context, in Input, p Params) (*Result, error) {
	codes := in.Codes
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if codes == nil {
		return nil, p.errorf("no flow codes")
	}
	if err := codes.CheckCodes(); err != nil {
		return nil, p.errorf("%w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Result{Params: p, Hosts: make([]HostWindows, len(codes.Hosts))}
	if p.Span > 0 {
		times, err := startTimes(codes)
		if err != nil {
			return nil, p.errorf("%w", err)
		}
		for i, h := range codes.Hosts {
			hw := HostWindows{Host: h.Host, Flows: h.Flows, codes: codes.HostCodes(i)}
			hw.starts, hw.ends = spans(times[h.Offset:h.Offset+h.Flows], p.Span, p.MinFlows)
			hw.Count = len(hw.starts)
			hw.Insufficient = hw.Count == 0
			res.Hosts[i] = hw
		}
		codes.Codes.Retain()
		res.rec = codes.Codes
		return res, nil
	}
	for i, h := range codes.Hosts {
		n := p.Count(h.Flows)
		res.Hosts[i] = HostWindows{Host: h.Host, Flows: h.Flows, Count: n, Insufficient: n <= 0,
			size: p.Size, stride: p.Stride, codes: codes.HostCodes(i)}
	}
	codes.Codes.Retain()
	res.rec = codes.Codes
	return res, nil
}

// startTimes returns the start_time column of the codes (microseconds).
func startTimes(codes *discretize.Result) ([]arrow.Timestamp, error) {
	idx := codes.Codes.Schema().FieldIndices("start_time")
	if len(idx) != 1 {
		return nil, errors.New("codes have no start_time column")
	}
	ts, ok := codes.Codes.Column(idx[0]).(*array.Timestamp)
	if !ok || ts.NullN() > 0 {
		return nil, fmt.Errorf("column start_time is %s with nulls: want a timestamp without nulls", codes.Codes.Column(idx[0]).DataType())
	}
	if u := ts.DataType().(*arrow.TimestampType).Unit; u != arrow.Microsecond {
		return nil, fmt.Errorf("start_time is in %s, want microseconds", u)
	}
	return ts.TimestampValues(), nil
}

// spans cuts one host's flows (start times in time order) into consecutive
// windows of flows starting less than span after the window's first flow,
// keeping those of at least minFlows flows.
func spans(t []arrow.Timestamp, span int64, minFlows int) (starts, ends []int32) {
	for i := 0; i < len(t); {
		j := i + 1
		for j < len(t) && int64(t[j]-t[i]) < span {
			j++
		}
		if j-i >= minFlows {
			starts, ends = append(starts, int32(i)), append(ends, int32(j))
		}
		i = j
	}
	return starts, ends
}
