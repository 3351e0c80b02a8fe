//go:build !unix

package pipeline

import "os"

// fileInode returns 0: this platform's stat result has no inode number, so a
// file is identified by path, size and modification time alone.
func fileInode(os.FileInfo) uint64 { return 0 }
