package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"

	"botprof/pipeline/cache"
)

// fileHashRecord remembers a data file's sha256 together with what identifies
// its contents on disk, as Go's build cache does for source files: hashing
// 513 MB on every run would dominate a warm run.
type fileHashRecord struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModNano int64  `json:"mtime_ns"`
	Inode   uint64 `json:"inode"`
	SHA256  string `json:"sha256"`
}

// fileIdentity describes path as it is on disk now.
func fileIdentity(path string) (fileHashRecord, error) {
	st, err := os.Stat(path)
	if err != nil {
		return fileHashRecord{}, err
	}
	abs, _ := filepath.Abs(path)
	rec := fileHashRecord{Path: abs, Size: st.Size(), ModNano: st.ModTime().UnixNano()}
	rec.Inode = fileInode(st)
	return rec, nil
}

// shaMemoPath is where the sha256 of the file at abs is remembered.
func (r *runner) shaMemoPath(abs string) string {
	if r.cache == nil {
		return ""
	}
	k, err := cache.NewKey("filehash", 1).Param("path", abs).Key()
	if err != nil {
		return ""
	}
	return r.cache.FileHashPath(k.ID)
}

// knownSHA returns the remembered sha256 of path's decompressed content when
// the file's size, mtime and inode are unchanged since it was hashed.
func (r *runner) knownSHA(path string) (string, bool) {
	cur, err := fileIdentity(path)
	if err != nil {
		return "", false
	}
	memo := r.shaMemoPath(cur.Path)
	if memo == "" {
		return "", false
	}
	b, err := os.ReadFile(memo)
	if err != nil {
		return "", false
	}
	var old fileHashRecord
	if json.Unmarshal(b, &old) != nil || old.Path != cur.Path || old.Size != cur.Size ||
		old.ModNano != cur.ModNano || old.Inode != cur.Inode || len(old.SHA256) != 64 {
		return "", false
	}
	return old.SHA256, true
}

// rememberSHA records path's sha256 for knownSHA.
func (r *runner) rememberSHA(path, sha string) {
	cur, err := fileIdentity(path)
	if err != nil {
		return
	}
	memo := r.shaMemoPath(cur.Path)
	if memo == "" {
		return
	}
	cur.SHA256 = sha
	if b, err := json.Marshal(cur); err == nil {
		_ = writeFileAtomic(memo, b)
	}
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place.
func writeFileAtomic(path string, data []byte) error {
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
