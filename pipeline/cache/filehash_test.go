package cache

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A memo with one changed hex digit is detected: KnownFileHash drops it
// (the file is hashed again) and Verify reports it until it is removed.
func TestFileHashMemoChecked(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id := FileID{Path: "/data/s10.netflow", Size: 513, ModNano: 7, CtimeNano: 8, Inode: 9}
	sha := strings.Repeat("ab", 32)
	if err := c.RememberFileHash(id, sha); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.KnownFileHash(id); !ok || got != sha {
		t.Fatalf("KnownFileHash = %q, %v", got, ok)
	}
	changed := id
	changed.CtimeNano++ // rewritten in place, size and mtime restored
	if _, ok := c.KnownFileHash(changed); ok {
		t.Fatal("memo served for a file whose ctime changed")
	}
	if p, err := c.Verify(); err != nil || len(p) != 0 {
		t.Fatalf("Verify of a healthy memo: %v, %v", p, err)
	}
	memo := c.fileHashPath(id.Path)
	b, _ := os.ReadFile(memo)
	os.WriteFile(memo, []byte(strings.Replace(string(b), "abab", "abac", 1)), 0o644)
	p, err := c.Verify()
	if err != nil || len(p) != 1 || !p[0].Memo || !strings.Contains(p[0].Reason, "checksum") {
		t.Fatalf("Verify of a damaged memo: %+v, %v", p, err)
	}
	if _, ok := c.KnownFileHash(id); ok {
		t.Fatal("a damaged memo was trusted")
	}
	if _, err := os.Stat(memo); !os.IsNotExist(err) {
		t.Fatalf("the damaged memo is still there: %v", err)
	}
	if err := c.RememberFileHash(id, sha); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(memo, []byte("{"), 0o644)
	p, _ = c.Verify()
	if len(p) != 1 || c.RemoveFileHash(p[0].Path) != nil {
		t.Fatalf("Verify/RemoveFileHash: %+v", p)
	}
	if p, _ = c.Verify(); len(p) != 0 {
		t.Fatalf("after RemoveFileHash: %+v", p)
	}
}

// TestFileHashMemoUse: a memo in use is kept fresh for GC (its mtime
// follows its last use, as an entry's), and a memo being written (or left
// half-written by a killed writer) is no problem for Verify.
func TestFileHashMemoUse(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id := FileID{Path: "/data/s10.netflow", Size: 513, ModNano: 7, CtimeNano: 8, Inode: 9}
	if err := c.RememberFileHash(id, strings.Repeat("ab", 32)); err != nil {
		t.Fatal(err)
	}
	memo := c.fileHashPath(id.Path)
	old := time.Now().Add(-40 * 24 * time.Hour)
	if err := os.Chtimes(memo, old, old); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.KnownFileHash(id); !ok {
		t.Fatal("memo not served")
	}
	if st, err := os.Stat(memo); err != nil || time.Since(st.ModTime()) > time.Hour {
		t.Errorf("memo used today still looks 40 days old to GC: %v %v", st.ModTime(), err)
	}
	if removed, _, err := c.GC(30*24*time.Hour, time.Now()); err != nil || removed != 0 {
		t.Fatal(removed, err)
	}
	if _, ok := c.KnownFileHash(id); !ok {
		t.Error("GC removed a memo in use")
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(memo), ".tmp-123"), []byte(`{"pa`), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := c.Verify(); err != nil || len(p) != 0 {
		t.Errorf("Verify with a memo being written: %+v, %v", p, err)
	}
}

// TestOpenReadOnlyCache: a cache folder whose tmp/ cannot be made (a
// read-only mount; here a file in its place) opens, serves what it has and
// fails only its writes, which the run counts and warns about.
func TestOpenReadOnlyCache(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, tmpDir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatalf("Open of an existing cache that cannot be written: %v", err)
	}
	key, err := NewKey("load", 1).Param("x", 1).Key()
	if err != nil {
		t.Fatal(err)
	}
	if e, reason := c.Get(key); e != nil || reason != "absent" {
		t.Errorf("Get: %v %q", e, reason)
	}
	if err := c.Put(key, map[string]WriteFunc{"a": func(w io.Writer) error { return nil }}); err == nil {
		t.Error("Put into a cache that cannot be written succeeded")
	}
	if _, err := Open(filepath.Join(dir, "tmp", "x")); err == nil {
		t.Error("Open of a cache that does not exist and cannot be made succeeded")
	}
}
