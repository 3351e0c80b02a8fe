//go:build unix

package pipeline

import (
	"os"
	"syscall"
)

// fileInode returns the inode number of a stat result (0 when unknown).
func fileInode(st os.FileInfo) uint64 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Ino)
	}
	return 0
}
