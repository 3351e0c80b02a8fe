package cache

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	metaName = "meta.json"
	tmpDir   = "tmp"
	// touchInterval bounds how often a hit rewrites an entry's mtime, as in
	// Go's build cache: GC needs day-scale ages, not exact ones.
	touchInterval = time.Hour
)

// Cache is a stage cache rooted at a directory. It is safe for concurrent
// use by many goroutines and by several processes sharing the directory.
type Cache struct {
	dir string
	now func() time.Time
}

// Open returns the cache in dir, creating the directory if needed.
// A cache that exists but cannot be written (a read-only mount) opens:
// it serves hits, and its failed writes are the caller's warning.
func Open(dir string) (*Cache, error) {
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o777); err != nil {
		if st, serr := os.Stat(dir); serr != nil || !st.IsDir() {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	return &Cache{dir: dir, now: time.Now}, nil
}

// Dir returns the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

// WriteFunc writes the contents of one file of an entry.
type WriteFunc func(w io.Writer) error

// FileInfo describes one file of an entry, as recorded in meta.json.
type FileInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// meta is the content of an entry's meta.json.
type meta struct {
	Format int        `json:"format"`
	Key    string     `json:"key"`
	Desc   string     `json:"desc"`
	Files  []FileInfo `json:"files"`
}

// Entry is a verified cache entry.
type Entry struct {
	Key   Key
	Dir   string
	Files []FileInfo // sorted by name

	// kept is the content of the file keptName, read when the entry was
	// verified (GetKeeping), until ReadFile hands it out.
	keptName string
	kept     []byte
}

// Path returns the path of the named file in the entry.
func (e *Entry) Path(name string) string { return filepath.Join(e.Dir, name) }

// Has reports whether the entry holds the named file.
func (e *Entry) Has(name string) bool {
	for _, f := range e.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Open opens the named file of the entry for reading.
func (e *Entry) Open(name string) (*os.File, error) {
	if !e.Has(name) {
		return nil, fmt.Errorf("cache entry %s (%s): no file %q", e.Key.Short(), e.Key.Stage(), name)
	}
	return os.Open(e.Path(name))
}

// ReadFile returns the contents of the named file of the entry. The content
// of the file GetKeeping kept is returned without reading the file again,
// once: the entry then forgets it.
func (e *Entry) ReadFile(name string) ([]byte, error) {
	if e.kept != nil && name == e.keptName {
		b := e.kept
		e.kept = nil
		return b, nil
	}
	f, err := e.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// CopyFile copies the entry's file name to dst, created with mode 0644 or
// truncated: in the kernel (copy_file_range) where the system can, of
// the size verified, so that the copy needs no call to find the end of
// the file.
func (e *Entry) CopyFile(name, dst string) error {
	i := slices.IndexFunc(e.Files, func(f FileInfo) bool { return f.Name == name })
	if i < 0 {
		return fmt.Errorf("cache entry %s (%s): no file %q", e.Key.Short(), e.Key.Stage(), name)
	}
	in, err := openRead(e.Path(name))
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, io.LimitReader(in, e.Files[i].Size)); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (c *Cache) entryDir(id string) string {
	return filepath.Join(c.dir, id[:2], id)
}

// Put stores files under key. Each WriteFunc streams one named file; names
// must be plain file names other than meta.json. The entry appears
// atomically: a reader sees either no entry or a complete one. If another
// writer stored the key first, Put keeps that entry and succeeds.
func (c *Cache) Put(key Key, files map[string]WriteFunc) error {
	if !isHexID(key.ID) || hashString(key.Desc) != key.ID {
		return fmt.Errorf("cache put: key %q does not match its description", key.Short())
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if err := checkFileName(name); err != nil {
			return fmt.Errorf("cache put %s %s: file %q: %w", key.Stage(), key.Short(), name, err)
		}
		names = append(names, name)
	}
	sort.Strings(names)

	tmp, err := os.MkdirTemp(filepath.Join(c.dir, tmpDir), key.ID[:12]+"-")
	if errors.Is(err, fs.ErrNotExist) {
		// Someone removed tmp/ (cache deleted by hand); recreate it.
		if err = os.MkdirAll(filepath.Join(c.dir, tmpDir), 0o777); err == nil {
			tmp, err = os.MkdirTemp(filepath.Join(c.dir, tmpDir), key.ID[:12]+"-")
		}
	}
	if err != nil {
		return fmt.Errorf("cache put %s %s: %w", key.Stage(), key.Short(), err)
	}
	placed := false
	defer func() {
		if !placed {
			os.RemoveAll(tmp)
		}
	}()

	m := meta{Format: Version, Key: key.ID, Desc: key.Desc, Files: make([]FileInfo, 0, len(names))}
	for _, name := range names {
		fi, err := writeFile(filepath.Join(tmp, name), files[name])
		if err != nil {
			return fmt.Errorf("cache put %s %s: file %s: %w", key.Stage(), key.Short(), name, err)
		}
		m.Files = append(m.Files, fi)
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	mb = append(mb, '\n')
	metaPath := filepath.Join(tmp, metaName)
	if _, err := writeFile(metaPath, func(w io.Writer) error { _, err := w.Write(mb); return err }); err != nil {
		return fmt.Errorf("cache put %s %s: %w", key.Stage(), key.Short(), err)
	}
	now := c.now()
	if err := os.Chtimes(metaPath, now, now); err != nil {
		return fmt.Errorf("cache put %s %s: %w", key.Stage(), key.Short(), err)
	}

	placed, err = c.place(tmp, key)
	if err != nil {
		return fmt.Errorf("cache put %s %s: %w", key.Stage(), key.Short(), err)
	}
	return nil
}

// place renames the finished temporary directory tmp into the entry's place.
// It reports whether tmp was moved; when a valid entry is already there, tmp
// is left for the caller to remove and place succeeds.
func (c *Cache) place(tmp string, key Key) (bool, error) {
	final := c.entryDir(key.ID)
	if err := os.MkdirAll(filepath.Dir(final), 0o777); err != nil {
		return false, err
	}
	const attempts = 3
	var err error
	for range attempts {
		if err = os.Rename(tmp, final); err == nil {
			return true, nil
		}
		if _, reason := c.verify(final, key); reason == "" {
			return false, nil // another writer won the race
		}
		// The existing entry is corrupt or partial: move it aside, so that
		// readers never see it half-deleted, and try again.
		if rerr := c.remove(key.ID); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return false, rerr
		}
	}
	return false, err
}

// writeFile creates path and streams fn into it while hashing. It does not
// fsync (see the package documentation).
func writeFile(path string, fn WriteFunc) (FileInfo, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return FileInfo{}, err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	bw := bufio.NewWriterSize(cw, 64<<10)
	err = fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Name: filepath.Base(path), Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func checkFileName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == metaName:
		return errors.New("reserved name")
	case strings.HasPrefix(name, "."):
		return errors.New("name starts with '.'")
	case strings.ContainsAny(name, `/\`) || name != filepath.Base(name):
		return errors.New("name is not a plain file name")
	}
	return nil
}

// Get returns the verified entry for key. On a miss, the entry is nil and
// reason says why: "absent", "partial: ...", "corrupt: ..." or
// "foreign: ...". Get never returns a damaged entry; the caller recomputes
// and Puts, which replaces a damaged entry. Every file's size and sha256 are
// checked on each Get: hashing runs at about 800 MB/s (BenchmarkGetHit), a
// few milliseconds for the largest stage outputs.
//
// The entry's files stay valid until GC or Remove deletes the entry; files
// already open keep working after that.
func (c *Cache) Get(key Key) (e *Entry, reason string) {
	return c.GetKeeping(key, "")
}

// GetKeeping is Get that keeps the content of the entry's file name (if it
// has one), which verifying it reads anyway: the entry's ReadFile(name)
// returns it without opening the file again. For a small file the caller
// reads whole, such as a point output's point.json.
func (c *Cache) GetKeeping(key Key, name string) (e *Entry, reason string) {
	if !isHexID(key.ID) || hashString(key.Desc) != key.ID {
		return nil, "invalid key: id does not hash its description"
	}
	dir := c.entryDir(key.ID)
	v, reason := c.verifyFiles(dir, key, "", name)
	if reason != "" {
		return nil, reason
	}
	c.touchStat(filepath.Join(dir, metaName), v.metaStat)
	return &Entry{Key: key, Dir: dir, Files: v.meta.Files, keptName: name, kept: v.kept}, ""
}

// ReadFile returns the content of the file name of key's entry, checked
// like Get checks an entry but without hashing the entry's other files:
// a small side file (a stage's stats) of an entry whose main output is
// large. It does not record a use of the entry.
func (c *Cache) ReadFile(key Key, name string) ([]byte, string) {
	if !isHexID(key.ID) || hashString(key.Desc) != key.ID {
		return nil, "invalid key: id does not hash its description"
	}
	v, reason := c.verifyFiles(c.entryDir(key.ID), key, name, name)
	if reason != "" {
		return nil, reason
	}
	if v.kept == nil {
		return nil, "absent: no file " + name
	}
	return v.kept, ""
}

// touch records a use of an entry for GC, at most once per touchInterval.
// Failure is ignored: a read-only cache still serves hits.
func (c *Cache) touch(metaPath string) {
	if st, err := os.Stat(metaPath); err == nil {
		c.touchStat(metaPath, st)
	}
}

// touchStat is touch of a file whose stat result st the caller has.
func (c *Cache) touchStat(path string, st fs.FileInfo) {
	if now := c.now(); now.Sub(st.ModTime()) >= touchInterval {
		os.Chtimes(path, now, now)
	}
}

// verify checks the entry in dir against key (or, if key.ID is empty,
// against the key recorded in meta.json) and returns its meta, or a miss
// reason.
func (c *Cache) verify(dir string, key Key) (meta, string) {
	v, reason := c.verifyFiles(dir, key, "", "")
	return v.meta, reason
}

// verified is what verifyFiles read: the entry's meta, meta.json's stat
// result (for touch) and the content of the file it was asked to keep
// (nil if the entry has no such file).
type verified struct {
	meta     meta
	metaStat fs.FileInfo
	kept     []byte
}

// verifyFiles is verify hashing only the file only, if not "", and
// keeping the content of the file keep, if not "".
func (c *Cache) verifyFiles(dir string, key Key, only, keep string) (verified, string) {
	var v verified
	m := &v.meta
	b, st, err := readFileStat(filepath.Join(dir, metaName))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return v, "unreadable: " + err.Error()
		}
		// The entry is absent, or was left without its meta.json.
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return v, "absent"
		} else if err != nil {
			return v, "unreadable: " + err.Error()
		}
		return v, "partial: missing " + metaName
	}
	v.metaStat = st
	if err := json.Unmarshal(b, m); err != nil {
		return v, "corrupt: " + metaName + ": " + err.Error()
	}
	if m.Format != Version {
		return v, fmt.Sprintf("foreign: format version %d", m.Format)
	}
	id := filepath.Base(dir)
	if m.Key != id || hashString(m.Desc) != id {
		return v, "corrupt: " + metaName + " does not describe key " + id
	}
	if key.ID != "" && m.Desc != key.Desc {
		return v, "corrupt: " + metaName + " description differs from the key's"
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if checkFileName(f.Name) != nil || seen[f.Name] || !isHexID(f.SHA256) || f.Size < 0 {
			return v, fmt.Sprintf("corrupt: %s: bad file record %q", metaName, f.Name)
		}
		seen[f.Name] = true
		if only != "" && f.Name != only {
			continue
		}
		kept, reason := verifyFile(filepath.Join(dir, f.Name), f, f.Name == keep)
		if reason != "" {
			return v, reason
		}
		if f.Name == keep {
			v.kept = kept
		}
	}
	return v, ""
}

// verifyFile checks one file's size, then its sha256: size catches
// truncation without reading, the hash catches everything else. Hashing a
// few MB costs milliseconds (see BenchmarkGetHit), far less than any stage.
// With keep, it returns the content it hashed.
func verifyFile(path string, want FileInfo, keep bool) ([]byte, string) {
	f, err := openRead(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "partial: missing file " + want.Name
		}
		return nil, "unreadable: " + err.Error()
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "unreadable: " + err.Error()
	}
	if st.Size() != want.Size {
		return nil, fmt.Sprintf("corrupt: file %s has %d bytes, want %d", want.Name, st.Size(), want.Size)
	}
	h := sha256.New()
	var content []byte
	if keep {
		content, err = readAll(f, want.Size)
		h.Write(content)
	} else {
		err = hashAll(h, f)
	}
	if err != nil {
		return nil, "unreadable: " + err.Error()
	}
	if hex.EncodeToString(h.Sum(nil)) != want.SHA256 {
		return nil, "corrupt: file " + want.Name + " sha256 mismatch"
	}
	return content, ""
}

// hashBufs are verifyFile's read buffers: io.Copy into a hash allocated a
// fresh 32 KB buffer per file, 8.6 MB of a warm 45-point collect's 43 MB,
// and fresh memory costs page faults.
var hashBufs = sync.Pool{New: func() any { return new([64 << 10]byte) }}

// hashAll writes the rest of f into h through a pooled buffer (f hidden
// behind an io.Reader: io.CopyBuffer would otherwise use os.File's
// WriteTo, which allocates its own).
func hashAll(h hash.Hash, f *os.File) error {
	buf := hashBufs.Get().(*[64 << 10]byte)
	defer hashBufs.Put(buf)
	_, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf[:])
	return err
}

// readAll reads the rest of f, of size bytes if it did not change, to EOF.
func readAll(f *os.File, size int64) ([]byte, error) {
	b := make([]byte, 0, size+1) // +1: EOF is seen without growing b
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// readFileStat reads the file at path whole and returns its stat result.
func readFileStat(path string) ([]byte, fs.FileInfo, error) {
	f, err := openRead(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	b, err := readAll(f, st.Size())
	if err != nil {
		return nil, nil, err
	}
	return b, st, nil
}

// remove deletes the entry id. It first renames the entry into tmp/ so that
// concurrent readers see it either whole or absent.
func (c *Cache) remove(id string) error {
	trash, err := os.MkdirTemp(filepath.Join(c.dir, tmpDir), "rm-"+id[:12]+"-")
	if err != nil {
		return err
	}
	dst := filepath.Join(trash, id)
	if err := os.Rename(c.entryDir(id), dst); err != nil {
		os.Remove(trash)
		return err
	}
	return os.RemoveAll(trash)
}

// Remove deletes the entry with the given key id. Removing an absent entry
// is not an error.
func (c *Cache) Remove(id string) error {
	if !isHexID(id) {
		return fmt.Errorf("cache remove: %q is not a key id", id)
	}
	if err := c.remove(id); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache remove %s: %w", id[:12], err)
	}
	return nil
}
