package pipeline

// Sweep points, materialised on demand: a plan keeps the spec's tree, its
// decoded base and the axes' value nodes, and builds point i from them.

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"botprof/runfolder"
)

// expansion builds the points of a sweep. It is read-only once made, so
// that workers build points concurrently.
type expansion struct {
	file string
	root *yaml.Node // the spec's tree without its sweep block, overrides applied
	base Spec       // root decoded, with the experiment's default name
	keys []string
	vals [][]*yaml.Node // per axis, its value nodes
	// fields holds per axis the index path (reflect.Value.FieldByIndex)
	// of the Spec field its key names, when every axis can be decoded on
	// its own into a copy of base (direct); else nil.
	fields [][]int
	// refs remembers the reference folders read by the checks (see
	// checkReference); only the checks of expandPlan use it, one point
	// after another.
	refs map[string]refFolder
}

func newExpansion(file string, root *yaml.Node, base Spec, axes []SweepAxis, nodes [][]*yaml.Node) *expansion {
	e := &expansion{file: file, root: root, base: base, vals: nodes}
	unshare(reflect.ValueOf(&e.base).Elem()) // Plan.Base is the caller's
	direct := true
	for _, ax := range axes {
		e.keys = append(e.keys, ax.Key)
		idx, ok := directField(root, ax.Key)
		direct = direct && ok
		e.fields = append(e.fields, idx)
	}
	if !direct {
		e.fields = nil
	}
	return e
}

// directField returns the index path of the Spec field key names when
// setting key in the spec's tree (setPath) and decoding the whole tree
// gives the same spec as decoding only the key's value into that field of
// the decoded tree: the key names a field that is not a struct (a struct
// decoded from a null is the defaults, not what the file has) through
// struct fields, and the tree holds along the way only mappings, nulls or
// nothing (setPath fails on anything else). Then a point is its base plus
// its axis values.
func directField(root *yaml.Node, key string) ([]int, bool) {
	t := reflect.TypeFor[Spec]()
	parts := strings.Split(key, ".")
	var idx []int
	for _, p := range parts {
		if t.Kind() != reflect.Struct {
			return nil, false
		}
		i, ok := yamlField(t, p)
		if !ok {
			return nil, false
		}
		idx = append(idx, i)
		t = t.Field(i).Type
	}
	if t.Kind() == reflect.Struct {
		return nil, false
	}
	cur := root
	for _, p := range parts[:len(parts)-1] {
		if cur == nil || cur.Kind == yaml.ScalarNode && cur.Tag == "!!null" {
			break
		}
		if cur.Kind != yaml.MappingNode {
			return nil, false
		}
		var next *yaml.Node
		for j := 0; j+1 < len(cur.Content); j += 2 {
			if cur.Content[j].Value == p {
				next = cur.Content[j+1]
				break
			}
		}
		cur = next
	}
	return idx, true
}

// yamlField finds the field of struct type t that decodeStruct fills from
// the key name.
func yamlField(t reflect.Type, name string) (int, bool) {
	for i := 0; i < t.NumField(); i++ {
		n, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if n != "" && n != "-" && n == name {
			return i, true
		}
	}
	return 0, false
}

// point builds point i. With check it validates the point (Spec.Validate,
// on the point's YAML tree for the lines of its errors); without, it only
// canonicalises its hosts as Validate does: the point was checked when
// the plan was made.
func (e *expansion) point(i int, check bool) (Point, error) {
	combo := make([]*yaml.Node, len(e.vals))
	for a := len(e.vals) - 1; a >= 0; a-- {
		n := len(e.vals[a])
		combo[a] = e.vals[a][i%n]
		i /= n
	}
	params := make(map[string]string, len(combo))
	var name strings.Builder
	for a, v := range combo {
		if a > 0 {
			name.WriteByte(',')
		}
		name.WriteString(e.keys[a])
		name.WriteByte('=')
		name.WriteString(v.Value)
		params[e.keys[a]] = v.Value
	}
	pname := "base"
	if name.Len() > 0 {
		pname = name.String()
	}

	var spec Spec
	var directErr error
	if e.fields != nil {
		spec = e.base
		unshare(reflect.ValueOf(&spec).Elem())
		sv := reflect.ValueOf(&spec).Elem()
		d := decoder{file: e.file}
		for a, v := range combo {
			if directErr = d.decode(v, sv.FieldByIndex(e.fields[a]), e.keys[a]); directErr != nil {
				break
			}
		}
	}
	var tree *yaml.Node
	if e.fields == nil || directErr != nil || check {
		// The point's tree: the spec's with the axis values set, sharing
		// every node off the keys' paths.
		tree = e.root
		for a, v := range combo {
			var err error
			if tree, err = setPathCopy(tree, e.keys[a], v); err != nil {
				return Point{}, &SpecError{File: e.file, Line: v.Line, Path: "sweep." + e.keys[a], Msg: err.Error()}
			}
		}
	}
	if e.fields == nil || directErr != nil {
		// Decoding the whole tree reports the first bad value in the
		// file's order, as it always has.
		spec = DefaultSpec()
		if err := decodeStrict(e.file, tree, &spec); err != nil {
			return Point{}, err
		}
		if directErr != nil {
			return Point{}, directErr
		}
		if spec.Experiment == "" {
			spec.Experiment = strings.TrimSuffix(filepath.Base(e.file), filepath.Ext(e.file))
		}
	}
	if check {
		err := spec.Validate(e.file, tree)
		if err == nil {
			err = e.checkReference(&spec, tree)
		}
		if err != nil {
			if len(combo) > 0 {
				return Point{}, &pointError{pname, err}
			}
			return Point{}, err
		}
	} else if len(spec.Data.Sources) > 0 {
		spec.canonicalHosts(&validator{})
	}
	return Point{Name: pname, Params: params, Spec: spec}, nil
}

// pointError is a sweep point's spec error. Its text is made when asked
// for, not when it is wrapped: attributeSets rewrites the SpecError inside
// to name a --set override after the point wrapped it.
type pointError struct {
	point string
	err   error
}

func (e *pointError) Error() string { return "sweep point " + e.point + ": " + e.err.Error() }
func (e *pointError) Unwrap() error { return e.err }

// unshare gives v (addressable) its own copy of every slice and pointer
// it holds, so that a point copied from the base shares nothing with it.
func unshare(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			unshare(v.Field(i))
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := 0; i < c.Len(); i++ {
			unshare(c.Index(i))
		}
		v.Set(c)
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		unshare(c.Elem())
		v.Set(c)
	case reflect.Map, reflect.Interface:
		panic("pipeline: unshare: a Spec holds no " + v.Kind().String())
	}
}

// setPathCopy sets the dotted key path in the mapping node root to value,
// creating intermediate mappings as needed, on a copy of root that shares
// every node off the key's path with root (which it leaves unchanged), and
// returns the copy. It is how --set overrides and sweep points are applied
// before decoding, so that they are validated exactly like values written
// in the file.
func setPathCopy(root *yaml.Node, path string, value *yaml.Node) (*yaml.Node, error) {
	c := copyNode(root)
	parts := strings.Split(path, ".")
	cur := c
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("key %q has an empty part", path)
		}
		if cur.Kind == yaml.ScalarNode && cur.Tag == "!!null" {
			cur.Kind, cur.Tag, cur.Value = yaml.MappingNode, "!!map", ""
		}
		if cur.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("key %q: %s is not a mapping", path, strings.Join(parts[:i], "."))
		}
		var next *yaml.Node
		for j := 0; j+1 < len(cur.Content); j += 2 {
			if cur.Content[j].Value == p {
				if i == len(parts)-1 {
					cur.Content[j+1] = value
					return c, nil
				}
				next = copyNode(cur.Content[j+1])
				cur.Content[j+1] = next
				break
			}
		}
		// Keys it adds carry the value's line: an error at them (an
		// unknown key) names the line, or the --set override, it came from.
		if i == len(parts)-1 {
			cur.Content = append(cur.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p, Line: value.Line}, value)
			return c, nil
		}
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: value.Line}
			cur.Content = append(cur.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p, Line: value.Line}, next)
		}
		cur = next
	}
	return c, nil
}

// copyNode copies a node and its list of children, not the children.
func copyNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = append([]*yaml.Node(nil), n.Content...)
	return &c
}

// refFolder is what checkReference read from a reference folder: its
// points in order, or why it could not be read.
type refFolder struct {
	points []string
	err    error
}

// checkReference checks a point's reference section against the folder it
// names, when the plan is made rather than after the run: reference.path
// must be a results folder with scores, reference.point one of its points,
// and reference.point or reference.score need reference.path.
func (e *expansion) checkReference(s *Spec, tree *yaml.Node) error {
	ref := s.Reference
	v := validator{file: e.file, root: tree}
	if ref.Path == "" {
		for _, k := range []struct{ path, val string }{{"reference.point", ref.Point}, {"reference.score", ref.Score}} {
			if k.val != "" {
				v.fail(k.path, "applies to a reference folder: set reference.path too")
			}
		}
		return v.err
	}
	dir := referenceDir(e.file, ref.Path)
	if e.refs == nil {
		e.refs = map[string]refFolder{}
	}
	f, ok := e.refs[dir]
	if !ok {
		if !statDir(dir) {
			f.err = fmt.Errorf("no such folder (a relative path is looked up in the spec file's directory, then in the working directory)")
		} else if _, f.points, f.err = runfolder.ReadScores(filepath.Join(dir, "scores.csv")); f.err == nil && len(f.points) == 0 {
			f.err = fmt.Errorf("%s has no scored points", filepath.Join(dir, "scores.csv"))
		}
		e.refs[dir] = f
	}
	switch {
	case f.err != nil:
		v.fail("reference.path", "%s is not a results folder with scores: %v", ref.Path, f.err)
	case ref.Point != "" && !slices.Contains(f.points, ref.Point):
		some := f.points
		if len(some) > 5 {
			some = append(slices.Clone(some[:5]), "…")
		}
		v.fail("reference.point", "%s has no point %q (points there: %s)", ref.Path, ref.Point, strings.Join(some, ", "))
	}
	return v.err
}
