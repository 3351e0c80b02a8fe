package cache

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExplain(t *testing.T) {
	c := newTestCache(t)
	const id = "point=window.size=10/stage=window"
	codesA := Key{ID: "3f2a" + strings.Repeat("0", 60)}
	codesB := Key{ID: "9b1c" + strings.Repeat("1", 60)}
	key := func(b *KeyBuilder) Key {
		t.Helper()
		k, err := b.Key()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k1 := key(NewKey("window", 1).Param("window.size", 10).Param("window.stride", 1).Input("codes", codesA))
	if got := c.Explain(id, k1); !reflect.DeepEqual(got, []string{FirstRun}) {
		t.Errorf("Explain before Record = %q", got)
	}
	if err := c.Record(id, k1); err != nil {
		t.Fatal(err)
	}
	if got := c.Explain(id, k1); got != nil {
		t.Errorf("Explain of the same key = %q, want nil", got)
	}
	k2 := key(NewKey("window", 2).Param("window.size", 20).Input("codes", codesB).Param("window.compat", "notebook"))
	want := []string{
		"version: 1 -> 2",
		"input codes: 3f2a0000… -> 9b1c1111…",
		`added param window.compat: "notebook"`,
		"param window.size: 10 -> 20",
		"removed param window.stride",
	}
	if got := c.Explain(id, k2); !reflect.DeepEqual(got, want) {
		t.Errorf("Explain =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Identities are independent, and Record replaces the previous record.
	if got := c.Explain("point=base/stage=window", k2); !reflect.DeepEqual(got, []string{FirstRun}) {
		t.Errorf("Explain of another identity = %q", got)
	}
	if err := c.Record(id, k2); err != nil {
		t.Fatal(err)
	}
	if got := c.Explain(id, k2); got != nil {
		t.Errorf("Explain after re-Record = %q", got)
	}
}

// TestRecordUnchanged checks that recording the key a record already holds
// keeps the record's file and only refreshes its mtime for GC (hourly, as
// an entry's), while a record of any other content, damaged ones
// included, is rewritten.
func TestRecordUnchanged(t *testing.T) {
	c := newTestCache(t)
	now := t0
	c.now = func() time.Time { return now }
	const id = "point=base/stage=window"
	k1, k2 := testKey(t, "window", 1), testKey(t, "window", 2)
	path := c.explainPath(id)
	stat := func() os.FileInfo {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	check := func(what string, want Key) {
		t.Helper()
		if err := c.Record(id, want); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != want.Desc {
			t.Errorf("%s: record = %q, %v; want %q", what, b, err, want.Desc)
		}
	}
	check("first record", k1)
	first := stat()
	if !first.ModTime().Equal(t0) {
		t.Errorf("mtime of a new record = %v, want %v", first.ModTime(), t0)
	}
	now = t0.Add(30 * time.Minute)
	check("same key", k1)
	if st := stat(); !os.SameFile(st, first) || !st.ModTime().Equal(t0) {
		t.Errorf("same key 30 minutes later: rewritten %v, mtime %v; want the same file, mtime %v", !os.SameFile(st, first), st.ModTime(), t0)
	}
	now = t0.Add(10 * 24 * time.Hour)
	check("same key", k1)
	if st := stat(); !os.SameFile(st, first) || !st.ModTime().Equal(now) {
		t.Errorf("same key 10 days later: rewritten %v, mtime %v; want the same file, mtime %v", !os.SameFile(st, first), st.ModTime(), now)
	}
	// Damage of the same size, truncation, growth: rewritten.
	for _, damaged := range []string{strings.Replace(k1.Desc, "window", "wINdow", 1), k1.Desc[:len(k1.Desc)-1], k1.Desc + "x", ""} {
		writeFileT(t, path, []byte(damaged))
		check("damaged record", k1)
	}
	check("another key", k2)
}
