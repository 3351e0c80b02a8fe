package pipeline

import (
	"os"
	"syscall"
)

// statIdentity returns a stat result's inode number and change time.
func statIdentity(st os.FileInfo) (inode uint64, ctimeNano int64) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return sys.Ino, sys.Ctimespec.Nano()
	}
	return 0, 0
}
