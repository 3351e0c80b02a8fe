package pipeline

// Plans: a spec file with its --set overrides, expanded over the sweep axes.

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Plan is a parsed spec file: its points (one, or the sweep's product) in a
// deterministic order, the first axis varying slowest. A plan holds the
// spec and the sweep's axes, not its points: Point(i) materialises point i
// on demand (every point was decoded and validated when the plan was
// made), so that a plan's memory does not grow with its points.
type Plan struct {
	File  string
	Name  string      // experiment name
	Sweep []SweepAxis // in spec order
	Raw   []byte      // the spec file as read
	Sets  []string
	// Base is the spec as written plus overrides, before any sweep axis
	// is applied: what the points share. Its swept keys hold the file's
	// value outside the sweep block, or the default.
	Base Spec
	// Narrowed lists the sweep axes --set replaced or added.
	Narrowed []string

	pts    *expansion // the whole sweep's points; shared by shards (see Shard)
	off, n int        // this plan's points are pts's [off, off+n)
}

// Len is the number of points.
func (p *Plan) Len() int { return p.n }

// Point returns point i (0 ≤ i < Len()), built anew on every call: the
// caller owns it.
func (p *Plan) Point(i int) Point {
	if i < 0 || i >= p.n {
		panic(fmt.Sprintf("pipeline: point %d of a plan of %d", i, p.n))
	}
	pt, err := p.pts.point(p.off+i, false)
	if err != nil {
		// The plan checked every point when it was made.
		panic(fmt.Sprintf("pipeline: point %d of %s no longer decodes: %v", i, p.File, err))
	}
	return pt
}

// sweeps reports whether a sweep axis sets the key or a key below it.
func (p *Plan) sweeps(key string) bool {
	for _, ax := range p.Sweep {
		if ax.Key == key || strings.HasPrefix(ax.Key, key+".") {
			return true
		}
	}
	return false
}

// Points yields every point with its index, in plan order.
func (p *Plan) Points() iter.Seq2[int, Point] {
	return func(yield func(int, Point) bool) {
		for i := range p.n {
			if !yield(i, p.Point(i)) {
				return
			}
		}
	}
}

// SweepAxis is one key of a sweep block with its values (YAML text).
type SweepAxis struct {
	Key    string
	Values []string
}

// Point is one fully resolved experiment point.
type Point struct {
	Name   string            // "base" or "window.size=20,model.states=8,model.seed=3"
	Params map[string]string // swept key -> value text
	Spec   Spec
}

var validSweepKey = regexp.MustCompile(`^[a-z_]+(\.[a-z_0-9]+)*$`)

// LoadPlan reads a spec file, applies --set overrides (key=value, YAML
// values) and expands its sweep. Every point is decoded strictly and
// validated; the first problem is returned with file, line and YAML path.
// A sweep of more than DefaultMaxPoints points is refused (see
// LoadPlanLimit).
func LoadPlan(file string, sets []string) (*Plan, error) {
	return LoadPlanLimit(file, sets, DefaultMaxPoints)
}

// DefaultMaxPoints is the largest sweep LoadPlan expands: a bigger one is
// more often a mistake (an axis too many) than an intent, and every one of
// its points is checked before any runs (about 25 µs a point; the plan
// keeps none of them). `botprof run --max-points` raises it.
const DefaultMaxPoints = 10000

// LoadPlanLimit is LoadPlan with the limit on the number of points
// (maxPoints <= 0: none). The count is checked before any point is built.
func LoadPlanLimit(file string, sets []string, maxPoints int) (*Plan, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parsePlan(file, raw, sets, maxPoints)
}

// ParsePlan is LoadPlan on spec text already read.
func ParsePlan(file string, raw []byte, sets []string) (*Plan, error) {
	return parsePlan(file, raw, sets, DefaultMaxPoints)
}

func parsePlan(file string, raw []byte, sets []string, maxPoints int) (*Plan, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		if line := tabIndentLine(raw, err); line > 0 {
			return nil, &SpecError{File: file, Line: line, Msg: tabIndentMsg}
		}
		return nil, &SpecError{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) == 0 {
		return nil, &SpecError{File: file, Msg: "the spec is empty"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &SpecError{File: file, Line: root.Line, Msg: "a spec is a mapping of keys (experiment, data, hosts, ...)"}
	}
	// Split off the sweep block: it is not part of a point's spec.
	var sweepNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sweep" {
			sweepNode = root.Content[i+1]
			root.Content = append(root.Content[:i:i], root.Content[i+2:]...)
			break
		}
	}
	narrowed, err := applySets(root, &sweepNode, sets)
	if err != nil {
		return nil, err
	}
	plan, err := expandPlan(file, raw, root, sweepNode, sets, maxPoints)
	if err != nil {
		return nil, attributeSets(err, sets)
	}
	plan.Narrowed = narrowed
	return plan, nil
}

const tabIndentMsg = "tab characters are not allowed for indentation in YAML: indent with spaces"

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+):`)

// tabIndentLine is the line of text whose indentation holds a tab, when
// err is YAML's syntax error about it (0 otherwise): yaml.v3 says "found
// character that cannot start any token" of a tab that indents a key, or
// "found a tab character that violates indentation" at the line before.
func tabIndentLine(text []byte, err error) int {
	msg := err.Error()
	m := yamlErrLine.FindStringSubmatch(msg)
	if m == nil || !strings.Contains(msg, "cannot start any token") && !strings.Contains(msg, "tab character") {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	lines := strings.Split(string(text), "\n")
	for _, l := range []int{n, n + 1, n - 1} {
		if l < 1 || l > len(lines) {
			continue
		}
		line := lines[l-1]
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") {
			return l
		}
	}
	return 0
}

// applySets applies --set overrides to a spec's root (without its sweep
// block) and to its sweep. An override of a swept key replaces that axis's
// values (`--set model.seed=7` or `--set 'model.seed=[1,2]'` narrows the
// seeds), as does `--set sweep.KEY=[...]`, which also adds an axis. It
// returns the axes it changed. The value nodes of override i carry the line
// -(i+1), so that errors found later name the override (attributeSets).
func applySets(root *yaml.Node, sweep **yaml.Node, sets []string) ([]string, error) {
	var narrowed []string
	for i, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, &SpecError{Set: s, Msg: "want key=value, e.g. --set model.states=8"}
		}
		vn, err := parseValueNode(v)
		if err != nil {
			if line := tabIndentLine([]byte(v), err); line > 0 {
				return nil, &SpecError{Set: s, Msg: fmt.Sprintf("value line %d: %s", line, tabIndentMsg)}
			}
			return nil, &SpecError{Set: s, Msg: fmt.Sprintf("value is not valid YAML: %v", err)}
		}
		markLines(vn, -(i + 1))
		if k == "sweep" {
			return nil, &SpecError{Set: s, Msg: "set one sweep axis at a time: --set sweep.KEY=[values]"}
		}
		axis, explicit := strings.CutPrefix(k, "sweep.")
		if explicit || hasAxis(*sweep, k) {
			if *sweep == nil || (*sweep).Kind == yaml.ScalarNode && (*sweep).Tag == "!!null" {
				*sweep = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			}
			if (*sweep).Kind != yaml.MappingNode {
				return nil, &SpecError{Set: s, Path: "sweep", Msg: "the spec's sweep block is not a mapping"}
			}
			if vn.Kind != yaml.SequenceNode {
				vn = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: vn.Line, Content: []*yaml.Node{vn}}
			}
			setAxis(*sweep, axis, vn)
			narrowed = append(narrowed, axis)
			continue
		}
		c, err := setPathCopy(root, k, vn)
		if err != nil {
			return nil, &SpecError{Set: s, Msg: err.Error()}
		}
		*root = *c
	}
	return narrowed, nil
}

// hasAxis reports whether the sweep block has the key.
func hasAxis(sweep *yaml.Node, key string) bool {
	if sweep == nil || sweep.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(sweep.Content); i += 2 {
		if sweep.Content[i].Value == key {
			return true
		}
	}
	return false
}

// setAxis replaces (or appends) the values of one sweep axis.
func setAxis(sweep *yaml.Node, key string, values *yaml.Node) {
	for i := 0; i+1 < len(sweep.Content); i += 2 {
		if sweep.Content[i].Value == key {
			sweep.Content[i+1] = values
			return
		}
	}
	sweep.Content = append(sweep.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: values.Line}, values)
}

// markLines gives every node of a tree the line l.
func markLines(n *yaml.Node, l int) {
	n.Line = l
	for _, c := range n.Content {
		markLines(c, l)
	}
}

// attributeSets rewrites a spec error found at a node that came from a
// --set override (a negative line, see applySets) to name the override
// instead of a line of the file.
func attributeSets(err error, sets []string) error {
	var se *SpecError
	if errors.As(err, &se) && se.Line < 0 && -se.Line <= len(sets) {
		se.Set, se.Line = sets[-se.Line-1], 0
	}
	return err
}

// expandPlan parses the sweep over the spec's root and checks every point
// (decoded strictly and validated, in plan order) without keeping any:
// the plan materialises a point again when it is asked for (Plan.Point).
func expandPlan(file string, raw []byte, root, sweepNode *yaml.Node, sets []string, maxPoints int) (*Plan, error) {
	base := DefaultSpec()
	if err := decodeStrict(file, cloneNode(root), &base); err != nil {
		return nil, err
	}
	if base.Experiment == "" {
		base.Experiment = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	plan := &Plan{File: file, Raw: raw, Sets: sets, Base: base}
	axes, axisNodes, err := parseSweep(file, sweepNode)
	if err != nil {
		return nil, err
	}
	plan.Sweep = axes
	n := pointCount(axes)
	if maxPoints > 0 && n > maxPoints {
		var dims []string
		for _, ax := range axes {
			dims = append(dims, fmt.Sprintf("%s (%d)", ax.Key, len(ax.Values)))
		}
		return nil, &SpecError{File: file, Line: sweepNode.Line, Path: "sweep",
			Msg: fmt.Sprintf("%d points (%s) exceed the limit of %d: narrow an axis (--set KEY=[...]) or raise --max-points", n, strings.Join(dims, " × "), maxPoints)}
	}
	if n > math.MaxInt32 {
		return nil, &SpecError{File: file, Line: sweepNode.Line, Path: "sweep", Msg: fmt.Sprintf("more than %d points: narrow an axis (--set KEY=[...])", math.MaxInt32)}
	}
	plan.pts = newExpansion(file, root, base, axes, axisNodes)
	plan.n = n
	// Every point is checked now, so that a run never starts on a sweep
	// with a bad point; none is kept.
	sameName := true
	for i := range n {
		pt, err := plan.pts.point(i, true)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			plan.Name = pt.Spec.Experiment
		}
		sameName = sameName && pt.Spec.Experiment == plan.Name
	}
	if !sameName {
		return nil, &SpecError{File: file, Path: "sweep.experiment", Msg: "the experiment name cannot be swept"}
	}
	return plan, nil
}

func parseSweep(file string, n *yaml.Node) ([]SweepAxis, [][]*yaml.Node, error) {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, nil, &SpecError{File: file, Line: n.Line, Path: "sweep", Msg: "expected a mapping of spec keys to lists of values, e.g. window.size: [5, 10, 20]"}
	}
	var axes []SweepAxis
	var nodes [][]*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := "sweep." + k.Value
		if !validSweepKey.MatchString(k.Value) {
			return nil, nil, &SpecError{File: file, Line: k.Line, Path: path, Msg: "a sweep key is a dotted spec key such as model.states"}
		}
		if k.Value == "sweep" || k.Value == "experiment" || strings.HasPrefix(k.Value, "sweep.") {
			return nil, nil, &SpecError{File: file, Line: k.Line, Path: path, Msg: "this key cannot be swept"}
		}
		if seen[k.Value] {
			return nil, nil, &SpecError{File: file, Line: k.Line, Path: path, Msg: "key given twice"}
		}
		if msg := unknownSpecKey(k.Value); msg != "" {
			return nil, nil, &SpecError{File: file, Line: k.Line, Path: path, Msg: msg}
		}
		seen[k.Value] = true
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return nil, nil, &SpecError{File: file, Line: v.Line, Path: path, Msg: "expected a non-empty list of values"}
		}
		ax := SweepAxis{Key: k.Value}
		vals := map[string]bool{}
		for j, c := range v.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, nil, &SpecError{File: file, Line: c.Line, Path: fmt.Sprintf("%s[%d]", path, j), Msg: "sweep values must be scalars"}
			}
			if vals[c.Value] {
				return nil, nil, &SpecError{File: file, Line: c.Line, Path: fmt.Sprintf("%s[%d]", path, j), Msg: fmt.Sprintf("value %s given twice", c.Value)}
			}
			vals[c.Value] = true
			ax.Values = append(ax.Values, c.Value)
		}
		axes = append(axes, ax)
		nodes = append(nodes, v.Content)
	}
	return axes, nodes, nil
}

// unknownSpecKey says why a sweep key names no spec key ("" when it does,
// or when only decoding a value can tell: below a list or a scalar). The
// point's decoding reported it at the key's spec path (model.bogus), not
// at the sweep's.
func unknownSpecKey(key string) string {
	t := reflect.TypeFor[Spec]()
	parts := strings.Split(key, ".")
	for i, p := range parts {
		if t.Kind() != reflect.Struct {
			return ""
		}
		f, ok := yamlField(t, p)
		if !ok {
			var known []string
			for j := 0; j < t.NumField(); j++ {
				if n, _, _ := strings.Cut(t.Field(j).Tag.Get("yaml"), ","); n != "" && n != "-" {
					known = append(known, n)
				}
			}
			where := "here"
			if i > 0 {
				where = "of " + strings.Join(parts[:i], ".")
			}
			return fmt.Sprintf("unknown key %s (known keys %s: %s)", key, where, strings.Join(known, ", "))
		}
		t = t.Field(f).Type
	}
	return ""
}

// pointCount is the number of points of a sweep (saturating, so that a
// huge product cannot overflow).
func pointCount(axes []SweepAxis) int {
	n := 1
	for _, ax := range axes {
		if n > math.MaxInt32 {
			return n
		}
		n *= len(ax.Values)
	}
	return n
}

// located is a message about the plan's value val of key (a point's,
// when a sweep axis sets the key) located as a spec error is: at the
// --set override it came from, else at its file and line.
func (p *Plan) located(key, val, msg string) string {
	return p.specError(key, val, msg).Error()
}

// specError is msg as a SpecError at key's line (located).
func (p *Plan) specError(key, val, msg string) *SpecError {
	e := p.pts
	line := 0
	for a, k := range e.keys {
		if k == key {
			for _, n := range e.vals[a] {
				if n.Value == val {
					line = n.Line
				}
			}
		}
	}
	if line == 0 {
		line = lineOf(e.root, key)
	}
	se := &SpecError{File: p.File, Line: line, Path: key, Msg: msg}
	attributeSets(se, p.Sets)
	return se
}

// lineOf finds the line of a dotted key path in a YAML tree (0 if absent;
// negative for a value from a --set override).
func lineOf(root *yaml.Node, path string) int {
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	cur := root
	line := 0
	for _, p := range strings.Split(path, ".") {
		name, idx, hasIdx := strings.Cut(p, "[")
		if cur.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for j := 0; j+1 < len(cur.Content); j += 2 {
			if cur.Content[j].Value == name {
				next = cur.Content[j+1]
				line = cur.Content[j].Line
				if next.Line < 0 { // a value from --set (see applySets)
					line = next.Line
				}
			}
		}
		if next == nil {
			return line
		}
		if hasIdx {
			var i int
			fmt.Sscanf(idx, "%d]", &i)
			if next.Kind == yaml.SequenceNode && i < len(next.Content) {
				next = next.Content[i]
				line = next.Line
			}
		}
		cur = next
	}
	if cur.Kind == yaml.ScalarNode && cur.Line > 0 {
		// The value's own line: a sweep point's value is on its axis's
		// line, not on the line of the key it replaces.
		line = cur.Line
	}
	return line
}
