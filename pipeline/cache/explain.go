package cache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const explainDir = "explain"

// FirstRun is the single line Explain returns when no key was recorded for
// an identity.
const FirstRun = "first run"

func (c *Cache) explainPath(identity string) string {
	return filepath.Join(c.dir, explainDir, hashString(identity)+".txt")
}

// Record remembers key as the last key used for a stage identity, a caller
// string naming one stage of one sweep point, such as
// "point=window.size=10/stage=window". The record is replaced atomically.
// A record that already holds key is not rewritten (every stage of a warm
// run records the key it had: a write and a rename each, 30 ms CPU of a
// 45-point collect); its use is noted like an entry's (touch), since GC
// removes records by the age of their mtime.
func (c *Cache) Record(identity string, key Key) error {
	path := c.explainPath(identity)
	if c.recorded(path, key) {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(c.dir, explainDir), 0o777); err != nil {
		return fmt.Errorf("cache explain: %w", err)
	}
	f, err := os.CreateTemp(filepath.Join(c.dir, tmpDir), "explain-")
	if err != nil {
		return fmt.Errorf("cache explain: %w", err)
	}
	_, err = f.WriteString(key.Desc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		now := c.now()
		err = os.Chtimes(f.Name(), now, now) // GC ages records by mtime
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("cache explain %s: %w", identity, err)
	}
	return nil
}

// recorded reports whether the record at path holds exactly key's
// description, and if so touches it. A record of any other content (an
// older key, or damage) is not: Record replaces it.
func (c *Cache) recorded(path string, key Key) bool {
	f, err := openRead(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() != int64(len(key.Desc)) {
		return false
	}
	b := make([]byte, len(key.Desc))
	if _, err := io.ReadFull(f, b); err != nil || string(b) != key.Desc {
		return false
	}
	c.touchStat(path, st)
	return true
}

// Explain compares key with the key last recorded for identity and returns
// one line per difference, in description order:
//
//	param window.size: 10 -> 20
//	input codes: 3f2a9c01… -> 9b1c77e0…
//	added param model.tol: 0.01
//	removed file data
//
// It returns []string{FirstRun} if nothing was recorded, and nil if the
// description is unchanged.
func (c *Cache) Explain(identity string, key Key) []string {
	prev, err := os.ReadFile(c.explainPath(identity))
	if errors.Is(err, fs.ErrNotExist) {
		return []string{FirstRun}
	}
	if err != nil {
		return []string{"no previous record: " + err.Error()}
	}
	return diffDesc(string(prev), key.Desc)
}

// descItem is one description line split into its name ("param
// window.size", "stage", "botprof-cache") and its value.
type descItem struct{ name, value string }

func parseDesc(desc string) []descItem {
	var items []descItem
	for _, l := range strings.Split(strings.TrimSuffix(desc, "\n"), "\n") {
		kind, rest, _ := strings.Cut(l, " ")
		name, value, ok := strings.Cut(rest, "=")
		if ok {
			items = append(items, descItem{kind + " " + name, value})
		} else {
			items = append(items, descItem{kind, rest})
		}
	}
	return items
}

func diffDesc(old, new string) []string {
	oldItems := parseDesc(old)
	oldVal := map[string]string{}
	for _, it := range oldItems {
		oldVal[it.name] = it.value
	}
	newVal := map[string]bool{}
	var lines []string
	for _, it := range parseDesc(new) {
		newVal[it.name] = true
		prev, ok := oldVal[it.name]
		switch {
		case !ok:
			lines = append(lines, "added "+it.name+": "+shorten(it.value))
		case prev != it.value:
			lines = append(lines, it.name+": "+shorten(prev)+" -> "+shorten(it.value))
		}
	}
	for _, it := range oldItems {
		if !newVal[it.name] {
			lines = append(lines, "removed "+it.name)
		}
	}
	return lines
}

// shorten abbreviates hex ids to 8 digits; other values are kept whole.
func shorten(v string) string {
	if isHexID(v) {
		return v[:8] + "…"
	}
	return v
}
