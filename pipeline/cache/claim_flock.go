//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package cache

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive flock on f without waiting. got reports that
// it holds the lock; ok is false where the filesystem supports no locks.
func tryLock(f *os.File) (got, ok bool) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, true
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, true
		default: // ENOLCK, EOPNOTSUPP, ENOSYS, EINVAL: no locks on this filesystem
			return false, false
		}
	}
}
