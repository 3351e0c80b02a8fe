package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"botprof/pipeline/cache"
)

func TestRunCache(t *testing.T) {
	dir := t.TempDir()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var keys []cache.Key
	for i := range 3 {
		k, _ := cache.NewKey("window", 1).Param("size", i).Key()
		keys = append(keys, k)
		if err := c.Put(k, map[string]cache.WriteFunc{"a.json": func(w io.Writer) error { _, err := w.Write([]byte("{}\n")); return err }}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := runCache(context.Background(), args, &out, &errb)
		return out.String() + errb.String(), err
	}
	// A run's memo of its data file's hash is part of a healthy cache.
	if err := c.RememberFileHash(cache.FileID{Path: "/data/x", Size: 3}, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	out, err := run("info", "--dir", dir)
	if err != nil || !strings.Contains(out, "entries   3") || !strings.Contains(out, "filehash  1 data-file hash") {
		t.Errorf("info: %v\n%s", err, out)
	}
	t.Log(out)
	out, err = run("verify", "--dir", dir)
	if err != nil || !strings.Contains(out, "verified 3 entries: 0 problems") {
		t.Errorf("verify: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(dir, keys[1].ID[:2], keys[1].ID, "a.json"), []byte("{]\n"), 0o666)
	out, err = run("verify", "--dir", dir)
	if err == nil || !strings.Contains(out, keys[1].ID[:12]+": corrupt: file a.json sha256 mismatch") {
		t.Errorf("verify corrupt: %v\n%s", err, out)
	}
	t.Log(out, err)
	out, err = run("verify", "--dir", dir, "--repair")
	if err != nil || !strings.Contains(out, "1 entry removed") {
		t.Errorf("verify --repair: %v\n%s", err, out)
	}
	t.Log(out)
	out, err = run("gc", "--dir", dir)
	if err != nil || out != "removed 0 entries, freed 0 B\n" {
		t.Errorf("gc: %v\n%s", err, out)
	}
	out, err = run("gc", "--dir", dir, "--all", "--dry-run")
	if err != nil || !strings.Contains(out, "would remove 2 entries") {
		t.Errorf("gc dry-run: %v\n%s", err, out)
	}
	t.Log(out)
	out, err = run("gc", "--dir", dir, "--older-than", "0.5d")
	if err != nil || !strings.Contains(out, "removed 0 entries") {
		t.Errorf("gc 0.5d: %v\n%s", err, out)
	}
	out, err = run("gc", "--dir", dir, "--all")
	if err != nil || !strings.HasPrefix(out, "removed 2 entries") {
		t.Errorf("gc --all: %v\n%s", err, out)
	}
	for _, args := range [][]string{{}, {"nope"}, {"gc", "--older-than", "-1h"}, {"info", "x"}} {
		var ue usageError
		if _, err := run(args...); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if _, err := run("gc", "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("gc -h: %v", err)
	}
	if out, err := run("info", "--dir", filepath.Join(dir, "none")); err != nil || !strings.HasPrefix(out, "no cache at") {
		t.Errorf("info on missing dir: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "none")); err == nil {
		t.Error("info created a cache")
	}
}

// Ages read like the README's durations ("30d"), not Go's "1h34m0s".
func TestCacheWhen(t *testing.T) {
	now := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	for age, want := range map[time.Duration]string{
		20 * time.Second:             "(just now)",
		7 * time.Minute:              "(7m ago)",
		94 * time.Minute:             "(1h34m ago)",
		47*time.Hour + 5*time.Minute: "(47h05m ago)",
		72 * time.Hour:               "(3 days ago)",
	} {
		if got := cacheWhen(now.Add(-age), now); !strings.HasSuffix(got, want) {
			t.Errorf("age %v: %q, want suffix %q", age, got, want)
		}
	}
}
