package pipeline

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SpecError is a problem with a spec, located by file, line and YAML path.
type SpecError struct {
	File string
	Line int
	Set  string // the --set override the problem comes from ("key=value"), if any
	Path string
	Msg  string
}

func (e *SpecError) Error() string {
	var b strings.Builder
	if e.Set != "" {
		b.WriteString("--set ")
		b.WriteString(e.Set)
		b.WriteString(":")
	} else if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// decodeStrict fills dst (a pointer to a struct) from a YAML node. Unlike
// yaml.v3's own decoding it rejects unknown keys, duplicate keys and wrong
// types with the dotted YAML path and line of the offending node. Fields not
// present in the YAML keep the value dst already has (its defaults).
func decodeStrict(file string, n *yaml.Node, dst any) error {
	d := decoder{file: file}
	return d.decode(n, reflect.ValueOf(dst).Elem(), "")
}

type decoder struct{ file string }

func (d decoder) errf(n *yaml.Node, path, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &SpecError{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func (d decoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return d.decode(n.Content[0], v, path)
	}
	if n.Kind == yaml.AliasNode {
		return d.errf(n, path, "YAML aliases are not supported in specs")
	}
	if l, ok := v.Addr().Interface().(*HostList); ok && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		var h string
		if err := d.decodeScalar(n, reflect.ValueOf(&h).Elem(), path); err != nil {
			return err
		}
		*l = HostList{h}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return d.errf(n, path, "expected a list, got %s", describe(n))
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if err := d.decode(c, out.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := d.decode(n, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return d.errf(n, path, "expected %s, got %s", kindName(v.Type()), describe(n))
	}
	return d.decodeScalar(n, v, path)
}

func (d decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if ds, ok := v.Addr().Interface().(*DataSpec); ok && n.Kind == yaml.SequenceNode {
		return d.decodeSources(n, ds, path)
	}
	if n.Kind != yaml.MappingNode {
		return d.errf(n, path, "expected a mapping, got %s", describe(n))
	}
	fields := map[string]int{}
	var known []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = i
		known = append(known, name)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		sub := joinPath(path, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			return d.errf(k, sub, "unknown key (known keys here: %s)", strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return d.errf(k, sub, "key given twice")
		}
		seen[k.Value] = true
		if err := d.decode(val, v.Field(idx), sub); err != nil {
			return err
		}
	}
	return nil
}

// decodeSources decodes the list form of data: every element is a data
// mapping with the defaults of the one-source form.
func (d decoder) decodeSources(n *yaml.Node, ds *DataSpec, path string) error {
	if len(n.Content) == 0 {
		return d.errf(n, path, "an empty list of sources: name at least one flow file")
	}
	def := DefaultSpec().Data
	out := make([]DataSpec, len(n.Content))
	for i, c := range n.Content {
		sub := fmt.Sprintf("%s[%d]", path, i)
		if c.Kind != yaml.MappingNode {
			return d.errf(c, sub, "a source is a mapping (name, path, ...), got %s", describe(c))
		}
		out[i] = def
		if err := d.decode(c, reflect.ValueOf(&out[i]).Elem(), sub); err != nil {
			return err
		}
	}
	*ds = DataSpec{Sources: out}
	return nil
}

func (d decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) error {
	s := n.Value
	switch v.Kind() {
	case reflect.String:
		if n.Tag == "!!null" {
			v.SetString("")
			return nil
		}
		// A plain timestamp (split.at: 2011-08-18 12:30:00) is YAML's
		// !!timestamp: its text is what the user wrote.
		if n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!timestamp" {
			return d.errf(n, path, "expected a string, got %s", describe(n))
		}
		v.SetString(s)
	case reflect.Bool:
		if n.Tag != "!!bool" {
			return d.errf(n, path, "expected true or false, got %s", describe(n))
		}
		b, _ := strconv.ParseBool(strings.ToLower(s))
		v.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		if n.Tag != "!!int" {
			return d.errf(n, path, "expected an integer, got %s", describe(n))
		}
		i, err := strconv.ParseInt(s, 0, 64)
		if err != nil || v.OverflowInt(i) {
			return d.errf(n, path, "integer %q out of range", s)
		}
		v.SetInt(i)
	case reflect.Uint64, reflect.Uint32, reflect.Uint:
		if n.Tag != "!!int" {
			return d.errf(n, path, "expected a non-negative integer, got %s", describe(n))
		}
		u, err := strconv.ParseUint(s, 0, 64)
		if err != nil || v.OverflowUint(u) {
			return d.errf(n, path, "expected a non-negative integer, got %q", s)
		}
		v.SetUint(u)
	case reflect.Float64:
		if n.Tag != "!!int" && n.Tag != "!!float" {
			return d.errf(n, path, "expected a number, got %s", describe(n))
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return d.errf(n, path, "expected a number, got %q", s)
		}
		v.SetFloat(f)
	default:
		return d.errf(n, path, "unsupported field type %s", v.Type())
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "nothing (null)"
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int":
		return fmt.Sprintf("the integer %s", n.Value)
	case "!!float":
		return fmt.Sprintf("the number %s", n.Value)
	case "!!bool":
		return fmt.Sprintf("the boolean %s", n.Value)
	}
	return fmt.Sprintf("%q", n.Value)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	}
	return t.String()
}

// cloneNode deep-copies a YAML node tree.
func cloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = cloneNode(k)
	}
	return &c
}

// parseValueNode parses the text of a --set value as a YAML value node, so
// that `--set model.states=8` is an integer and `--set hosts.normal=[a,b]` a list.
func parseValueNode(text string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}, nil
	}
	return doc.Content[0], nil
}
