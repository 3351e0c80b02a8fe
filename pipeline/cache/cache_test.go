package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 is the fake clock's start; tests never depend on the wall clock.
var t0 = time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)

func newTestCache(t testing.TB) *Cache {
	t.Helper()
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return t0 }
	return c
}

func testKey(t testing.TB, stage string, size int) Key {
	t.Helper()
	k, err := NewKey(stage, 1).Param("window.size", size).Key()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func bytesFile(b []byte) WriteFunc {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

func testFiles() map[string]WriteFunc {
	return map[string]WriteFunc{
		"codes.parquet": bytesFile(bytes.Repeat([]byte("PAR1 codes "), 1000)),
		"mapping.json":  bytesFile([]byte(`{"symbols": 12}` + "\n")),
	}
}

func TestPutGet(t *testing.T) {
	c := newTestCache(t)
	k := testKey(t, "window", 10)
	if e, reason := c.Get(k); e != nil || reason != "absent" {
		t.Fatalf("Get before Put = %v, %q; want nil, absent", e, reason)
	}
	if err := c.Put(k, testFiles()); err != nil {
		t.Fatal(err)
	}
	e, reason := c.Get(k)
	if e == nil {
		t.Fatalf("Get after Put: miss %q", reason)
	}
	if got, want := e.Path("mapping.json"), filepath.Join(c.Dir(), k.ID[:2], k.ID, "mapping.json"); got != want {
		t.Errorf("Path = %s, want %s", got, want)
	}
	b, err := e.ReadFile("mapping.json")
	if err != nil || string(b) != `{"symbols": 12}`+"\n" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	b, err = e.ReadFile("codes.parquet")
	if err != nil || !bytes.Equal(b, bytes.Repeat([]byte("PAR1 codes "), 1000)) {
		t.Errorf("ReadFile codes.parquet: %d bytes, %v", len(b), err)
	}
	if _, err := e.Open("nope"); err == nil {
		t.Error("Open of a file not in the entry succeeded")
	}
	if len(e.Files) != 2 || e.Files[0].Name != "codes.parquet" || e.Files[0].Size != 11000 {
		t.Errorf("Files = %+v", e.Files)
	}
	// A different key misses.
	if e, reason := c.Get(testKey(t, "window", 20)); e != nil || reason != "absent" {
		t.Errorf("Get other key = %v, %q", e, reason)
	}
	// Nothing is left in tmp/.
	if ents, _ := os.ReadDir(filepath.Join(c.Dir(), tmpDir)); len(ents) != 0 {
		t.Errorf("tmp/ holds %d leftovers", len(ents))
	}
}

func TestPutRejects(t *testing.T) {
	c := newTestCache(t)
	k := testKey(t, "window", 10)
	for _, name := range []string{"meta.json", "", ".hidden", "a/b", "..", `a\b`} {
		if err := c.Put(k, map[string]WriteFunc{name: bytesFile(nil)}); err == nil {
			t.Errorf("Put with file %q succeeded", name)
		}
	}
	forged := Key{ID: k.ID, Desc: k.Desc + "param x=1\n"}
	if err := c.Put(forged, testFiles()); err == nil {
		t.Error("Put with a key whose ID does not hash its Desc succeeded")
	}
	if err := c.Put(k, testFiles()); err != nil {
		t.Fatal(err)
	}
	if e, reason := c.Get(forged); e != nil || !strings.HasPrefix(reason, "invalid key") {
		t.Errorf("Get forged key = %v, %q", e, reason)
	}
	if e, _ := c.Get(Key{ID: k.ID}); e != nil {
		t.Error("Get of a key without description hit")
	}
	if err := c.Remove(k.ID); err != nil {
		t.Fatal(err)
	}
	// A failing writer leaves no entry and no temporary files.
	boom := errors.New("boom")
	err := c.Put(k, map[string]WriteFunc{
		"a": bytesFile([]byte("ok")),
		"b": func(w io.Writer) error { w.Write([]byte("half")); return boom },
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "file b") {
		t.Errorf("Put error = %v, want boom naming file b", err)
	}
	if _, reason := c.Get(k); reason != "absent" {
		t.Errorf("after failed Put: %q, want absent", reason)
	}
	if ents, _ := os.ReadDir(filepath.Join(c.Dir(), tmpDir)); len(ents) != 0 {
		t.Errorf("tmp/ holds %d leftovers", len(ents))
	}
}

func TestGetMissReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"flip a byte", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "codes.parquet")
			b := readFile(t, p)
			b[len(b)/2] ^= 1
			writeFileT(t, p, b)
		}, "corrupt: file codes.parquet sha256 mismatch"},
		{"truncate", func(t *testing.T, dir string) {
			if err := os.Truncate(filepath.Join(dir, "codes.parquet"), 100); err != nil {
				t.Fatal(err)
			}
		}, "corrupt: file codes.parquet has 100 bytes, want 11000"},
		{"append", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "mapping.json")
			writeFileT(t, p, append(readFile(t, p), 'x'))
		}, "corrupt: file mapping.json has 17 bytes, want 16"},
		{"delete meta", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, metaName))
		}, "partial: missing meta.json"},
		{"delete file", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "mapping.json"))
		}, "partial: missing file mapping.json"},
		{"garbage meta", func(t *testing.T, dir string) {
			writeFileT(t, filepath.Join(dir, metaName), []byte("{\"format\": 1, \"files\": ["))
		}, "corrupt: meta.json: unexpected end of JSON input"},
		{"foreign version", func(t *testing.T, dir string) {
			editMeta(t, dir, func(m *meta) { m.Format = 0 })
		}, "foreign: format version 0"},
		{"future version", func(t *testing.T, dir string) {
			editMeta(t, dir, func(m *meta) { m.Format = Version + 1 })
		}, fmt.Sprintf("foreign: format version %d", Version+1)},
		{"other key's meta", func(t *testing.T, dir string) {
			other := testKey(t, "window", 99)
			editMeta(t, dir, func(m *meta) { m.Key, m.Desc = other.ID, other.Desc })
		}, "corrupt: meta.json does not describe key"},
		{"path in meta", func(t *testing.T, dir string) {
			editMeta(t, dir, func(m *meta) { m.Files[0].Name = "../../x" })
		}, "corrupt: meta.json: bad file record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCache(t)
			k := testKey(t, "window", 10)
			if err := c.Put(k, testFiles()); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, c.entryDir(k.ID))
			e, reason := c.Get(k)
			if e != nil || !strings.HasPrefix(reason, tc.want) {
				t.Fatalf("Get = %v, %q; want miss %q", e, reason, tc.want)
			}
			// Keeping a file's content while verifying verifies the same.
			for _, keep := range []string{"codes.parquet", "mapping.json"} {
				if e, reason := c.GetKeeping(k, keep); e != nil || !strings.HasPrefix(reason, tc.want) {
					t.Fatalf("GetKeeping(%s) = %v, %q; want miss %q", keep, e, reason, tc.want)
				}
			}
			probs, err := c.Verify()
			if err != nil || len(probs) != 1 || !strings.HasPrefix(probs[0].Reason, tc.want) || probs[0].ID != k.ID {
				t.Fatalf("Verify = %+v, %v", probs, err)
			}
			// Recomputing and putting again repairs the entry.
			if err := c.Put(k, testFiles()); err != nil {
				t.Fatal(err)
			}
			if e, reason := c.Get(k); e == nil {
				t.Fatalf("Get after repairing Put: %q", reason)
			}
			if probs, _ := c.Verify(); len(probs) != 0 {
				t.Fatalf("Verify after repair = %+v", probs)
			}
		})
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFileT(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o666); err != nil {
		t.Fatal(err)
	}
}

func editMeta(t *testing.T, dir string, edit func(*meta)) {
	t.Helper()
	var m meta
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, metaName)), &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	b, _ := json.Marshal(m)
	writeFileT(t, filepath.Join(dir, metaName), b)
}

func TestVerifyRemove(t *testing.T) {
	c := newTestCache(t)
	var keys []Key
	for size := range 3 {
		k := testKey(t, "window", size)
		keys = append(keys, k)
		if err := c.Put(k, testFiles()); err != nil {
			t.Fatal(err)
		}
	}
	os.Truncate(filepath.Join(c.entryDir(keys[1].ID), "mapping.json"), 0)
	writeFileT(t, filepath.Join(c.Dir(), "stray.txt"), []byte("x"))
	probs, err := c.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 2 || probs[0].ID != keys[1].ID || probs[1].Reason != "unexpected path" {
		t.Fatalf("Verify = %+v", probs)
	}
	if err := c.Remove(keys[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(keys[1].ID); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	st, err := c.Info()
	if err != nil || st.Entries != 2 || st.TempDirs != 0 {
		t.Errorf("Info = %+v, %v", st, err)
	}
}

func TestTouchAndGC(t *testing.T) {
	c := newTestCache(t)
	now := t0
	c.now = func() time.Time { return now }
	old, used, fresh := testKey(t, "window", 1), testKey(t, "window", 2), testKey(t, "window", 3)
	for _, k := range []Key{old, used} {
		if err := c.Put(k, testFiles()); err != nil {
			t.Fatal(err)
		}
	}
	// 30 minutes later a hit does not rewrite the mtime; 10 days later it does.
	now = t0.Add(30 * time.Minute)
	c.Get(used)
	if lu := lastUse(t, c, used); !lu.Equal(t0) {
		t.Errorf("last use after an early hit = %v, want %v", lu, t0)
	}
	now = t0.Add(10 * 24 * time.Hour)
	c.Get(used)
	if lu := lastUse(t, c, used); !lu.Equal(now) {
		t.Errorf("last use after a hit = %v, want %v", lu, now)
	}
	if err := c.Put(fresh, testFiles()); err != nil {
		t.Fatal(err)
	}
	if err := c.Record("point=base/stage=window", fresh); err != nil {
		t.Fatal(err)
	}
	// The runner's memo of a data file's hash, written as datafile.go does.
	if err := c.RememberFileHash(FileID{Path: "/data/x"}, fresh.ID); err != nil {
		t.Fatal(err)
	}
	memo := c.fileHashPath("/data/x")
	os.Chtimes(memo, now, now)
	if _, problems, err := c.List(); err != nil || len(problems) > 0 {
		t.Errorf("List with a filehash memo: %v, %v", problems, err)
	}
	// A crashed writer's temporary directory, two hours old.
	crashed := filepath.Join(c.Dir(), tmpDir, "deadbeef-1")
	os.MkdirAll(crashed, 0o777)
	writeFileT(t, filepath.Join(crashed, "codes.parquet"), make([]byte, 500))
	os.Chtimes(crashed, now.Add(-2*time.Hour), now.Add(-2*time.Hour))
	// And a live one.
	os.MkdirAll(filepath.Join(c.Dir(), tmpDir, "cafe-2"), 0o777)
	os.Chtimes(filepath.Join(c.Dir(), tmpDir, "cafe-2"), now, now)

	st, err := c.Info()
	if err != nil || st.Entries != 3 || !st.Oldest.Equal(t0) || !st.Newest.Equal(now) || st.TempDirs != 2 || st.ExplainRecords != 1 || st.FileHashes != 1 {
		t.Fatalf("Info = %+v, %v", st, err)
	}
	stale, err := c.Stale(7*24*time.Hour, now)
	if err != nil || len(stale) != 1 || stale[0].ID != old.ID {
		t.Fatalf("Stale = %+v, %v", stale, err)
	}
	removed, freed, err := c.GC(7*24*time.Hour, now)
	if err != nil || removed != 1 || freed != stale[0].Bytes+500 {
		t.Fatalf("GC = %d, %d, %v; want 1, %d", removed, freed, err, stale[0].Bytes+500)
	}
	for k, want := range map[Key]string{old: "absent", used: "", fresh: ""} {
		if _, reason := c.Get(k); reason != want {
			t.Errorf("after GC, Get %s: %q, want %q", k.Short(), reason, want)
		}
	}
	if _, err := os.Stat(crashed); !os.IsNotExist(err) {
		t.Errorf("crashed temp dir survived GC: %v", err)
	}
	// --all: everything goes except the live temporary directory.
	removed, _, err = c.GC(0, now)
	if err != nil || removed != 2 {
		t.Fatalf("GC all = %d, %v", removed, err)
	}
	st, _ = c.Info()
	if st.Entries != 0 || st.TempDirs != 1 || st.ExplainRecords != 0 || st.FileHashes != 0 {
		t.Errorf("Info after GC all = %+v", st)
	}
}

func lastUse(t *testing.T, c *Cache, k Key) time.Time {
	t.Helper()
	st, err := os.Stat(filepath.Join(c.entryDir(k.ID), metaName))
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime().UTC()
}

// TestConcurrentPut has 8 goroutines put and get the same keys at once:
// every Put succeeds and every Get sees either nothing or a whole entry.
func TestConcurrentPut(t *testing.T) {
	c := newTestCache(t)
	keys := []Key{testKey(t, "window", 1), testKey(t, "window", 2)}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 8 {
		wg.Go(func() {
			for i := range 4 {
				k := keys[(g+i)%2]
				if err := c.Put(k, testFiles()); err != nil {
					errs <- err
				}
				if e, reason := c.Get(k); e == nil {
					errs <- fmt.Errorf("goroutine %d: Get after Put: %s", g, reason)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkClean(t, c, 2)
}

func checkClean(t *testing.T, c *Cache, entries int) {
	t.Helper()
	probs, err := c.Verify()
	if err != nil || len(probs) != 0 {
		t.Errorf("Verify = %+v, %v", probs, err)
	}
	st, err := c.Info()
	if err != nil || st.Entries != entries || st.TempDirs != 0 {
		t.Errorf("Info = %+v, %v; want %d entries, no temp dirs", st, err, entries)
	}
}

const (
	helperEnv  = "BOTPROF_CACHE_TEST_HELPER" // the cache directory
	helperID   = "BOTPROF_CACHE_TEST_ID"     // 0 or 1: which of the two processes
	raceRounds = 100
)

// raceFiles is what process id writes for the entry of round: 256 KiB, so
// that the two writers' files are being written at the same time, and
// different per writer, so that an entry mixing the two is detected.
func raceFiles(id, round int) map[string][]byte {
	tag := fmt.Sprintf("writer %d round %d\n", id, round)
	return map[string][]byte{
		"codes.arrow":  bytes.Repeat([]byte(tag), 256<<10/len(tag)),
		"mapping.json": []byte(`{"writer": ` + fmt.Sprint(id) + "}\n"),
	}
}

// writerOf returns which process's files the entry holds, or an error if
// they are neither's whole files.
func writerOf(e *Entry, round int) (int, error) {
	for id := range 2 {
		same := true
		for name, want := range raceFiles(id, round) {
			got, err := e.ReadFile(name)
			if err != nil {
				return 0, err
			}
			same = same && bytes.Equal(got, want)
		}
		if same {
			return id, nil
		}
	}
	return 0, fmt.Errorf("round %d: entry holds neither writer's files", round)
}

// TestConcurrentProcesses runs two copies of this test binary that, in
// lock step for raceRounds rounds, Put the same key into one cache
// directory at the same moment and Get it back. Both Puts must succeed,
// both Gets must see one writer's whole entry (the same one), and
// afterwards the cache holds raceRounds valid entries and no temporary
// directories.
func TestConcurrentProcesses(t *testing.T) {
	dir := t.TempDir()
	cmds := make([]*exec.Cmd, 2)
	outs := make([]bytes.Buffer, 2)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
		cmds[i].Env = append(os.Environ(), helperEnv+"="+dir, fmt.Sprintf("%s=%d", helperID, i))
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i].Bytes())
		}
	}
	if t.Failed() {
		return
	}
	c, err := Open(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, c, raceRounds)
	wins := [2]int{}
	for round := range raceRounds {
		k := testKey(t, "window", round)
		e, reason := c.Get(k)
		if e == nil {
			t.Fatalf("round %d: %s", round, reason)
		}
		id, err := writerOf(e, round)
		if err != nil {
			t.Fatal(err)
		}
		wins[id]++
	}
	// Which process wins a round is up to the scheduler; both usually do.
	t.Logf("%d rounds: process 0 placed %d entries, process 1 placed %d", raceRounds, wins[0], wins[1])
}

// TestHelperProcess is the child side of TestConcurrentProcesses. The two
// processes meet at a file barrier before each round's Put.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestConcurrentProcesses")
	}
	id, err := strconv.Atoi(os.Getenv(helperID))
	if err != nil || id < 0 || id > 1 {
		t.Fatalf("%s=%q", helperID, os.Getenv(helperID))
	}
	c, err := Open(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	barrier := filepath.Join(dir, "barrier")
	if err := os.MkdirAll(barrier, 0o777); err != nil {
		t.Fatal(err)
	}
	for round := range raceRounds {
		arrive(t, barrier, id, round)
		k := testKey(t, "window", round)
		files := map[string]WriteFunc{}
		for name, b := range raceFiles(id, round) {
			files[name] = bytesFile(b)
		}
		if err := c.Put(k, files); err != nil {
			t.Fatalf("round %d: Put: %v", round, err)
		}
		e, reason := c.Get(k)
		if e == nil {
			t.Fatalf("round %d: Get after Put: %s", round, reason)
		}
		if _, err := writerOf(e, round); err != nil {
			t.Fatal(err)
		}
	}
}

// arrive marks process id as at round's barrier and waits for the other.
func arrive(t *testing.T, dir string, id, round int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-%d", round, id)), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, fmt.Sprintf("%d-%d", round, 1-id))
	for start := time.Now(); ; time.Sleep(100 * time.Microsecond) {
		if _, err := os.Stat(other); err == nil {
			return
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("round %d: the other process did not arrive within a minute", round)
		}
	}
}

func BenchmarkGetHit(b *testing.B) {
	for _, size := range []int{64 << 10, 4 << 20} {
		b.Run(fmt.Sprintf("bytes=%d", size), func(b *testing.B) {
			c := newTestCache(b)
			k := testKey(b, "window", 10)
			data := bytes.Repeat([]byte{1, 2, 3, 5, 8, 13, 21, 34}, size/8)
			if err := c.Put(k, map[string]WriteFunc{"codes.parquet": bytesFile(data)}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				if e, reason := c.Get(k); e == nil {
					b.Fatal(reason)
				}
			}
		})
	}
}

func BenchmarkPut(b *testing.B) {
	const size = 4 << 20
	c := newTestCache(b)
	data := bytes.Repeat([]byte{1, 2, 3, 5, 8, 13, 21, 34}, size/8)
	b.SetBytes(size)
	i := 0
	for b.Loop() {
		i++
		if err := c.Put(testKey(b, "window", i), map[string]WriteFunc{"codes.parquet": bytesFile(data)}); err != nil {
			b.Fatal(err)
		}
	}
}

// Cache.ReadFile checks and reads one file of an entry, not the others:
// a damaged side file is a miss, a damaged other file is not its concern
// (Get still refuses the entry).
func TestReadFile(t *testing.T) {
	c := newTestCache(t)
	k := testKey(t, "load", 1)
	if b, reason := c.ReadFile(k, "mapping.json"); b != nil || reason != "absent" {
		t.Fatalf("ReadFile before Put = %q, %q; want nil, absent", b, reason)
	}
	if err := c.Put(k, testFiles()); err != nil {
		t.Fatal(err)
	}
	if b, reason := c.ReadFile(k, "mapping.json"); string(b) != `{"symbols": 12}`+"\n" || reason != "" {
		t.Errorf("ReadFile = %q, %q", b, reason)
	}
	if b, reason := c.ReadFile(k, "nope.json"); b != nil || !strings.HasPrefix(reason, "absent") {
		t.Errorf("ReadFile of a file not in the entry = %q, %q", b, reason)
	}
	dir := filepath.Join(c.Dir(), k.ID[:2], k.ID)
	codes := bytes.Repeat([]byte("PAR1 codes "), 1000)
	codes[0] = 'X'
	os.WriteFile(filepath.Join(dir, "codes.parquet"), codes, 0o644)
	if b, reason := c.ReadFile(k, "mapping.json"); string(b) != `{"symbols": 12}`+"\n" || reason != "" {
		t.Errorf("ReadFile with another file damaged = %q, %q", b, reason)
	}
	if e, reason := c.Get(k); e != nil || !strings.Contains(reason, "sha256 mismatch") {
		t.Errorf("Get of the damaged entry = %v, %q", e, reason)
	}
	os.WriteFile(filepath.Join(dir, "mapping.json"), []byte(`{"symbols": 13}`+"\n"), 0o644)
	if b, reason := c.ReadFile(k, "mapping.json"); b != nil || !strings.Contains(reason, "mapping.json sha256 mismatch") {
		t.Errorf("ReadFile of a damaged file = %q, %q", b, reason)
	}
}

// GetKeeping hands out the content of the file it kept from verifying
// the entry, once; the entry reads its other files, and that one again, from
// disk.
func TestGetKeeping(t *testing.T) {
	c := newTestCache(t)
	k := testKey(t, "evaluate", 1)
	if err := c.Put(k, testFiles()); err != nil {
		t.Fatal(err)
	}
	mapping := `{"symbols": 12}` + "\n"
	e, reason := c.GetKeeping(k, "mapping.json")
	if e == nil {
		t.Fatal(reason)
	}
	if string(e.kept) != mapping {
		t.Errorf("kept %q, want %q", e.kept, mapping)
	}
	for i := range 2 {
		if b, err := e.ReadFile("mapping.json"); string(b) != mapping || err != nil {
			t.Errorf("ReadFile #%d = %q, %v; want %q", i+1, b, err, mapping)
		}
		if e.kept != nil {
			t.Errorf("ReadFile #%d: the entry still holds the kept content", i+1)
		}
	}
	if b, err := e.ReadFile("codes.parquet"); len(b) != 11000 || err != nil {
		t.Errorf("ReadFile of another file = %d bytes, %v", len(b), err)
	}
	// Keeping a file the entry does not have keeps nothing.
	if e, reason := c.GetKeeping(k, "nope.json"); e == nil || e.kept != nil {
		t.Errorf("GetKeeping of a file not in the entry = %v, %q", e, reason)
	} else if _, err := e.ReadFile("nope.json"); err == nil {
		t.Error("ReadFile of a file not in the entry: no error")
	}
}

// Entry.CopyFile copies a file of the entry whole, over a longer file
// too, and refuses a name the entry does not have.
func TestEntryCopyFile(t *testing.T) {
	c := newTestCache(t)
	k := testKey(t, "evaluate", 1)
	if err := c.Put(k, testFiles()); err != nil {
		t.Fatal(err)
	}
	e, reason := c.Get(k)
	if e == nil {
		t.Fatal(reason)
	}
	dst := filepath.Join(t.TempDir(), "codes.parquet")
	writeFileT(t, dst, bytes.Repeat([]byte("x"), 20000))
	for range 2 {
		if err := e.CopyFile("codes.parquet", dst); err != nil {
			t.Fatal(err)
		}
		if got, want := readFile(t, dst), readFile(t, e.Path("codes.parquet")); !bytes.Equal(got, want) {
			t.Errorf("copy has %d bytes, differs from the entry's %d", len(got), len(want))
		}
	}
	if err := e.CopyFile("nope.json", filepath.Join(t.TempDir(), "nope.json")); err == nil {
		t.Error("CopyFile of a file not in the entry: no error")
	}
}
