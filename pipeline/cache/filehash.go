package cache

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// fileHashDir holds the memo of data-file hashes (RememberFileHash).
const fileHashDir = "filehash"

// FileID is what identifies a data file's content on disk without reading
// it, as Go's build cache identifies source files: hashing a 513 MB file on
// every run would dominate a warm run. Any write to the file changes its
// change time (ctime), even one that restores size and mtime (cp -p,
// tar -x), so a memo keyed on all of these is not served for new content.
type FileID struct {
	Path      string `json:"path"` // absolute
	Size      int64  `json:"size"`
	ModNano   int64  `json:"mtime_ns"`
	CtimeNano int64  `json:"ctime_ns"` // 0 where the platform has none
	Inode     uint64 `json:"inode"`    // 0 where the platform has none
}

// fileHashRecord is one memo file: the identity, the sha256 of the file's
// decompressed content, and a checksum of both, so that a damaged memo is
// detected instead of trusted.
type fileHashRecord struct {
	FileID
	SHA256 string `json:"sha256"`
	Check  string `json:"check"`
}

func (r fileHashRecord) checksum() string {
	return hashString(fmt.Sprintf("filehash v2\npath %q\nsize %d\nmtime %d\nctime %d\ninode %d\nsha256 %s\n",
		r.Path, r.Size, r.ModNano, r.CtimeNano, r.Inode, r.SHA256))
}

func (c *Cache) fileHashPath(path string) string {
	return filepath.Join(c.dir, fileHashDir, hashString("filehash v2\x00"+path)+".json")
}

// readFileHash reads and checks a memo file.
func readFileHash(memo string) (fileHashRecord, string) {
	var rec fileHashRecord
	b, err := os.ReadFile(memo)
	if err != nil {
		return rec, "unreadable: " + err.Error()
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, "not a data-file hash memo: " + err.Error()
	}
	if rec.Check != rec.checksum() || len(rec.SHA256) != 64 || !isHexID(rec.SHA256) {
		return rec, "damaged data-file hash memo (its checksum does not match)"
	}
	return rec, ""
}

// KnownFileHash returns the remembered sha256 of the file id describes when
// a memo for it exists, is intact and names the same identity. A damaged
// memo is removed: the caller hashes the file and remembers it again.
func (c *Cache) KnownFileHash(id FileID) (string, bool) {
	memo := c.fileHashPath(id.Path)
	rec, reason := readFileHash(memo)
	if reason != "" {
		if !strings.HasPrefix(reason, "unreadable") {
			_ = os.Remove(memo)
		}
		return "", false
	}
	if rec.FileID != id {
		return "", false
	}
	c.touch(memo) // GC ages memos by their last use, as entries
	return rec.SHA256, true
}

// RememberFileHash records sha as the sha256 of the file id describes.
func (c *Cache) RememberFileHash(id FileID, sha string) error {
	rec := fileHashRecord{FileID: id, SHA256: sha}
	rec.Check = rec.checksum()
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return writeAtomic(c.fileHashPath(id.Path), b)
}

// verifyFileHashes checks every memo; damaged ones are problems whose
// Memo flag says RemoveFileHash repairs them.
func (c *Cache) verifyFileHashes() ([]Problem, error) {
	var out []Problem
	err := filepath.WalkDir(filepath.Join(c.dir, fileHashDir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil // a memo being written (writeAtomic), or left by a killed writer for GC
		}
		if _, reason := readFileHash(path); reason != "" {
			out = append(out, Problem{Path: path, Reason: reason, Memo: true})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// RemoveFileHash removes a damaged memo reported by Verify.
func (c *Cache) RemoveFileHash(path string) error {
	if filepath.Dir(path) != filepath.Join(c.dir, fileHashDir) {
		return fmt.Errorf("%s is not a data-file hash memo of this cache", path)
	}
	return os.Remove(path)
}

// writeAtomic writes data to a temporary file beside path and renames it
// into place.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
