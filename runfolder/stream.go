package runfolder

// Streaming writers: manifest.json, metrics.json/.csv and
// scores.csv/.parquet written a point at a time, so that writing a run's
// results holds one point, not the run. Their bytes are those of the
// whole-value writers (WriteJSON, WriteMetrics, WriteScores), which are
// built on them.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"botprof/pipeline/cache"
)

// pointsKey is how WriteJSON lays out an empty top-level "points" array;
// JSONPoints streams the elements into it. Only a top-level key sits at
// the start of a line after one space of indentation (string values
// escape their newlines).
var pointsKey = []byte("\n \"points\": []")

// JSONPoints writes a JSON file of a results folder whose top-level
// "points" array is added to one element at a time: the bytes are those
// WriteJSON gives for the whole value (an empty array is written as null,
// as WriteJSON writes a nil slice).
type JSONPoints struct {
	path string
	f    *os.File
	w    *bufio.Writer
	tail []byte
	n    int
	elem bytes.Buffer
	err  error
}

// CreateJSONPoints creates the file at path for v, a struct whose
// top-level "points" field is an empty, non-nil slice; Add writes the
// elements, Close the rest of v.
func CreateJSONPoints(path string, v any) (*JSONPoints, error) {
	var b bytes.Buffer
	if err := encodeJSON(&b, v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	at := bytes.Index(b.Bytes(), pointsKey)
	if at < 0 || bytes.Contains(b.Bytes()[at+len(pointsKey):], pointsKey) {
		return nil, fmt.Errorf("%s: internal error: no single top-level empty points array to stream into", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	j := &JSONPoints{path: path, f: f, w: bufio.NewWriterSize(f, 64<<10)}
	head := at + len(pointsKey) - len("[]")
	j.w.Write(b.Bytes()[:head])
	j.tail = bytes.Clone(b.Bytes()[head+len("[]"):])
	return j, nil
}

// Add writes the next element of the points array.
func (j *JSONPoints) Add(v any) error {
	if j.err != nil {
		return j.err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		j.err = fmt.Errorf("%s: %w", j.path, err)
		return j.err
	}
	j.elem.Reset()
	// As the encoder indents an element of a top-level array: two levels.
	if err := json.Indent(&j.elem, raw, "  ", " "); err != nil {
		j.err = fmt.Errorf("%s: %w", j.path, err)
		return j.err
	}
	if j.n == 0 {
		j.w.WriteString("[\n  ")
	} else {
		j.w.WriteString(",\n  ")
	}
	j.n++
	_, err = j.w.Write(j.elem.Bytes())
	if err != nil {
		j.err = err
	}
	return err
}

// Close writes the end of the file and closes it; after an error it only
// closes it.
func (j *JSONPoints) Close() error {
	if j.err == nil {
		if j.n == 0 {
			j.w.WriteString("null")
		} else {
			j.w.WriteString("\n ]")
		}
		j.w.Write(j.tail)
		j.err = j.w.Flush()
	}
	return errors.Join(j.err, j.f.Close())
}

// MetricsWriter writes metrics.json and metrics.csv a point at a time
// (see WriteMetrics for the layout).
type MetricsWriter struct {
	js    *JSONPoints
	f     *os.File
	w     *bufio.Writer
	csv   *csv.Writer
	axes  []string
	names []string
	row   []string
}

// NewMetricsWriter creates dir's metrics.json and metrics.csv. names are
// the metrics of metrics.csv's columns: every metric any point has,
// sorted.
func NewMetricsWriter(dir, score string, axes, names []string) (*MetricsWriter, error) {
	js, err := CreateJSONPoints(filepath.Join(dir, "metrics.json"), MetricsFile{Score: score, Points: []MetricsPoint{}})
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "metrics.csv"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		js.Close()
		return nil, err
	}
	m := &MetricsWriter{js: js, f: f, w: bufio.NewWriterSize(f, 64<<10), axes: axes, names: names}
	m.csv = csv.NewWriter(m.w)
	header := append(append([]string{"point"}, axes...), names...)
	m.csv.Write(append(header, "train_loglik", "train_iterations", "train_converged"))
	return m, nil
}

// Add writes the next point.
func (m *MetricsWriter) Add(p MetricsPoint) error {
	if err := m.js.Add(p); err != nil {
		return err
	}
	row := append(m.row[:0], p.Point)
	for _, a := range m.axes {
		row = append(row, p.Params[a])
	}
	for _, n := range m.names {
		v, ok := p.Metrics[n]
		if !ok {
			v = math.NaN() // this point has no such metric: empty, not 0
		}
		row = append(row, fmtScore(&v))
	}
	if p.Train == nil {
		row = append(row, "", "", "")
	} else {
		ll := p.Train.LogLik
		row = append(row, fmtScore(&ll), strconv.Itoa(p.Train.Iterations), strconv.FormatBool(p.Train.Converged))
	}
	m.row = row
	return m.csv.Write(row)
}

// Close finishes both files.
func (m *MetricsWriter) Close() error {
	err := m.js.Close()
	return errors.Join(err, flushCSV(m.csv, m.w), m.f.Close())
}

// flushCSV flushes c and w, the buffer c writes into, and returns their
// error once: c's and w's are the same error, which both keep.
func flushCSV(c *csv.Writer, w *bufio.Writer) error {
	c.Flush()
	if err := c.Error(); err != nil {
		return err
	}
	return w.Flush()
}

// scoresBatchRows is how many rows ScoresWriter gathers before it hands
// them to the Parquet writer (which keeps a row group of
// cache.ParquetRowGroupRows rows, encoded, until it is full).
var scoresBatchRows = 4096

// ScoresWriter writes scores.csv and scores.parquet a point at a time
// (see WriteScores for the layout).
type ScoresWriter struct {
	dir      string
	axes     []Axis
	f, pf    *os.File
	w        *bufio.Writer
	csv      *csv.Writer
	rb       *array.RecordBuilder
	pq       *cache.ParquetWriter
	rows     int  // gathered, not yet handed to the Parquet writer
	wrote    bool // a batch was handed over
	row      []string
	released bool
}

// NewScoresWriter creates dir's scores.csv and scores.parquet for a sweep
// of the given axes.
func NewScoresWriter(dir string, axes []Axis) (_ *ScoresWriter, err error) {
	s := &ScoresWriter{dir: dir, axes: axes}
	defer func() {
		if err != nil {
			s.abort()
		}
	}()
	fields := []arrow.Field{{Name: "point", Type: arrow.BinaryTypes.String}}
	header := []string{"point"}
	for _, ax := range axes {
		fields = append(fields, arrow.Field{Name: ax.Key, Type: axisType(ax.Values)})
		header = append(header, ax.Key)
	}
	header = append(header, ScoreColumns...)
	fields = append(fields,
		arrow.Field{Name: "host", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "class", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "role", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "status", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "flows", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "windows", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "viterbi", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		arrow.Field{Name: "loglik", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		arrow.Field{Name: "loglik_per_window", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	)
	if s.f, err = os.OpenFile(filepath.Join(dir, "scores.csv"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err != nil {
		return nil, err
	}
	s.w = bufio.NewWriterSize(s.f, 64<<10)
	s.csv = csv.NewWriter(s.w)
	s.csv.Write(header)
	schema := arrow.NewSchema(fields, nil)
	s.rb = array.NewRecordBuilder(memory.NewGoAllocator(), schema)
	if s.pf, err = os.OpenFile(filepath.Join(dir, "scores.parquet"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err != nil {
		return nil, err
	}
	if s.pq, err = cache.NewParquetWriter(s.pf, schema); err != nil {
		return nil, err
	}
	return s, nil
}

// Add writes the rows of the next point.
func (s *ScoresWriter) Add(p PointScores) error {
	rb := s.rb
	addF := func(i int, v *float64) {
		fb := rb.Field(i).(*array.Float64Builder)
		if v == nil || math.IsNaN(*v) {
			fb.AppendNull()
		} else {
			fb.Append(*v)
		}
	}
	k := 1 + len(s.axes)
	for _, h := range p.Hosts {
		class, role := scoreRole(h.Class)
		row := append(s.row[:0], p.Point)
		rb.Field(0).(*array.StringBuilder).Append(p.Point)
		for i, ax := range s.axes {
			v := p.Params[ax.Key]
			row = append(row, v)
			appendAxis(rb.Field(1+i), v)
		}
		row = append(row, h.Host, class, role, h.Status, strconv.Itoa(h.Flows), strconv.Itoa(h.Windows),
			fmtScore(h.Viterbi), fmtScore(h.LogLik), fmtScore(h.LogLikPerWindow))
		s.row = row
		if err := s.csv.Write(row); err != nil {
			return err
		}
		rb.Field(k).(*array.StringBuilder).Append(h.Host)
		rb.Field(k + 1).(*array.StringBuilder).Append(class)
		rb.Field(k + 2).(*array.StringBuilder).Append(role)
		rb.Field(k + 3).(*array.StringBuilder).Append(h.Status)
		rb.Field(k + 4).(*array.Int64Builder).Append(int64(h.Flows))
		rb.Field(k + 5).(*array.Int64Builder).Append(int64(h.Windows))
		addF(k+6, h.Viterbi)
		addF(k+7, h.LogLik)
		addF(k+8, h.LogLikPerWindow)
		s.rows++
	}
	if s.rows >= scoresBatchRows {
		return s.flush()
	}
	return nil
}

// flush hands the gathered rows to the Parquet writer.
func (s *ScoresWriter) flush() error {
	if s.rows == 0 && s.wrote {
		return nil
	}
	// A run without scores still writes its one (empty) row group.
	rec := s.rb.NewRecordBatch()
	defer rec.Release()
	s.rows, s.wrote = 0, true
	return s.pq.Write(rec)
}

// Close finishes both files.
func (s *ScoresWriter) Close() error {
	err := errors.Join(flushCSV(s.csv, s.w), s.f.Close())
	s.f = nil
	if ferr := s.flush(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	err = errors.Join(err, s.pq.Close(), s.pf.Close())
	s.pq, s.pf = nil, nil
	s.abort()
	return err
}

// abort releases what is still open (after an error).
func (s *ScoresWriter) abort() {
	if s.f != nil {
		s.f.Close()
	}
	if s.pq != nil {
		s.pq.Close()
	}
	if s.pf != nil {
		s.pf.Close()
	}
	if s.rb != nil && !s.released {
		s.rb.Release()
		s.released = true
	}
}

// scanJSONPoints reads a JSON file of a results folder whose top-level
// "points" array may be long: each element goes to each (which decodes it
// from dec) as it is read, every other top-level field into head. Reading
// holds one element at a time, not the file.
func scanJSONPoints(path string, head any, each func(dec *json.Decoder) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 64<<10))
	started := false // a token was read: an EOF is then a file cut short
	fail := func(err error) error {
		switch {
		case err == io.EOF && !started:
			err = errors.New("empty file, want a JSON object")
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			err = errors.New("unexpected end of JSON input (the file is cut short)")
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	delim := func(want json.Delim) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); !ok || d != want {
			return fmt.Errorf("offset %d: want %q, got %v", dec.InputOffset(), want, tok)
		}
		return nil
	}
	if err := delim('{'); err != nil {
		return fail(err)
	}
	started = true
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		key, _ := tok.(string)
		if key != "points" {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return fail(err)
			}
			fields[key] = v
			continue
		}
		tok, err = dec.Token()
		if err != nil {
			return fail(err)
		}
		if tok == nil {
			continue // null: no points
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return fail(fmt.Errorf("offset %d: points is not an array", dec.InputOffset()))
		}
		for dec.More() {
			if err := each(dec); err != nil {
				return fail(err)
			}
		}
		if err := delim(']'); err != nil {
			return fail(err)
		}
	}
	if err := delim('}'); err != nil {
		return fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail(fmt.Errorf("offset %d: data after the top-level object", dec.InputOffset()))
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return fail(err)
	}
	if err := json.Unmarshal(b, head); err != nil {
		return fail(err)
	}
	return nil
}

// ScanManifest reads manifest.json at path: the manifest without its
// points, and each point, in file order, to fn.
func ScanManifest(path string, fn func(ManifestPoint) error) (Manifest, error) {
	var m Manifest
	err := scanPoints(path, &m, func(p *ManifestPoint) string { return p.Name }, fn)
	return m, err
}

// ScanMetrics reads metrics.json at path: the file without its points,
// and each point, in file order, to fn.
func ScanMetrics(path string, fn func(MetricsPoint) error) (MetricsFile, error) {
	var mf MetricsFile
	err := scanPoints(path, &mf, func(p *MetricsPoint) string { return p.Point }, fn)
	return mf, err
}

// scanPoints is scanJSONPoints decoding each element as a P, named by
// name, which must be unique in the file (once).
func scanPoints[P any](path string, head any, name func(*P) string, fn func(P) error) error {
	seen := map[string]bool{}
	return scanJSONPoints(path, head, func(dec *json.Decoder) error {
		var p P
		if err := dec.Decode(&p); err != nil {
			return err
		}
		if err := once(seen, name(&p)); err != nil {
			return err
		}
		return fn(p)
	})
}

// once records a point's name, an error if seen holds it already: a
// results file lists each point once, and a reader that met a point twice
// (a file edited, or two files joined) counted it twice or kept either.
func once(seen map[string]bool, name string) error {
	if seen[name] {
		return fmt.Errorf("point %q is listed twice", name)
	}
	seen[name] = true
	return nil
}
