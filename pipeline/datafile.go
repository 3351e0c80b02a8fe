package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"

	"botprof/pipeline/cache"
	"botprof/stages/load"
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

// fileSHA returns the sha256 of path's decompressed content, from the memo
// in the cache directory when the file's size, mtime and inode are unchanged.
func (r *runner) fileSHA(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(path)
	cur := fileHashRecord{Path: abs, Size: st.Size(), ModNano: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		cur.Inode = sys.Ino
	}
	var memo string
	if r.cache != nil {
		k, err := cache.NewKey("filehash", 1).Param("path", abs).Key()
		if err == nil {
			memo = filepath.Join(r.cache.Dir(), "filehash", k.ID+".json")
			if b, err := os.ReadFile(memo); err == nil {
				var old fileHashRecord
				if json.Unmarshal(b, &old) == nil && old.Path == cur.Path && old.Size == cur.Size &&
					old.ModNano == cur.ModNano && old.Inode == cur.Inode && len(old.SHA256) == 64 {
					return old.SHA256, nil
				}
			}
		}
	}
	sum, err := load.SHA256File(path)
	if err != nil {
		return "", err
	}
	cur.SHA256 = sum
	if memo != "" {
		if b, err := json.Marshal(cur); err == nil {
			_ = writeFileAtomic(memo, b)
		}
	}
	return sum, nil
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
