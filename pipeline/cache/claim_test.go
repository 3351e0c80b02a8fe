package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestClaimExcludes: a second claim of the same name waits until the
// first is released and says it waited; other names do not wait; no lock
// file is left behind.
func TestClaimExcludes(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, waited, err := c.Claim(ctx, "entry a")
	if err != nil || waited || !first.Held() {
		t.Fatalf("first claim: held %v waited %v err %v", first.Held(), waited, err)
	}
	other, waited, err := c.Claim(ctx, "entry b")
	if err != nil || waited || !other.Held() {
		t.Fatalf("claim of another name: held %v waited %v err %v", other.Held(), waited, err)
	}
	other.Release()

	got := make(chan bool)
	go func() {
		second, waited, err := c.Claim(ctx, "entry a")
		if err != nil || !second.Held() {
			t.Errorf("second claim: held %v err %v", second.Held(), err)
		}
		second.Release()
		got <- waited
	}()
	select {
	case <-got:
		t.Fatal("the second claim did not wait for the first")
	case <-time.After(100 * time.Millisecond):
	}
	first.Release()
	first.Release() // twice is harmless
	if !<-got {
		t.Error("the second claim waited but did not say so")
	}
	if ents, _ := os.ReadDir(filepath.Join(c.Dir(), locksDir)); len(ents) != 0 {
		t.Errorf("%d lock files left after every claim was released", len(ents))
	}
}

// TestClaimCancelled: a waiting claim returns when its context ends.
func TestClaimCancelled(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	held, _, err := c.Claim(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	cl, waited, err := c.Claim(ctx, "x")
	if !errors.Is(err, context.DeadlineExceeded) || !waited || cl.Held() {
		t.Errorf("claim while held, context ended: held %v waited %v err %v", cl.Held(), waited, err)
	}
}

// TestClaimUnwritableCache: where no lock file can be made, a claim holds
// nothing and does not fail.
func TestClaimUnwritableCache(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A file where the locks folder should be: no lock file can be made.
	if err := os.WriteFile(filepath.Join(dir, locksDir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cl, waited, err := c.Claim(context.Background(), "x")
	if err != nil || waited || cl.Held() {
		t.Errorf("held %v waited %v err %v, want a claim holding nothing", cl.Held(), waited, err)
	}
	cl.Release()
}

// TestGCRemovesFreeLocks: GC removes lock files nobody holds and keeps
// held ones; List does not report the locks folder as a stray.
func TestGCRemovesFreeLocks(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	held, _, err := c.Claim(context.Background(), "held")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	stale := filepath.Join(c.Dir(), locksDir, "left-by-a-killed-process.lock")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, strays, err := c.List(); err != nil || len(strays) != 0 {
		t.Fatalf("List: strays %v err %v", strays, err)
	}
	if _, _, err := c.GC(time.Hour, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("free lock file kept by GC: %v", err)
	}
	if _, err := os.Stat(held.path); err != nil {
		t.Errorf("held lock file removed by GC: %v", err)
	}
}

// TestClaimHolderStopped: a waiter keeps waiting for a holder whose lock
// file shows its heartbeat, however long it holds the claim, and stops
// waiting for one whose lock file shows none for claimStale (a holder
// stopped by SIGSTOP or a suspended job), returning a claim that holds
// nothing.
func TestClaimHolderStopped(t *testing.T) {
	defer func(b, s time.Duration) { claimBeat, claimStale = b, s }(claimBeat, claimStale)
	claimBeat, claimStale = 20*time.Millisecond, 500*time.Millisecond
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	alive, _, err := c.Claim(ctx, "alive")
	if err != nil {
		t.Fatal(err)
	}
	hold := 3 * claimStale // a long stage, still beating
	released := make(chan struct{})
	go func() {
		time.Sleep(hold)
		alive.Release()
		close(released)
	}()
	cl, waited, err := c.Claim(ctx, "alive")
	if err != nil || !waited || !cl.Held() {
		t.Errorf("waiting for a live holder: held %v waited %v err %v, want the claim after its release", cl.Held(), waited, err)
	}
	cl.Release()
	<-released

	// A holder without a heartbeat: the lock taken by hand.
	path := c.claimPath("stopped")
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, ok := tryLock(f); !got || !ok {
		t.Skip("no flock on this filesystem")
	}
	cl, waited, err = c.Claim(ctx, "stopped")
	if err != nil || !waited || cl.Held() {
		t.Errorf("waiting for a stopped holder: held %v waited %v err %v, want a claim holding nothing", cl.Held(), waited, err)
	}
}
