package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Version is the version of the stage's output for the same Params and
// file content: part of the stage's cache key. 2: proto in lower case. 3:
// impossible dates (Feb 31), empty binetflow Proto, SrcAddr or DstAddr and
// NetFlow lines whose direction field is no arrow (fields shifted) are bad
// lines, no longer loaded (an entry made before would keep them). 4: a
// clock second 60 (10:19:60) is a bad line, no longer the next minute.
const Version = 4

// Params are the load parameters of a pipeline spec; with the file's
// content hash they make the stage's cache key.
type Params struct {
	Format string `json:"format"` // "auto" (or ""), "netflow" or "binetflow"
	// OnBadLine is "fail" (or "": the first unparseable line is an error)
	// or "skip" (it is counted and reported in Stats).
	OnBadLine string `json:"on_bad_line"`
	// SkipFirstDataLine drops the first data line, as the notebook's
	// read_csv(skiprows=1, header=0) does by taking it for the header.
	SkipFirstDataLine bool `json:"skip_first_data_line"`
	// Columns are the Schema columns to parse and return, plus line (nil:
	// all of them). Every line's fields are still counted, but a value is
	// parsed, and so checked, only if its column is asked for: a malformed
	// port in a file read for src_addr and bytes is not an error.
	Columns []string `json:"columns"`
}

// Input is the file Run reads and how it reads it: nothing here changes
// the result but the file's content, which a cache key names by its hash.
type Input struct {
	Mem     memory.Allocator // nil: memory.DefaultAllocator
	Path    string
	Workers int // parsing goroutines; 0 means GOMAXPROCS
	// Keep is the label filter pushed down into the reader (the filter
	// stage's predicate, see package filter): a line whose label Keep
	// rejects is counted as Filtered and not parsed further. The label
	// slice is only valid during the call. nil keeps all lines.
	Keep func(label []byte) bool
	// KeepFor, used when Keep is nil, returns the filter for the format
	// read from the header (label filters differ between the formats), so
	// that a caller need not open the file once more to detect it.
	KeepFor func(format string) func(label []byte) bool
	// Progress, if set, is called from Run's goroutine with the number of
	// decompressed bytes parsed so far.
	Progress func(bytesDone int64)
	// SHA256 asks for the sha256 of the decompressed content, computed on
	// its own goroutine from the blocks the parsers read (no second read or
	// decompression of the file). Result.SHA256 is empty if Run stopped
	// before the end of the file.
	SHA256 bool
}

// Result is the output of Run.
type Result struct {
	Flows  arrow.RecordBatch // Schema (or its Params.Columns); rows in file order; the caller releases it
	Stats  Stats
	SHA256 string // hex, with Input.SHA256 and a complete read
}

// Stats count what Run read. Lines = Kept + Filtered + Bad + Skipped.
type Stats struct {
	Format   string // "netflow" or "binetflow"
	Bytes    int64  // decompressed bytes, header included
	Lines    int64  // data lines: not the header, not blank lines
	Kept     int64
	Filtered int64 // rejected by Input.Keep
	Bad      int64 // unparseable (OnBadLine "skip")
	Skipped  int64 // dropped by Params.SkipFirstDataLine
	BadLines []BadLine
}

// BadLine describes a line that could not be parsed.
type BadLine struct {
	Line   int64 // 1-based line number in the decompressed file
	Reason string
	Text   string // the line, cut to maxBadText bytes
}

const (
	maxBadLines = 100
	maxBadText  = 256
)

// Validate reports an unknown format, on_bad_line or column.
func (p Params) Validate() error {
	switch p.Format {
	case "", FormatAuto, FormatNetflow, FormatBinetflow:
	default:
		return fmt.Errorf("format %q: want auto, netflow or binetflow", p.Format)
	}
	switch p.OnBadLine {
	case "", "fail", "skip":
	default:
		return fmt.Errorf("on_bad_line %q: want fail or skip", p.OnBadLine)
	}
	_, err := projection(p.Columns)
	return err
}

// Run reads in.Path and returns its flows that in.Keep accepts.
// Errors name the file, and for an unparseable line with OnBadLine "fail",
// the line: "path:LINE: reason".
func Run(ctx context.Context, input Input, p Params) (*Result, error) {
	if input.Workers < 0 {
		return nil, fmt.Errorf("load %s: workers %d: want >= 0", input.Path, input.Workers)
	}
	mem := input.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("load %s: %w", input.Path, err)
	}
	workers := input.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	in, err := openInput(input.Path, workers)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", input.Path, err)
	}
	defer in.close()
	format, err := Detect(in.header)
	if err != nil {
		return nil, fmt.Errorf("%s:1: %w", input.Path, err)
	}
	if p.Format != "" && p.Format != FormatAuto && p.Format != format {
		return nil, &FormatError{Path: input.Path, Requested: p.Format, Header: format}
	}
	failFast := p.OnBadLine != "skip"
	need, _ := projection(p.Columns) // checked by validate
	keep := input.Keep
	if keep == nil && input.KeepFor != nil {
		keep = input.KeepFor(format)
	}
	w := &worker{parser: parserFor(format), keep: keep, skipFirst: p.SkipFirstDataLine, failFast: failFast, need: need}

	// firstBad is the lowest chunk index holding a bad line in fail mode;
	// later chunks need not be read.
	var firstBad atomic.Int64
	firstBad.Store(math.MaxInt64)
	stop := func(i int) bool { return int64(i) > firstBad.Load() }

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan chunk)
	done := make(chan *chunkResult)
	var prodErr error
	var stopped atomic.Bool // a chunk was not produced: the hash is partial
	stopAt := func(i int) bool {
		if stop(i) {
			stopped.Store(true)
			return true
		}
		return false
	}
	var hashed chan string
	if input.SHA256 {
		hashed = make(chan string, 1)
		raw := make(chan chunk)
		go func() {
			prodErr = in.produce(ctx, raw, stopAt)
			close(raw)
		}()
		go teeHash(in.header, raw, jobs, workers, hashed)
	} else {
		go func() {
			prodErr = in.produce(ctx, jobs, stopAt)
			close(jobs)
		}()
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range jobs {
				var r *chunkResult
				if !stop(c.index) && ctx.Err() == nil {
					r = w.parse(c)
				} else {
					r = &chunkResult{index: c.index, skipped: true}
				}
				c.done()
				if failFast && r.bad > 0 {
					storeMin(&firstBad, int64(c.index))
				}
				done <- r
			}
		})
	}
	go func() { wg.Wait(); close(done) }()

	var results []*chunkResult
	bytesDone := int64(len(in.header))
	for r := range done {
		for len(results) <= r.index {
			results = append(results, nil)
		}
		results[r.index] = r
		bytesDone += r.bytes
		if input.Progress != nil {
			input.Progress(bytesDone)
		}
	}
	// The hash may still be reading the last chunks: the columns are merged
	// meanwhile, but every return waits for it, since the input (perhaps a
	// mapping) is closed then.
	sha := ""
	waitHash := func() {
		if hashed != nil {
			sha, hashed = <-hashed, nil
		}
	}
	defer waitHash()
	if prodErr != nil {
		return nil, fmt.Errorf("load %s: %w", input.Path, prodErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := merge(mem, input.Path, format, int64(len(in.header)), results, failFast, need)
	waitHash()
	if err == nil && !stopped.Load() {
		res.SHA256 = sha
	}
	return res, err
}

// teeHash forwards the chunks of raw to jobs and hashes them, in order, on
// a goroutine of its own; a chunk's memory is handed back once both the
// parser and the hash are done with it. It sends the hex sha256 of header
// and every chunk on hashed when raw is closed.
func teeHash(header []byte, raw <-chan chunk, jobs chan<- chunk, workers int, hashed chan<- string) {
	h := sha256.New()
	h.Write(header)
	toHash := make(chan chunk, workers+2)
	hashDone := make(chan struct{})
	go func() {
		for c := range toHash {
			h.Write(c.data)
			c.done()
		}
		close(hashDone)
	}()
	for c := range raw {
		var refs atomic.Int32
		refs.Store(2)
		release := c.done
		c.done = func() {
			if refs.Add(-1) == 0 {
				release()
			}
		}
		toHash <- c
		jobs <- c
	}
	close(toHash)
	close(jobs)
	<-hashDone
	hashed <- hex.EncodeToString(h.Sum(nil))
}

// storeMin lowers a to v if v is smaller.
func storeMin(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v >= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// worker parses chunks; it is shared by the parsing goroutines.
type worker struct {
	parser    lineParser
	keep      func([]byte) bool
	skipFirst bool
	failFast  bool
	need      colset // the columns to parse
	hint      sizeHint
}

// sizeHint sizes a chunk's columns by the mean density of the chunks parsed
// before it, so that most chunks never grow (and copy) their slices while
// the reserved total stays close to the kept rows. Capacities are not part
// of the result, so the hint does not make it depend on scheduling.
type sizeHint struct {
	mu          sync.Mutex
	rows, bytes int64
	str         [6]int64
}

func (h *sizeHint) reserve(c *columns, size int, need colset) {
	h.mu.Lock()
	var rows int
	var str [6]int
	if h.bytes > 0 && h.rows > 0 {
		rows = int(h.rows * int64(size) / h.bytes)
		for i := range str {
			str[i] = int(h.str[i] * int64(rows) / h.rows)
		}
	}
	h.mu.Unlock()
	if rows == 0 {
		return
	}
	c.grow(rows+rows/16+16, need)
	for i, s := range c.strCols() {
		if need.has(strBits[i]) {
			s.data = make([]byte, 0, str[i]+str[i]/16+64)
		}
	}
}

func (h *sizeHint) learn(c *columns, size int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rows += int64(len(c.line))
	h.bytes += int64(size)
	for i, s := range c.strCols() {
		h.str[i] += int64(len(s.data))
	}
}

type localBad struct {
	local        int64
	reason, text string
}

// chunkResult is what one chunk yields; line numbers in it are local to the
// chunk (0 = its first line).
type chunkResult struct {
	index                          int
	skipped                        bool // not read: an earlier chunk failed
	bytes, lines                   int64
	dataLines, kept, filtered, bad int64
	skippedFirst                   int64
	cols                           *columns
	badLines                       []localBad
}

func (w *worker) parse(c chunk) *chunkResult {
	res := &chunkResult{index: c.index, bytes: int64(len(c.data))}
	cols := &columns{}
	w.hint.reserve(cols, len(c.data), w.need)
	skipFirst := w.skipFirst && c.index == 0
	var r row
	var days dayCache
	data := c.data
	var k int64 = -1
	for pos := 0; pos < len(data); {
		var line []byte
		if nl := bytes.IndexByte(data[pos:], '\n'); nl >= 0 {
			line = data[pos : pos+nl]
			pos += nl + 1
		} else {
			line = data[pos:]
			pos = len(data)
		}
		k++
		if len(line) == 0 || isSpace(line[0]) && len(trimSpace(line)) == 0 {
			continue
		}
		res.dataLines++
		if skipFirst {
			skipFirst = false
			res.skippedFirst++
			continue
		}
		if w.keep != nil && !w.keep(w.parser.label(line)) {
			res.filtered++
			continue
		}
		if err := w.parser.parse(line, &r, w.need, &days); err != nil {
			res.bad++
			if len(res.badLines) < maxBadLines {
				text := line
				if len(text) > maxBadText {
					text = text[:maxBadText]
				}
				res.badLines = append(res.badLines, localBad{local: k, reason: err.Error(), text: string(text)})
			}
			if w.failFast {
				break
			}
			continue
		}
		res.kept++
		cols.append(k, &r, w.need)
	}
	res.lines = k + 1
	w.hint.learn(cols, len(c.data))
	res.cols = cols
	return res
}

// merge concatenates chunk results in file order and numbers their lines.
func merge(mem memory.Allocator, path, format string, headerBytes int64, results []*chunkResult, failFast bool, need colset) (*Result, error) {
	st := Stats{Format: format, Bytes: headerBytes}
	next := int64(2) // line number of the first line after the header
	chunks := make([]*columns, 0, len(results))
	bases := make([]int64, 0, len(results))
	for _, r := range results {
		if r == nil || r.skipped {
			return nil, errors.New("load: internal error: chunk missing")
		}
		for _, bl := range r.badLines {
			if failFast {
				return nil, fmt.Errorf("%s:%d: %s", path, next+bl.local, bl.reason)
			}
			if len(st.BadLines) < maxBadLines {
				st.BadLines = append(st.BadLines, BadLine{Line: next + bl.local, Reason: bl.reason, Text: bl.text})
			}
		}
		st.Bytes += r.bytes
		st.Lines += r.dataLines
		st.Kept += r.kept
		st.Filtered += r.filtered
		st.Bad += r.bad
		st.Skipped += r.skippedFirst
		chunks = append(chunks, r.cols)
		bases = append(bases, next)
		next += r.lines
	}

	rec, err := record(mem, chunks, bases, need)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return &Result{Flows: rec, Stats: st}, nil
}

// FormatError is a file whose header is not of the format Params.Format
// requests: the spec's data.format is wrong for the file (or the file is
// not the one meant). The pipeline names the data.format key's line.
type FormatError struct {
	Path      string // the data file
	Requested string // Params.Format
	Header    string // the format its header is
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s:1: format %s requested, but the header is a %s header", e.Path, e.Requested, e.Header)
}
