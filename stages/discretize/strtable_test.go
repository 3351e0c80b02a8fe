package discretize

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestStrTable checks the string table on keys of every length up to and
// past the short-key limit, read both from Go strings and from an Arrow
// buffer (where a value may end near the buffer's end).
func TestStrTable(t *testing.T) {
	var keys []string
	for n := range 40 {
		for _, c := range []string{"a", "b", "\x00", "ÿ"} {
			keys = append(keys, strings.Repeat(c, n))
			keys = append(keys, fmt.Sprintf("%s%d", strings.Repeat(c, n), n))
		}
	}
	seen := map[string]bool{}
	var uniq []string
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	half := uniq[:len(uniq)/2]
	for _, tab := range []*strTable{newStrSet(half), func() *strTable {
		tb := newStrTable(1)
		for _, k := range half {
			tb.insert(k)
		}
		return tb
	}()} {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		b.AppendValues(uniq, nil)
		a := b.NewStringArray()
		b.Release()
		offs, data := stringBuffers(a)
		for i, k := range uniq {
			want := int32(-1)
			if i < len(half) {
				want = int32(i)
			}
			if got := tab.find(k); got != want {
				t.Errorf("find(%q) = %d, want %d", k, got, want)
			}
			if got := tab.findAt(a, offs, data, i); got != want {
				t.Errorf("findAt(%q) = %d, want %d", k, got, want)
			}
		}
		a.Release()
	}
}
