package pipeline

import (
	"os"
	"path/filepath"

	"botprof/pipeline/cache"
)

// fileIdentity describes the file at path as it is on disk now.
func fileIdentity(path string) (cache.FileID, error) {
	st, err := os.Stat(path)
	if err != nil {
		return cache.FileID{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return cache.FileID{}, err
	}
	id := cache.FileID{Path: abs, Size: st.Size(), ModNano: st.ModTime().UnixNano()}
	id.Inode, id.CtimeNano = statIdentity(st)
	return id, nil
}

// knownSHA returns the remembered sha256 of path's decompressed content when
// the file is unchanged since it was hashed (see cache.FileID).
func (r *runner) knownSHA(path string) (string, bool) {
	if r.cache == nil {
		return "", false
	}
	id, err := fileIdentity(path)
	if err != nil {
		return "", false
	}
	return r.cache.KnownFileHash(id)
}

// rememberSHA records path's sha256 for knownSHA.
func (r *runner) rememberSHA(path, sha string) {
	if r.cache == nil {
		return
	}
	if id, err := fileIdentity(path); err == nil {
		_ = r.cache.RememberFileHash(id, sha)
	}
}
