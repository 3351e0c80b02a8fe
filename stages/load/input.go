package load

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// chunkSize is the target size of the blocks parsed by one worker. It does
// not depend on the worker count, so chunking is identical for any Workers.
// A variable so that tests can cut small chunks.
var chunkSize = 2 << 20

// A chunk is a run of whole lines. done hands its memory back; it is called
// once the chunk's rows have been copied into builders.
type chunk struct {
	index int
	data  []byte
	done  func()
}

// input is an opened flow file: its header line and a producer of chunks.
type input struct {
	header []byte
	// produce sends the chunks after the header, in order, and returns when
	// the input is exhausted, ctx is cancelled or stop reports true for the
	// next index.
	produce func(ctx context.Context, out chan<- chunk, stop func(index int) bool) error
	close   func() error
}

type compression int

const (
	plain compression = iota
	gzipped
	zstandard
)

// sniff recognises gzip and zstd by their magic bytes.
func sniff(f *os.File) (compression, error) {
	var magic [4]byte
	n, err := io.ReadFull(f, magic[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return plain, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return plain, err
	}
	switch {
	case n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return gzipped, nil
	case n == 4 && bytes.Equal(magic[:], []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return zstandard, nil
	}
	return plain, nil
}

// decompressed returns a reader of f's decompressed content. A decoder
// error is reported as corrupt data at the compressed byte it was found
// near, with the command that checks the file.
func decompressed(f *os.File, c compression) (io.Reader, func(), error) {
	in := &countingReader{r: f}
	switch c {
	case gzipped:
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, nil, corrupt("gzip", f.Name(), in.n, err)
		}
		return &decodeErrReader{r: zr, kind: "gzip", name: f.Name(), in: in}, func() { zr.Close() }, nil
	case zstandard:
		zr, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(2))
		if err != nil {
			return nil, nil, corrupt("zstd", f.Name(), in.n, err)
		}
		return &decodeErrReader{r: zr, kind: "zstd", name: f.Name(), in: in}, zr.Close, nil
	}
	return f, func() {}, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeErrReader turns a decompressor's errors into corrupt-data errors.
type decodeErrReader struct {
	r          io.Reader
	kind, name string
	in         *countingReader
}

func (d *decodeErrReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = corrupt(d.kind, d.name, d.in.n, err)
	}
	return n, err
}

func corrupt(kind, name string, at int64, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("corrupt %s data: the file ends early (truncated after %d bytes; check it with `%s -t %s`)", kind, at, kind, name)
	}
	return fmt.Errorf("corrupt %s data near byte %d (%v); check the file with `%s -t %s`", kind, at, err, kind, name)
}

// openRegular opens path for reading if it is a regular file: a device
// such as /dev/zero or a pipe would be read (and hashed) forever. The path
// is checked before it is opened, since opening a named pipe blocks until
// a writer opens it too; the opened file is checked again.
func openRegular(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, notRegular(path, st.Mode())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if st, err = f.Stat(); err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, st.Mode())
	}
	return f, nil
}

func notRegular(path string, m fs.FileMode) error {
	kind := "a special file"
	switch {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	}
	return fmt.Errorf("%s is not a regular file but %s: botprof reads flow files", path, kind)
}

// openInput opens path; plain files are memory-mapped where the platform
// allows, anything else is streamed.
func openInput(path string, workers int) (*input, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	c, err := sniff(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if c == plain {
		if in, ok, err := mmapInput(f); ok || err != nil {
			if err != nil {
				f.Close()
			}
			return in, err
		}
	}
	r, closeR, err := decompressed(f, c)
	if err != nil {
		f.Close()
		return nil, err
	}
	in, err := streamInput(r, workers)
	closeAll := func() error { closeR(); return f.Close() }
	if err != nil {
		closeAll()
		return nil, err
	}
	in.close = closeAll
	return in, nil
}

// splitHeader cuts the first line off data.
func splitHeader(data []byte) (header, rest []byte, err error) {
	if len(data) == 0 {
		return nil, nil, errors.New("empty file, want a header line")
	}
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return data, nil, nil
	}
	return data[:nl+1], data[nl+1:], nil
}

// nextChunk cuts the first run of whole lines of about chunkSize bytes off
// data. It reads data only around the cut.
func nextChunk(data []byte) (chunk, rest []byte) {
	n := chunkSize
	if n >= len(data) {
		return data, nil
	}
	nl := bytes.IndexByte(data[n:], '\n')
	if nl < 0 {
		return data, nil
	}
	n += nl + 1
	return data[:n], data[n:]
}

// streamInput reads r block by block. At most workers+2 blocks are alive,
// so memory does not grow with the input.
func streamInput(r io.Reader, workers int) (*input, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	header, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, errors.New("header line longer than 64 KiB")
	case errors.Is(err, io.EOF) && len(header) == 0:
		return nil, errors.New("empty file, want a header line")
	case err != nil && !errors.Is(err, io.EOF):
		return nil, err
	}
	header = bytes.Clone(header)
	free := make(chan []byte, workers+2)
	for range workers + 2 {
		free <- nil
	}
	produce := func(ctx context.Context, out chan<- chunk, stop func(int) bool) error {
		var carry []byte
		for index := 0; ; index++ {
			var buf []byte
			select {
			case buf = <-free:
			case <-ctx.Done():
				return ctx.Err()
			}
			// Room for the carried partial line and at least as much again.
			if need := max(chunkSize, 2*len(carry)); cap(buf) < need {
				buf = make([]byte, need)
			}
			buf = buf[:cap(buf)]
			m := copy(buf, carry)
			eof := false
			for {
				n, err := io.ReadFull(br, buf[m:])
				m += n
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					eof = true
				} else if err != nil {
					return err
				}
				if eof || bytes.IndexByte(buf[m-n:m], '\n') >= 0 {
					break
				}
				// One line longer than the block: grow it.
				buf = append(buf, make([]byte, len(buf))...)
				buf = buf[:cap(buf)]
			}
			cut := m
			if !eof {
				cut = bytes.LastIndexByte(buf[:m], '\n') + 1
			}
			carry = append(carry[:0], buf[cut:m]...)
			if cut == 0 {
				free <- buf
				return nil
			}
			if stop(index) {
				return nil
			}
			b := buf
			select {
			case out <- chunk{index: index, data: buf[:cut], done: func() { free <- b }}:
			case <-ctx.Done():
				return ctx.Err()
			}
			if eof {
				return nil
			}
		}
	}
	return &input{header: header, produce: produce}, nil
}

// openDecompressed opens path and returns a reader of its decompressed
// content (plain, gzip or zstd, recognised by magic bytes) and a function
// that closes both.
func openDecompressed(path string) (io.Reader, func(), error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	c, err := sniff(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	r, closeR, err := decompressed(f, c)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, func() { closeR(); f.Close() }, nil
}

// SHA256File returns the hex sha256 of path's decompressed content (plain,
// gzip or zstd, recognised by magic bytes), reading it as a stream. It
// stops with ctx's error when ctx is cancelled.
func SHA256File(ctx context.Context, path string) (string, error) {
	r, closeR, err := openDecompressed(path)
	if err != nil {
		return "", err
	}
	defer closeR()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, r}); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
