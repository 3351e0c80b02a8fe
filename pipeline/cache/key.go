package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

// Version is the cache format version. It is the first line of every key
// description and is recorded in every entry's meta.json; bump it when the
// layout of entries or the meaning of descriptions changes, and every old
// entry becomes a miss ("foreign: format version N").
const Version = 2

// header is the first line of every key description.
var header = fmt.Sprintf("botprof-cache v%d", Version)

// DefaultDir returns the cache directory: $BOTPROF_CACHE if set, else
// ".botprof-cache" (relative to the working directory).
func DefaultDir() string {
	if d := os.Getenv("BOTPROF_CACHE"); d != "" {
		return d
	}
	return ".botprof-cache"
}

// Key identifies one stage output.
type Key struct {
	// ID is the hex SHA-256 of Desc.
	ID string
	// Desc is the plain-text description hashed into ID, one "\n"-terminated
	// line per item: "botprof-cache v2", "stage <name>", "version <n>", then
	// the sorted lines "file <name>=<sha256>", "input <name>=<key id>" and
	// "param <name>=<canonical JSON>".
	Desc string
}

// Short returns the first 12 hex digits of the key, for messages.
func (k Key) Short() string {
	if len(k.ID) < 12 {
		return k.ID
	}
	return k.ID[:12]
}

// Stage returns the stage name recorded in the description.
func (k Key) Stage() string {
	for _, l := range strings.Split(k.Desc, "\n") {
		if s, ok := strings.CutPrefix(l, "stage "); ok {
			return s
		}
	}
	return ""
}

// KeyBuilder accumulates the description of a stage output. Methods chain;
// the first error (an unencodable value, a bad or repeated name) is kept and
// returned by Key.
type KeyBuilder struct {
	stage   string
	version int
	lines   []string
	names   map[string]bool
	err     error
}

// NewKey starts the description of stage at stageVersion. Bump stageVersion
// whenever the stage's code changes its output for the same parameters.
func NewKey(stage string, stageVersion int) *KeyBuilder {
	b := &KeyBuilder{stage: stage, version: stageVersion, names: map[string]bool{}}
	if err := checkName(stage); err != nil {
		b.err = fmt.Errorf("cache key: stage %q: %w", stage, err)
	}
	return b
}

// Param adds a parameter. Its value is written as canonical JSON: objects
// (maps and structs alike) with sorted keys, no HTML escaping, numbers as
// encoding/json writes them.
func (b *KeyBuilder) Param(name string, value any) *KeyBuilder {
	v, err := canonicalJSON(value)
	if err != nil {
		b.fail(fmt.Errorf("cache key %s: param %s: %w", b.stage, name, err))
		return b
	}
	return b.add("param", name, v)
}

// Params adds every field of params (a struct or map: the keys of its JSON
// object) as its own parameter. A stage's key built from the Params value
// its Run is given names exactly what the stage computes with, and a
// changed field shows in Explain by its name.
func (b *KeyBuilder) Params(params any) *KeyBuilder {
	return b.ParamsWith(nil, params)
}

// ParamsWith is Params taking the encoding of the fields from memo when an
// earlier params value had the same JSON (memo may be nil: no memo). The
// fields are encoded from that JSON alone, so the key is the same.
func (b *KeyBuilder) ParamsWith(memo *ParamsMemo, params any) *KeyBuilder {
	raw, err := json.Marshal(params)
	if err != nil {
		b.fail(fmt.Errorf("cache key %s: params: %w", b.stage, err))
		return b
	}
	enc := memo.encode(raw)
	if enc.err != nil {
		b.fail(fmt.Errorf("cache key %s: params are not a JSON object: %w", b.stage, enc.err))
		return b
	}
	for _, f := range enc.fields {
		if f.err != nil {
			b.fail(fmt.Errorf("cache key %s: param %s: %w", b.stage, f.name, f.err))
			continue
		}
		b.add("param", f.name, f.value)
	}
	return b
}

// ParamsMemo remembers the encodings of recent Params values by their
// JSON: the points of a sweep share most stages' parameters (all but the
// swept ones), and encoding them, field by field into canonical JSON,
// was 29 ms CPU of a warm 45-point collect. It holds at most
// paramsMemoSize encodings (a sweep of 10^5 points, each training with its
// own parameters, re-encodes the shared ones once per paramsMemoSize
// points). Safe for concurrent use; the zero value is ready.
type ParamsMemo struct {
	mu  sync.Mutex
	enc map[string]encodedParams // by the params' JSON
}

const paramsMemoSize = 256

// encodedParams are the fields of one params JSON object, sorted by name,
// each encoded as canonical JSON (or failed to be); err is set when the
// JSON is not an object.
type encodedParams struct {
	fields []encodedParam
	err    error
}

type encodedParam struct {
	name, value string
	err         error
}

// encode returns the encoding of the params JSON raw, from the memo if it
// has it (m may be nil).
func (m *ParamsMemo) encode(raw []byte) encodedParams {
	if m == nil {
		return encodeParams(raw)
	}
	m.mu.Lock()
	enc, ok := m.enc[string(raw)]
	m.mu.Unlock()
	if ok {
		return enc
	}
	enc = encodeParams(raw)
	m.mu.Lock()
	if m.enc == nil || len(m.enc) >= paramsMemoSize {
		m.enc = map[string]encodedParams{}
	}
	m.enc[string(raw)] = enc
	m.mu.Unlock()
	return enc
}

func encodeParams(raw []byte) encodedParams {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return encodedParams{err: err}
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	enc := encodedParams{fields: make([]encodedParam, len(names))}
	for i, name := range names {
		v, err := canonicalJSON(fields[name])
		enc.fields[i] = encodedParam{name: name, value: v, err: err}
	}
	return enc
}

// Input adds the key of an upstream stage output.
func (b *KeyBuilder) Input(name string, key Key) *KeyBuilder {
	if !isHexID(key.ID) {
		b.fail(fmt.Errorf("cache key %s: input %s: %q is not a key id", b.stage, name, key.ID))
		return b
	}
	return b.add("input", name, key.ID)
}

// File adds an input file by the hex sha256 of its contents.
func (b *KeyBuilder) File(name, sha256 string) *KeyBuilder {
	if !isHexID(sha256) {
		b.fail(fmt.Errorf("cache key %s: file %s: %q is not a hex sha256", b.stage, name, sha256))
		return b
	}
	return b.add("file", name, sha256)
}

// Key returns the finished key, or the first error met while building it.
func (b *KeyBuilder) Key() (Key, error) {
	if b.err != nil {
		return Key{}, b.err
	}
	body := append([]string(nil), b.lines...)
	sort.Strings(body)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\nstage %s\nversion %d\n", header, b.stage, b.version)
	for _, l := range body {
		sb.WriteString(l)
		sb.WriteByte('\n')
	}
	desc := sb.String()
	return Key{ID: hashString(desc), Desc: desc}, nil
}

func (b *KeyBuilder) add(kind, name, value string) *KeyBuilder {
	if err := checkName(name); err != nil {
		b.fail(fmt.Errorf("cache key %s: %s %q: %w", b.stage, kind, name, err))
		return b
	}
	if b.names[kind+" "+name] {
		b.fail(fmt.Errorf("cache key %s: %s %s given twice", b.stage, kind, name))
		return b
	}
	b.names[kind+" "+name] = true
	b.lines = append(b.lines, kind+" "+name+"="+value)
	return b
}

func (b *KeyBuilder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// checkName rejects names that would make a description ambiguous.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if strings.ContainsAny(name, "= \t\r\n") {
		return errors.New("name contains '=', a space or a line break")
	}
	return nil
}

// canonicalJSON encodes v, then decodes and re-encodes it so that struct
// fields are sorted like map keys and the text depends only on the value.
func canonicalJSON(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func isHexID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
