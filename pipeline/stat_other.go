//go:build !linux && !darwin

package pipeline

import "os"

// statIdentity returns 0, 0: on this platform a data file is identified by
// path, size and modification time alone, so a rewrite that keeps both is
// not noticed (run with --no-cache, or touch the file, after such a copy).
func statIdentity(os.FileInfo) (inode uint64, ctimeNano int64) { return 0, 0 }
