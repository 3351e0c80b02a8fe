package cache

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// locksDir holds the lock files of Claim.
const locksDir = "locks"

// Claim is one process's claim to compute a value that several processes
// sharing the cache (the shards of a sweep) may need: while it is held,
// every other Claim of the same name waits. Entries stay correct without
// it (Put is atomic, the loser of a race discards its copy); the claim
// only keeps two processes from computing the same stage output at once.
//
// A claim is an exclusive flock on <dir>/locks/<hash of name>.lock. The
// kernel drops it when its holder exits, so a killed or pre-empted process
// never leaves a claim behind. Release unlinks the lock file before
// closing it, and Claim checks after locking that the file it locked is
// still the one under the path, so lock files do not pile up. Where the
// filesystem gives no flock (a Lustre mount without -o flock, an old NFS),
// or the lock file cannot be made (a read-only cache), Claim returns a
// claim that holds nothing: processes may then compute the same output
// twice, as they would without claims.
type Claim struct {
	f    *os.File
	path string
}

// claimPoll bounds how long a waiting Claim sleeps between attempts.
const claimPoll = 20 * time.Millisecond

// Claim takes the claim called name, waiting while another process holds
// it. waited reports that it had to wait: the other process has probably
// stored what the caller wanted, so the caller looks for it again before
// computing it. Claim returns ctx's error if ctx ends first.
func (c *Cache) Claim(ctx context.Context, name string) (cl *Claim, waited bool, err error) {
	dir := filepath.Join(c.dir, locksDir)
	path := filepath.Join(dir, hashString("claim\x00"+name)+".lock")
	sleep := time.Millisecond
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			if os.IsNotExist(err) && os.MkdirAll(dir, 0o777) == nil {
				continue
			}
			return &Claim{}, waited, nil // no lock file: a claim that holds nothing
		}
		got, ok := tryLock(f)
		if !ok {
			f.Close()
			return &Claim{}, waited, nil // no flock here
		}
		if got {
			// The holder before us may have unlinked the file after we
			// opened it; then our lock is on a file nobody else will see.
			if sameFile(f, path) {
				return &Claim{f: f, path: path}, waited, nil
			}
			f.Close()
			continue
		}
		f.Close()
		waited = true
		select {
		case <-ctx.Done():
			return nil, waited, ctx.Err()
		case <-time.After(sleep):
		}
		sleep = min(2*sleep, claimPoll)
	}
}

// Release gives the claim up. It is safe to call on a nil claim and more
// than once.
func (cl *Claim) Release() {
	if cl == nil || cl.f == nil {
		return
	}
	os.Remove(cl.path) // while still locked: see Claim
	cl.f.Close()
	cl.f = nil
}

// Held reports whether the claim holds a lock (false where the filesystem
// gives none).
func (cl *Claim) Held() bool { return cl != nil && cl.f != nil }

// sameFile reports whether path still names the open file f.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// removeFreeLocks removes the lock files nobody holds (left by processes
// killed between creating and locking one; Release removes its own).
func (c *Cache) removeFreeLocks() {
	dir := filepath.Join(c.dir, locksDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if got, _ := tryLock(f); got && sameFile(f, path) {
			os.Remove(path)
		}
		f.Close()
	}
}
