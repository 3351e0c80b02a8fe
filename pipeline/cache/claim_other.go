//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package cache

import "os"

// tryLock reports that this platform gives no flock: claims hold nothing.
func tryLock(*os.File) (got, ok bool) { return false, false }
