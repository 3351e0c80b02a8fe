package cache

import (
	"reflect"
	"strings"
	"testing"
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
