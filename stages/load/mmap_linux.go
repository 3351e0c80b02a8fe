package load

import (
	"context"
	"os"
	"syscall"
)

// mmapInput maps a plain file read-only. Parsed chunks are dropped from the
// mapping with MADV_DONTNEED (the page cache keeps them), so the mapped file
// does not accumulate in the process's resident set. Chunks are cut as they
// are handed out, not all up front: the page cache holds a file in large
// folios (up to 2 MiB) and one touched byte maps its whole folio, so finding
// every chunk's first newline before parsing mapped 377 MB of the 513 MB
// benchmark file into the resident set at once.
func mmapInput(f *os.File) (*input, bool, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if st.Size() == 0 || !st.Mode().IsRegular() {
		return nil, false, nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, false, nil // not mappable: fall back to streaming
	}
	header, rest, err := splitHeader(data)
	if err != nil {
		syscall.Munmap(data)
		return nil, false, err
	}
	pageSize := os.Getpagesize()
	off := len(header)
	produce := func(ctx context.Context, out chan<- chunk, stop func(int) bool) error {
		pos, left := off, rest
		for i := 0; len(left) > 0; i++ {
			var b []byte
			b, left = nextChunk(left)
			start, end := pos, pos+len(b)
			pos = end
			if stop(i) {
				return nil
			}
			done := func() {
				lo := start / pageSize * pageSize
				syscall.Madvise(data[lo:end], syscall.MADV_DONTNEED)
			}
			select {
			case out <- chunk{index: i, data: b, done: done}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	closeFn := func() error {
		err := syscall.Munmap(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return &input{header: header, produce: produce, close: closeFn}, true, nil
}
