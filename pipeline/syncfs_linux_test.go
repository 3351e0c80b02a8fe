package pipeline

import (
	"syscall"
	"testing"
)

// A kernel or filesystem without syncfs makes a commit flush file by
// file; a failed write-back fails it.
func TestSyncfsUnsupported(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{{syscall.ENOSYS, true}, {syscall.EOPNOTSUPP, true}, {syscall.EINVAL, true}, {syscall.EIO, false}, {syscall.ENOSPC, false}, {nil, false}} {
		if got := unsupported(tc.err); got != tc.want {
			t.Errorf("unsupported(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
