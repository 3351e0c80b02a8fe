package cache

import (
	"os"
	"strings"
	"testing"
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
