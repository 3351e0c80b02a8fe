package discretize

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// strTable maps distinct strings to ids 0, 1, … in order of insertion: an
// open-addressing table that is cheaper than a Go map for the per-row
// lookups of the stage. A string of up to 16 bytes is its key: two words
// that hold all its bytes, and its length, so finding it takes no string
// comparison and, read straight from an Arrow buffer, few branches. Longer
// strings are hashed with maphash and compared.
type strTable struct {
	slots []strSlot
	keys  []string
	mask  uint64
	seed  uint64
}

type strSlot struct {
	a, b uint64 // words of a short key; the hash of a long one
	n    uint64 // 0: empty; 1+len for a short key; longKey for a long one
	id   int32
}

const (
	shortKey = 16
	longKey  = shortKey + 2
)

var strSeed = maphash.MakeSeed()

// words returns the key words of s, len(s) <= shortKey.
func words(s string) (a, b uint64) {
	var buf [16]byte
	copy(buf[:], s)
	return binary.LittleEndian.Uint64(buf[:8]), binary.LittleEndian.Uint64(buf[8:])
}

// wordsAt returns the key words of data[lo:hi], for hi-lo <= shortKey and
// lo+16 <= len(data).
func wordsAt(data []byte, lo, hi int) (a, b uint64) {
	p := data[lo : lo+16]
	n := uint(hi - lo)
	// A shift by 64 or more gives 0 in Go.
	ma := ^uint64(0) >> (64 - 8*min(n, 8))
	mb := ^uint64(0) >> (64 - 8*(max(n, 8)-8))
	return binary.LittleEndian.Uint64(p[:8]) & ma, binary.LittleEndian.Uint64(p[8:]) & mb
}

func (t *strTable) hash(a, b, n uint64) uint64 {
	hi, lo := bits.Mul64(a^t.seed^0xa0761d6478bd642f, b^0xe7037ed1a0b428db^n)
	return hi ^ lo
}

func newStrTable(size int) *strTable {
	n := 16
	for n < 2*size {
		n *= 2
	}
	return &strTable{slots: make([]strSlot, n), mask: uint64(n - 1)}
}

// newStrSet returns a table of keys, ids in order (keys must be distinct),
// with a hash that puts every key in its own slot if one is found: the
// table finds the rows of the listed hosts.
func newStrSet(keys []string) *strTable {
	var t *strTable
	for size := 4 * len(keys); ; size *= 2 {
		for seed := range uint64(64) {
			t = newStrTable(size)
			t.seed = seed * 0x9e3779b97f4a7c15
			for _, k := range keys {
				t.insert(k)
			}
			if !t.collides() || size >= 64*len(keys) {
				return t
			}
		}
	}
}

// collides reports whether a key is not in its home slot.
func (t *strTable) collides() bool {
	for i, sl := range t.slots {
		if sl.n != 0 && sl.n != longKey && t.hash(sl.a, sl.b, sl.n)&t.mask != uint64(i) {
			return true
		}
	}
	return false
}

// find returns the id of s, or -1.
func (t *strTable) find(s string) int32 {
	if len(s) > shortKey {
		return t.findLong(s)
	}
	a, b := words(s)
	return t.findKey(a, b, uint64(len(s))+1)
}

// findAt returns the id of value i of a, whose offsets and data buffer
// (from offset 0) are offs and data, or -1.
func (t *strTable) findAt(a *array.String, offs []int32, data []byte, i int) int32 {
	lo, hi := int(offs[i]), int(offs[i+1])
	if hi-lo > shortKey || lo+16 > len(data) {
		return t.find(a.Value(i))
	}
	x, y := wordsAt(data, lo, hi)
	return t.findKey(x, y, uint64(hi-lo)+1)
}

func (t *strTable) findKey(a, b, n uint64) int32 {
	for i := t.hash(a, b, n) & t.mask; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		if (sl.a^a)|(sl.b^b)|(sl.n^n) == 0 {
			return sl.id
		}
		if sl.n == 0 {
			return -1
		}
	}
}

func (t *strTable) findLong(s string) int32 {
	h := maphash.String(strSeed, s)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		if sl.n == longKey && sl.a == h && t.keys[sl.id] == s {
			return sl.id
		}
		if sl.n == 0 {
			return -1
		}
	}
}

// insert adds s, which t must not hold, and returns its id. t keeps s: it
// must not point into memory that changes.
func (t *strTable) insert(s string) int32 {
	t.keys = append(t.keys, s)
	id := int32(len(t.keys) - 1)
	if 2*len(t.keys) > len(t.slots) {
		t.slots = make([]strSlot, 2*len(t.slots))
		t.mask = uint64(len(t.slots) - 1)
		for k, s := range t.keys {
			t.put(s, int32(k))
		}
	} else {
		t.put(s, id)
	}
	return id
}

func (t *strTable) put(s string, id int32) {
	sl := strSlot{id: id}
	var h uint64
	if len(s) > shortKey {
		h = maphash.String(strSeed, s)
		sl.a, sl.n = h, longKey
	} else {
		sl.a, sl.b = words(s)
		sl.n = uint64(len(s)) + 1
		h = t.hash(sl.a, sl.b, sl.n)
	}
	i := h & t.mask
	for t.slots[i].n != 0 {
		i = (i + 1) & t.mask
	}
	t.slots[i] = sl
}
