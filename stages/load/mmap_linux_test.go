package load

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// rssFileKB is the file-backed part of this process's resident set.
func rssFileKB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "RssFile:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestMmapResidentSet: loading a memory-mapped file keeps only the chunks
// being parsed in the resident set. The page cache holds files in large
// folios and one touched byte maps a whole folio, so cutting every chunk
// before parsing mapped most of a file at once (377 MB of the 513 MB
// benchmark file). Where the kernel maps single pages the bound holds
// either way.
func TestMmapResidentSet(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 74 MB file")
	}
	body := decompressedText(t, s10Path)
	nl := bytes.IndexByte(body, '\n') + 1
	var buf bytes.Buffer
	buf.Write(body)
	buf.Write(body[nl:])
	path := writeTemp(t, "big.netflow.labeled", buf.String())
	size := buf.Len()
	buf = bytes.Buffer{}
	before := rssFileKB(t)
	peak := before
	// Two parsers, whatever the machine: the chunks in flight, and so the
	// bound, do not grow with the core count (8 MB was measured here).
	res := mustRun(t, Input{Mem: memory.DefaultAllocator, Path: path, Workers: 2, Progress: func(int64) { peak = max(peak, rssFileKB(t)) }}, Params{Columns: []string{ColBytes}})
	res.Flows.Release()
	if grown, limit := peak-before, size/1024/4; grown > limit {
		t.Errorf("file-backed resident set grew by %d kB while loading a %d kB file, want at most %d kB",
			grown, size/1024, limit)
	}
}
