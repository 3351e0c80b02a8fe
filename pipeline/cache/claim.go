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
//
// A holder that stops without exiting (SIGSTOP, a job suspended by the
// scheduler, a hung NFS client) would block the others for as long: a
// holder touches its lock file every claimBeat, and a waiter that sees
// the file's modification time unchanged for claimStale, by its own
// clock, stops waiting and returns a claim that holds nothing, so that it
// computes the value itself (as without claims: same results, twice the
// work).
type Claim struct {
	f    *os.File
	path string
	stop chan struct{} // ends the heartbeat
}

// claimPoll bounds how long a waiting Claim sleeps between attempts.
const claimPoll = 20 * time.Millisecond

// The heartbeat of a held claim and how long a waiter trusts a claim
// whose lock file shows none (longer than NFS's attribute cache, 60 s at
// most by default). Variables for tests.
var (
	claimBeat  = 10 * time.Second
	claimStale = 2 * time.Minute
)

// Claim takes the claim called name, waiting while another process holds
// it. waited reports that it had to wait: the other process has probably
// stored what the caller wanted, so the caller looks for it again before
// computing it. Claim returns ctx's error if ctx ends first.
func (c *Cache) Claim(ctx context.Context, name string) (cl *Claim, waited bool, err error) {
	path := c.claimPath(name)
	dir := filepath.Dir(path)
	sleep := time.Millisecond
	var seen time.Time  // the lock file's mtime when last looked at
	var since time.Time // when the waiter saw it change last
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
				cl := &Claim{f: f, path: path, stop: make(chan struct{})}
				go cl.heartbeat(claimBeat)
				return cl, waited, nil
			}
			f.Close()
			continue
		}
		f.Close()
		now := time.Now()
		if st, err := os.Stat(path); err == nil && !st.ModTime().Equal(seen) || !waited {
			if err == nil {
				seen = st.ModTime()
			}
			since = now
		} else if now.Sub(since) > claimStale {
			return &Claim{}, true, nil // its holder has stopped: compute without it
		}
		waited = true
		select {
		case <-ctx.Done():
			return nil, waited, ctx.Err()
		case <-time.After(sleep):
		}
		sleep = min(2*sleep, claimPoll)
	}
}

// claimPath is the lock file of the claim called name.
func (c *Cache) claimPath(name string) string {
	return filepath.Join(c.dir, locksDir, hashString("claim\x00"+name)+".lock")
}

// Release gives the claim up. It is safe to call on a nil claim and more
// than once.
func (cl *Claim) Release() {
	if cl == nil || cl.f == nil {
		return
	}
	close(cl.stop)
	os.Remove(cl.path) // while still locked: see Claim
	cl.f.Close()
	cl.f = nil
}

// heartbeat touches the lock file every claimBeat (every) until Release, so that
// waiters can tell a holder at work from one that has stopped.
func (cl *Claim) heartbeat(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-cl.stop:
			return
		case now := <-t.C:
			os.Chtimes(cl.path, now, now)
		}
	}
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
